"""Load test: drive ``conduct-check serve --workers 2`` at a fixed request rate and report the figures.

Starts its own server on 127.0.0.1 over a fresh SQLite store (or $CONDUCT_DATABASE_URL), sends gift
checks at ``--rate`` requests/s for ``--seconds`` (open loop: a request is due every 1/rate s whatever the
answers), then prints errors, p50/p99 latency and the decision-log row count, which must equal the
requests acknowledged. Not a test: figures go in docs/benchmarks.md. Usage::

    .venv/bin/python scripts/load_test.py --rate 200 --seconds 60 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conduct_engine.store import Store  # noqa: E402

FORMS = ["goods", "goods", "goods", "shopping_card", "red_packet", "promotional_item"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _record(i: int) -> dict:
    rnd = random.Random(i)
    return {"id": f"LT-{i}", "kind": "gift", "employee_id": f"E-{rnd.randrange(300)}", "branch": "SH-001",
            "occurred_on": f"2026-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}", "direction": "received",
            "form": rnd.choice(FORMS), "value_cny": rnd.choice([50, 150, 499, 500, 501, 800, 1200]),
            "disposition": rnd.choice(["kept", "returned", "handed_in"]),
            "counterparty": {"party_id": f"P-{rnd.randrange(50)}", "group_id": f"GRP-{rnd.randrange(40)}",
                             "name": "某公司"}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="conduct-load-"))
    env = {**os.environ, "CONDUCT_DATA_DIR": str(data_dir), "CONDUCT_RATE_LIMIT": "10000000"}
    store = Store.open(data_dir=data_dir)
    secret = store.create_key("load-test", "submitter")[1]
    port = _free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/conduct-check"), "serve", "--port", str(port), "--workers",
                               str(args.workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        local = threading.local()
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(base_url=base, headers={"X-API-Key": secret}, timeout=10)
            start = time.perf_counter()
            try:
                r = client.post("/v1/check", json={"record": _record(i)})
                ok, why = r.status_code == 200, f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                ok, why = False, type(exc).__name__
            elapsed = time.perf_counter() - start
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors.append(why)

        total = int(args.rate * args.seconds)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for i in range(total):
                due = started + i / args.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, i)
        wall = time.perf_counter() - started
        logged = store.count_decisions()
        chain = store.verify_log()
        latencies.sort()
        figures = {
            "rate_target": args.rate, "seconds": args.seconds, "workers": args.workers, "requests": total,
            "acknowledged": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
            "achieved_rate": round(total / wall, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if latencies else None,
            "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
            "decision_log_rows": logged, "log_rows_equal_acknowledged": logged == len(latencies),
            "chain_ok": chain.ok, "store": store.url.split("://")[0], "cpus": os.cpu_count(),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if figures["errors"] == 0 and figures["log_rows_equal_acknowledged"] and figures["chain_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
