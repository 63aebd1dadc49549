"""The scoring fast paths of issue 17's second round agree with what they stand for (Hypothesis).

- ASCII words found by one bytes translation and a split are the words ``_WORD`` finds in the
  lower-cased text, for any ASCII text (punctuation, underscores, digits, tabs, runs of stops);
- a text's matches do not depend on what the matcher has seen before: a text matched by a fresh
  matcher (every word new) and by one that has read many texts (the no-cue set test, the words
  kept) gives the same, including non-ASCII text, apostrophes and typos;
- the cue judge that looks only at a text's marked words decides as the straightforward judge of
  the windows around each cue (kept here as the definition) decides;
- themes from ticked options, made once per answer, equal those made afresh, and a damaged tick
  (a number, a nested list) is read as before, without failing;
- the advice plan, whose suggestions are made once each, gives the same on a second assessment.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
from scoring.assessment import assess
from scoring.themes import (
    _ASCII_TOKENS,
    _WORD,
    CONTEXT_WINDOW,
    NEAR_NEGATOR,
    NEGATION_WINDOW,
    _compiled,
    _Matcher,
    _Word,
    find_themes,
    load_codebook,
    match_text,
)

FLOW = load_flow(DEFAULT_FLOW_ID)
MATCHER = _compiled(load_codebook())
WORDS = sorted(w for w in MATCHER.vocabulary if w.isascii()) + [
    "tidak", "belum", "ada", "kurang", "cukup", "bukan", "masalah", "not", "no", "enough", "lack", "tapi",
    "but", "yang", "untuk", "sudah", "sangat", "staf", "anggaran", "pelatihan", "persetujuan",
]  # fmt: skip


def _typo(word: str) -> str:
    return word[:2] + word[3:] if len(word) > 6 else word


WORD = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS).map(str.upper),
    st.sampled_from(WORDS).map(str.title),
    st.sampled_from(WORDS).map(_typo),
    st.sampled_from(["İstanbul", "kurang’nya", "don't", "staf_2", "café", "ÄRGER", "x'y'z", "ﬁnance"]),
    st.text(alphabet=string.ascii_letters + string.digits + "'_-", min_size=1, max_size=8),
)
SEPARATOR = st.sampled_from(
    [" ", " ", " ", ", ", ". ", "; ", "! ", "? ", "...", "-", "\n", "\t", " (", ") ", "/", ": "]
)
TEXTS = st.lists(st.tuples(WORD, SEPARATOR), max_size=16).map(lambda pairs: "".join(w + s for w, s in pairs))


def _bytes_words(text: str) -> list[str]:
    return text.encode("ascii").translate(_ASCII_TOKENS).replace(b".", b" . ").decode("ascii").split()


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=string.printable.replace("'", ""), max_size=80))
def test_ascii_words_by_translation_are_the_words_of_the_pattern(text: str) -> None:
    # Every stop comes out as "." (the four end a clause alike); the words are the pattern's.
    assert _bytes_words(text) == [w if w not in ".;!?" else "." for w in _WORD.findall(text.lower())]


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_the_four_stops_read_alike(text: str) -> None:
    # What the fast path relies on: a text matches the same whichever stop ends its clauses.
    for stop in ";!?":
        assert MATCHER.match(text.replace(".", stop)) == MATCHER.match(text)


@settings(max_examples=500, deadline=None)
@given(TEXTS)
def test_a_text_matches_alike_whatever_the_matcher_has_read_before(text: str) -> None:
    fresh = _Matcher(load_codebook())  # every word of the text is new to it
    assert fresh.match(text) == MATCHER.match(text) == match_text(text)
    assert fresh.match(text) == fresh.match(text)  # now from the words it keeps


# --- the straightforward judge, kept as the definition of when a cue counts ----------------------


def _negated(tokens: Sequence[_Word], i: int, before: range, after: range, standalone: bool) -> bool:
    problem_before = negator_before = False
    for k in before:
        if tokens[k].neg:
            negator_before = True
            nxt = k + 1
            while nxt < i and tokens[nxt].filler:
                nxt += 1
            if (nxt < i and tokens[nxt].problem) or (nxt == i and standalone):
                return True
        if (
            tokens[k].enough
            and all(tokens[m].filler for m in range(k + 1, i))
            and not any(tokens[m].neg or tokens[m].problem for m in range(max(0, k - 3), k))
        ):
            return True
        if tokens[k].problem:
            problem_before = True
    negator_after = problem_after = False
    for k in after:
        if tokens[k].neg:
            negator_after = True
            if any(tokens[m].problem for m in range(k + 1, min(k + 3, len(tokens)))):
                return True
        if tokens[k].enough and not (tokens[k - 1].neg or tokens[k - 1].problem):
            return True
        if tokens[k].problem and k < after.start + 2:
            problem_after = True
    return (problem_before and negator_after) or (negator_before and problem_after)


def _counts(tokens: Sequence[_Word], i: int, last: int, standalone: bool, lo: int, hi: int) -> bool:
    before = range(max(lo, i - NEGATION_WINDOW), i)
    after = range(last + 1, min(hi, last + NEGATION_WINDOW) + 1)
    if _negated(tokens, i, before, after, standalone):
        return False
    if standalone:
        return True
    window = range(max(lo, i - CONTEXT_WINDOW), min(hi, last + CONTEXT_WINDOW) + 1)
    if any(k != i and tokens[k].context for k in window):
        return True
    for k in range(lo, hi + 1):
        if i <= k <= last or not tokens[k].neg:
            continue
        between = range(k + 1, i) if k < i else range(last + 1, k)
        if sum(not tokens[m].filler for m in between) <= NEAR_NEGATOR - 1:
            return True
    return False


def _plain_hits(tokens: Sequence[_Word]) -> set[tuple[str, int, int]]:
    hits = set()
    n = len(tokens)
    for i, word in enumerate(tokens):
        for cue in word.cues:
            # Where a phrase ends is not what this judge is about: the matcher's own walk says.
            last = MATCHER._phrase_end(tokens, i, cue) if cue.rest else i
            if last is None:
                continue
            lo = max((k + 1 for k in range(i) if tokens[k].stop), default=0)
            hi = min((k - 1 for k in range(last + 1, n) if tokens[k].stop), default=n - 1)
            if _counts(tokens, i, last, cue.standalone, lo, hi):
                hits.add((cue.theme, i, last))
    return hits


# Long clauses dense in cues, negators, obstacle and filler words: where windows and clause ends matter.
DENSE = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(["anggaran", "staf", "pelatihan", "kewalahan", "budget", "staff", "approval"]),
            st.sampled_from(["tidak", "belum", "bukan", "kurang", "cukup", "masalah", "no", "not", "enough", "lack"]),
            st.sampled_from(["ada", "yang", "untuk", "the", "is", "a", "sama", "sekali"]),
            st.sampled_from(["kami", "kantor", "warga", "today", "office", "sering", "lama"]),
            st.sampled_from(WORDS),
        ),
        st.sampled_from([" "] * 12 + [". ", ", ", " tapi ", "; "]),
    ),
    max_size=26,
).map(lambda pairs: "".join(w + s for w, s in pairs))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(TEXTS, DENSE))
def test_judging_on_the_marked_words_decides_as_the_windows_around_each_cue(text: str) -> None:
    tokens = [MATCHER._word(m.group(0).lower().replace("’", "'")) for m in _WORD.finditer(text)]
    assert set(MATCHER._hits(tokens)) == _plain_hits(tokens)


def test_the_plain_judge_above_finds_what_the_codebook_promises() -> None:
    # The definition above must itself be the matcher's: a cue alone, a cue with an obstacle word,
    # a negated obstacle.
    def plain(text: str) -> set[str]:
        return {t for t, _, _ in _plain_hits([MATCHER._word(w) for w in _WORD.findall(text.lower())])}

    assert plain("Anggaran kami.") == set()
    assert plain("Anggaran kami kurang.") == {"budget"}
    assert plain("Tidak ada kendala anggaran.") == set()
    assert plain("Tim kewalahan.") == {"staffing"}


# --- ticked options and the plan ------------------------------------------------------------------

OPTIONS = [c.value for c in FLOW.question("challenges").choices]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.lists(st.sampled_from(OPTIONS), unique=True, max_size=len(OPTIONS)),
        st.sampled_from(OPTIONS),
        st.lists(
            st.one_of(
                st.sampled_from(OPTIONS),
                st.integers(0, 3),
                st.booleans(),
                st.just(1.0),
                st.lists(st.sampled_from(OPTIONS), max_size=2),
            ),
            max_size=4,
        ),
        st.integers(0, 3),
    )
)
def test_themes_of_ticked_options_are_those_of_the_codebook_however_often_read(value: object) -> None:
    mapping = load_codebook().choices["challenges"]
    values = value if isinstance(value, list) else [value]
    expected = {theme for v in values for theme in mapping.get(str(v), ())}
    ticks = [(v, theme) for v in values for theme in mapping.get(str(v), ())]
    first = find_themes(FLOW, {"challenges": value})
    again = find_themes(FLOW, {"challenges": value})
    assert first == again
    assert {t.id for t in first} == expected
    assert all(s.choice is not None and s.start is None for t in first for s in t.sources)
    # Each source names the option as written (1 and True are equal keys, not the same option).
    assert sorted((s.choice, t.id) for t in first for s in t.sources) == sorted((str(v), th) for v, th in ticks)
    assert [t.to_dict() for t in first] == [t.to_dict() for t in again]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_a_second_assessment_of_the_same_answers_is_the_same(seed: int) -> None:
    from benchmarks.scoring import make_sessions, with_open_answers

    answers = with_open_answers(FLOW, make_sessions(FLOW, 1, seed), seed)[0]
    first = assess(FLOW, answers)
    again = assess(FLOW, dict(answers))
    assert first == again
    assert first.to_dict() == again.to_dict()


def _sessions() -> list[dict]:
    from benchmarks.scoring import make_sessions, with_open_answers

    flow = load_flow(DEFAULT_FLOW_ID)
    return with_open_answers(flow, make_sessions(flow, 60, seed=7))


SESSIONS = _sessions()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(SESSIONS),
    st.randoms(use_true_random=False),
    st.sampled_from(["as stored", "shuffled", "extras", "a skip"]),
)
def test_the_answers_that_count_are_those_of_effective_answers_in_the_flows_order(session, rng, how) -> None:
    # rate_and_keep copies a session that holds only answers that count, in the flow's order, in
    # one go; anything else is read answer by answer. Either way: effective_answers, in its order.
    from scoring.ratings import effective_answers, rate_and_keep

    flow = load_flow(DEFAULT_FLOW_ID)
    answers = dict(session)
    if how == "shuffled":
        items = list(answers.items())
        rng.shuffle(items)
        answers = dict(items)
    elif how == "extras":
        answers["no_such_question"] = "x"
        answers["l3_escalation"] = answers.get("l3_escalation", "yes")  # may be one a condition rules out
    elif how == "a skip":
        answers[rng.choice(list(answers))] = None
    kept = rate_and_keep(flow, answers)[1]
    assert list(kept.items()) == list(effective_answers(flow, answers).items())
