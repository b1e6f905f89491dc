"""A scan prepared in parallel: read and route rows in the parent, parse + history + evaluate per partition.

The parent reads every row, maps and validates it exactly as ``prepare`` does (the reference data's dated
fx rates; the same problems, in row order) and appends the record's dump to the spool of its partition
(``partition.py``); it keeps no record in memory. Workers take a partition each, index it as its history
and check its records; their compact rows go to the checkpoint in one transaction per partition. Used
whenever the scan's history is the batch alone (with the store's history, the parent's ``prepare`` computes
the windows, as before).

Validating in the parent keeps every result and id equal to the unpartitioned scan's: a record's position
(its checkpoint key and derived decision id) is its place among the *valid* records in input order, as in
``prepare``; and whether history was available at all (``requires_history`` windows) is decided on the
whole batch, whose earliest records per kind go to every partition.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conduct_engine.facts import record_date
from conduct_engine.fx import FxTable
from conduct_engine.packs.model import LoadedPacks
from conduct_engine.records import parse_context
from conduct_engine.scan import ScanInputError
from conduct_engine.scan.checkpoint import Checkpoint
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.partition import Spool, router_for
from conduct_engine.scan.prepare import ScanPlan, fingerprint, valid_rows
from conduct_engine.scan.readers import expand
from conduct_engine.scan.worker import PartitionDone, PartitionTask, WorkerConfig

PARTITIONS_PER_WORKER = 8  # small partitions: bounded worker memory, and the workers stay balanced


def run_partitioned(paths: list[str], *, packs: LoadedPacks, as_of: dt.date, mapping: Mapping | None,
                    mapping_text: str, context: Any, rules_dir: str | None, workers: int, cluster: str | None,
                    store_path: Callable[[str], Path], resume: bool,
                    on_start: Callable[[int, int], None] | None = None,
                    on_progress: Callable[[int], None] | None = None) -> tuple[ScanPlan, Checkpoint, int]:
    """Scan ``paths`` partitioned; returns the plan (its counts filled in), the checkpoint and how many
    results the checkpoint already held."""
    files = expand(paths)
    extra: dict[str, Any] = {"mapping": mapping_text, "context": context, "as_of": as_of.isoformat(),
                             "pack": packs.digest}
    plan = ScanPlan(fingerprint(files, extra), [str(f) for f in files], as_of,
                    {"name": packs.name, "version": packs.version, "digest": packs.digest})
    path = store_path(plan.scan_id)
    checkpoint = Checkpoint(path, plan.scan_id, resume=resume, total=0)
    try:
        done = checkpoint.done()
        mapping = mapping or Mapping.identity_mapping()
        router = router_for(packs, max(1, workers) * PARTITIONS_PER_WORKER)
        with tempfile.TemporaryDirectory(prefix="spool-", dir=path.parent) as tmp:
            spool = Spool(Path(tmp), router.partitions)
            ctx = parse_context(context, lenient=True) if context is not None else None
            routed, earliest = _route(plan, files, packs, FxTable.of(packs.fx, ctx), mapping, router, spool, done)
            parts = spool.close()
            checkpoint.put("total", str(routed))
            if on_start:
                on_start(routed, len(done))
            tasks = [PartitionTask(p, str(spool.path(p)), tuple(plan.inputs), mapping, earliest) for p in parts]
            seen: dict[int, str] = {}

            def sink(part: PartitionDone) -> None:
                if part.rows:
                    checkpoint.add(part.rows)
                plan.problems.extend(part.problems)
                plan.record_count += part.records
                seen.update(part.skipped)
                if on_progress:
                    on_progress(len(part.rows))

            config = WorkerConfig(rules_dir, context, as_of, plan.scan_id)
            plan.record_count = 0
            if cluster:
                from conduct_engine.scan.dask_runner import run_dask_partitions
                run_dask_partitions(cluster, tasks, config, sink)
            else:
                from conduct_engine.scan.runner import run_partitions
                run_partitions(tasks, config, workers, sink)
        if any(seen.get(seq) != key for seq, key in done.items()):
            raise ScanInputError(f"{path}: the checkpoint's records do not match the inputs; delete it to start over")
    except BaseException:
        checkpoint.close()
        raise
    return plan, checkpoint, len(done)


def _route(plan: ScanPlan, files: list[Path], packs: LoadedPacks, rates: FxTable, mapping: Mapping, router: Any,
           spool: Spool, done: dict[int, str]) -> tuple[int, dict[str, list[tuple[str, str]]]]:
    """Read, map and validate every row as ``prepare`` does, and spool each valid record's dump to its
    partitions; returns the records routed and the batch's two earliest (day, id) per kind."""
    ordinal = 0
    earliest: dict[str, list[tuple[dt.date, str]]] = {}
    for source, row, model in valid_rows(files, plan, mapping, packs, rates):
        dump = model.as_fact_dict()  # type: ignore[attr-defined]
        first = earliest.setdefault(dump["kind"], [])
        first.append((record_date(dump["kind"], dump, plan.as_of), dump["id"]))
        if len(first) > 2:
            first.sort()
            del first[2:]
        home, copies = router.routes(dump, ordinal)
        targets = dict.fromkeys(copies, 0)
        targets[home] = 2 if ordinal in done else 1
        spool.add(targets, ordinal, [source, row.number, int(row.tabular), dump])
        ordinal += 1
    return ordinal, {kind: [(day.isoformat(), rid) for day, rid in sorted(first)] for kind, first in earliest.items()}
