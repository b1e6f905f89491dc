"""The scan summary: counts by decision, standard, severity, rule, branch, employee and month; skipped rows."""

from __future__ import annotations

from collections import Counter
from typing import Any

from conduct_engine.reports import Results
from conduct_engine.scan.readers import RowProblem

NO_BRANCH = "(none)"


def _ranked(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def summarise(header: dict[str, Any], results: Results, problems: list[RowProblem],
              standards: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deterministic summary (no timings): the same inputs give the same summary, however they ran."""
    decisions: Counter[str] = Counter({"block": 0, "review": 0, "pass": 0})
    by_standard: Counter[str] = Counter()
    by_severity: Counter[str] = Counter({"block": 0, "review": 0, "advisory": 0})
    by_rule: Counter[str] = Counter()
    by_branch: Counter[str] = Counter()
    by_employee: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    rules: dict[str, dict[str, str]] = {}
    for result, meta in results:
        decisions[result["decision"]] += 1
        by_kind[result["kind"]] += 1
        for v in result["violations"]:
            by_standard[v["standard"]] += 1
            by_severity[v["severity"]] += 1
            by_rule[v["rule_id"]] += 1
            by_branch[meta.get("branch") or NO_BRANCH] += 1
            if meta.get("employee_id"):
                by_employee[meta["employee_id"]] += 1
            by_month[meta["date"][:7]] += 1
            rules.setdefault(v["rule_id"], {"standard": v["standard"], "severity": v["severity"],
                                            "source": v["source"], "remediation_en": v["remediation"]["en"],
                                            "remediation_zh": v["remediation"]["zh"]})
    names = {code: {"zh": s.zh, "en": s.en} for code, s in (standards or {}).items() if code in by_standard}
    skipped = sorted(problems, key=lambda p: (p.source, p.row, p.column, p.reason))
    return {**header, "decisions": dict(decisions), "findings": sum(by_standard.values()), "by_kind": _ranked(by_kind),
            "by_standard": _ranked(by_standard), "by_severity": dict(by_severity), "by_rule": _ranked(by_rule),
            "by_branch": _ranked(by_branch), "top_employees": [{"employee_id": e, "findings": n} for e, n in
                                                                _ranked(by_employee).items()][:10],
            "by_month": dict(sorted(by_month.items())), "standards": names, "rules": dict(sorted(rules.items())),
            "skipped_rows": [p.as_dict() for p in skipped]}
