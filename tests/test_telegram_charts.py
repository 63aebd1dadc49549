"""The result chart is drawn in a worker process, not in the bot's, and drawn once per session."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from bot.chart_worker import NICENESS, ChartWorker
from bot.telegram.context import KEY
from tests.telegram_helpers import PNG_MAGIC, ROOT, consent, matang_bot, run_interview


def photos(user) -> list:
    return [m for m in user.messages if m.kind == "photo"]


async def test_a_finished_interview_gets_the_real_chart_and_result_sends_it_again_undrawn(api, tmp_path):
    async with matang_bot(api, tmp_path / "m.db", chart=None) as (app, store):
        worker: ChartWorker = app.bot_data[KEY].charts
        assert worker.replacement is None  # the real chart, as `matang run` draws it
        sari = api.user(1001)
        await consent(sari)
        await run_interview(sari, store)
        first = await sari.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=20)
        assert first.message.photo.startswith(PNG_MAGIC)
        assert worker.drawn == 1
        await sari.send("/result")
        again = await sari.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=20)
        assert again.message.photo == first.message.photo
        assert worker.drawn == 1  # from the cache
        budi = api.user(1002)
        await consent(budi)
        await run_interview(budi, store)
        await budi.next_event(lambda e: e.kind == "sent" and e.message.kind == "photo", timeout=20)
        assert worker.drawn == 2  # another session, its own chart
    assert len(photos(sari)) == 2 and len(photos(budi)) == 1


def test_the_bots_process_never_imports_the_drawing_library():
    """Drawn in this process, a matplotlib chart held the interpreter for ~0.45 s and every respondent
    waited; Pillow's is short, but its first chart (imports, fonts) and a burst of them are not."""
    script = textwrap.dedent("""
        import asyncio, sys
        from bot.chart_worker import ChartWorker
        from interview_flows.loader import load_named_flow
        from scoring.assessment import assess

        flow = load_named_flow("ogmm-social-media")
        assessment = assess(flow, {}).to_dict()

        async def main():
            worker = ChartWorker()
            worker.start()
            try:
                png = await worker.chart("s1", assessment, "en")
                png_again = await worker.chart("s1", assessment, "en")
                other = await worker.chart("s1", assessment, "id")
            finally:
                await worker.close()
            assert png.startswith(b"\\x89PNG") and png_again is png and other != png, "charts"
            assert worker.drawn == 2, worker.drawn
            assert "PIL" not in sys.modules, "Pillow imported in the bot's process"
            print("ok")

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def _children_niceness() -> dict[int, int]:
    """This process's children and their niceness (from /proc: field 19 of stat)."""
    out = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            out[int(entry.name)] = int(fields[16])
    return out


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads niceness from /proc (Linux)")
async def test_the_chart_worker_runs_below_the_bot_in_cpu_priority():
    """A burst of finished interviews queues charts in the worker; those still answering come first."""
    from interview_flows.loader import load_named_flow
    from scoring.assessment import assess

    before = set(_children_niceness())
    worker = ChartWorker()
    worker.start()
    try:
        png = await worker.chart("s1", assess(load_named_flow("ogmm-social-media"), {}).to_dict(), "id")
        workers = {pid: nice for pid, nice in _children_niceness().items() if pid not in before}
    finally:
        await worker.close()
    assert png.startswith(PNG_MAGIC)
    assert workers, "no worker process found"
    assert all(nice >= os.nice(0) + NICENESS for nice in workers.values()), workers
