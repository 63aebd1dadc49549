"""``transcripts``: one Markdown file per session — question and answer in the order asked, with
times, and the assessment at the end. Written to a directory, or to a zip when ``--out`` ends in
``.zip``. File names carry the session id only (``session-000012.md``), never a name. A voice
answer is a line ``[jawaban suara, 0:42, berkas audio/….ogg]`` and its audio is in ``audio/``; a
probe answered by voice has that line under the probe, the typed first answer above it.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.research.exports.base import (
    AUDIO_FOLDER,
    FIRST_PART,
    PART_WORDS,
    AnswerRow,
    ExportResult,
    Job,
    SessionInfo,
    atomic_dir,
    atomic_file,
    label_text,
    later_parts,
    of_part,
    question_text,
    value_text,
    voice_note,
)

WORDS = {
    "title": {"id": "Transkrip wawancara", "en": "Interview transcript"},
    "study": {"id": "Studi", "en": "Study"},
    "respondent": {"id": "Responden", "en": "Respondent"},
    "organisation": {"id": "Instansi", "en": "Organisation"},
    "flow": {"id": "Alur wawancara", "en": "Interview flow"},
    "lang": {"id": "Bahasa", "en": "Language"},
    "status": {"id": "Status", "en": "Status"},
    "started": {"id": "Mulai", "en": "Started"},
    "finished": {"id": "Selesai", "en": "Finished"},
    "skipped": {"id": "(dilewati)", "en": "(skipped)"},
    "changed": {"id": "diubah {n} kali", "en": "changed {n} times"},
    "assessment": {"id": "Penilaian", "en": "Assessment"},
    "no_assessment": {
        "id": "Belum ada penilaian: wawancara tidak selesai (status: {status}).",
        "en": "No assessment: the interview was not finished (status: {status}).",
    },
    "identity": {"id": "Identitas", "en": "Identity"},
    "consistency": {"id": "Jawaban yang tidak sejalan", "en": "Answers that do not fit together"},
}


@dataclass(slots=True)
class Item:
    """One question as it was asked: the answer (or a skip), when, and how often it changed."""

    question_id: str
    section: str
    text: str
    value: Any
    label: str
    at: str
    times_changed: int
    skipped: bool
    free_text: bool
    criteria: tuple[str, ...]
    later: list[tuple[str, str, str]] = field(default_factory=list)
    """Parts of an open answer after the first: (column, what was asked, the answer)."""

    @property
    def first(self) -> str:
        """The answer as first given (the whole label when it has one part)."""
        return value_text(self.value) if self.later else self.label

    recordings: tuple[Any, ...] = ()
    """The voice answers given to this question (:class:`bot.recordings.Recording`), oldest first."""

    def answer_lines(self, lang: str, skipped: str, prefix: str = "audio/") -> list[str]:
        """The answer as transcripts show it: the typed text (not a recording's placeholder), then
        one ``[jawaban suara, 0:42, berkas …]`` line per recording of the answer itself."""
        if self.skipped:
            return [skipped]
        return self.answer_block(lang, skipped, prefix).splitlines()

    def answer_block(self, lang: str, skipped: str, prefix: str = "audio/") -> str:
        """The answer as one text: the typed text exactly as :attr:`first` has it (so offsets into
        it still hold), then one line per recording of the answer itself (part 1)."""
        if self.skipped:
            return skipped
        return _with_voice(self.first, of_part(self.recordings, FIRST_PART), lang, prefix)

    def later_shown(self, lang: str, prefix: str = "audio/") -> list[tuple[str, str, str]]:
        """:attr:`later` as transcripts show it: a part answered by voice (the probe) is its
        ``[jawaban suara, 0:42, berkas …]`` line instead of the placeholder."""
        return [(column, prompt, _with_voice(text, of_part(self.recordings, n), lang, prefix))
                for n, (column, prompt, text) in enumerate(self.later, FIRST_PART + 1)]


def _with_voice(text: str, recs: list[Any], lang: str, prefix: str) -> str:
    """A typed text followed by one line per recording; a recording's placeholder gives way to them."""
    from bot.recordings import is_placeholder

    notes = [voice_note(rec, lang, prefix) for rec in recs]
    if notes and is_placeholder(text):
        return "\n".join(notes)
    return "\n".join([text, *notes])


def items(job: Job, s: SessionInfo, flow: Any, answers: list[AnswerRow]) -> list[Item]:
    """The session's questions in the order they were first asked, answered or skipped.

    Answers to questions that no longer apply are left out (``answers`` are the effective ones);
    a skipped question appears when it still applies.
    """
    lang = job.text_lang(s.lang)
    by_id = {a.question_id: a for a in answers}
    order: dict[str, str] = {}
    skipped_now: set[str] = set()
    for _eid, qid, kind, at in job.conn.execute(
        "select id, question_id, kind, at from events where session_id = ? and question_id is not null"
        " and kind in ('answer', 'change', 'skip') order by id",
        [s.id],
    ):
        order.setdefault(qid, at)
        if kind == "skip":
            skipped_now.add(qid)
        else:
            skipped_now.discard(qid)
    for qid in by_id:  # answers without events (imported data) still appear, in flow order
        order.setdefault(qid, by_id[qid].answered_at)
    out = []
    engine = None
    if flow is not None:
        from interview_flows.engine import engine_for

        engine = engine_for(flow)
    values = {a.question_id: a.value for a in answers}
    voices = job.recordings(s.id)
    for qid, first_at in order.items():
        q = flow.question(qid) if flow is not None and qid in flow._index else None
        a = by_id.get(qid)
        if a is None and (qid not in skipped_now or (engine is not None and not engine.is_relevant(qid, values))):
            continue
        out.append(
            Item(
                question_id=qid,
                section=q.section if q else "",
                text=question_text(flow, qid, lang) or qid,
                value=a.value if a else None,
                label=label_text(flow, qid, a.value, lang) if a else "",
                at=a.answered_at if a else first_at,
                times_changed=a.times_changed if a else 0,
                skipped=a is None,
                free_text=bool(q is not None and q.type == "text"),
                criteria=tuple(sorted(q.evidenced_criteria())) if q is not None else (),
                later=later_parts(flow, qid, a.value, lang) if a else [],
                recordings=tuple(voices.get(qid, ())) if a is not None else (),
            )
        )
    return out


def assessment_text(s: SessionInfo, flow: Any, answers: list[AnswerRow], lang: str) -> str:
    """The assessment of a finished session in words (scoring.narrative), or why there is none."""
    if s.state != "finished" or flow is None:
        return WORDS["no_assessment"][lang].format(status=s.status)
    from scoring.assessment import assess
    from scoring.narrative import render_text

    assessment = assess(flow, {a.question_id: a.value for a in answers})
    text = render_text(assessment, lang, flow)
    if assessment.consistency:
        # For the researcher: which answers do not fit together (the respondent saw one neutral line).
        head = WORDS["consistency"][lang]
        lines = [f"- {c.note.get(lang)} ({', '.join(c.questions)})" for c in assessment.consistency]
        text += f"\n\n**{head}**\n\n" + "\n".join(lines)
    return text


def markdown(job: Job, s: SessionInfo, flow: Any, answers: list[AnswerRow]) -> str:
    """One session's transcript as Markdown."""
    lang = job.text_lang(s.lang)
    w = {k: v[lang] for k, v in WORDS.items()}
    lines = [
        f"# {w['title']} — {s.id}",
        "",
        f"- {w['study']}: {job.study.code} — {job.study.name}",
        f"- {w['respondent']}: {s.respondent}",
        f"- {w['organisation']}: {s.organisation or '—'}",
        f"- {w['flow']}: {s.flow_id} {s.flow_version}",
        f"- {w['lang']}: {s.lang}",
        f"- {w['status']}: {s.status}",
        f"- {w['started']}: {s.started_at}",
        f"- {w['finished']}: {s.finished_at or '—'}",
    ]
    if job.identify:
        lines.append(f"- {w['identity']}: {s.channel} {s.external_id} {s.name or ''} @{s.username or ''}".rstrip())
    section = None
    for n, item in enumerate(items(job, s, flow, answers), 1):
        if item.section != section and flow is not None and item.section:
            section = item.section
            lines += ["", f"## {flow.section(section).title.get(lang)}"]
        lines += ["", f"**{n}. {_one_line(item.text)}**  "]
        when = f"*{item.at}*"
        if item.times_changed:
            when += f" · {w['changed'].format(n=item.times_changed)}"
        lines.append(when + "  ")
        lines += [f"> {line}" if line else ">" for line in item.answer_lines(lang, w["skipped"]) or [""]]
        for _column, prompt, text in item.later_shown(lang):
            # The probe as it was asked, then its answer: the transcript reads like the interview.
            lines += ["", f"*{PART_WORDS['probe'][lang]}: {_one_line(prompt)}*  "]
            lines += [f"> {line}" if line else ">" for line in text.splitlines() or [""]]
    lines += ["", f"## {w['assessment']}", "", assessment_text(s, flow, answers, lang), ""]
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def file_name(s: SessionInfo) -> str:
    """The transcript's file name: the session id, zero-padded so files sort in order."""
    return f"session-{s.id:06d}.md"


def write(job: Job, out: Path) -> ExportResult:
    """Write one Markdown file per session into the directory ``out`` (or a zip, for ``*.zip``),
    with the audio of voice answers under ``audio/``."""
    result = ExportResult("transcripts", [out], identify=job.identify, unit="answer")
    if out.suffix.lower() == ".zip":
        with atomic_file(out, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            for s, flow, answers in job.sessions_with_answers():
                zf.writestr(file_name(s), markdown(job, s, flow, answers))
                for recs in job.recordings(s.id).values():
                    for rec in recs:
                        data = job.audio_bytes(rec)
                        if data is not None:  # audio is compressed already: stored as it is
                            zf.writestr(f"{AUDIO_FOLDER}/{rec.file}", data, compress_type=zipfile.ZIP_STORED)
                result.sessions += 1
                result.rows += len(answers)
        return result
    with atomic_dir(out) as tmp:
        for s, flow, answers in job.sessions_with_answers():
            (tmp / file_name(s)).write_text(markdown(job, s, flow, answers), encoding="utf-8")
            job.copy_audio([r for recs in job.recordings(s.id).values() for r in recs], tmp / AUDIO_FOLDER)
            result.sessions += 1
            result.rows += len(answers)
    return result
