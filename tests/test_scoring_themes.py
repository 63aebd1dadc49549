"""Themes: the codebook as validated data, stemming, negation, typos, spans, and a floor on the
labelled set of benchmarks/data/themes.yaml."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from benchmarks.themes import labelled, score
from interview_flows.loader import DEFAULT_FLOW_ID, load_flow, packaged_flow_ids
from scoring.themes import (
    codebook_problems,
    find_themes,
    load_codebook,
    match_text,
    parse_codebook,
    text_parts,
)

CODEBOOK = load_codebook()
FLOW = load_flow(DEFAULT_FLOW_ID)
REQUIRED = {
    "staffing",
    "skills",
    "approval",
    "mandate",
    "budget",
    "technology",
    "security",
    "leadership_culture",
    "accessibility",
    "data_availability",
    "coordination",
}


def themes_in(text: str) -> set[str]:
    return {t for t, _, _ in match_text(text)}


def test_the_codebook_has_the_required_themes_in_both_languages() -> None:
    assert set(CODEBOOK.ids) >= REQUIRED
    for t in CODEBOOK.themes:
        assert t.label.id != t.label.en and t.description.id != t.description.en
        assert t.cues.id and t.cues.en


def test_every_mapped_challenge_option_exists_in_every_packaged_flow_that_asks_it() -> None:
    assert "challenges" in CODEBOOK.choices
    for flow_id in packaged_flow_ids():
        assert codebook_problems(CODEBOOK, load_flow(flow_id)) == [], flow_id
    mapped = CODEBOOK.choices["challenges"]
    assert {c.value for c in FLOW.question("challenges").choices} == set(mapped)


def test_a_mapping_onto_an_unknown_theme_is_refused_with_its_path() -> None:
    raw = yaml.safe_load((__import__("importlib").resources.files("scoring.data") / "themes.yaml").read_text("utf-8"))
    raw["choices"]["challenges"]["money"] = ["budgte"]
    with pytest.raises(ValidationError, match=r"choices\.challenges\.money.*budgte"):
        parse_codebook(yaml.safe_dump(raw))


def test_an_option_missing_from_the_flow_is_reported() -> None:
    bad = CODEBOOK.model_copy(update={"choices": {"challenges": {**CODEBOOK.choices["challenges"], "weather": ()}}})
    assert codebook_problems(bad, FLOW) == [f"choices.challenges.weather: no such option in {FLOW.id}"]


@pytest.mark.parametrize("word", ["pelatihan", "dilatih", "pelatih", "latihan"])
def test_indonesian_forms_of_one_stem_meet(word: str) -> None:
    assert themes_in(f"Belum ada {word} untuk pengelola akun.") == {"skills"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tidak ada kendala anggaran.", set()),
        ("Tidak ada anggaran khusus untuk media sosial.", {"budget"}),
        ("Anggaran sudah cukup, tetapi staf kurang.", {"staffing"}),
        ("Budget is not a problem for us.", set()),
        ("There is no budget at all.", {"budget"}),
        ("We are not short of staff.", set()),
        ("We do not have enough staff.", {"staffing"}),
        ("Akun kami belum pernah diretas.", set()),
        ("Akun kami pernah diretas.", {"security"}),
        ("Tidak ada masalah dengan persetujuan.", set()),
    ],
)
def test_negation_turns_an_obstacle_around_but_a_missing_thing_is_one(text: str, expected: set[str]) -> None:
    assert themes_in(text) == expected


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Pelatiahn untuk admin belum pernah ada.", "skills"),  # two letters swapped
        ("Persetujuaan atasan lama sekali.", "approval"),  # one letter added
        ("The aproval chain is long.", "approval"),  # one letter missing
        ("Koordinasi dengan unit lain lambat.", "coordination"),
    ],
)
def test_one_letter_wrong_in_a_longer_word_still_matches(text: str, theme: str) -> None:
    assert theme in themes_in(text)


def test_short_words_need_the_exact_spelling() -> None:
    # "dana" (funds) and "dama" differ by a letter, but four letters are too few to guess.
    assert themes_in("Tidak ada dama.") == set()


def test_a_topic_word_alone_is_not_an_obstacle() -> None:
    assert themes_in("Kami mempublikasikan data realisasi anggaran setiap bulan.") == set()
    assert themes_in("Staf kami sudah terlatih dan bekerja dengan baik.") == set()


def test_spans_point_at_the_words_that_gave_the_theme() -> None:
    text = "Sejak awal tahun, persetujuan pimpinan lama sekali dan akun pernah diretas."
    spans = {t: text[a:b] for t, a, b in match_text(text)}
    assert spans == {"approval": "persetujuan", "security": "diretas"}


def test_find_themes_reads_every_free_text_answer_and_its_parts_and_the_challenges() -> None:
    answers = {
        "challenges": ["money", "none"],
        "main_challenge": "Admin hanya satu orang.",
        "anything_else": {"parts": ["Sudah.", "Akun kami pernah diretas bulan lalu."]},
        "l2_example": "dont_know",
    }
    found = {t.id: t for t in find_themes(FLOW, answers)}
    assert set(found) == {"budget", "staffing", "security"}
    (budget,) = found["budget"].sources
    assert (budget.question, budget.choice, budget.start) == ("challenges", "money", None)
    (staff,) = found["staffing"].sources
    assert (staff.question, staff.part, staff.text) == ("main_challenge", 0, "satu orang")
    (hack,) = found["security"].sources
    assert (hack.question, hack.part) == ("anything_else", 1)
    assert answers["anything_else"]["parts"][1][hack.start : hack.end] == "diretas"
    assert found["staffing"].to_dict()["label"] == {"id": "Jumlah staf", "en": "Number of staff"}


def test_answer_parts_of_every_shape_are_read() -> None:
    assert text_parts(["a", {"text": "b"}, 3]) == ["a", "b"]
    assert text_parts({"text": "x"}) == ["x"]
    assert text_parts(None) == [] and text_parts("dont_know") == [] and text_parts(7) == []


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    answers = labelled()
    assert len(answers) >= 80
    assert {a["lang"] for a in answers} == {"id", "en"}
    assert sum(not a["themes"] for a in answers) >= 10  # answers naming no theme
    assert set().union(*(a["themes"] for a in answers)) == set(CODEBOOK.ids)


def test_precision_and_recall_hold_their_floor_on_part_of_the_labelled_set() -> None:
    overall = score(labelled(floor_only=True))["overall"]
    assert overall["precision"] >= 0.85 and overall["recall"] >= 0.75, overall


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_spans_inside_it_and_never_fails(text: str) -> None:
    for theme, start, end in match_text(text):
        assert theme in CODEBOOK.ids and 0 <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]
