"""Checks of one aggregate, one rule and one rule's message placeholders (the loader's names and templates stages)."""

from __future__ import annotations

import re
from typing import Any

from conduct_engine import error_codes
from conduct_engine.errors import PackIssue
from conduct_engine.packs import schema
from conduct_engine.packs.fields import FactSchema, FieldType, kind_stages, lookup
from conduct_engine.packs.model import Aggregate, Derived, JoinSpec, Rule
from conduct_engine.packs.problems import did_you_mean
from conduct_engine.packs.yaml_lines import LineDict, LineList
from conduct_engine.standards import Standard

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def param_type_ok(default: Any, value: Any) -> bool:
    """Whether a branch override has the type of the parameter's default."""
    if isinstance(default, bool) or isinstance(value, bool):
        return type(default) is type(value)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, list):
        return isinstance(value, list)
    return type(default) is type(value)


def check_aggregate(file: str, line: int, name: str, agg: Aggregate,
                    cat: dict[str, FactSchema], kinds: tuple[str, ...]) -> list[PackIssue]:
    """The problems of one aggregate: its name, kinds, key and filter fields, and its one measure."""
    out = []
    if not schema.NAME.match(name):
        out.append(PackIssue(file, line, error_codes.AGGREGATE_NAME, f"aggregate name {name!r} must be snake_case"))
    if agg.over not in kinds:
        return [PackIssue(file, line, error_codes.AGGREGATE_KIND, f"aggregate {name}: unknown kind {agg.over!r}",
                          did_you_mean(agg.over, kinds))]
    over = cat[agg.over].fields
    for kind in agg.applies_to:
        if kind not in kinds:
            out.append(PackIssue(file, line, error_codes.AGGREGATE_KIND, f"aggregate {name}: unknown kind {kind!r}",
                                 did_you_mean(kind, kinds)))
            continue
        for rec_field in agg.match.values():
            if rec_field not in cat[kind].fields:
                out.append(PackIssue(file, line, error_codes.AGGREGATE_FIELD,
                                     f"aggregate {name}: {kind} has no field {rec_field!r}",
                                     did_you_mean(rec_field, cat[kind].fields)))
    for hist_field in list(agg.match) + list(agg.where):
        if hist_field not in over:
            out.append(PackIssue(file, line, error_codes.AGGREGATE_FIELD, f"aggregate {name}: {agg.over} has no field "
                                 f"{hist_field!r}", did_you_mean(hist_field, over)))
    for hist_field, value in agg.where.items():
        ftype = over.get(hist_field)
        for v in value if isinstance(value, list) else [value]:
            if ftype and ftype.kind == "enum" and v is not None and v not in ftype.values:  # null: field absent
                out.append(PackIssue(file, line, error_codes.AGGREGATE_ENUM, f"aggregate {name}: {v!r} is not a value of "
                                     f"{hist_field}", did_you_mean(str(v), ftype.values)))
    if agg.per and (agg.per not in over or over[agg.per].kind != "number"):
        out.append(PackIssue(file, line, error_codes.AGGREGATE_FIELD, f"aggregate {name}: per needs a number field of "
                             f"{agg.over}", did_you_mean(agg.per, [f for f, t in over.items() if t.kind == "number"])))
    measures = [agg.sum is not None, agg.count, agg.count_distinct is not None, agg.latest]
    if sum(measures) != 1:
        out.append(PackIssue(file, line, error_codes.AGGREGATE_MEASURE,
                             f"aggregate {name}: give exactly one of sum, count, count_distinct or latest"))
    elif agg.count_distinct and agg.count_distinct not in over:
        out.append(PackIssue(file, line, error_codes.AGGREGATE_FIELD, f"aggregate {name}: {agg.over} has no field "
                             f"{agg.count_distinct!r}", did_you_mean(agg.count_distinct, over)))
    elif agg.sum and (agg.sum not in over or over[agg.sum].kind != "number"):
        out.append(PackIssue(file, line, error_codes.AGGREGATE_FIELD, f"aggregate {name}: sum needs a number field of "
                             f"{agg.over}", did_you_mean(agg.sum, [f for f, t in over.items() if t.kind == "number"])))
    return out


def check_rule(file: str, node: LineDict, rule: Rule, standards: dict[str, Standard],
               kinds: tuple[str, ...]) -> list[PackIssue]:
    """The problems of one rule before compiling: standards, kind, effective dates, a condition, its tests."""
    out = []
    for key, code in [("standard", rule.standard)] + [("also", c) for c in rule.also]:
        if standards and code not in standards:
            out.append(PackIssue(file, node.line_of(key), error_codes.RULE_STANDARD,
                                 f"rule {rule.id}: unknown standard {code!r}", did_you_mean(code, standards)))
    if rule.applies_to not in kinds:
        out.append(PackIssue(file, node.line_of("applies_to"), error_codes.RULE_APPLIES_TO,
                             f"rule {rule.id}: unknown record kind {rule.applies_to!r}",
                             did_you_mean(rule.applies_to, kinds)))
    if rule.effective_from and rule.effective_to and rule.effective_to <= rule.effective_from:
        out.append(PackIssue(file, node.line_of("effective_to"), error_codes.RULE_EFFECTIVE,
                             f"rule {rule.id}: effective_to must be after effective_from"))
    if not rule.when and not rule.match:
        out.append(PackIssue(file, node.line, error_codes.RULE_CONDITION, f"rule {rule.id}: needs 'when' or 'match'"))
    if not rule.tests.fires or not rule.tests.silent:
        out.append(PackIssue(file, node.line_of("tests"), error_codes.RULE_TESTS,
                             f"rule {rule.id}: needs test records under tests.fires and tests.silent"))
    return out


def check_stages(file: str, node: LineDict, rule: Rule) -> list[PackIssue]:
    """The problems of a rule's ``stages:``: a kind without stages, an empty list, unknown or repeated stages."""
    if rule.stages is None:
        return []
    known = kind_stages(rule.applies_to)
    where = node.get("stages")
    if not known:
        return [PackIssue(file, node.line_of("stages"), error_codes.RULE_STAGES,
                          f"rule {rule.id}: records of kind {rule.applies_to!r} have no stages")]
    if not rule.stages:
        return [PackIssue(file, node.line_of("stages"), error_codes.RULE_STAGES,
                          f"rule {rule.id}: stages must name at least one stage (leave it out for every stage)")]
    out = []
    for index, stage in enumerate(rule.stages):
        line = where.line_of(index) if isinstance(where, LineList) else node.line_of("stages")
        if stage not in known:
            out.append(PackIssue(file, line, error_codes.RULE_STAGES, f"rule {rule.id}: unknown stage {stage!r} "
                                 f"(stages of {rule.applies_to}: {', '.join(known)})", did_you_mean(stage, known)))
        elif stage in rule.stages[:index]:
            out.append(PackIssue(file, line, error_codes.RULE_STAGES, f"rule {rule.id}: stage {stage!r} listed twice"))
    return out


def check_templates(file: str, node: LineDict, rule: Rule, joins: list[JoinSpec],
                    cat: dict[str, FactSchema], parameters: dict[str, Any],
                    aggregates: dict[str, Aggregate], derived: dict[str, Derived]
                    ) -> tuple[list[str], list[PackIssue]]:
    """The placeholders of a rule's texts, and an issue for each that names nothing the rule can fill."""
    out: list[PackIssue] = []
    names: dict[str, FieldType | None] = dict(cat[rule.applies_to].fields)
    names.update({d: None for d, spec in derived.items() if rule.applies_to in spec.applies_to})
    names.update({p: None for p in parameters})
    names.update({f"agg.{a}": None for a, spec in aggregates.items() if rule.applies_to in spec.applies_to})
    for join in joins:
        if not join.negated:
            names.update({f"{join.alias}.{f}": t for f, t in cat[join.fact_type].fields.items()})
    found: list[str] = []
    for section in ("message", "remediation"):
        texts = getattr(rule, section)
        for lang in ("zh", "en"):
            for placeholder in PLACEHOLDER.findall(getattr(texts, lang)):
                found.append(placeholder)
                typed = {k: v for k, v in names.items() if v is not None}
                if placeholder not in names and lookup(typed, placeholder) is None:
                    out.append(PackIssue(file, node.line_of(section), error_codes.RULE_PLACEHOLDER,
                                         f"rule {rule.id}: {section}.{lang} placeholder {{{placeholder}}} "
                                         "names nothing this rule can fill", did_you_mean(placeholder, names)))
    return sorted(set(found)), out


__all__ = ["PLACEHOLDER", "check_aggregate", "check_rule", "check_stages", "check_templates", "param_type_ok"]
