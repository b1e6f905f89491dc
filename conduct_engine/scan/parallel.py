"""A scan prepared in parallel: the parent reads rows; the workers parse, validate and route them, then
index each partition as its history and evaluate it.

Stage 1 (``routing.py``): the parent reads every row (a JSON Lines row as its text) and sends chunks to the
workers, which map and validate each row exactly as ``prepare`` does (the reference data's dated fx rates;
the same problems) and say where each valid record goes; the parent takes the chunks back in the order it
sent them, numbers the valid records and appends each record's dump to the spool of its partitions
(``partition.py``); it keeps no record in memory. Stage 2: workers take a partition each, index it as its
history and check its records; their compact rows go to the checkpoint in one transaction per partition.
Both stages run on one pool (each worker builds its engine once). Used whenever the scan's history is the
batch alone (with the store's history, the parent's ``prepare`` computes the windows, as before).

Numbering in the parent keeps every result and id equal to the unpartitioned scan's: a record's position
(its checkpoint key and derived decision id) is its place among the *valid* records in input order, as in
``prepare``, and problems are listed in row order; whether history was available at all
(``requires_history`` windows) is decided on the whole batch, whose earliest records per kind go to every
partition.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from conduct_engine.packs.model import LoadedPacks
from conduct_engine.reports.summary import SummaryFold
from conduct_engine.scan import ScanInputError
from conduct_engine.scan.checkpoint import Checkpoint
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.partition import Router, Spool, router_for
from conduct_engine.scan.prepare import ScanPlan, fingerprint
from conduct_engine.scan.readers import expand
from conduct_engine.scan.routing import chunks
from conduct_engine.scan.runner import ordered, run_partitions, worker_pool
from conduct_engine.scan.worker import PartitionDone, PartitionTask, WorkerConfig, route_rows
from conduct_engine.untrusted import Limits

PARTITIONS_PER_WORKER = 8  # small partitions: bounded worker memory, and the workers stay balanced
PARTITION_BYTES = 8 << 20  # and at most about this much input each: memory stays flat however large the scan


def partition_count(files: list[Path], workers: int) -> int:
    """How many employee partitions: ``PARTITIONS_PER_WORKER`` per worker, more for large inputs (about
    ``PARTITION_BYTES`` of input each; a compressed file counts three times its size)."""
    size = sum(f.stat().st_size * (3 if f.name.lower().endswith(".gz") else 1) for f in files)
    return max(max(1, workers) * PARTITIONS_PER_WORKER, -(-size // PARTITION_BYTES))


def run_partitioned(paths: list[str], *, packs: LoadedPacks, as_of: dt.date, mapping: Mapping | None,
                    mapping_text: str, context: Any, rules_dir: str | None, workers: int, cluster: str | None,
                    store_path: Callable[[str], Path], resume: bool,
                    on_start: Callable[[int, int], None] | None = None,
                    on_progress: Callable[[int], None] | None = None, pool: Any = None
                    ) -> tuple[ScanPlan, Checkpoint, int]:
    """Scan ``paths`` partitioned; returns the plan (its counts filled in), the checkpoint and how many
    results the checkpoint already held. ``pool``: a ``runner.worker_pool`` started before the scan id was
    known (its workers built their engines while this process loaded the packs); else one is started here."""
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
        router = router_for(packs, partition_count(files, workers))
        config = WorkerConfig(rules_dir, context, as_of, plan.scan_id)
        given = nullcontext(pool) if pool is not None and not cluster else worker_pool(config, 1 if cluster else workers)
        with tempfile.TemporaryDirectory(prefix="spool-", dir=path.parent) as tmp, given as pool:
            spool = Spool(Path(tmp), router.partitions)
            routed, earliest = _route(plan, files, mapping, router, spool, done, pool, max(1, workers))
            parts = spool.close()
            checkpoint.put("total", str(routed))
            if on_start:
                on_start(routed, len(done))
            tasks = [PartitionTask(p, str(spool.path(p)), tuple(plan.inputs), mapping, earliest, plan.scan_id)
                     for p in parts]
            seen: dict[int, str] = {}

            plan.fold = SummaryFold()

            def sink(part: PartitionDone) -> None:
                if part.rows:
                    checkpoint.add(part.rows)
                plan.fold.merge(part.fold)
                plan.problems.extend(part.problems)
                plan.record_count += part.records
                seen.update(part.skipped)
                if on_progress:
                    on_progress(len(part.rows))

            plan.record_count = 0
            if cluster:
                from conduct_engine.scan.dask_runner import run_dask_partitions
                run_dask_partitions(cluster, tasks, config, sink)
            else:
                run_partitions(tasks, config, workers, sink, pool)
        if any(seen.get(seq) != key for seq, key in done.items()):
            raise ScanInputError(f"{path}: the checkpoint's records do not match the inputs; delete it to start over")
    except BaseException:
        checkpoint.close()
        raise
    return plan, checkpoint, len(done)


def _keep_earliest(earliest: dict[str, list[tuple[dt.date, str]]], kind: str, item: tuple[dt.date, str]) -> None:
    """Keep the two smallest (day, id) per kind, sorted."""
    first = earliest.get(kind)
    if first is None:
        earliest[kind] = [item]
    elif len(first) < 2 or item < first[1]:
        first[1:] = [item]
        first.sort()


def _route(plan: ScanPlan, files: list[Path], mapping: Mapping, router: Router, spool: Spool, done: dict[int, str],
           pool: Any, workers: int) -> tuple[int, dict[str, list[tuple[str, str]]]]:
    """Read every row here, and have the workers parse, map and validate them as ``prepare`` does
    (``routing.py``); number the valid records in input order and spool each to its partitions. Returns the
    records routed and the batch's two earliest (day, id) per kind."""
    ordinal = 0
    earliest: dict[str, list[tuple[dt.date, str]]] = {}

    def count_row() -> None:
        plan.rows += 1

    tasks = chunks(files, mapping, router.partitions, Limits.load(), count_row)
    for task, outcomes in ordered(pool, route_rows, tasks, in_flight=2 * workers + 1):
        lines: dict[int, list[str]] = defaultdict(list)  # the chunk's spool lines, written once per partition
        evaluated: dict[int, int] = defaultdict(int)
        for problems, routed in outcomes:
            if problems:
                plan.problems += problems
            if routed is None:
                continue
            _keep_earliest(earliest, routed.kind, (routed.day, routed.id))
            home = router.spread(routed.home, ordinal)
            head = f"[{ordinal},"
            lines[home].append(f"{head}{2 if done and ordinal in done else 1},{routed.text}\n")
            evaluated[home] += 1
            for copy in routed.copies:
                if copy != home:
                    lines[copy].append(f"{head}0,{routed.text}\n")
            ordinal += 1
        for partition, written in lines.items():
            spool.add_lines(partition, written, evaluated.get(partition, 0))
        if task.failure is not None:  # after the rows read before it, as in a serial pass
            plan.failures.append(task.failure)
            plan.problems.append(task.failure.as_problem())
    return ordinal, {kind: [(day.isoformat(), rid) for day, rid in sorted(first)] for kind, first in earliest.items()}
