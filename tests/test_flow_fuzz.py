"""Malformed and schema-breaking flow documents always give a clean FlowError, never a traceback."""

from __future__ import annotations

import copy

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from interview_flows.loader import FlowError, parse_flow

from .conftest import TEST_FLOWS

BASE_TEXT = (TEST_FLOWS / "small.yaml").read_text(encoding="utf-8")
BASE = yaml.safe_load(BASE_TEXT)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.just("L9.nope"),
    st.just("has_team == 'yes'"),
    st.just("(((("),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def paths(node, prefix=()):
    """Every path into a nested document."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


ALL_PATHS = [p for p in paths(BASE) if p]


def replaced(doc, path, value):
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


def must_load_or_fail_cleanly(text: str) -> None:
    try:
        parse_flow(text, source="fuzz.yaml")
    except FlowError as exc:
        assert exc.issues, "a FlowError always lists its problems"
        for issue in exc.issues:
            assert issue.path and issue.message


@settings(max_examples=300, deadline=None)
@given(path=st.sampled_from(ALL_PATHS), value=values)
def test_any_value_anywhere_gives_a_clean_answer(path, value):
    must_load_or_fail_cleanly(yaml.safe_dump(replaced(BASE, path, value), allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(cut=st.integers(0, len(BASE_TEXT)), junk=st.text(max_size=20))
def test_truncated_or_corrupted_yaml_gives_a_clean_answer(cut, junk):
    must_load_or_fail_cleanly(BASE_TEXT[:cut] + junk)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_gives_a_clean_answer(text):
    must_load_or_fail_cleanly(text)


def test_hostile_yaml_is_refused_cleanly():
    for text in [
        "a: &a [*a]",  # a self-referencing alias
        "!!python/object/apply:os.system ['echo pwned']",  # safe_load refuses it
        "[" * 5000,  # deeply nested
        "id: " + "x" * 3_000_000,  # too large
    ]:
        must_load_or_fail_cleanly(text)
