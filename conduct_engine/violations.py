"""Stage report: one firing as a :class:`~conduct_engine.results.Violation`, its messages filled and its evidence.

What a rule's finding reads (its record fields in order, the joined facts' fields, the network names, the limits it
shows) is worked out once per rule (:class:`_Plan`), not per finding; only the record's values are read per finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from conduct_engine import network
from conduct_engine.facts import FactSet
from conduct_engine.firings import Firing
from conduct_engine.history import AggregateValue
from conduct_engine.packs.fields import kind_stages
from conduct_engine.packs.model import ANCHOR, LoadedPacks, RuleDef
from conduct_engine.paths import get_path
from conduct_engine.records.registry import kind_spec
from conduct_engine.results import Text, Violation, at_origination, fill

__all__ = ["Reporter"]


class Prepared(Protocol):
    """What a finding reads of a record made ready for the engine (``engine.Prepared``)."""

    dump: dict
    factset: FactSet
    aggregates: dict[str, AggregateValue]
    derived: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one rule's findings read, worked out once."""

    rdef: RuleDef
    #: per placeholder: (its name, its head before the first dot, the rest after it)
    placeholders: tuple[tuple[str, str, str], ...]
    anchor_paths: tuple[str, ...]  # the record fields it reads, sorted (its evidence, in that order)
    alias_paths: dict[str, tuple[str, ...]]  # per joined alias, the fields it reads, sorted
    read: frozenset[str]  # the record fields and placeholders it reads (which networks its evidence shows)
    params: tuple[str, ...]  # the parameters it uses, sorted (the limits its evidence shows)
    #: with ``origination:``, (the kind's stage field, each stage's position, the position of the first stage the
    #: rule applies at): a finding on a record past that stage is marked as one about its origination
    stages: tuple[str, dict[str, int], int] | None


class Reporter:
    """Builds the violations of one set of packs' rules."""

    def __init__(self, packs: LoadedPacks):
        self.packs = packs
        self._plans: dict[str, _Plan] = {}

    def _plan(self, rule_id: str) -> _Plan:
        found = self._plans.get(rule_id)
        if found is None:
            rdef = self.packs.rules[rule_id]
            found = self._plans[rule_id] = _Plan(
                rdef, tuple((name, *_split(name)) for name in rdef.placeholders),
                tuple(sorted(rdef.refs.get(ANCHOR, ()))),
                {alias: tuple(sorted(paths)) for alias, paths in rdef.refs.items() if alias != ANCHOR},
                frozenset(rdef.refs.get(ANCHOR, set()) | set(rdef.placeholders)), tuple(sorted(rdef.params_used)),
                _stages(rdef.rule) if rdef.rule.origination else None)
        return found

    def violation(self, firing: Firing, prepared: Prepared, params: dict[str, Any]) -> Violation:
        """One firing as a Violation with filled messages and its evidence."""
        plan = self._plan(firing.rule_id)
        rule = plan.rdef.rule
        dump = prepared.dump
        originals = prepared.factset.originals
        matched = {alias: originals.get(str(fact.get("id")), {}) for alias, fact in firing.facts.items()
                   if alias != ANCHOR}
        aggregates, derived = prepared.aggregates, prepared.derived

        def record_value(path: str) -> Any:
            if path.startswith("agg."):
                agg = aggregates.get(path[4:])
                return agg.value if agg else None
            if path in derived:
                return derived[path]
            return get_path(dump, path)

        values: dict[str, Any] = {}
        for name, head, rest in plan.placeholders:
            if name in params:
                values[name] = params[name]
            elif head in matched and rest:
                values[name] = get_path(matched[head], rest)
            else:
                values[name] = record_value(name)
        evidence: dict[str, Any] = {}
        related: set[str] = set()
        for path in plan.anchor_paths:
            value = record_value(path)
            if value is not None and path not in ("as_of", "record_date"):
                evidence[path] = value
            if path.startswith("agg.") and path[4:] in aggregates:
                related.update(aggregates[path[4:]].record_ids)
        for alias, data in matched.items():
            fields = {p: v for p in plan.alias_paths.get(alias, ()) if (v := get_path(data, p)) is not None}
            if "index" in data:
                fields["index"] = data["index"]
            if isinstance(data.get("path"), str):  # a network client: how it is linked to the counterparty
                fields["path"] = data["path"]
            evidence[alias] = fields
        for name, value in values.items():  # what the message shows is evidence too
            if value is not None and name not in params and "." not in name and name not in evidence:
                evidence[name] = value
        evidence.update(network.evidence(dump, plan.read))  # the path
        limits = {p: params[p] for p in plan.params if not isinstance(params[p], list)}
        if limits:
            evidence["limits"] = limits
        labels = self.packs.labels
        message = Text(zh=fill(rule.message.zh, values, "zh", labels), en=fill(rule.message.en, values, "en", labels))
        if plan.stages is not None and _past(plan.stages, dump):
            message = at_origination(message)
            evidence["at_origination"] = True
        return Violation(
            rule_id=rule.id, standard=rule.standard, also=list(rule.also), severity=rule.severity,
            message=message,
            remediation=Text(zh=fill(rule.remediation.zh, values, "zh", labels),
                             en=fill(rule.remediation.en, values, "en", labels)),
            evidence=evidence, related_records=sorted(related), source=rule.source)


def _split(name: str) -> tuple[str, str]:
    head, _, rest = name.partition(".")
    return head, rest


def _stages(rule: Any) -> tuple[str, dict[str, int], int] | None:
    """(the stage field, each stage's position in model order, the position of the first stage the rule applies at),
    or None when the rule's kind has no stages."""
    order = kind_stages(rule.applies_to)
    if not order:
        return None
    first = min((order.index(s) for s in rule.stages or order[:1] if s in order), default=0)
    position: dict[str, int] = {}
    for i, stage in enumerate(order):
        position.setdefault(stage, i)
    return kind_spec(rule.applies_to).stage_field or "", position, first


def _past(stages: tuple[str, dict[str, int], int], dump: dict) -> bool:
    """Whether the record has moved past the first stage the rule applies at."""
    field, position, first = stages
    stage = dump.get(field)
    at = position.get(stage) if isinstance(stage, str) else None
    return at is not None and at > first
