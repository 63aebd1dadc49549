"""Soak (``-m soak``, not in the default run): 100 respondents interviewing for a minute through the
real bot in its own process, with the code of ``python -m benchmarks soak`` (see ``benchmarks/soak.py``):
no error, no acknowledged answer lost or changed, no answer recorded twice, memory flat."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.soak import QUICK, report, soak

pytestmark = pytest.mark.soak

RSS_GROWTH_MB = 20.0
"""How much the bot's resident memory may grow from "everyone active" to the end of the minute.
A leak of one kilobyte per update (about 10,000 updates in this run) would already exceed it."""


def test_a_minute_of_a_hundred_respondents_loses_nothing_and_memory_stays_flat(tmp_path):
    figures = asyncio.run(soak(QUICK["users"], QUICK["seconds"], think=QUICK["think"], echo_seconds=0,
                               workdir=tmp_path))
    report(figures)
    assert figures["errors"] == 0, figures["first_error"]
    assert figures["lost_answers"] == 0, figures["first_loss"]
    assert figures["duplicated_answer_events"] == 0
    assert figures["stored_but_not_acknowledged"] == 0
    # How many interviews finish in a minute depends on the machine (one bot process saturates one
    # core at about 110-130 answers a second); what must hold anywhere is correctness and memory.
    assert figures["answers"] > 1000, figures
    growth = figures["bot_rss_end_mb"] - figures["bot_rss_start_mb"]
    assert growth < RSS_GROWTH_MB, figures["bot_rss_timeline_mb"]
