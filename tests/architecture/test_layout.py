"""The layout rules of DESIGN.md §6, checked over the source tree so that a regression fails a test.

- no import cycle between modules of ``conduct_engine`` and ``api`` (a package's ``__init__`` counts);
- only ``conduct_engine/settings.py`` reads or writes the environment;
- no API route reaches into ``request.app.state`` (routes take typed dependencies);
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
    """Module -> the project modules it imports (``from pkg import sub`` counts as pkg.sub when sub is a
    module, else as pkg: importing a submodule runs its package's ``__init__``, which is already loading)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                subs = [f"{module}.{a.name}" for a in node.names]
                targets = subs if all(t in modules for t in subs) else [module, *subs]
            graph[name] |= {t for t in targets if t in modules and t != name}
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
    (tmp_path / "pkg" / "c.py").write_text("from pkg import b\nimport pkg.b\n")
    graph = import_graph({"pkg": tmp_path / "pkg" / "__init__.py", "pkg.b": tmp_path / "pkg" / "b.py",
                          "pkg.c": tmp_path / "pkg" / "c.py"})
    assert graph == {"pkg": {"pkg.b"}, "pkg.b": {"pkg"}, "pkg.c": {"pkg.b"}}


def test_no_import_cycles():
    assert cycles(import_graph(_sources())) == []


def test_only_the_settings_module_reads_the_environment():
    pattern = re.compile(r"\bos\.environ\b|\bgetenv\(|\bfrom os import\b.*\benviron\b")
    readers = [str(p.relative_to(ROOT)) for p in _sources().values() if pattern.search(p.read_text(encoding="utf-8"))]
    assert readers == ["conduct_engine/settings.py"]


def test_no_route_reads_app_state():
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "api" / "routes").glob("*.py"))
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "app.state" in line]
    assert offenders == []


@pytest.mark.parametrize("name", sorted(_sources()))
def test_module_size(name):
    lines = len(_sources()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_durable_rules_is_imported_by_the_adapter_alone():
    importers = [name for name, path in _sources().items()
                 if re.search(r"^\s*(import|from)\s+durable", path.read_text(encoding="utf-8"), re.M)]
    assert importers == ["conduct_engine.rete"]
