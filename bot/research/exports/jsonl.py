"""``jsonl``: every event of every session, in order — enough to rebuild each interview.

One JSON object per line. Each session starts with a ``session`` line (study, respondent
pseudonym, flow id and version, language, organisation, status, times) followed by its ``event``
lines in the order they happened: ``kind`` (consent, state, answer, change, skip, probe,
probe_skip, language, command…), ``question_id``, ``old`` and ``new`` values, ``at`` and ``detail``. A finished session
ends with an ``assessment`` line. Each voice answer adds a ``recording`` line (question, part —
1 for the answer, 2 for the probe's —, ``column`` as the CSV names it, ``how`` or ``how__probe``,
file and its path beside the export, duration in seconds, MIME type, size, SHA-256). A ``probe``
event is the answer to the follow-up of a thin open answer (``new`` is the whole answer, now in
two parts); ``probe_skip`` records that the follow-up was passed. Replaying
``answer``/``change``/``probe``/``probe_skip`` (set ``new``) and ``skip``
(remove) events gives exactly the stored answers (:func:`replay`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from json.encoder import encode_basestring as encode_string
from pathlib import Path
from typing import IO, Any

from bot.research.exports.base import ExportResult, Job, atomic_file, audio_beside, copy_study_audio, part_column


def write(job: Job, out: Path) -> ExportResult:
    """Write the JSON lines to ``out`` (``-`` for standard output)."""
    if str(out) == "-":
        return write_to(job, sys.stdout, out)
    with atomic_file(out, "w", encoding="utf-8", newline="\n") as fh:
        result = write_to(job, fh, out)
    copy_study_audio(job, out, result)
    return result


def write_to(job: Job, fh: IO[str], out: Path | str = "-") -> ExportResult:
    """Write the JSON lines to an open text file."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def text(value: str | None) -> str:
        return "null" if value is None else encode_string(value)

    result = ExportResult("jsonl", [Path(out)], identify=job.identify, unit="event")
    code = job.study.code
    scrub = job.scrub
    words: dict[str | None, str] = {None: "null"}  # kinds and question ids, encoded once (few)
    for s, events in job.sessions_with_event_rows(assessment=True):
        result.sessions += 1
        head: dict[str, Any] = {
            "type": "session",
            "study": code,
            "session": s.id,
            "respondent": s.respondent,
            "organisation": s.organisation,
            "flow_id": s.flow_id,
            "flow_version": s.flow_version,
            "lang": s.lang,
            "status": s.status,
            "state": s.state,
            "started_at": s.started_at,
            "finished_at": s.finished_at,
        }
        if job.identify:
            head.update(channel=s.channel, external_id=s.external_id, name=s.name, username=s.username)
        lines = [dumps(head)]
        # Values are stored as compact JSON: copy them into the line rather than decode and
        # encode every one again (this loop runs once per event, millions of times).
        prefix = f'{{"type":"event","session":{s.id},"seq":'
        for n, (_, _, at, kind, qid, old, new, detail) in enumerate(events, 1):
            said = words.get(kind) or _word(words, kind)
            asked = words.get(qid) or _word(words, qid)
            if detail is not None:
                detail = scrub(s, detail)
            lines.append(
                f'{prefix}{n},"at":{text(at)},"kind":{said},"question_id":{asked},'
                f'"old":{old or "null"},"new":{new or "null"},"detail":{text(detail)}}}'
            )
        folder = audio_beside(Path(out)).name if str(out) != "-" else None
        for recs in job.recordings(s.id).values():
            for r in recs:
                lines.append(
                    dumps(
                        {
                            "type": "recording",
                            "session": s.id,
                            "question_id": r.question_id,
                            "part": r.part,
                            "column": part_column(r.question_id, r.part),
                            "file": r.file,
                            "path": f"{folder}/{r.file}" if folder else None,
                            "duration": r.duration,
                            "mime_type": r.mime_type,
                            "size": r.size,
                            "sha256": r.sha256,
                            "recorded_at": r.recorded_at,
                            "transcript": r.transcript,
                        }
                    )
                )
        if s.assessment_json:
            # The stored assessment is JSON already: copy it rather than decode and encode it again.
            lines.append(f'{{"type":"assessment","session":{s.id},"assessment":{s.assessment_json}}}')
        lines.append("")
        fh.write("\n".join(lines))
        result.rows += len(events)
    return result


def _word(words: dict[str | None, str], value: str | None) -> str:
    """A recurring text encoded as JSON and remembered (bounded: memory stays flat)."""
    if len(words) >= 4096:
        words.clear()
        words[None] = "null"
    found = words[value] = "null" if value is None else encode_string(value)
    return found


def replay(lines: Iterable[str]) -> dict[int, dict[str, Any]]:
    """Rebuild every session's answers from exported JSON lines: session id to answers.

    >>> replay(['{"type":"session","session":1}',
    ...         '{"type":"event","session":1,"kind":"answer","question_id":"q","old":null,"new":"a"}',
    ...         '{"type":"event","session":1,"kind":"change","question_id":"q","old":"a","new":"b"}'])
    {1: {'q': 'b'}}
    """
    sessions: dict[int, dict[str, Any]] = {}
    for line in lines:
        if not line.strip():
            continue
        item = json.loads(line)
        answers = sessions.setdefault(item["session"], {})
        if item["type"] != "event":
            continue
        if item["kind"] in ("answer", "change", "probe", "probe_skip"):
            answers[item["question_id"]] = item["new"]
        elif item["kind"] == "skip":
            answers.pop(item["question_id"], None)
    return sessions
