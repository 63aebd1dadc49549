"""Starting `matang run`: bad configuration stops it with one clear line and exit 2 before any
network call; a database from a newer Matang stops it unharmed; the container's command starts
against the test Bot API server, migrates the database, stays healthy and stops on SIGTERM."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

MATANG = Path(sys.executable).with_name("matang")
TOKEN = "123456789:AAHstart-test-token_0123456789abcd"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("bot.telegram.command") is None,
    reason="`matang run` (bot/telegram/command.py) is not written yet",
)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """`matang run` in an empty directory (no stray .env) with only these MATANG_ variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    full = {"MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_DB": str(tmp_path / "matang.db"),
            "MATANG_TELEGRAM_API_URL": f"http://127.0.0.1:{closed_port()}/bot", **env}
    return subprocess.run([str(MATANG), "run"], capture_output=True, text=True, timeout=60,
                          env={**base, **full}, cwd=tmp_path)


def assert_clear_stop(out: subprocess.CompletedProcess, *names: str) -> None:
    assert out.returncode == 2, f"exit {out.returncode}\n{out.stderr}"
    assert "Traceback" not in out.stderr, out.stderr
    message = [ln for ln in out.stderr.splitlines() if ln.startswith("matang: ")]
    assert message, f"no 'matang: …' line on standard error:\n{out.stderr}"
    for name in names:
        assert name in out.stderr, f"{name} not named in:\n{out.stderr}"


def test_bad_token_shape(tmp_path: Path):
    out = start(tmp_path, MATANG_TELEGRAM_TOKEN="12345-not-a-token")
    assert_clear_stop(out, "MATANG_TELEGRAM_TOKEN")


def test_missing_token(tmp_path: Path):
    out = start(tmp_path, MATANG_TELEGRAM_TOKEN="")
    assert_clear_stop(out, "MATANG_TELEGRAM_TOKEN")


def test_unknown_language(tmp_path: Path):
    out = start(tmp_path, MATANG_LANG="fr")
    assert_clear_stop(out, "MATANG_LANG")


def test_unwritable_database_path(tmp_path: Path):
    # A regular file where a directory should be: unwritable even for root (CI runs as root).
    (tmp_path / "afile").write_text("not a directory")
    bad = tmp_path / "afile" / "matang.db"
    out = start(tmp_path, MATANG_DB=str(bad))
    assert_clear_stop(out, str(bad))


def test_unreadable_database_file(tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(os.urandom(4096))
    before = junk.read_bytes()
    out = start(tmp_path, MATANG_DB=str(junk))
    assert_clear_stop(out, str(junk))
    assert junk.read_bytes() == before


def test_database_from_a_newer_matang_stops_the_start_unharmed(tmp_path: Path):
    from bot.store import Store

    db = tmp_path / "matang.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at)"
                 " values ('matang', 'm999_from_the_future', '2030-01-01')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = db.read_bytes()
    out = start(tmp_path, MATANG_DB=str(db))
    assert_clear_stop(out, "newer")
    assert db.read_bytes() == before


def test_container_command_starts_migrates_stays_healthy_and_stops(tmp_path: Path):
    """CMD ["matang", "run"] against the test Bot API server, with an old database to migrate."""
    from fakebotapi import FakeBotApiThread

    db = tmp_path / "data" / "matang.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db)  # a database that only knows the first migration
    from sqlite_utils import Database

    from bot.migrations import migrations

    migrations.apply(Database(conn), stop_before="m002_study_invites")
    conn.close()

    base = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    with FakeBotApiThread(token=TOKEN) as api:
        env = {**base, "MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_TELEGRAM_API_URL": api.base_url,
               "MATANG_DB": str(db), "MATANG_LOG_FORMAT": "json"}
        proc = subprocess.Popen([str(MATANG), "run"], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not api.calls_for("getUpdates"):
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the bot never polled"
                time.sleep(0.1)
            health = subprocess.run([str(MATANG), "health"], env=env, cwd=tmp_path,
                                    capture_output=True, text=True, timeout=60)
            assert health.returncode == 0, health.stdout
            assert "migrations current" in health.stdout
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


def test_webhook_command_of_the_compose_override_serves_updates(tmp_path: Path):
    """compose.webhook.yaml's command, with Caddy taken out (plain HTTP on a free local port):
    the bot sets the webhook with the secret from MATANG_WEBHOOK_SECRET and answers an update
    the server delivers to the /telegram path."""
    import yaml

    from fakebotapi import FakeBotApiThread

    from .conftest import ROOT

    port = closed_port()
    cmd = [str(a) for a in yaml.safe_load((ROOT / "deploy" / "compose.webhook.yaml").read_text())
           ["services"]["matang"]["command"]]
    cmd[cmd.index("--webhook-url") + 1] = f"http://127.0.0.1:{port}/telegram"
    cmd[cmd.index("--listen") + 1] = "127.0.0.1"
    cmd[cmd.index("--port") + 1] = str(port)
    assert cmd[:2] == ["matang", "run"]
    secret = "webhook-secret-for-the-test_0123456789"
    base = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    with FakeBotApiThread(token=TOKEN) as api:
        env = {**base, "MATANG_TELEGRAM_TOKEN": TOKEN, "MATANG_TELEGRAM_API_URL": api.base_url,
               "MATANG_DB": str(tmp_path / "matang.db"), "MATANG_WEBHOOK_SECRET": secret}
        proc = subprocess.Popen([str(MATANG), *cmd[1:]], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not api.calls_for("setWebhook"):
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the bot never set its webhook"
                time.sleep(0.1)
            [call] = api.calls_for("setWebhook")
            assert call.params["url"] == f"http://127.0.0.1:{port}/telegram"
            assert call.params["secret_token"] == secret
            time.sleep(0.5)  # the webhook server starts listening right after setWebhook
            import httpx

            forged = httpx.post(f"http://127.0.0.1:{port}/telegram", timeout=5,
                                json={"update_id": 1, "message": {"message_id": 1, "date": 0,
                                      "chat": {"id": 1, "type": "private"}, "text": "/start"}})
            assert forged.status_code == 403  # no secret header: refused
            user = api.user(424242)
            user.send("/start")
            assert user.next_message(timeout=15).text
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                _, err = proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert secret not in err and TOKEN not in err
