"""The operators' guide: its configuration table is the one made from bot.settings.Settings, and
it covers every file in deploy/."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

from .conftest import ROOT

GUIDE = ROOT / "docs" / "operators.md"  # the operators' guide, a page of the documentation site


def table_module():
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "deploy" / "settings_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuration_table_matches_settings():
    """Fix a failure with: python deploy/settings_table.py --write docs/operators.md"""
    table = table_module()
    holders = [p for p in (GUIDE,) if p.exists() and table.START in p.read_text(encoding="utf-8")]
    assert GUIDE in holders, "no configuration table found in docs/operators.md"
    for path in holders:
        text = path.read_text(encoding="utf-8")
        assert table.replace_table(text) == text, (
            f"the configuration table in {path.name} is out of date: "
            f"python deploy/settings_table.py --write {path.relative_to(ROOT)}"
        )


def test_table_has_every_variable_with_a_meaning():
    from bot.settings import Settings

    rows = table_module().settings_rows()
    assert [r[0] for r in rows] == [f"`MATANG_{name.upper()}`" for name in Settings.model_fields]
    assert all(meaning for _, _, meaning in rows), "every setting needs a description= in bot/settings.py"


def test_check_mode_of_the_script():
    out = subprocess.run([sys.executable, str(ROOT / "deploy" / "settings_table.py"), "--check", str(GUIDE)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_guide_covers_every_deploy_file_and_operator_command():
    text = GUIDE.read_text(encoding="utf-8")
    for f in (ROOT / "deploy").iterdir():
        if f.is_file() and not f.name.startswith("."):
            assert f"`{f.name}`" in text, f"docs/operators.md does not mention deploy/{f.name}"
    for words in ("matang health", "matang backup", "matang delete", "MATANG_LOG_FORMAT=json",
                  "interview_flows/flows/archive/", "30 messages per second", "One bot per institution"):
        assert words in text, words
