"""Making the small frozen values of an assessment (sources, themes, suggestions) cheaply.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__``, one
call per field; an assessment makes a few dozen such values, and that was a tenth of its cost.
:func:`made` gives the very same object (same fields, equal, same repr, picklable) by filling the
instance's ``__dict__`` at once. Only for dataclasses without ``__slots__`` or ``__post_init__``,
and every field must be given (tests/test_scoring_values.py holds both).

The classes it makes stay Python classes in the compiled build too (:func:`python_class`), so it
works the same there.
"""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def python_class(cls: type[T]) -> type[T]:
    """The class as it is. Compiled by mypyc (a wheel's build, see setup.py) a decorated class stays
    a Python class: an unknown decorator keeps it from being made a native one.

    The values an assessment hands out are kept Python classes so that they behave the same in both
    builds: frozen, compared, hashed and pickled as dataclasses, made by :func:`made` (a native
    frozen dataclass is built through a Python ``__init__``, twice as slow, and cannot be unpickled).
    """
    return cls


def made(cls: type[T], **fields: Any) -> T:
    """``cls(**fields)`` for a frozen dataclass, without its per-field ``__setattr__`` calls."""
    value = object.__new__(cls)
    value.__dict__.update(fields)
    return value
