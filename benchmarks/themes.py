"""Themes: precision and recall of the theme matcher on a labelled set, per theme and overall.

The set (``benchmarks/data/themes.yaml``) holds short answers written as officials answer, in
Bahasa Indonesia and English, with negations, typos and answers that name no theme; each carries
the themes a careful coder gives it. Also the cost of matching, beside a floor in the same run
(splitting the same texts into words).

Run: ``python -m benchmarks themes``.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import yaml

from scoring.themes import load_codebook, match_text

DATA = Path(__file__).with_name("data") / "themes.yaml"
ROUNDS = 200
QUICK_ROUNDS = 20


def labelled(floor_only: bool = False) -> list[dict[str, Any]]:
    """The labelled answers (``lang``, ``text``, ``themes``), or only those marked ``floor``."""
    answers = yaml.safe_load(DATA.read_text("utf-8"))["answers"]
    return [a for a in answers if a.get("floor") or not floor_only]


def score(answers: list[dict[str, Any]]) -> dict[str, dict[str, float | int]]:
    """Per theme (and ``overall``): true and false positives, false negatives, precision, recall."""
    ids = load_codebook().ids
    counts = {t: {"tp": 0, "fp": 0, "fn": 0} for t in (*ids, "overall")}
    for a in answers:
        found = {theme for theme, _, _ in match_text(a["text"])}
        gold = set(a["themes"])
        for t in ids:
            key = "tp" if t in found and t in gold else "fp" if t in found else "fn" if t in gold else None
            if key:
                counts[t][key] += 1
                counts["overall"][key] += 1
    out: dict[str, dict[str, float | int]] = {}
    for t, c in counts.items():
        found, gold = c["tp"] + c["fp"], c["tp"] + c["fn"]
        out[t] = {**c, "precision": c["tp"] / found if found else 1.0, "recall": c["tp"] / gold if gold else 1.0}
    return out


def mistakes(answers: list[dict[str, Any]]) -> list[tuple[str, set[str], set[str]]]:
    """The answers where the matcher and the coder differ: (text, found, gold)."""
    out = []
    for a in answers:
        found = {theme for theme, _, _ in match_text(a["text"])}
        if found != set(a["themes"]):
            out.append((a["text"], found, set(a["themes"])))
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """Print the table and return the overall figures and the timing beside its floor."""
    answers = labelled()
    table = score(answers)
    print(
        f"{len(answers)} labelled answers ({sum(a['lang'] == 'id' for a in answers)} id, "
        f"{sum(a['lang'] == 'en' for a in answers)} en)"
    )
    print(f"{'theme':<20}{'precision':>10}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}")
    for t, c in table.items():
        print(f"{t:<20}{c['precision']:>10.2f}{c['recall']:>8.2f}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}")
    for text, found, gold in mistakes(answers):
        print(f"  differs: {text!r} found {sorted(found)} coded {sorted(gold)}")
    texts = [a["text"] for a in answers]
    rounds = QUICK_ROUNDS if quick else ROUNDS
    word = re.compile(r"\w+")
    started = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            word.findall(t.lower())
    floor = (time.perf_counter() - started) / (rounds * len(texts))
    started = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            match_text(t)
    per_text = (time.perf_counter() - started) / (rounds * len(texts))
    print(f"matching: {per_text * 1e6:.0f} µs per answer, {per_text / floor:.0f}× splitting it into words")
    overall = table["overall"]
    return {
        "answers": len(answers),
        "precision": round(overall["precision"], 3),
        "recall": round(overall["recall"], 3),
        "us_per_answer": round(per_text * 1e6, 1),
        "ratio_to_split": round(per_text / floor, 1),
    }


__all__ = ["labelled", "mistakes", "run", "score"]
