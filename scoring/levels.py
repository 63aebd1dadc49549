"""The level rule (ogmm.md §3.2): from criterion ratings to a maturity level, and what blocks.

Level 1 is the floor. An agency is at level *n* (n ≥ 2) when every criterion of levels 2 … n is
rated at least L (``lenient``, the default), or, with the ``strict`` rule of the criteria file,
when the criteria of levels 2 … n−1 are F and those of level *n* at least L.

An **unknown** criterion (no evidence: every question about it was skipped or answered "don't
know") is never counted as achieved: it cannot show that a level is reached, so it blocks like an
unmet criterion, and a blocker says ``reason="no_evidence"`` so the report can ask for evidence
rather than for improvement. Counting it as achieved would let silence raise a level.

>>> ratings = {"a": "F", "b": "L", "c": "P"}
>>> crit = [_C("a", 2), _C("b", 2), _C("c", 3)]
>>> reached_level(ratings, crit, "lenient"), reached_level(ratings, crit, "strict")
(2, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from scoring.ratings import RATINGS, Rating, at_least

Reason = Literal["no_evidence", "below_L", "below_F"]
LOWEST, HIGHEST = 1, 5


class _HasLevel(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def level(self) -> int: ...


@dataclass(frozen=True)
class _C:
    """A bare criterion (id and level), for examples and tests."""

    id: str
    level: int


def bar_for(criterion_level: int, target: int, rule: str) -> Rating:
    """The rating a criterion of ``criterion_level`` needs for the agency to be at level ``target``.

    >>> bar_for(2, 3, "lenient"), bar_for(2, 3, "strict"), bar_for(3, 3, "strict")
    ('L', 'F', 'L')
    """
    return "F" if rule == "strict" and criterion_level < target else "L"


def level_holds(target: int, ratings: Mapping[str, Rating | None], criteria: Sequence[_HasLevel], rule: str) -> bool:
    """Whether the rule puts the agency at level ``target`` or above (level 1 always holds).

    A level without criteria (say a facet with none at that level) neither holds it back nor
    lifts it: only the criteria that exist are checked.
    """
    return all(at_least(ratings.get(c.id), bar_for(c.level, target, rule)) for c in criteria if 2 <= c.level <= target)


def reached_level(ratings: Mapping[str, Rating | None], criteria: Sequence[_HasLevel], rule: str) -> int:
    """The maturity level (1–5) these ratings reach under ``rule`` ("lenient" or "strict").

    The levels are climbed one at a time, as the model asks: the first level that does not hold
    ends the climb.

    >>> reached_level({"a": None}, [_C("a", 2)], "lenient")
    1
    """
    level = LOWEST
    for target in range(2, HIGHEST + 1):
        if not level_holds(target, ratings, criteria, rule):
            break
        level = target
    return level


def own_criteria_met(level: int, ratings: Mapping[str, Rating | None], criteria: Sequence[_HasLevel]) -> bool:
    """Whether every criterion of this one level is rated at least L, whatever the levels below.

    Level 1 is the floor and always met. Used for each level's ``achieved`` flag and for the
    honest note when a higher level is met while a lower one is not.

    >>> own_criteria_met(3, {"a": "N", "c": "L"}, [_C("a", 2), _C("c", 3)])
    True
    """
    if level <= LOWEST:
        return True
    return all(at_least(ratings.get(c.id), "L") for c in criteria if c.level == level)


@dataclass(frozen=True)
class Block:
    """A criterion that keeps the next level out of reach, and why."""

    id: str
    level: int
    rating: Rating | None
    reason: Reason


def blocking(level: int, ratings: Mapping[str, Rating | None], criteria: Sequence[_HasLevel], rule: str) -> list[Block]:
    """The criteria that keep level ``level + 1`` out of reach, lowest level first, worst first.

    Empty at level 5. Under the strict rule the criteria of levels up to ``level`` that are only
    L block too (the next level needs them F).

    >>> [b.id for b in blocking(1, {"a": "P", "b": "L"}, [_C("a", 2), _C("b", 2)], "lenient")]
    ['a']
    """
    if level >= HIGHEST:
        return []
    target = level + 1
    found: list[Block] = []
    for c in criteria:
        c_level = c.level
        if not 2 <= c_level <= target:
            continue
        rating = ratings.get(c.id)
        bar = bar_for(c_level, target, rule)
        if rating is not None and _RANK[rating] >= _RANK[bar]:  # at_least(rating, bar)
            continue
        reason: Reason = "no_evidence" if rating is None else ("below_F" if bar == "F" else "below_L")
        found.append(_block(c.id, c_level, rating, reason))
    # Lowest level first; within a level the weakest first (see severity), then file order.
    order = {b.id: i for i, b in enumerate(found)}
    found.sort(key=lambda b: (b.level, severity(b.rating), order[b.id]))
    return found


def severity(rating: Rating | None) -> int:
    """Order of urgency: N, P, unknown, L, F.

    Unknown comes after N and P: asking for evidence is cheaper than building a practice.


    >>> sorted(["L", None, "N", "P"], key=severity)
    ['N', 'P', None, 'L']
    """
    return _SEVERITY[rating]


_SEVERITY: dict[Rating | None, int] = {"N": 0, "P": 1, None: 2, "L": 3, "F": 4}
_RANK: dict[str, int] = {r: i for i, r in enumerate(RATINGS)}
_BLOCKS: dict[tuple[str, int, Rating | None, Reason], Block] = {}


def _block(cid: str, level: int, rating: Rating | None, reason: Reason) -> Block:
    # Blocks are immutable and few (criteria times ratings): each is made once, not per assessment.
    key = (cid, level, rating, reason)
    found = _BLOCKS.get(key)
    if found is None:
        if len(_BLOCKS) > 4096:
            _BLOCKS.clear()
        found = _BLOCKS[key] = Block(cid, level, rating, reason)
    return found
