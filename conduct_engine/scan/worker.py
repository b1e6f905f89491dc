"""What runs on a worker: one Engine per process (built once), evaluating chunks of prepared items."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from conduct_engine.history import AggregateValue, HistoryIndex
from conduct_engine.paths import get_path
from conduct_engine.scan.prepare import WorkItem

Done = tuple[int, str, str, str]  # (seq, key, result JSON, meta JSON)


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to build its engine: rules, reference data, evaluation date, scan id."""

    rules_dir: str | None
    context: Any
    as_of: dt.date
    scan_id: str


class FixedAggregates(HistoryIndex):
    """History reduced to one record's precomputed window aggregates (computed over the whole batch)."""

    def __init__(self, values: dict[str, AggregateValue | None]):
        super().__init__()
        self._values = values

    def aggregate(self, name: str, agg: Any, kind: str, dump: dict, day: dt.date,
                  network: Any = None) -> AggregateValue | None:
        """The value computed before fan-out."""
        return self._values.get(name)


_STATE: dict[str, Any] = {}
_LOCK = threading.Lock()


def init_worker(config: WorkerConfig) -> None:
    """Pool initializer / Dask plugin: build this process's engine and parse the context once."""
    from conduct_engine.engine import Engine
    from conduct_engine.records import parse_context
    with _LOCK:
        if _STATE.get("config") == config:
            return
        same_rules = "engine" in _STATE and _STATE["rules_dir"] == config.rules_dir
        engine = _STATE["engine"] if same_rules else Engine.from_paths(config.rules_dir)
        ctx = parse_context(config.context, lenient=True) if config.context is not None else None
        _STATE.update(config=config, rules_dir=config.rules_dir, engine=engine, context=ctx)


def init_pool_worker(config: WorkerConfig) -> None:
    """Pool initializer: :func:`init_worker`, keeping a failure for the first task to raise. The parent loads
    the same packs and reports a broken one itself; a traceback from every worker would only repeat it."""
    try:
        init_worker(config)
    except Exception as exc:  # noqa: BLE001 - re-raised by the first task (``_ready``)
        _STATE["failure"] = exc


def _ready() -> None:
    """Raise the failure of this worker's initializer, if its engine could not be built."""
    if "engine" not in _STATE and "failure" in _STATE:
        raise _STATE["failure"]


def decision_id(scan_id: str, key: str) -> str:
    """A scan's decision ids are derived, not random: sha256(scan id + record key), so re-runs match."""
    return hashlib.sha256(f"{scan_id}:{key}".encode()).hexdigest()[:32]


def evaluate_chunk(items: list[WorkItem], config: WorkerConfig | None = None) -> list[Done]:
    """Check a chunk of items; the engine is entered by one thread at a time."""
    if config is not None and _STATE.get("config") != config:
        init_worker(config)
    _ready()
    engine, ctx, cfg = _STATE["engine"], _STATE["context"], _STATE["config"]
    out: list[Done] = []
    with _LOCK:
        for item in items:
            result = engine.evaluate(item.model, context=ctx, history=FixedAggregates(item.aggregates), as_of=cfg.as_of)
            result.decision_id = decision_id(cfg.scan_id, item.key)
            out.append((item.seq, item.key, result.model_dump_json(), json.dumps(item.meta, ensure_ascii=False)))
    return out


def route_rows(task: Any, config: WorkerConfig | None = None) -> list[Any]:
    """Stage 1 of a partitioned scan on this worker: one chunk of rows parsed, validated and routed
    (``routing.route_chunk``) with this process's packs and reference data."""
    from conduct_engine.scan.routing import route_chunk
    if config is not None and _STATE.get("config") != config:
        init_worker(config)
    _ready()
    return route_chunk(task, _STATE["engine"].packs, _STATE["context"], _STATE["config"].as_of)


@dataclass(frozen=True)
class PartitionTask:
    """One partition to evaluate: its spool (a path, or its bytes for a remote worker) and how to read it."""

    partition: int
    source: str | bytes
    sources: tuple[str, ...]  # input files, by the index the spool entries carry
    mapping: Any  # the scan's Mapping
    earliest: dict[str, list[tuple[str, str]]]  # the whole batch's two earliest (day, id) per kind
    scan_id: str = ""  # the decision ids' scan (a pool started before the scan id was known has none in its config)


@dataclass
class PartitionDone:
    """What a worker sends back: compact rows for the checkpoint, the rows it could not parse, the records
    it skipped because the checkpoint has them (ordinal, key: the parent checks they still match)."""

    rows: list[Done]
    problems: list[Any]
    skipped: list[tuple[int, str]]
    records: int  # valid records this partition evaluated or skipped
    fold: Any = None  # the summary's counts over the rows evaluated (``reports.summary.SummaryFold``)


def evaluate_partition(task: PartitionTask, config: WorkerConfig | None = None) -> PartitionDone:
    """Index one partition's (already validated) records as its history, and check those it evaluates (in
    input order; each result depends on the history alone, so the order does not change any result)."""
    from conduct_engine.facts import record_date
    from conduct_engine.history import HistoryItem
    from conduct_engine.scan.partition import read_spool
    if config is not None and _STATE.get("config") != config:
        init_worker(config)
    _ready()
    engine, ctx, cfg = _STATE["engine"], _STATE["context"], _STATE["config"]
    todo: list[tuple[int, str, int, dict, HistoryItem]] = []
    history: list[HistoryItem] = []
    from conduct_engine.reports.summary import SummaryFold
    out = PartitionDone([], [], [], 0, SummaryFold())
    for ordinal, evaluate, source, number, _tabular, dump in read_spool(task.source):
        item = HistoryItem(dump["kind"], dump["id"], record_date(dump["kind"], dump, cfg.as_of), dump)
        history.append(item)
        if evaluate == 1:
            todo.append((ordinal, task.sources[source], number, dump, item))
        elif evaluate == 2:  # already in the checkpoint
            out.records += 1
            out.skipped.append((ordinal, f"{ordinal}:{item.kind}:{item.id}"))
    index = HistoryIndex(history)
    index.set_earliest({kind: [(dt.date.fromisoformat(day), rid) for day, rid in first]
                        for kind, first in task.earliest.items()})
    with _LOCK:
        for ordinal, source_name, number, dump, item in todo:
            key = f"{ordinal}:{item.kind}:{item.id}"
            result = engine.evaluate_dump(dump, context=ctx, history=index, as_of=cfg.as_of)
            result.decision_id = decision_id(task.scan_id or cfg.scan_id, key)
            employee = dump.get("employee_id") or get_path(dump, "team.lead_investigator")
            meta = {"source": source_name, "row": number, "kind": item.kind, "id": item.id,
                    "branch": dump.get("branch"), "employee_id": employee, "date": item.day.isoformat()}
            out.rows.append((ordinal, key, result.model_dump_json(), json.dumps(meta, ensure_ascii=False)))
            out.fold.add(ordinal, result.decision, item.kind,
                         [(v.standard, v.severity, v.rule_id, v.source, v.remediation.en, v.remediation.zh)
                          for v in result.violations], meta)
    out.records += len(todo)
    return out
