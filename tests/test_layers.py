"""The layers of Matang, kept as drawn: no module imports from a layer above its own, and no
package's modules import each other in a circle.

The contracts are data (below); ``docs/development.md`` draws the same picture. Every import
counts — at the top of a module, inside a function, under ``if TYPE_CHECKING:`` — because each one
is an arrow a reader has to follow.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PACKAGES = ("interview_flows", "scoring", "bot", "fakebotapi", "benchmarks")

# Highest first. A module belongs to the layer of the longest prefix that names it; it may import
# from its own layer and the layers below, never from one above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("benchmarks", ("benchmarks",)),
    ("channels", ("bot.cli", "bot.commands", "bot.telegram", "bot.terminal")),
    ("research tools", ("bot.research",)),
    ("interviews and records", ("bot",)),
    ("scoring", ("scoring",)),
    ("engine", ("interview_flows",)),
)

# The fake Bot API server is a test instrument standing beside the product: it knows nothing of
# Matang, and the product never imports it (only benchmarks and tests drive it).
APART: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("fakebotapi", ("interview_flows", "scoring", "bot", "benchmarks")),
    ("interview_flows", ("fakebotapi",)),
    ("scoring", ("fakebotapi",)),
    ("bot", ("fakebotapi",)),
)


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a module file under ``root``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> list[tuple[str, int]]:
    """Every module a file imports (absolute dotted names) with its line, wherever the import is."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # "from pkg import mod" imports the module pkg.mod when there is one.
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
    return found


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, list[tuple[str, int]]]:
    """Module -> (module of ours it imports, line), for every module of the given packages."""
    files = {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}

    def ours(target: str) -> str | None:
        parts = target.split(".")
        while parts:  # "bot.store.Store" is the module bot.store
            if ".".join(parts) in files:
                return ".".join(parts)
            parts.pop()
        return None

    graph: dict[str, list[tuple[str, int]]] = {}
    for name, path in files.items():
        edges = [(ours(t), line) for t, line in imports_of(path, root)]
        # One arrow per imported module and line ("from m import a, b" is one arrow).
        graph[name] = list(dict.fromkeys((t, line) for t, line in edges if t is not None and t != name))
    return graph


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _owner(module: str, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> int | None:
    best: tuple[int, int] | None = None
    for rank, (_, prefixes) in enumerate(groups):
        for prefix in prefixes:
            if _in(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank)
    return None if best is None else best[1]


def violations(graph: dict[str, list[tuple[str, int]]]) -> list[str]:
    """Every arrow that breaks a contract, as 'module:line -> module (why)'."""
    out: list[str] = []
    for module, edges in sorted(graph.items()):
        for target, line in edges:
            mine, theirs = _owner(module, LAYERS), _owner(target, LAYERS)
            if mine is not None and theirs is not None and theirs < mine:
                out.append(
                    f"{module}:{line} -> {target} "
                    f"({LAYERS[mine][0]} must not import from {LAYERS[theirs][0]}, a layer above)"
                )
            for package, forbidden in APART:
                if _in(module, package) and any(_in(target, f) for f in forbidden):
                    out.append(f"{module}:{line} -> {target} ({package} stays apart from it)")
    return out


def cycles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Groups of modules that import each other in a circle (strongly connected, more than one)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm; the graphs are a few hundred modules deep at most
        index[v] = low[v] = len(index)
        stack.append(v)
        for w, _ in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# --- the checks on Matang ---------------------------------------------------------------------


def test_every_package_is_read() -> None:
    graph = import_graph(ROOT)
    for pkg in PACKAGES:
        assert pkg in graph
    # A check over an empty graph would pass for nothing; this one sees the known arrows.
    assert "interview_flows.texts" in {target for target, _ in graph["scoring.criteria"]}
    assert "bot.research.studies" in {target for target, _ in graph["bot.commands.interview"]}


def test_no_module_imports_from_a_layer_above_it() -> None:
    assert violations(import_graph(ROOT)) == []


def test_no_modules_import_each_other_in_a_circle() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_the_development_page_draws_these_layers() -> None:
    page = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    diagram = page.split("```mermaid", 1)[1].split("```", 1)[0]
    for name, prefixes in LAYERS:
        assert name in diagram
        for prefix in prefixes:
            assert prefix in diagram


# --- the check itself catches what it is for ---------------------------------------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir(exist_ok=True)
        (tmp_path / pkg / "__init__.py").touch()
    return tmp_path


def test_an_upward_import_is_caught_wherever_it_hides(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "interview_flows/loader.py": "def ids():\n    from scoring.criteria import criterion_ids\n",
            "scoring/criteria.py": "from interview_flows import loader\n",
            "bot/research/telegram.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.telegram import handlers\n"
            ),
            "bot/telegram/handlers.py": "from ..research import telegram\nimport bot.store\n",
            "bot/store.py": "import fakebotapi.server\n",
            "fakebotapi/server.py": "from bot.store import Store\n",
        },
    )
    found = violations(import_graph(root))
    assert found == [
        "bot.research.telegram:3 -> bot.telegram.handlers "
        "(research tools must not import from channels, a layer above)",
        "bot.store:1 -> fakebotapi.server (bot stays apart from it)",
        "fakebotapi.server:1 -> bot.store (fakebotapi stays apart from it)",
        "interview_flows.loader:2 -> scoring.criteria (engine must not import from scoring, a layer above)",
    ]


def test_a_circle_is_caught_even_through_type_checking_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "fakebotapi/server.py": "from .users import SimUser\n",
            "fakebotapi/users.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .server import Api\n",
            "fakebotapi/records.py": "",
        },
    )
    assert cycles(import_graph(root)) == [["fakebotapi.server", "fakebotapi.users"]]
