"""Soak: many respondents interviewing at once for minutes through the real bot; nothing lost, memory flat.

The Matang bot runs as its own process (``python -m benchmarks.soak --serve``: the real
application, python-telegram-bot's HTTP client, a SQLite file) polling the fake Bot API server in
this process on 127.0.0.1, **with the rate limiter off**: the local server has no flood limit, and
Telegram's (about 30 messages a second for a whole bot) would make the run measure the limiter.
Charts are a stand-in PNG (the chart worker would measure itself, not the bot); everything else is as in
production, reminder sweeps included.

Each simulated respondent, from their own Telegram account, sends /start, agrees, and answers the
``ogmm-social-media`` interview as a person would (random choices, ticks then "Done", numbers and
texts typed), pausing ``think`` seconds between answers. At the end they start again with /start;
now and then one changes their mind halfway (/restart, confirmed), or comes back later from a new
account. This goes on until the time is up; then every turn in progress finishes, the bot is stopped,
and every answer the bot acknowledged (the next question arrived) is looked up in the database.

Figures: answers acknowledged, errors (a reply that never came, an apology, a failed Bot API call,
an ERROR line in the bot's log), lost answers (acknowledged but not stored as given), duplicated
answer events, latency percentiles from the update to the reply, and the bot's resident memory
(VmRSS, and the peak VmHWM, from ``/proc/PID/status``) once every respondent is active and at the
end, sampled every few seconds in between. The floor beside it: a bare python-telegram-bot echo bot,
also in its own process, with the same respondents and the same pauses, for a shorter time.

    python -m benchmarks soak            # 1,000 respondents for ten minutes
    python -m benchmarks soak --quick    # 100 respondents for one minute
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.load import percentile
from fakebotapi import BotMessage, ChatEvent, FakeBotApi

FLOW = "ogmm-social-media"
FULL = {"users": 1000, "seconds": 600.0, "echo_seconds": 60.0, "think": (2.0, 8.0)}
"""1,000 respondents for ten minutes, pausing 2 to 8 s (5 s on average) to read and tap: a brisk
human pace, about two whole interviews each."""
QUICK = {"users": 100, "seconds": 60.0, "echo_seconds": 15.0, "think": (0.2, 1.0)}
"""100 respondents for a minute, fast enough (0.6 s on average) that many finish an interview and begin
another (how many depends on the machine)."""
TURN_TIMEOUT = 60.0
"""A reply slower than this counts as an error (and that respondent stops)."""
RESTART_SHARE = 0.1
"""Share of interviews abandoned halfway with /restart (confirmed), then begun again."""
NEW_ACCOUNT_SHARE = 0.1
"""Share of interviews begun from a new Telegram account (a new respondent)."""
SAMPLE_SECONDS = 5.0
ROOT = Path(__file__).resolve().parents[1]


# -- what the respondents know of their interviews ---------------------------------------------------


@dataclass
class Ledger:
    """Every answer the bot acknowledged, by session and question, and what went wrong."""

    acknowledged: dict[int, dict[str, Any]] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    turns: int = 0
    interviews_finished: int = 0
    interviews_restarted: int = 0
    interviews_started: int = 0
    new_accounts: int = 0

    def ack(self, session_id: int, question_id: str, value: Any) -> None:
        self.acknowledged.setdefault(session_id, {})[question_id] = value

    @property
    def answers(self) -> int:
        return sum(len(a) for a in self.acknowledged.values())


def _data(message: BotMessage | None) -> list[str]:
    if message is None:
        return []
    return [b.data or "" for row in message.buttons for b in row]


def is_question(message: BotMessage) -> bool:
    """A message that asks a question (or shows a multiple choice's ticks): the reply to a turn."""
    data = _data(message)
    if any(d[:2] in ("t:", "m:") for d in data):
        return True
    text = message.text or ""
    if not text.startswith("<i>") or "✅" in text or "⏭" in text:
        return False
    return bool(data) or "<b>" in text


class Respondent:
    """One simulated person: interviews until the time is up, noting every acknowledged answer."""

    def __init__(self, api: FakeBotApi, user_id: int, ledger: Ledger, rng: random.Random, flow: Any,
                 think: tuple[float, float], deadline: float, next_account: Callable[[], int]) -> None:
        self.api = api
        self.user = api.user(user_id, first_name=f"Soak{user_id}", language_code="id")
        self.ledger = ledger
        self.rng = rng
        self.flow = flow
        self.think = think
        self.deadline = deadline
        self.next_account = next_account
        self.thanks = flow.thanks.get("id")
        self.session_id = 0
        self.typed = 0

    # -- waiting for the bot --

    async def reply(self, t0: float, wanted: Callable[[BotMessage], bool], what: str) -> ChatEvent:
        """The first event since ``t0`` whose message is ``wanted``; records the latency."""
        def match(e: ChatEvent) -> bool:
            return e.at >= t0 and e.kind != "deleted" and wanted(e.message)

        try:
            event = await self.user.next_event(match, TURN_TIMEOUT)
        except TimeoutError:
            raise Failure(f"user {self.user.id}: no {what} within {TURN_TIMEOUT:.0f} s") from None
        text = event.message.text or ""
        if text.startswith("Mohon maaf, terjadi kendala"):  # the bot's apology (tg_error)
            raise Failure(f"user {self.user.id}: the bot apologised instead of giving {what}")
        self.ledger.latencies_ms.append((event.at - t0) * 1000)
        self.ledger.turns += 1
        return event

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think))

    # -- one interview --

    async def consent(self, prompt_after: float) -> BotMessage:
        """Agree on the consent prompt that arrived after ``prompt_after``; the first question."""
        prompt = await self.reply(prompt_after, lambda m: any(d.startswith("c:y") for d in _data(m)), "consent prompt")
        await self.pause()
        t0 = time.perf_counter()
        await self.user.press(next(d for d in _data(prompt.message) if d.startswith("c:y")), prompt.message.message_id)
        first = await self.reply(t0, is_question, "first question")
        self.session_id = int(_data(first.message)[0].split(":")[1])
        self.ledger.interviews_started += 1
        return first.message

    async def begin(self) -> BotMessage:
        t0 = time.perf_counter()
        await self.user.send("/start")
        return await self.consent(t0)

    async def restart(self) -> BotMessage:
        """/restart, confirmed, and agree again: the current interview is withdrawn."""
        t0 = time.perf_counter()
        await self.user.send("/restart")
        ask = await self.reply(t0, lambda m: any(d.startswith("x:r:") for d in _data(m)), "restart question")
        await self.pause()
        t1 = time.perf_counter()
        await self.user.press(next(d for d in _data(ask.message) if d.startswith("x:r:")), ask.message.message_id)
        self.ledger.interviews_restarted += 1
        return await self.consent(t1)

    def question_of(self, message: BotMessage) -> Any:
        for d in _data(message):
            if d[:2] in ("a:", "t:", "m:", "n:", "s:"):
                return self.flow.questions[int(d.split(":")[2])]
        for q in self.flow.questions:  # a question to type has no buttons (unless it is optional)
            if f"<b>{_escape(q.text.get('id'))}</b>" in (message.text or ""):
                return q
        raise Failure(f"user {self.user.id}: cannot tell which question this is: {message!r}")

    async def answer(self, message: BotMessage) -> BotMessage | None:
        """Answer the question on ``message``; the next question, or None when the interview ended."""
        send = next((d for d in _data(message) if d.startswith("k:") and d.endswith(":s")), None)
        if send is not None:  # the final check: send the answers as they are
            await self.pause()
            t0 = time.perf_counter()
            await self.user.press(send, message.message_id)
            await self.reply(t0, lambda m: (m.text or "").startswith(self.thanks), "result after the check")
            self.tidy()
            self.ledger.interviews_finished += 1
            await self.reply(t0, lambda m: m.kind == "photo", "result chart")
            return None
        q = self.question_of(message)
        data = _data(message)
        await self.pause()
        if q.type == "multiple_choice":
            plain = [d for d in data if d.startswith("t:") and not self.flow_choice(q, d).exclusive]
            ticks = self.rng.sample(plain, k=min(len(plain), self.rng.randint(1, 2)))
            shown = message
            for d in ticks:
                t0 = time.perf_counter()
                await self.user.press(d, message.message_id)
                # The reply to a tick: the same message, its keyboard edited.
                shown = (await self.reply(t0, lambda m, i=message.message_id: m.message_id == i and any(
                    x.startswith("m:") for x in _data(m)), "ticked keyboard")).message
                await self.pause()
            value = sorted((self.flow_choice(q, d).value for d in ticks), key=[c.value for c in q.choices].index)
            # Done as shown after the last tick: it carries the ticks on screen, which it answers.
            action: Any = next(d for d in _data(shown) if d.startswith("m:"))
        elif q.type == "note":
            value, action = None, next(d for d in data if d.startswith("n:"))
        elif q.type in ("single_choice", "yes_no", "scale"):
            action = self.rng.choice([d for d in data if d.startswith("a:")])
            arg = action.rsplit(":", 1)[1]
            if arg == "d":
                value = "dont_know"
            elif q.type == "scale":
                value = q.scale_points()[int(arg)]
            else:
                value = q.choices[int(arg)].value
        elif q.type == "number":
            value = self.rng.randint(int(q.min or 0), int(q.max if q.max is not None else 100))
            action = str(value)
        else:
            self.typed += 1
            value = f"Jawaban soak {self.user.id}-{self.session_id}-{self.typed}: kami membalas setiap pagi."
            action = value
        t0 = time.perf_counter()
        if q.type in ("number", "text"):
            await self.user.send(action)
        else:
            await self.user.press(action, message.message_id)
        event = await self.reply(t0, lambda m: is_question(m) or (m.text or "").startswith(self.thanks),
                                 f"reply to {q.id}")
        if value is not None:
            self.ledger.ack(self.session_id, q.id, value)
        self.tidy()
        if (event.message.text or "").startswith(self.thanks):
            self.ledger.interviews_finished += 1
            await self.reply(t0, lambda m: m.kind == "photo", "result chart")
            return None
        return event.message

    @staticmethod
    def flow_choice(q: Any, data: str) -> Any:
        return q.choices[int(data.rsplit(":", 1)[1])]

    # -- until the time is up --

    async def run(self) -> None:
        try:
            while time.monotonic() < self.deadline:
                message = await self.begin()
                restart_at = (self.rng.randint(3, 30) if self.rng.random() < RESTART_SHARE else None)
                steps = 0
                while message is not None and time.monotonic() < self.deadline:
                    if steps == restart_at:
                        message = await self.restart()
                        restart_at = None
                    message = await self.answer(message)
                    steps += 1
                self.tidy()
                if message is None and self.rng.random() < NEW_ACCOUNT_SHARE:
                    self.new_account()
        except Failure as exc:
            self.ledger.errors.append(str(exc))
        except Exception as exc:  # a bug in the respondent itself: counted, never hidden
            self.ledger.errors.append(f"user {self.user.id}: {type(exc).__name__}: {exc}")

    def tidy(self) -> None:
        """Forget what this chat no longer needs (the fake server would otherwise keep every message):
        the events already read, and all but the newest messages (the question on screen among them)."""
        log = self.api.chat_log(self.user.id)
        del log.events[: self.user.cursor]
        self.user.cursor = 0
        if len(log.messages) > 12:
            for message_id in sorted(log.messages)[:-8]:
                del log.messages[message_id]
        log.user_messages.clear()

    def new_account(self) -> None:
        """Come back from another Telegram account: a new respondent. The old chat stays (tidied):
        the bot may still be editing its last question there."""
        self.user = self.api.user(self.next_account(), first_name="Soak", language_code="id")
        self.ledger.new_accounts += 1


class Failure(Exception):
    """A turn that went wrong (counted as an error)."""


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


# -- processes and memory ---------------------------------------------------------------------------


def cpu_seconds(pid: int | str = "self") -> float:
    """User plus system CPU time a process has used so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in kB, from /proc/PID/status."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def start_process(kind: str, api: FakeBotApi, db: Path, log: Path) -> subprocess.Popen:
    """The Matang bot (``kind="matang"``) or the bare echo bot (``"echo"``) in its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    out = open(log, "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen([sys.executable, "-m", "benchmarks.soak", "--serve", kind, api.base_url, api.token,
                             str(db)], env=env, stdout=out, stderr=subprocess.STDOUT, cwd=db.parent)


async def stop_process(proc: subprocess.Popen, timeout: float = 30.0) -> int:
    """SIGTERM (a clean stop: python-telegram-bot finishes and confirms its updates), then wait,
    serving the fake server meanwhile (the bot's last calls go to it)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    return proc.wait(10)


async def until_polling(api: FakeBotApi, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until the bot in ``proc`` asks for updates."""
    deadline = time.monotonic() + timeout
    while not api.calls_for("getUpdates"):
        if proc.poll() is not None:
            raise RuntimeError(f"the bot process exited with {proc.returncode} before polling")
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not start polling")
        await api.changed(0.5)


def serve(kind: str, api_url: str, token: str, db: str) -> None:
    """The child process: run the Matang bot (rate limiter off) or the echo bot until SIGTERM."""
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if kind == "echo":
        from benchmarks.echo import build_echo_application

        build_echo_application(api_url, token, 64).run_polling(poll_interval=0, timeout=10)
        return
    from bot.memory import fix_mmap_threshold, tune_garbage_collector
    from bot.settings import Settings
    from bot.store import Store
    from bot.telegram.app import build_application, run_polling
    from fakebotapi import TINY_PNG

    fix_mmap_threshold()  # as `matang run` does

    settings = Settings(telegram_token=None, telegram_api_url=api_url, db=Path(db), flow=FLOW)
    store = Store.open(db)
    try:
        application = build_application(settings, store, token=token, rate_limit=False,
                                        chart=lambda assessment, lang: TINY_PNG)
        tune_garbage_collector()  # as `matang run` does
        run_polling(application, poll_timeout=10)
    finally:
        store.close()


# -- the run ----------------------------------------------------------------------------------------


class Housekeeping:
    """Every few seconds: sample memory, count failed Bot API calls, forget what the fake server
    no longer needs (every request and answered callback query is kept otherwise)."""

    def __init__(self, api: FakeBotApi, pid: int) -> None:
        self.api = api
        self.pid = pid
        self.samples: list[dict[str, Any]] = []
        self.failed_calls: Counter[str] = Counter()
        self.not_modified = 0
        self.started = time.monotonic()

    def sweep(self) -> None:
        in_flight = []
        for call in self.api.calls:
            if call.status is None:
                in_flight.append(call)  # looked at next time
            elif call.status != 200 and call.method != "getUpdates":
                if "message is not modified" in str(call.result):
                    # Telegram's answer to removing buttons from a message that has none (the bot
                    # retires a typed question on /restart): expected, harmless, counted apart.
                    self.not_modified += 1
                else:
                    self.failed_calls[f"{call.method} {call.status} {str(call.result)[:60]}"] += 1
        self.api.calls[:] = in_flight
        answered = [k for k, v in self.api.callback_queries.items() if v["answered"]]
        for k in answered:
            del self.api.callback_queries[k]
        try:
            bot = memory_kb(self.pid)
        except OSError:
            return
        own = memory_kb()
        self.samples.append({"t": round(time.monotonic() - self.started, 1), "bot_rss_kb": bot["VmRSS"],
                             "bot_hwm_kb": bot["VmHWM"], "driver_rss_kb": own["VmRSS"],
                             "bot_cpu_s": cpu_seconds(self.pid), "driver_cpu_s": cpu_seconds()})

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SAMPLE_SECONDS)
            self.sweep()


def check_records(db: Path, ledger: Ledger) -> dict[str, Any]:
    """Compare every acknowledged answer with the database: lost, changed, duplicated."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        stored: dict[int, dict[str, Any]] = {}
        for sid, qid, value in conn.execute("select session_id, question_id, value from answers"):
            stored.setdefault(sid, {})[qid] = json.loads(value)
        duplicated = conn.execute(
            "select count(*) from (select session_id, question_id from events where kind = 'answer'"
            " group by session_id, question_id having count(*) > 1)").fetchone()[0]
        states = dict(conn.execute("select state, count(*) from sessions group by state").fetchall())
        respondents = conn.execute("select count(*) from respondents").fetchone()[0]
        events = conn.execute("select count(*) from events").fetchone()[0]
    finally:
        conn.close()
    lost, changed, first = 0, 0, None
    for sid, answers in ledger.acknowledged.items():
        for qid, value in answers.items():
            if qid not in stored.get(sid, {}):
                lost += 1
                first = first or f"session {sid} {qid}: acknowledged {value!r}, not stored"
            elif stored[sid][qid] != value:
                changed += 1
                first = first or f"session {sid} {qid}: acknowledged {value!r}, stored {stored[sid][qid]!r}"
    unacknowledged = sum(len(set(stored.get(sid, {})) - set(ledger.acknowledged.get(sid, {})))
                         for sid in stored)
    return {"lost_answers": lost + changed, "changed_answers": changed, "duplicated_answer_events": duplicated,
            "stored_but_not_acknowledged": unacknowledged, "first_loss": first, "sessions_by_state": states,
            "respondents": respondents, "events": events}


async def drive(api: FakeBotApi, users: int, seconds: float, think: tuple[float, float], seed: int,
                flow: Any) -> Ledger:
    """Every respondent interviewing until ``seconds`` are up (starts spread over the first tenth)."""
    ledger = Ledger()
    rng = random.Random(seed)
    accounts = iter(range(5_000_001, 10**9))
    deadline = time.monotonic() + seconds
    ramp = min(30.0, seconds / 10)

    async def one(i: int) -> None:
        await asyncio.sleep(ramp * i / users)
        respondent = Respondent(api, 4_000_001 + i, ledger, random.Random(rng.random()), flow, think, deadline,
                                lambda: next(accounts))
        await respondent.run()

    await asyncio.gather(*(one(i) for i in range(users)))
    return ledger


async def echo_floor(api: FakeBotApi, users: int, seconds: float, think: tuple[float, float], seed: int,
                     workdir: Path) -> dict[str, Any]:
    """The bare echo bot in its own process, the same respondents' pace, for ``seconds``."""
    proc = start_process("echo", api, workdir / "echo.db", workdir / "echo.log")
    latencies: list[float] = []
    errors: list[str] = []
    try:
        await until_polling(api, proc)
        deadline = time.monotonic() + seconds
        rng = random.Random(seed)
        ramp = min(30.0, seconds / 10)

        async def one(i: int) -> None:
            user = api.user(3_000_001 + i, first_name="Echo", language_code="id")
            mine = random.Random(rng.random())
            await asyncio.sleep(ramp * i / users)
            n = 0
            while time.monotonic() < deadline:
                await asyncio.sleep(mine.uniform(*think))
                n += 1
                text = f"halo {user.id} {n}"
                t0 = time.perf_counter()
                await user.send(text)
                try:
                    event = await user.next_event(lambda e, s=text: e.kind == "sent" and e.message.text == s,
                                                  TURN_TIMEOUT)
                except TimeoutError:
                    errors.append(f"echo user {user.id}: no echo")
                    return
                latencies.append((event.at - t0) * 1000)
                log = api.chat_log(user.id)
                del log.events[: user.cursor]
                user.cursor = 0
                log.messages.clear()
                log.user_messages.clear()

        housekeeping = Housekeeping(api, proc.pid)
        keeper = asyncio.create_task(housekeeping.run())
        try:
            await asyncio.gather(*(one(i) for i in range(users)))
        finally:
            keeper.cancel()
        memory = memory_kb(proc.pid)
    finally:
        await stop_process(proc)
    ordered = sorted(latencies)
    return {"echo_replies": len(ordered), "echo_errors": len(errors), "echo_p50_ms": round(percentile(ordered, 50), 2),
            "echo_p90_ms": round(percentile(ordered, 90), 2), "echo_p99_ms": round(percentile(ordered, 99), 2),
            "echo_rate_per_s": round(len(ordered) / seconds, 1), "echo_rss_mb": round(memory["VmRSS"] / 1024, 1)}


async def soak(users: int, seconds: float, *, think: tuple[float, float] = QUICK["think"], echo_seconds: float = 15.0,
               seed: int = 20250501, workdir: Path | None = None) -> dict[str, Any]:
    """The whole run (see the module docstring); returns the figures."""
    from interview_flows.loader import load_flow

    flow = load_flow(FLOW)
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="matang-soak-")))
        db = workdir / "soak.db"
        async with FakeBotApi() as api:
            echo = await echo_floor(api, users, echo_seconds, think, seed, workdir) if echo_seconds else {}
            api.calls.clear()
            proc = start_process("matang", api, db, workdir / "bot.log")
            try:
                await until_polling(api, proc)
                housekeeping = Housekeeping(api, proc.pid)
                keeper = asyncio.create_task(housekeeping.run())
                started = time.perf_counter()
                try:
                    ledger = await drive(api, users, seconds, think, seed, flow)
                    housekeeping.sweep()
                    await api.wait_idle(timeout=60, quiet=0.5)
                finally:
                    keeper.cancel()
                elapsed = time.perf_counter() - started
                housekeeping.sweep()
            finally:
                code = await stop_process(proc)
            log_text = (workdir / "bot.log").read_text(errors="replace")
        records = check_records(db, ledger)
    error_lines = [line for line in log_text.splitlines() if " ERROR " in line or " CRITICAL " in line]
    samples = housekeeping.samples
    ramp = min(30.0, seconds / 10)
    # "Start": the first sample once every respondent is active (after the ramp and one more interval).
    first = next((s for s in samples if s["t"] >= ramp + SAMPLE_SECONDS), samples[0] if samples else None)
    last = samples[-1] if samples else None
    ordered = sorted(ledger.latencies_ms)
    errors = len(ledger.errors) + sum(housekeeping.failed_calls.values()) + len(error_lines) + (code != 0)

    def mb(kb: int) -> float:
        return round(kb / 1024, 1)

    busy = [s for s in samples if s["t"] <= seconds + 1]
    cpu = {}
    if len(busy) >= 2:
        span = busy[-1]["t"] - busy[0]["t"]
        cpu = {"bot_cpu_share": round((busy[-1]["bot_cpu_s"] - busy[0]["bot_cpu_s"]) / span, 2),
               "driver_cpu_share": round((busy[-1]["driver_cpu_s"] - busy[0]["driver_cpu_s"]) / span, 2)}
    figures = {
        "users": users,
        "duration_s": seconds,
        "think_s": list(think),
        "rate_limiter": False,
        "answers": ledger.answers,
        "turns": ledger.turns,
        "turns_per_s": round(ledger.turns / elapsed, 1),
        "interviews_started": ledger.interviews_started,
        "interviews_finished": ledger.interviews_finished,
        "interviews_restarted": ledger.interviews_restarted,
        "new_accounts": ledger.new_accounts,
        "errors": errors,
        "respondent_errors": len(ledger.errors),
        "failed_bot_api_calls": dict(housekeeping.failed_calls),
        "edits_refused_not_modified": housekeeping.not_modified,
        "bot_error_log_lines": len(error_lines),
        "bot_exit_code": code,
        "first_error": (ledger.errors or error_lines or list(housekeeping.failed_calls) or [None])[0],
        "p50_ms": round(percentile(ordered, 50), 2),
        "p90_ms": round(percentile(ordered, 90), 2),
        "p99_ms": round(percentile(ordered, 99), 2),
        "max_ms": round(ordered[-1], 2) if ordered else 0.0,
        **records,
        "bot_rss_start_mb": mb(first["bot_rss_kb"]) if first else None,
        "bot_rss_end_mb": mb(last["bot_rss_kb"]) if last else None,
        "bot_peak_rss_start_mb": mb(first["bot_hwm_kb"]) if first else None,
        "bot_peak_rss_end_mb": mb(last["bot_hwm_kb"]) if last else None,
        "driver_rss_start_mb": mb(first["driver_rss_kb"]) if first else None,
        "driver_rss_end_mb": mb(last["driver_rss_kb"]) if last else None,
        "bot_rss_timeline_mb": [[s["t"], mb(s["bot_rss_kb"])] for s in samples[:: max(1, len(samples) // 20)]],
        **cpu,
        **echo,
    }
    return figures


def report(f: dict[str, Any]) -> None:
    """The figures as a few lines for people."""
    print(f"{f['users']} respondents for {f['duration_s']:.0f} s, pausing {f['think_s'][0]}–{f['think_s'][1]} s "
          f"before each answer; Matang in its own process, rate limiter OFF (local server, no flood limit)")
    print(f"answers acknowledged {f['answers']}  turns {f['turns']} ({f['turns_per_s']}/s)  interviews started "
          f"{f['interviews_started']}, finished {f['interviews_finished']}, restarted {f['interviews_restarted']}, "
          f"new accounts {f['new_accounts']}")
    print(f"errors {f['errors']}  lost answers {f['lost_answers']}  duplicated answer events "
          f"{f['duplicated_answer_events']}  stored but never acknowledged {f['stored_but_not_acknowledged']}")
    if f["first_error"] or f["first_loss"]:
        print(f"first error: {f['first_error']}  first loss: {f['first_loss']}")
    print(f"{'':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
    print(f"{'matang':>8} {f['p50_ms']:>8.1f} {f['p90_ms']:>8.1f} {f['p99_ms']:>8.1f}")
    if "echo_p50_ms" in f:
        print(f"{'echo':>8} {f['echo_p50_ms']:>8.1f} {f['echo_p90_ms']:>8.1f} {f['echo_p99_ms']:>8.1f}"
              f"   (bare echo bot, same respondents and pace, {f['echo_replies']} replies)")
    print(f"bot memory: RSS {f['bot_rss_start_mb']} MB once all were active -> {f['bot_rss_end_mb']} MB at the end; "
          f"peak (VmHWM) {f['bot_peak_rss_start_mb']} -> {f['bot_peak_rss_end_mb']} MB")
    if "bot_cpu_share" in f:
        print(f"CPU: the bot process used {f['bot_cpu_share']:.0%} of a core, this process (fake server and "
              f"respondents) {f['driver_cpu_share']:.0%}")


def run(quick: bool = False) -> dict[str, Any]:
    """Run the soak (``quick``: 100 respondents for a minute), print the figures, return them."""
    size = QUICK if quick else FULL
    figures = asyncio.run(soak(size["users"], size["seconds"], think=size["think"], echo_seconds=size["echo_seconds"]))
    report(figures)
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--serve":
        serve(*sys.argv[2:])
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), default=str))
