"""Themes: the obstacles a respondent names, found in their own words and in the challenges choice.

The codebook is data (``data/themes.yaml``): theme ids, labels and descriptions in both languages,
cue words and phrases, the challenges options mapped onto themes, and the words that turn a cue
around. :func:`find_themes` reads every free-text answer of a session (every ``text`` question,
and every part of an answer that carries several, such as a probe's follow-up) and keeps, for each
theme, the evidence: the question, the part, and the character span of the words that gave it.

Matching: lower-cased words; Indonesian words meet on their PySastrawi stem, English words on
their Snowball stem; a word of six letters or more also meets with one letter wrong, missing,
added or swapped; a phrase may have one other word between two of its words. A cue that names
only a topic ("anggaran", "training") counts when an obstacle word is near it ("kurang", "belum",
"tidak ada", "slow", "lack"); a cue marked ``!`` names an obstacle by itself ("kewalahan",
"diretas"). A negated obstacle ("tidak ada kendala anggaran", "budget is not a problem",
"anggaran sudah cukup") does not count.

The codebook is compiled once (stems, typo index) and each word's stems are cached, so a session
costs a few dictionary look-ups per word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Final

from interview_flows.schema import DONT_KNOW, Flow
from interview_flows.texts import LANGS, Text

# The codebook's models live apart, uncompiled (see scoring.codebook); all stay names of this module.
from scoring.codebook import (  # noqa: F401
    _STOPS,
    _WORD,
    Codebook,
    Cues,
    Negation,
    ThemeDef,
    _words_of,
    load_codebook,
    parse_codebook,
)
from scoring.values import python_class

# The constants are Final: compiled by mypyc, each is a number in the code rather than a look-up.
MIN_TYPO_LENGTH: Final = 6
"""Words at least this long also match with one letter wrong (shorter words are too ambiguous)."""
PHRASE_GAP: Final = 1
"""At most this many other words between two words of a phrase."""
CONTEXT_WINDOW: Final = 6
"""An obstacle word this many words before or after a topic cue makes it count."""
NEAR_NEGATOR: Final = 2
"""A negator with fewer than this many other words (besides "ada", "untuk"…) between it and a topic
cue says the thing is missing ("belum ada pelatihan")."""
NEGATION_WINDOW: Final = 4
"""A negator this many words before a cue (or after it) can turn it around."""

_ASCII_TOKENS = bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or 48 <= c <= 57 else 46 if chr(c) in ".;!?" else 32
    for c in range(256)
)
"""Bytes of ASCII text without an apostrophe: letters lower-cased, digits kept, every stop a full
stop, every other byte a space. With a space each side of every stop, split() gives what _WORD
finds in the lower-cased text, each stop as ".": the four end a clause alike, and no cue or
negation word holds one (tests/test_fast_paths_scoring.py holds the tokens to _WORD's)."""
_SEEN_LIMIT = 100_000  # words whose keys a matcher remembers


def codebook_problems(codebook: Codebook, flow: Flow) -> list[str]:
    """What in the codebook's choice mapping does not fit ``flow`` (empty when all fits).

    A mapped question the flow does not have is fine (another flow may have it); a mapped option
    the flow's question lacks, or a question whose options are not all mapped, is a mistake.
    """
    problems: list[str] = []
    for qid, options in codebook.choices.items():
        try:
            question = flow.question(qid)
        except KeyError:
            continue
        values = {c.value for c in question.choices}
        problems += [f"choices.{qid}.{v}: no such option in {flow.id}" for v in options if v not in values]
        problems += [f"choices.{qid}: option {v!r} of {flow.id} is not mapped" for v in sorted(values - set(options))]
    return problems


# --- what a session's answers say ----------------------------------------------------------------


@python_class
@dataclass(frozen=True)
class Source:
    """Where a theme was found: a question, the part of its answer, and the span of the words.

    For a choice, ``choice`` is the option's value and there is no span (``start``/``end`` None).
    """

    question: str
    start: int | None
    end: int | None
    text: str | None
    part: int = 0
    choice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: question, start, end, text, part, and choice for a choice."""
        out: dict[str, Any] = {
            "question": self.question,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "part": self.part,
        }
        if self.choice is not None:
            out["choice"] = self.choice
        return out


@python_class
@dataclass(frozen=True)
class Theme:
    """A theme found in a session's answers, with every place that gave it."""

    id: str
    label: Text
    sources: tuple[Source, ...] = field(default=())

    # Both are asked several times per theme by the plan; the fields are frozen, so each is worked
    # out once and kept beside them (functools.cached_property takes a lock on every first use).
    @property
    def in_own_words(self) -> bool:
        """Whether the respondent named it in free text (not only by ticking an option)."""
        known = self.__dict__.get("_in_own_words")
        if known is None:
            known = self.__dict__["_in_own_words"] = any(s.start is not None for s in self.sources)
        return known

    @property
    def questions(self) -> tuple[str, ...]:
        """The question ids it rests on, each once, in order of the sources."""
        known = self.__dict__.get("_questions")
        if known is None:
            known = self.__dict__["_questions"] = _questions(self.sources)
        return known

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape: ``{id, label: {id, en}, sources: [...]}``."""
        return {"id": self.id, "label": self.label.model_dump(), "sources": [s.to_dict() for s in self.sources]}


def text_parts(value: Any) -> list[str]:
    """The free-text parts of an answer value: a string, a list of strings, or ``{"parts": [...]}``.

    >>> text_parts("satu"), text_parts(["satu", "dua"]), text_parts({"parts": ["a", {"text": "b"}]})
    (['satu'], ['satu', 'dua'], ['a', 'b'])
    """
    if value is None or value == DONT_KNOW:
        return []
    if isinstance(value, str):
        return [value]
    # A dict or a list, as stored answers are, is told at once (isinstance of an ABC costs more).
    if type(value) is not list and (type(value) is dict or isinstance(value, Mapping)):
        if "parts" in value:
            return text_parts(value["parts"])
        text = value.get("text")
        return [text] if isinstance(text, str) else []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif (type(item) is dict or isinstance(item, Mapping)) and isinstance(item.get("text"), str):
                out.append(item["text"])
        return out
    return []


def find_themes(flow: Flow, answers: Mapping[str, Any], codebook: Codebook | None = None) -> tuple[Theme, ...]:
    """The themes in one session's answers (question id to value), in codebook order.

    Free text is read from every ``text`` question of the flow (every part of its answer); choices
    from the questions the codebook maps. ``answers`` should be the answers that count (see
    :func:`scoring.ratings.rate_and_keep`), so a question made irrelevant by an edit gives nothing.
    """
    codebook = codebook or load_codebook()
    matcher = _compiled(codebook)
    readers = _readers(flow, codebook)
    found: dict[str, list[Source]] = {}
    own: set[str] = set()  # the themes named in free text
    # Most answers are choices the codebook does not map: one look-up each.
    for qid, value in answers.items():
        reader = readers.get(qid)
        if reader is None:
            continue
        if reader is _FREE_TEXT:
            if type(value) is str:
                _text_sources(found, own, matcher, qid, value, 0)
            else:
                for part, text in enumerate(text_parts(value)):
                    _text_sources(found, own, matcher, qid, text, part)
        else:
            for theme_id, source in reader.read(value):
                if theme_id in found:
                    found[theme_id].append(source)
                else:
                    found[theme_id] = [source]
    if not found:
        return ()
    order = matcher.order
    themes = []
    for theme_id in sorted(found, key=order.__getitem__):
        sources = found[theme_id]
        if theme_id in own:
            themes.append(_theme(theme_id, matcher.labels[theme_id], sources, True))
        else:
            themes.append(_ticked_theme(theme_id, matcher.labels[theme_id], sources))
    return tuple(themes)


def _text_sources(
    found: dict[str, list[Source]], own: set[str], matcher: _Matcher, qid: str, text: str, part: int
) -> None:
    """Add the sources of the themes one text (a part of an answer) names to ``found``, and the
    themes to ``own``."""
    for theme_id, start, end in matcher.match(text):
        # Words in a text are the respondent's own: each source is made anew.
        source = _new(Source)
        fields = source.__dict__
        fields["question"] = qid
        fields["start"] = start
        fields["end"] = end
        fields["text"] = text[start:end]
        fields["part"] = part
        fields["choice"] = None
        if theme_id in found:
            found[theme_id].append(source)
        else:
            found[theme_id] = [source]
        own.add(theme_id)


_new = object.__new__
# Sources and themes are made as scoring.values.made makes them (the fields straight into the
# instance's __dict__), written out here: a session makes several, and the call cost a tenth.
# (Item by item: compiled by mypyc, each is a plain dict store, where update() takes keywords.)


def _theme(theme_id: str, label: Text, sources: list[Source], in_own_words: bool) -> Theme:
    theme = _new(Theme)
    # The plan asks both at once for every theme; they are known here (a text source has a span),
    # so they are kept where the properties look, as the properties would keep them.
    fields = theme.__dict__
    fields["id"] = theme_id
    fields["label"] = label
    fields["sources"] = tuple(sources)
    fields["_in_own_words"] = in_own_words
    # Most themes rest on one source.
    fields["_questions"] = (sources[0].question,) if len(sources) == 1 else _questions(sources)
    return theme


def _questions(sources: Iterable[Source]) -> tuple[str, ...]:
    # Each question once, in the order of the sources (a theme has a few: a list is the quickest set).
    found: list[str] = []
    for source in sources:
        question = source.question
        if question not in found:
            found.append(question)
    return tuple(found)


_TICKED: dict[tuple[Any, ...], Theme] = {}


def _ticked_theme(theme_id: str, label: Text, sources: list[Source]) -> Theme:
    # A theme found only in ticked options rests on sources that are made once per option
    # (_ChoiceReader), so the same ticks give the same theme: it is made once. The key holds the
    # sources and the label by identity; the theme it maps to keeps them alive, so no identity is reused.
    # (Most rest on one option; a tuple display is quicker to make than one from an iterator.)
    key = (theme_id, id(label), id(sources[0])) if len(sources) == 1 else (theme_id, id(label), *map(id, sources))
    found = _TICKED.get(key)
    if found is None:
        if len(_TICKED) >= 4096:
            _TICKED.clear()
        found = _TICKED[key] = _theme(theme_id, label, sources, False)
    return found


def answer_themes(flow: Flow, question_id: str, value: Any, codebook: Codebook | None = None) -> tuple[str, ...]:
    """The ids of the themes found in one answer, in codebook order, each once.

    The same as the themes of :func:`find_themes` whose sources include ``question_id`` (a
    theme rests on the answers it was found in, each read alone), without building the sources:
    for exports that write a question's themes in its own cell.
    """
    codebook = codebook or load_codebook()
    reader = _readers(flow, codebook).get(question_id)
    if reader is None:
        return ()
    found: set[str] = set()
    matcher = _compiled(codebook)
    if reader is _FREE_TEXT:
        for text in text_parts(value):
            found.update(theme_id for theme_id, _, _ in matcher.match(text))
    else:
        found.update(theme_id for theme_id, _ in reader.read(value))
    if not found:
        return ()
    return tuple(t for t in matcher.theme_ids if t in found)


class _ChoiceReader:
    """How the answer to one choice question the codebook maps gives themes: for each ticked
    option, its themes, each with the option's source.

    A choice question has few options and a respondent ticks few of them, so what an answer gives
    is worked out the first time it is seen (at most ``_TICKS_LIMIT`` answers are kept)."""

    __slots__ = ("question", "mapping", "_seen")

    def __init__(self, question: str, mapping: Mapping[str, tuple[str, ...]]) -> None:
        self.question = question
        self.mapping = mapping
        self._seen: dict[Any, tuple[tuple[str, Source], ...]] = {}

    def read(self, value: Any) -> tuple[tuple[str, Source], ...]:
        """(theme id, source) for each theme of each option in ``value`` (one value or a list)."""
        if type(value) is list:
            try:
                "".join(value)  # options that are all strings; anything else (a damaged record) is read as it is
            except TypeError:
                return self._read(value)
            key = tuple(value)
        elif type(value) is str:
            key = (value,)  # one option reads as a list of it
        else:
            return self._read(value)
        seen = self._seen
        found = seen.get(key)
        if found is not None:
            return found
        found = self._read(value)
        if len(seen) >= _TICKS_LIMIT:
            seen.clear()
        seen[key] = found
        return found

    def _read(self, value: Any) -> tuple[tuple[str, Source], ...]:
        values = value if isinstance(value, list) else [value]
        return tuple(
            (theme_id, _source(self.question, None, None, None, 0, str(v)))
            for v in values
            for theme_id in self.mapping.get(str(v), ())
        )


_TICKS_LIMIT = 1024
_FREE_TEXT = _ChoiceReader("", {})
"""The reader of a free-text question: its answer is matched, not looked up."""
_READERS: dict[tuple[int, int], tuple[Flow, Codebook, dict[str, _ChoiceReader]]] = {}


def _readers(flow: Flow, codebook: Codebook) -> dict[str, _ChoiceReader]:
    """Question id to how its answer is read: ``_FREE_TEXT``, or the codebook's option mapping."""
    known = _READERS.get((id(flow), id(codebook)))
    if known is None or known[0] is not flow or known[1] is not codebook:
        texts, choices = _flow_questions(flow)
        readers = {qid: _ChoiceReader(qid, codebook.choices[qid]) for qid in choices if qid in codebook.choices}
        readers.update({qid: _FREE_TEXT for qid in texts})  # a text question is read as text first
        if len(_READERS) > 64:
            _READERS.clear()
        known = _READERS[(id(flow), id(codebook))] = (flow, codebook, readers)
    return known[2]


_SOURCES: dict[tuple[Any, ...], Source] = {}


def _source(
    question: str, start: int | None, end: int | None, text: str | None, part: int, choice: str | None
) -> Source:
    # Sources are immutable values; a ticked option's recurs in every session that ticks it.
    key = (question, start, end, text, part, choice)
    found = _SOURCES.get(key)
    if found is None:
        if len(_SOURCES) >= 4096:
            _SOURCES.clear()
        found = _SOURCES[key] = Source(question, start, end, text, part, choice)
    return found


_FLOW_QUESTIONS: dict[int, tuple[Flow, frozenset[str], frozenset[str]]] = {}


def _flow_questions(flow: Flow) -> tuple[frozenset[str], frozenset[str]]:
    # Which questions are free text, and which have choices, read once per flow object: looking
    # each answer's question up again costs more than matching its words.
    known = _FLOW_QUESTIONS.get(id(flow))
    if known is None or known[0] is not flow:
        texts = frozenset(q.id for q in flow.questions if q.type == "text")
        choices = frozenset(q.id for q in flow.questions if q.choices)
        if len(_FLOW_QUESTIONS) > 64:
            _FLOW_QUESTIONS.clear()
        known = _FLOW_QUESTIONS[id(flow)] = (flow, texts, choices)
    return known[1], known[2]


def _text_questions(flow: Flow) -> frozenset[str]:
    return _flow_questions(flow)[0]


def _choice_questions(flow: Flow) -> frozenset[str]:
    return _flow_questions(flow)[1]


def match_text(text: str, codebook: Codebook | None = None) -> list[tuple[str, int, int]]:
    """The themes one text names: ``(theme id, start, end)`` with the span of the cue's words.

    >>> match_text("Belum ada pelatihan untuk admin.")
    [('skills', 10, 19)]
    >>> match_text("Tidak ada kendala anggaran.")
    []
    """
    return _compiled(codebook or load_codebook()).match(text)


# --- the compiled matcher --------------------------------------------------------------------------


class _Word:
    """One distinct word as the matcher sees it: its keys (surface, stems, typo neighbours), the
    cues it can start, and what kind of word it is. Worked out once per word and shared by every
    place the word occurs, so reading a text costs a look-up per word."""

    __slots__ = (
        "word",
        "keys",
        "cues",
        "singles",
        "phrases",
        "seconds",
        "neg",
        "problem",
        "enough",
        "stop",
        "context",
        "punct",
        "filler",
        "mark",
    )

    def __init__(self, word: str, keys: frozenset[tuple[str, str]], cues: tuple[_Cue, ...], flags: tuple[bool, ...]):
        self.word, self.keys, self.cues = word, keys, cues
        # What the reading loop tries at this word. Two cues that differ only in the language of
        # their first word ("anggaran" in both lists) find the same span: it is tried once.
        distinct: dict[tuple[Any, ...], _Cue] = {}
        for cue in cues:
            distinct.setdefault((cue.theme, cue.standalone, cue.rest), cue)
        self.singles = tuple(c for c in distinct.values() if not c.rest)
        self.phrases = tuple(c for c in distinct.values() if c.rest)
        self.seconds = frozenset(cue.keys[1] for cue in cues if len(cue.keys) > 1)  # of the phrases it starts
        self.neg, self.problem, self.enough, self.stop, self.context = flags
        self.mark = any(flags)  # a word that can make a cue count, turn it around, or end a clause
        self.punct = word in _STOPS
        self.filler = word in _FILLERS


@dataclass(frozen=True)
class _Cue:
    theme: str
    keys: tuple[tuple[str, str], ...]
    standalone: bool
    rest: tuple[tuple[str, str], ...] = ()
    """The keys after the first word (empty for a cue of one word)."""


class _Matcher:
    """A codebook compiled for matching: cue keys indexed by their first word, and typo neighbours."""

    def __init__(self, codebook: Codebook) -> None:
        self.codebook = codebook
        self.theme_ids = codebook.ids
        self.order = {theme_id: k for k, theme_id in enumerate(self.theme_ids)}
        self.labels = {t.id: t.label for t in codebook.themes}
        self.vocabulary: set[str] = set()
        self.by_first: dict[tuple[str, str], list[_Cue]] = {}
        for theme in codebook.themes:
            for lang in LANGS:
                for raw in getattr(theme.cues, lang):
                    cue = self._cue(theme.id, raw, lang)
                    self.by_first.setdefault(cue.keys[0], []).append(cue)
        neg = codebook.negation
        self.negators = self._word_keys(neg.negators)
        self.problems = self._word_keys(neg.problems)
        self.enough = self._word_keys(neg.enough)
        self.boundaries = self._word_keys(neg.boundaries)
        self.context = self.problems | self._word_keys(_OBSTACLE_WORDS)
        self._seen: dict[str, _Word] = {}
        self._plain: set[str] = set()  # the words of _seen that carry no cue
        self._cued: set[str] = set()  # and those that do
        self.neighbours: dict[str, set[str]] = {}
        for word in self.vocabulary:
            if len(word) >= MIN_TYPO_LENGTH:
                for variant in (word, *_deletes(word)):
                    self.neighbours.setdefault(variant, set()).add(word)

    def _cue(self, theme: str, raw: str, lang: str) -> _Cue:
        flags, words = _split_flags(raw)
        keys = tuple(self._key(w, lang, exact="=" in flags) for w in words)
        return _Cue(theme, keys, standalone="!" in flags, rest=keys[1:])

    def _key(self, word: str, lang: str, exact: bool) -> tuple[str, str]:
        self.vocabulary.add(word)
        if exact:
            return ("=", word)
        return (lang, _stem(word, lang))

    def _word_keys(self, raws: Iterable[str]) -> frozenset[tuple[str, str]]:
        keys: set[tuple[str, str]] = set()
        for raw in raws:
            flags, words = _split_flags(raw)
            for word in words:
                if "=" in flags:
                    keys.add(self._key(word, "id", True))
                else:
                    keys.update(self._key(word, lang, False) for lang in LANGS)
                    keys.add(("=", word))
        return frozenset(keys)

    def _word(self, word: str) -> _Word:
        known = self._seen.get(word)
        if known is not None:
            return known
        keys = set(_keys_of(word))
        if len(word) >= MIN_TYPO_LENGTH - 1 and word not in self.vocabulary:
            # One letter off a cue word: give the token that word's keys too.
            for variant in (word, *_deletes(word)):
                for near in self.neighbours.get(variant, ()):
                    if _within_one(word, near):
                        keys.update(_keys_of(near))
        frozen = frozenset(keys)
        flags = (
            bool(frozen & self.negators),
            bool(frozen & self.problems),
            bool(frozen & self.enough),
            word in _STOPS or bool(frozen & self.boundaries),
            bool(frozen & self.context),
        )
        cues = tuple(cue for key in frozen for cue in self.by_first.get(key, ()))
        entry = _Word(word, frozen, cues, flags)
        if len(self._seen) < _SEEN_LIMIT:
            self._seen[word] = entry
            (self._cued if cues else self._plain).add(word)
        return entry

    def match(self, text: str) -> list[tuple[str, int, int]]:
        if text.isascii() and "'" not in text:
            # Lower-casing ASCII keeps every letter a letter, in its place, and without an
            # apostrophe the words are the runs of letters and digits: one translation (upper to
            # lower case, stops set apart, everything else a space) and a split find them.
            tokens = text.encode("ascii").translate(_ASCII_TOKENS).replace(b".", b" . ").decode("ascii").split()
            # A cue word stops the first test at once; a text of known words without one is done.
            if self._cued.isdisjoint(tokens) and self._plain.issuperset(tokens):
                return []
            # Each token's word, as the matcher knows it (or works it out the first time).
            seen = self._seen
            words: list[_Word] = []
            for token in tokens:
                known = seen.get(token)
                words.append(known if known is not None else self._word(token))
            hits = self._hits(words)
            if not hits:
                return []
            # Where each word is, up to the last word a hit needs: the gaps between words hold no
            # letter, digit or stop, so each word is the next place its letters occur.
            need = hits[0][2] if len(hits) == 1 else max([last for _, _, last in hits])
            lowered = text.lower()
            starts: list[int] = []
            ends: list[int] = []
            pos = 0
            for token in tokens:
                if token == ".":
                    # Any of the four stops, and never the end of a hit: it holds no letter, so the
                    # next word is still the next place its letters occur.
                    starts.append(pos)
                    ends.append(pos)
                else:
                    pos = lowered.find(token, pos)
                    end = pos + len(token)
                    starts.append(pos)
                    ends.append(end)
                    pos = end
                if len(starts) > need:
                    break
        elif text.isascii():
            lowered = text.lower()
            words = [self._word(w) for w in _WORD.findall(lowered)]
            hits = self._hits(words)
            if not hits:
                return []
            found = list(_WORD.finditer(lowered))
            starts = [m.start() for m in found]
            ends = [m.end() for m in found]
        else:
            # Elsewhere lower-casing may change a text's length ("İ" becomes two characters), so
            # each word is lower-cased on its own and the offsets stay those of the text.
            matches = list(_WORD.finditer(text))
            words = [self._word(m.group(0).lower().replace("’", "'")) for m in matches]
            hits = self._hits(words)
            if not hits:
                return []
            starts = [m.start() for m in matches]
            ends = [m.end() for m in matches]
        return _placed(hits, starts, ends)

    def _hits(self, words: list[_Word]) -> list[tuple[str, int, int]]:
        """Each cue that counts: its theme and the positions of its first and last word."""
        n = len(words)
        hits: list[tuple[str, int, int]] = []
        # Only a marked word (a negator, an obstacle or context word, a word of enough, a stop) can
        # make a cue count or turn it around, and a text has few of them: each cue looks at those in
        # its clause rather than at every word around it. Found at the first cue (most texts that
        # come here have none).
        marked: list[int] = []
        stops: list[int] = []
        unmarked = True
        # Each cue is judged where it is found, in the order of its first word.
        i = 0
        while i < n:
            word = words[i]
            if not word.cues:
                i += 1
                continue
            if unmarked:
                marked, stops = _marked(words)
                unmarked = False
            for cue in word.singles:
                if self._judged(words, cue, i, i, marked, stops):
                    hits.append((cue.theme, i, i))
            # A phrase goes on within the next PHRASE_GAP + 1 words: when none of them carries the
            # second word of a phrase this word starts, no such phrase can be complete.
            seconds = word.seconds
            if seconds:
                j = i + 1
                ahead = min(n, i + PHRASE_GAP + 2)
                while j < ahead:
                    if not seconds.isdisjoint(words[j].keys):
                        for cue in word.phrases:
                            last = self._phrase_last(words, i, cue)
                            if last >= 0 and self._judged(words, cue, i, last, marked, stops):
                                hits.append((cue.theme, i, last))
                        break
                    j += 1
            i += 1
        return hits

    def _judged(self, words: list[_Word], cue: _Cue, i: int, last: int, marked: list[int], stops: list[int]) -> bool:
        """Whether the cue at words i..last counts, in its clause: from after the last stop before
        it to before the first stop after it."""
        lo = 0
        hi = len(words) - 1
        for k in stops:  # a text has few: a walk is quicker than two searches
            if k < i:
                lo = k + 1
            elif k > last:
                hi = k - 1
                break
        return self._counts(words, i, last, cue.standalone, lo, hi, marked)

    def _counts(
        self, tokens: list[_Word], i: int, last: int, standalone: bool, lo: int, hi: int, marked: list[int]
    ) -> bool:
        """Whether the cue at tokens i..last counts, in the clause lo..hi around it, given the
        positions of the marked words of the text (``_Word.mark``)."""
        before = max(lo, i - NEGATION_WINDOW)  # a negator or obstacle word before: tokens before..i-1
        after = min(hi, last + NEGATION_WINDOW)  # and after: tokens last+1..after
        near_lo = max(lo, i - CONTEXT_WINDOW)
        near_hi = min(hi, last + CONTEXT_WINDOW)
        problem_before = negator_before = negator_after = problem_after = False
        context = near_negator = False
        n = len(tokens)
        for k in marked:
            if k < lo:
                continue
            if k > hi:
                break
            token = tokens[k]
            if k < i:
                if k >= before:
                    if token.neg:
                        negator_before = True
                        nxt = k + 1
                        while nxt < i and tokens[nxt].filler:
                            nxt += 1
                        # "tidak ada kendala anggaran", "tidak kekurangan staf", "no problems with
                        # approval"; "tidak kewalahan" negates an obstacle cue itself, while "tidak
                        # ada anggaran" is the obstacle (no budget) and still counts.
                        if (nxt < i and tokens[nxt].problem) or (nxt == i and standalone):
                            return False
                    # "cukup staf", "enough staff" (but not "tidak cukup staf").
                    if (
                        token.enough
                        and _only_fillers(tokens, k + 1, i)
                        and not _neg_or_problem(tokens, max(0, k - 3), k)
                    ):
                        return False
                    if token.problem:
                        problem_before = True
                if token.context and k >= near_lo:
                    context = True
                # A negator right by the cue says it is missing ("belum ada pelatihan", "data
                # tidak lengkap"); one further off negates something else ("bukan pertanyaan
                # tentang datanya").
                if token.neg and not near_negator:
                    near_negator = _fillers_but(tokens, k + 1, i, NEAR_NEGATOR - 1)
            elif k > last:
                if k <= after:
                    # "anggaran bukan masalah", "budget is not an issue", "approval is not slow".
                    if token.neg:
                        negator_after = True
                        for m in range(k + 1, min(k + 3, n)):
                            if tokens[m].problem:
                                return False
                    # "anggaran sudah cukup", "staff is sufficient" (but not "tidak cukup", "kurang
                    # memadai").
                    if token.enough and not (tokens[k - 1].neg or tokens[k - 1].problem):
                        return False
                    if token.problem and k < last + 3:
                        problem_after = True
                if token.context and k <= near_hi:
                    context = True
                if token.neg and not near_negator:
                    near_negator = _fillers_but(tokens, last + 1, k, NEAR_NEGATOR - 1)
            elif k != i and token.context:
                context = True  # a word of the phrase after its first
        # "kendala anggaran tidak ada": an obstacle word before the cue, a negator after it; "no
        # security problems", "tidak ada anggaran yang bermasalah": a negator before, an obstacle
        # word after.
        if (problem_before and negator_after) or (negator_before and problem_after):
            return False
        return standalone or context or near_negator

    def _phrase_end(self, tokens: list[_Word], i: int, cue: _Cue) -> int | None:
        """Where the phrase ``cue`` that starts at tokens[i] ends, or None when it is not there."""
        last = self._phrase_last(tokens, i, cue)
        return last if last >= 0 else None

    def _phrase_last(self, tokens: list[_Word], i: int, cue: _Cue) -> int:
        # _phrase_end with -1 for none: compiled, a plain int is no object to make.
        pos = i
        n = len(tokens)
        for key in cue.rest:
            j = pos + 1
            ahead = pos + PHRASE_GAP + 2
            while True:
                if j >= ahead or j >= n or tokens[j].punct:
                    return -1
                if key in tokens[j].keys:
                    pos = j
                    break
                j += 1
        return pos


def _marked(words: list[_Word]) -> tuple[list[int], list[int]]:
    """The positions of the marked words (``_Word.mark``), and of the stops among them."""
    marked = [k for k in range(len(words)) if words[k].mark]
    return marked, [k for k in marked if words[k].stop]


def _only_fillers(tokens: list[_Word], start: int, stop: int) -> bool:
    return all(tokens[m].filler for m in range(start, stop))


def _neg_or_problem(tokens: list[_Word], start: int, stop: int) -> bool:
    return any(tokens[m].neg or tokens[m].problem for m in range(start, stop))


def _fillers_but(tokens: list[_Word], start: int, stop: int, most: int) -> bool:
    """Whether tokens start..stop-1 hold at most ``most`` words that are no filler."""
    others = 0
    for m in range(start, stop):
        if not tokens[m].filler:
            others += 1
    return others <= most


_FILLERS = frozenset(
    {
        "ada",
        "any",
        "a",
        "an",
        "the",
        "there",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "have",
        "has",
        "had",
        "punya",
        "memiliki",
        "mengalami",
        "terlalu",
        "too",
        "much",
        "many",
        "major",
        "big",
        "besar",
        "berarti",
        "yang",
        "soal",
        "terkait",
        "dengan",
        "with",
        "in",
        "of",
        "dalam",
        "menjadi",
        "jadi",
        "really",
        "benar",
        "pernah",
        "ever",
        "untuk",
        "for",
        "bagi",
        "kami",
        "our",
        "we",
        "do",
        "does",
        "did",
        "sama",
        "sekali",
    }
)
"""Words between a negator and what it negates: "tidak ada kendala", "no major problem"."""

_OBSTACLE_WORDS = (
    "sulit",
    "susah",
    "lama",
    "berat",
    "sedikit",
    "rendah",
    "jarang",
    "terlambat",
    "telat",
    "habis",
    "lemah",
    "buruk",
    "sering",
    "tanpa",
    "butuh",
    "perlu",
    "hard",
    "difficult",
    "few",
    "little",
    "low",
    "late",
    "delay",
    "delayed",
    "rarely",
    "weak",
    "poor",
    "often",
    "need",
    "needs",
    "takes",
    "waiting",
    "wait",
    "menunggu",
    "tunggu",
    "berhari",
    "days",
    "weeks",
    "minggu",
    "hari",
    "terhambat",
    "hambat",
    "mahal",
    "expensive",
    "only",
    "hanya",
    "manual",
    "down",
    "mati",
    "lemot",
    "tertinggal",
    "tersendat",
    "unclear",
    "old",
    "tua",
    "usang",
    "rusak",
    "broken",
    "unreliable",
    "putus",
    "hang",
    "error",
    "long",
    "panjang",
    "stuck",
    "rawan",
    "risk",
    "risiko",
    "khawatir",
    "worried",
)
"""Words besides negators and obstacle words that show a topic cue is spoken of as a problem."""


def _split_flags(raw: str) -> tuple[str, list[str]]:
    flags = ""
    while raw and raw[0] in "!=":
        flags += raw[0]
        raw = raw[1:]
    return flags, _words_of(raw)


def _placed(hits: list[tuple[str, int, int]], starts: list[int], ends: list[int]) -> list[tuple[str, int, int]]:
    """The hits (theme, first word, last word) as ``(theme, start, end)`` in the text, given where
    each word starts and ends: one span per piece of evidence, in order of start, then theme."""
    if len(hits) == 1:
        theme, i, last = hits[0]
        return [(theme, starts[i], ends[last])]
    by_theme: dict[str, list[tuple[int, int]]] = {}
    for theme, i, last in hits:
        spans = by_theme.get(theme)
        if spans is None:
            by_theme[theme] = [(starts[i], ends[last])]
        else:
            spans.append((starts[i], ends[last]))
    # Only the themes found; one span needs no merging. Sorted as (start, theme, end): the spans of
    # one theme, merged, start apart, so this is the order of start, then theme.
    placed: list[tuple[int, str, int]] = []
    for theme, spans in by_theme.items():
        if len(spans) == 1:
            start, end = spans[0]
            placed.append((start, theme, end))
        else:
            for start, end in _merge(spans):
                placed.append((start, theme, end))
    placed.sort()
    return [(theme, start, end) for start, theme, end in placed]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans of one theme, merged (two cues in the same words are one piece of evidence)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=65536)
def _keys_of(word: str) -> frozenset[tuple[str, str]]:
    return frozenset({("=", word), ("id", _stem(word, "id")), ("en", _stem(word, "en"))})


@lru_cache(maxsize=65536)
def _stem(word: str, lang: str) -> str:
    if "'" in word or not word.isalpha():
        return word
    return _stemmers()[0 if lang == "id" else 1](word)


@cache
def _stemmers() -> tuple[Any, Any]:
    # Imported on first use: the stemmers load their dictionaries once, and `import scoring`
    # stays light.
    import snowballstemmer
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().stem, snowballstemmer.stemmer("english").stemWord


def _deletes(word: str) -> set[str]:
    return {word[:k] + word[k + 1 :] for k in range(len(word))}


def _within_one(a: str, b: str) -> bool:
    """Whether two words differ by at most one letter changed, added, removed, or two swapped."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [k for k in range(la) if a[k] != b[k]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    return any(long_[:k] + long_[k + 1 :] == short for k in range(len(long_)))


@cache
def _compiled_packaged() -> _Matcher:
    return _Matcher(load_codebook())


_MATCHERS: dict[int, _Matcher] = {}


def _compiled(codebook: Codebook) -> _Matcher:
    if codebook is load_codebook():
        return _compiled_packaged()
    matcher = _MATCHERS.get(id(codebook))
    if matcher is None or matcher.codebook is not codebook:
        matcher = _MATCHERS[id(codebook)] = _Matcher(codebook)
    return matcher
