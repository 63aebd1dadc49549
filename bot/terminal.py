"""The interview in a terminal: the same engine, store and scoring as Telegram.

Interactive on a terminal; when standard input is not a terminal each line answers the current
question, so ``matang interview < answers.txt`` runs an interview unattended.
"""

from __future__ import annotations

import getpass
import re
import sqlite3
from collections.abc import Callable
from typing import IO

from bot.faults import storage_fault
from bot.interviews import Interviews, engine_of, flow_of, result_text
from bot.screen import Screen
from bot.store import SessionRecord, Store
from bot.texts import CHECK_WORDS, t
from interview_flows.answers import AnswerError, describe_answer, parse_text_answer
from interview_flows.engine import Interview
from interview_flows.schema import Flow, Question

COMMANDS = {
    "back": "back",
    "kembali": "back",
    "skip": "skip",
    "lewati": "skip",
    "review": "review",
    "tinjau": "review",
    "pause": "pause",
    "jeda": "pause",
    "quit": "pause",
    "keluar": "pause",
    "help": "help",
    "bantuan": "help",
}
CHECK_NUMBERS = {"1": "review", "2": "send"}
"""The final check's two offers, by the numbers the terminal shows them with."""
YES = {"y", "ya", "iya", "yes", "setuju", "1"}
LIST_ITEM = re.compile(r"^( *)(\d+\.|•) (.*)$")
RECAP_QUESTION_CHARS = 60
"""How much of a question the short recap under a scripted run's result shows."""
NO = {"n", "t", "tidak", "no", "tdk", "2"}


class TerminalInterview:
    """One run of ``matang interview``: reads lines, writes text, records through :class:`Interviews`."""

    def __init__(
        self,
        store: Store,
        flow: Flow,
        lang: str,
        *,
        stdin: IO[str],
        stdout: IO[str],
        user: str | None = None,
        study_code: str | None = None,
        organisation: str | None = None,
    ) -> None:
        self.store = store
        self.interviews = Interviews(store)
        self.flow = flow
        self.lang = lang
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        self.screen = Screen(stdout)
        self.respondent_id = store.respondent("terminal", user or getpass.getuser(), lang=lang)
        self.study_code = study_code
        self.organisation = organisation
        self._last_section: str | None = None
        self._review: list[str] = []

    def say(self, text: str = "", *, indent: int = 0) -> None:
        """Write text, wrapped to the terminal's width (plain when output is not a terminal)."""
        self.screen.say(text, indent=indent)

    def say_laid_out(self, text: str) -> None:
        """Write a text with numbered or bulleted lines ("1. …", "• …") and indented ones (the
        result): wrapped lines stay under their item's text."""
        for line in text.split("\n"):
            item = LIST_ITEM.match(line)
            if item:
                self.screen.item(item.group(2), item.group(3), indent=len(item.group(1)))
            else:
                stripped = line.lstrip(" ")
                self.say(stripped, indent=len(line) - len(stripped))

    def read(self) -> str | None:
        """The next input line without its newline; None at the end of input."""
        if self.interactive:
            self.screen.write(t("terminal_prompt", self.lang))
        line = self.stdin.readline()
        if not line:
            return None
        if not self.interactive:
            # Echo scripted input so a transcript of the run reads like a conversation.
            self.say(f"> {line.rstrip()}")
        return line.rstrip("\r\n")

    def run(self, *, new: bool = False) -> SessionRecord | None:
        """Run the interview to its end, a pause, or the end of input; return the session.

        When the storage refuses a write (a full disk…), the respondent is told in their language
        that the last answer was not saved and how to go on, and the error propagates so the
        command ends with one line for the operator (``bot.cli.main``).
        """
        try:
            return self._run(new)
        except sqlite3.OperationalError as exc:
            if storage_fault(exc) is not None:
                self.say()
                self.say(t("terminal_storage_fault", self.lang))
            raise

    def _run(self, new: bool) -> SessionRecord | None:
        record = None if new else self.store.open_session(self.respondent_id)
        if record is not None and record.channel != "terminal":
            record = None
        if record is None:
            if not new and self.interactive and not self._offer_after_finished():
                return self._last_finished()
            record = self._consent_and_begin()
            if record is None:
                return None
        else:
            self.lang = record.session.lang
            self.flow = flow_of(record)
            if record.state == "paused":
                self.interviews.act(record, "resume", command="resume")
            self.say(t("resuming", self.lang, progress=str(engine_of(record).progress(record.session))))
        return self._loop(record)

    def _last_finished(self) -> SessionRecord | None:
        latest = self.store.latest_session(self.respondent_id)
        if latest is None or latest.state != "finished" or latest.channel != "terminal":
            return None
        return latest

    def _offer_after_finished(self) -> bool:
        """A respondent whose interview is finished sees its result again, and may start a new
        one. True when a new interview is to begin (or there was no finished one)."""
        latest = self._last_finished()
        if latest is None:
            return True
        self.lang = latest.session.lang
        self.say(t("terminal_finished_before", self.lang))
        self.say()
        self.say_laid_out(result_text(latest, self.lang))
        self.say()
        self.say(t("terminal_report_hint", self.lang, session=latest.id))
        self.say()
        self.say(t("terminal_new_interview", self.lang))
        while True:
            line = self.read()
            if line is None:
                return False
            word = line.strip().casefold()
            if word in YES:
                self.say()
                return True
            if word in NO or word == "":
                return False
            if COMMANDS.get(word) == "review":
                self._show_recap(engine_of(latest), latest)
            self.say(t("terminal_new_interview", self.lang))

    def _consent_and_begin(self) -> SessionRecord | None:
        f, lang = self.flow, self.lang
        self.say(f"Matang — {f.title.get(lang)}")
        self.say(f.description.get(lang))
        if self.organisation:
            self.say(t("terminal_study_org", lang, organisation=self.organisation))
        self.say()
        self.say(f.consent.get(lang))
        self.say(t("terminal_commands_note", lang, respondent=self.respondent_id))
        self.say()
        self.say(t("consent_question", lang) + f" ({t('consent_yes', lang)} / {t('consent_no', lang)})")
        while True:
            line = self.read()
            if line is None:
                self.say(t("terminal_saved_eof", lang))
                return None
            word = line.strip().casefold()
            if word in YES or word == t("consent_yes", lang).casefold():
                self.say(t("terminal_help", lang))
                return self.interviews.begin(
                    self.respondent_id,
                    f,
                    lang,
                    "terminal",
                    study_code=self.study_code,
                    organisation=self.organisation,
                )
            if word in NO:
                self.interviews.refuse(self.respondent_id, f, lang, "terminal", study_code=self.study_code)
                self.say(t("consent_refused", lang))
                return None
            self.say(t("terminal_consent_hint", lang))

    def _loop(self, record: SessionRecord) -> SessionRecord:
        engine = engine_of(record)
        at_check = False  # shown once on arrival; at the check a hint or a review follows input
        while record.state == "asking":
            q = engine.current(record.session)
            if q is None:  # every question answered: the final check before the answers are sent
                if not at_check:
                    self._show_check(engine, record)
            else:
                self._show(engine, record, q)
            at_check = q is None
            line = self.read()
            if line is None:
                self.interviews.act(record, "pause", command="eof")
                self.say(t("terminal_saved_eof", self.lang))
                return record
            if q is None:
                self._handle_check(engine, record, line)
            else:
                self._handle(engine, record, q, line)
        if record.state == "paused":
            self.say(t("paused", self.lang))
        elif record.state == "finished":
            self._summary(engine, record)
        return record

    def _handle(self, engine: Interview, record: SessionRecord, q: Question, line: str) -> None:
        word = line.strip().casefold()
        parts = word.split()
        command = COMMANDS.get(word)
        try:
            if line.startswith("\\"):
                # A leading backslash answers literally, for a text that is also a command word.
                self._answer(record, q, line[1:])
            elif command == "help":
                self.say(t("terminal_help", self.lang))
            elif command == "review":
                self._show_review(engine, record)
            elif len(parts) == 2 and COMMANDS.get(parts[0]) is None and parts[0] in ("edit", "ubah"):
                self._edit(record, parts[1])
            elif command in ("back", "skip", "pause"):
                self.interviews.act(record, command, command=command)
            elif word == "" and q.answerable and q.id in record.session.answers and not engine.probing(record.session):
                # Enter on a question shown again (back, edit) keeps the answer shown with it.
                self.interviews.act(record, "answer", record.session.answers[q.id])
            elif word == "":
                # An empty line skips; the engine refuses it for a required question.
                self.interviews.act(record, "skip", command="skip")
            else:
                self._answer(record, q, line)
        except AnswerError as err:
            self.say("! " + err.text(self.lang))

    def _show_check(self, engine: Interview, record: SessionRecord) -> None:
        """The final check: the answers may be looked over and changed before they are sent."""
        self._review = [i.question.id for i in engine.review(record.session)]
        self.say()
        self.say("── " + t("check_title", self.lang) + " ──")
        self.say(t("check_intro", self.lang, count=len(self._review)))
        self.screen.item("1.", t("terminal_check_review", self.lang))
        self.screen.item("2.", t("terminal_check_send", self.lang))

    def _handle_check(self, engine: Interview, record: SessionRecord, line: str) -> None:
        """At the final check: review (1), send (2), ``ubah N``, back, pause or help."""
        word = line.strip().casefold()
        parts = word.split()
        command = COMMANDS.get(word) or CHECK_WORDS.get(word) or CHECK_NUMBERS.get(word)
        try:
            if command == "review":
                self.say()
                self._show_review(engine, record, usage=False)  # the hint below names "ubah N"
                self.say(t("terminal_check_hint", self.lang))
            elif command == "send":
                self.interviews.act(record, "finish", command="send")
            elif len(parts) == 2 and parts[0] in ("edit", "ubah"):
                self._edit(record, parts[1])
            elif command in ("back", "pause"):
                self.interviews.act(record, command, command=command)
            elif command == "help":
                self.say(t("terminal_help", self.lang))
            else:
                self.say("! " + t("terminal_check_hint", self.lang))
        except AnswerError as err:
            self.say("! " + err.text(self.lang))

    def _answer(self, record: SessionRecord, q: Question, line: str) -> None:
        if not q.answerable:
            self.interviews.act(record, "skip")
            return
        value = parse_text_answer(q, line, self.lang)
        self.interviews.act(record, "answer", value)

    def _edit(self, record: SessionRecord, which: str) -> None:
        # isdecimal, not isdigit: int() refuses digits such as "²" (the interview would end in a traceback).
        if not which.isdecimal() or not 1 <= int(which) <= len(self._review):
            self.say("! " + t("terminal_edit_usage", self.lang))
            return
        self.interviews.act(record, "edit", self._review[int(which) - 1], command=f"edit {which}")

    def _show(self, engine: Interview, record: SessionRecord, q: Question) -> None:
        lang = self.lang
        if q.section != self._last_section:
            self._last_section = q.section
            section = self.flow.section(q.section)
            number = [s.id for s in self.flow.sections].index(q.section) + 1
            self.say()
            self.say("── " + t("section_of", lang, number=number, count=len(self.flow.sections),
                             title=section.title.get(lang)) + " ──")
            if section.intro:
                self.say(section.intro.get(lang))
        self.say()
        progress = engine.progress(record.session)
        if q.answerable:
            text = q.text.get(lang) + (f" {t('optional', lang)}" if not q.required else "")
            self.screen.item(f"[{progress}]", text, indent=0)
        else:
            self.say(q.text.get(lang))
        if q.hint:
            self.say(f"({q.hint.get(lang)})", indent=3)
        for marker, text in question_options(q, lang):
            if marker:
                self.screen.item(marker, text)
            else:
                self.say(text, indent=3)
        current = record.session.answers.get(q.id)
        if current is not None and engine.probing(record.session):
            # A probe shows the answer it follows up, not as the probe's own answer.
            self.say(t("probe_context", lang, answer=describe_answer(q, current, lang)), indent=3)
        elif current is not None:
            self.say(t("terminal_current_answer", lang, answer=describe_answer(q, current, lang)), indent=3)
        elif q.id in record.session.skipped and q.answerable:
            self.say(t("terminal_current_answer", lang, answer=t("skipped", lang)), indent=3)
        if not q.answerable:
            self.say(f"[{t('continue', lang)}: Enter]", indent=3)

    def _show_review(self, engine: Interview, record: SessionRecord, *, usage: bool = True) -> None:
        items = engine.review(record.session)
        self._review = [i.question.id for i in items]
        if not items:
            self.say(t("review_empty", self.lang))
            return
        self.say(t("review_title", self.lang))
        for n, item in enumerate(items, 1):
            shown = t("skipped", self.lang) if item.skipped else describe_answer(item.question, item.value, self.lang)
            self.screen.item(f"{n}.", f"{item.question.text.get(self.lang)}\n→ {shown}", indent=2)
        if usage:
            self.say(t("terminal_edit_usage", self.lang))

    def _show_recap(self, engine: Interview, record: SessionRecord) -> None:
        """The answers of a finished interview, one short line each."""
        self.say(t("terminal_recap_title", self.lang))
        for n, item in enumerate(engine.review(record.session), 1):
            shown = t("skipped", self.lang) if item.skipped else describe_answer(item.question, item.value, self.lang)
            text = item.question.text.get(self.lang)
            if len(text) > RECAP_QUESTION_CHARS:
                text = text[: RECAP_QUESTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
            self.screen.item(f"{n}.", f"{text} → {shown}", indent=2)

    def _summary(self, engine: Interview, record: SessionRecord) -> None:
        """The end: thanks, the result first, where the PDF comes from; on a terminal the result
        stays on screen until Enter (the answers on request), in a script a short recap below."""
        lang = self.lang
        self.say()
        self.say(t("finished", lang))
        if record.assessment:
            self.say()
            self.say_laid_out(result_text(record, lang))
        self.say()
        self.say(t("terminal_report_hint", lang, session=record.id))
        if not self.interactive:
            self.say()
            self._show_recap(engine, record)
            return
        while True:
            self.say()
            self.say(t("terminal_end_prompt", lang))
            line = self.read()
            if line is None or line.strip() == "":
                return
            if COMMANDS.get(line.strip().casefold()) == "review":
                self.say()
                self._show_recap(engine, record)


def question_options(q: Question, lang: str) -> list[tuple[str, str]]:
    """The options of a question as shown in the terminal: ``(marker, text)`` pairs, the marker
    "1." for a numbered option and empty for a line of guidance. "Don't know" is offered by its
    number where options are numbered, otherwise by the words to type: never by an internal key."""
    lines: list[tuple[str, str]] = [(f"{n}.", c.label.get(lang)) for n, c in enumerate(q.choices, 1)]
    label = t("dont_know", lang)
    if q.dont_know and q.choices:
        lines.append((f"{len(q.choices) + 1}.", label))
    if q.type == "scale":
        points = " ".join(str(p) for p in q.scale_points())
        if q.dont_know:
            points += f"   {len(q.scale_points()) + 1} = {label}"
        lines.append(("", points))
        if q.min_label and q.max_label:
            lines.append(("", t("scale_ends", lang, min=int(q.min or 0), min_label=q.min_label.get(lang),
                                max=int(q.max or 0), max_label=q.max_label.get(lang))))
    if q.type == "multiple_choice":
        lines.append(("", t("multi_hint", lang)))
    if q.type == "number" and q.min is not None and q.max is not None:
        lines.append(("", t("number_range", lang, min=_n(q.min), max=_n(q.max))))
    if q.dont_know and not q.choices and q.type != "scale":
        lines.append(("", t("terminal_dont_know_words", lang, words=label.casefold())))
    return lines


def _n(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


Reader = Callable[[], str | None]
