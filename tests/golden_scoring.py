"""Golden scoring outputs: inputs with rich free text, and every result ``assess`` gives for them.

``tests/data/golden/scoring.jsonl.xz`` holds, one JSON line each, sessions (with the flow
version they were answered in) and texts, together with what the scoring code gave for them when
the file was written: the whole assessment (level, every criterion, profile, confidence,
blockers, themes with their spans, the advice plan, notes, consistency, variables), the result in
words in both languages, an organisation combining neighbours, and each text's theme matches.
``tests/test_scoring_golden.py`` checks that today's code gives exactly the same, so a change
meant only to make scoring faster cannot change a result unnoticed.

The file was written by the code before the speed-up of issue 17 and is rewritten only on
purpose, when a result is meant to change (``python -m tests.golden_scoring --write``).
"""

from __future__ import annotations

import json
import lzma
import random
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "data" / "golden" / "scoring.jsonl.xz"
SEED = 1717
SESSIONS = 800
TEXTS = 4000
COMBINED = 60


def canonical(assessment: Any) -> dict[str, Any]:
    """Everything an assessment holds, as JSON: ``to_dict()`` and what it leaves out."""
    data = assessment.to_dict()
    data["all_criteria"] = [
        [c.id, c.level, c.facet, c.fulfilment, c.rating, list(c.evidence)] for c in assessment.criteria
    ]
    data["rule"] = assessment.rule
    data["variables"] = {k: v.model_dump() for k, v in sorted(assessment.variables.items())}
    data["levels_exact"] = [[lv.level, lv.fulfilment, lv.achieved] for lv in assessment.levels]
    data["confidence_exact"] = assessment.confidence
    return data


def _word_pool() -> list[str]:
    """Words that matter to the theme matcher, and words that do not."""
    from scoring.themes import _FILLERS, _OBSTACLE_WORDS

    book = yaml.safe_load((ROOT / "scoring" / "data" / "themes.yaml").read_text("utf-8"))
    words: list[str] = []
    for theme in book["themes"]:
        for lang in ("id", "en"):
            for cue in theme["cues"][lang]:
                words.extend(cue.lstrip("!=").split())
    for group in book["negation"].values():
        for w in group:
            words.extend(w.lstrip("!=").split())
    words += sorted(_FILLERS) + list(_OBSTACLE_WORDS)
    bench = yaml.safe_load((ROOT / "benchmarks" / "data" / "themes.yaml").read_text("utf-8"))
    for a in bench["answers"]:
        words.extend(a["text"].split())
    words += [
        "don't", "isn't", "it’s", "kami’", "İzin", "ŞEHİR", "naïve", "straße", "Ödeme", "café",
        "SP4N-LAPOR!", "_underscore_", "x_y", "2023", "3,5", "e-mail", "co-creation", "AnGgArAn",
        "…", "—", "«kutipan»", "Ⅻ", "ﬁle", "Ǆemal", "ΣΊΣΥΦΟΣ",
    ]  # fmt: skip
    return sorted(set(words))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word
    k = rng.randrange(len(word))
    kind = rng.randrange(4)
    if kind == 0:
        return word[:k] + word[k + 1 :]
    if kind == 1:
        return word[:k] + rng.choice("aeiounrst") + word[k:]
    if kind == 2:
        return word[:k] + rng.choice("aeiounrst") + word[k + 1 :]
    if k + 1 < len(word):
        return word[:k] + word[k + 1] + word[k] + word[k + 2 :]
    return word


def make_texts(n: int, rng: random.Random) -> list[str]:
    """``n`` texts: the labelled benchmark answers, and random sentences of matcher words."""
    bench = yaml.safe_load((ROOT / "benchmarks" / "data" / "themes.yaml").read_text("utf-8"))
    texts = [a["text"] for a in bench["answers"]]
    pool = _word_pool()
    seps = [" ", " ", " ", " ", ", ", ". ", "; ", "! ", "? ", " - ", "  ", "\n", " (", ") "]
    while len(texts) < n:
        out = []
        for _ in range(rng.randint(1, 24)):
            w = rng.choice(pool)
            r = rng.random()
            if r < 0.12:
                w = _typo(w, rng)
            elif r < 0.2:
                w = w.upper() if rng.random() < 0.5 else w.capitalize()
            out.append(w)
            out.append(rng.choice(seps))
        texts.append("".join(out).strip() or "tidak ada")
    return texts


def _text_answer(texts: list[str], rng: random.Random) -> Any:
    r = rng.random()
    if r < 0.7:
        return rng.choice(texts)
    if r < 0.85:
        parts = [{"kind": "text", "text": rng.choice(texts)}]
        if rng.random() < 0.7:
            parts.append({"kind": "probe", "text": rng.choice(texts)})
        else:
            parts.append({"kind": "probe", "skipped": True})
        return {"parts": parts}
    if r < 0.95:
        return [rng.choice(texts) for _ in range(rng.randint(1, 3))]
    return "dont_know"


def make_inputs() -> tuple[list[dict[str, Any]], list[str]]:
    """The golden sessions (flow version and answers) and texts, the same every time."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.scoring import make_sessions
    from interview_flows.loader import DEFAULT_FLOW_ID, flow_versions

    rng = random.Random(SEED)
    texts = make_texts(TEXTS, rng)
    sessions: list[dict[str, Any]] = []
    for case in ("kemlu_staff", "sleman_staff"):
        answers = yaml.safe_load((ROOT / "tests" / "cases" / f"{case}.yaml").read_text("utf-8"))
        sessions.append({"case": case, "version": None, "answers": answers})
        old = ROOT / "tests" / "cases" / "1.0.0" / f"{case}.yaml"
        if old.exists():
            sessions.append({"case": f"1.0.0/{case}", "version": "1.0.0", "answers": yaml.safe_load(old.read_text())})
    versions = flow_versions(DEFAULT_FLOW_ID)
    per_version = SESSIONS // len(versions)
    for v_i, flow in enumerate(versions):
        for s_i, answers in enumerate(make_sessions(flow, per_version, seed=SEED + v_i)):
            for q in flow.questions:
                if q.type == "text" and q.id in answers and answers[q.id] != "dont_know":
                    answers[q.id] = _text_answer(texts, rng)
            if s_i % 10 == 3:  # answers the interview would not have asked, and one unknown
                extra = rng.choice([q for q in flow.questions if q.answerable])
                answers.setdefault(extra.id, "dont_know")
                answers["no_such_question"] = "x"
            sessions.append({"case": None, "version": flow.version, "answers": answers})
    return sessions, texts


def compute(sessions: list[dict[str, Any]], texts: list[str]) -> list[dict[str, Any]]:
    """What today's scoring code gives for the golden inputs, one record per line of the file."""
    from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
    from scoring.answer_file import score_answers
    from scoring.assessment import assess
    from scoring.narrative import render_text
    from scoring.organisation import combine
    from scoring.themes import match_text

    records: list[dict[str, Any]] = []
    assessed = []
    for s in sessions:
        flow = load_flow(DEFAULT_FLOW_ID, s["version"])
        if s["case"] is not None:
            a, problems = score_answers(flow, s["answers"], "en")
            assert a is not None, problems
        else:
            a = assess(flow, s["answers"])
        assessed.append((flow, a))
        records.append(
            {
                "kind": "session",
                "input": s,
                "assessment": canonical(a),
                "text": {lang: render_text(a, lang, flow) for lang in ("id", "en")},
            }
        )
    for k in range(COMBINED):
        group = assessed[k * 5 : k * 5 + 1 + k % 5]
        org = combine([a for _, a in group])
        records.append(
            {
                "kind": "organisation",
                "input": [k * 5, k * 5 + 1 + k % 5],
                "assessment": canonical(org) | {"org": org.to_dict()},
                "text": {lang: render_text(org, lang) for lang in ("id", "en")},
            }
        )
    for t in texts:
        records.append({"kind": "text", "input": t, "matches": [list(m) for m in match_text(t)]})
    return records


def read_golden() -> list[dict[str, Any]]:
    """The committed golden records."""
    with lzma.open(GOLDEN, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_golden() -> None:
    """Compute the records with today's code and write them (only when a result is meant to change)."""
    sessions, texts = make_inputs()
    records = compute(sessions, texts)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    # xz, not gzip: the records repeat the same suggestion texts far apart, which only a large
    # dictionary finds (a tenth of the size).
    with lzma.open(GOLDEN, "wt", encoding="utf-8", preset=9) as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(records)} records written to {GOLDEN}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.golden_scoring --write")
    write_golden()
