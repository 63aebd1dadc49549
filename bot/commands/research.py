"""``matang study``, ``matang export`` and ``matang report``: argument parsing only.

Each command is one call into :mod:`bot.research.studies`, :mod:`bot.research.exports` or
:mod:`bot.research.reports`; bad input (an unknown study, a bad code, an unwritable path) exits 2
with one line on standard error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bot.commands.common import db_option, fail, lang_option, open_store, settings

EXPORT_FORMATS = ["csv", "csv-wide", "xlsx", "jsonl", "transcripts", "qdpx", "sqlite"]


def _bot_username(conf: Any) -> str:
    """The bot's @username: from settings, else asked of the Bot API when a token is set."""
    if conf.bot_username:
        return str(conf.bot_username).lstrip("@")
    if conf.telegram_token is None:
        return ""
    try:
        import httpx

        reply = httpx.get(f"{conf.telegram_api_url}{conf.token()}/getMe", timeout=5).json()
        return str(reply["result"]["username"]) if reply.get("ok") else ""
    except Exception:  # no network, bad token: fall back to the placeholder and the hint
        return ""


@click.group()
def study() -> None:
    """Create, list, inspect and close studies with invite links."""


@study.command("create")
@click.option("--name", required=True, help="The study's name, as researchers will see it.")
@click.option(
    "--org",
    "organisation",
    default=None,
    help="Fix every respondent's organisation; leave out to have respondents give theirs.",
)
@click.option("--flow", "flow_id", default=None, help="Packaged flow id [default: $MATANG_FLOW].")
@click.option(
    "--researcher",
    "researchers",
    multiple=True,
    type=int,
    help="Telegram user id allowed to follow this study in Telegram (repeatable).",
)
@click.option("--code", default=None, help="Choose the invite code (6-32 of A-Z a-z 0-9 _ -) [default: random].")
@click.option("--json", "as_json", is_flag=True, help="Print the study as JSON.")
@db_option
def create(
    name: str,
    organisation: str | None,
    flow_id: str | None,
    researchers: tuple[int, ...],
    code: str | None,
    as_json: bool,
    db: Path | None,
) -> None:
    """Create a study and print its code and invite link.

    \b
    $ matang study create --name "Humas Sleman 2025" --org "Diskominfo Sleman"
    code: q3Xf9KpL2a
    link: https://t.me/MatangBot?start=q3Xf9KpL2a
    """
    from bot.research.studies import StudyError, create_study, deep_link

    conf = settings(db=db)
    with open_store(conf.db) as store:
        try:
            made = create_study(
                store, name, organisation=organisation, flow_id=flow_id or conf.flow, researchers=researchers, code=code
            )
        except StudyError as exc:
            fail(str(exc))
    username = _bot_username(conf)
    link = deep_link(made.code, username)
    if as_json:
        click.echo(json.dumps({**made.to_dict(), "link": link}, ensure_ascii=False))
    else:
        click.echo(f"code: {made.code}")
        click.echo(f"link: {link}")
        click.echo(f"name: {made.name}")
        click.echo(f"flow: {made.flow_id} {made.flow_version}")
        click.echo(f"organisation: {made.organisation or '(each respondent gives theirs)'}")
        if made.researchers:
            click.echo("researchers: " + ", ".join(str(r) for r in made.researchers))
        click.echo(f"terminal: matang interview --study {made.code}")
    if not username:
        click.echo("matang: hint: set MATANG_BOT_USERNAME to the bot's @username to print the real link", err=True)


@study.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the studies as JSON lines.")
@db_option
def list_(as_json: bool, db: Path | None) -> None:
    """List studies, newest first, with their number of sessions."""
    from bot.research.studies import list_studies

    conf = settings(db=db)
    with open_store(conf.db) as store:
        counts = {
            r["study_code"]: (r["n"], r["done"])
            for r in store.db.query(
                "select study_code, count(*) as n, sum(state = 'finished') as done from sessions"
                " where study_code is not null group by study_code"
            )
        }
        studies = list_studies(store)
    if not studies and not as_json:
        click.echo("no studies yet: create one with `matang study create --name NAME`")
    for s in studies:
        n, done = counts.get(s.code, (0, 0))
        if as_json:
            click.echo(json.dumps({**s.to_dict(), "sessions": n, "finished": done or 0}, ensure_ascii=False))
        else:
            state = "closed" if s.closed else "open"
            click.echo(f"{s.code}\t{state}\t{n} session(s), {done or 0} finished\t{s.name}")


@study.command("status")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@lang_option
@db_option
def status(code: str, as_json: bool, lang: str | None, db: Path | None) -> None:
    """Progress of a study and the organisation-level assessment so far."""
    from bot.research.studies import StudyError, study_status

    conf = settings(db=db, lang=lang)
    with open_store(conf.db) as store:
        try:
            st = study_status(store, code)
        except StudyError as exc:
            fail(str(exc))
    if as_json:
        click.echo(json.dumps(st.to_dict(), ensure_ascii=False))
        return
    click.echo(status_text(st, conf.lang))


STATUS_WORDS: dict[str, dict[str, str]] = {
    "open": {"id": "terbuka", "en": "open"},
    "closed": {"id": "ditutup", "en": "closed"},
    "flow": {"id": "alur: {flow}; instansi: {org}", "en": "flow: {flow}; organisation: {org}"},
    "each": {"id": "diisi tiap responden", "en": "given by each respondent"},
    "counts": {
        "id": "diundang: {invited}; menolak: {declined}; mulai: {started} "
        "(berjalan {in_progress}, selesai {finished}, mundur {withdrawn})",
        "en": "invited: {invited}; declined: {declined}; started: {started} "
        "(in progress {in_progress}, finished {finished}, withdrawn {withdrawn})",
    },
    "median": {"id": "durasi median: {minutes}", "en": "median duration: {minutes}"},
    "min": {"id": "{n} menit", "en": "{n} min"},
    "times": {"id": "pertama: {first}; aktivitas terakhir: {last}", "en": "first: {first}; last activity: {last}"},
    "level_so_far": {"id": "tingkat instansi sejauh ini:", "en": "organisation level so far:"},
    "org_line": {
        "id": "  {name}: tingkat {level} ({level_name}), {n} responden",
        "en": "  {name}: level {level} ({level_name}), {n} respondent(s)",
    },
    "disagreement": {"id": "; perbedaan pendapat pada ", "en": "; disagreement on "},
    "voice": {
        "id": "jawaban suara: {n} dalam {sessions} sesi ({length} rekaman)",
        "en": "voice answers: {n} in {sessions} session(s) ({length} of recordings)",
    },
    "no_voice": {"id": "jawaban suara: tidak ada", "en": "voice answers: none"},
    "none_yet": {
        "id": "tingkat instansi sejauh ini: belum ada wawancara yang selesai",
        "en": "organisation level so far: no finished interview yet",
    },
}


def status_text(st: Any, lang: str = "en") -> str:
    """A study's status as lines for people (the CLI and the Telegram ``/status`` reply), in
    ``lang`` ("id" or "en")."""
    lang = "id" if lang == "id" else "en"

    def w(key: str, **params: Any) -> str:
        return STATUS_WORDS[key][lang].format(**params)

    s = st.study
    minutes = "—" if st.median_minutes is None else w("min", n=st.median_minutes)
    lines = [
        f"{s.code} — {s.name} ({w('closed' if s.closed else 'open')})",
        w("flow", flow=f"{s.flow_id} {s.flow_version}", org=s.organisation or w("each")),
        w("counts", invited=st.invited, declined=st.declined, started=st.started, in_progress=st.in_progress,
          finished=st.finished, withdrawn=st.withdrawn),
        w("median", minutes=minutes),
    ]
    if st.first_at:
        lines.append(w("times", first=st.first_at[:16], last=(st.last_at or "")[:16]))
    if getattr(st, "voice_answers", 0):
        from bot.recordings import clock

        lines.append(w("voice", n=st.voice_answers, sessions=st.voice_sessions, length=clock(st.voice_seconds)))
    else:
        lines.append(w("no_voice"))
    if st.organisations:
        lines.append(w("level_so_far"))
        for o in st.organisations:
            a = o.assessment
            line = w("org_line", name=o.name, level=a.level, level_name=a.level_name.get(lang), n=o.respondents)
            if a.disagreements:
                line += w("disagreement") + ", ".join(a.disagreements)
            lines.append(line)
    else:
        lines.append(w("none_yet"))
    return "\n".join(lines)


def _change_study(change: Any, code: str, db: Path | None) -> Any:
    """Apply ``change(store, code)`` to a study; an unknown study exits 2 with one line."""
    from bot.research.studies import StudyError

    conf = settings(db=db)
    with open_store(conf.db) as store:
        try:
            return change(store, code)
        except StudyError as exc:
            fail(str(exc))


@study.command("close")
@click.argument("code")
@db_option
def close(code: str, db: Path | None) -> None:
    """Close a study: its link starts no new interviews (open ones may still finish)."""
    from bot.research.studies import close_study

    s = _change_study(close_study, code, db)
    click.echo(f"{s.code}: closed at {s.closed_at}")


@study.command("reopen")
@click.argument("code")
@db_option
def reopen(code: str, db: Path | None) -> None:
    """Reopen a closed study."""
    from bot.research.studies import reopen_study

    s = _change_study(reopen_study, code, db)
    click.echo(f"{s.code}: open")


@click.command()
@click.option("--study", "code", default=None, help="The study's code.")
@click.option("--all", "all_studies", is_flag=True, help="sqlite only: every study in one analysis database.")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="The export format.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (a directory or .zip for transcripts; '-' for standard output with csv and jsonl)"
    " [default: CODE-FORMAT.EXT].",
)
@click.option(
    "--identify", is_flag=True, help="Include names, usernames and Telegram ids (the default is pseudonymous)."
)
@click.option(
    "--lang",
    type=click.Choice(["id", "en"]),
    default=None,
    help="Language of question texts and labels [default: each interview's own].",
)
@click.option(
    "--raw",
    is_flag=True,
    help="csv and csv-wide: write every cell verbatim, even text a spreadsheet would run as a formula"
    " (for R, pandas, SPSS); by default such text gets a leading '.",
)
@db_option
def export(
    code: str | None,
    all_studies: bool,
    fmt: str,
    out: Path | None,
    identify: bool,
    lang: str | None,
    raw: bool,
    db: Path | None,
) -> None:
    """Export a study's interviews for analysis: pseudonymous unless --identify.

    \b
    csv          long format, one row per answer
    csv-wide     one row per session, with NAME.codebook.csv beside NAME.csv
    xlsx         long, wide, codebook, assessments and events sheets
    jsonl        every event of every session, in order
    transcripts  one Markdown file per session, in a directory (or a .zip)
    qdpx         REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder
    sqlite       pseudonymised analysis database (--study CODE or --all), what
                 `matang dashboard` serves

    Texts are in each interview's language unless --lang is given; choice labels in
    csv-wide and xlsx's wide sheet are in --lang (Indonesian by default). In csv and csv-wide a
    text starting with = + - @ (a formula to Excel or LibreOffice) gets a leading ' unless --raw.
    """
    from bot.research.exports import SUFFIXES, ExportError, export_study
    from bot.research.studies import StudyError

    conf = settings(db=db)
    if all_studies and fmt != "sqlite":
        fail(f"--all: only the sqlite analysis database holds several studies, not {fmt}; give --study CODE")
    if all_studies and code:
        fail("give either --study CODE or --all, not both")
    if not all_studies and not code:
        fail("give --study CODE (or --all with --format sqlite)")
    if fmt == "sqlite":
        _export_sqlite(conf, code, out, identify, lang)
        return
    assert code is not None
    if out is None:
        out = Path(f"{code}-{fmt}{'' if fmt == 'transcripts' else SUFFIXES[fmt]}")
    if str(out) == "-" and fmt not in ("csv", "jsonl"):
        fail(f"--out -: only csv and jsonl can be written to standard output, not {fmt}")
    if raw and fmt not in ("csv", "csv-wide"):
        # Said, not ignored: someone asking for --raw expects the text verbatim, and the other
        # formats already give it so (xlsx stores text as text).
        fail(f"--raw: only csv and csv-wide neutralise formulas; {fmt} already writes text verbatim")
    with open_store(conf.db) as store:
        try:
            result = export_study(store, code, fmt, out, identify=identify, lang=lang, raw=raw)
        except (StudyError, ExportError) as exc:
            fail(str(exc))
        except BrokenPipeError:  # `matang export --out - | head`: the reader has had enough
            _quiet_stdout()
            return
        except OSError as exc:
            fail(f"{exc.filename or out}: cannot write the export ({exc.strerror or exc})")
    if identify:
        click.echo(
            f"matang: IDENTIFYING export: {', '.join(str(p) for p in result.paths)} contains respondents' "
            "names, usernames and Telegram ids; store and share it as personal data",
            err=True,
        )
    click.echo(result.summary(), err=str(out) == "-")


def _export_sqlite(conf: Any, code: str | None, out: Path | None, identify: bool, lang: str | None) -> None:
    """``matang export --format sqlite``: the analysis database of one study or of all."""
    from bot.research.analysis import all_study_codes
    from bot.research.exports import ExportError
    from bot.research.exports.sqlite import write_studies
    from bot.research.studies import StudyError, get_study

    out = out or Path(f"{code or 'all-studies'}-analysis.db")
    if str(out) == "-":
        fail("--out -: the sqlite analysis database is a file, not a stream")
    with open_store(conf.db) as store:
        try:
            codes = [get_study(store, code).code] if code else all_study_codes(store)
            result = write_studies(store, codes, out, lang or conf.lang, identify=identify)
        except (StudyError, ExportError) as exc:
            fail(str(exc))
        except OSError as exc:
            fail(f"{exc.filename or out}: cannot write the export ({exc.strerror or exc})")
    click.echo(result.summary())


def _quiet_stdout() -> None:
    import os
    import sys

    # Python would report the broken pipe again when it flushes stdout at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


@click.command()
@click.option("--session", "session_id", type=int, default=None, help="One session's report.")
@click.option("--study", "code", default=None, help="A study's report (per organisation).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The PDF file [default: report-SESSION.pdf or report-CODE.pdf].",
)
@lang_option
@db_option
def report(session_id: int | None, code: str | None, out: Path | None, lang: str | None, db: Path | None) -> None:
    """Write a PDF report for a session or a study: level, chart, ratings, suggestions, method."""
    from bot.research.reports import ReportError, session_report, study_report, write_report
    from bot.research.studies import StudyError

    if (session_id is None) == (code is None):
        fail("give exactly one of --session ID or --study CODE")
    conf = settings(db=db, lang=lang)
    out = out or Path(f"report-{session_id if session_id is not None else code}.pdf")
    with open_store(conf.db) as store:
        try:
            data = (
                session_report(store, session_id, lang)
                if session_id is not None
                else study_report(store, code or "", conf.lang)
            )
        except (StudyError, ReportError) as exc:
            fail(str(exc))
    try:
        write_report(data, out)
    except OSError as exc:
        fail(f"{out}: cannot write the report ({exc.strerror or exc})")
    click.echo(f"wrote {out} ({len(data) // 1024} KiB)")


@click.command()
@click.option("--study", "codes", multiple=True, help="Show this study (repeatable) [default: every study].")
@lang_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(
    "--refresh",
    "refresh_seconds",
    default=60,
    show_default=True,
    type=click.IntRange(5, 60),
    help="Seconds between rebuilds of the analysis database (at most 60).",
)
@click.option(
    "--analysis-db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to keep the analysis database it serves [default: a private temporary file].",
)
@db_option
def dashboard(
    codes: tuple[str, ...],
    lang: str | None,
    host: str,
    port: int,
    refresh_seconds: int,
    analysis_db: Path | None,
    db: Path | None,
) -> None:
    """Serve the research dashboard (Datasette) on the pseudonymised analysis database.

    \b
    $ MATANG_DASHBOARD_SECRET='a long password' matang dashboard --lang en
    dashboard: http://localhost:8001/-/dashboards/study (user researcher, password $MATANG_DASHBOARD_SECRET); data refreshed every 60 s

    Read-only; rebuilt from the live database every --refresh seconds; every page needs the
    secret (log in at /-/login, or send `Authorization: Bearer SECRET`).
    """
    import shutil
    import tempfile

    from bot.research.analysis import all_study_codes, live_fingerprint, mark_checked, write_analysis_db
    from bot.research.dashboard import DashboardError, check_secret, serve
    from bot.research.studies import StudyError, get_study

    conf = settings(db=db, lang=lang)
    try:
        secret = check_secret(conf.dashboard_secret.get_secret_value() if conf.dashboard_secret else None)
    except DashboardError as exc:
        fail(str(exc))
    with open_store(conf.db) as store:
        try:
            for code in codes:
                get_study(store, code)
        except StudyError as exc:
            fail(str(exc))

    last: list[Any] = [None]

    def build(path: Path) -> None:
        with open_store(conf.db) as store:
            # Rebuilt only when the live database changed: a quiet study costs one query a minute.
            seen = live_fingerprint(store)
            if seen == last[0] and path.exists():
                mark_checked(path)
                return
            write_analysis_db(store, list(codes) or all_study_codes(store), path, conf.lang)
            last[0] = seen

    scratch = None
    if analysis_db is None:
        scratch = Path(tempfile.mkdtemp(prefix="matang-dashboard-"))  # 0700: only its owner reads it
        analysis_db = scratch / "analysis.db"
    elif analysis_db.stem != "analysis":
        fail(f"--analysis-db {analysis_db}: name the file analysis.db (its name is the database's name in the pages)")
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(
        f"dashboard: http://{shown}:{port}/-/dashboards/study (user researcher, password $MATANG_DASHBOARD_SECRET);"
        f" data refreshed every {refresh_seconds} s",
        err=True,
    )
    try:
        serve(build, analysis_db, lang=conf.lang, secret=secret, host=host, port=port, refresh_seconds=refresh_seconds)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


@click.command()
@click.option("--session", "session_id", type=int, default=None, help="One session's chart.")
@click.option("--study", "code", default=None, help="A study's chart: all its finished interviews combined.")
@click.option("--org", "organisation", default=None, help="With --study: one organisation only.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The chart file: .png (300 dpi, for print) or .svg (vector).",
)
@lang_option
@db_option
def chart(
    session_id: int | None, code: str | None, organisation: str | None, out: Path, lang: str | None, db: Path | None
) -> None:
    """Draw the profile chart of a session, a study or one organisation of a study.

    \b
    $ matang chart --study humas2025 --org "Diskominfo Sleman" --out sleman.svg
    wrote sleman.svg (Diskominfo Sleman: level 3, 4 respondent(s))
    """
    from bot.research.reports import ReportError, chart_data
    from bot.research.studies import StudyError

    if (session_id is None) == (code is None):
        fail("give exactly one of --session ID or --study CODE")
    if organisation and code is None:
        fail("--org goes with --study CODE")
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        fail(f"--out {out}: the chart is written as .png or .svg")
    conf = settings(db=db, lang=lang)
    with open_store(conf.db) as store:
        try:
            data, what = chart_data(store, session_id=session_id, code=code, organisation=organisation, lang=lang)
        except (StudyError, ReportError) as exc:
            fail(str(exc))
    from bot.charts import PRINT_DPI, render_chart
    from bot.research.reports import write_report

    shown_lang = lang or (data.get("lang") if isinstance(data, dict) else None) or conf.lang
    try:
        write_report(render_chart(data, shown_lang, phone=False, fmt=fmt, dpi=PRINT_DPI), out)
    except OSError as exc:
        fail(f"{out}: cannot write the chart ({exc.strerror or exc})")
    click.echo(f"wrote {out} ({what})")
