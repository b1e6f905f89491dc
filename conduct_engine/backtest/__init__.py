"""Backtest rule changes (SPEC §10): the current packs (baseline) and the changed ones (candidate) over the
same records; what moves, by rule, standard, branch and employee. A backtest stores nothing and logs one
decision-log entry naming who ran it and what was changed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from conduct_engine.backtest.overrides import Change, ChangeError, apply_changes, parse_changes
from conduct_engine.backtest.run import Backtest, run_backtest
from conduct_engine.engine import Engine
from conduct_engine.packs.loader import load_packs

__all__ = ["Backtest", "Change", "ChangeError", "build", "log_backtest", "run_backtest"]


def build(rules_dir: str | Path, sets: list[str], pack_dir: str | Path | None = None) -> Backtest:
    """Baseline = the packs under ``rules_dir``; candidate = ``pack_dir`` (or the same packs) with ``sets`` made."""
    baseline = load_packs(rules_dir)
    candidate = load_packs(pack_dir) if pack_dir else baseline
    changes = parse_changes(sets, candidate)
    return Backtest(Engine(baseline), Engine(apply_changes(candidate, changes)), changes,
                    str(pack_dir) if pack_dir else None)


def log_backtest(store: Any, report: dict[str, Any], actor: str | None, channel: str) -> str:
    """Append the one decision-log entry of a backtest; returns its decision id."""
    from conduct_engine.backtest.diff import moved_findings
    from conduct_engine.store import Decision, digest
    decision_id = uuid.uuid4().hex
    result = {"decision_id": decision_id, "kind": "backtest", "record_id": f"backtest:{decision_id[:12]}",
              "decision": "backtest", "pack": report["baseline"]["pack"], "candidate_pack": report["candidate"]["pack"],
              "as_of": report["as_of"], "run_by": actor, "changes": report["changes"], "records": report["records"],
              "period": report.get("period"), "decisions_moved": report["decisions_moved"],
              "findings": report["findings"], "by_rule_moved": moved_findings(report)}
    with store.db.transaction() as conn:
        store.log.append(conn, [Decision(result, actor, channel, None, digest(report["changes"]))])
    return decision_id
