"""Shared fixtures: one engine over the bundled rules for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
#: A frozen copy of the first seven rules: engine tests assert exact outcomes and must not move when the
#: real packs grow (the packs' own tests live beside the rules and run in tests/packs).
STARTER_RULES = ROOT / "tests" / "data" / "starter_rules"
SHARED = ROOT.parent / "shared"


def make_rules_dir(root: Path, pack_text: str, name: str = "p.yaml") -> Path:
    """A rules directory under ``root`` with the real standards and bundle and one pack file."""
    import shutil
    rules = root / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    for fixed in ("standards.yaml", "bundle.yaml"):
        shutil.copy(RULES / fixed, rules / fixed)
    (rules / name).write_text(pack_text, encoding="utf-8")
    return rules


@pytest.fixture(scope="session")
def engine():
    """The engine over the frozen starter rules (compiled once)."""
    from conduct_engine.engine import Engine
    return Engine.from_paths(STARTER_RULES)


@pytest.fixture()
def gift():
    """A valid received gift that breaks no rule."""
    return {"id": "G-1", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-10-10",
            "declared_at": "2026-10-11T09:00:00", "direction": "received", "form": "goods", "value_cny": 150,
            "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}
