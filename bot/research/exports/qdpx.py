"""``qdpx``: a REFI-QDA project (QDA-XML 1.0) for NVivo, ATLAS.ti, MAXQDA and QualCoder.

The ``.qdpx`` file is a zip holding ``project.qde`` (the XML project) and ``sources/`` (one plain
text file per interview). In the project:

- the criteria of the maturity model are the **codes**, grouped under one non-codable code per
  level;
- each interview is a **text source** (its transcript), and each free-text answer in it is a
  selection **coded** with the criteria of its question;
- each voice answer is an **audio source** (its file in ``sources/``), the whole recording a
  selection coded with the criteria of its question;
- the themes the respondent named (scoring.themes, automatic coding) are codes of their own
  group, "Tema (otomatis)" / "Themes (automatic)", each coded on the exact words that gave it,
  so researchers start from them and can reject them;
- each respondent is a **case** with the **variables** organisation, role and level, linked to
  their interviews.

GUIDs are UUID 5 derived from the study code and the record ids, so exporting the same study
twice gives the same GUIDs (a QDA tool can merge the two) and reveals nothing about respondents.
The project validates against the REFI-QDA ``Project.xsd``.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from bot.research.exports.base import PART_WORDS, ExportResult, Job, SessionInfo, atomic_file, part_column
from bot.research.exports.themes import session_themes
from bot.research.exports.transcripts import WORDS, Item, items
from bot.store import loads

NAMESPACE = uuid.UUID("5b0f3c9e-6a55-4a53-9a0e-6d61746e6721")
LEVEL_COLOURS = {1: "#9e9e9e", 2: "#1f77b4", 3: "#2ca02c", 4: "#ff7f0e", 5: "#9467bd"}
THEME_COLOUR = "#d62728"
THEME_GROUP = {"id": "Tema (otomatis)", "en": "Themes (automatic)"}
VARIABLES = (("organisation", "Text"), ("role", "Text"), ("level", "Integer"))
"""The variables of a case (a respondent)."""
SOURCE_VARIABLES = (("respondent", "Text"), *VARIABLES, ("session_status", "Text"))
"""The variables of a source (an interview): readers that ignore ``Case/SourceRef``, such as
QualCoder's importer, can still group interviews by respondent and organisation."""
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def guid(*parts: Any) -> str:
    """A stable GUID for a thing in the project.

    >>> guid("code", "L2.publish") == guid("code", "L2.publish")
    True
    """
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _t(text: Any) -> str:
    return escape(_XML_BAD.sub("", str(text)))


def _a(text: Any) -> str:
    return quoteattr(_XML_BAD.sub("", str(text)))


def source_text(job: Job, s: SessionInfo, flow: Any, found: list[Item]) -> tuple[str, list[tuple[Item, int, int]]]:
    """The plain text of one interview and the character span of each free-text answer."""
    lang = job.text_lang(s.lang)
    w = {k: v[lang] for k, v in WORDS.items()}
    parts: list[str] = []
    pos = 0
    spans: list[tuple[Item, int, int]] = []

    def add(text: str) -> None:
        nonlocal pos
        parts.append(text)
        pos += len(text)

    add(f"{w['title']} — {s.id}\n")
    add(f"{w['study']}: {job.study.code} — {job.study.name}\n")
    add(f"{w['respondent']}: {s.respondent}\n")
    add(f"{w['organisation']}: {s.organisation or '—'}\n")
    add(f"{w['flow']}: {s.flow_id} {s.flow_version} · {w['lang']}: {s.lang} · {w['status']}: {s.status}\n")
    add(f"{w['started']}: {s.started_at} · {w['finished']}: {s.finished_at or '—'}\n")
    section = None
    for n, item in enumerate(found, 1):
        if item.section != section and flow is not None and item.section:
            section = item.section
            add(f"\n[{flow.section(section).title.get(lang)}]\n")
        add(f"\n{n}. {' '.join(item.text.split())}\n({item.at})\n")
        answer = item.answer_block(lang, w["skipped"], prefix="")
        start = pos
        add(answer)
        if item.free_text and not item.skipped:
            spans.append((item, start, pos))
        add("\n")
        for column, prompt, text in item.later_shown(lang, prefix=""):
            # The probe as asked, then its answer, coded like the first part (its own span).
            add(f"{PART_WORDS['probe'][lang]}: {' '.join(prompt.split())}\n")
            start = pos
            add(text)
            if item.free_text and text != PART_WORDS["skipped"][lang]:
                # Named after its column, so its selection and codings get GUIDs of their own.
                spans.append((replace(item, question_id=column), start, pos))
            add("\n")
    return "".join(parts), spans


def write(job: Job, out: Path) -> ExportResult:
    """Write the ``.qdpx`` project to ``out``."""
    from scoring.criteria import load_model

    model = load_model()
    known = {c.id for c in model.criteria}
    result = ExportResult("qdpx", [out], identify=job.identify, unit="coded free-text answer")
    code = job.study.code
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    user = guid("user", "matang")
    fd, qde_tmp = tempfile.mkstemp(prefix=".project.", suffix=".qde", dir=out.parent if out.parent.exists() else None)
    os.close(fd)
    try:
        with atomic_file(out, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            with open(qde_tmp, "w", encoding="utf-8") as qde:
                qde.write('<?xml version="1.0" encoding="utf-8"?>\n')
                qde.write(
                    f'<Project xmlns="urn:QDA-XML:project:1.0" name={_a(f"{job.study.name} ({code})")}'
                    f' origin="Matang" creatingUserGUID="{user}" creationDateTime="{stamp}">\n'
                )
                qde.write(f'<Users><User guid="{user}" name="Matang export"/></Users>\n')
                _codebook(qde, model, job.text_lang())
                qde.write("<Variables>\n")
                for name, kind in SOURCE_VARIABLES:
                    qde.write(
                        f'<Variable guid="{guid("variable", code, name)}" name="{name}" typeOfVariable="{kind}"/>\n'
                    )
                qde.write("</Variables>\n")
                _cases(qde, job)
                sources_open = False
                for s, flow, answers in job.sessions_with_answers():
                    if not sources_open:
                        qde.write("<Sources>\n")
                        sources_open = True
                    found = items(job, s, flow, answers)
                    text, spans = source_text(job, s, flow, found)
                    source = guid("source", code, s.id)
                    zf.writestr(f"sources/{source}.txt", text)
                    qde.write(
                        f'<TextSource guid="{source}" name="session-{s.id:06d}"'
                        f' plainTextPath="internal://{source}.txt" creatingUser="{user}"'
                        f' creationDateTime="{_datetime(s.started_at)}">\n'
                        f"<Description>{_t(_description(job, s))}</Description>\n"
                    )
                    after_selections = _source_variables(job, s, flow)
                    for item, start, end in spans:
                        codes = [c for c in item.criteria if c in known]
                        qde.write(
                            f'<PlainTextSelection guid="{guid("selection", code, s.id, item.question_id)}"'
                            f' name={_a(item.question_id)} startPosition="{start}" endPosition="{end}"'
                            f' creatingUser="{user}" creationDateTime="{_datetime(item.at)}">\n'
                        )
                        for c in codes:
                            qde.write(
                                f'<Coding guid="{guid("coding", code, s.id, item.question_id, c)}" creatingUser="{user}">'
                                f'<CodeRef targetGUID="{guid("code", c)}"/></Coding>\n'
                            )
                        qde.write("</PlainTextSelection>\n")
                        result.rows += 1
                    for start, end, theme, source_item in _theme_spans(flow, answers, spans):
                        qde.write(
                            f'<PlainTextSelection guid="{guid("theme-selection", code, s.id, source_item.question_id, start, theme)}"'
                            f' name={_a(f"{theme}: {text[start:end]}")} startPosition="{start}" endPosition="{end}"'
                            f' creatingUser="{user}" creationDateTime="{_datetime(source_item.at)}">\n'
                            f'<Coding guid="{guid("theme-coding", code, s.id, source_item.question_id, start, theme)}"'
                            f' creatingUser="{user}"><CodeRef targetGUID="{guid("theme", theme)}"/></Coding>\n'
                            "</PlainTextSelection>\n"
                        )
                    qde.write(after_selections)  # the schema wants variable values after selections
                    qde.write("</TextSource>\n")
                    _audio_sources(qde, zf, job, s, found, known, user)
                    result.sessions += 1
                if sources_open:
                    qde.write("</Sources>\n")
                qde.write(f"<Description>{_t(_project_description(job))}</Description>\n")
                qde.write("</Project>\n")
            zf.write(qde_tmp, "project.qde")
    finally:
        os.unlink(qde_tmp)
    return result


def _variable_value(code: str, name: str, kind: str, value: Any) -> str:
    element = "IntegerValue" if kind == "Integer" else "TextValue"
    return (
        f'<VariableValue><VariableRef targetGUID="{guid("variable", code, name)}"/>'
        f"<{element}>{_t(value)}</{element}></VariableValue>\n"
    )


def _source_variables(job: Job, s: SessionInfo, flow: Any) -> str:
    """An interview's variable values: its respondent's pseudonym, organisation, role, level, status."""
    values = {
        "respondent": s.respondent,
        "organisation": s.organisation,
        "role": _answer_label(job, s.id, flow, "role", s.lang),
        "level": s.level if s.state == "finished" else None,
        "session_status": s.status,
    }
    return "".join(
        _variable_value(job.study.code, name, kind, values[name])
        for name, kind in SOURCE_VARIABLES
        if values.get(name) not in (None, "")
    )


def _audio_sources(qde: IO[str], zf: zipfile.ZipFile, job: Job, s: SessionInfo, found: list[Item], known: set[str],
                   user: str) -> None:
    """One ``AudioSource`` per voice answer, its audio in ``sources/`` and the whole recording an
    ``AudioSelection`` coded with the criteria of its question (as a typed answer is)."""
    code = job.study.code
    lang = job.text_lang(s.lang)
    for item in found:
        for rec in item.recordings:
            data = job.audio_bytes(rec)
            if data is None:  # erased since the snapshot began: the respondent asked for it to go
                continue
            zf.writestr(f"sources/{rec.file}", data, compress_type=zipfile.ZIP_STORED)
            source = guid("audio", code, s.id, rec.id)
            # A probe's recording is named after the probe's column (how__probe), as its text span is.
            column = part_column(item.question_id, rec.part, item.value)
            about = (
                f"session-{s.id:06d} · {column} · {' '.join(item.text.split())} · {rec.clock}"
                f" · {rec.mime_type} · {rec.size} bytes · sha256 {rec.sha256}"
            )
            qde.write(
                f'<AudioSource guid="{source}" name={_a(f"session-{s.id:06d} {item.question_id} {rec.part}")}'
                f' path="internal://{rec.file}" creatingUser="{user}" creationDateTime="{_datetime(rec.recorded_at)}">\n'
                f"<Description>{_t(about)}</Description>\n"
            )
            if rec.transcript:
                qde.write(
                    f'<Transcript guid="{guid("transcript", code, s.id, rec.id)}" name={_a(f"{rec.file} ({lang})")}>'
                    f"<PlainTextContent>{_t(rec.transcript)}</PlainTextContent></Transcript>\n"
                )
            qde.write(
                f'<AudioSelection guid="{guid("audio-selection", code, s.id, rec.id)}" name={_a(column)}'
                f' begin="0" end="{rec.duration * 1000}" creatingUser="{user}"'
                f' creationDateTime="{_datetime(rec.recorded_at)}">\n'
            )
            for c in (c for c in item.criteria if c in known):
                qde.write(
                    f'<Coding guid="{guid("audio-coding", code, s.id, rec.id, c)}" creatingUser="{user}">'
                    f'<CodeRef targetGUID="{guid("code", c)}"/></Coding>\n'
                )
            qde.write("</AudioSelection>\n</AudioSource>\n")


def _codebook(qde: IO[str], model: Any, lang: str) -> None:
    qde.write("<CodeBook><Codes>\n")
    for lv in model.levels:
        own = model.criteria_of(lv.level)
        if not own:
            continue
        qde.write(
            f'<Code guid="{guid("level", lv.level)}" name={_a(f"Level {lv.level}: {lv.name.get(lang)}")}'
            f' isCodable="false" color="{LEVEL_COLOURS.get(lv.level, "#777777")}">\n'
            f"<Description>{_t(lv.focus.get(lang))}</Description>\n"
        )
        for c in own:
            qde.write(
                f'<Code guid="{guid("code", c.id)}" name={_a(f"{c.id} {c.name.get(lang)}")} isCodable="true"'
                f' color="{LEVEL_COLOURS.get(lv.level, "#777777")}">'
                f"<Description>{_t(c.description.get(lang))}</Description></Code>\n"
            )
        qde.write("</Code>\n")
    from scoring.themes import load_codebook

    qde.write(
        f'<Code guid="{guid("theme-group")}" name={_a(THEME_GROUP["en" if lang == "en" else "id"])}'
        f' isCodable="false" color="{THEME_COLOUR}">\n'
        "<Description>"
        + _t(
            "Obstacles coded automatically from the respondents' own words and the challenges question; check each coding."
            if lang == "en"
            else "Hambatan yang dikode otomatis dari kata-kata responden dan pertanyaan tantangan; periksa setiap pengodean."
        )
        + "</Description>\n"
    )
    for theme in load_codebook().themes:
        qde.write(
            f'<Code guid="{guid("theme", theme.id)}" name={_a(f"{theme.id} {theme.label.get(lang)}")} isCodable="true"'
            f' color="{THEME_COLOUR}"><Description>{_t(theme.description.get(lang))}</Description></Code>\n'
        )
    qde.write("</Code>\n")
    qde.write("</Codes></CodeBook>\n")


def _theme_spans(
    flow: Any, answers: list[Any], spans: list[tuple[Item, int, int]]
) -> Iterator[tuple[int, int, str, Item]]:
    """Each theme found in a free-text answer, as a span of the source text (start, end, theme id).

    An answer's words are found where its transcript shows them; a part the transcript does not
    show verbatim is left uncoded rather than coded on the wrong words.
    """
    from scoring.themes import text_parts

    shown = {item.question_id: (item, start, end) for item, start, end in spans}
    values = {a.question_id: a.value for a in answers}
    if not shown:
        return
    for theme in session_themes(flow, values):
        for src in theme.sources:
            if src.start is None or src.end is None or src.question not in shown:
                continue
            item, start, end = shown[src.question]
            parts = text_parts(values.get(src.question))
            if src.part >= len(parts):
                continue
            at = item.label.find(parts[src.part]) if parts[src.part] else -1
            if at < 0 or start + at + src.end > end:
                continue
            yield start + at + src.start, start + at + src.end, theme.id, item


def _case_rows(job: Job) -> Iterator[tuple[Any, ...]]:
    return job.conn.execute(
        "select s.respondent_id, s.id, s.organisation, s.flow_id, s.flow_version, s.lang, s.state,"
        " json_extract(s.assessment, '$.level'), r.channel, r.external_id, r.name, r.username"
        " from sessions s join respondents r on r.id = s.respondent_id where s.study_code = ?"
        " order by s.respondent_id, s.id",
        [job.study.code],
    )


def _cases(qde: IO[str], job: Job) -> None:
    """One case per respondent (rows come ordered by respondent, so one case is held at a time)."""
    code = job.study.code
    current: dict[str, Any] | None = None
    opened = False

    def flush(case: dict[str, Any] | None) -> None:
        nonlocal opened
        if case is None:
            return
        if not opened:
            qde.write("<Cases>\n")
            opened = True
        qde.write(f'<Case guid="{guid("case", code, case["respondent"])}" name={_a(case["name"])}>\n')
        for name, kind in VARIABLES:
            value = case.get(name)
            if value in (None, ""):
                continue
            element = "IntegerValue" if kind == "Integer" else "TextValue"
            qde.write(
                f'<VariableValue><VariableRef targetGUID="{guid("variable", code, name)}"/>'
                f"<{element}>{_t(value)}</{element}></VariableValue>\n"
            )
        for sid in case["sessions"]:
            qde.write(f'<SourceRef targetGUID="{guid("source", code, sid)}"/>\n')
            for recs in job.recordings(sid).values():
                for rec in recs:
                    if job.audio_source(rec).is_file():  # as _audio_sources: only audio the archive holds
                        qde.write(f'<SourceRef targetGUID="{guid("audio", code, sid, rec.id)}"/>\n')
        qde.write("</Case>\n")

    assert job.pseudonyms is not None
    for rid, sid, org, flow_id, version, lang, state, level, channel, external_id, name, username in _case_rows(job):
        if current is None or current["id"] != rid:
            flush(current)
            pseudonym = job.pseudonyms(channel, external_id)
            label = pseudonym
            if job.identify:  # the pseudonym stays first, so cases still match the other exports
                label = " ".join(
                    p
                    for p in (pseudonym, "—", name, f"@{username}" if username else "", f"({channel} {external_id})")
                    if p
                )
            current = {"id": rid, "respondent": pseudonym, "name": label, "sessions": []}
        current["sessions"].append(sid)
        flow = job.flow(flow_id, version)
        organisation = org or job.study.organisation or _answer_label(job, sid, flow, "organisation", lang)
        if organisation:
            current["organisation"] = organisation
        role = _answer_label(job, sid, flow, "role", lang)
        if role:
            current["role"] = role
        if state == "finished" and level is not None:
            current["level"] = int(level)
    flush(current)
    if opened:
        qde.write("</Cases>\n")


def _answer_label(job: Job, session_id: int, flow: Any, variable: str, lang: str) -> str | None:
    if flow is None:
        return None
    qid = flow.variables().get(variable)
    if qid is None:
        return None
    row = job.conn.execute(
        "select value from answers where session_id = ? and question_id = ?", [session_id, qid]
    ).fetchone()
    if row is None:
        return None
    value = loads(row[0])
    if value == "dont_know":
        return None
    from interview_flows.answers import describe_answer

    return " ".join(describe_answer(flow.question(qid), value, job.text_lang(lang)).split()) or None


def _description(job: Job, s: SessionInfo) -> str:
    parts = [
        f"{job.study.code} session {s.id}",
        f"status {s.status}",
        f"flow {s.flow_id} {s.flow_version}",
        f"language {s.lang}",
    ]
    if s.organisation:
        parts.append(f"organisation {s.organisation}")
    if s.level is not None:
        parts.append(f"level {s.level}")
    return "; ".join(parts)


def _project_description(job: Job) -> str:
    study = job.study
    kind = "identifying" if job.identify else "pseudonymous"
    return (
        f"Matang study {study.code}: {study.name}. Flow {study.flow_id} {study.flow_version}. "
        f"Respondents are {kind}. Codes are the criteria of the Open Government Maturity Model "
        "(Lee & Kwak 2012); free-text answers are coded with the criteria of their question. "
        "The group Themes (automatic) holds the obstacles coded automatically on the respondents' own "
        "words (scoring/data/themes.yaml): a starting point to check, keep or reject."
    )


def _datetime(value: str | None) -> str:
    """An ISO 8601 time as xsd:dateTime (Python writes the same shape)."""
    if not value:
        return datetime.now(UTC).isoformat(timespec="seconds")
    return datetime.fromisoformat(value).isoformat(timespec="seconds")
