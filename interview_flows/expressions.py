"""Skip logic: a small, safe expression language for ``relevant`` conditions (never ``eval``).

Grammar (keywords are lower case; question ids are names)::

    expr  := and ("or" and)*
    and   := not ("and" not)*
    not   := "not" not | cmp
    cmp   := atom (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") atom)?
    atom  := NUMBER | 'string' | "string" | NAME | "(" expr ")" | "[" atom ("," atom)* "]"
           | FUNC "(" NAME ("," atom)? ")"      FUNC: answered, selected, count

An unanswered, skipped or "don't know" question has no value: every comparison with it is false,
``answered(q)`` tells whether it has one, ``selected(q, 'v')`` (XLSForm's) and ``'v' in q`` test a
multiple choice, ``count(q)`` counts its selected choices.

>>> e = parse("team_size >= 2 and selected(platforms, 'instagram')")
>>> sorted(e.names)
['platforms', 'team_size']
>>> e.evaluate({"team_size": 3, "platforms": ["instagram", "x"]})
True
>>> e.evaluate({"team_size": 3})
False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

FUNCTIONS = {"answered", "selected", "count"}
_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_COMPARISONS = {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}
MAX_LENGTH = 500
_T = TypeVar("_T")


def _python_class(cls: type[_T]) -> type[_T]:
    # Compiled by mypyc (a wheel's build, see setup.py), an unknown decorator keeps a class a
    # Python one: expressions keep their __dict__ (they pickle without their compiled function).
    return cls


class ExpressionError(ValueError):
    """A ``relevant`` condition that cannot be parsed; the message says where."""


@_python_class
@dataclass(frozen=True)
class Node:
    """One node of a parsed expression: ``kind`` and its parts."""

    kind: str  # num, str, name, list, call, cmp, and, or, not
    value: Any = None
    parts: tuple[Node, ...] = ()


@_python_class
@dataclass(frozen=True)
class Expression:
    """A parsed condition: its source, its tree and the question ids it names."""

    source: str
    tree: Node
    names: frozenset[str] = field(default_factory=frozenset)
    literals: frozenset[Any] = field(default_factory=frozenset)
    _holds: Any = field(default=None, compare=False, repr=False)

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        """True when the condition holds for these answers (question id to value)."""
        holds = self._holds
        if holds is None:
            # Compiled on first use (see compile_condition): the tree's meaning, without walking it.
            holds = compile_condition(self)
            object.__setattr__(self, "_holds", holds)
        return holds(answers)

    def __getstate__(self) -> dict[str, Any]:
        # The compiled function is made again where the expression is used; it does not pickle.
        return {k: v for k, v in self.__dict__.items() if k != "_holds"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_holds", None)

    def compared_values(self) -> list[tuple[str, Any]]:
        """Pairs (question id, literal) that the condition compares, for validating choice values."""
        found: list[tuple[str, Any]] = []
        _collect_comparisons(self.tree, found)
        return found


def _tokenise(source: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    source = source.rstrip()
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"unexpected character {source[pos:].strip()[:1]!r} at {pos + 1}")
        pos = m.end()
        if m.group("num") is not None:
            text = m.group("num")
            tokens.append(("num", float(text) if "." in text else int(text)))
        elif m.group("str") is not None:
            tokens.append(("str", m.group("str")[1:-1]))
        elif m.group("op") is not None:
            tokens.append(("op", m.group("op")))
        else:
            word = m.group("name")
            if word in {"and", "or", "not", "in", "true", "false"}:
                tokens.append(("kw", word))
            else:
                tokens.append(("name", word))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenise(source)
        self.pos = 0

    def peek(self, offset: int = 0) -> tuple[str, Any] | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        tok = self.peek()
        if tok is None:
            raise ExpressionError("the condition ends too early")
        self.pos += 1
        return tok

    def expect(self, kind: str, value: Any) -> None:
        tok = self.take()
        if tok != (kind, value):
            raise ExpressionError(f"expected {value!r}, found {tok[1]!r}")

    def parse(self) -> Node:
        node = self.or_()
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek() == ("kw", "or"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Node("or", parts=tuple(parts))

    def and_(self) -> Node:
        parts = [self.not_()]
        while self.peek() == ("kw", "and"):
            self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else Node("and", parts=tuple(parts))

    def not_(self) -> Node:
        if self.peek() == ("kw", "not"):
            self.take()
            return Node("not", parts=(self.not_(),))
        return self.cmp()

    def cmp(self) -> Node:
        left = self.atom()
        tok = self.peek()
        op = None
        if tok is not None and tok[0] == "op" and tok[1] in _COMPARISONS:
            op = tok[1]
            self.take()
        elif tok == ("kw", "in"):
            op = "in"
            self.take()
        elif tok == ("kw", "not") and self.peek(1) == ("kw", "in"):
            op = "not in"
            self.take()
            self.take()
        if op is None:
            return left
        return Node("cmp", value=op, parts=(left, self.atom()))

    def atom(self) -> Node:
        kind, value = self.take()
        if kind in ("num", "str"):
            return Node(kind, value)
        if kind == "kw" and value in ("true", "false"):
            return Node("num", value == "true")
        if kind == "op" and value == "(":
            node = self.or_()
            self.expect("op", ")")
            return node
        if kind == "op" and value == "[":
            items = [self.atom()]
            while self.peek() == ("op", ","):
                self.take()
                items.append(self.atom())
            self.expect("op", "]")
            return Node("list", parts=tuple(items))
        if kind == "name":
            if self.peek() == ("op", "("):
                if value not in FUNCTIONS:
                    raise ExpressionError(f"unknown function {value!r}")
                self.take()
                arg_kind, arg = self.take()
                if arg_kind != "name":
                    raise ExpressionError(f"{value}() takes a question id first")
                args = [Node("name", arg)]
                if self.peek() == ("op", ","):
                    self.take()
                    args.append(self.atom())
                self.expect("op", ")")
                wanted = 2 if value == "selected" else 1
                if len(args) != wanted:
                    raise ExpressionError(f"{value}() takes {wanted} argument(s)")
                return Node("call", value, tuple(args))
            return Node("name", value)
        raise ExpressionError(f"unexpected {value!r}")


def parse(source: str) -> Expression:
    """Parse a condition; raise :class:`ExpressionError` saying what is wrong.

    >>> parse("role == 'head' or")
    Traceback (most recent call last):
    ...
    interview_flows.expressions.ExpressionError: the condition ends too early
    """
    if not source.strip():
        raise ExpressionError("the condition is empty")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the condition is longer than {MAX_LENGTH} characters")
    tree = _Parser(source).parse()
    names: set[str] = set()
    literals: set[Any] = set()
    _walk(tree, names, literals)
    return Expression(source, tree, frozenset(names), frozenset(literals))


def _walk(node: Node, names: set[str], literals: set[Any]) -> None:
    if node.kind == "name":
        names.add(node.value)
    elif node.kind in ("num", "str"):
        literals.add(node.value)
    for part in node.parts:
        _walk(part, names, literals)


def _collect_comparisons(node: Node, found: list[tuple[str, Any]]) -> None:
    if node.kind == "cmp" and node.value in ("==", "!=", "in", "not in"):
        left, right = node.parts
        for a, b in ((left, right), (right, left)):
            if a.kind == "name":
                items = b.parts if b.kind == "list" else (b,)
                found.extend((a.value, i.value) for i in items if i.kind == "str")
    elif node.kind == "call" and node.value == "selected":
        name, literal = node.parts
        if literal.kind == "str":
            found.append((name.value, literal.value))
    for part in node.parts:
        _collect_comparisons(part, found)


def _value(node: Node, answers: Mapping[str, Any]) -> Any:
    if node.kind in ("num", "str"):
        return node.value
    if node.kind == "name":
        return answers.get(node.value)
    if node.kind == "list":
        return [_value(p, answers) for p in node.parts]
    return _eval(node, answers)


def _eval(node: Node, answers: Mapping[str, Any]) -> Any:
    kind = node.kind
    if kind == "or":
        return any(_eval(p, answers) for p in node.parts)
    if kind == "and":
        return all(_eval(p, answers) for p in node.parts)
    if kind == "not":
        return not _eval(node.parts[0], answers)
    if kind == "call":
        value = answers.get(node.parts[0].value)
        if node.value == "answered":
            return value is not None
        if node.value == "count":
            return len(value) if isinstance(value, list) else (0 if value is None else 1)
        wanted = _value(node.parts[1], answers)
        return value == wanted or (isinstance(value, list) and wanted in value)
    if kind == "cmp":
        left, right = (_value(p, answers) for p in node.parts)
        return _compare(node.value, left, right)
    return _value(node, answers) not in (None, False, 0, "", [])


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if op in ("in", "not in"):
        if isinstance(right, str):
            # A number or a list of numbers is never inside a text (Python would raise).
            lefts = left if isinstance(left, list) else [left]
            inside = any(isinstance(x, str) and x in right for x in lefts)
        elif isinstance(right, (list, tuple)):
            inside = left in right if not isinstance(left, list) else any(x in right for x in left)
        else:
            inside = left == right
        return inside if op == "in" else not inside
    try:
        if op == "==":
            return bool(left == right)
        if op == "!=":
            return bool(left != right)
        if op == "<":
            return bool(left < right)
        if op == "<=":
            return bool(left <= right)
        if op == ">":
            return bool(left > right)
        return bool(left >= right)
    except TypeError:
        # Comparing a number with a text (say a choice with 3) is never true, never a crash.
        return False


# --- compiled conditions ---------------------------------------------------------------------------
# Scoring evaluates every condition of the flow for every session it assesses; walking the tree
# and dispatching on each node's kind costs more than the comparison itself. A compiled condition
# is the same tree turned once into nested closures, with the same meaning as ``evaluate``.

Evaluator = Callable[[Mapping[str, Any]], Any]


def compile_condition(expression: Expression) -> Callable[[Mapping[str, Any]], bool]:
    """A function of the answers that gives what ``expression.evaluate(answers)`` gives.

    >>> holds = compile_condition(parse("team_size >= 2 and selected(platforms, 'x')"))
    >>> holds({"team_size": 3, "platforms": ["x"]}), holds({"team_size": 3})
    (True, False)
    """
    test = _compile(expression.tree)
    if expression.tree.kind in ("or", "and", "not"):
        return test  # any(), all() and not give a bool already

    def holds(answers: Mapping[str, Any]) -> bool:
        return bool(test(answers))

    return holds


def _compile_value(node: Node) -> Evaluator:
    """The closure for :func:`_value` of ``node``."""
    kind = node.kind
    if kind in ("num", "str"):
        constant = node.value
        return lambda answers: constant
    if kind == "name":
        name = node.value
        return lambda answers: answers.get(name)
    if kind == "list":
        items = tuple(_compile_value(p) for p in node.parts)
        return lambda answers: [item(answers) for item in items]
    return _compile(node)


def _compile(node: Node) -> Evaluator:
    """The closure for :func:`_eval` of ``node``."""
    kind = node.kind
    if kind == "or":
        parts = tuple(_compile(p) for p in node.parts)
        return lambda answers: any(p(answers) for p in parts)
    if kind == "and":
        parts = tuple(_compile(p) for p in node.parts)
        return lambda answers: all(p(answers) for p in parts)
    if kind == "not":
        inner = _compile(node.parts[0])
        return lambda answers: not inner(answers)
    if kind == "call":
        name = node.parts[0].value
        if node.value == "answered":
            return lambda answers: answers.get(name) is not None
        if node.value == "count":

            def count(answers: Mapping[str, Any]) -> int:
                value = answers.get(name)
                return len(value) if isinstance(value, list) else (0 if value is None else 1)

            return count
        wanted_of = _compile_value(node.parts[1])

        def selected(answers: Mapping[str, Any]) -> bool:
            value = answers.get(name)
            wanted = wanted_of(answers)
            return value == wanted or (isinstance(value, list) and wanted in value)

        return selected
    if kind == "cmp":
        left, right = node.parts
        op = node.value
        if op in ("in", "not in") and right.kind == "list" and all(p.kind in ("num", "str") for p in right.parts):
            # q in ['a', 'b']: the list is the same every time, so it is made once.
            return _in_constant(_compile_value(left), tuple(p.value for p in right.parts), op == "in")
        left_of, right_of = _compile_value(left), _compile_value(right)
        return lambda answers: _compare(op, left_of(answers), right_of(answers))
    value_of = _compile_value(node)
    return lambda answers: value_of(answers) not in (None, False, 0, "", [])


def _in_constant(left_of: Evaluator, constant: tuple[Any, ...], positive: bool) -> Evaluator:
    """:func:`_compare` for ``in`` / ``not in`` a list of literals (``x in list`` and ``x in
    tuple`` compare alike)."""

    def test(answers: Mapping[str, Any]) -> bool:
        left = left_of(answers)
        if left is None:
            return False
        inside = left in constant if not isinstance(left, list) else any(x in constant for x in left)
        return inside if positive else not inside

    return test
