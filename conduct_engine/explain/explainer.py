"""Explain why each rule fired on a record, did not, or did not apply (SPEC §10).

Computed from the compiled rules the engine runs: the record is prepared by the engine's own stages
(``Engine.prepare_facts``: windows, derived values, facts), the ruleset is the one the engine registers for
the record's branch (``packs.compiler.build_ruleset``), and a rule is ``fired`` when its compiled
conditions match the prepared facts. Each part of a condition is then compiled and matched on its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from conduct_engine import error_codes
from conduct_engine.dates import EPOCH, as_of_date
from conduct_engine.engine import Engine, Prepared
from conduct_engine.errors import ConductError
from conduct_engine.explain.matcher import entries, first_binding, get_path, matches
from conduct_engine.explain.model import (
    Candidate,
    ConditionPart,
    Explanation,
    JoinExplanation,
    RuleExplanation,
    Status,
    Threshold,
)
from conduct_engine.explain.parts import PartScope, anchor_scope, field_path, judge, judge_all, names, split
from conduct_engine.explain.phrases import ABSENT, result_word
from conduct_engine.explain.windows import explain_window
from conduct_engine.facts import record_date
from conduct_engine.history import HistoryIndex
from conduct_engine.packs.compiler import anchor_fields, build_ruleset
from conduct_engine.packs.expressions import Scope
from conduct_engine.packs.fields import FieldType, catalog
from conduct_engine.packs.model import ANCHOR, RuleDef
from conduct_engine.packs.problems import did_you_mean
from conduct_engine.records import parse_context
from conduct_engine.records.registry import kind_spec
from conduct_engine.results import Text

#: Record fields whose test decides whether a rule applies at all, and their names in business words.
APPLICABILITY = {"stage": ("stage", "阶段"), "product_type": ("product type", "产品类型"), "branch": ("branch", "分行")}


class Explainer:
    """Explanations over one Engine's compiled packs (prepare once, explain many)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.packs = engine.packs
        self._rulesets: dict[tuple[str, str | None], dict[str, dict]] = {}
        self._parts: dict[tuple[str, str | None], dict[tuple[str, str], list[dict]]] = {}

    def explain(self, record: Any, *, context: Any = None, history: Iterable[Any] | HistoryIndex = (),
                as_of: dt.date | str | None = None, rule_id: str | None = None, lenient: bool = False) -> Explanation:
        """Explain every rule of the record's kind (or only ``rule_id``) on one record."""
        if rule_id is not None and rule_id not in self.packs.rules:
            hint = did_you_mean(rule_id, self.packs.rules)
            raise ConductError(f"unknown rule {rule_id!r}" + (f" (did you mean {hint}?)" if hint else ""),
                               code=error_codes.UNKNOWN_RULE, loc="rule_id")
        engine = self.engine
        model = engine.parse(record, lenient=lenient)
        ctx = parse_context(context, lenient=lenient) if context is not None else None
        day = as_of_date(as_of)
        index = history if isinstance(history, HistoryIndex) else engine.history_index(history, day)
        dump = model.as_fact_dict()  # type: ignore[attr-defined]
        kind = dump["kind"]
        branch = dump.get("branch")
        rdefs = engine.rules_for(kind)
        out: list[RuleExplanation] = []
        if rule_id is not None and self.packs.rules[rule_id].rule.applies_to != kind:
            other = self.packs.rules[rule_id]
            out.append(_not_applicable(other, Text(
                en=f"other record kind: the rule applies to {other.rule.applies_to} records, this is a {kind}",
                zh=f"不适用（记录类型）：该规则适用于 {other.rule.applies_to} 记录，本记录为 {kind}")))
            rdefs = []
        elif rule_id is not None:
            rdefs = [self.packs.rules[rule_id]]
        if rdefs:
            prepared = engine.prepare_facts(dump, ctx, index, day)
            ruleset = self._ruleset(kind, branch)
            own_date = record_date(kind, dump, day)
            out += [self._rule(rdef, ruleset[rdef.rule.id], prepared, index, own_date) for rdef in rdefs]
        return Explanation(record_id=dump["id"], kind=kind, as_of=day.isoformat(), branch=branch, rules=out)

    # ---- one rule ----------------------------------------------------------------------------------
    def _ruleset(self, kind: str, branch: str | None) -> dict[str, dict]:
        key = (kind, branch if branch in self.packs.branches else None)
        if key not in self._rulesets:
            self._rulesets[key] = build_ruleset(self.engine.rules_for(kind), self.packs.params_for(key[1]),
                                                self.packs.parameters, self.packs.aggregates, self.packs.derived)
        return self._rulesets[key]

    def _origin(self, branch: str | None) -> Any:
        overrides = self.packs.branches.get(branch or "", {})
        return lambda name: f"branch {branch}" if name in overrides else "pack default"

    def _rule(self, rdef: RuleDef, definition: dict, prepared: Prepared, history: HistoryIndex,
              own_date: dt.date) -> RuleExplanation:
        rule = rdef.rule
        dump, anchor = prepared.dump, prepared.factset.anchor
        branch = dump.get("branch")
        params = self.packs.params_for(branch)
        origin = self._origin(branch)
        fields = anchor_fields(rule.applies_to, self.packs.aggregates, self.packs.derived)
        cache = self._parts.setdefault((rule.id, branch if branch in self.packs.branches else None), {})
        where = anchor_scope(fields, params, lambda name: _record_value(prepared, field_path(name)), origin, ANCHOR,
                             cache)
        binding = first_binding(definition, prepared.facts)
        conditions = judge_all(rule.when, where, anchor, {})
        joins = self._joins(rdef, definition, prepared, params, origin, fields, binding, cache) if rdef.joins else None
        windows = self._windows(rdef, prepared, history, own_date, conditions) or None
        status: Status = "fired" if binding is not None else "not_fired"
        reason = None
        if binding is None:
            reason = _in_force(rule, own_date) or _other_stage(rule, dump) or _inapplicable(conditions, where)
            if reason is not None:
                status = "not_applicable"
        return RuleExplanation(rule_id=rule.id, standard=rule.standard, severity=rule.severity, status=status,
                               reason=reason, conditions=conditions, joins=joins, windows=windows)

    def _joins(self, rdef: RuleDef, definition: dict, prepared: Prepared, params: dict[str, Any], origin: Any,
               fields: dict[str, FieldType], binding: dict[str, dict] | None,
               cache: dict[tuple[str, str], list[dict]]) -> list[JoinExplanation]:
        conds = {alias: cond for alias, _negated, cond in entries(definition)}
        anchor = prepared.factset.anchor
        bound: dict[str, dict] = {ANCHOR: anchor}
        visible: dict[str, dict[str, FieldType]] = {ANCHOR: fields}
        out = []
        for join in rdef.joins:
            jfields = catalog()[join.fact_type].fields
            facts = [f for f in prepared.facts if f.get("t") == join.fact_type and f is not anchor]
            matched = [f for f in facts if matches(conds[join.alias], f, bound)]
            scope = Scope(join.alias, jfields, params, dict(visible))
            described = []
            for fact in facts:
                original = prepared.factset.originals.get(str(fact.get("id")), {})
                failed: list[ConditionPart] = []
                if fact not in matched and join.where:
                    part_scope = PartScope(scope, _join_value(prepared, bound, original), origin, cache)
                    failed = [p for p in (judge(t, part_scope, fact, bound) for t in split(join.where)) if not p.result]
                described.append(Candidate(fact=_summary(fact, original, rdef.refs.get(join.alias, set())),
                                           matched=fact in matched, failed=failed))
            result = not matched if join.negated else bool(matched)
            out.append(JoinExplanation(text=_match_text(join), fact_type=join.fact_type, negated=join.negated,
                                       matched=[c.fact for c in described if c.matched], candidates=described,
                                       result=result, says=_join_says(join, len(facts), matched, result)))
            if not join.negated:
                chosen = binding.get(join.alias) if binding else (matched[0] if matched else None)
                if chosen is not None:
                    bound[join.alias] = chosen
                visible[join.alias] = jfields
        return out

    def _windows(self, rdef: RuleDef, prepared: Prepared, history: HistoryIndex, own_date: dt.date,
                 conditions: list[ConditionPart]) -> list[Any]:
        out = []
        for path in sorted(p for p in rdef.refs.get(ANCHOR, set()) if p.startswith("agg.")):
            name = path[4:]
            agg = self.packs.aggregates[name]
            value = prepared.aggregates.get(name)
            limits: list[Threshold] = []
            for part in conditions:
                if path in part.text:
                    limits += [t for t in part.parameters if t.name not in {x.name for x in limits}]
            out.append(explain_window(name, agg, history, prepared.kind, prepared.dump, own_date,
                                      value.value if value else None, limits, prepared.resolver))
        return out


# ---- helpers ---------------------------------------------------------------------------------------
def _record_value(prepared: Prepared, path: str) -> Any:
    if path.startswith("agg."):
        agg = prepared.aggregates.get(path[4:])
        return agg.value if agg else ABSENT
    if path in prepared.derived:
        return prepared.derived[path]
    if path in ("record_date", "as_of"):
        return (EPOCH + dt.timedelta(days=int(prepared.factset.anchor[path]))).isoformat()
    value = get_path(prepared.dump, path)
    return ABSENT if value is None else value


def _join_value(prepared: Prepared, bound: dict[str, dict], original: dict) -> Any:
    def value(name: str) -> Any:
        path = field_path(name)
        head, _, rest = path.partition(".")
        if rest and head == ANCHOR:
            return _record_value(prepared, rest)
        if rest and head in bound:
            other = prepared.factset.originals.get(str(bound[head].get("id")), {})
            found = get_path(other, rest)
            return ABSENT if found is None else found
        found = get_path(original, path)
        return ABSENT if found is None else found
    return value


def _summary(fact: dict, original: dict, read: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"fact": fact.get("id")}
    for key in ("id", "position"):
        if original.get(key) is not None:
            out[key] = original[key]
    for path in sorted(read):
        found = get_path(original, path)
        if found is not None:
            out[path] = found
    return out


def _match_text(join: Any) -> str:
    text = ("no " if join.negated else "") + join.fact_type
    if join.alias != join.fact_type:
        text += f" as {join.alias}"
    return text + (f" where {' '.join(join.where.split())}" if join.where else "")


def _join_says(join: Any, candidates: int, matched: list[dict], result: bool) -> Text:
    ids = ", ".join(str(f.get("id")) for f in matched)
    text = _match_text(join)
    if join.negated:
        en = (f"{text}: none of the {candidates} {join.fact_type} facts matched" if not matched
              else f"{text}: {len(matched)} matched ({ids})")
        zh = (f"{text}：{candidates} 条 {join.fact_type} 均不满足" if not matched
              else f"{text}：有 {len(matched)} 条满足（{ids}）")
    else:
        en = (f"{text}: {len(matched)} of {candidates} {join.fact_type} facts matched ({ids})" if matched
              else f"{text}: none of the {candidates} {join.fact_type} facts matched")
        zh = (f"{text}：{candidates} 条 {join.fact_type} 中 {len(matched)} 条满足（{ids}）" if matched
              else f"{text}：{candidates} 条 {join.fact_type} 均不满足")
    return Text(en=f"{en} → {result_word(result, 'en')}", zh=f"{zh} → {result_word(result, 'zh')}")


def _in_force(rule: Any, own_date: dt.date) -> Text | None:
    if rule.effective_from and own_date < rule.effective_from:
        return Text(en=f"not in force on {own_date}: the rule applies from {rule.effective_from}",
                    zh=f"不适用（未生效）：记录日期 {own_date}，规则自 {rule.effective_from} 起生效")
    if rule.effective_to and own_date >= rule.effective_to:
        return Text(en=f"not in force on {own_date}: the rule applied until {rule.effective_to}",
                    zh=f"不适用（已失效）：记录日期 {own_date}，规则至 {rule.effective_to} 止")
    return None


def _other_stage(rule: Any, dump: dict) -> Text | None:
    """The rule's ``stages:`` leave out the record's stage (the stage condition the compiler adds)."""
    stage_field = kind_spec(rule.applies_to).stage_field
    stage = dump.get(stage_field) if stage_field else None
    if rule.stages is None or stage is None or stage in rule.stages:
        return None
    listed = ", ".join(rule.stages)
    return Text(en=f'other stage: {stage_field} "{stage}" is not one of {listed}',
                zh=f'不适用（阶段）：{stage_field} "{stage}" 不在 {listed} 之中')


def _inapplicable(conditions: list[ConditionPart], where: PartScope) -> Text | None:
    """A failing part that tests only the stage, product type or branch: the rule does not apply here."""
    for part in conditions:
        read = {field_path(n) for n in names(part.text) if where.kind_of(n) == "field"}
        if part.result or not read or not read <= set(APPLICABILITY):
            continue
        en_word, zh_word = APPLICABILITY[sorted(read)[0]]
        return Text(en=f"other {en_word}: {part.says.en}", zh=f"不适用（{zh_word}）：{part.says.zh}")
    return None


def _not_applicable(rdef: RuleDef, reason: Text) -> RuleExplanation:
    rule = rdef.rule
    return RuleExplanation(rule_id=rule.id, standard=rule.standard, severity=rule.severity, status="not_applicable",
                           reason=reason)
