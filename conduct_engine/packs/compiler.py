"""Compile validated rules to durable_rules JSON, with every guard-rail of DESIGN §2.

- every fact alias is anchored on its type field ``t`` (unanchored rules loop forever);
- ``$ex`` guards precede every same-fact (``$m``) reference and every field another fact reads;
- regexes are checked and wrapped for the engine's full-match dialect (see ``regex.py``);
- at most 32 expression slots per condition, 16 facts per rule, 400 rules per ruleset;
- no state (``$s``) rules and no events; one catch-all on the sentinel fact closes every
  evaluation, so the adapter can tell a finished evaluation from a broken one.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from typing import Any

from conduct_engine import error_codes
from conduct_engine.dates import day_number
from conduct_engine.packs.expressions import Scope, compile_condition, parse
from conduct_engine.packs.fields import FieldType, catalog, context_fact_types
from conduct_engine.packs.model import ANCHOR, Aggregate, JoinSpec, Rule, RuleDef, engine_path
from conduct_engine.packs.problems import ExprError, did_you_mean
from conduct_engine.records.registry import kind_spec

SENTINEL = "__end__"
DONE_RULE = "__done__"
MAX_FACTS_PER_RULE = 16
MAX_RULES_PER_RULESET = 400
_MATCH = re.compile(r"^\s*(?P<no>no\s+)?(?P<type>[a-z_]+)(\s+as\s+(?P<alias>[a-z_][a-z0-9_]*))?"
                    r"(\s+where\s+(?P<where>.+))?\s*$", re.DOTALL)


class RuleCompileError(ExprError):
    """An ExprError that knows which part of the rule it came from (``when`` or ``match[i]``)."""

    def __init__(self, err: ExprError, where: str | tuple[str, int]):
        super().__init__(err.code, err.message, err.hint)
        self.where = where


def _is_join(cond: dict) -> bool:
    """``{field: {alias: path}}``: an equality with another fact's field."""
    return len(cond) == 1 and all(not k.startswith("$") and isinstance(v, dict) and len(v) == 1
                                  and not next(iter(v)).startswith("$") for k, v in cond.items())


def _joins_first(conds: list[dict]) -> list[dict]:
    """Type anchor, then equalities with other facts, then the rest.

    durable_rules drops a cross-fact equality that follows an ``$or`` in the same ``$and`` and the rule
    then fires for facts that do not join (measured: ``role in [...] and employee_id == inv.employee_id``
    matched E-200 with E-100). Put the joins first.
    """
    anchor, rest = conds[:1], conds[1:]
    return anchor + [c for c in rest if _is_join(c)] + [c for c in rest if not _is_join(c)]


def _reject_nested_joins(conds: list[dict]) -> None:
    """A comparison with another fact must be a plain conjunct, never inside ``or``."""
    def nested(node: object, depth: int) -> bool:
        if isinstance(node, dict):
            if depth > 0 and _is_join(node):
                return True
            return any(nested(v, depth + (k == "$or")) for k, v in node.items() if k in ("$and", "$or"))
        if isinstance(node, list):
            return any(nested(v, depth) for v in node)
        return False
    if any(nested(c, 0) for c in conds):
        raise ExprError(error_codes.CONDITION_JOIN, "a comparison with another fact's field cannot sit inside 'or'; "
                        "split the rule in two")


def parse_match(text: str) -> JoinSpec:
    """Parse one ``match`` entry."""
    m = _MATCH.match(text or "")
    if not m:
        raise ExprError(error_codes.MATCH_SYNTAX,
                        f"cannot read match {text!r}: write '[no] TYPE [as ALIAS] [where CONDITION]'")
    fact_type = m["type"]
    cat = catalog()
    if fact_type not in cat:
        raise ExprError(error_codes.MATCH_TYPE, f"unknown fact type {fact_type!r}", did_you_mean(fact_type, cat))
    return JoinSpec(m["alias"] or fact_type, fact_type, bool(m["no"]), m["where"])


def _names(text: str | None) -> set[str]:
    if not text:
        return set()
    return {n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)}


def anchor_fields(kind: str, aggregates: dict[str, Aggregate],
                  derived: dict[str, Any] | None = None) -> dict[str, FieldType]:
    """Fields of a record's anchor fact, including the aggregates and derived values computed for it."""
    fields = dict(catalog()[kind].fields)
    for name, spec in (derived or {}).items():
        if kind in spec.applies_to:
            fields[name] = spec.ftype
    for name, agg in aggregates.items():
        if kind in agg.applies_to:
            fields[f"agg.{name}"] = FieldType("date" if agg.latest else "number")
    return fields


def compile_rule(rule: Rule, params: dict[str, Any], aggregates: dict[str, Aggregate],
                 derived: dict[str, Any] | None = None
                 ) -> tuple[list[JoinSpec], dict[str, set[str]], set[str], dict, set[str]]:
    """Compile one rule: (joins, fields read per alias, parameters used, definition, record fields to copy)."""
    cat = catalog()
    fields = anchor_fields(rule.applies_to, aggregates, derived)
    refs: dict[str, set[str]] = {ANCHOR: set()}
    conds: dict[str, list[dict]] = {ANCHOR: [{"t": rule.applies_to}]}
    if rule.effective_from:
        conds[ANCHOR].append({"$gte": {"record_date": day_number(rule.effective_from)}})
    if rule.effective_to:
        conds[ANCHOR].append({"$lt": {"record_date": day_number(rule.effective_to)}})
    stage_field = kind_spec(rule.applies_to).stage_field
    if rule.stages is not None and stage_field and set(rule.stages) != set(fields[stage_field].values):
        stages = compile_condition(f"{stage_field} in {json.dumps(rule.stages)}", Scope(ANCHOR, fields, params))
        conds[ANCHOR] += stages.conditions
        refs[ANCHOR].add(stage_field)
    params_used: set[str] = set()
    if rule.when:
        try:
            compiled = compile_condition(rule.when, Scope(ANCHOR, fields, params))
        except ExprError as exc:
            raise RuleCompileError(exc, "when") from None
        conds[ANCHOR] += compiled.conditions
        refs[ANCHOR] |= {path for alias, path in compiled.refs}
        params_used |= _names(rule.when) & set(params)

    joins: list[JoinSpec] = []
    record_copies: set[str] = set()
    visible: dict[str, dict[str, FieldType]] = {ANCHOR: fields}
    for index, text in enumerate(rule.match):
        try:
            join = parse_match(text)
            if join.alias in conds or join.alias == ANCHOR:
                raise ExprError(error_codes.MATCH_ALIAS, f"alias {join.alias!r} used twice; add 'as NAME'")
            jfields = cat[join.fact_type].fields
            conds[join.alias] = [{"t": join.fact_type}]
            refs[join.alias] = set()
            if join.where:
                compiled = compile_condition(join.where, Scope(join.alias, jfields, params, dict(visible)))
                _reject_nested_joins(compiled.conditions)
                conds[join.alias] += compiled.conditions
                record_copies |= compiled.record_copies
                for alias, path in compiled.refs:
                    target = join.alias if alias is None else alias
                    refs[target].add(path)
                    if alias is not None:  # another fact's field is read: guard it on that fact
                        conds[alias].append({"$ex": {engine_path(path): 1}})
                params_used |= _names(join.where) & set(params)
        except ExprError as exc:
            raise RuleCompileError(exc, ("match", index)) from None
        keys = tuple((field, ref[ANCHOR]) for cond in conds[join.alias] for field, ref in cond.items()
                     if not field.startswith("$") and isinstance(ref, dict) and set(ref) == {ANCHOR})
        keys += _record_fact_keys(conds[join.alias], {j.alias: j.fact_type for j in joins if not j.negated})
        joins.append(JoinSpec(join.alias, join.fact_type, join.negated, join.where, keys))
        if not join.negated:
            visible[join.alias] = jfields
    if 1 + len(joins) > MAX_FACTS_PER_RULE:
        raise RuleCompileError(ExprError(error_codes.RULE_TOO_MANY_FACTS,
                                         f"a rule may match at most {MAX_FACTS_PER_RULE} facts"), "match")

    def _alias_key(alias: str) -> str:
        negated = any(j.alias == alias and j.negated for j in joins)
        return f"{alias}$not" if negated else alias

    all_ = [{_alias_key(alias): {"$and": c} if len(c) > 1 else c[0]}
            for alias, c in ((a, _joins_first(c)) for a, c in conds.items())]
    definition = {"all": all_, "run": f"violation:{rule.id}"}
    return joins, refs, params_used, definition, record_copies


def _record_fact_keys(conds: list[dict], aliases: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """Equalities with a fact made from the record itself (``application where client_id == nc.client_id``, nc a
    ``network_client``): keys ``(field, "@network_client.client_id")``, so reference data is looked up by the values
    of those facts instead of asserted whole."""
    context_types = context_fact_types()
    out = []
    for cond in conds:
        for field, ref in cond.items():
            if field.startswith("$") or not isinstance(ref, dict) or len(ref) != 1:
                continue
            alias, path = next(iter(ref.items()))
            if isinstance(path, str) and aliases.get(alias) not in (None, *context_types):
                out.append((field, f"@{aliases[alias]}.{path}"))
    return tuple(out)


def build_ruleset(rule_defs: list[RuleDef], params: dict[str, Any], default_params: dict[str, Any],
                  aggregates: dict[str, Aggregate], derived: dict[str, Any] | None = None) -> dict[str, dict]:
    """The durable_rules ruleset for one record kind: its rules plus the sentinel catch-all."""
    if len(rule_defs) > MAX_RULES_PER_RULESET:
        raise ExprError(error_codes.RULESET_TOO_LARGE,
                        f"{len(rule_defs)} rules for one record kind (at most {MAX_RULES_PER_RULESET})")
    ruleset: dict[str, dict] = {}
    for rdef in rule_defs:
        if any(params.get(p) != default_params.get(p) for p in rdef.params_used):
            definition = compile_rule(rdef.rule, params, aggregates, derived)[3]
        else:
            definition = rdef.definition
        ruleset[rdef.rule.id] = copy.deepcopy(definition)
    ruleset[DONE_RULE] = {"all": [{"end": {"t": SENTINEL}}], "pri": 65000, "run": f"done:{DONE_RULE}"}
    return ruleset
