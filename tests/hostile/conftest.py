"""Hostile input (SPEC §12): helpers to run the CLI in a subprocess under a memory limit and a timeout."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "tests" / "data" / "starter_rules"
AS_OF = "2026-11-30"
MEMORY_LIMIT = 768 << 20  # bytes of address space: a bomb that expands fails here instead of swapping the machine


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli(*args: str, tmp: Path, env: dict[str, str] | None = None, pack: bool = True,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``conduct-check ARGS`` in a subprocess with a memory limit, a timeout and a private data dir."""
    full = {**os.environ, "PYTHONUNBUFFERED": "1", "CONDUCT_DATA_DIR": str(tmp / "data"), **(env or {})}
    full.pop("CONDUCT_DATABASE_URL", None)
    extra = ["--pack", str(RULES)] if pack else []
    return subprocess.run([sys.executable, "-m", "conduct_engine.cli", *args, *extra], cwd=ROOT, env=full, text=True,
                          capture_output=True, timeout=timeout, preexec_fn=_limit_memory)


def assert_refused(proc: subprocess.CompletedProcess[str], *expected: str, code: int = 2) -> None:
    """Exit ``code``, every expected text in stderr, and no traceback anywhere."""
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    for text in expected:
        assert text in proc.stderr, (text, proc.stderr)


@pytest.fixture()
def gift() -> dict:
    """A valid received gift that breaks no rule."""
    return {"id": "G-1", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-10-10",
            "declared_at": "2026-10-11T09:00:00", "direction": "received", "form": "goods", "value_cny": 150,
            "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}


def gift_line(gift: dict, **changes: object) -> str:
    """One JSON line of the gift with changes."""
    return json.dumps({**gift, **changes}, ensure_ascii=False)


def billion_laughs(levels: int = 10) -> str:
    """The classic YAML alias bomb: 10 levels of 9 aliases each expand to 9**10 nodes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"
