"""The compiled pack model: what the loader and compiler produce and the run-time reads.

Loader, compiler and the run-time modules (engine, facts, history) all import from here and
from nowhere else in ``packs/`` that is compile-time only, so no module imports another that
imports it back. ``Aggregate`` (a window spec) and ``Rule`` are the validated pack schema types.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conduct_engine.packs.fields import FieldType
from conduct_engine.packs.schema import Aggregate, Rule
from conduct_engine.standards import Standard

#: The alias of the record itself in a rule (its anchor fact).
ANCHOR = "record"
#: Where a joined fact carries copies of the record fields it compares with (see ``expressions._localise``).
RECORD_COPY = "rec"

KeySets = dict[str, list[tuple[tuple[str, str], ...]] | None]


def engine_path(path: str) -> str:
    """Where a field lives in the engine's fact: a record's own ``id`` is stored as ``_id``.

    durable_rules uses ``id`` as the fact identity, which must be unique in a session, so the
    normaliser gives every fact a synthetic ``id`` and keeps the natural one under ``_id``.
    """
    return "_id" if path == "id" else path


@dataclass(frozen=True)
class JoinSpec:
    """One extra fact a rule matches: ``[no] TYPE [as ALIAS] [where CONDITION]``."""

    alias: str
    fact_type: str
    negated: bool
    where: str | None
    #: equalities with the record ``(fact field, record field)``: only facts meeting them can match
    keys: tuple[tuple[str, str], ...] = ()


@dataclass
class RuleDef:
    """A validated, compiled rule (durable_rules JSON for the default parameters)."""

    rule: Rule
    file: str
    line: int
    joins: list[JoinSpec]
    refs: dict[str, set[str]]  # alias -> fields read ("record" is the record itself)
    params_used: set[str]
    definition: dict
    placeholders: list[str]
    record_copies: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Derived:
    """One compiled derived value."""

    name: str
    applies_to: tuple[str, ...]
    ftype: FieldType
    compute: Callable[..., float | int | None]
    #: the pack's business calendar when the value counts business days: ``compute(dump, calendar=…)`` takes the
    #: reference data's overrides (``BusinessCalendar.with_context``)
    calendar: Any = None

    def value(self, dump: dict, context: Any = None) -> float | int | None:
        """The value for a record, with the context's calendar days when it counts business days."""
        if self.calendar is not None and getattr(context, "calendar", None):
            return self.compute(dump, calendar=self.calendar.with_context(context))
        return self.compute(dump)


@dataclass
class LoadedPacks:
    """Everything a rules directory defines, validated and compiled."""

    name: str
    version: str
    digest: str
    root: Path
    standards: dict[str, Standard]
    parameters: dict[str, Any]
    parameter_docs: dict[str, str | None]
    branches: dict[str, dict[str, Any]]
    fx: dict[str, float]
    aggregates: dict[str, Aggregate]
    derived: dict[str, Derived]
    rules: dict[str, RuleDef]
    test_defaults: dict[str, dict[str, Any]]  # kind -> defaults (the first file that gives them)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    file_test_defaults: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def test_defaults_for(self, file: str, kind: str) -> dict[str, Any]:
        """Test-record defaults for a kind: the rule's own file first, then any pack's."""
        return self.file_test_defaults.get(file, {}).get(kind) or self.test_defaults.get(kind) or {"kind": kind}

    def params_for(self, branch: str | None) -> dict[str, Any]:
        """The parameters in force for a branch (defaults with its overrides)."""
        if branch and branch in self.branches:
            return {**self.parameters, **self.branches[branch]}
        return self.parameters


def join_keys(rule_defs: list[RuleDef]) -> KeySets:
    """Per joined fact type, the key sets that decide which facts can matter (None: every fact can)."""
    out: KeySets = {}
    for rdef in rule_defs:
        for join in rdef.joins:
            if not join.keys or out.get(join.fact_type, []) is None:
                out[join.fact_type] = None
            else:
                out.setdefault(join.fact_type, []).append(join.keys)  # type: ignore[union-attr]
    return out


def record_copies(rule_defs: list[RuleDef]) -> set[str]:
    """Record fields that joined facts must carry a copy of (``rec.<field>``)."""
    return {path for rdef in rule_defs for path in rdef.record_copies}


def fact_types_used(rule_defs: list[RuleDef]) -> set[str]:
    """Every joined fact type the rules of one kind need asserted."""
    return {j.fact_type for rdef in rule_defs for j in rdef.joins}


__all__ = ["ANCHOR", "RECORD_COPY", "Aggregate", "Derived", "JoinSpec", "KeySets", "LoadedPacks", "Rule", "RuleDef",
           "engine_path", "fact_types_used", "join_keys", "record_copies"]
