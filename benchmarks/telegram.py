"""The Telegram bot under load, beside a stock python-telegram-bot echo bot, in the same run.

The fake Bot API server and the simulated respondents run in a process of their own
(:mod:`benchmarks.telegram_load`); the bots run here, one at a time, so the CPU this process uses
while they answer is the bot's own. For 1, 10, 50 and 100 respondents at once, each answering a
whole interview (the result and its real chart included), we measure Matang's answers a second
(from the first answer to the last answer's reply, as the echo bot's replies a second run to its
last reply; the charts still queued in the worker then are timed apart),
the latency from an answer to the bot's next question or, after the last answer, to the result
(p50/p99; button presses and typed answers apart; the time to the chart apart), the Bot API calls per answer and the bot's CPU per answer; then the same for a stock echo
bot with the library's default HTTP client (the floor) and for the echo bot on Matang's transport.
Matang runs without the flood limiter (a local server has none) and logs as `matang run` does
(into /dev/null). The chart is drawn in Matang's worker process: its CPU is shown apart.
Each echo user sends as many texts as a respondent gives answers. The small concurrencies are
short, so each is measured in rounds (1 respondent 5 times, 10 four times, 50 twice, 100 once),
the three bots taking turns within a round; a row pools its rounds.

    python -m benchmarks telegram [--quick]
"""


from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from benchmarks.echo import build_echo_application, polling
from benchmarks.load import drive, percentile
from fakebotapi import BotMessage, FakeBotApi, SimUser

FLOW = "ogmm-social-media"
CONCURRENCY = 64
QUESTION_KINDS = ("a", "t", "m", "n", "s")
_DATA = re.compile(r"^([atmns]):(\d+):(\d+)(?::(\w+))?$")


class Respondent:
    """Answers whatever the bot asks: the first choice, a small number, a short text."""

    def __init__(self) -> None:
        from interview_flows.loader import load_flow

        self.flow = load_flow(FLOW)
        self.by_text = {f"<b>{escape(q.text.get('id'))}</b>": q for q in self.flow.questions}

    def question(self, message: BotMessage) -> Any:
        for row in message.buttons:
            for b in row:
                m = _DATA.match(b.data or "")
                if m:
                    return self.flow.questions[int(m.group(3))]
        text = message.text or ""
        return next((q for marker, q in self.by_text.items() if marker in text), None)

    def __call__(self, user: SimUser, last: BotMessage | None) -> Any:
        if last is None:
            return None
        send = next((b.data for row in last.buttons for b in row if (b.data or "").startswith("k:")
                     and b.data.endswith(":s")), None)
        if send is not None:  # the final check: send the answers as they are
            return ("press", lambda b: b.data == send)
        q = self.question(last)
        if q is None:
            return None
        data = {b.text: b.data for row in last.buttons for b in row}

        def press(prefix: str) -> tuple[str, Any]:
            wanted = next(d for d in data.values() if d.startswith(prefix))
            return ("press", lambda b: b.data == wanted)

        if q.type == "note":
            return press("n:")
        if q.type == "multiple_choice":
            return press("m:" if any(text.startswith("✓") for text in data) else "t:")
        if q.type in ("single_choice", "yes_no", "scale"):
            return press("a:")
        if q.type == "number":
            return str(int(q.min or 0) + 1)
        return "Kami membalas komentar setiap pagi."


def is_reply(message: BotMessage) -> bool:
    """A turn's reply: the next question (or a question's keyboard after a tick), not the edit
    that shows the answer just given."""
    if any((b.data or "")[:2] in ("t:", "m:") for row in message.buttons for b in row):
        return True
    text = message.text or ""
    if not text.startswith("<i>") or "✅" in text or "⏭" in text:
        return False
    # A note loses its button once passed; a question to type has no buttons but a bold text.
    return bool(message.buttons) or "<b>" in text


async def start_interviews(api: FakeBotApi, n_users: int, first_id: int) -> None:
    """Every user sends /start and agrees (not timed)."""
    async def begin(user: SimUser, last: BotMessage | None) -> Any:
        if last is None:
            return "/start"
        if last.buttons and last.buttons[0][0].data.startswith("c:y"):
            return ("press", lambda b: b.data.startswith("c:y"))
        return None

    def ready(m: BotMessage) -> bool:
        return bool(m.buttons) and (m.buttons[0][0].data or "")[:2] in ("c:", "n:")

    await drive(api, n_users, 3, begin, until=ready, first_user_id=first_id, timeout=30)


ROOT = Path(__file__).resolve().parents[1]
# Concurrency → rounds: the small ones are short, so they are measured more than once.
ROUNDS = {1: 5, 10: 4, 50: 2, 100: 1}
QUICK_ROUNDS = {1: 1, 10: 1}
_CLOCK = os.sysconf("SC_CLK_TCK")


def children_cpu_s(exclude: int) -> float:
    """CPU seconds used so far by this process's children but ``exclude`` (the chart worker)."""
    total, me = 0.0, str(os.getpid())
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or entry.name == str(exclude):
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # ppid
            total += (int(fields[11]) + int(fields[12])) / _CLOCK
    return total


class Load:
    """The load process: the fake server and the respondents (:mod:`benchmarks.telegram_load`)."""

    async def __aenter__(self) -> Load:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.telegram_load", cwd=ROOT,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 24)  # a line carries every latency of a run (100 respondents: 7,300)
        hello = await self.read()
        self.base_url, self.token = hello["base_url"], hello["token"]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"quit": true}\n')
        await self.proc.stdin.drain()
        await self.proc.wait()

    async def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the load process ended early")
        return json.loads(line)

    async def measure(self, **command: Any) -> dict[str, Any]:
        """Run one command; its figures plus the bot's CPU seconds (``cpu_s``) and the chart
        worker's (``chart_cpu_s``) during the timed part."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command).encode() + b"\n")
        await self.proc.stdin.drain()
        assert (await self.read()) == {"timed": "start"}
        cpu, children = time.process_time(), children_cpu_s(self.proc.pid)
        figures = await self.read()
        figures["cpu_s"] = time.process_time() - cpu
        figures["chart_cpu_s"] = children_cpu_s(self.proc.pid) - children
        return figures


async def measure_matang(load: Load, users: int, first: int) -> dict[str, Any]:
    """Matang: ``users`` respondents answering whole interviews at once."""
    from bot.memory import tune_garbage_collector
    from bot.settings import Settings
    from bot.store import Store
    from bot.telegram.app import build_application, running
    from bot.telegram.context import KEY
    from scoring.assessment import assess

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        settings = Settings(telegram_token=None, telegram_api_url=load.base_url, db=db, flow=FLOW, _env_file=None)
        store = Store.open(db)
        app = build_application(settings, store, token=load.token, rate_limit=False, concurrency=CONCURRENCY)
        tune_garbage_collector()  # as `matang run` does
        try:
            async with running(app, poll_timeout=10):
                # The worker imports Pillow and warms up at start; let it, before the clock runs.
                empty = assess(app.bot_data[KEY].flow, {}).to_dict()
                await app.bot_data[KEY].charts.chart("warm-up", empty, "id")
                return await load.measure(run="matang", users=users, first=first)
        finally:
            store.close()


async def measure_echo(load: Load, users: int, turns: int, first: int, transport: str | None) -> dict[str, Any]:
    """The echo bot (``transport`` None: the library's default HTTP client), same concurrency."""
    app = build_echo_application(load.base_url, load.token, CONCURRENCY, transport)
    async with polling(app):
        return await load.measure(run="echo", users=users, turns=turns, first=first)


def _row(users: int, matang: dict[str, Any], echo: dict[str, Any], fast_echo: dict[str, Any],
         rounds: int) -> dict[str, Any]:
    def rate(f: dict[str, Any]) -> float:
        return round(f["answers"] / f["seconds"], 1) if f["seconds"] else 0.0

    def per_answer(f: dict[str, Any], value: float) -> float:
        return round(value / f["answers"], 3) if f["answers"] else 0.0

    def api_calls(f: dict[str, Any]) -> int:
        return sum(n for method, n in f["calls"].items() if method != "getUpdates")

    row = {
        "users": users,
        "rounds": rounds,
        "answers": matang["answers"],
        "presses": matang["kinds"]["press"]["count"],
        "typed": matang["kinds"]["typed"]["count"],
        "errors": matang["errors"] + echo["errors"] + fast_echo["errors"],
        "first_error": matang["first_error"] or echo["first_error"] or fast_echo["first_error"],
        "answers_per_s": rate(matang),
        "echo_per_s": rate(echo),
        "echo_fast_per_s": rate(fast_echo),
        "p50_ms": matang["p50_ms"], "p99_ms": matang["p99_ms"],
        "press_p99_ms": matang["kinds"]["press"]["p99_ms"], "typed_p99_ms": matang["kinds"]["typed"]["p99_ms"],
        "echo_p50_ms": echo["p50_ms"], "echo_p99_ms": echo["p99_ms"],
        "echo_fast_p50_ms": fast_echo["p50_ms"], "echo_fast_p99_ms": fast_echo["p99_ms"],
        "calls_per_answer": per_answer(matang, api_calls(matang)),
        "polls_per_answer": per_answer(matang, matang["calls"].get("getUpdates", 0)),
        "echo_calls_per_reply": per_answer(echo, api_calls(echo)),
        "cpu_ms_per_answer": per_answer(matang, matang["cpu_s"] * 1000),
        "echo_cpu_ms_per_reply": per_answer(echo, echo["cpu_s"] * 1000),
        "echo_fast_cpu_ms_per_reply": per_answer(fast_echo, fast_echo["cpu_s"] * 1000),
        "chart_cpu_ms_per_interview": round(matang["chart_cpu_s"] * 1000 / (users * rounds), 1),
        "charts": matang["charts"]["count"],
        "chart_p50_ms": matang["charts"]["p50_ms"],
        "chart_max_ms": matang["charts"]["max_ms"],
        "calls": matang["calls"],
        # How busy the other side was: near 1.0, the fake server and respondents set the pace.
        "load_busy": round(matang["load_cpu_s"] / matang["whole_seconds"], 2) if matang["whole_seconds"] else 0.0,
        "charts_done_s": round(matang["whole_seconds"] - matang["seconds"], 2),
        "echo_load_busy": round(echo["load_cpu_s"] / echo["seconds"], 2) if echo["seconds"] else 0.0,
    }
    row["rate_vs_echo"] = round(row["answers_per_s"] / row["echo_per_s"], 2) if row["echo_per_s"] else 0.0
    row["p99_vs_echo"] = round(row["p99_ms"] / row["echo_p99_ms"], 2) if row["echo_p99_ms"] else 0.0
    row["cpu_vs_echo"] = (round(row["cpu_ms_per_answer"] / row["echo_cpu_ms_per_reply"], 2)
                          if row["echo_cpu_ms_per_reply"] else 0.0)
    return row


def pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One or several runs' figures as one: counts, seconds and CPU added up, latencies pooled and
    their percentiles taken (so a rate is all the answers over all the seconds)."""
    out: dict[str, Any] = {"errors": sum(r["errors"] for r in runs),
                           "first_error": next((r["first_error"] for r in runs if r["first_error"]), None)}
    for key in ("answers", "seconds", "cpu_s", "chart_cpu_s", "load_cpu_s", "whole_seconds"):
        if key in runs[0]:
            out[key] = round(sum(r[key] for r in runs), 4)
    calls: Counter[str] = Counter()
    for r in runs:
        calls.update(r["calls"])
    out["calls"] = dict(calls)
    every: list[float] = []
    out["kinds"] = {}
    for kind in runs[0]["samples"]:
        ordered = sorted(x for r in runs for x in r["samples"][kind])
        every += ordered
        out["kinds"][kind] = {"count": len(ordered), "p50_ms": round(percentile(ordered, 50), 2),
                              "p99_ms": round(percentile(ordered, 99), 2)}
    every.sort()
    out["p50_ms"], out["p99_ms"] = round(percentile(every, 50), 3), round(percentile(every, 99), 3)
    if "chart_samples" in runs[0]:
        ordered = sorted(x for r in runs for x in r["chart_samples"])
        out["charts"] = {"count": len(ordered), "p50_ms": round(percentile(ordered, 50), 1),
                         "max_ms": round(ordered[-1], 1) if ordered else 0.0}
    return out


async def _run(quick: bool) -> dict[str, Any]:
    sizes = QUICK_ROUNDS if quick else ROUNDS
    rows: list[dict[str, Any]] = []
    async with Load() as load:
        warm_up = await measure_matang(load, 1, 10_000)  # imports, the flow, the first connections
        # Each echo user sends as many texts as a respondent gives answers in one interview.
        turns = 15 if quick else warm_up["answers"]
        first = 100_000
        for users, rounds in sizes.items():
            # Rounds interleaved (echo, echo on our transport, Matang; again): a few quiet or busy
            # seconds on the machine fall on all three, and a small concurrency is measured for
            # long enough to mean something (one interview of one respondent is a fifth of a second).
            runs: dict[str, list[dict[str, Any]]] = {"echo": [], "fast": [], "matang": []}
            for _ in range(rounds):
                runs["echo"].append(await measure_echo(load, users, turns, first, None))
                runs["fast"].append(await measure_echo(load, users, turns, first + 1000, "aiohttp"))
                runs["matang"].append(await measure_matang(load, users, first + 2000))
                first += 3000
            row = _row(users, pooled(runs["matang"]), pooled(runs["echo"]), pooled(runs["fast"]), rounds)
            rows.append(row)
    return {"rows": rows}


def run(quick: bool = False) -> dict[str, Any]:
    """Measure, print a table, and return the figures (see the module docstring)."""
    from bot.logs import setup_logging
    from bot.settings import Settings

    devnull = open(os.devnull, "w")  # noqa: SIM115 - open for the whole run
    setup_logging(Settings(_env_file=None), stream=devnull)  # as `matang run` sets the loggers
    started = time.perf_counter()
    try:
        figures = asyncio.run(_run(quick))
    finally:
        devnull.close()
    print(f"{'users':>5} {'answers':>7} {'ans/s':>7} {'echo/s':>7} {'fast/s':>7} {'×echo':>6} "
          f"{'p50':>6} {'p99':>7} {'echo99':>7} {'×p99':>5} {'calls':>5} {'cpu ms':>6} {'echo':>5} {'fast':>5} "
          f"{'chart ms':>8}")
    for r in figures["rows"]:
        print(f"{r['users']:>5} {r['answers']:>7} {r['answers_per_s']:>7.1f} {r['echo_per_s']:>7.1f} "
              f"{r['echo_fast_per_s']:>7.1f} {r['rate_vs_echo']:>6.2f} {r['p50_ms']:>6.1f} {r['p99_ms']:>7.1f} "
              f"{r['echo_p99_ms']:>7.1f} {r['p99_vs_echo']:>5.2f} {r['calls_per_answer']:>5.2f} "
              f"{r['cpu_ms_per_answer']:>6.2f} {r['echo_cpu_ms_per_reply']:>5.2f} "
              f"{r['echo_fast_cpu_ms_per_reply']:>5.2f} {r['chart_cpu_ms_per_interview']:>8.0f}")
        print(f"      {r['rounds']} round(s); {r['presses']} presses (p99 {r['press_p99_ms']:.1f} ms), {r['typed']} typed "
              f"(p99 {r['typed_p99_ms']:.1f} ms); {r['charts']} charts, last answer to chart p50 "
              f"{r['chart_p50_ms']:.0f} ms, max {r['chart_max_ms']:.0f} ms, the last {r['charts_done_s']:.1f} s after the last "
              f"answer's reply; load process busy {r['load_busy']:.0%} "
              f"(echo {r['echo_load_busy']:.0%}); calls: "
              + ", ".join(f"{m} {n}" for m, n in sorted(r["calls"].items())))
        if r["errors"]:
            print(f"      {r['errors']} error(s): {r['first_error']}")
    print("ans/s: Matang's answers a second (whole interviews, charts drawn meanwhile; to the last answer's reply, "
          "as echo/s to the last reply); echo/s: the stock echo bot "
          "(library's HTTP client); fast/s: the echo bot on Matang's transport; ×echo, ×p99: Matang against the "
          "stock echo bot; calls: Bot API calls per answer (long polls apart); cpu ms: this process's CPU per "
          "answer or reply; chart ms: the chart worker's CPU per finished interview.")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick=True)))
