"""Instructions per record, counted by valgrind's callgrind: engine, engine with output, and raw durable_rules.

Run with ``.venv/bin/python -m tests.bench.instructions [--records N] [--json PATH]`` (needs ``valgrind``).

Wall-clock ratios move with the machine: the same code gave engine ÷ raw 0.13–0.24 for gifts on machines of this
kind, because the Python stages run at far fewer instructions per cycle than the C engine, and how far depends on
the machine's caches and its neighbours. An instruction count does not: it is the same for the same code, inputs
and Python hash seed, whatever else runs. So this script counts, for the records of ``run_bench``'s workloads (whole
live pack), the instructions of ``Engine.evaluate``, of ``Engine.evaluate(...).model_dump_json()`` and of the
minimal durable_rules session of ``raw.py`` — each side in its own process under callgrind, instrumentation switched
on (``callgrind_control -i on``) only around the measured loop, after a warm-up over every record — and reports them
per record, with engine ÷ raw as a ratio of instructions. A companion to ``run_bench``'s timings, not a substitute:
nothing here is a time. Two sides run at once (a count does not depend on the load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

WORKLOADS = ("gift", "loan_file")
SIDES = ("engine", "output", "raw")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def child(workload: str, side: str, records: int) -> int:
    """In the process callgrind runs: warm up, then switch instrumentation on around ``records`` evaluations."""
    from conduct_engine.engine import Engine
    from tests.bench import run_bench as rb
    from tests.bench.raw import raw_fn

    engine = Engine.from_paths()
    wl = {w.name: w for w in rb.build_workloads(engine, 0.1)}[workload]
    sample = wl.records[:records]
    if side == "raw":
        fn, prepare = raw_fn(engine, wl.context, wl.history, rb.AS_OF)
        for record in wl.records:
            prepare(record)
    elif side == "output":
        def fn(record: dict) -> Any:
            return wl.engine_fn(record).model_dump_json()
    else:
        fn = wl.engine_fn
    for record in wl.records:  # warm-up: every record once (caches of the engine, window key rows)
        fn(record)
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for record in sample:
        fn(record)
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
    print(json.dumps({"records": len(sample)}))
    return 0


def count(workload: str, side: str, records: int) -> dict[str, Any]:
    """Run one side under callgrind; its instructions per record."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={Path(tmp) / 'cg.out'}",
             sys.executable, "-m", "tests.bench.instructions", "--child", workload, side, str(records)],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=False)
    found = _COLLECTED.search(proc.stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"{workload}/{side}: callgrind run failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    measured = json.loads(proc.stdout.strip().splitlines()[-1])["records"]
    return {"workload": workload, "side": side, "records": measured,
            "instructions_per_record": int(found.group(1)) // measured}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100, help="records measured per workload (default 100)")
    parser.add_argument("--json", metavar="PATH", help="also write the counts to PATH as JSON")
    parser.add_argument("--child", nargs=3, metavar=("WORKLOAD", "SIDE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload, side, n = args.child
        return child(workload, side, int(n))
    missing = [tool for tool in ("valgrind", "callgrind_control") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)} (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    jobs = [(w, s) for w in WORKLOADS for s in SIDES]
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(lambda job: count(job[0], job[1], args.records), jobs))
    per = {(r["workload"], r["side"]): r["instructions_per_record"] for r in rows}
    print("instructions per record (callgrind, PYTHONHASHSEED=0, whole live pack, records of run_bench --quick):")
    print(f"{'workload':10} | {'records':>7} | {'engine':>12} | {'engine+output':>13} | {'raw':>12} | "
          f"{'engine ÷ raw':>12} | {'(engine+output) ÷ raw':>21}")
    for w in WORKLOADS:
        engine, output, raw = per[(w, "engine")], per[(w, "output")], per[(w, "raw")]
        n = next(r["records"] for r in rows if r["workload"] == w)
        print(f"{w:10} | {n:>7} | {engine:>12,} | {output:>13,} | {raw:>12,} | {raw / engine:>12.2f} | "
              f"{raw / output:>21.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
        print(f"counts written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
