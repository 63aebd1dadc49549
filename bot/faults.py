"""Faults of the storage under the database, recognised and told in words.

A full disk, a read-only file or a failing device reach Matang as ``sqlite3.OperationalError``
with SQLite's own wording. A write that fails this way keeps nothing of itself: every answer is
one transaction (sqlite-utils rolls it back, a failed COMMIT included), so the person can simply
give the answer again once the storage is fixed. These helpers turn the error into a message for
the person and one clean log or error line for the operator, instead of a traceback.
"""

from __future__ import annotations

import sqlite3

# SQLite's messages (sqlite3_errstr) for the storage refusing a write, by what the operator must do.
_KINDS = {
    "database or disk is full": "full",
    "disk i/o error": "io",
    "attempt to write a readonly database": "readonly",
    "database is locked": "locked",
    "unable to open database file": "io",
}

_ADVICE = {
    "full": "the disk is full: free some space",
    "io": "the disk cannot be read or written: check its free space (SQLite says this when a full disk"
          " stops it opening the database), the device and the file",
    "readonly": "the database file or its folder is read-only: check the owner and permissions",
    "locked": "another process holds the database: wait, or stop the other writer",
}


def storage_fault(exc: BaseException) -> str | None:
    """``"full"``, ``"io"``, ``"readonly"`` or ``"locked"`` when ``exc`` is SQLite refusing a write
    because of the storage under it; None for any other error (a bug, not the storage)."""
    if not isinstance(exc, sqlite3.OperationalError):
        return None
    message = str(exc).lower()
    return next((kind for text, kind in _KINDS.items() if text in message), None)


def storage_fault_line(exc: BaseException, where: object = "the database") -> str:
    """One line for an operator: what SQLite said, what it means, and that nothing half-written stayed."""
    kind = storage_fault(exc) or "io"
    return (f"cannot write to {where}: {exc} — {_ADVICE[kind]}. The last change was not saved "
            "(nothing half-written is kept); run the command again once this is fixed")
