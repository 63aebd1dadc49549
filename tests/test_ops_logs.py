"""Logging: one line per event with time, level, logger and update id; JSON for collectors;
the bot token never written, wherever it hides."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re

import pytest
from pydantic import SecretStr

from bot import logs
from bot.settings import Settings

TOKEN = "7012345678:AAF-Secret_Half-of-the-token-abcdefghij"
SECRET_HALF = TOKEN.split(":", 1)[1]
TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+ (\[update \d+\] )?.*$"
)


@pytest.fixture
def capture():
    """Set logging up as `matang run` does, writing into a buffer; undo it afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    buffers: list[io.StringIO] = []

    def setup(fmt: str = "text", level: str = "INFO", **kwargs) -> io.StringIO:
        buffer = io.StringIO()
        settings = Settings(telegram_token=SecretStr(TOKEN), log_format=fmt, log_level=level, _env_file=None)
        logs.setup_logging(settings, stream=buffer, **kwargs)
        buffers.append(buffer)
        return buffer

    yield setup
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
    for name in logs.QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_text_line_has_time_level_logger_and_update_id(capture):
    out = capture()
    log = logging.getLogger("bot.telegram")
    log.info("no update yet")
    with logs.update_context(4711):
        log.warning("answer saved for %s", "q1")
    first, second = out.getvalue().splitlines()
    assert TEXT_LINE.match(first) and " INFO bot.telegram no update yet" in first
    assert TEXT_LINE.match(second) and second.endswith(" WARNING bot.telegram [update 4711] answer saved for q1")


def test_json_lines_for_collectors(capture):
    out = capture("json")
    log = logging.getLogger("bot.telegram")
    with logs.update_context(99):
        log.info("hello %d", 5)
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "bot.telegram"
    assert first["message"] == "hello 5" and first["update_id"] == 99
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", first["time"])
    assert second["update_id"] is None and "ValueError: boom" in second["exception"]


def test_one_event_is_one_line_even_with_a_traceback(capture):
    out = capture()
    try:
        raise RuntimeError("first\nsecond")
    except RuntimeError:
        logging.getLogger("bot").exception("handler failed\nbadly")
    [line] = out.getvalue().splitlines()
    assert "handler failed\\nbadly" in line and "Traceback" in line and "RuntimeError: first\\nsecond" in line


def test_the_token_never_appears(capture):
    for fmt in ("text", "json"):
        out = capture(fmt)
        log = logging.getLogger("telegram.ext")
        log.info(f"in the message {TOKEN}")
        log.info("in the args %s and %r", f"https://api.telegram.org/bot{TOKEN}/getMe", {"t": TOKEN})
        logging.getLogger("httpx").warning("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
        log.info("the secret half alone: %s", SECRET_HALF)
        log.info("URL-quoted: %s", TOKEN.replace(":", "%3A"))
        try:
            raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
        except ConnectionError:
            log.exception("network")
        log.info("stack", stack_info=True, extra={"note": TOKEN})
        text = out.getvalue()
        assert text.count("\n") == 7
        assert TOKEN not in text and SECRET_HALF not in text and "%3A" + SECRET_HALF not in text
        assert text.count(logs.REDACTED) >= 7


def test_tokens_we_were_not_told_about_are_redacted_too(capture):
    out = capture()
    stranger = "5550001111:AAEunknown-token-that-looks_like-one-xyz"
    logging.getLogger("x").error("leaked %s", stranger)
    assert stranger not in out.getvalue() and logs.REDACTED in out.getvalue()


def test_webhook_secret_is_redacted_when_registered(capture):
    out = capture(secrets=["webhook-secret-0123456789"])
    logging.getLogger("x").info("secret_token=webhook-secret-0123456789")
    assert "webhook-secret-0123456789" not in out.getvalue()


def test_level_from_settings_and_chatty_libraries_quiet(capture):
    out = capture(level="WARNING")
    logging.getLogger("bot").info("hidden")
    logging.getLogger("bot").warning("shown")
    assert out.getvalue().count("\n") == 1 and "shown" in out.getvalue()
    capture(level="INFO")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    capture(level="DEBUG")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.DEBUG


def test_setting_up_twice_keeps_one_handler(capture):
    first = capture()
    second = capture()
    logging.getLogger("bot").info("once")
    assert first.getvalue() == "" and second.getvalue().count("once") == 1


def test_adapter_and_extra_carry_the_update_id(capture):
    out = capture()
    logs.UpdateLoggerAdapter(logging.getLogger("bot.telegram"), 12).info("via adapter")
    logging.getLogger("bot.telegram").info("via extra", extra={"update_id": 13})
    first, second = out.getvalue().splitlines()
    assert "[update 12] via adapter" in first and "[update 13] via extra" in second


def test_update_ids_do_not_leak_between_concurrent_updates(capture):
    out = capture()
    log = logging.getLogger("bot.telegram")

    async def handle(update_id: int) -> None:
        with logs.update_context(update_id):
            for step in range(3):
                log.info("update %d step %d", update_id, step)
                await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(handle(1), handle(2), handle(3))
        log.info("after")

    asyncio.run(main())
    for line in out.getvalue().splitlines():
        m = re.search(r"\[update (\d+)\] update (\d+) step", line)
        assert m and m.group(1) == m.group(2) or line.endswith(" after") and "[update" not in line


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown log format"):
        logs.setup_logging(fmt="xml", stream=io.StringIO())


def test_configure_logging_takes_plain_values(capture):
    capture()  # only for the fixture's clean-up
    buffer = io.StringIO()
    logs.configure_logging("INFO", "json", secrets=["another-secret-value-42"], stream=buffer)
    logging.getLogger("matang.telegram").info("starting with another-secret-value-42")
    entry = json.loads(buffer.getvalue())
    assert entry["message"] == "starting with [REDACTED]" and entry["level"] == "INFO"
    assert logs.redact("x=hunter2-hunter2", ["hunter2-hunter2"]) == f"x={logs.REDACTED}"


def test_the_state_machine_library_is_quiet_unless_debugging(capture):
    """transitions logs every event of every interview at INFO: about 1.5 ms an answer under load."""
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_named_flow

    engine = engine_for(load_named_flow("ogmm-social-media"))
    for level, shown in (("INFO", False), ("DEBUG", True)):
        out = capture(level=level)
        session = engine.new_session()
        engine.start(session)
        engine.skip(session)
        lines = [line for line in out.getvalue().splitlines() if " transitions" in line]
        assert bool(lines) == shown, (level, lines)
