"""One scan from inputs to stored results: prepare, resume from the checkpoint, fan out, summarise."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
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


def data_dir() -> Path:
    """Where scans keep their state: ``$CONDUCT_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("CONDUCT_DATA_DIR", "data"))


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
             on_start: Callable[[int, int], None] | None = None,
             on_progress: Callable[[int], None] | None = None) -> ScanRun:
    """Scan ``paths``; results go to the checkpoint ``store`` (default: the data dir, by scan id)."""
    from conduct_engine.engine import default_rules_dir
    expand(paths)  # a missing or unsupported input fails before the packs are loaded
    packs: LoadedPacks = load_packs(rules_dir or default_rules_dir())
    mapping, mapping_text = None, ""
    if mapping_path:
        mapping = Mapping.load(mapping_path, packs.fx)
        mapping_text = Path(mapping_path).read_text(encoding="utf-8")
    stored = None
    if stored_history:  # SPEC §3.4: the batch plus what the store holds
        from conduct_engine.store import Store
        stored = Store.open().history
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

    def sink(rows: list[Done]) -> None:
        checkpoint.add(rows)
        if on_progress:
            on_progress(len(rows))

    workers = workers or default_workers()
    chunks = chunked(remaining, workers)
    if cluster:
        from conduct_engine.scan.dask_runner import run_dask
        run_dask(cluster, chunks, config, sink)
    else:
        run_local(chunks, config, workers, sink)
    if checkpoint.count() != len(plan.items):  # pragma: no cover - a runner lost work: never report it as done
        raise ScanInputError(f"scan incomplete: {checkpoint.count()} of {len(plan.items)} records checked")
    summary = summarise(plan.header(), checkpoint.results(), plan.problems, packs.standards)
    return ScanRun(plan, checkpoint, summary, len(done))
