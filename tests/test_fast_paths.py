"""The fast paths of issue 17 agree with the straightforward ones they stand for (Hypothesis).

- a compiled condition gives what walking its parsed tree gives, for any condition and answers;
- a CSV cell written by the exports' own writer is what ``csv.writer`` writes, for any value;
- the theme matcher's shortcut for ASCII texts (one lower-casing, a set of words) finds what its
  general path (each word lower-cased on its own) finds: a text, and the same text followed by
  a clause the shortcut cannot take (a non-ASCII word after two stops), match alike;
- the themes of one answer (``answer_themes``, what the long CSV writes in an answer's row) are
  those of the session's themes (``find_themes``) that rest on that answer, in the same order.
"""

from __future__ import annotations

import csv
import io
import pickle
import string
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.research.exports.base import CsvCells, csv_cell, spreadsheet_text
from bot.research.exports.themes import by_question
from interview_flows.expressions import _eval, compile_condition, parse
from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
from scoring.themes import _compiled, answer_themes, find_themes, load_codebook, match_text

NAMES = ["a", "b", "c"]
LITERALS = st.one_of(
    st.sampled_from(["'x'", "'y'", "'dont_know'", "''", "0", "1", "2.5", "-1", "true", "false"]),
)


def _atom(depth: int) -> st.SearchStrategy[str]:
    base = st.one_of(
        st.sampled_from(NAMES),
        LITERALS,
        st.builds(lambda n: f"answered({n})", st.sampled_from(NAMES)),
        st.builds(lambda n: f"count({n})", st.sampled_from(NAMES)),
        st.builds(lambda n, v: f"selected({n}, {v})", st.sampled_from(NAMES), LITERALS),
        st.builds(lambda items: "[" + ", ".join(items) + "]", st.lists(LITERALS, min_size=1, max_size=3)),
    )
    if depth <= 0:
        return base
    return st.one_of(base, st.builds(lambda e: f"({e})", _expr(depth - 1)))


def _cmp(depth: int) -> st.SearchStrategy[str]:
    ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"])
    return st.one_of(_atom(depth), st.builds(lambda a, o, b: f"{a} {o} {b}", _atom(depth), ops, _atom(depth)))


def _expr(depth: int) -> st.SearchStrategy[str]:
    term = st.one_of(_cmp(depth), st.builds(lambda e: f"not {e}", _cmp(depth)))
    return st.builds(
        lambda parts, joins: " ".join(p if i == 0 else f"{joins[i % len(joins)]} {p}" for i, p in enumerate(parts)),
        st.lists(term, min_size=1, max_size=3),
        st.lists(st.sampled_from(["and", "or"]), min_size=1, max_size=2),
    )


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["x", "y", "dont_know", ""]),
    st.integers(-2, 3),
    st.floats(-2, 3, allow_nan=False),
    st.booleans(),
    st.lists(st.sampled_from(["x", "y", "z"]), max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(_expr(2), st.dictionaries(st.sampled_from(NAMES), VALUES))
def test_a_compiled_condition_means_what_its_tree_means(source: str, answers: dict) -> None:
    expression = parse(source)

    def outcome(evaluate: Callable[[], object]) -> object:
        # Should a condition ever raise (``0 in 'x'`` did), the compiled one must raise alike.
        try:
            return evaluate()
        except TypeError as e:
            return TypeError, str(e)

    expected = outcome(lambda: bool(_eval(expression.tree, answers)))
    assert outcome(lambda: compile_condition(expression)(answers)) == expected
    assert outcome(lambda: expression.evaluate(answers)) == expected
    # A compiled expression still travels between processes (the compiled form is made again).
    copy = pickle.loads(pickle.dumps(expression))
    assert outcome(lambda: copy.evaluate(answers)) == expected


def _csv_row(cells: list) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


CELLS = st.one_of(
    st.text(),
    st.text(alphabet=string.printable + "“”’—…İ\u2028\x00"),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.booleans(),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(CELLS, min_size=2, max_size=6))
def test_a_written_cell_is_what_csv_writer_writes(cells: list) -> None:
    assert ",".join(csv_cell(c) for c in cells) + "\r\n" == _csv_row(cells)
    safe, raw = CsvCells(raw=False), CsvCells(raw=True)
    assert ",".join(safe.recurring(c) for c in cells) + "\r\n" == _csv_row([spreadsheet_text(c) for c in cells])
    assert ",".join(raw.cell(c) for c in cells) + "\r\n" == _csv_row(cells)


def _codebook_words() -> list[str]:
    matcher = _compiled(load_codebook())
    words = sorted(w for w in matcher.vocabulary if w.isascii())
    return words + ["tidak", "belum", "ada", "kurang", "cukup", "bukan", "masalah", "not", "no", "enough", "lack"]


WORDS = _codebook_words()
TEXTS = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(WORDS).map(str.upper),
        st.sampled_from(WORDS).map(lambda w: w[:-1] if len(w) > 6 else w),  # a letter missing
        st.text(alphabet=string.ascii_letters + string.digits + "'", min_size=1, max_size=8),
    ),
    max_size=14,
).flatmap(
    lambda words: st.lists(st.sampled_from([" ", " ", ", ", ". ", "; ", "! ", "? ", "-", "\n", " '"]), min_size=len(words), max_size=len(words)).map(
        lambda seps: "".join(w + s for w, s in zip(words, seps, strict=True))
    )
)


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_the_ascii_shortcut_finds_what_the_general_path_finds(text: str) -> None:
    found = match_text(text)
    # Two stops end every clause and phrase, so what follows them cannot change what came before;
    # the non-ASCII word sends the whole text down the general path.
    general = match_text(text + " . . é")
    assert found == general


FLOW = load_flow(DEFAULT_FLOW_ID)
FREE = [q.id for q in FLOW.questions if q.type == "text"]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10_000),
    st.lists(
        st.one_of(TEXTS, st.builds(lambda a, b: {"parts": [{"kind": "text", "text": a}, {"kind": "probe", "text": b}]}, TEXTS, TEXTS)),
        min_size=len(FREE),
        max_size=len(FREE),
    ),
)
def test_an_answers_themes_are_the_sessions_themes_that_rest_on_it(seed: int, texts: list) -> None:
    from benchmarks.scoring import make_sessions

    answers = make_sessions(FLOW, 1, seed)[0]
    answers.update((qid, text) for qid, text in zip(FREE, texts, strict=True) if qid in answers)
    each = {qid: list(answer_themes(FLOW, qid, value)) for qid, value in answers.items()}
    assert by_question(find_themes(FLOW, answers)) == {qid: ids for qid, ids in each.items() if ids}


@settings(max_examples=400, deadline=None)
@given(_expr(2), st.dictionaries(st.sampled_from(NAMES), VALUES))
def test_no_condition_raises_whatever_the_answers(source: str, answers: dict) -> None:
    """A flow's condition decides what is asked next: ``0 in role`` with a text answer used to
    raise TypeError in the middle of an interview. Every condition now answers True or False."""
    expression = parse(source)
    assert expression.evaluate(answers) in (True, False)
    assert compile_condition(expression)(answers) in (True, False)


def test_a_number_is_never_inside_a_text() -> None:
    assert parse("0 in role").evaluate({"role": "x0"}) is False
    assert parse("0 not in role").evaluate({"role": "x0"}) is True
    assert parse("team in role").evaluate({"role": "ab", "team": [1, "a"]}) is True
