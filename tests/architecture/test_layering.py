"""Layering rules checked on the source: routes reach the app through typed dependencies, and only the
settings module reads or writes the environment (DESIGN §6, habit 14)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_ENVIRON = re.compile(r"\bos\.(environ|getenv|putenv|unsetenv)\b|\bfrom os import\b[^\n]*\b(environ|getenv)\b")


def _hits(files: list[Path], pattern: re.Pattern[str]) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in files
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]


def test_no_route_reads_app_state() -> None:
    assert _hits(sorted((ROOT / "api" / "routes").glob("*.py")), re.compile(r"app\.state")) == []


def test_only_app_and_deps_touch_app_state() -> None:
    files = [p for p in sorted((ROOT / "api").rglob("*.py")) if p.name not in ("app.py", "deps.py")]
    assert _hits(files, re.compile(r"\.state\b")) == []


def test_only_the_settings_module_touches_the_environment() -> None:
    files = [p for d in ("conduct_engine", "api") for p in sorted((ROOT / d).rglob("*.py"))
             if p != ROOT / "conduct_engine" / "settings.py"]
    assert _hits(files, _ENVIRON) == []
