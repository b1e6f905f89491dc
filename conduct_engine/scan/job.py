"""One scan from inputs to stored results: prepare, resume from the checkpoint, fan out, summarise."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conduct_engine.packs.loader import LoadedPacks, load_packs
from conduct_engine.reports.summary import summarise
from conduct_engine.scan import ScanInputError
from conduct_engine.scan.checkpoint import Checkpoint
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.prepare import ScanPlan, prepare
from conduct_engine.scan.readers import expand
from conduct_engine.scan.runner import chunked, default_workers, run_local
from conduct_engine.scan.worker import Done, WorkerConfig
from conduct_engine.settings import load_settings


def data_dir() -> Path:
    """Where scans keep their state: the settings' ``data_dir`` (``$CONDUCT_DATA_DIR`` or ``./data``)."""
    return load_settings().data_dir


@dataclass
class ScanRun:
    """A finished scan: its plan, its stored results and its summary."""

    plan: ScanPlan
    checkpoint: Checkpoint
    summary: dict[str, Any]
    resumed: int  # results found in the checkpoint


def run_scan(paths: list[str], *, rules_dir: str | None = None, mapping_path: str | None = None,
             context: Any = None, as_of: dt.date, workers: int | None = None, cluster: str | None = None,
             store: Path | None = None, resume: bool = False, stored_history: bool = False,
             store_url: str | None = None, actor: str = "cli", on_start: Callable[[int, int], None] | None = None,
             on_progress: Callable[[int], None] | None = None) -> ScanRun:
    """Scan ``paths``; results go to the checkpoint ``store`` (default: the data dir, by scan id).

    With ``stored_history`` the scan also works with the store: the stored records join the batch's history
    (SPEC §3.4) and every decision is appended to the decision log (channel ``scan``, by ``actor``) before
    its result is checkpointed, so a scan that dies in between logs nothing twice when resumed. The store is the
    one at ``store_url`` (a job passes its app's); None: the one the settings name (the CLI's).
    """
    from conduct_engine.records import parse_context
    expand(paths)  # a missing or unsupported input fails before the packs are loaded
    if context is not None:
        parse_context(context)  # as strict as `check`, and here, before any worker starts (RecordError)
    workers = workers or default_workers()
    pooled = not (stored_history or cluster or workers <= 1)  # a partitioned scan on local workers
    from conduct_engine.scan.runner import worker_pool
    from conduct_engine.scan.worker import WorkerConfig
    # the pool starts now, so its workers build their engines while this process loads the packs
    with worker_pool(WorkerConfig(rules_dir, context, as_of, ""), workers) if pooled else nullcontext() as pool:
        return _run_scan(paths, rules_dir=rules_dir, mapping_path=mapping_path, context=context, as_of=as_of,
                         workers=workers, cluster=cluster, store=store, resume=resume, stored_history=stored_history,
                         store_url=store_url, actor=actor, on_start=on_start, on_progress=on_progress, pool=pool)


def _run_scan(paths: list[str], *, rules_dir: str | None, mapping_path: str | None, context: Any, as_of: dt.date,
              workers: int, cluster: str | None, store: Path | None, resume: bool, stored_history: bool,
              store_url: str | None, actor: str, on_start: Callable[[int, int], None] | None,
              on_progress: Callable[[int], None] | None, pool: Any) -> ScanRun:
    from conduct_engine.engine import default_rules_dir
    packs: LoadedPacks = load_packs(rules_dir or default_rules_dir())
    mapping, mapping_text = None, ""
    if mapping_path:
        mapping = Mapping.load(mapping_path, packs.fx)
        mapping_text = Path(mapping_path).read_text(encoding="utf-8", errors="replace")
    stored, log = None, None
    if stored_history:  # SPEC §3.4: the batch plus what the store holds
        from conduct_engine.store import Store
        log = Store.open(store_url)
        stored = log.register.history
    if stored is None:  # the batch is the whole history: prepare in parallel, partitioned by the windows' keys
        from conduct_engine.scan.parallel import run_partitioned
        plan, checkpoint, resumed = run_partitioned(
            paths, packs=packs, as_of=as_of, mapping=mapping, mapping_text=mapping_text, context=context,
            rules_dir=rules_dir, workers=workers, cluster=cluster, resume=resume, on_start=on_start,
            on_progress=on_progress, store_path=lambda scan_id: store or data_dir() / "scans" / f"{scan_id}.checkpoint",
            pool=pool)
        if checkpoint.count() != plan.record_count:  # pragma: no cover - a runner lost work: never report it done
            raise ScanInputError(f"scan incomplete: {checkpoint.count()} of {plan.record_count} records checked")
        if resumed or plan.fold is None:  # results checked by an earlier run are only in the checkpoint
            summary = summarise(plan.header(), checkpoint.results(), plan.problems, packs.standards)
        else:  # the workers' folds: the same summary without reading every result back
            summary = plan.fold.summary(plan.header(), plan.problems, packs.standards)
        return ScanRun(plan, checkpoint, summary, resumed)
    plan = prepare(paths, packs=packs, as_of=as_of, mapping=mapping, mapping_text=mapping_text, context=context,
                   stored=stored)
    path = store or data_dir() / "scans" / f"{plan.scan_id}.checkpoint"
    checkpoint = Checkpoint(path, plan.scan_id, resume=resume, total=len(plan.items))
    done = checkpoint.done()
    by_seq = {item.seq: item.key for item in plan.items}
    if any(by_seq.get(seq) != key for seq, key in done.items()):
        checkpoint.close()
        raise ScanInputError(f"{path}: the checkpoint's records do not match the inputs; delete it to start over")
    remaining = [item for item in plan.items if item.seq not in done]
    if on_start:
        on_start(len(plan.items), len(done))
    config = WorkerConfig(rules_dir, context, as_of, plan.scan_id)

    items = {item.seq: item for item in plan.items}

    from conduct_engine.cases.sla import CasePolicy
    policy = CasePolicy.of(packs)

    def sink(rows: list[Done]) -> None:
        if log is not None:
            log_decisions(log, rows, items, actor, policy=policy, as_of=as_of)
        checkpoint.add(rows)
        if on_progress:
            on_progress(len(rows))

    chunks = chunked(remaining, workers)
    try:
        if cluster:
            from conduct_engine.scan.dask_runner import run_dask
            run_dask(cluster, chunks, config, sink)
        else:
            run_local(chunks, config, workers, sink)
    finally:
        if log is not None:
            log.close()
    if checkpoint.count() != len(plan.items):  # pragma: no cover - a runner lost work: never report it as done
        raise ScanInputError(f"scan incomplete: {checkpoint.count()} of {len(plan.items)} records checked")
    summary = summarise(plan.header(), checkpoint.results(), plan.problems, packs.standards)
    return ScanRun(plan, checkpoint, summary, len(done))


def log_decisions(store: Any, rows: list[Done], items: dict[int, Any], actor: str, *, policy: Any = None,
                  as_of: dt.date | None = None) -> None:
    """Append a chunk's decisions to the store's decision log, skipping those already there (a resumed
    scan, or the same scan run again: its decision ids are derived from the scan id and record key).

    With a case ``policy`` each new ``review`` or ``block`` decision opens (or updates) its record's case in
    the same transaction, so a resumed scan opens no case twice.
    """
    from conduct_engine.cases.opening import case_inputs
    from conduct_engine.store import Decision, digest
    from conduct_engine.subjects import subject_of
    results = [(seq, json.loads(result)) for seq, _key, result, _meta in rows]
    logged = store.log.logged_ids([r["decision_id"] for _, r in results])
    decisions, shown, dumps = [], [], []
    for seq, result in results:
        if result["decision_id"] in logged:
            continue
        dump = items[seq].model.as_fact_dict()
        decisions.append(Decision(result, actor, "scan", subject_of(dump), digest(dump)))
        shown.append(result)
        dumps.append(dump)
    if decisions:
        cases = (case_inputs(shown, dumps, policy, as_of or dt.date.today(), submitted_by=None, actor=actor)
                 if policy is not None else [])
        store.append([], decisions, actor, cases)
