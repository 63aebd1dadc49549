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
from scoring.values import python_class

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


@python_class
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
    return planned_blocking(level, ratings, blocking_plan(criteria, rule))


BlockPlan = dict[int, tuple[tuple[str, int, int, Reason], ...]]
"""Next level to (criterion id, its level, the rank of its bar, the reason when below the bar)."""


def blocking_plan(criteria: Sequence[_HasLevel], rule: str) -> BlockPlan:
    """What :func:`blocking` checks for each next level 2–5, worked out once for a model.

    >>> blocking_plan([_C("a", 2), _C("b", 3)], "strict")[3]
    (('a', 2, 3, 'below_F'), ('b', 3, 2, 'below_L'))
    """
    plan: BlockPlan = {}
    for target in range(LOWEST + 1, HIGHEST + 1):
        members: list[tuple[str, int, int, Reason]] = []
        for c in criteria:
            if 2 <= c.level <= target:
                bar = bar_for(c.level, target, rule)
                members.append((c.id, c.level, _RANK[bar], "below_F" if bar == "F" else "below_L"))
        plan[target] = tuple(members)
    return plan


def planned_blocking(level: int, ratings: Mapping[str, Rating | None], plan: BlockPlan) -> list[Block]:
    """:func:`blocking` on a plan from :func:`blocking_plan`."""
    if level >= HIGHEST:
        return []
    found: list[Block] = []
    for cid, c_level, bar, below in plan.get(level + 1, ()):
        rating = ratings.get(cid)
        if rating is None:
            found.append(_block(cid, c_level, None, "no_evidence"))
        elif _RANK[rating] < bar:
            found.append(_block(cid, c_level, rating, below))
    # Lowest level first; within a level the weakest first (see severity). The sort is stable, so
    # blocks of the same level and severity stay in file order.
    if len(found) > 1:
        found.sort(key=_urgency)
    return found


def _urgency(block: Block) -> tuple[int, int]:
    return (block.level, _SEVERITY[block.rating])


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
