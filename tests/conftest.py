"""Shared fixtures: paths to the repository and the test flows, and the
fake Bot API server the Telegram tests talk to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import outside_reads

ROOT = Path(__file__).resolve().parents[1]
TEST_FLOWS = Path(__file__).parent / "flows"

# Nothing the tests do may read beside the checkout (a fresh clone has nothing there).
_OUTSIDE_READS = outside_reads.install(ROOT)


def pytest_sessionfinish(session, exitstatus):
    """Fail the run when anything read a file or folder beside the checkout."""
    if _OUTSIDE_READS.seen:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    """Name every path read beside the checkout, and the code that read it."""
    if _OUTSIDE_READS.seen:
        terminalreporter.section("reads beside the checkout", red=True)
        terminalreporter.write_line(_OUTSIDE_READS.report())


@pytest.fixture
def small_flow():
    """The small test flow with every question type and skip logic."""
    from interview_flows.loader import load_flow_file, register_flow

    return register_flow(load_flow_file(TEST_FLOWS / "small.yaml"))


@pytest.fixture
async def api():
    """A running fake Bot API server on 127.0.0.1 (tests that drive a subprocess define their own,
    threaded one under the same name)."""
    from fakebotapi import FakeBotApi
    from tests.telegram_helpers import TOKEN

    async with FakeBotApi(token=TOKEN) as server:
        yield server
