"""Run the test records that ship beside every rule (``tests: {fires: […], silent: […]}``).

A case is a record fragment merged onto the pack's ``test_defaults`` for the rule's kind, or a
mapping with any of ``record`` (fragment), ``context``, ``history`` (fragments of earlier
records) and ``as_of``. ``fires`` cases must produce the rule's finding; ``silent`` ones must not.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conduct_engine.errors import ConductError

if TYPE_CHECKING:
    from conduct_engine.engine import Engine

TEST_AS_OF = "2026-11-30"
_CASE_KEYS = {"record", "context", "history", "as_of"}


@dataclass(frozen=True)
class PackCase:
    """One test case, ready to evaluate."""

    rule_id: str
    expect: str  # "fires" | "silent"
    index: int
    record: dict
    context: dict | None
    history: list[dict]
    as_of: str


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one test case."""

    case: PackCase
    passed: bool
    detail: str


def merge(base: Any, fragment: Any) -> Any:
    """Deep-merge ``fragment`` onto ``base``: mappings merge, everything else replaces."""
    if isinstance(base, dict) and isinstance(fragment, dict):
        out = copy.deepcopy(base)
        for key, value in fragment.items():
            out[key] = merge(out[key], value) if key in out else copy.deepcopy(value)
        return out
    return copy.deepcopy(fragment)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def cases_for(engine: Engine, rule_id: str) -> list[PackCase]:
    """Every test case of one rule."""
    rdef = engine.packs.rules[rule_id]
    kind = rdef.rule.applies_to
    defaults = engine.packs.test_defaults_for(rdef.file, kind)
    out = []
    for expect in ("fires", "silent"):
        for index, case in enumerate(getattr(rdef.rule.tests, expect)):
            case = _plain(case)
            full = isinstance(case, dict) and bool(set(case) & _CASE_KEYS) and set(case) <= _CASE_KEYS
            fragment = case.get("record", {}) if full else case
            history = []
            for h_index, item in enumerate(case.get("history", []) if full else []):
                h_kind = item.get("kind", kind)
                h_base = engine.packs.test_defaults_for(rdef.file, h_kind)
                history.append(merge(merge(h_base, {"id": f"H-{h_index}"}), item))
            out.append(PackCase(rule_id, expect, index, merge(defaults, fragment),
                                case.get("context") if full else None, history,
                                str(case.get("as_of", TEST_AS_OF)) if full else TEST_AS_OF))
    return out


def run_case(engine: Engine, case: PackCase) -> CaseResult:
    """Evaluate one case and compare with its expectation."""
    try:
        result = engine.evaluate(case.record, context=case.context, history=case.history, as_of=case.as_of)
    except ConductError as exc:
        return CaseResult(case, False, f"invalid test record: {exc}")
    fired = {v.rule_id for v in result.violations}
    if "ENGINE-ERROR" in fired:
        return CaseResult(case, False, "engine error: " + "; ".join(
            v.message.en for v in result.violations if v.rule_id == "ENGINE-ERROR"))
    hit = case.rule_id in fired
    ok = hit if case.expect == "fires" else not hit
    detail = "" if ok else (f"expected {case.rule_id} to fire; fired: {sorted(fired) or 'nothing'}"
                            if case.expect == "fires" else f"{case.rule_id} fired but should be silent")
    return CaseResult(case, ok, detail)


def run_all(engine: Engine, rule_ids: list[str] | None = None) -> list[CaseResult]:
    """Run the tests of every rule (or of the given ones)."""
    ids = rule_ids or sorted(engine.packs.rules)
    return [run_case(engine, case) for rule_id in ids for case in cases_for(engine, rule_id)]


def coverage(engine: Engine) -> dict[str, dict[str, int]]:
    """Per standard: how many rules, fires cases and silent cases."""
    rules: Counter[str] = Counter()
    fires: Counter[str] = Counter()
    silent: Counter[str] = Counter()
    for rdef in engine.packs.rules.values():
        std = rdef.rule.standard
        rules[std] += 1
        fires[std] += len(rdef.rule.tests.fires)
        silent[std] += len(rdef.rule.tests.silent)
    return {std: {"rules": rules[std], "fires": fires[std], "silent": silent[std]}
            for std in engine.packs.standards}
