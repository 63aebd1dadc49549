"""``matang dashboard``: the research dashboard, Datasette serving the analysis database.

Datasette shows :mod:`bot.research.analysis`'s pseudonymised database read-only: every table
browsable and downloadable as CSV and JSON, canned queries for the questions a researcher asks
(progress, levels, the criterion heatmap, disagreeing organisations, the interview list), and a
dashboard of charts (datasette-dashboards, Vega-Lite) per study. The database is rebuilt from the
live one every ``refresh`` seconds (at most 60), so what the pages show is at most a minute old.

Access: everything but the login page needs the operator's secret, given either at ``/-/login``
(user ``researcher``, password the secret; datasette-auth-passwords sets a signed cookie) or as
``Authorization: Bearer SECRET`` (datasette-auth-tokens) for scripts. A request without it gets
403 and no data. The secret itself never appears in Datasette's configuration: the plugins read
it, and its password hash, from this process's environment.

Datasette and its plugins are imported only when the dashboard starts.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

DATABASE = "analysis"
USER = "researcher"
SECRET_ENV = "MATANG_DASHBOARD_SECRET"
HASH_ENV = "MATANG_DASHBOARD_PASSWORD_HASH"
MAX_REFRESH_SECONDS = 60

T: dict[str, dict[str, str]] = {
    "title": {"id": "Matang — dasbor riset", "en": "Matang — research dashboard"},
    "description": {
        "id": "Data wawancara dengan nama samaran (pseudonim), diperbarui paling lama tiap menit. "
        "Setiap tabel dapat diunduh sebagai CSV atau JSON.",
        "en": "Pseudonymised interview data, refreshed at least every minute. "
        "Every table can be downloaded as CSV or JSON.",
    },
    "study": {"id": "Studi", "en": "Study"},
    "organisation": {"id": "Instansi", "en": "Organisation"},
    "invited": {"id": "Diundang", "en": "Invited"},
    "consented": {"id": "Setuju ikut", "en": "Consented"},
    "finished": {"id": "Selesai", "en": "Finished"},
    "in_progress": {"id": "Berjalan/jeda", "en": "In progress/paused"},
    "withdrawn": {"id": "Mengundurkan diri", "en": "Withdrawn"},
    "declined": {"id": "Menolak", "en": "Declined"},
    "partial": {"id": "Berjalan/jeda", "en": "In progress/paused"},
    "status": {"id": "Status", "en": "Status"},
    "sessions": {"id": "Sesi", "en": "Sessions"},
    "level": {"id": "Tingkat", "en": "Level"},
    "level_name": {"id": "Nama tingkat", "en": "Level name"},
    "respondents": {"id": "Responden", "en": "Respondents"},
    "criterion": {"id": "Kriteria", "en": "Criterion"},
    "rating": {"id": "Nilai", "en": "Rating"},
    "fulfilment": {"id": "Pemenuhan (%)", "en": "Fulfilment (%)"},
    "disagreements": {"id": "Kriteria yang tidak disepakati", "en": "Criteria in disagreement"},
    "interview": {"id": "Wawancara", "en": "Interview"},
    "respondent": {"id": "Responden (pseudonim)", "en": "Respondent (pseudonym)"},
    "started": {"id": "Mulai", "en": "Started"},
    "finished_at": {"id": "Selesai pada", "en": "Finished at"},
    "minutes": {"id": "Menit", "en": "Minutes"},
    "answers": {"id": "Jawaban", "en": "Answers"},
    "question": {"id": "Pertanyaan", "en": "Question"},
    "answer": {"id": "Jawaban", "en": "Answer"},
    "answered_at": {"id": "Dijawab pada", "en": "Answered at"},
    "transcript": {"id": "Transkrip", "en": "Transcript"},
    "voice_answers": {"id": "Jawaban suara", "en": "Voice answers"},
    "voice_minutes": {"id": "Menit rekaman", "en": "Minutes recorded"},
    "q_voice_org": {"id": "Jawaban suara per instansi", "en": "Voice answers per organisation"},
    "q_progress": {"id": "Kemajuan per studi", "en": "Progress per study"},
    "q_progress_org": {"id": "Kemajuan per instansi", "en": "Progress per organisation"},
    "q_levels": {"id": "Sebaran tingkat kematangan", "en": "Distribution of maturity levels"},
    "q_heatmap": {"id": "Peta panas nilai kriteria per instansi", "en": "Heatmap of criterion ratings by organisation"},
    "q_disagree": {
        "id": "Instansi dengan responden yang tidak sepakat",
        "en": "Organisations with disagreeing respondents",
    },
    "q_interviews": {"id": "Daftar wawancara", "en": "Interview list"},
    "q_interview": {"id": "Jawaban dan transkrip satu wawancara", "en": "One interview's answers and transcript"},
    "d_study": {"id": "Dasbor studi", "en": "Study dashboard"},
    "d_study_text": {
        "id": "Pilih studi di atas. Grafik dan angka diperbarui otomatis tiap menit.",
        "en": "Choose a study above. Charts and figures refresh every minute.",
    },
}
STATUSES = ("finished", "partial", "withdrawn", "declined")


def _t(key: str, lang: str) -> str:
    return T[key]["en" if lang == "en" else "id"]


def _status_case(column: str, lang: str) -> str:
    """SQL that shows a session status in the reader's language."""
    whens = " ".join(f"when '{s}' then '{_t(s, lang)}'" for s in STATUSES)
    return f"case {column} {whens} else {column} end"


def canned_queries(lang: str) -> dict[str, dict[str, Any]]:
    """The named queries the dashboard offers, titled and labelled in ``lang``."""

    def q(name: str) -> str:
        return '"' + _t(name, lang).replace('"', "") + '"'

    return {
        "progress": {
            "title": _t("q_progress", lang),
            "sql": f"select code as {q('study')}, name, invited as {q('invited')}, consented as {q('consented')},"
            f" finished as {q('finished')}, in_progress as {q('in_progress')}, withdrawn as {q('withdrawn')},"
            f" declined as {q('declined')}, median_minutes as {q('minutes')},"
            f" voice_answers as {q('voice_answers')}, round(voice_seconds / 60.0, 1) as {q('voice_minutes')}"
            " from studies order by code",
        },
        "progress_by_organisation": {
            "title": _t("q_progress_org", lang),
            "sql": f"select study as {q('study')}, coalesce(organisation, '–') as {q('organisation')},"
            f" count(*) filter (where status != 'declined') as {q('consented')},"
            f" count(*) filter (where status = 'finished') as {q('finished')},"
            f" count(*) filter (where status = 'partial') as {q('in_progress')},"
            f" count(*) filter (where status = 'withdrawn') as {q('withdrawn')},"
            f" count(*) filter (where status = 'declined') as {q('declined')},"
            f" coalesce(sum(voice_answers), 0) as {q('voice_answers')}"
            " from sessions group by study, organisation order by study, organisation",
        },
        "level_distribution": {
            "title": _t("q_levels", lang),
            "sql": f"select study as {q('study')}, level as {q('level')}, level_name as {q('level_name')},"
            f" count(*) as {q('sessions')} from sessions where status = 'finished'"
            " group by study, level order by study, level",
        },
        "criterion_heatmap": {
            "title": _t("q_heatmap", lang),
            "sql": f"select study as {q('study')}, organisation as {q('organisation')}, criterion as {q('criterion')},"
            f" criterion_name as name, rating as {q('rating')}, round(fulfilment * 100) as {q('fulfilment')},"
            f" respondents as {q('respondents')}, disagreement from organisation_criteria"
            " where level >= 2 order by study, organisation, criterion",
        },
        "disagreeing_organisations": {
            "title": _t("q_disagree", lang),
            "sql": f"select study as {q('study')}, organisation as {q('organisation')},"
            f" respondents as {q('respondents')}, level as {q('level')}, disagreements as {q('disagreements')}"
            " from organisations where disagreeing = 1 order by study, organisation",
        },
        "interviews": {
            "title": _t("q_interviews", lang),
            "sql": f"select '[' || id || '](/{DATABASE}/sessions/' || id || ')' as {q('interview')},"
            f" study as {q('study')}, respondent as {q('respondent')}, organisation as {q('organisation')},"
            f" {_status_case('status', lang)} as {q('status')}, level as {q('level')},"
            f" answers as {q('answers')}, started_at as {q('started')}, finished_at as {q('finished_at')}"
            " from sessions order by study, id",
        },
        "interview": {
            "title": _t("q_interview", lang),
            "sql": f"select * from (select position as n, question_id, question_text as {q('question')},"
            f" label as {q('answer')}, answered_at as {q('answered_at')} from answers where session = :session"
            f" union all select null, null, '{_t('transcript', lang)}', transcript, finished_at from sessions"
            " where id = :session) order by n is null, n",
        },
    }


def dashboards(lang: str) -> dict[str, Any]:
    """datasette-dashboards' configuration: one dashboard per study, chosen with a filter."""
    study_filter = "[[ and study = :study ]]"
    code_filter = "[[ where code = :study ]]"

    def metric(column: str, label: str) -> dict[str, Any]:
        return {
            "title": _t(label, lang),
            "db": DATABASE,
            "query": f"select coalesce(sum({column}), 0) as n from studies {code_filter}",
            "library": "metric",
            "display": {"field": "n"},
        }

    return {
        "study": {
            "title": _t("d_study", lang),
            "description": _t("d_study_text", lang),
            "settings": {"allow_fullscreen": True, "autorefresh": 1},
            "layout": [
                ["invited", "consented", "finished", "declined"],
                ["voice_answers", "voice_answers", "voice_by_organisation", "voice_by_organisation"],
                ["by_organisation", "by_organisation", "levels", "levels"],
                ["heatmap", "heatmap", "heatmap", "heatmap"],
                ["disagreeing", "disagreeing", "interviews", "interviews"],
            ],
            "filters": {
                "study": {
                    "name": _t("study", lang),
                    "type": "select",
                    "db": DATABASE,
                    "query": "select code from studies order by code",
                }
            },
            "charts": {
                "invited": metric("invited", "invited"),
                "consented": metric("consented", "consented"),
                "finished": metric("finished", "finished"),
                "declined": metric("declined", "declined"),
                "voice_answers": metric("voice_answers", "voice_answers"),
                "voice_by_organisation": {
                    "title": _t("q_voice_org", lang),
                    "db": DATABASE,
                    "query": f'select coalesce(organisation, \'–\') as "{_t("organisation", lang)}",'
                    f' sum(voice_answers) as "{_t("voice_answers", lang)}", sum(answers) as "{_t("answers", lang)}"'
                    f" from sessions where 1 = 1 {study_filter} group by organisation order by organisation",
                    "library": "table",
                },
                "by_organisation": {
                    "title": _t("q_progress_org", lang),
                    "db": DATABASE,
                    "query": f"select coalesce(organisation, '–') as organisation, {_status_case('status', lang)}"
                    f" as status, count(*) as n from sessions where 1 = 1 {study_filter}"
                    " group by organisation, status order by organisation",
                    "library": "vega-lite",
                    "display": {
                        "mark": {"type": "bar", "tooltip": True},
                        "encoding": {
                            "y": {"field": "organisation", "type": "nominal", "title": _t("organisation", lang)},
                            "x": {
                                "field": "n",
                                "type": "quantitative",
                                "title": _t("sessions", lang),
                                "axis": {"tickMinStep": 1, "format": "d"},
                            },
                            "color": {"field": "status", "type": "nominal", "title": _t("status", lang)},
                        },
                    },
                },
                "levels": {
                    "title": _t("q_levels", lang),
                    "db": DATABASE,
                    "query": "select level, level || ' ' || level_name as name, count(*) as n from sessions"
                    f" where status = 'finished' {study_filter} group by level order by level",
                    "library": "vega-lite",
                    "display": {
                        "mark": {"type": "bar", "tooltip": True},
                        "encoding": {
                            "x": {
                                "field": "name",
                                "type": "ordinal",
                                "title": _t("level", lang),
                                "sort": None,
                                "axis": {"labelAngle": 0},
                            },
                            "y": {
                                "field": "n",
                                "type": "quantitative",
                                "title": _t("sessions", lang),
                                "axis": {"tickMinStep": 1, "format": "d"},
                            },
                        },
                    },
                },
                "heatmap": {
                    "title": _t("q_heatmap", lang),
                    "db": DATABASE,
                    "query": "select organisation, criterion || ' ' || criterion_name as criterion,"
                    " coalesce(rating, '–') as rating, round(fulfilment * 100) as fulfilment"
                    f" from organisation_criteria where level >= 2 {study_filter} order by criterion",
                    "library": "vega-lite",
                    "display": {
                        "layer": [
                            {
                                "mark": {"type": "rect", "tooltip": True},
                                "encoding": {
                                    "x": {"field": "criterion", "type": "nominal", "title": _t("criterion", lang)},
                                    "y": {
                                        "field": "organisation",
                                        "type": "nominal",
                                        "title": _t("organisation", lang),
                                    },
                                    "color": {
                                        "field": "fulfilment",
                                        "type": "quantitative",
                                        "title": _t("fulfilment", lang),
                                        "scale": {"domain": [0, 100], "scheme": "redyellowgreen"},
                                    },
                                },
                            },
                            {
                                "mark": {"type": "text"},
                                "encoding": {
                                    "x": {"field": "criterion", "type": "nominal"},
                                    "y": {"field": "organisation", "type": "nominal"},
                                    "text": {"field": "rating"},
                                },
                            },
                        ]
                    },
                },
                "disagreeing": {
                    "title": _t("q_disagree", lang),
                    "db": DATABASE,
                    "query": f'select organisation as "{_t("organisation", lang)}", respondents as'
                    f' "{_t("respondents", lang)}", disagreements as "{_t("disagreements", lang)}"'
                    f" from organisations where disagreeing = 1 {study_filter}",
                    "library": "table",
                },
                "interviews": {
                    "title": _t("q_interviews", lang),
                    "db": DATABASE,
                    "query": f'select id as "{_t("interview", lang)}", organisation as "{_t("organisation", lang)}",'
                    f' {_status_case("status", lang)} as "{_t("status", lang)}", level as "{_t("level", lang)}"'
                    f" from sessions where 1 = 1 {study_filter} order by id desc",
                    "library": "table",
                },
            },
        }
    }


def metadata(lang: str) -> dict[str, Any]:
    """Datasette's metadata: titles, access rule, canned queries and the plugins' configuration.

    The secret is referred to by environment variable (``$env``), so ``/-/metadata`` shows its
    name only.
    """
    return {
        "title": _t("title", lang),
        "description": _t("description", lang),
        "allow": {"id": USER},
        "databases": {DATABASE: {"queries": canned_queries(lang)}},
        "plugins": {
            "datasette-auth-passwords": {f"{USER}_password_hash": {"$env": HASH_ENV}},
            "datasette-auth-tokens": {"tokens": [{"token": {"$env": SECRET_ENV}, "actor": {"id": USER}}]},
            "datasette-render-markdown": {"columns": ["transcript", _t("interview", lang), _t("answer", lang)]},
            "datasette-dashboards": dashboards(lang),
        },
    }


class DashboardError(ValueError):
    """The dashboard cannot start (no secret, a weak one); one line."""


def check_secret(secret: str | None) -> str:
    """The operator's secret, refused when missing or too short to resist guessing."""
    if not secret:
        raise DashboardError(
            f"{SECRET_ENV} is not set: choose a password or token (at least 12 characters) for the dashboard"
        )
    if len(secret) < 12:
        raise DashboardError(f"{SECRET_ENV} is too short: use at least 12 characters")
    return secret


class Refresher:
    """Rebuilds the analysis database from the live one every ``seconds`` in a background thread."""

    def __init__(self, build: Callable[[], Any], seconds: float) -> None:
        self.build, self.seconds = build, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="analysis-refresh", daemon=True)
        self.failures = 0

    def start(self) -> None:
        """Start refreshing (the first build has been done by the caller)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the build under way, if any."""
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        import logging

        log = logging.getLogger("matang.dashboard")
        while not self._stop.wait(self.seconds):
            try:
                self.build()
            except Exception:  # a failed refresh keeps the previous data on show, and says so
                self.failures += 1
                log.exception("refreshing the analysis database failed; showing the previous data")


def make_datasette(analysis_db: Path, lang: str, secret: str) -> Any:
    """The Datasette instance serving ``analysis_db`` read-only behind ``secret``."""
    from datasette.app import Datasette
    from datasette_auth_passwords.utils import hash_password

    os.environ[SECRET_ENV] = secret
    os.environ[HASH_ENV] = hash_password(secret)
    # Cookies are signed with a key derived from the secret: logins survive a restart, and
    # changing the secret logs everybody out.
    signing = hmac.new(secret.encode(), b"matang-dashboard-cookies", hashlib.sha256).hexdigest()
    return Datasette(
        files=[str(analysis_db)],
        metadata=metadata(lang),
        secret=signing,
        settings={"sql_time_limit_ms": 3000, "max_returned_rows": 5000, "default_page_size": 100},
    )


def _exit_on_signal(signum: int, _frame: Any) -> None:
    sys.exit(128 + signum)


def serve(
    build: Callable[[Path], Any],
    analysis_db: Path,
    *,
    lang: str,
    secret: str,
    host: str = "127.0.0.1",
    port: int = 8001,
    refresh_seconds: float = MAX_REFRESH_SECONDS,
) -> None:
    """Build the analysis database, then serve it with Datasette until interrupted, refreshing it."""
    import asyncio

    import uvicorn

    build(analysis_db)
    ds = make_datasette(analysis_db, lang, secret)
    asyncio.run(ds.invoke_startup())
    refresher = Refresher(lambda: build(analysis_db), min(refresh_seconds, MAX_REFRESH_SECONDS))
    refresher.start()
    # uvicorn re-raises SIGTERM once it has shut down; as an exception, not the default handler,
    # it lets the caller's clean-up (the private temporary database) run.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", proxy_headers=True)
    finally:
        refresher.stop()


__all__ = ["DashboardError", "Refresher", "canned_queries", "check_secret", "dashboards", "metadata", "serve"]
