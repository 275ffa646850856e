"""Shape of the Python in scripts/cip: no function over MAX_LINES lines, no import cycle.

Rooms that fit (issue 15): a function a maintainer can read in a screen or two, and modules
that depend on each other one way. Both rules read the source with `ast`; nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CIP = Path(__file__).resolve().parents[2] / "scripts" / "cip"
MAX_LINES = 150

# Functions still over the limit, each with its reason and a date. Remove an entry when the
# function is split; the test fails on an entry that no longer matches (so the list cannot rot).
LONG_FUNCTION_EXCEPTIONS: dict[str, str] = {
    # 2026-12-06: check.py belongs to the indicators engineer (issue 15 item 1 rewrites it to read
    # the catalogue's rule parameters); split it there, not in parallel.
    "check.py:compute": "rewritten by issue 15 item 1 (indicators defined once)",
}


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every .py under scripts/cip."""
    mods = {}
    for path in sorted(CIP.rglob("*.py")):
        parts = list(path.relative_to(CIP.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def long_functions(limit: int = MAX_LINES) -> dict[str, int]:
    """'<file relative to scripts/cip>:<function>' -> lines, for functions over the limit."""
    out = {}
    for path in sorted(CIP.rglob("*.py")):
        for fn in _functions(ast.parse(path.read_text(), str(path))):
            lines = fn.end_lineno - fn.lineno + 1
            if lines > limit:
                out[f"{path.relative_to(CIP).as_posix()}:{fn.name}"] = lines
    return out


def import_graph() -> dict[str, set[str]]:
    """cip module -> the cip modules it imports (anywhere in the file, lazy imports too)."""
    mods = _modules()
    graph: dict[str, set[str]] = {name: set() for name in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                # `from cip import generate` imports the module cip.generate; `from x import name` imports x
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in mods else source
                           for alias in node.names]
            for target in targets:
                while target and target not in mods and "." in target:
                    target = target.rpartition(".")[0]
                if target in mods and target != name:
                    graph[name].add(target)
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_function_over_the_limit():
    found = long_functions()
    over = {k: v for k, v in found.items() if k not in LONG_FUNCTION_EXCEPTIONS}
    assert not over, f"functions over {MAX_LINES} lines (split them): {over}"
    stale = sorted(set(LONG_FUNCTION_EXCEPTIONS) - set(found))
    assert not stale, f"exceptions no longer needed, remove them: {stale}"


def test_no_import_cycle():
    cycles = import_cycles(import_graph())
    assert not cycles, f"import cycles among cip modules: {cycles}"


def test_graph_sees_the_imports_it_should():
    """The checks above can fail: the graph resolves absolute, relative and `from cip import x` forms."""
    graph = import_graph()
    assert "cip.backtest.metrics" in graph["cip.backtest.declarations"]       # from cip.backtest.metrics import
    assert "cip.generate.helpers" in graph["cip.generate.operators"]          # from .helpers import
    assert "cip.generate" in graph["cip.generate.__main__"]                   # from . import
    assert "cip.generate" in graph["cip.demo"]                                # from cip import generate
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("limit", [10])
def test_long_function_detection_can_fail(limit):
    assert long_functions(limit), "a 10-line limit must catch some function"
