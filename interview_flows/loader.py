"""Reading flows: YAML text to a validated :class:`~interview_flows.schema.Flow`, or every error with its path."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interview_flows.checks import Issue, check_flow
from interview_flows.schema import Flow
from interview_flows.yaml_text import safe_load

MAX_FLOW_BYTES = 2_000_000


class FlowError(ValueError):
    """A flow that cannot be used; ``issues`` lists every problem with its path."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        self.source = source
        self.issues = issues
        lines = "\n".join(f"  {i}" for i in issues)
        super().__init__(f"{source}: {len(issues)} problem(s)\n{lines}")


def format_loc(loc: Iterable[Any]) -> str:
    """Turn a pydantic error location into a path such as ``questions[12].choices[3].evidence``.

    >>> format_loc(("questions", 12, "choices", 3, "evidence"))
    'questions[12].choices[3].evidence'
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(document)"


def parse_flow(text: str, source: str = "<flow>", criterion_ids: Iterable[str] | None = None) -> Flow:
    """Validate a flow document (YAML or JSON text); raise :class:`FlowError` with every problem.

    ``criterion_ids`` are the criteria of the maturity model the flow scores against, passed by the
    caller that knows the model (``scoring.criteria.criterion_ids()``); without them the criterion
    references are not checked, since flows stand below scoring and do not import it.
    """
    if len(text.encode("utf-8", "replace")) > MAX_FLOW_BYTES:
        raise FlowError(source, [Issue("(document)", f"larger than {MAX_FLOW_BYTES} bytes")])
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FlowError(source, [Issue(where, f"not valid YAML: {problem}")]) from None
    except RecursionError:
        raise FlowError(source, [Issue("(document)", "not valid YAML: nested too deeply")]) from None
    if not isinstance(data, dict):
        raise FlowError(source, [Issue("(document)", "a flow is a mapping (id, version, questions…)")])
    try:
        flow = Flow.model_validate(data)
    except ValidationError as exc:
        issues = [Issue(format_loc(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        raise FlowError(source, issues) from None
    except RecursionError:
        raise FlowError(source, [Issue("(document)", "nested too deeply")]) from None
    issues = check_flow(flow, criterion_ids)
    if issues:
        raise FlowError(source, issues)
    return flow


def load_flow_file(path: str | Path, criterion_ids: Iterable[str] | None = None) -> Flow:
    """Read and validate a flow file (:class:`FlowError` when it cannot be read or is invalid);
    ``criterion_ids`` as for :func:`parse_flow`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(str(p), [Issue("(file)", f"cannot read: {exc.__class__.__name__}: {exc}")]) from None
    return parse_flow(text, source=str(p), criterion_ids=criterion_ids)


def packaged_flow_ids() -> list[str]:
    """Ids of the flows that ship with Matang."""
    return sorted({flow_id for flow_id, _ in _packaged_files()})


@cache
def _packaged_files() -> dict[tuple[str, str], Any]:
    """(id, version) of every packaged flow file, including earlier versions kept in ``archive/``,
    so a session started on an old version can finish on it."""
    files: dict[tuple[str, str], Any] = {}
    root = resources.files("interview_flows.flows")
    entries = list(root.iterdir())
    archive = root.joinpath("archive")
    if archive.is_dir():
        entries += list(archive.iterdir())
    for entry in entries:
        if entry.name.endswith(".yaml"):
            data = safe_load(entry.read_text("utf-8"))
            files[(str(data["id"]), str(data["version"]))] = entry
    return files


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


_registered: dict[tuple[str, str], Flow] = {}


def register_flow(flow: Flow) -> Flow:
    """Make a flow read from a file resolvable by id and version in this process (a packaged flow
    with the same id and version is shadowed), so sessions started on it can be reopened."""
    _registered[(flow.id, flow.version)] = flow
    return flow


def load_flow(flow_id: str, version: str | None = None) -> Flow:
    """A flow by id — the newest version, or the given one. Flows registered with
    :func:`register_flow` come first, then the packaged ones (validated once per process).

    Raises KeyError for an unknown id or version.
    """
    if version is not None and (flow_id, version) in _registered:
        return _registered[(flow_id, version)]
    if version is None:
        mine = [v for (fid, v) in _registered if fid == flow_id]
        if mine:
            return _registered[(flow_id, max(mine, key=_version_key))]
    return _load_packaged(flow_id, version)


FLOW_FILE_SUFFIXES = (".yaml", ".yml", ".json")


def load_named_flow(name: str, criterion_ids: Iterable[str] | None = None) -> Flow:
    """A flow as settings and commands name it: the path of a flow file (registered, so sessions
    started on it reopen by id, its criterion references checked against ``criterion_ids``) or the
    id of a packaged flow.

    Raises KeyError for an unknown id, :class:`FlowError` for a file that is not a valid flow.
    """
    path = Path(name)
    if path.suffix in FLOW_FILE_SUFFIXES and path.exists():
        return register_flow(load_flow_file(path, criterion_ids))
    return load_flow(name)


@cache
def _load_packaged(flow_id: str, version: str | None) -> Flow:
    versions = [v for (fid, v) in _packaged_files() if fid == flow_id]
    if not versions:
        raise KeyError(flow_id)
    chosen = version if version is not None else max(versions, key=_version_key)
    if chosen not in versions:
        raise KeyError(f"{flow_id}@{chosen}")
    entry = _packaged_files()[(flow_id, chosen)]
    return parse_flow(entry.read_text("utf-8"), source=f"interview_flows/flows/{entry.name}")


DEFAULT_FLOW_ID = "ogmm-social-media"
