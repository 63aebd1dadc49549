"""Shared fixtures: paths to the repository and the test flows, and the
fake Bot API server the Telegram tests talk to."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_FLOWS = Path(__file__).parent / "flows"


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
