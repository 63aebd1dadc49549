"""Build: the assessment's modules compiled with mypyc in a wheel, plain Python everywhere else.

Everything else about the package is in pyproject.toml. What this adds (issue 17: an assessment
should cost about what decoding its answers costs, which plain Python does not reach):

- ``pip install .``, ``pip wheel .`` and the Docker image compile ``COMPILED`` with mypyc, the
  compiler the mypy project builds itself with. The modules are the same source: a compiled one
  gives exactly what the plain one gives (tests/test_ops_distribution.py holds the golden
  assessments to it). The ``.py`` files travel beside them; Python prefers the compiled ones.
- ``pip install -e .`` (the development set-up) compiles nothing, so an edit takes effect at once
  and no stale compiled module can hide it. ``MATANG_COMPILE=0`` gives a plain wheel.
- Without a C compiler, or without mypyc in the build environment, the wheel is plain Python and
  the build says so: slower scoring, the same results.

``python -c 'import scoring; print(scoring.build())'`` tells which one is installed.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "interview_flows/expressions.py",
    "scoring/advice.py",
    "scoring/assessment.py",
    "scoring/consistency.py",
    "scoring/estimates.py",
    "scoring/levels.py",
    "scoring/organisation.py",
    "scoring/ratings.py",
    "scoring/suggestions.py",
    "scoring/themes.py",
    "scoring/values.py",
]
"""What ``scoring.assessment.assess`` runs through: the assessment and the conditions it evaluates."""

# The commands of a build that makes modules; metadata (dist_info, egg_info) and editable
# installs (editable_wheel, develop) need none, and mypyc's analysis takes a while.
_BUILDS = {"bdist_wheel", "build", "build_ext", "install"}
_PLAIN = {"editable_wheel", "develop"}


def _say(message: str) -> None:
    print(f"matang build: {message}", file=sys.stderr)


def _extensions() -> list[Any]:
    commands = set(sys.argv[1:])
    if os.environ.get("MATANG_COMPILE") == "0" or commands & _PLAIN or not commands & _BUILDS:
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("mypyc is not installed here; scoring stays plain Python")
        return []
    try:
        # One shared library for the group, inside the package (a top-level module would be a
        # stranger in site-packages).
        return mypycify(COMPILED, opt_level="3", group_name="scoring._compiled")
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - mypyc refusing the code (a newer mypy's stricter check) leaves a plain build
        _say(f"mypyc cannot compile scoring ({exc!r}); it stays plain Python")
        return []


class _BuildExt(build_ext):
    """build_ext that falls back to plain Python when the modules cannot be compiled here."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any compiler failure leaves a working plain build
            if not self.extensions:
                raise
            _say(f"compiling scoring failed ({exc}); it stays plain Python")
            # Whatever was built before the failure goes too: half a compiled group cannot load.
            for ext in self.extensions:
                built = self.get_ext_fullpath(ext.name)
                if os.path.exists(built):
                    os.remove(built)
            self.extensions = []

    def get_outputs(self) -> list[str]:
        return super().get_outputs() if self.extensions else []


setup(ext_modules=_extensions(), cmdclass={"build_ext": _BuildExt})
