"""Load test: drive ``conduct-check serve --workers 2`` at a fixed request rate and report the figures.

Starts its own server on 127.0.0.1 over a fresh SQLite store (or $CONDUCT_DATABASE_URL), sends gift
checks at ``--rate`` requests/s for ``--seconds`` (open loop: a request is due every 1/rate s whatever the
answers, and its latency counts from when it was due, so a server that falls behind shows it), then
prints errors, p50/p99 latency, the rate the server completed, the CPU the server used per request and the
decision-log row count, which must equal the requests acknowledged, and the review cases the load opened
(its gifts include shopping cards and kept gifts, so many decisions need review). Not a test: figures go in
docs/benchmarks.md. Usage::

    .venv/bin/python scripts/load_test.py --rate 200 --seconds 60 --workers 2

``LOAD_TRACE=FILE`` also writes each acknowledged request's due time and latency (seconds), one per line, to
find stalls. The generator is one asyncio loop speaking plain HTTP/1.1 over keep-alive connections (requests are
encoded before the run), so it costs the shared CPUs little next to the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conduct_engine.store import Store  # noqa: E402

FORMS = ["goods", "goods", "goods", "shopping_card", "red_packet", "promotional_item"]
MAX_CONNECTIONS = 256
TIMEOUT_SECONDS = 30.0
IDLE_REUSE_SECONDS = 2.0  # uvicorn closes a keep-alive connection idle for 5 s: never reuse one near that


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _record(i: int) -> dict:
    rnd = random.Random(i)
    return {"id": f"LT-{i}", "kind": "gift", "employee_id": f"E-{rnd.randrange(300)}", "branch": "SH-001",
            "occurred_on": f"2026-{rnd.randint(1, 11):02d}-{rnd.randint(1, 28):02d}", "direction": "received",
            "form": rnd.choice(FORMS), "value_cny": rnd.choice([50, 150, 499, 500, 501, 800, 1200]),
            "disposition": rnd.choice(["kept", "returned", "handed_in"]),
            "counterparty": {"party_id": f"P-{rnd.randrange(50)}", "group_id": f"GRP-{rnd.randrange(40)}",
                             "name": "某公司"}}


def _request(i: int, port: int, secret: str) -> bytes:
    body = json.dumps({"record": _record(i)}, ensure_ascii=False).encode()
    head = (f"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {secret}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> int:
    """Send one request, read one response; returns its status."""
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next((int(v) for k, _, v in (ln.partition(":") for ln in lines[1:]) if k.lower() == "content-length"),
                  None)
    if length is None:
        raise ValueError("response without Content-Length")
    await reader.readexactly(length)
    return status


async def _drive(port: int, payloads: list[bytes], rate: float) -> tuple[list[float], list[str], float, int]:
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
    latencies: list[float] = []
    errors: list[str] = []
    opened = 0
    gate = asyncio.Semaphore(MAX_CONNECTIONS)

    async def one(payload: bytes, due: float) -> None:
        nonlocal opened
        async with gate:
            conn = None
            while idle and conn is None:
                reader, writer, since = idle.pop()
                if reader.at_eof() or time.perf_counter() - since > IDLE_REUSE_SECONDS:
                    writer.close()
                else:
                    conn = (reader, writer)
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                    opened += 1
                status = await asyncio.wait_for(_exchange(*conn, payload), TIMEOUT_SECONDS)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors.append(type(exc).__name__)
                if conn is not None:
                    conn[1].close()
                return
            idle.append((conn[0], conn[1], time.perf_counter()))
            if status == 200:
                latencies.append(time.perf_counter() - due)
                trace.append((due - started, latencies[-1]))
            else:
                errors.append(f"HTTP {status}")

    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    trace: list[tuple[float, float]] = []
    tasks = []
    for i, payload in enumerate(payloads):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(one(payload, due)))
    await asyncio.gather(*tasks)
    done = time.perf_counter() - started
    for _, writer, _ in idle:
        writer.close()
    if os.environ.get("LOAD_TRACE"):
        Path(os.environ["LOAD_TRACE"]).write_text("\n".join(f"{a:.3f} {b:.4f}" for a, b in sorted(trace)))
    return latencies, errors, done, opened


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that are still alive (uvicorn's workers)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(c) for c in children]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, min(len(sorted_values) - 1, int(round(q * len(sorted_values))) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="conduct-load-"))
    env = {**os.environ, "CONDUCT_DATA_DIR": str(data_dir), "CONDUCT_RATE_LIMIT": "10000000"}
    scratch = _scratch_database(os.environ.get("CONDUCT_DATABASE_URL"))
    if scratch:
        env["CONDUCT_DATABASE_URL"] = scratch
    store = Store.open(scratch, data_dir=data_dir)
    secret = store.keys.create("load-test", "submitter")[1]
    port = _free_port()
    server = subprocess.Popen([str(ROOT / ".venv/bin/conduct-check"), "serve", "--port", str(port), "--workers",
                               str(args.workers)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_ready(port)
        total = int(args.rate * args.seconds)
        payloads = [_request(i, port, secret) for i in range(total)]
        cpu_before, gen_before, busy_before = _cpu_seconds(server.pid), time.process_time(), _machine_busy()
        latencies, errors, wall, connections = asyncio.run(_drive(port, payloads, args.rate))
        server_cpu, gen_cpu = _cpu_seconds(server.pid) - cpu_before, time.process_time() - gen_before
        busy_after = _machine_busy()
        machine_busy = (busy_after[0] - busy_before[0]) / max(busy_after[1] - busy_before[1], 1)
        logged = store.log.count(events=False)  # decisions; case events are counted apart
        case_events = store.log.count(events=True)
        cases = store.cases.count()
        chain = store.log.verify()
    finally:
        server.terminate()
        server.wait(timeout=30)
        store.close()
        if scratch:
            _drop_database(scratch)
    latencies.sort()
    figures = {
        "rate_target": args.rate, "seconds": args.seconds, "workers": args.workers, "requests": total,
        "acknowledged": len(latencies), "errors": len(errors), "error_kinds": sorted(set(errors)),
        "completed_rate": round(len(latencies) / wall, 1), "wall_seconds": round(wall, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2) if latencies else None,
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "server_cpu_ms_per_request": round(server_cpu / max(total, 1) * 1000, 2),
        "generator_cpu_ms_per_request": round(gen_cpu / max(total, 1) * 1000, 3),
        "machine_cpu_busy_percent": round(machine_busy * 100, 1), "connections_opened": connections,
        "decision_log_rows": logged, "log_rows_equal_acknowledged": logged == len(latencies),
        "cases_opened": cases, "case_event_rows": case_events,
        "chain_ok": chain.ok, "store": store.db.dialect, "cpus": os.cpu_count(),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0 if figures["errors"] == 0 and figures["log_rows_equal_acknowledged"] and figures["chain_ok"] else 1


def _scratch_database(url: str | None) -> str | None:
    """With a PostgreSQL URL, a fresh database on that server for this run (so the log holds only this run)."""
    if not url or not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    name = f"conduct_load_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready within 60 s")


if __name__ == "__main__":
    raise SystemExit(main())
