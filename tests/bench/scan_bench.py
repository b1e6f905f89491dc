"""Scan throughput: 100,000 generated gift declarations scanned with 1 and 2 workers (``make bench``).

Run with ``.venv/bin/python -m tests.bench.scan_bench [--records N] [--workers 1,2] [--pack DIR] [--json PATH]``.
The records come from the seeded generator of ``run_bench`` (same mix of forms, values, currencies and
giver groups). Each run is a full ``run_scan``: read the JSON Lines file, parse, compute the window
aggregates over the whole batch (the parent's serial stage), fan out to the workers, store every
result in the checkpoint. Reports are not written. A script, not a test: nothing asserts on speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import tempfile
import threading
import time
from pathlib import Path

from conduct_engine.scan.job import run_scan
from tests.bench.machine import python_loop_ns
from tests.bench.run_bench import AS_OF, SEED, iter_gifts


def _tree_rss_kb() -> int:
    """Resident memory of this process and all its descendants now (kB, from /proc)."""
    me = os.getpid()
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [me]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


class PeakRss:
    """Samples the resident memory of the scan (parent + workers) every 0.2 s; ``peak_mb`` after ``stop``."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, _tree_rss_kb())
        return round(self.peak_kb / 1024, 1)


def _one(path: Path, workers: int, folder: Path, pack: str | None) -> dict:
    marks: dict[str, float] = {}
    peak = PeakRss()
    start = time.perf_counter()
    run = run_scan([str(path)], as_of=AS_OF, workers=workers, store=folder / f"w{workers}.checkpoint", rules_dir=pack,
                   on_start=lambda total, done: marks.setdefault("fanout", time.perf_counter()))
    end = time.perf_counter()
    peak_mb = peak.stop()
    records = run.summary["records"]
    run.checkpoint.close(remove=True)
    prepare, evaluate = marks["fanout"] - start, end - marks["fanout"]
    return {"workers": workers, "records": records, "total_s": round(end - start, 2),
            "prepare_s": round(prepare, 2), "evaluate_s": round(evaluate, 2),
            "records_per_s": round(records / (end - start)), "evaluate_records_per_s": round(records / evaluate),
            "decisions": run.summary["decisions"], "peak_rss_mb": peak_mb,
            "parent_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def main() -> None:
    """Generate, scan at each worker count, print a table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--pack", help="rules directory (default: the bundled rules)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "gifts.jsonl"
        with path.open("w", encoding="utf-8") as fh:  # streamed in blocks: a million records never sit in memory
            for gift in iter_gifts(random.Random(SEED), args.records):
                fh.write(json.dumps(gift, ensure_ascii=False) + "\n")
        runs = [_one(path, int(w), folder, args.pack) for w in args.workers.split(",")]
    base = runs[0]["records_per_s"]
    print(f"scan throughput — {args.records:,} gift declarations, as of {AS_OF}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {dt.date.today()}, plain Python {python_loop_ns()} ns per loop iteration")
    print("workers | records/s (total) | total s | routing s | evaluate s | records/s (fan-out stage) | "
          "speed-up vs 1 worker | peak RSS MB (parent + workers) | load average after")
    for r in runs:
        print(f"{r['workers']:>7} | {r['records_per_s']:>17,} | {r['total_s']:>7} | {r['prepare_s']:>9} | "
              f"{r['evaluate_s']:>10} | {r['evaluate_records_per_s']:>25,} | {r['records_per_s'] / base:>19.2f}x | "
              f"{r['peak_rss_mb']:>30,} | {r['load_after']}")
    if len({json.dumps(r["decisions"], sort_keys=True) for r in runs}) != 1:
        raise SystemExit("worker counts disagree on the decisions")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
