"""Answer files for ``matang score FILE``: question ids mapped to answers, checked, then assessed.

Pure: the CLI reads the file (YAML or JSON) and passes the parsed data; these functions return the
answers or the assessment, and one problem line per mistake, each naming the question.

The file is either the answers themselves (``{question_id: answer, …}``) or a mapping with an
``answers`` key holding them (other keys are metadata and ignored). YAML 1.1 reads an unquoted
``yes``/``no`` as true/false; for a question whose choices are ``yes`` and ``no`` that is taken
back to the choice, so researchers need not quote them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interview_flows.answers import AnswerError, validate_answer
from interview_flows.schema import DONT_KNOW, Flow, Question
from scoring.assessment import Assessment, assess

_WORDS = {
    "not_mapping": {
        "id": "berkas jawaban harus berupa pemetaan ID pertanyaan ke jawaban",
        "en": "an answers file maps question ids to answers",
    },
    "unknown_question": {
        "id": "tidak ada pertanyaan dengan ID ini dalam alur {flow}",
        "en": "no question with this id in flow {flow}",
    },
    "choices": {"id": "pilihan", "en": "choices"},
    "range": {"id": "rentang", "en": "range"},
}


def read_answers(data: Any, flow: Flow, lang: str = "en") -> tuple[dict[str, Any], list[str]]:
    """Check an answers mapping against ``flow``; return the normalised answers and problem lines.

    Each problem line starts with the question id. ``None`` (an empty value) means skipped.

    >>> from interview_flows.schema import Flow
    >>> t = {"id": "T", "en": "T"}
    >>> flow = Flow.model_validate({"id": "t", "version": "1", "title": t, "description": t,
    ...     "estimated_minutes": 1, "consent": t, "thanks": t,
    ...     "sections": [{"id": "s", "title": t}],
    ...     "questions": [{"id": "sop", "section": "s", "type": "yes_no", "text": t}]})
    >>> read_answers({"sop": True}, flow)
    ({'sop': 'yes'}, [])
    >>> problems = read_answers({"sop": "maybe", "x": 1}, flow)[1]
    >>> problems[0][:39], problems[0][-18:]
    ('sop: "maybe" is not one of the choices.', '(choices: yes, no)')
    >>> problems[1]
    'x: no question with this id in flow t'
    """
    lang = "en" if lang == "en" else "id"
    if isinstance(data, Mapping) and isinstance(data.get("answers"), Mapping):
        data = data["answers"]
    if not isinstance(data, Mapping):
        return {}, [f"(file): {_WORDS['not_mapping'][lang]}"]
    known = {q.id for q in flow.questions}
    answers: dict[str, Any] = {}
    problems: list[str] = []
    for key, raw in data.items():
        qid = str(key)
        if qid not in known:
            problems.append(f"{qid}: {_WORDS['unknown_question'][lang].format(flow=flow.id)}")
            continue
        if raw is None:
            continue
        question = flow.question(qid)
        try:
            answers[qid] = validate_answer(question, _from_file(question, raw))
        except AnswerError as exc:
            problems.append(f"{qid}: {exc.text(lang)}{_hint(question, lang)}")
    # Keep the flow's order: it is the order people read and the order conditions are checked.
    ordered = {q.id: answers[q.id] for q in flow.questions if q.id in answers}
    return ordered, problems


def score_answers(flow: Flow, mapping: Any, lang: str = "id") -> tuple[Assessment | None, list[str]]:
    """Check an answers mapping and assess it: ``(assessment, [])``, or ``(None, problems)``.

    Problem lines are in ``lang`` and name the question; any problem means no assessment, so a
    mistyped answer never silently changes a verdict.
    """
    answers, problems = read_answers(mapping, flow, lang)
    if problems:
        return None, problems
    return assess(flow, answers), []


def _from_file(question: Question, raw: Any) -> Any:
    # YAML 1.1 turns unquoted yes/no into booleans; map them back where the choices are yes/no.
    if isinstance(raw, bool) and question.choices:
        value = "yes" if raw else "no"
        if question.choice(value) is not None:
            return value
    if question.type == "text" and isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    if question.type == "multiple_choice" and isinstance(raw, list):
        return [_from_file(question, item) if isinstance(item, bool) else item for item in raw]
    return raw


def _hint(question: Question, lang: str) -> str:
    # The engine's messages speak to a respondent; a file author also needs the valid values.
    if question.choices:
        values = [c.value for c in question.choices] + ([DONT_KNOW] if question.dont_know else [])
        return f" ({_WORDS['choices'][lang]}: {', '.join(values)})"
    return ""
