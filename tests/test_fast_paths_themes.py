"""The theme matcher's fast paths for mypyc agree with what they stand for (Hypothesis).

- hits placed in the text (word starts and ends, one theme's spans merged, sorted as (start, theme,
  end)) are what sorting ``(theme, start, end)`` on (start, theme) after merging gave;
- (a cue's clause, now found by walking the stops, is held by the judge's test in
  tests/test_fast_paths_scoring.py, which reads _Matcher._hits on texts dense in stops);
- ``text_parts`` reads a mapping that is no dict, and a tuple, as it reads a dict and a list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.themes import _placed, text_parts


def _merged(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    current: tuple[int, int] | None = None
    for start, end in sorted(spans):
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            yield current
        current = (start, end)
    if current is not None:
        yield current


def _reference_placed(hits: list[tuple[str, int, int]], spans: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    # The matcher's placing before issue 17's mypyc round, kept here as the definition.
    if len(hits) == 1:
        theme, i, last = hits[0]
        return [(theme, spans[i][0], spans[last][1])]
    by_theme: dict[str, list[tuple[int, int]]] = {}
    for theme, i, last in hits:
        by_theme.setdefault(theme, []).append((spans[i][0], spans[last][1]))
    out = []
    for theme, found in by_theme.items():
        if len(found) == 1:
            out.append((theme, *found[0]))
        else:
            out.extend((theme, start, end) for start, end in _merged(found))
    return sorted(out, key=lambda t: (t[1], t[0]))


@st.composite
def _words_and_hits(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[tuple[str, int, int]]]:
    lengths = draw(st.lists(st.integers(1, 6), min_size=1, max_size=14))
    gaps = draw(st.lists(st.integers(1, 3), min_size=len(lengths), max_size=len(lengths)))
    spans, pos = [], 0
    for length, gap in zip(lengths, gaps, strict=True):
        spans.append((pos, pos + length))
        pos += length + gap
    n = len(spans)
    hit = st.tuples(st.sampled_from(["budget", "skills", "staffing"]), st.integers(0, n - 1), st.integers(0, 2))
    hits = [(theme, i, min(n - 1, i + extra)) for theme, i, extra in draw(st.lists(hit, min_size=1, max_size=6))]
    return spans, hits


@settings(max_examples=1500, deadline=None)
@given(_words_and_hits())
def test_hits_are_placed_as_sorting_on_start_then_theme_placed_them(case: Any) -> None:
    spans, hits = case
    starts, ends = [s for s, _ in spans], [e for _, e in spans]
    assert _placed(hits, starts, ends) == _reference_placed(hits, spans)


class _Frozen(Mapping[str, Any]):
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


PART = st.one_of(st.text(max_size=5), st.fixed_dictionaries({"text": st.text(max_size=5)}), st.integers(0, 2))


@settings(max_examples=400, deadline=None)
@given(st.lists(PART, max_size=4), st.booleans())
def test_text_parts_of_a_mapping_or_a_tuple_are_those_of_a_dict_or_a_list(parts: list[Any], with_text: bool) -> None:
    as_dict: dict[str, Any] = {"text": "satu"} if with_text else {"parts": parts}
    assert text_parts(_Frozen(as_dict)) == text_parts(as_dict)
    assert text_parts(tuple(parts)) == text_parts(parts)
    frozen_items = [_Frozen(p) if isinstance(p, dict) else p for p in parts]
    assert text_parts(frozen_items) == text_parts(parts)
