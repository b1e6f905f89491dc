"""Hostile input (SPEC §12): helpers to run the CLI in a subprocess under a memory limit and a timeout."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "tests" / "data" / "starter_rules"
AS_OF = "2026-11-30"
MEMORY_LIMIT = 768 << 20  # bytes of address space: a bomb that expands fails here instead of swapping the machine


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def cli(*args: str, tmp: Path, env: dict[str, str] | None = None, pack: bool = True,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``conduct-check ARGS`` in a subprocess with a memory limit, a timeout and a private data dir."""
    full = {**os.environ, "PYTHONUNBUFFERED": "1", "CONDUCT_DATA_DIR": str(tmp / "data"), **(env or {})}
    full.pop("CONDUCT_DATABASE_URL", None)
    extra = ["--pack", str(RULES)] if pack else []
    return subprocess.run([sys.executable, "-m", "conduct_engine.cli", *args, *extra], cwd=ROOT, env=full, text=True,
                          capture_output=True, timeout=timeout, preexec_fn=_limit_memory)


def assert_refused(proc: subprocess.CompletedProcess[str], *expected: str, code: int = 2) -> None:
    """Exit ``code``, every expected text in stderr, and no traceback anywhere."""
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    for text in expected:
        assert text in proc.stderr, (text, proc.stderr)


@pytest.fixture()
def gift() -> dict:
    """A valid received gift that breaks no rule."""
    return {"id": "G-1", "kind": "gift", "employee_id": "E-100", "branch": "SH-001", "occurred_on": "2026-10-10",
            "declared_at": "2026-10-11T09:00:00", "direction": "received", "form": "goods", "value_cny": 150,
            "counterparty": {"party_id": "P-1", "name": "上海某贸易公司", "group_id": "GRP-1"}}


def gift_line(gift: dict, **changes: object) -> str:
    """One JSON line of the gift with changes."""
    return json.dumps({**gift, **changes}, ensure_ascii=False)


def billion_laughs(levels: int = 10) -> str:
    """The classic YAML alias bomb: 10 levels of 9 aliases each expand to 9**10 nodes."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


# ---- a real server: uvicorn in a subprocess under the memory limit, one keep-alive connection per test ----
class LiveServer:
    """``uvicorn --factory api.app:app_factory`` on a free port, with its own data dir, rules copy and keys."""

    def __init__(self, tmp: Path, env: dict[str, str] | None = None, workers: int = 1):
        import shutil
        import socket
        import time

        from conduct_engine.store import Store
        self.tmp = tmp
        self.rules = tmp / "rules"
        shutil.copytree(RULES, self.rules)
        self.imports = tmp / "imports"
        self.imports.mkdir()
        self.log_file = tmp / "app.log"
        self.data = tmp / "data"
        store = Store.open(data_dir=str(self.data))
        self.keys = {role: store.keys.create(f"hostile-{role}", role)[1] for role in ("submitter", "auditor", "admin")}
        store.close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        full = {**os.environ, "PYTHONUNBUFFERED": "1", "CONDUCT_DATA_DIR": str(self.data),
                "CONDUCT_RULES_DIR": str(self.rules), "CONDUCT_SCAN_ROOT": str(self.imports),
                "CONDUCT_LOG_FILE": str(self.log_file), **(env or {})}
        full.pop("CONDUCT_DATABASE_URL", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "api.app:app_factory", "--host",
                                      "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
                                      "--log-level", "warning"], cwd=ROOT, env=full, stdout=subprocess.DEVNULL,
                                     stderr=(tmp / "server.err").open("wb"), preexec_fn=_limit_memory)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                conn = self.connect()
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the server did not come up: " + (tmp / "server.err").read_text(errors="replace"))

    def connect(self):
        """A new HTTP/1.1 connection (kept alive between requests)."""
        import http.client
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def alive(self) -> bool:
        """The server process still runs."""
        return self.proc.poll() is None

    def stop(self) -> None:
        """Stop the server (and its workers)."""
        stop(self.proc, timeout=20)


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = "hostile-boundary-7d1f"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() +
                     value.encode("utf-8", "surrogatepass") + b"\r\n")
    for name, (filename, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode("utf-8", "surrogatepass") + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
