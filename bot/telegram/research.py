"""Researcher commands in Telegram, and the respondent's own PDF report.

| command | who | does |
|---|---|---|
| ``/studies`` | researchers | the studies they may see |
| ``/status CODE`` | researchers of the study | progress and the organisation level so far |
| ``/export CODE FORMAT`` | researchers of the study | the export as a document (always pseudonymous; with its audio in a ZIP) |
| ``/report CODE [id\\|en]`` | researchers of the study | the study's PDF report |
| ``/myreport`` (``/laporan``) | everyone | their own latest finished interview as a PDF |

A researcher is listed in ``MATANG_RESEARCHERS`` (every study) or by the study itself. For anyone
else the researcher commands do not match at all: the update goes on to the channel's own
handlers and its unknown-command reply, so the answer is exactly that of a command that does not
exist, and nothing reveals that a study (or a researcher command) exists.

Exports and reports run in a worker thread with their own database connection (SQLite
connections belong to one thread), so the bot keeps answering interviews meanwhile.
"""

from __future__ import annotations

import functools
import io
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, filters

from bot.research.studies import get_study_or_none, list_studies, may_research

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # the Bot API's upload limit for bots
RESEARCHER_COMMANDS = ("studies", "status", "export", "report")
MY_REPORT_COMMANDS = ("myreport", "laporan")

TEXTS: dict[str, dict[str, str]] = {
    "usage_status": {"id": "Cara pakai: /status KODE", "en": "Usage: /status CODE"},
    "usage_export": {
        "id": "Cara pakai: /export KODE FORMAT — format: {formats}",
        "en": "Usage: /export CODE FORMAT — formats: {formats}",
    },
    "usage_report": {"id": "Cara pakai: /report KODE [id|en]", "en": "Usage: /report CODE [id|en]"},
    "unknown_study": {
        "id": "Studi {code} tidak dikenal. /studies menampilkan studi yang dapat Bapak/Ibu lihat.",
        "en": "Unknown study {code}. /studies lists the studies you can see.",
    },
    "unknown_format": {
        "id": "Format {fmt} tidak dikenal. Format: {formats}",
        "en": "Unknown format {fmt}. Formats: {formats}",
    },
    "no_studies": {
        "id": "Belum ada studi. Buat studi dengan: matang study create --name NAMA",
        "en": "No studies yet. Create one with: matang study create --name NAME",
    },
    "too_big": {
        "id": "Ekspor {fmt} berukuran {mb} MB, melebihi batas 50 MB Telegram untuk bot. Di server, jalankan: "
        "matang export --study {code} --format {fmt}",
        "en": "The {fmt} export is {mb} MB, above Telegram's 50 MB limit for bots. Use on the server: "
        "matang export --study {code} --format {fmt}",
    },
    "no_finished": {
        "id": "Studi {code} belum memiliki wawancara yang selesai.",
        "en": "Study {code} has no finished interviews yet.",
    },
    "export_caption": {
        "id": "{code} · {fmt} · {sessions} sesi, tanpa identitas (pseudonim)",
        "en": "{code} · {fmt} · {sessions} session(s), pseudonymous",
    },
    "export_audio": {
        "id": "Berkas ZIP: data beserta {n} rekaman suara di folder {folder}/, seperti hasil matang export.",
        "en": "A ZIP file: the data with {n} voice recording(s) in the {folder}/ folder, as matang export writes it.",
    },
    "audio_too_big": {
        "id": "Rekaman suara ({n} berkas, {mb} MB) tidak ikut: bersama data melebihi batas 50 MB Telegram untuk "
        "bot. Nama berkasnya ada di kolom recording_files. Untuk data beserta rekamannya, jalankan di server: "
        "matang export --study {code} --format {fmt} --out BERKAS",
        "en": "The voice recordings ({n} files, {mb} MB) are not included: with the data they are above "
        "Telegram's 50 MB limit for bots. Their file names are in the recording_files columns. For the data "
        "with its recordings, run on the server: matang export --study {code} --format {fmt} --out FILE",
    },
    "report_caption": {"id": "{code} · laporan studi", "en": "{code} · study report"},
    "study_line": {
        "id": "{code} — {name} ({state}): {n} sesi, {done} selesai",
        "en": "{code} — {name} ({state}): {n} session(s), {done} finished",
    },
    "open": {"id": "terbuka", "en": "open"},
    "closed": {"id": "ditutup", "en": "closed"},
}
"""Researcher replies, in the researcher's language (the one they chose, else Telegram's)."""


def _t(key: str, lang: str, **params: Any) -> str:
    return TEXTS[key]["en" if lang == "en" else "id"].format(**params)


def _lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The language to answer this researcher in: the one they chose in the bot, else Telegram's."""
    from interview_flows.texts import normalise_lang

    ctx = _ctx(context)
    user = update.effective_user
    if ctx is not None and user is not None and hasattr(ctx, "stored_lang"):
        stored = ctx.stored_lang(ctx.respondent_id(user.id))
        if stored:
            return str(stored)
    code = getattr(user, "language_code", None)
    if code:
        return normalise_lang(code)
    return str(getattr(getattr(ctx, "settings", None), "lang", "id"))


def file_stem(code: str, *parts: str) -> str:
    """A file name without its suffix: "matang", the study code and the parts, joined by single
    dashes (a code may begin or end with "-" or "_": "matang-T72VU5nZp--csv" read as a typo).

    >>> file_stem("T72VU5nZp-", "csv")
    'matang-T72VU5nZp-csv'
    """
    return "-".join(["matang", code.strip("-_") or "study", *parts])


MY_TEXTS = {
    "none": {
        "id": "Belum ada wawancara yang selesai. Laporan PDF tersedia setelah wawancara selesai.",
        "en": "There is no finished interview yet. The PDF report is available once an interview is finished.",
    },
    "caption": {"id": "Laporan penilaian Bapak/Ibu", "en": "Your assessment report"},
}


def _ctx(context: ContextTypes.DEFAULT_TYPE | Application) -> Any:
    return getattr(context, "bot_data", {}).get("matang")


def _researcher_ids(ctx: Any) -> frozenset[int]:
    return frozenset(getattr(getattr(ctx, "settings", None), "researcher_ids", frozenset()))


def _args(update: Update) -> list[str]:
    message = update.effective_message
    text = (message.text or "") if message else ""
    return text.split()[1:]


def allowed(ctx: Any, user_id: int | None, command: str, args: list[str]) -> bool:
    """Whether this user may run this researcher command (with these arguments)."""
    if ctx is None or user_id is None:
        return False
    ids = _researcher_ids(ctx)
    if user_id in ids:
        return True
    if command == "studies":
        return bool(list_studies(ctx.store, researcher_id=user_id))
    if not args:
        return False
    return may_research(get_study_or_none(ctx.store, args[0]), user_id, ids)


class _Researcher(filters.UpdateFilter):
    """Matches a researcher command only when its sender may use it; others fall through."""

    def __init__(self, application: Application, command: str) -> None:
        super().__init__(name=f"researcher:{command}")
        self.application = application
        self.command = command

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        try:
            return allowed(_ctx(self.application), user.id if user else None, self.command, _args(update))
        except Exception:  # a broken lookup must never reveal a command; fall through
            return False


def add_handlers(application: Application, group: int = 0) -> None:
    """Register the researcher commands and ``/myreport`` (before the unknown-command handler)."""
    handlers = {
        "studies": studies_command,
        "status": status_command,
        "export": export_command,
        "report": report_command,
    }
    for command, callback in handlers.items():
        application.add_handler(
            CommandHandler(command, callback, filters=_Researcher(application, command)), group=group
        )
    application.add_handler(CommandHandler(list(MY_REPORT_COMMANDS), my_report_command), group=group)


def _replies(func: Handler) -> Handler:
    """Record the update as answered once the handler replied, as the channel's handlers do, so a
    redelivered update (after a crash or a lost acknowledgement) does not send a document twice."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await func(update, context)
        store = getattr(_ctx(context), "store", None)
        if store is not None and hasattr(store, "mark_update"):
            store.mark_update(update.update_id, replied=True)

    return wrapper


async def _unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The channel's exact unknown-command reply (so refusals look like a missing command)."""
    try:
        from bot.telegram.chat_commands import reply_unknown_command
    except ImportError:  # the channel is not there (unit tests): say nothing rather than leak
        return
    await reply_unknown_command(update, context)


async def _guard(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str) -> bool:
    user = update.effective_user
    if allowed(_ctx(context), user.id if user else None, command, _args(update)):
        return True
    await _unknown(update, context)
    return False


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text)


@_replies
async def studies_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/studies: the studies this researcher may see, with their progress."""
    if not await _guard(update, context, "studies"):
        return
    ctx = _ctx(context)
    user_id = update.effective_user.id  # type: ignore[union-attr]
    everything = user_id in _researcher_ids(ctx)
    studies = list_studies(ctx.store, researcher_id=None if everything else user_id)
    if not studies:
        await _reply(update, _t("no_studies", _lang(update, context)))
        return
    counts = {
        r["study_code"]: (r["n"], r["done"] or 0)
        for r in ctx.store.db.query(
            "select study_code, count(*) as n, sum(state = 'finished') as done from sessions"
            " where study_code is not null group by study_code"
        )
    }
    lang = _lang(update, context)
    lines = []
    for s in studies[:50]:
        n, done = counts.get(s.code, (0, 0))
        state = _t("closed" if s.closed else "open", lang)
        lines.append(_t("study_line", lang, code=s.code, name=s.name, state=state, n=n, done=done))
    await _reply(update, "\n".join(lines))


@_replies
async def status_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status CODE: a study's progress and organisation level so far."""
    if not await _guard(update, context, "status"):
        return
    args = _args(update)
    if not args:
        await _reply(update, _t("usage_status", _lang(update, context)))
        return
    from bot.commands.research import status_text
    from bot.research.studies import StudyError, study_status

    ctx = _ctx(context)
    try:
        st = study_status(ctx.store, args[0])
    except StudyError:
        await _reply(update, _t("unknown_study", _lang(update, context), code=args[0]))
        return
    await _reply(update, status_text(st, _lang(update, context)))


@_replies
async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export CODE FORMAT: the study's export as a document (pseudonymous)."""
    if not await _guard(update, context, "export"):
        return
    from bot.research.exports import FORMATS

    args = _args(update)
    formats = ", ".join(FORMATS)
    if len(args) < 2:
        await _reply(update, _t("usage_export", _lang(update, context), formats=formats))
        return
    code, fmt = args[0], args[1].lower()
    ctx = _ctx(context)
    lang = _lang(update, context)
    if get_study_or_none(ctx.store, code) is None:
        await _reply(update, _t("unknown_study", lang, code=code))
        return
    if fmt not in FORMATS:
        await _reply(update, _t("unknown_format", lang, fmt=fmt, formats=formats))
        return
    sent = await _in_thread(ctx.store, _export_bytes, code, fmt)
    if sent.data is None:
        await _reply(update, _t("too_big", lang, fmt=fmt, mb=_mb(sent.size), code=code))
        return
    message = update.effective_message
    assert message is not None
    caption = _t("export_caption", lang, code=code, fmt=fmt, sessions=sent.sessions)
    if sent.audio:
        caption += "\n" + _t("export_audio", lang, n=sent.audio, folder=sent.audio_folder)
    await message.reply_document(document=io.BytesIO(sent.data), filename=sent.name, caption=caption)
    if sent.audio_left_out:
        await _reply(update, _t("audio_too_big", lang, n=sent.audio_left_out, mb=_mb(sent.audio_bytes), code=code,
                                fmt=fmt))


@_replies
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report CODE [id|en]: the study's PDF report."""
    if not await _guard(update, context, "report"):
        return
    args = _args(update)
    if not args:
        await _reply(update, _t("usage_report", _lang(update, context)))
        return
    code = args[0]
    lang = args[1].lower() if len(args) > 1 and args[1].lower() in ("id", "en") else None
    ctx = _ctx(context)
    speaks = _lang(update, context)
    if get_study_or_none(ctx.store, code) is None:
        await _reply(update, _t("unknown_study", speaks, code=code))
        return
    from bot.research.reports import ReportError

    lang = lang or speaks
    try:
        data = await _in_thread(ctx.store, _study_pdf, code, lang)
    except ReportError:
        await _reply(update, _t("no_finished", speaks, code=code))
        return
    message = update.effective_message
    assert message is not None
    await message.reply_document(
        document=io.BytesIO(data),
        filename=file_stem(code, "report") + ".pdf",
        caption=_t("report_caption", speaks, code=code),
    )


@_replies
async def my_report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/myreport: the respondent's own latest finished interview as a PDF."""
    from bot.research.reports import latest_session_of
    from interview_flows.texts import normalise_lang

    ctx = _ctx(context)
    user = update.effective_user
    if ctx is None or user is None:
        return
    session_id = latest_session_of(ctx.store, "telegram", str(user.id))
    lang = None
    if session_id is not None:
        row = next(ctx.store.db.query("select lang from sessions where id = ?", [session_id]), None)
        lang = row["lang"] if row else None
    lang = lang or normalise_lang(user.language_code)
    if session_id is None:
        await _reply(update, MY_TEXTS["none"][lang])
        return
    data = await _in_thread(ctx.store, _session_pdf, session_id, lang)
    message = update.effective_message
    assert message is not None
    await message.reply_document(
        document=io.BytesIO(data), filename=f"matang-report-{session_id}.pdf", caption=MY_TEXTS["caption"][lang]
    )


# -- work off the event loop -------------------------------------------------------------------


async def _in_thread(store: Any, work: Any, *args: Any) -> Any:
    """Run ``work(store, *args)`` in a worker thread on its own connection to the same database."""
    from bot.store import in_worker_thread

    return await in_worker_thread(store, work, *args)


@dataclass
class ExportDocument:
    """What ``/export`` sends: one document, or nothing when even the data alone is too big."""

    name: str
    data: bytes | None
    """The document's bytes; None when it is above :data:`MAX_DOCUMENT_BYTES`."""
    sessions: int
    size: int
    audio: int = 0
    """Recordings inside the document (in ``audio_folder``)."""
    audio_folder: str = ""
    audio_left_out: int = 0
    """Recordings left out because with them the document would not fit."""
    audio_bytes: int = 0


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}" if size >= 10 * 1024 * 1024 else f"{size / (1024 * 1024):.1f}"


def _export_bytes(store: Any, code: str, fmt: str) -> ExportDocument:
    """Export into a temporary directory and make the one document ``/export`` sends.

    What ``matang export`` writes, in one file a phone can open: the export alone when it is one
    file; otherwise a ZIP holding the file(s) (the wide CSV's codebook) and the audio folder
    beside them (``…-audio/``), so the file names in ``recording_files`` point into the archive
    as they do on disk. Audio is compressed already and goes in stored. When the whole does not
    fit Telegram's upload limit, the data goes without its audio (and the reply says so).
    """
    from bot.research.exports import SUFFIXES, export_study

    with tempfile.TemporaryDirectory(prefix="matang-export-") as tmp:
        stem = file_stem(code, fmt)
        out = Path(tmp) / f"{stem}{SUFFIXES[fmt]}"
        result = export_study(store, code, fmt, out)
        files = [p for p in result.paths if p.is_file()]
        folders = [p for p in result.paths if p.is_dir()]
        sounds = [f for folder in folders for f in sorted(folder.iterdir()) if f.is_file()]
        audio_bytes = sum(f.stat().st_size for f in sounds)

        def bundle(name: str, with_audio: bool) -> Path:
            path = Path(tmp) / name
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for p in files:
                    zf.write(p, p.name)
                for f in sounds if with_audio else []:
                    zf.write(f, f"{f.parent.name}/{f.name}", compress_type=zipfile.ZIP_STORED)
            return path

        def read(path: Path, **audio: Any) -> ExportDocument:
            size = path.stat().st_size
            data = path.read_bytes() if size <= MAX_DOCUMENT_BYTES else None
            return ExportDocument(path.name, data, result.sessions, size, audio_bytes=audio_bytes, **audio)

        if sounds:
            whole = bundle(f"{stem}.zip", with_audio=True)
            if whole.stat().st_size <= MAX_DOCUMENT_BYTES:
                return read(whole, audio=len(sounds), audio_folder=folders[0].name)
            whole.unlink()
        alone = files[0] if len(files) == 1 else bundle(f"{stem}.zip", with_audio=False)
        return read(alone, audio_left_out=len(sounds))


def _study_pdf(store: Any, code: str, lang: str) -> bytes:
    from bot.research.reports import study_report

    return study_report(store, code, lang)


def _session_pdf(store: Any, session_id: int, lang: str) -> bytes:
    from bot.research.reports import session_report

    return session_report(store, session_id, lang)


__all__ = ["RESEARCHER_COMMANDS", "add_handlers", "allowed", "my_report_command"]
