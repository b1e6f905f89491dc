"""The engine: compile the packs once, then evaluate records against them.

Stages of one evaluation, in order:

1. ``parse``    — the record (and context) into pydantic models (RecordError on bad input)
2. ``window``   — aggregates over history as of the record's own date (``history.py``)
3. ``facts``    — record, child and context facts (``facts.py``)
4. ``match``    — one durable_rules session (``rete.py``); failures become ``engine_error``
5. ``report``   — violations with filled messages and evidence, and the decision (``results.py``)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from conduct_engine import error_codes, network
from conduct_engine.dates import as_of_date, today
from conduct_engine.errors import EngineError, PackError, RecordError
from conduct_engine.facts import FactSet, context_facts, copy_record_fields, record_date, record_facts
from conduct_engine.firings import Firing, Firings, distinct
from conduct_engine.fx import FxTable
from conduct_engine.history import AggregateValue, HistoryIndex
from conduct_engine.packs.compiler import build_ruleset
from conduct_engine.packs.loader import load_packs
from conduct_engine.packs.model import (
    ANCHOR,
    LoadedPacks,
    RuleDef,
    fact_types_used,
    join_keys,
    record_copies,
)
from conduct_engine.packs.problems import ExprError
from conduct_engine.packs.registration import registration_issues
from conduct_engine.paths import get_path
from conduct_engine.records import Context, parse_context, parse_record
from conduct_engine.results import (
    ENGINE_ERROR_RULE,
    Evaluation,
    PackRef,
    Text,
    Violation,
    decide_severities,
    sort_violations,
)
from conduct_engine.rete import ReteEngine
from conduct_engine.settings import DEFAULT_RULES_DIR, load_settings
from conduct_engine.violations import Reporter

__all__ = ["DEFAULT_RULES_DIR", "Engine", "Prepared", "default_rules_dir", "today"]


def default_rules_dir() -> Path:
    """The rules directory in force: the ``rules_dir`` setting (``$CONDUCT_RULES_DIR``), else the bundled ``rules/``."""
    return load_settings().rules_dir


class Engine:
    """Compiled rule packs bound to a durable_rules host; evaluate records against them."""

    def __init__(self, packs: LoadedPacks, *, only: Iterable[str] | None = None, rete: ReteEngine | None = None):
        """Compile ``packs`` (``only``: just those rule ids) onto ``rete``, a fresh durable_rules host by default."""
        if only is not None:  # a subset of the rules (benchmarks compare the same rules on both sides)
            keep = set(only)
            unknown = keep - set(packs.rules)
            if unknown:
                raise ValueError(f"unknown rule ids: {', '.join(sorted(unknown))}")
            packs = dataclasses.replace(packs, rules={k: v for k, v in packs.rules.items() if k in keep})
        self.packs = packs
        self.pack_ref = PackRef(name=packs.name, version=packs.version, digest=packs.digest)
        self._fx = FxTable.of(packs.fx)  # the pack's table, for every record whose context has no dated rates
        self._rete = rete if rete is not None else ReteEngine()
        self._ruleset_names: dict[tuple[str, str | None], str] = {}
        self._by_kind: dict[str, list[RuleDef]] = defaultdict(list)
        for rdef in packs.rules.values():
            self._by_kind[rdef.rule.applies_to].append(rdef)
        self._wanted = {kind: fact_types_used(defs) for kind, defs in self._by_kind.items()}
        self._join_keys = {kind: join_keys(defs) for kind, defs in self._by_kind.items()}
        self._record_copies = {kind: record_copies(defs) for kind, defs in self._by_kind.items()}
        self._params_used = {kind: set().union(*(d.params_used for d in defs)) for kind, defs in self._by_kind.items()}
        self._fields_read = {kind: {p for d in defs for p in d.refs.get(ANCHOR, set())}
                             for kind, defs in self._by_kind.items()}
        #: the record's top-level fields its rules read (or copy onto joined facts): the anchor fact holds only these
        self._anchor_keys = {kind: frozenset({"id"} | {p.split(".")[0] for p in self._fields_read[kind]}
                                             | {p.split(".")[0] for p in self._record_copies[kind]})
                             for kind in self._by_kind}
        self._severities = {rule_id: rdef.rule.severity for rule_id, rdef in packs.rules.items()}
        self._reporter = Reporter(packs)
        #: per record kind, the pack's aggregates and derived values that apply to it and that its rules read (in a
        #: condition, a message or a copy onto joined facts): no other is computed (in pack order)
        read = {kind: {p for d in defs for p in (*d.refs.get(ANCHOR, ()), *d.placeholders)} | self._record_copies[kind]
                for kind, defs in self._by_kind.items()}
        self._aggregates_for = {kind: [(n, a) for n, a in packs.aggregates.items()
                                       if kind in a.applies_to and f"agg.{n}" in read[kind]] for kind in self._by_kind}
        self._derived_for = {kind: [(n, d) for n, d in packs.derived.items() if kind in d.applies_to and n in read[kind]]
                             for kind in self._by_kind}
        for kind in self._by_kind:  # register the default rulesets now: fail at start-up, not per request
            try:
                self._ruleset(kind, None)
            except (EngineError, ExprError) as exc:  # the loader's checks missed something: still file:line
                raise PackError(registration_issues(self._by_kind[kind], exc, packs)) from None

    @classmethod
    def from_paths(cls, rules_dir: Path | str | None = None, *, only: Iterable[str] | None = None) -> Engine:
        """Load, validate and compile the packs under ``rules_dir`` (PackError if any is broken);
        ``only`` keeps just those rule ids."""
        return cls(load_packs(rules_dir or default_rules_dir()), only=only)

    # ---- public API ----------------------------------------------------------------------
    def evaluate(self, record: Any, *, context: Any = None, history: Iterable[Any] | HistoryIndex = (),
                 as_of: dt.date | str | None = None, lenient: bool = False) -> Evaluation:
        """Check one record (dict or parsed model); its Result is built when output is asked for."""
        ctx = parse_context(context, lenient=lenient) if context is not None else None
        model = self.parse(record, lenient=lenient, context=ctx)
        day = as_of_date(as_of)
        index = history if isinstance(history, HistoryIndex) else self.history_index(history, day)
        return self._evaluate(model, ctx, index, day)

    def evaluate_many(self, records: Sequence[Any], *, context: Any = None,
                      history: Iterable[Any] | HistoryIndex = (), as_of: dt.date | str | None = None,
                      lenient: bool = False, batch_is_history: bool = False) -> list[Evaluation]:
        """Check several records; with ``batch_is_history`` they are each other's history (scans)."""
        ctx = parse_context(context, lenient=lenient) if context is not None else None
        models = self.parse_all(records, lenient=lenient, context=ctx)
        day = as_of_date(as_of)
        items = list(history.items() if isinstance(history, HistoryIndex) else
                     (self._history_item(h, day) for h in history))
        if batch_is_history:
            items += [HistoryIndex.item(m, day) for m in models]
        index = HistoryIndex(items)
        return [self._evaluate(m, ctx, index, day) for m in models]

    def parse_all(self, records: Sequence[Any], *, lenient: bool = False, context: Any = None) -> list[BaseModel]:
        """Parse records; every error of every record in one RecordError (locs prefixed by index)."""
        models, errors = [], []
        for i, record in enumerate(records):
            try:
                models.append(self.parse(record, lenient=lenient, context=context))
            except RecordError as exc:
                errors += [{**e, "loc": f"{i}.{e['loc']}"} for e in exc.errors]
        if errors:
            raise RecordError(errors)
        return models

    def history_needs(self, kind: str) -> tuple[set[str], int, int]:
        """What history a record of ``kind`` needs: the kinds, and days before and after its date."""
        aggs = [a for a in self.packs.aggregates.values() if kind in a.applies_to]
        if not aggs or kind not in self._by_kind:
            return set(), 0, 0
        return {a.over for a in aggs}, max(a.within_days for a in aggs), max(a.after_days for a in aggs)

    def history_employees(self, dump: dict) -> set[str] | None:
        """The employees whose history can matter to this record, when every window is keyed by employee
        (so the store loads only their records); None when some window is not."""
        out: set[str] = set()
        for agg in self.packs.aggregates.values():
            if dump["kind"] not in agg.applies_to:
                continue
            record_field = agg.match.get("employee_id")
            if record_field is None:
                return None
            value = get_path(dump, record_field)
            out.update(str(v) for v in (value if isinstance(value, list) else [value]) if v is not None)
        return out

    def parse(self, record: Any, *, lenient: bool = False, context: Any = None) -> BaseModel:
        """Parse a record with the pack's currency table and the dated rates of the (parsed) context."""
        if isinstance(record, BaseModel):
            return record
        fx = FxTable.of(self.packs.fx, context) if getattr(context, "fx_rates", None) else self._fx
        return parse_record(record, lenient=lenient, fx=fx)

    def history_index(self, history: Iterable[Any], as_of: dt.date) -> HistoryIndex:
        """Index history records (dicts or models) for window aggregates."""
        return HistoryIndex(self._history_item(h, as_of) for h in history)

    def _history_item(self, item: Any, as_of: dt.date) -> Any:
        return HistoryIndex.item(self.parse(item, lenient=True), as_of)

    def rules_for(self, kind: str) -> list[RuleDef]:
        """The rules that apply to a record kind."""
        return list(self._by_kind.get(kind, []))

    def prepare(self, record: Any, *, context: Any = None, history: Iterable[Any] = (),
                as_of: dt.date | str | None = None) -> tuple[dict[str, dict], list[dict]]:
        """The durable_rules ruleset and the facts one evaluation would assert (for oracles and debugging)."""
        model = self.parse(record)
        ctx = parse_context(context) if context is not None else None
        day = as_of_date(as_of)
        prepared = self.prepare_facts(model.as_fact_dict(), ctx, self.history_index(history, day), day)  # type: ignore[attr-defined]
        params = self.packs.params_for(prepared.dump.get("branch"))
        return build_ruleset(self._by_kind.get(prepared.kind, []), params, self.packs.parameters, self.packs.aggregates,
                             self.packs.derived), prepared.facts

    # ---- stages --------------------------------------------------------------------------
    def ruleset_name(self, kind: str, branch: str | None) -> str:
        """The registered ruleset a record of ``kind`` in ``branch`` is matched against (registered on first use)."""
        name = self._ruleset_names.get((kind, branch))
        if name is None:
            name = self._ruleset_names[(kind, branch)] = self._ruleset(kind, branch)
        return name

    @property
    def rete(self) -> ReteEngine:
        """The durable_rules adapter the packs are registered on."""
        return self._rete

    def _ruleset(self, kind: str, branch: str | None) -> str:
        params = self.packs.params_for(branch)
        differing = sorted(p for p in self._params_used.get(kind, ()) if params.get(p) != self.packs.parameters.get(p))
        if differing:
            digest = hashlib.sha256(json.dumps({p: params[p] for p in differing}, sort_keys=True,
                                               default=str).encode()).hexdigest()[:12]
            name = f"{kind}@{digest}"
        else:
            name, params = kind, self.packs.parameters
        if not self._rete.is_registered(name):
            self._rete.register(name, build_ruleset(self._by_kind[kind], params, self.packs.parameters,
                                                    self.packs.aggregates, self.packs.derived))
        return name

    def prepare_facts(self, dump: dict, ctx: Context | None, history: HistoryIndex, as_of: dt.date) -> Prepared:
        """Stages window + facts for one record's dump: aggregates, derived values, then the facts in assertion order."""
        kind = dump["kind"]
        net = network.resolver(ctx)
        dump = history.annotate(dump, net)  # who is behind the counterparty (SPEC §3.5), before windows and facts
        own_date = record_date(kind, dump, as_of)
        aggregates = {name: value for name, agg in self._applying(self._aggregates_for, self.packs.aggregates, kind)
                      if (value := history.aggregate(name, agg, kind, dump, own_date, network=net)) is not None}
        derived = {name: computed for name, d in self._applying(self._derived_for, self.packs.derived, kind)
                   if (computed := d.value(dump, ctx)) is not None}
        factset = record_facts(kind, dump, as_of=as_of, own_date=own_date,
                               aggregates={n: a.value for n, a in aggregates.items()},
                               wanted=self._wanted.get(kind, set()), extra=derived,
                               keep=self._anchor_keys.get(kind))
        facts = context_facts(ctx, self._wanted.get(kind, set()), factset.originals, self._join_keys.get(kind, {}),
                              dump, factset.facts) + factset.facts
        copy_record_fields(facts, factset.anchor, self._record_copies.get(kind, set()))
        return Prepared(kind, dump, factset, facts, aggregates, derived, net)

    @staticmethod
    def _applying(per_kind: dict[str, list[tuple[str, Any]]], declared: dict[str, Any], kind: str
                  ) -> list[tuple[str, Any]]:
        """The aggregates (or derived values) that apply to ``kind``: worked out at start-up for a kind with rules."""
        found = per_kind.get(kind)
        if found is None:
            return [(n, x) for n, x in declared.items() if kind in x.applies_to]
        return found

    def evaluate_dump(self, dump: dict, *, context: Context | None, history: HistoryIndex, as_of: dt.date) -> Evaluation:
        """Check one already parsed record by its ``as_fact_dict()`` dump (scans keep dumps, not models)."""
        return self._evaluate_dump(dump, context, history, as_of)

    def _evaluate(self, model: BaseModel, ctx: Context | None, history: HistoryIndex, as_of: dt.date) -> Evaluation:
        return self._evaluate_dump(model.as_fact_dict(), ctx, history, as_of)  # type: ignore[attr-defined]

    def _evaluate_dump(self, dump: dict, ctx: Context | None, history: HistoryIndex, as_of: dt.date) -> Evaluation:
        kind = dump["kind"]
        errors: list[Violation] = []
        firings = Firings()
        prepared: Prepared | None = None
        if kind in self._by_kind:
            prepared = self.prepare_facts(dump, ctx, history, as_of)
            unread = [p for p in prepared.factset.omitted_texts if p in self._fields_read[kind]]
            if unread:
                errors.append(_engine_error("text_too_long", f"text too long to check reliably: {', '.join(unread)}"))
            try:
                firings = self.match(prepared)
            except EngineError as exc:
                errors.append(_engine_error(exc.code, str(exc)))
        severities = {v.severity for v in errors} | {self._severities[rule_id] for rule_id in firings.rule_ids()}

        def build() -> list[Violation]:
            violations = list(errors)
            if prepared is not None and firings:
                params = self.packs.params_for(prepared.dump.get("branch"))
                violations += [self.report(firing, prepared, params) for firing in distinct(firings)]
            return sort_violations(violations)

        return Evaluation(dump["id"], kind, decide_severities(severities), self.pack_ref, as_of.isoformat(), build)

    def match(self, prepared: Prepared) -> Firings:
        """Stage match: one durable_rules session over the prepared facts (EngineError when it fails)."""
        return self._rete.evaluate(self.ruleset_name(prepared.kind, prepared.dump.get("branch")), prepared.facts)

    def report(self, firing: Firing, prepared: Prepared, params: dict[str, Any]) -> Violation:
        """Stage report: one firing as a Violation with filled messages and its evidence (``violations.py``)."""
        return self._reporter.violation(firing, prepared, params)


@dataclass
class Prepared:
    """One record made ready for the engine (the output of :meth:`Engine.prepare_facts`)."""

    kind: str
    dump: dict
    factset: FactSet
    facts: list[dict]
    aggregates: dict[str, AggregateValue]
    derived: dict[str, Any]
    #: the party network the record was resolved on (SPEC §3.5); windows are keyed on it
    resolver: network.Resolver | None = None


def _engine_error(code: str, detail: str) -> Violation:
    return Violation(
        rule_id=ENGINE_ERROR_RULE, standard="standard_operation", severity="review", finding=error_codes.ENGINE_ERROR,
        message=Text(zh=f"规则引擎未能完成检查（{detail}），须人工复核", en=f"The rule engine could not complete the "
                     f"check ({detail}); manual review required"),
        remediation=Text(zh="提交合规部门人工复核", en="Send the record to compliance for manual review"),
        evidence={"error_code": code, "detail": detail}, source="conduct-check engine")
