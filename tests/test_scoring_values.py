"""scoring.values.made gives the same value as the dataclass's own constructor."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from interview_flows.texts import Text
from scoring.assessment import Assessment, LevelResult, Profile
from scoring.ratings import CriterionResult
from scoring.suggestions import Suggestion
from scoring.themes import Source, Theme
from scoring.values import made

T = Text(id="satu", en="one")
CASES = [
    (Source, dict(question="q", start=1, end=4, text="abc", part=0, choice=None)),
    (Theme, dict(id="budget", label=T, sources=(Source("q", 1, 4, "abc"),))),
    (
        Suggestion,
        dict(criterion="L2.x", rating="P", text=T, first_step=T, kind="next", addresses="L2.x", because=("q",), why=T),
    ),
    (
        Assessment,
        dict(
            level=2,
            level_name=T,
            levels=(LevelResult(2, 0.5, False),),
            criteria=(),
            profile=Profile(2, 1),
            confidence=0.8,
            blocking=(),
            suggestions=(),
            notes=(T,),
            rule="lenient",
            themes=(),
            consistency=(),
            variables={"team_size": T},
        ),
    ),  # fmt: skip
]


@pytest.mark.parametrize(("cls", "fields"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_made_is_the_constructor_without_its_setattr_calls(cls: type, fields: dict) -> None:
    # The classes made this way stay plain frozen dataclasses, and every field is given.
    assert not hasattr(cls, "__slots__") and not hasattr(cls, "__post_init__")
    assert set(fields) == {f.name for f in dataclasses.fields(cls)}
    value, built = made(cls, **fields), cls(**fields)
    assert value == built and repr(value) == repr(built) and type(value) is cls
    assert pickle.loads(pickle.dumps(value)) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.__setattr__(next(iter(fields)), None)


def test_a_criterion_result_pickles_as_itself() -> None:
    # It defines its own __reduce__ (it stays a native class when compiled, see scoring.ratings).
    result = CriterionResult("L2.x", 2, "C", 0.5, "P", ("q1", "q2"))
    copy = pickle.loads(pickle.dumps(result))
    assert copy == result and type(copy) is CriterionResult and copy.evidence == ("q1", "q2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.__setattr__("rating", "F")


def test_a_whole_assessment_pickles_as_it_is() -> None:
    # Every value in it (criteria, themes and their sources, suggestions, notes) comes back equal,
    # in the plain build and the compiled one (tests/test_ops_distribution.py runs this file there).
    from interview_flows.loader import DEFAULT_FLOW_ID, load_flow
    from scoring.assessment import assess

    flow = load_flow(DEFAULT_FLOW_ID)
    answers = {
        "l3_answering": "most",
        "l3_response_sop": "full",
        "response_time_hours": 240,
        "challenges": ["people", "money"],
        "l1_how": "Belum ada pelatihan untuk admin, anggaran juga kurang.",
    }
    a = assess(flow, answers)
    assert a.themes and a.suggestions and a.consistency  # the parts worth carrying
    copy = pickle.loads(pickle.dumps(a))
    assert copy == a and copy.to_dict() == a.to_dict()
