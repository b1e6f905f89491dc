"""The decision page's **explanation** panel (SPEC §10, §11): why each rule fired — every part of its condition
with the record's value, the threshold and where it came from (pack default or branch override), the joins,
and the windows with the records they counted.

The record is the one the page was given (right after a declaration without a store), else the one the store's
register holds under the decision's kind and record id — only when it is still the record that was decided
(its digest is the decision's ``input_digest``: a record sent again with the same id replaces the old one).
It is explained as of the decision's ``as_of``, against the stored reference data and history
(:func:`conduct_engine.explain.stored.explain_with_store`); nothing is stored or logged.
"""

from __future__ import annotations

import logging
from typing import Any

from api.console import i18n, panels
from conduct_engine.engine import Engine
from conduct_engine.errors import ConductError
from conduct_engine.explain import Explainer, Explanation
from conduct_engine.explain.matcher import MISSING
from conduct_engine.explain.model import ConditionPart, RuleExplanation, Threshold
from conduct_engine.explain.phrases import origin_text, value_text
from conduct_engine.explain.stored import explain_with_store
from conduct_engine.store import digest

log = logging.getLogger("conduct_check.console")
LANGS = i18n.LANGS

i18n.add({
    "why.title": ("为什么是这个结论", "Why this decision"),
    "why.intro": ("按规则包逐条重新判断本记录（评估日期 {as_of}，与决定相同）：每项条件写明记录中的值、阈值及其来源。",
                  "Each rule worked through again on this record (as of {as_of}, as the decision was): every "
                  "condition with the record's value, the threshold and where it comes from."),
    "why.fired": ("规则 {rule} 已触发：下列条件全部成立。", "Rule {rule} fired: every condition below held."),
    "why.waived": ("（已豁免）", " (waived)"),
    "why.none": ("没有规则触发：本记录适用的 {n} 条规则的条件均不成立或不适用，因此结论为通过。",
                 "No rule fired: the conditions of none of the {n} rules for this kind of record held, so it passes."),
    "why.others": ("另有 {n} 条规则未触发或不适用。", "{n} other rules did not fire or did not apply."),
    "why.conditions": ("条件", "Conditions"),
    "why.value": ("记录中的值", "Record's value"),
    "why.threshold": ("阈值及来源", "Threshold and where it comes from"),
    "why.joins": ("关联的数据", "Related data"),
    "why.window": ("窗口", "Window"),
    "why.window.period": ("期间", "Period"),
    "why.window.key": ("按", "Keyed on"),
    "why.window.total": ("合计", "Total"),
    "why.window.counted": ("计入的记录", "Records counted"),
    "why.window.none": ("没有计入任何记录。", "No record was counted."),
    "why.window.id": ("记录编号", "Record id"),
    "why.window.date": ("日期", "Date"),
    "why.window.amount": ("值", "Value"),
    "why.window.this": ("本记录", "this record"),
    "why.absent": ("（缺失）", "(absent)"),
    "why.differs": ("注意：按现在登记的数据重新判断，触发的规则（{now}）与当时的决定（{then}）不同。",
                    "Note: worked through on the data stored now, the rules that fire ({now}) differ from the "
                    "decision's ({then})."),
    "why.unavailable.not_kept": ("本记录未登记（仅检查或批量扫描的记录），无法在此说明；可用 conduct-check explain 或 "
                                 "POST /v1/explain 查看。",
                                 "This record was not kept (checked only, or part of a scan), so it cannot be explained "
                                 "here; use conduct-check explain or POST /v1/explain."),
    "why.unavailable.replaced": ("此后又提交了编号相同的记录，登记的已是新版本，无法再现此决定的说明。",
                                 "A record with the same id was sent since and replaced this one in the register, so "
                                 "this decision can no longer be explained."),
    "why.unavailable.error": ("暂时无法生成说明，已记录。", "The explanation could not be made; this has been logged."),
    "why.none_word": ("无", "none"),
})

_explainer: tuple[Engine, Explainer] | None = None


def explainer(engine: Engine) -> Explainer:
    """One Explainer per Engine in force (it caches compiled rulesets); a pack reload gets a new one."""
    global _explainer
    if _explainer is None or _explainer[0] is not engine:
        _explainer = (engine, Explainer(engine))
    return _explainer[1]


def _pair(make: Any) -> dict[str, str]:
    return {lang: make(lang) for lang in LANGS}


def _value(value: Any) -> dict[str, str]:
    """A record's value in each language: absent, one value, or ``name value`` for a part reading several."""
    if value is None:
        return _pair(lambda lang: value_text(MISSING, lang))
    if isinstance(value, dict):
        return _pair(lambda lang: "; ".join(f"{k} {value_text(MISSING if v is None else v, lang)}"
                                            for k, v in value.items() if not isinstance(v, dict)))
    return _pair(lambda lang: value_text(value, lang))


def _origin(origin: str) -> dict[str, str]:
    """Where a threshold comes from, bracketed: `` (pack default)``, ``（包默认值）``."""
    return {"en": " " + origin_text(origin, "en"), "zh": origin_text(origin, "zh")}


def _thresholds(params: list[Threshold]) -> list[dict[str, Any]]:
    return [{"name": p.name, "value": value_text(p.value), "origin": _origin(p.origin)} for p in params]


def _part(part: ConditionPart) -> dict[str, Any]:
    return {"text": part.text, "says": part.says.model_dump(), "result": part.result, "actual": _value(part.actual),
            "thresholds": _thresholds(part.parameters)}


def _rule(rule: RuleExplanation, waived: set[str]) -> dict[str, Any]:
    windows = [{"name": w.name, "description": w.description, "says": w.says.model_dump(),
                "period": w.period, "key": ", ".join(f"{k} {value_text(v)}" for k, v in w.key.items()),
                "total": value_text(w.total) if w.total is not None else "∅",
                "limits": _thresholds(w.limits),
                "records": [{"id": c.id, "date": c.date, "value": value_text(c.value), "this": c.this_record}
                            for c in w.records]}
               for w in rule.windows or []]
    return {"rule_id": rule.rule_id, "standard": rule.standard, "severity": rule.severity,
            "waived": rule.rule_id in waived, "conditions": [_part(p) for p in rule.conditions],
            "joins": [j.says.model_dump() for j in rule.joins or []], "windows": windows}


def _record(data: panels.PanelInput) -> tuple[Any, str | None]:
    """(the record to explain, None) or (None, why there is none)."""
    if data.record is not None:
        return data.record, None
    store, entry = data.deps.get("store"), data.entry
    if store is None or entry is None:
        return None, "not_kept"
    item = store.register.get(entry.kind, entry.record_id)
    if item is None:
        return None, "not_kept"
    if digest(item.dump) != entry.input_digest:  # another version under the same id
        kept = entry.channel != "scan" and not entry.channel.endswith("-dry-run")  # this one was never registered
        return None, "replaced" if kept else "not_kept"
    return item.dump, None


def _explain(data: panels.PanelInput) -> tuple[Explanation | None, str | None]:
    record, missing = _record(data)
    if record is None:
        return None, missing
    try:
        return explain_with_store(explainer(data.deps["engine"]), data.deps.get("store"), record,
                                  as_of=data.result.get("as_of"), lenient=True), None
    except ConductError:  # a stored record today's packs cannot read: say so, never fail the decision page
        log.exception("explaining decision %s failed", data.result.get("decision_id"))
        return None, "error"


def build(data: panels.PanelInput) -> dict[str, Any]:
    """The panel's context: the fired rules explained, or why there is no explanation."""
    explanation, missing = _explain(data)
    base = {"as_of": data.result.get("as_of", ""), "decision_id": data.result.get("decision_id")}
    if explanation is None:
        return {**base, "unavailable": missing, "rules": [], "others": 0, "differs": None}
    waived = {v["rule_id"] for v in data.result.get("waived", [])}
    fired = [r for r in explanation.rules if r.status == "fired"]
    logged = sorted({v["rule_id"] for v in data.result.get("violations", [])} | waived)
    now = sorted(r.rule_id for r in fired)
    differs = {"now": ", ".join(now), "then": ", ".join(logged)} if now != logged else None
    return {**base, "unavailable": None, "rules": [_rule(r, waived) for r in fired],
            "others": len(explanation.rules) - len(fired), "total": len(explanation.rules), "differs": differs}


panels.add_result_panel(panels.ResultPanel("explanation", "panel_explanation.html", build))
