"""The ``matang`` command line: flows, score, help and version, through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT, TEST_FLOWS

CASES = ROOT / "tests" / "cases"


def matang(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_help_lists_every_command_and_version_answers():
    out = matang("--help").stdout
    for name in ("interview", "run", "flows", "score", "study", "export", "report", "backup", "health", "delete"):
        assert f"  {name} " in out
    assert matang("--version").stdout.startswith("matang, version ")


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from bot.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('telegram', 'PIL', 'fpdf', 'openpyxl', 'transitions', 'sqlite_utils') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_flows_list_and_show_json():
    assert matang("flows", "list").stdout.startswith("ogmm-social-media\t")
    flow = json.loads(matang("flows", "show", "ogmm-social-media", "--json").stdout)
    q = next(q for q in flow["questions"] if q["type"] == "single_choice" and any(c["evidence"] for c in q["choices"]))
    assert {"id", "type", "text", "choices"} <= q.keys()
    assert {"value", "label", "evidence"} <= q["choices"][0].keys()
    assert any("relevant" in q for q in flow["questions"])


def test_flows_validate_ok_and_every_error_with_its_path(tmp_path):
    ok = matang("flows", "validate", str(TEST_FLOWS / "small.yaml"))
    assert ok.returncode == 0 and "valid" in ok.stdout
    bad = tmp_path / "bad.yaml"
    text = (TEST_FLOWS / "small.yaml").read_text(encoding="utf-8")
    bad.write_text(
        text.replace("L2.use: 0.8", "L2.usage: 0.8").replace(
            "relevant: \"has_team == 'yes'\"", "relevant: \"has_tim == 'yes'\""
        ),
        encoding="utf-8",
    )
    out = matang("flows", "validate", str(bad))
    assert out.returncode == 2
    assert "questions[4].choices[1].evidence: unknown criterion id 'L2.usage'" in out.stderr
    assert "questions[2].relevant: names unknown question 'has_tim'" in out.stderr
    assert "Traceback" not in out.stderr


def test_flows_validate_missing_file_is_a_clean_error(tmp_path):
    out = matang("flows", "validate", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2 and "cannot read" in out.stderr and "Traceback" not in out.stderr


def test_flows_schema_is_a_json_schema_that_accepts_the_packaged_flow():
    schema = json.loads(matang("flows", "schema").stdout)
    assert schema["title"] == "Flow" and "questions" in schema["properties"]


def test_flows_diagram_is_mermaid_with_skip_logic():
    out = matang("flows", "diagram", str(TEST_FLOWS / "small.yaml")).stdout
    assert out.startswith("flowchart TD")
    assert "has_team -. \"has_team == 'yes'\" .-> team_size" in out
    # Every path ends at the final check; only "send" leads from there to the end.
    assert "example --> check" in out and 'check -- "send" --> finish' in out
    assert "--> finish" not in out.replace('check -- "send" --> finish', "")


@pytest.mark.parametrize("case, level", [("kemlu_staff", 1), ("sleman_staff", 3)])
def test_score_json_gives_the_published_levels(case, level):
    out = matang("score", str(CASES / f"{case}.yaml"), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["level"] == level
    assert {
        "level",
        "level_name",
        "levels",
        "criteria",
        "profile",
        "confidence",
        "blocking",
        "suggestions",
    } <= result.keys()


def test_score_plain_text_in_english():
    out = matang("score", str(CASES / "sleman_staff.yaml"), "--lang", "en")
    assert out.returncode == 0 and "Open Participation" in out.stdout


def test_score_rejects_unknown_questions_and_invalid_choices(tmp_path):
    f = tmp_path / "answers.yaml"
    f.write_text("no_such_question: 1\n", encoding="utf-8")
    out = matang("score", str(f), "--lang", "en")
    assert out.returncode == 2
    assert "no_such_question: no question with this id" in out.stderr
    f.write_text("{not json", encoding="utf-8")
    out = matang("score", str(f))
    assert out.returncode == 2 and "not valid YAML or JSON" in out.stderr and "Traceback" not in out.stderr
