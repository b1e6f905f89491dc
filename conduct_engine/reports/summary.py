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
    fold = SummaryFold()
    for seq, (result, meta) in enumerate(results):
        fold.add(seq, result["decision"], result["kind"],
                 [(v["standard"], v["severity"], v["rule_id"], v["source"], v["remediation"]["en"],
                   v["remediation"]["zh"]) for v in result["violations"]], meta)
    return fold.summary(header, problems, standards)


Finding = tuple[str, str, str, str, str, str]  # standard, severity, rule id, source, remediation en, zh


class SummaryFold:
    """The summary's counts over results, foldable in any order and mergeable (a scan's workers each fold
    their partition's results): a rule's details are those of its finding on the earliest record."""

    def __init__(self) -> None:
        self.decisions: Counter[str] = Counter({"block": 0, "review": 0, "pass": 0})
        self.by_standard: Counter[str] = Counter()
        self.by_severity: Counter[str] = Counter({"block": 0, "review": 0, "advisory": 0})
        self.by_rule: Counter[str] = Counter()
        self.by_branch: Counter[str] = Counter()
        self.by_employee: Counter[str] = Counter()
        self.by_month: Counter[str] = Counter()
        self.by_kind: Counter[str] = Counter()
        self.rules: dict[str, tuple[int, dict[str, str]]] = {}  # rule id -> (record position, its details)

    def add(self, seq: int, decision: str, kind: str, findings: list[Finding], meta: dict[str, Any]) -> None:
        """One record's result: its position in input order, decision, kind, findings and meta."""
        self.decisions[decision] += 1
        self.by_kind[kind] += 1
        for standard, severity, rule_id, source, remediation_en, remediation_zh in findings:
            self.by_standard[standard] += 1
            self.by_severity[severity] += 1
            self.by_rule[rule_id] += 1
            self.by_branch[meta.get("branch") or NO_BRANCH] += 1
            if meta.get("employee_id"):
                self.by_employee[meta["employee_id"]] += 1
            self.by_month[meta["date"][:7]] += 1
            known = self.rules.get(rule_id)
            if known is None or seq < known[0]:
                self.rules[rule_id] = (seq, {"standard": standard, "severity": severity, "source": source,
                                             "remediation_en": remediation_en, "remediation_zh": remediation_zh})

    def merge(self, other: SummaryFold) -> None:
        """Add another fold's counts (another partition's results)."""
        for name in ("decisions", "by_standard", "by_severity", "by_rule", "by_branch", "by_employee", "by_month",
                     "by_kind"):
            getattr(self, name).update(getattr(other, name))
        for rule_id, (seq, details) in other.rules.items():
            known = self.rules.get(rule_id)
            if known is None or seq < known[0]:
                self.rules[rule_id] = (seq, details)

    def summary(self, header: dict[str, Any], problems: list[RowProblem],
                standards: dict[str, Any] | None = None) -> dict[str, Any]:
        """The summary of everything folded."""
        names = {code: {"zh": s.zh, "en": s.en} for code, s in (standards or {}).items() if code in self.by_standard}
        skipped = sorted(problems, key=lambda p: (p.source, p.row, p.column, p.reason))
        rules = {rule_id: details for rule_id, (_seq, details) in self.rules.items()}
        return {**header, "decisions": dict(self.decisions), "findings": sum(self.by_standard.values()),
                "by_kind": _ranked(self.by_kind), "by_standard": _ranked(self.by_standard),
                "by_severity": dict(self.by_severity), "by_rule": _ranked(self.by_rule),
                "by_branch": _ranked(self.by_branch),
                "top_employees": [{"employee_id": e, "findings": n} for e, n in _ranked(self.by_employee).items()][:10],
                "by_month": dict(sorted(self.by_month.items())), "standards": names, "rules": dict(sorted(rules.items())),
                "skipped_rows": [p.as_dict() for p in skipped]}
