"""What a change to the packs changes: findings added and removed per rule, standard, branch and employee,
decisions moved, and the records whose decision changed (SPEC §10)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from conduct_engine.results import Result

_DECISIONS = ("pass", "review", "block")


def _tally() -> dict[str, int]:
    return {"added": 0, "removed": 0, "unchanged": 0}


def compare(baseline: list[Result], candidate: list[Result], metas: list[dict[str, Any]],
            packs: tuple[dict[str, str], dict[str, str]]) -> dict[str, Any]:
    """The backtest report (JSON-ready) of the same records checked by the baseline and the candidate packs."""
    by: dict[str, dict[str, dict[str, int]]] = {name: defaultdict(_tally) for name in
                                                ("by_rule", "by_standard", "by_branch", "by_employee")}
    moved: Counter[str] = Counter()
    changed: list[dict[str, Any]] = []
    decisions = ({d: 0 for d in _DECISIONS}, {d: 0 for d in _DECISIONS})
    for before, after, meta in zip(baseline, candidate, metas, strict=True):
        decisions[0][before.decision] += 1
        decisions[1][after.decision] += 1
        old = Counter(v.rule_id for v in before.violations)
        new = Counter(v.rule_id for v in after.violations)
        standards = {v.rule_id: v.standard for v in [*before.violations, *after.violations]}
        added, removed = new - old, old - new
        kept = old & new
        for counts, key in ((added, "added"), (removed, "removed"), (kept, "unchanged")):
            for rule_id, n in counts.items():
                for name, group in (("by_rule", rule_id), ("by_standard", standards[rule_id]),
                                    ("by_branch", meta.get("branch") or "-"),
                                    ("by_employee", meta.get("employee_id") or "-")):
                    by[name][group][key] += n
        if before.decision != after.decision:
            moved[f"{before.decision}->{after.decision}"] += 1
            changed.append({"record_id": before.record_id, "kind": before.kind, "branch": meta.get("branch"),
                            "employee_id": meta.get("employee_id"), "from": before.decision, "to": after.decision,
                            "added": sorted(added.elements()), "removed": sorted(removed.elements())})
    findings = {"baseline": sum(len(r.violations) for r in baseline),
                "candidate": sum(len(r.violations) for r in candidate)}
    return {"records": len(baseline),
            "baseline": {"pack": packs[0], "decisions": decisions[0]},
            "candidate": {"pack": packs[1], "decisions": decisions[1]},
            "findings": findings,
            **{name: {k: v for k, v in sorted(groups.items())} for name, groups in by.items()},
            "decisions_moved": dict(sorted(moved.items())),
            "changed_records": changed}


def moved_findings(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per rule, only the rules whose findings moved (what a reader looks at first)."""
    return {rule: t for rule, t in report["by_rule"].items() if t["added"] or t["removed"]}
