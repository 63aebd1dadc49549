"""Making the small frozen values of an assessment (sources, themes, suggestions) cheaply.

A frozen dataclass's generated ``__init__`` sets each field through ``object.__setattr__``, one
call per field; an assessment makes a few dozen such values, and that was a tenth of its cost.
:func:`made` gives the very same object (same fields, equal, same repr, picklable) by filling the
instance's ``__dict__`` at once. Only for dataclasses without ``__slots__`` or ``__post_init__``,
and every field must be given (tests/test_scoring_values.py holds both).

Compiled with mypyc (a wheel's build, see setup.py) a dataclass is a native class with neither a
``__dict__`` nor a slow ``__init__``: there the constructor itself is the cheap way.
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


_NATIVE: set[type] = set()
"""Classes whose instances have no ``__dict__`` to fill (mypyc's native classes)."""


def made(cls: type[T], **fields: Any) -> T:
    """``cls(**fields)`` for a frozen dataclass, without its per-field ``__setattr__`` calls."""
    if cls not in _NATIVE:
        try:
            value = object.__new__(cls)
        except TypeError:  # "object.__new__(X) is not safe": a compiled class, asked once
            _NATIVE.add(cls)
        else:
            value.__dict__.update(fields)
            return value
    return cls(**fields)
