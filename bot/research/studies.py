"""Studies: a named set of interviews with one flow version, an invite code and its researchers.

A study fixes the flow id and version when it is created, so every respondent answers the same
questions. The organisation is either fixed by the study (one agency) or asked: the respondent
then gives it through the flow's question with ``variable: organisation``.

>>> from bot.store import Store
>>> store = Store.open(":memory:")
>>> study = create_study(store, "Humas Sleman 2025", organisation="Diskominfo Sleman", code="sleman25")
>>> study.code, study.flow_id, study.closed
('sleman25', 'ogmm-social-media', False)
>>> deep_link(study.code, "@MatangBot")
'https://t.me/MatangBot?start=sleman25'
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from bot.store import Store, loads, now

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{6,32}$")
"""Invite codes are Telegram deep-link payloads: ``A-Za-z0-9_-``; 6 to 32 characters here."""
DEFAULT_FLOW = "ogmm-social-media"
BOT_PLACEHOLDER = "YOUR_BOT"
UNKNOWN_ORGANISATION = "(organisation not given)"


class StudyError(ValueError):
    """An unknown or closed study, or a study that cannot be created; the message is one line."""


@dataclass(frozen=True)
class Study:
    """One study. ``organisation`` is None when each respondent gives their own."""

    code: str
    name: str
    organisation: str | None
    flow_id: str
    flow_version: str
    researchers: tuple[int, ...] = ()
    created_at: str = ""
    closed_at: str | None = None

    @property
    def closed(self) -> bool:
        """A closed study starts no new sessions (open ones may still finish)."""
        return self.closed_at is not None

    @property
    def asks_organisation(self) -> bool:
        """True when respondents give their organisation in the interview."""
        return self.organisation is None

    def to_dict(self) -> dict[str, Any]:
        """The study as JSON-ready data."""
        return {
            "code": self.code,
            "name": self.name,
            "organisation": self.organisation,
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            "researchers": list(self.researchers),
            "created_at": self.created_at,
            "closed_at": self.closed_at,
        }


def _study(row: dict[str, Any]) -> Study:
    return Study(
        code=row["code"],
        name=row["name"],
        organisation=row["organisation"] or None,
        flow_id=row["flow_id"],
        flow_version=row["flow_version"],
        researchers=tuple(int(r) for r in (loads(row["researchers"]) or [])),
        created_at=row["created_at"],
        closed_at=row["closed_at"],
    )


def new_code() -> str:
    """A fresh random invite code: 10 URL-safe characters starting with a letter or digit.

    >>> bool(CODE_PATTERN.match(new_code()))
    True
    """
    while True:
        code = secrets.token_urlsafe(8)[:10]
        # A leading "-" would read as an option on the command line (`matang study status -x…`).
        if code[0].isalnum():
            return code


def create_study(
    store: Store,
    name: str,
    *,
    organisation: str | None = None,
    flow_id: str | None = None,
    researchers: Iterable[int] = (),
    code: str | None = None,
) -> Study:
    """Create a study on the newest version of ``flow_id`` (a packaged flow) and return it.

    ``organisation`` fixes every respondent's organisation; leave it out to have respondents give
    their own. Raises :class:`StudyError` for a bad or taken code, an unknown flow or an empty name.
    """
    from interview_flows.loader import load_flow, packaged_flow_ids

    name = " ".join(name.split())
    if not name:
        raise StudyError("a study needs a name (--name)")
    flow_id = flow_id or DEFAULT_FLOW
    try:
        flow = load_flow(flow_id)
    except KeyError:
        raise StudyError(f"unknown flow {flow_id!r}; known flows: {', '.join(packaged_flow_ids())}") from None
    if organisation is not None:
        organisation = " ".join(organisation.split()) or None
    if code is not None and not CODE_PATTERN.match(code):
        raise StudyError(f"invalid study code {code!r}: use 6 to 32 letters, digits, '_' or '-'")
    ids = sorted({int(r) for r in researchers})
    for _ in range(20):
        candidate = code or new_code()
        if get_study_or_none(store, candidate) is None:
            break
        if code is not None:
            raise StudyError(f"study code {code!r} is already taken")
    else:  # pragma: no cover - 20 collisions of 60-bit random codes
        raise StudyError("could not find a free study code")
    store.db.execute(
        "insert into studies (code, name, organisation, flow_id, flow_version, researchers, created_at)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        [candidate, name, organisation, flow.id, flow.version, json.dumps(ids), now()],
    )
    return get_study(store, candidate)


def get_study_or_none(store: Store, code: str) -> Study | None:
    """The study with this code, or None."""
    row = next(store.db.query("select * from studies where code = ?", [code]), None)
    return _study(row) if row else None


def get_study(store: Store, code: str) -> Study:
    """The study with this code, open or closed; :class:`StudyError` when there is none."""
    study = get_study_or_none(store, code)
    if study is None:
        raise StudyError(f"unknown study {code!r} (see `matang study list`)")
    return study


def open_study(store: Store, code: str, respondent_id: int | None = None) -> Study:
    """The study a new respondent joins through its invite code.

    Raises :class:`StudyError` when the study is unknown or closed. With ``respondent_id`` the
    visit is recorded, so ``study status`` can count people invited who never started.
    """
    study = get_study(store, code)
    if study.closed:
        raise StudyError(f"study {code!r} is closed and takes no new interviews")
    if respondent_id is not None:
        record_invite(store, code, respondent_id)
    return study


def record_invite(store: Store, code: str, respondent_id: int) -> None:
    """Note that a respondent opened the study's invite link (once per respondent)."""
    store.db.execute(
        "insert or ignore into invites (study_code, respondent_id, first_at) values (?, ?, ?)",
        [code, respondent_id, now()],
    )


def list_studies(store: Store, researcher_id: int | None = None) -> list[Study]:
    """Every study, newest first; with ``researcher_id`` only the studies that list them."""
    studies = [_study(r) for r in store.db.query("select * from studies order by created_at desc, code")]
    if researcher_id is not None:
        studies = [s for s in studies if researcher_id in s.researchers]
    return studies


def close_study(store: Store, code: str) -> Study:
    """Close a study: its code starts no new sessions; open sessions may still finish."""
    study = get_study(store, code)
    if not study.closed:
        store.db.execute("update studies set closed_at = ? where code = ?", [now(), code])
    return get_study(store, code)


def reopen_study(store: Store, code: str) -> Study:
    """Take new sessions again in a closed study."""
    get_study(store, code)
    store.db.execute("update studies set closed_at = null where code = ?", [code])
    return get_study(store, code)


def deep_link(code: str, bot_username: str | None) -> str:
    """The invite link that opens the bot with the study code as its ``/start`` payload.

    >>> deep_link("abc123", "")
    'https://t.me/YOUR_BOT?start=abc123'
    """
    user = (bot_username or "").strip().lstrip("@") or BOT_PLACEHOLDER
    return f"https://t.me/{user}?start={code}"


def may_research(study: Study | None, user_id: int, researcher_ids: Iterable[int]) -> bool:
    """Whether a Telegram user may see a study: listed in MATANG_RESEARCHERS or by the study."""
    if user_id in set(researcher_ids):
        return True
    return study is not None and user_id in study.researchers


# -- organisations -----------------------------------------------------------------------------


def organisation_key(name: str | None) -> str:
    """Spelling-insensitive key that groups respondents of one organisation.

    >>> organisation_key("  Diskominfo   SLEMAN ") == organisation_key("diskominfo sleman")
    True
    """
    return " ".join((name or "").split()).casefold()


def session_organisation(fixed: str | None, answers: dict[str, Any], organisation_question: str | None) -> str | None:
    """A session's organisation: fixed by the study, else the answer to the organisation question."""
    if fixed:
        return fixed
    if organisation_question:
        value = answers.get(organisation_question)
        if isinstance(value, str) and value.strip() and value != "dont_know":
            return " ".join(value.split())
    return None


# -- progress ----------------------------------------------------------------------------------


@dataclass
class OrganisationResult:
    """The combined assessment of one organisation's finished interviews."""

    name: str
    respondents: int
    assessment: Any  # scoring.organisation.OrganisationAssessment
    individual: list[Any] = field(default_factory=list)  # each respondent's Assessment
    session_ids: list[int] = field(default_factory=list)


@dataclass
class StudyStatus:
    """How far a study is: people and sessions by state, duration, and assessments so far."""

    study: Study
    invited: int
    declined: int
    started: int
    in_progress: int
    finished: int
    withdrawn: int
    median_minutes: float | None
    first_at: str | None
    last_at: str | None
    organisations: list[OrganisationResult]
    voice_answers: int = 0
    """Answers given (in whole or in part) by a voice recording."""
    voice_sessions: int = 0
    """Sessions with at least one voice answer."""
    voice_seconds: int = 0
    """The length of every recording, added up."""
    answers: int = 0
    """Answers stored in the study's sessions (the whole of which voice answers are a part)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (the organisation assessments in the shared assessment shape)."""
        return {
            "study": self.study.to_dict(),
            "invited": self.invited,
            "declined": self.declined,
            "started": self.started,
            "in_progress": self.in_progress,
            "finished": self.finished,
            "withdrawn": self.withdrawn,
            "median_minutes": self.median_minutes,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "voice_answers": self.voice_answers,
            "voice_sessions": self.voice_sessions,
            "voice_seconds": self.voice_seconds,
            "answers": self.answers,
            "organisations": [
                {"name": o.name, "respondents": o.respondents, "assessment": o.assessment.to_dict()}
                for o in self.organisations
            ],
        }


def declined_sql(alias: str = "s") -> str:
    """SQL true for a session whose respondent refused consent (a withdrawn session, no answers).

    A refusal withdraws the session at once and a withdrawn session stays so, so only withdrawn
    sessions have their events read: an export of a large study would otherwise read the whole
    event log of every session to find the consent.
    """
    return (
        f"(case when {alias}.state = 'withdrawn' then exists (select 1 from events e"
        f" where e.session_id = {alias}.id and e.kind = 'consent' and e.new_value = '\"refused\"') else 0 end)"
    )


def study_status(store: Store, code: str) -> StudyStatus:
    """Counts, median duration and the organisation-level assessments of a study so far.

    *invited*: people who opened the invite link or have a session; *declined*: sessions whose
    consent was refused; *started*: sessions begun after consent, split into *in progress*,
    *finished* and *withdrawn*. Durations run from start to finish (pauses included). Voice
    answers are counted with the length of their recordings.
    """
    study = get_study(store, code)
    invited = next(
        store.db.query(
            "select count(*) as n from (select respondent_id from invites where study_code = ?"
            " union select respondent_id from sessions where study_code = ?)",
            [code, code],
        )
    )["n"]
    counts = {"declined": 0, "in_progress": 0, "finished": 0, "withdrawn": 0}
    durations: list[float] = []
    first_at = last_at = None
    for row in store.db.query(
        f"select s.state, s.started_at, s.finished_at, s.updated_at, {declined_sql()} as declined"
        " from sessions s where s.study_code = ?",
        [code],
    ):
        if row["declined"]:
            counts["declined"] += 1
            continue
        first_at = min(first_at or row["started_at"], row["started_at"])
        last_at = max(last_at or row["updated_at"], row["updated_at"])
        if row["state"] == "finished":
            counts["finished"] += 1
            if row["finished_at"]:
                durations.append(_minutes(row["started_at"], row["finished_at"]))
        elif row["state"] == "withdrawn":
            counts["withdrawn"] += 1
        else:
            counts["in_progress"] += 1
    started = counts["in_progress"] + counts["finished"] + counts["withdrawn"]
    return StudyStatus(
        study=study,
        invited=invited,
        declined=counts["declined"],
        started=started,
        in_progress=counts["in_progress"],
        finished=counts["finished"],
        withdrawn=counts["withdrawn"],
        median_minutes=round(median(durations), 1) if durations else None,
        first_at=first_at,
        last_at=last_at,
        organisations=organisation_results(store, study),
        **voice_counts(store, code),
    )


def voice_counts(store: Store, code: str) -> dict[str, int]:
    """How many answers of a study are recordings, in how many sessions, their total length, and how
    many answers the study has in all."""
    answers = store.db.execute(
        "select count(*) from answers a join sessions s on s.id = a.session_id where s.study_code = ?", [code]
    ).fetchone()[0]
    has = store.db.execute("select 1 from sqlite_master where type = 'table' and name = 'recordings'").fetchone()
    if not has:
        return {"voice_answers": 0, "voice_sessions": 0, "voice_seconds": 0, "answers": answers}
    row = store.db.execute(
        "select count(distinct r.session_id || ':' || r.question_id || ':' || r.part), count(distinct r.session_id),"
        " coalesce(sum(r.duration), 0) from recordings r join sessions s on s.id = r.session_id"
        " where s.study_code = ?",
        [code],
    ).fetchone()
    return {"voice_answers": row[0], "voice_sessions": row[1], "voice_seconds": row[2], "answers": answers}


def _minutes(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 60


def finished_sessions(store: Store, code: str) -> Iterator[dict[str, Any]]:
    """Each respondent's latest finished session in a study (a respondent counts once)."""
    return store.db.query(
        "select s.* from sessions s where s.study_code = ? and s.state = 'finished' and s.id = ("
        " select max(s2.id) from sessions s2 where s2.respondent_id = s.respondent_id"
        " and s2.study_code = s.study_code and s2.state = 'finished') order by s.id",
        [code],
    )


def session_answers(store: Store, session_id: int) -> dict[str, Any]:
    """A session's stored answers, question id to value."""
    return {
        r["question_id"]: loads(r["value"])
        for r in store.db.query("select question_id, value from answers where session_id = ?", [session_id])
    }


def organisation_results(store: Store, study: Study) -> list[OrganisationResult]:
    """The finished interviews of a study combined per organisation (largest first).

    Each respondent's assessment is recomputed from their answers with the study's flow, and
    combined with :func:`scoring.organisation.combine` (median fulfilment per criterion).
    """
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_flow
    from scoring.assessment import assess
    from scoring.organisation import combine

    groups: dict[str, OrganisationResult] = {}
    for row in finished_sessions(store, study.code):
        try:
            flow = load_flow(row["flow_id"], row["flow_version"])
        except KeyError:
            continue
        answers = engine_for(flow).effective_answers(session_answers(store, row["id"]))
        org_question = flow.variables().get("organisation")
        name = session_organisation(row["organisation"] or study.organisation, answers, org_question)
        key = organisation_key(name)
        group = groups.setdefault(key, OrganisationResult(name or UNKNOWN_ORGANISATION, 0, None))
        group.individual.append(assess(flow, answers))
        group.session_ids.append(row["id"])
    results = []
    for group in groups.values():
        group.respondents = len(group.individual)
        group.assessment = combine(group.individual)
        results.append(group)
    results.sort(key=lambda g: (-g.respondents, g.name.casefold()))
    return results


__all__ = [
    "CODE_PATTERN",
    "OrganisationResult",
    "Study",
    "StudyError",
    "StudyStatus",
    "close_study",
    "create_study",
    "deep_link",
    "get_study",
    "get_study_or_none",
    "list_studies",
    "may_research",
    "new_code",
    "open_study",
    "organisation_key",
    "organisation_results",
    "record_invite",
    "reopen_study",
    "session_organisation",
    "study_status",
]
