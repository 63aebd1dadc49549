"""Advice from the whole interview: a small plan of at most five suggestions, in this order.

1. what blocks the next level, most severe first (the criterion catalogue, scoring.suggestions);
2. at least one suggestion for an obstacle the respondent named (a theme, scoring.themes), from the
   enabler catalogue (``data/enablers.yaml``), the obstacles named in their own words first;
3. one strength to build on, in one sentence: a criterion of the achieved level rated F;
4. at the top level, upkeep instead of blockers: keep, measure, share the practice, and the named
   obstacles, so that a unit at level 5 never gets nothing.

Every suggestion says what it ``addresses`` (a criterion id or a theme id), which questions it rests
on (``because``) and, in a few words, why (``why``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache, lru_cache

from interview_flows.schema import Flow
from interview_flows.texts import Text
from scoring.criteria import Criterion, Model
from scoring.enablers import MIN_UPKEEP, Enabler, Enablers, Upkeep, load_enablers
from scoring.levels import Block
from scoring.ratings import CriterionResult
from scoring.suggestions import MAX_SUGGESTIONS, Suggestion, chosen_texts
from scoring.themes import Theme
from scoring.values import made

MAX_THEME_ITEMS = 2
"""Named obstacles that get a suggestion of their own below the top level (the rest stay in the themes)."""


_WHY = {
    "blocker": Text(id="Syarat tingkat {n}", en="Needed for level {n}"),
    "next": Text(id="Langkah menuju tingkat {n}", en="A step towards level {n}"),
    "theme_words": Text(id="Bapak/Ibu menyebut hambatan ini: {label}", en="You named this obstacle: {label}"),
    "theme_choice": Text(id="Bapak/Ibu memilih tantangan ini: {label}", en="You chose this challenge: {label}"),
    "strength": Text(id="Kekuatan yang sudah ada", en="A strength to build on"),
    "upkeep": Text(id="Menjaga tingkat 5", en="Keeping level 5"),
}
_STRENGTH = (
    Text(
        id="{name} sudah tercapai penuh; jadikan cara kerja ini contoh bagi bagian lain.",
        en="{name} is fully achieved; make this way of working the example for other areas.",
    ),
    Text(
        id="Ceritakan kepada rekan tim bagaimana hal ini dikerjakan, agar tetap berjalan.",
        en="Tell the team how this is done, so that it keeps going.",
    ),
)


def plan(
    flow: Flow,
    model: Model,
    level: int,
    results: Mapping[str, CriterionResult],
    blocks: Sequence[Block],
    themes: Sequence[Theme],
    variables: Mapping[str, Text] | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """The plan for one assessment: at most ``limit`` suggestions (see the module docstring)."""
    enablers = load_enablers()
    blocked = {b.id for b in blocks}
    asking = _asking(flow)
    # What each criterion suggestion would say; the few that get a place are made at the end.
    criterion_items = []
    for cid, rating, text, first_step in chosen_texts(level, results, blocks, variables, limit=limit):
        kind = "blocker" if cid in blocked else "next"
        n = level + 1 if kind == "blocker" else results[cid].level
        because = _rests_on(cid, results, asking)
        if because:
            criterion_items.append((cid, rating, text, first_step, kind, because, n))
    # The named obstacles in turn; a suggestion is written only for those that get a place.
    named = _in_turn(themes, enablers.themes, max(limit, MAX_THEME_ITEMS))
    top, by_level = _model_facts(model)
    if level >= top:
        upkeep = [u for u in (_upkeep_item(u, results, asking) for u in enablers.upkeep) if u.because]
        themed = [_theme_item(t, enablers) for t in named[:MAX_THEME_ITEMS]]
        refine = [_criterion_item(*item) for item in criterion_items[: max(0, limit - MIN_UPKEEP - len(themed))]]
        return (refine + themed + upkeep)[:limit]
    strength = _strength(level, results, by_level)
    n_themes = min(MAX_THEME_ITEMS, len(named))
    room = max(1, limit - n_themes - len(strength))
    chosen = criterion_items[:room]
    named = named[: max(0, limit - len(chosen) - len(strength))]
    spare = limit - len(chosen) - len(named) - len(strength)
    chosen += criterion_items[room : room + max(0, spare)]
    # Cut before the suggestions are made: what falls beyond the limit is never written.
    cut = chosen[:limit]
    themed = [_theme_item(t, enablers) for t in named[: limit - len(cut)]]
    return ([_criterion_item(*item) for item in cut] + themed + strength)[:limit]


_ITEMS: dict[tuple[object, ...], Suggestion] = {}


def _criterion_item(
    cid: str, rating: str | None, text: Text, first_step: Text, kind: str, because: tuple[str, ...], n: int
) -> Suggestion:
    # A criterion's suggestion is made of a few recurring parts (its rating, a catalogue text, the
    # questions of its evidence): each distinct one is made once. The texts are keyed by identity;
    # the suggestion the key maps to keeps them alive, so no identity is reused.
    key = (cid, rating, id(text), id(first_step), kind, because, n)
    found = _ITEMS.get(key)
    if found is None:
        if len(_ITEMS) >= 4096:
            _ITEMS.clear()
        found = _ITEMS[key] = _suggestion(cid, rating, text, first_step, kind, cid, because, _why(kind, n))
    return found


_FACTS: dict[int, tuple[Model, int, dict[int, tuple[Criterion, ...]]]] = {}


def _model_facts(model: Model) -> tuple[int, dict[int, tuple[Criterion, ...]]]:
    """The model's top level and its criteria by level (worked out once per model)."""
    known = _FACTS.get(id(model))
    if known is None or known[0] is not model:
        if len(_FACTS) > 64:
            _FACTS.clear()
        by_level = {n: tuple(model.criteria_of(n)) for n in {c.level for c in model.criteria}}
        known = _FACTS[id(model)] = (model, max(lv.level for lv in model.levels), by_level)
    return known[1], known[2]


def _in_turn(
    themes: Sequence[Theme], enabled: Mapping[str, object] | None = None, limit: int | None = None
) -> list[Theme]:
    """Named obstacles in the order they deserve a suggestion: own words first, then varied.

    A theme that shares its only ticked option with one already chosen ("people" gives staffing
    and skills) waits until the other obstacles had their turn, so two suggestions do not answer
    the same tick while another named obstacle gets none. With ``enabled``, only the themes it
    has an entry for; with ``limit``, only the first ``limit`` of them.
    """
    ordered = sorted(themes, key=_turn_key)
    first: list[Theme] = []
    later: list[Theme] = []
    covered: set[str] = set()
    for t in ordered:
        options = {s.choice for s in t.sources if s.choice is not None}
        if options and options <= covered:
            later.append(t)
            continue
        covered |= options
        if enabled is None or t.id in enabled:
            first.append(t)
            if limit is not None and len(first) >= limit:
                return first  # the themes waiting could only come after these
    if enabled is not None:
        later = [t for t in later if t.id in enabled]
    out = first + later
    return out if limit is None else out[:limit]


def _turn_key(t: Theme) -> tuple[bool, int]:
    return (not t.in_own_words, -len(t.questions))


@cache
def _why(kind: str, n: int) -> Text:
    return _fmt(_WHY[kind], n=n)


def _suggestion(
    criterion: str | None,
    rating: str | None,
    text: Text,
    first_step: Text,
    kind: str,
    addresses: str,
    because: tuple[str, ...],
    why: Text,
) -> Suggestion:
    # A plan makes a handful of these per assessment; made() skips the per-field __setattr__.
    return made(
        Suggestion,
        criterion=criterion,
        rating=rating,
        text=text,
        first_step=first_step,
        kind=kind,
        addresses=addresses,
        because=because,
        why=why,
    )


_THEME_ITEMS: dict[tuple[object, ...], tuple[Suggestion, Enabler, Text]] = {}


def _theme_item(theme: Theme, enablers: Enablers) -> Suggestion:
    entry = enablers.themes[theme.id]
    # The same obstacle named in the same questions gets the same suggestion: it is made once (the
    # entry and label by identity, kept beside it so that no identity is reused).
    own = theme.in_own_words
    key = (theme.id, own, theme.questions, id(entry), id(theme.label))
    known = _THEME_ITEMS.get(key)
    if known is None:
        if len(_THEME_ITEMS) >= 4096:
            _THEME_ITEMS.clear()
        why = _theme_why(own, theme.label.id, theme.label.en)
        made_now = _suggestion(None, None, entry.text, entry.first_step, "theme", theme.id, theme.questions, why)
        known = _THEME_ITEMS[key] = (made_now, entry, theme.label)
    return known[0]


@lru_cache(maxsize=1024)
def _theme_why(in_own_words: bool, label_id: str, label_en: str) -> Text:
    key = "theme_words" if in_own_words else "theme_choice"
    return Text(
        id=_WHY[key].id.format(label=_lower_first(label_id)), en=_WHY[key].en.format(label=_lower_first(label_en))
    )


def _upkeep_item(
    entry: Upkeep, results: Mapping[str, CriterionResult], asking: Mapping[str, tuple[str, ...]]
) -> Suggestion:
    cid = entry.criterion
    rating = results[cid].rating if cid in results else None
    because = _rests_on(cid, results, asking) if cid in results else ()
    return Suggestion(cid, rating, entry.text, entry.first_step, "upkeep", cid, because, _WHY["upkeep"])


def _strength(
    level: int, results: Mapping[str, CriterionResult], by_level: Mapping[int, Sequence[Criterion]]
) -> list[Suggestion]:
    """One criterion to build on: of the achieved level and rated F, else the highest level below."""
    for lv in range(level, 1, -1):
        for c in by_level.get(lv, ()):
            r = results.get(c.id)
            if r is not None and r.rating == "F" and r.evidence:
                text = _strength_text(c.name.id, c.name.en)
                return [Suggestion(c.id, "F", text, _STRENGTH[1], "strength", c.id, r.evidence, _WHY["strength"])]
    return []


@lru_cache(maxsize=256)
def _strength_text(name_id: str, name_en: str) -> Text:
    return _fmt(_STRENGTH[0], name=None, name_text=Text(id=name_id, en=name_en))


def _rests_on(
    cid: str, results: Mapping[str, CriterionResult], asking: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The questions a criterion's rating rests on; without evidence, those that would have told."""
    evidence = results[cid].evidence
    if evidence:
        return tuple(evidence)
    return asking.get(cid, ())


_ASKING: dict[int, tuple[Flow, dict[str, tuple[str, ...]]]] = {}


def _asking(flow: Flow) -> dict[str, tuple[str, ...]]:
    """Criterion id to the flow's questions that can give evidence for it (worked out once per flow)."""
    known = _ASKING.get(id(flow))
    if known is None or known[0] is not flow:
        found: dict[str, list[str]] = {}
        for q in flow.questions:
            for cid in q.evidenced_criteria():
                found.setdefault(cid, []).append(q.id)
        if len(_ASKING) > 64:
            _ASKING.clear()
        known = _ASKING[id(flow)] = (flow, {cid: tuple(qs) for cid, qs in found.items()})
    return known[1]


def _fmt(template: Text, name: object = None, name_text: Text | None = None, **values: object) -> Text:
    if name_text is not None:
        return Text(id=template.id.format(name=name_text.id), en=template.en.format(name=name_text.en))
    return Text(id=template.id.format(**values), en=template.en.format(**values))


def _lower_first(text: str) -> str:
    # "hambatan ini: jumlah staf" reads better than a capital mid-sentence; acronyms keep theirs.
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
