"""Records: one transaction per event, append-only events, flow versions kept per session."""

from __future__ import annotations

import os
import stat

import pytest
import yaml

from bot.interviews import Interviews, engine_of
from bot.store import Store, StoreError
from interview_flows.answers import AnswerError
from interview_flows.loader import load_flow, parse_flow, register_flow

from .conftest import TEST_FLOWS


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "matang.db")
    yield s
    s.close()


def test_database_is_wal_with_foreign_keys_and_owner_only(tmp_path, store):
    assert store.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("pragma foreign_keys").fetchone()[0] == 1
    assert store.db.execute("pragma busy_timeout").fetchone()[0] >= 1000
    assert stat.S_IMODE(os.stat(tmp_path / "matang.db").st_mode) == 0o600


def test_each_answer_is_committed_with_its_event_and_changes_count(tmp_path, store, small_flow):
    interviews = Interviews(store)
    rid = store.respondent("terminal", "sari")
    record = interviews.begin(rid, small_flow, "id", "terminal")
    interviews.act(record, "skip")
    interviews.act(record, "answer", "yes")
    interviews.act(record, "back")
    interviews.act(record, "answer", "no")
    # A second connection sees everything at once: nothing waits for a later commit.
    other = Store.open(tmp_path / "matang.db")
    rows = other.answer_rows(record.id)
    assert [(r["question_id"], r["value"], r["times_changed"]) for r in rows] == [("has_team", '"no"', 1)]
    events = [(e["kind"], e["question_id"], e["old_value"], e["new_value"]) for e in other.events(record.id)]
    assert events == [
        ("consent", None, None, '"given"'),
        ("state", None, None, '"asking"'),
        ("answer", "has_team", None, '"yes"'),
        ("change", "has_team", '"yes"', '"no"'),
    ]
    reopened = other.load(record.id)
    assert reopened.session.cursor == "platforms" and reopened.session.answers == {"has_team": "no"}
    other.close()


def test_a_refused_event_writes_nothing(store, small_flow):
    interviews = Interviews(store)
    record = interviews.begin(store.respondent("terminal", "sari"), small_flow, "id", "terminal")
    interviews.act(record, "skip")
    before = list(store.events(record.id))
    with pytest.raises(AnswerError):
        interviews.act(record, "answer", "maybe")
    assert list(store.events(record.id)) == before


def test_a_session_started_on_an_old_flow_version_finishes_on_it(store, small_flow):
    interviews = Interviews(store)
    record = interviews.begin(store.respondent("terminal", "sari"), small_flow, "id", "terminal")
    interviews.act(record, "skip")
    # A new version drops the team question and adds another; new sessions get it.
    doc = yaml.safe_load((TEST_FLOWS / "small.yaml").read_text(encoding="utf-8"))
    doc["version"] = "2.0"
    doc["questions"] = [q for q in doc["questions"] if q["id"] not in ("team_size",)]
    register_flow(parse_flow(yaml.safe_dump(doc)))
    assert load_flow("small-test").version == "2.0"
    old = store.load(record.id)
    assert engine_of(old).flow.version == "1.0"
    interviews.act(old, "answer", "yes")
    assert old.session.cursor == "team_size"  # still asked: version 1.0 has it
    register_flow(small_flow)  # leave the registry as other tests expect


def test_a_newer_schema_is_refused(tmp_path, store):
    store.db.execute(
        "insert into _sqlite_migrations (migration_set, name, applied_at) values ('matang', 'm999_future', 'x')"
    )
    with pytest.raises(StoreError, match="newer than this Matang knows"):
        Store.open(tmp_path / "matang.db")


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store.open(bad)
