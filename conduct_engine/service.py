"""The check service: what one API or CLI check does with the store around the engine.

Stages: parse → reference data (stored, overridden by the request's context) → history from the
register (only the kinds and dates the record's windows need) → evaluate → waivers → in one
transaction, store the record (unless a dry run), append the decision to the log and (unless a dry run)
open or update the review case of a ``review`` or ``block`` decision (SPEC §9).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conduct_engine.cases.opening import case_inputs
from conduct_engine.cases.sla import CasePolicy
from conduct_engine.dates import as_of_date
from conduct_engine.engine import Engine
from conduct_engine.errors import RecordError
from conduct_engine.facts import record_date
from conduct_engine.history import HistoryIndex
from conduct_engine.records import parse_context, registry
from conduct_engine.results import Result
from conduct_engine.store import Append, Decision, Guarded, Store, digest
from conduct_engine.store.rate_windows import Turn
from conduct_engine.subjects import subject_of
from conduct_engine.waivers import apply_waivers

log = logging.getLogger("conduct_engine.decisions")


def mask(value: Any) -> str:
    """Personal data for logs: keep the first character, hide the rest."""
    text = "" if value is None else str(value)
    return text[:1] + "*" * max(len(text) - 1, 2) if text else "-"


def merge_context(stored: dict | None, given: dict | None) -> dict | None:
    """The request's context over the stored reference data (entries with the same id are replaced)."""
    if not stored:
        return given
    if not given:
        return stored
    out = dict(stored)
    for name, items in given.items():
        spec = registry.context_list(name)
        key = spec.key if spec is not None else None
        if key is None or not isinstance(items, list) or not isinstance(stored.get(name), list):
            out[name] = items
            continue
        given_ids = {i.get(key) for i in items if isinstance(i, dict)}
        out[name] = [i for i in stored[name] if i.get(key) not in given_ids] + items
    return out


@contextmanager
def _one_record() -> Iterator[None]:
    """Report a single record's errors without the batch index (``value_cny``, not ``0.value_cny``)."""
    try:
        yield
    except RecordError as exc:
        raise RecordError([{**e, "loc": str(e["loc"]).removeprefix("0.")} for e in exc.errors]) from None


@dataclass(frozen=True)
class Checked:
    """Records decided but not yet stored: their results, fact dicts, and the store write (None without a store)."""

    results: list[Result]
    dumps: list[dict]
    append: Append | None
    actor: str | None
    channel: str
    dry_run: bool


class CheckService:
    """Checks records against the current engine, the stored history and the waivers; logs every decision."""

    def __init__(self, engine: Callable[[], Engine], store: Store | None):
        self._engine = engine
        self.store = store
        self._reference: tuple[int | None, Any] = (None, None)  # (load number, parsed Context)
        self._policy: tuple[str | None, CasePolicy | None] = (None, None)  # (pack digest, its case policy)

    def _case_policy(self, engine: Engine) -> CasePolicy:
        digest_, policy = self._policy
        if policy is None or digest_ != engine.packs.digest:
            policy = CasePolicy.of(engine.packs)
            self._policy = (engine.packs.digest, policy)
        return policy

    def _context(self, given: dict | None, lenient: bool) -> Any:
        if self.store is None:
            return parse_context(given, lenient=lenient) if given is not None else None
        seq = self.store.reference.seq()
        if given is None:  # the stored reference data alone: parse it once per load, not per request
            cached_seq, cached = self._reference
            if cached_seq != seq:
                _, data = self.store.reference.version()
                cached = parse_context(data) if data is not None else None
                self._reference = (seq, cached)
            return cached
        merged = merge_context(self.store.reference.current(), given)
        return parse_context(merged, lenient=lenient) if merged is not None else None

    def check(self, record: Any, *, context: dict | None = None, as_of: dt.date | str | None = None,
              dry_run: bool = False, lenient: bool = False, actor: str | None = None, channel: str = "api",
              actor_name: str | None = None) -> Result:
        """Check one record; store it (unless ``dry_run``) and log the decision."""
        with _one_record():
            return self.check_many([record], context=context, as_of=as_of, dry_run=dry_run, lenient=lenient,
                                   actor=actor, channel=channel, actor_name=actor_name)[0]

    async def check_async(self, record: Any, *, context: dict | None = None, as_of: dt.date | str | None = None,
                          dry_run: bool = False, lenient: bool = False, actor: str | None = None,
                          channel: str = "api", actor_name: str | None = None) -> Result:
        """``check`` from an event loop: evaluated on the loop (one record takes a fraction of a millisecond),
        then the group commit awaited without blocking it."""
        checked = self.decide_one(record, context=context, as_of=as_of, dry_run=dry_run, lenient=lenient,
                                  actor=actor, channel=channel, actor_name=actor_name)
        return (await self.record_async(checked))[0]

    def decide_one(self, record: Any, *, context: dict | None = None, as_of: dt.date | str | None = None,
                   dry_run: bool = False, lenient: bool = False, actor: str | None = None, channel: str = "api",
                   actor_name: str | None = None) -> Checked:
        """:meth:`decide` for one record, its errors reported without the batch index."""
        with _one_record():
            return self.decide([record], context=context, as_of=as_of, dry_run=dry_run, lenient=lenient,
                               actor=actor, channel=channel, actor_name=actor_name)

    def check_many(self, records: list[Any], *, context: dict | None = None, as_of: dt.date | str | None = None,
                   dry_run: bool = False, lenient: bool = False, actor: str | None = None,
                   channel: str = "api", actor_name: str | None = None) -> list[Result]:
        """Check records each on its own against stored history; all are stored and logged together.

        ``actor`` (a key id) is whom the decisions are logged for; ``actor_name`` (its key name, default the
        id) is who the case events name.
        """
        checked = self.decide(records, context=context, as_of=as_of, dry_run=dry_run, lenient=lenient, actor=actor,
                              channel=channel, actor_name=actor_name)
        if checked.append is not None:  # returns once committed (group commit with concurrent requests)
            self._stored().commit(checked.append)
        return self._logged(checked)

    async def record_async(self, checked: Checked) -> list[Result]:
        """Store and log what :meth:`decide` decided, from an event loop: awaits the group commit without
        blocking the loop; returns the results once committed."""
        if checked.append is not None:
            await self._stored().commit_async(checked.append)
        return self._logged(checked)

    async def record_guarded_async(self, checked: Checked, turn: Turn, limit: int
                                   ) -> tuple[int | None, list[Result] | None]:
        """:meth:`record_async` in one transaction with a rate-limit ``turn``: stored and logged only if the turn
        admits it (see ``store.Guarded``); the turn's count, and the results (None when nothing was stored)."""
        assert checked.append is not None  # a service with a store always decides an append
        count, seqs = await self._stored().commit_guarded_async(Guarded(turn, limit, checked.append))
        return count, (self._logged(checked) if seqs is not None else None)

    def decide(self, records: list[Any], *, context: dict | None = None, as_of: dt.date | str | None = None,
               dry_run: bool = False, lenient: bool = False, actor: str | None = None, channel: str = "api",
               actor_name: str | None = None) -> Checked:
        """Parse and evaluate records (reads only); what to store comes back in ``Checked.append``.

        Nothing is stored or logged yet: :meth:`check_many` or :meth:`record_async` does that.
        """
        engine = self._engine()
        ctx = self._context(context, lenient)
        models = engine.parse_all(records, lenient=lenient, context=ctx)  # dated fx_rates of the reference data
        day = as_of_date(as_of)
        waivers = self.store.waivers.active() if self.store else []
        results, dumps = [], []
        for model in models:
            dump = model.as_fact_dict()  # type: ignore[attr-defined]
            history = self._history(engine, dump, day)
            result = engine.evaluate(model, context=ctx, history=history, as_of=day).result()
            results.append(apply_waivers(result, waivers, dump, day))
            dumps.append(dump)
        append = None
        if self.store is not None:
            kept = [] if dry_run else [HistoryIndex.item(m, day) for m in models]
            shown = [result.model_dump(mode="json") for result in results]
            cases = [] if dry_run else case_inputs(shown, dumps, self._case_policy(engine), day, submitted_by=actor,
                                                   actor=actor_name or actor)
            append = Append(kept, [Decision(result, actor, channel + ("-dry-run" if dry_run else ""),
                                            subject_of(dump), digest(dump))
                                   for result, dump in zip(shown, dumps, strict=True)], actor, cases)
        return Checked(results, dumps, append, actor, channel, dry_run)

    def _stored(self) -> Store:
        assert self.store is not None  # only a service with a store decides an append
        return self.store

    @staticmethod
    def _logged(checked: Checked) -> list[Result]:
        """Write the application log's line for each decision (after it is stored); the results."""
        actor, channel, dry_run = checked.actor, checked.channel, checked.dry_run
        for result, dump in zip(checked.results, checked.dumps, strict=True):
            counterparty = dump.get("counterparty") or dump.get("borrower") or {}
            if not isinstance(counterparty, dict):
                counterparty = {}
            fields = {"event": "decision", "decision_id": result.decision_id, "kind": result.kind,
                      "record": mask(result.record_id), "decision": result.decision,
                      "employee": dump.get("employee_id", "-"), "actor": actor or "-", "channel": channel,
                      "dry_run": dry_run, "client": mask(counterparty.get("client_id") or dump.get("client_id")),
                      "name": mask(counterparty.get("name")), "rules": [v.rule_id for v in result.violations],
                      "waived": [v.rule_id for v in result.waived], "pack": result.pack.digest}
            log.info("decision %s %s %s %s employee=%s client=%s name=%s rules=%s", result.decision_id,
                     result.kind, fields["record"], result.decision, fields["employee"], fields["client"],
                     fields["name"], ",".join(fields["rules"]) or "-", extra={"fields": fields})
        return checked.results

    def _history(self, engine: Engine, dump: dict, day: dt.date) -> HistoryIndex:
        if self.store is None:
            return HistoryIndex()
        kinds, before, after = engine.history_needs(dump["kind"])
        if not kinds:
            return HistoryIndex()
        own = record_date(dump["kind"], dump, day)
        register = self.store.register
        return HistoryIndex(register.history(kinds, own - dt.timedelta(days=before), own + dt.timedelta(days=after),
                                             engine.history_employees(dump)), shared=register.shared_rows)
