"""Studies: codes and links, joining and closing, progress, and the organisation level so far."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .test_research_support import ORG_A, ORG_B, RESEARCHER, Research, build_research, script


@pytest.fixture(scope="module")
def research(tmp_path_factory: pytest.TempPathFactory) -> Research:
    """A filled study in its own database (built once for this module)."""
    return build_research(tmp_path_factory.mktemp("research"))


CODE = re.compile(r"^[A-Za-z0-9_-]{6,32}$")


@pytest.fixture
def store(tmp_path):
    from bot.store import Store

    s = Store.open(tmp_path / "matang.db")
    yield s
    s.close()


def matang(args: list[str], db: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MATANG_")}
    environment.update({"MATANG_DB": str(db), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=db.parent,
    )


# -- the library ---------------------------------------------------------------------------------


def test_a_new_study_fixes_the_flow_version_and_gets_a_deep_link_code(store):
    from bot.research.studies import create_study, deep_link
    from interview_flows.loader import load_flow

    study = create_study(store, "  Humas   Sleman ", organisation="Diskominfo Sleman", researchers=[7, 7, 3])
    flow = load_flow("ogmm-social-media")
    assert CODE.match(study.code) and study.code[0].isalnum()
    assert (study.name, study.flow_id, study.flow_version) == ("Humas Sleman", flow.id, flow.version)
    assert study.researchers == (3, 7) and not study.closed and not study.asks_organisation
    assert deep_link(study.code, "@MatangBot") == f"https://t.me/MatangBot?start={study.code}"
    assert deep_link(study.code, "") == f"https://t.me/YOUR_BOT?start={study.code}"


def test_codes_are_checked_and_unique(store):
    from bot.research.studies import StudyError, create_study

    create_study(store, "A", code="kemlu-2025")
    with pytest.raises(StudyError, match="already taken"):
        create_study(store, "B", code="kemlu-2025")
    for bad in ("abc", "has space", "x" * 33, "semi;colon"):
        with pytest.raises(StudyError, match="invalid study code"):
            create_study(store, "C", code=bad)
    with pytest.raises(StudyError, match="unknown flow"):
        create_study(store, "D", flow_id="no-such-flow")
    with pytest.raises(StudyError, match="needs a name"):
        create_study(store, "   ")


def test_a_closed_study_takes_no_new_sessions_and_can_reopen(store):
    from bot.research.studies import StudyError, close_study, create_study, open_study, reopen_study

    study = create_study(store, "Tutup", code="closeme")
    assert open_study(store, "closeme").code == "closeme"
    assert close_study(store, "closeme").closed
    with pytest.raises(StudyError, match="closed"):
        open_study(store, "closeme")
    with pytest.raises(StudyError, match="unknown study"):
        open_study(store, "nosuchcode")
    assert not reopen_study(store, study.code).closed


def test_researchers_are_global_or_per_study(store):
    from bot.research.studies import create_study, list_studies, may_research

    mine = create_study(store, "Mine", researchers=[11])
    create_study(store, "Other", researchers=[12])
    assert may_research(mine, 11, []) and not may_research(mine, 12, [])
    assert may_research(mine, 99, [99]) and not may_research(None, 11, [])
    assert [s.name for s in list_studies(store, researcher_id=11)] == ["Mine"]
    assert len(list_studies(store)) == 2


def test_status_counts_every_kind_of_session_and_combines_per_organisation(research):
    from bot.research.studies import study_status

    store = research.store()
    try:
        st = study_status(store, research.code)
    finally:
        store.close()
    assert (st.invited, st.declined, st.started) == (7, 1, 6)
    assert (st.in_progress, st.finished, st.withdrawn) == (1, 4, 1)
    assert st.median_minutes is not None and st.median_minutes >= 0
    by_name = {o.name: o for o in st.organisations}
    assert set(by_name) == {ORG_A, ORG_B}
    assert by_name[ORG_A].respondents == 3 and by_name[ORG_B].respondents == 1
    combined = by_name[ORG_A].assessment
    assert combined.respondents == 3 and 1 <= combined.level <= 5
    # Budi (very mature) and Dewi/Siti disagree on some criteria; the combination flags them.
    assert set(combined.disagreements) <= {c.id for c in combined.criteria}
    data = st.to_dict()
    assert data["organisations"][0]["assessment"]["respondents"] == 3
    json.dumps(data)


def test_organisation_spellings_group_together(store):
    from bot.research.studies import organisation_key, session_organisation

    assert organisation_key(" Diskominfo  SLÉMAN") == organisation_key("diskominfo sléman")
    assert session_organisation("Fixed", {"organisation": "Other"}, "organisation") == "Fixed"
    assert session_organisation(None, {"organisation": "  Kemlu  RI "}, "organisation") == "Kemlu RI"
    assert session_organisation(None, {"organisation": "dont_know"}, "organisation") is None


def test_invites_are_counted_once_and_go_with_a_deleted_respondent(store):
    from bot.research.studies import create_study, open_study, study_status

    create_study(store, "Undangan", code="invite01")
    rid = store.respondent("telegram", "42", name="Ani")
    open_study(store, "invite01", respondent_id=rid)
    open_study(store, "invite01", respondent_id=rid)
    assert study_status(store, "invite01").invited == 1
    store.delete_respondent(rid)
    assert study_status(store, "invite01").invited == 0
    assert store.db.execute("select count(*) from invites").fetchone()[0] == 0


# -- the command line ----------------------------------------------------------------------------


def test_study_create_prints_the_code_and_the_deep_link(tmp_path):
    db = tmp_path / "matang.db"
    done = matang(
        [
            "study",
            "create",
            "--name",
            "Humas Kemlu",
            "--org",
            "Kementerian Luar Negeri",
            "--researcher",
            "101",
            "--researcher",
            "102",
        ],
        db,
        MATANG_BOT_USERNAME="@MatangBot",
    )
    assert done.returncode == 0, done.stderr
    code = re.search(r"^code: (\S+)$", done.stdout, re.M).group(1)
    assert CODE.match(code)
    assert f"link: https://t.me/MatangBot?start={code}" in done.stdout
    assert "researchers: 101, 102" in done.stdout and done.stderr == ""
    listed = matang(["study", "list"], db)
    assert listed.stdout.startswith(f"{code}\topen\t0 session(s)")


def test_study_create_without_a_bot_username_gives_a_placeholder_and_a_hint(tmp_path):
    done = matang(["study", "create", "--name", "X", "--code", "placeholder1", "--json"], tmp_path / "m.db")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["link"] == "https://t.me/YOUR_BOT?start=placeholder1"
    assert "MATANG_BOT_USERNAME" in done.stderr


def test_unknown_study_exits_2_with_one_clear_line(tmp_path):
    db = tmp_path / "matang.db"
    for args in (
        ["study", "status", "nope123"],
        ["study", "close", "nope123"],
        ["report", "--study", "nope123", "--out", str(tmp_path / "r.pdf")],
        ["interview", "--study", "nope123"],
    ):
        done = matang(args, db)
        assert done.returncode == 2, args
        assert done.stderr.strip().splitlines() == ["matang: unknown study 'nope123' (see `matang study list`)"], args


def test_terminal_interview_joins_a_study_and_status_shows_it(tmp_path):
    from interview_flows.loader import load_flow

    db = tmp_path / "matang.db"
    made = matang(["study", "create", "--name", "Lewat terminal", "--org", ORG_B, "--code", "terminal1"], db)
    assert made.returncode == 0, made.stderr
    lines, answers = script(load_flow("ogmm-social-media"), 0.8, "Dinas Apa Saja")
    done = matang(
        ["interview", "--study", "terminal1", "--user", "ani.lestari"],
        db,
        stdin="".join(f"{line}\n" for line in ["ya", *lines]),
    )
    assert done.returncode == 0, done.stderr
    assert "Tingkat kematangan" in done.stdout
    status = matang(["study", "status", "terminal1", "--json"], db)
    data = json.loads(status.stdout)
    assert (data["started"], data["finished"]) == (1, 1)
    # The study fixed the organisation: that is the organisation, whatever was typed.
    assert [o["name"] for o in data["organisations"]] == [ORG_B]
    text = matang(["study", "status", "terminal1"], db).stdout
    assert f"{ORG_B}: tingkat" in text and "selesai 1" in text
    closed = matang(["study", "close", "terminal1"], db)
    assert closed.returncode == 0 and "closed" in closed.stdout
    again = matang(["interview", "--study", "terminal1", "--user", "someone"], db, stdin="ya\n")
    assert again.returncode == 2 and "closed" in again.stderr


def test_researcher_ids_come_from_the_study(research):
    from bot.research.studies import get_study

    store = research.store()
    try:
        assert get_study(store, research.code).researchers == (RESEARCHER,)
    finally:
        store.close()


def test_a_study_with_its_organisation_never_asks_for_it_and_the_respondent_cannot_change_it(tmp_path):
    from bot.interviews import Interviews
    from bot.store import Store
    from interview_flows.answers import AnswerError
    from interview_flows.engine import engine_for
    from interview_flows.loader import load_flow
    from tests.telegram_helpers import default_answer

    flow = load_flow("ogmm-social-media")
    engine = engine_for(flow)
    store = Store.open(tmp_path / "m.db")
    try:
        interviews = Interviews(store)
        record = interviews.begin(store.respondent("terminal", "ani"), flow, "id", "terminal",
                                  organisation=ORG_B)
        asked = []
        while record.state == "asking" and len(asked) < 4:
            q = engine.current(record.session)
            asked.append(q.id)
            if q.answerable:
                interviews.act(record, "answer", default_answer(q))
            else:
                interviews.act(record, "skip")
        assert "organisation" not in asked and record.session.answers["organisation"] == ORG_B
        # Back from the question after it steps over it, and an edit of it is refused.
        while engine.current(record.session).id != "unit":
            interviews.act(record, "back")
        interviews.act(record, "back")
        assert engine.current(record.session).id != "organisation"
        with pytest.raises(AnswerError) as err:
            interviews.act(record, "edit", "organisation")
        assert err.value.code == "fixed_by_study"
        assert store.load(record.id).session.answers["organisation"] == ORG_B
    finally:
        store.close()
