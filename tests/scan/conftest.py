"""Shared fixtures for the scan tests: generated gift declarations and a CLI runner."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
#: The frozen starter rules (tests/conftest.py): exact counts here must not move when the real packs grow.
RULES = ROOT / "tests" / "data" / "starter_rules"
AS_OF = "2026-11-30"


def make_gifts(n: int, seed: int = 7, employees: int = 12, groups: int = 6) -> list[dict]:
    """Gift declarations over 2025–26 on few (employee, giver group) keys, so 365-day sums matter."""
    rng = random.Random(seed)
    forms = ["goods"] * 8 + ["shopping_card", "cash", "travel", "membership"]
    out = []
    for i in range(n):
        day = dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(540))
        gift = {"id": f"G-{i:05d}", "kind": "gift", "employee_id": f"E-{rng.randrange(employees):03d}",
                "branch": rng.choice(["SH-001", "BJ-001", "GZ-002"]), "occurred_on": day.isoformat(),
                "declared_at": f"{day.isoformat()}T10:00:00", "direction": rng.choice(["received"] * 5 + ["given"]),
                "form": rng.choice(forms), "value_cny": round(rng.uniform(50, 900), 2),
                "counterparty": {"party_id": f"P-{rng.randrange(40)}", "name": f"公司{rng.randrange(40)}",
                                 "group_id": f"GRP-{rng.randrange(groups)}"}}
        if rng.random() < 0.3:
            gift["disposition"] = rng.choice(["kept", "returned", "handed_in"])
        out.append(gift)
    return out


def write_jsonl(path: Path, records: list[dict]) -> Path:
    """Write records as JSON Lines."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def cli(*args: str, pack: Path | None = RULES, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``conduct-check`` in a subprocess (as a user would); ``pack=None`` uses the bundled rules."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    extra = ["--pack", str(pack)] if pack is not None else []
    return subprocess.run([sys.executable, "-m", "conduct_engine.cli", *args, *extra], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout)


def jsonl_lines(path: Path) -> tuple[list[dict], dict]:
    """A JSONL report: the results and the summary."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert "summary" in lines[-1]
    return lines[:-1], lines[-1]["summary"]


@pytest.fixture(scope="session")
def gifts_file(tmp_path_factory) -> Path:
    """600 generated gift declarations as JSON Lines."""
    return write_jsonl(tmp_path_factory.mktemp("gifts") / "gifts.jsonl", make_gifts(600))
