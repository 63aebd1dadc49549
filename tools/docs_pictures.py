"""Make the documentation's pictures from the product itself (run from the checkout, test extra).

    python tools/docs_pictures.py            # writes docs/images/*.png and the diagram page part

* ``docs/images/result-chart.png``, ``hasil-grafik.png``: ``bot.charts.render_chart`` on the
  assessment of ``tests/cases/sleman_staff.yaml`` (English, Indonesian).
* ``docs/images/telegram-interview.png``: the real bot (python-telegram-bot, SQLite) talking to
  the fake Bot API in ``fakebotapi/``; the chat as the server recorded it is drawn as HTML and
  photographed by headless chromium. Every text in it is one the bot sent.
* ``docs/flow-diagram.mmd``: ``matang flows diagram ogmm-social-media --lang en``, included in
  ``docs/flows.md``.
"""

from __future__ import annotations

import asyncio
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
IMAGES = ROOT / "docs" / "images"
FLOW = "ogmm-social-media"


def chart_pictures() -> None:
    """The result chart of the Sleman case, in both languages."""
    from bot.charts import render_chart
    from bot.commands.common import resolve_flow
    from bot.commands.score import read_answers_file
    from scoring.answer_file import score_answers

    flow = resolve_flow(FLOW)
    answers = read_answers_file(ROOT / "tests" / "cases" / "sleman_staff.yaml")
    for lang, name in (("en", "result-chart.png"), ("id", "hasil-grafik.png")):
        assessment, problems = score_answers(flow, answers, lang)
        assert assessment is not None, problems
        (IMAGES / name).write_bytes(render_chart(assessment, lang))


def diagram() -> None:
    """The flow's Mermaid diagram, as the CLI prints it."""
    out = subprocess.run([sys.executable, "-m", "bot.cli", "flows", "diagram", FLOW, "--lang", "en"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    (ROOT / "docs" / "flow-diagram.mmd").write_text(out.stdout, encoding="utf-8")


async def _chat(db: Path, questions: int) -> list[tuple[str, str, list[list[str]]]]:
    """Start an interview in Indonesian and answer ``questions`` steps; the chat in order as
    (who, text, button rows)."""
    from bot.commands.score import read_answers_file
    from fakebotapi import FakeBotApi
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_flow
    from tests.telegram_helpers import TOKEN, answer, asked, matang_bot

    given = read_answers_file(ROOT / "tests" / "cases" / "sleman_staff.yaml")
    engine = engine_for(load_flow(FLOW))

    async with FakeBotApi(token=TOKEN) as api, matang_bot(api, db, flow=FLOW) as (_, store):
        user = api.user(4242, first_name="Sari", language_code="id")
        await user.send("/start")
        prompt = await user.next_message()
        await user.press_button("Ya, saya bersedia", prompt)
        await user.next_message()
        await user.next_message()
        for _ in range(questions):
            q = engine.current((await asked(user, store)).session)
            await answer(user, store, given.get(q.id))
        log = api.chat_log(user.id)
        items: list[tuple[int, str, str, list[list[str]]]] = []
        for mid, m in log.messages.items():
            if m.kind == "text":
                items.append((mid, "bot", m.plain_text, [[b.text for b in row] for row in m.buttons]))
        for mid, m in log.user_messages.items():
            if m.get("text"):
                items.append((mid, "user", m["text"], []))
        return [(who, text, buttons) for _, who, text, buttons in sorted(items)]


def _html(chat: list[tuple[str, str, list[list[str]]]]) -> str:
    bubbles = []
    for who, text, buttons in chat:
        keys = "".join("<div class=row>" + "".join(f"<span class=key>{html.escape(b)}</span>" for b in row)
                       + "</div>" for row in buttons)
        bubbles.append(f"<div class='msg {who}'><div class=text>{html.escape(text)}</div>{keys}</div>")
    return """<!doctype html><meta charset=utf-8><style>
body{margin:0;background:#d6e4c8;font:15px/1.35 'DejaVu Sans',sans-serif;width:520px}
.head{background:#517da2;color:#fff;padding:12px 16px;font-weight:bold}
.chat{padding:10px 12px}
.msg{max-width:430px;margin:6px 0;clear:both}
.msg .text{background:#fff;border-radius:10px;padding:8px 11px;white-space:pre-wrap;box-shadow:0 1px 1px #0002}
.user{float:right}.user .text{background:#e1fec6}
.bot{float:left}
.row{display:flex;gap:4px;margin-top:4px}
.key{flex:1;text-align:center;background:#0000002a;color:#fff;border-radius:8px;padding:7px 4px;font-size:14px}
.end{clear:both}
</style><div class=head>Matang</div><div class=chat>""" + "".join(bubbles) + "<div class=end></div></div>"


def _trim(png: Path) -> None:
    """Cut the empty chat background off the bottom of the screenshot."""
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        background = rgb.getpixel((rgb.width - 2, rgb.height - 2))
        bottom = rgb.height
        while bottom > 1 and all(rgb.getpixel((x, bottom - 1)) == background for x in range(0, rgb.width, 7)):
            bottom -= 1
        rgb.crop((0, 0, rgb.width, min(rgb.height, bottom + 24))).save(IMAGES / "telegram-interview.png")


def telegram_picture(questions: int = 3) -> None:
    """A screenshot of the start of a Telegram interview with the real bot."""
    with tempfile.TemporaryDirectory() as tmp:
        chat = asyncio.run(_chat(Path(tmp) / "matang.db", questions))
        page = Path(tmp) / "chat.html"
        page.write_text(_html(chat), encoding="utf-8")
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        assert browser, "needs chromium (apt-get install -y chromium)"
        shot = Path(tmp) / "shot.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--force-device-scale-factor=2", "--window-size=520,2400",
                        f"--screenshot={shot}", page.as_uri()], check=True, capture_output=True, timeout=120)
        _trim(shot)


if __name__ == "__main__":
    IMAGES.mkdir(parents=True, exist_ok=True)
    chart_pictures()
    diagram()
    telegram_picture()
