"""What runs on a worker: one Engine per process (built once), evaluating chunks of prepared items."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from conduct_engine.history import AggregateValue, HistoryIndex
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


def decision_id(scan_id: str, key: str) -> str:
    """A scan's decision ids are derived, not random: sha256(scan id + record key), so re-runs match."""
    return hashlib.sha256(f"{scan_id}:{key}".encode()).hexdigest()[:32]


def evaluate_chunk(items: list[WorkItem], config: WorkerConfig | None = None) -> list[Done]:
    """Check a chunk of items; the engine is entered by one thread at a time."""
    if config is not None and _STATE.get("config") != config:
        init_worker(config)
    engine, ctx, cfg = _STATE["engine"], _STATE["context"], _STATE["config"]
    out: list[Done] = []
    with _LOCK:
        for item in items:
            result = engine.evaluate(item.model, context=ctx, history=FixedAggregates(item.aggregates), as_of=cfg.as_of)
            result.decision_id = decision_id(cfg.scan_id, item.key)
            out.append((item.seq, item.key, result.model_dump_json(), json.dumps(item.meta, ensure_ascii=False)))
    return out
