"""The two published cases (ogmm.md §2), answered as their staff would, reach the published levels.

Kemlu RI: level 1 (Initial Conditions), gaps in people, organisation and process.
Diskominfo Sleman: level 3 (Open Participation): ideas gathered and followed up, an SOP for
responding, safeguards for public content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scoring.answer_file import score_answers
from scoring.narrative import render_text

CASES = Path(__file__).parent / "cases"
FLOW_FILE = (
    Path(__file__).resolve().parents[1] / "interview_flows" / "flows" / "ogmm_social_media.yaml"
)


def _case(name: str):
    path = CASES / f"{name}.yaml"
    if not path.exists() or not FLOW_FILE.exists():
        pytest.skip(
            f"waiting for {path.name} and the ogmm-social-media flow (written by a colleague)"
        )
    from interview_flows.loader import DEFAULT_FLOW_ID, load_flow

    flow = load_flow(DEFAULT_FLOW_ID)
    assessment, problems = score_answers(flow, yaml.safe_load(path.read_text("utf-8")), "en")
    assert problems == []
    assert assessment is not None
    return flow, assessment


def test_kemlu_is_at_level_one() -> None:
    _, a = _case("kemlu_staff")
    assert a.level == 1
    assert a.level_name.en == "Initial Conditions"
    assert a.profile.capability == 1


def test_kemlu_is_blocked_by_level_two_and_advised_on_it() -> None:
    _, a = _case("kemlu_staff")
    assert a.blocking and all(b.level == 2 for b in a.blocking)
    assert {"L2.publish", "L2.policy"} <= {b.id for b in a.blocking}
    chosen = [s.criterion for s in a.suggestions]
    assert 1 <= len(chosen) <= 5 and chosen[0].startswith("L2.")
    # The gaps named in the thesis (people, organisation, process) show at level 3 as well.
    for cid in ("L3.respond", "L3.staff", "L3.follow_up"):
        assert a.criterion(cid).rating in ("N", "P")


def test_sleman_is_at_level_three() -> None:
    _, a = _case("sleman_staff")
    assert a.level == 3
    assert a.level_name.id == "Partisipasi Terbuka"
    # What the report found: a response SOP, ideas followed up, safeguards for public content.
    for cid in ("L3.respond", "L3.follow_up", "L3.safeguards", "L3.solicit"):
        assert a.criterion(cid).rating in ("L", "F"), cid


def test_sleman_is_blocked_by_level_four_and_advised_on_collaboration() -> None:
    _, a = _case("sleman_staff")
    assert a.blocking and all(b.level == 4 for b in a.blocking)
    chosen = [s.criterion for s in a.suggestions if s.kind in ("blocker", "next")]
    assert chosen and chosen[0].startswith("L4.")
    assert all(not c.startswith(("L2.", "L3.")) for c in chosen)


@pytest.mark.parametrize("name", ["kemlu_staff", "sleman_staff"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_case_texts_fit_a_telegram_message(name: str, lang: str) -> None:
    flow, a = _case(name)
    text = render_text(a, lang, flow)
    assert len(text) <= 3500
    assert all(s.first_step.get(lang) in text for s in a.suggestions)
