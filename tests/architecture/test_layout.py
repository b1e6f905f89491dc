"""The layout rules of DESIGN.md §6, checked over the source tree so that a regression fails a test.

- no import cycle between modules of ``conduct_engine`` and ``api`` (a package's ``__init__`` counts);
- the run-time (facts, windows, the adapter, results) never imports the pack compiler;
- no source module over 400 lines;
- durable_rules is imported by the adapter alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("conduct_engine", "api")
MAX_LINES = 400


def _sources() -> dict[str, Path]:
    """Module name -> file, for every module of the two packages (Alembic migrations excluded)."""
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules importing it runs: ``import a.b.c`` (or ``from a.b import c``) runs the
    ``__init__`` of ``a`` and ``a.b`` too, so every such ancestor counts, except the importer's own packages
    (already loading). Imports inside functions and under ``TYPE_CHECKING`` count as well."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([module] if module else []))
                targets = [module] + [f"{module}.{a.name}" for a in node.names]
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:i])
                    if prefix in modules and prefix != name and not name.startswith(prefix + "."):
                        graph[name].add(prefix)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_relative_and_package_imports(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from .b import x\n")
    (tmp_path / "pkg" / "b.py").write_text("from pkg import y\n")
    (tmp_path / "pkg" / "c.py").write_text("def f():\n    from pkg.b import x\n")
    (tmp_path / "top.py").write_text("import pkg.c\n")
    graph = import_graph({"pkg": tmp_path / "pkg" / "__init__.py", "pkg.b": tmp_path / "pkg" / "b.py",
                          "pkg.c": tmp_path / "pkg" / "c.py", "top": tmp_path / "top.py"})
    # a submodule's own package is already loading when it runs: pkg.b -> pkg is not an edge
    assert graph == {"pkg": {"pkg.b"}, "pkg.b": set(), "pkg.c": {"pkg.b"}, "top": {"pkg", "pkg.c"}}


def test_no_import_cycles():
    assert cycles(import_graph(_sources())) == []


#: compile-time modules of packs/ that the run-time must not import (they would load the whole compiler)
COMPILE_TIME = {"conduct_engine.packs.loader", "conduct_engine.packs.expressions", "conduct_engine.packs.checks",
                "conduct_engine.packs.shape", "conduct_engine.packs.expand", "conduct_engine.packs.typecheck",
                "conduct_engine.packs.derived"}
RUN_TIME = ("conduct_engine.facts", "conduct_engine.firings", "conduct_engine.history", "conduct_engine.rete",
            "conduct_engine.results", "conduct_engine.shared_rows", "conduct_engine.violations",
            "conduct_engine.window_plan")


def test_run_time_modules_read_only_the_pack_model():
    graph = import_graph(_sources())
    assert {name: sorted(graph[name] & COMPILE_TIME) for name in RUN_TIME} == {name: [] for name in RUN_TIME}


@pytest.mark.parametrize("name", sorted(_sources()))
def test_module_size(name):
    lines = len(_sources()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_durable_rules_is_imported_by_the_adapter_alone():
    importers = [name for name, path in _sources().items()
                 if re.search(r"^\s*(import|from)\s+durable", path.read_text(encoding="utf-8"), re.M)]
    assert importers == ["conduct_engine.rete"]
