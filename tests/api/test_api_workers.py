"""A listening socket per worker: ``serve --workers N`` gives each worker its own, and connections spread."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conduct_engine.cli.workers import listening_sockets
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT balancing is Linux's")


def _accept_all(server: socket.socket) -> int:
    accepted = 0
    while select.select([server], [], [], 0.2)[0]:
        conn, _ = server.accept()
        conn.close()
        accepted += 1
    return accepted


def test_the_sockets_share_one_port_and_the_kernel_spreads_connections():
    sockets = listening_sockets("127.0.0.1", 0, 2)
    try:
        port = sockets[0].getsockname()[1]
        assert port != 0 and sockets[1].getsockname()[1] == port
        for s in sockets:
            s.listen(128)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
        counts = [_accept_all(s) for s in sockets]
        for c in clients:
            c.close()
    finally:
        for s in sockets:
            s.close()
    assert sum(counts) == 64 and min(counts) >= 12  # by hash: about half each, never all on one


def _sockets(pid: int, port: int, state: str) -> set[str]:
    """The inodes of the TCP sockets on local ``port`` in ``state`` (01 established, 0A listening) ``pid`` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state and fields[9] in inodes:
            found.add(fields[9])
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_with_two_workers_gives_each_worker_connections():
    port = _free_port()
    env = {**os.environ, "CONDUCT_DATA_DIR": tempfile.mkdtemp()}
    env.pop("CONDUCT_DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "conduct_engine.cli", "serve", "--port", str(port), "--workers",
                               "2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    clients: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, "the server did not come up"
            try:
                probe = socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                time.sleep(0.2)
                continue
            probe.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            ok = probe.recv(64).startswith(b"HTTP/1.1 200")
            probe.close()
            workers = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
            if ok and len(workers) >= 2:
                break
            time.sleep(0.2)
        for _ in range(32):  # keep-alive connections, each answered once and kept open
            c = socket.create_connection(("127.0.0.1", port), timeout=10)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.recv(256).startswith(b"HTTP/1.1 200")
            clients.append(c)
        workers = [pid for pid in workers if _sockets(pid, port, "0A")]  # not uvicorn's resource tracker
        listening = [_sockets(pid, port, "0A") for pid in workers]
        assert len(workers) == 2 and len(listening[0] | listening[1]) == 2  # a listening socket each
        served = [len(_sockets(pid, port, "01")) for pid in workers]
        assert sum(served) == 32 and min(served) >= 6, served
    finally:
        for c in clients:
            c.close()
        stop(server, timeout=30)
