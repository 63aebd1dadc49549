"""Upgrades: migrations change a database in place, keeping every row, key and index.

m003 makes respondent and session ids AUTOINCREMENT: without it, the id of the newest respondent
(and of their sessions) came back after they were erased, so an export made before an erasure and
one made after could show two different people under one number.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

MATANG = Path(sys.executable).with_name("matang")
CODE = "ulang-2026"
M003 = "m003_ids_never_reused"


def matang(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    done = subprocess.run([str(MATANG), *args], capture_output=True, text=True, timeout=120, input=stdin, env=env,
                          cwd=cwd)
    assert done.returncode == 0, (args, done.stderr)
    return done


def take_interview(db: Path, user: str) -> None:
    """Consent and a first answer in the terminal; the end of input pauses the interview."""
    matang("interview", "--study", CODE, "--user", user, "--db", str(db), stdin="ya\n\nKantor Contoh\n",
           cwd=db.parent)


def sessions_in_export(db: Path, out: Path) -> dict[str, str]:
    """Session id to pseudonymous respondent, as a researcher's csv-wide export shows them."""
    matang("export", "--study", CODE, "--format", "csv-wide", "--out", str(out), "--db", str(db), cwd=db.parent)
    with open(out, newline="", encoding="utf-8") as fh:
        return {row["session"]: row["respondent"] for row in csv.DictReader(fh)}


def test_a_deleted_respondents_ids_are_never_handed_out_again(tmp_path):
    db = tmp_path / "matang.db"
    matang("study", "create", "--name", "Uji ulang", "--code", CODE, "--db", str(db), cwd=tmp_path)
    take_interview(db, "ani")
    take_interview(db, "budi")
    before = sessions_in_export(db, tmp_path / "before.csv")
    conn = sqlite3.connect(db)
    [(budi, budi_session)] = conn.execute(
        "select r.id, s.id from respondents r join sessions s on s.respondent_id = r.id where external_id = 'budi'")
    conn.close()
    matang("delete", "--respondent", "terminal:budi", "--yes", "--db", str(db), cwd=tmp_path)  # the newest
    take_interview(db, "citra")
    after = sessions_in_export(db, tmp_path / "after.csv")
    conn = sqlite3.connect(db)
    [(citra, citra_session)] = conn.execute(
        "select r.id, s.id from respondents r join sessions s on s.respondent_id = r.id where external_id = 'citra'")
    conn.close()
    assert citra > budi and citra_session > budi_session
    # The two exports never show two different people under one session number.
    assert str(budi_session) in before and str(budi_session) not in after
    assert all(before[sid] == after[sid] for sid in before.keys() & after.keys())


# -- upgrading a database made before m003 --------------------------------------------------------


def schema_facts(conn: sqlite3.Connection) -> dict[str, object]:
    """Every row of every table, and each table's foreign keys and indexes (by name and columns)."""
    tables = [t for (t,) in conn.execute(
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]
    facts: dict[str, object] = {}
    for table in tables:
        if table == "_sqlite_migrations":  # the record of the upgrade itself grows, by design
            continue
        facts[f"{table} rows"] = conn.execute(f'select * from "{table}" order by 1, 2').fetchall()
        facts[f"{table} foreign keys"] = sorted(
            (fk[2], fk[3], fk[4], fk[6]) for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")'))
        facts[f"{table} indexes"] = sorted(
            (ix[1], bool(ix[2]), tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{ix[1]}")')))
            for ix in conn.execute(f'PRAGMA index_list("{table}")'))
        facts[f"{table} columns"] = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return facts


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    """A database at m002, as a running bot left it: a study, respondents with sessions, answers,
    events and invites, processed updates; the newest respondent erased (a hole at the top)."""
    from bot.interviews import Interviews
    from bot.migrations import migrations
    from bot.research.studies import create_study, record_invite
    from bot.store import Store
    from interview_flows.loader import load_flow

    db = tmp_path / "matang.db"
    conn = sqlite3.connect(db, isolation_level=None)
    database = Database(conn)
    database.execute("PRAGMA journal_mode = WAL")
    database.execute("PRAGMA foreign_keys = ON")
    migrations.apply(database, stop_before=M003)
    store = Store(database)  # the store of that version: no further migration
    study = create_study(store, "Sebelum m003", code=CODE)
    flow = load_flow(study.flow_id, study.flow_version)
    interviews = Interviews(store)
    for n, who in enumerate(("ani", "budi", "citra", "dodi")):
        rid = store.respondent("telegram", str(900_000 + n), lang="id")
        record_invite(store, CODE, rid)
        record = interviews.begin(rid, flow, "id", "telegram", study_code=CODE, chat_id=900_000 + n)
        interviews.act(record, "skip")
        interviews.act(record, "answer", f"Dinas {who}")
        store.mark_update(700 + n, replied=True)
    store.delete_respondent(store.respondent("telegram", "900003"))
    conn.close()
    return db


def test_an_old_database_upgrades_in_place_keeping_every_row_key_and_index(old_database, tmp_path):
    conn = sqlite3.connect(old_database)
    before = schema_facts(conn)
    highest = conn.execute("select max(id) from respondents").fetchone()[0], \
        conn.execute("select max(id) from sessions").fetchone()[0]
    conn.close()
    assert before["invites rows"] and before["answers rows"] and before["events rows"]

    matang("study", "list", "--db", str(old_database), cwd=tmp_path)  # any command upgrades what it opens

    conn = sqlite3.connect(old_database)
    after = schema_facts(conn)
    assert (before.pop("updates indexes"), after.pop("updates indexes")) == ([], [("idx_updates_at", False, ("at",))])
    # m005 adds the (empty) table of voice recordings, its rows going with their session.
    assert after.pop("recordings rows") == [] and "recordings rows" not in before
    assert after.pop("recordings foreign keys") == [("sessions", "session_id", "id", "CASCADE")]
    assert after.pop("recordings indexes")
    assert [c[1] for c in after.pop("recordings columns")][:5] == ["id", "session_id", "question_id", "part", "file"]
    assert after == before  # every row, column, foreign key and index, as it was
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert M003 in [n for (n,) in conn.execute("select name from _sqlite_migrations")]
    for table in ("respondents", "sessions"):
        [(sql,)] = conn.execute("select sql from sqlite_master where name = ?", [table])
        assert "AUTOINCREMENT" in sql, table
    conn.close()

    # The numbering goes on after the highest id kept, and never comes back after an erasure.
    take_interview(old_database, "eko")
    conn = sqlite3.connect(old_database)
    [(rid, sid)] = conn.execute("select r.id, s.id from respondents r join sessions s on s.respondent_id = r.id"
                                " where r.external_id = 'eko'")
    conn.close()
    assert (rid, sid) == (highest[0] + 1, highest[1] + 1)
    matang("delete", "--respondent", "terminal:eko", "--yes", "--db", str(old_database), cwd=tmp_path)
    take_interview(old_database, "fajar")
    conn = sqlite3.connect(old_database)
    assert conn.execute("select max(id) from respondents").fetchone()[0] == rid + 1
    assert conn.execute("select max(id) from sessions").fetchone()[0] == sid + 1
    conn.close()


def test_the_upgrade_is_one_transaction_and_can_run_again(old_database):
    """A failure half-way leaves the old tables; a second run (after a crash before the record of
    the migration was written) changes nothing."""
    from bot.migrations import m003_ids_never_reused, migrations

    conn = sqlite3.connect(old_database, isolation_level=None)
    database = Database(conn)
    database.execute("PRAGMA foreign_keys = ON")
    before = schema_facts(conn)
    database.execute("PRAGMA foreign_keys = OFF")  # to plant a dangling answer
    database.execute("insert into answers (session_id, question_id, value, answered_at) values (99, 'x', '1', 'now')")
    database.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError, match="foreign key"):
        migrations.apply(database)  # a dangling answer: the check before the commit refuses
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # given back as it was
    database.execute("delete from answers where session_id = 99")
    assert schema_facts(conn) == before
    assert "AUTOINCREMENT" not in database.execute("select sql from sqlite_master where name = 'sessions'").fetchone()[0]
    migrations.apply(database, stop_before="m004_updates_by_time")
    upgraded = schema_facts(conn)
    m003_ids_never_reused(database)
    assert schema_facts(conn) == upgraded == before
    conn.close()
