"""A scan killed with SIGKILL mid-way and restarted with --resume ends with the output of an
uninterrupted run: no record lost, none duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from .conftest import AS_OF, ROOT, RULES, cli, make_gifts, write_jsonl


def _stored(checkpoint) -> int:
    if not checkpoint.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{checkpoint}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    total = 3000
    src = write_jsonl(tmp_path / "gifts.jsonl", make_gifts(total, seed=11))
    killed_out = tmp_path / "killed.jsonl"
    checkpoint = tmp_path / "killed.jsonl.checkpoint"
    args = ["scan", str(src), "--as-of", AS_OF, "--workers", "1", "--format", "jsonl", "--pack", str(RULES)]
    proc = subprocess.Popen([sys.executable, "-m", "conduct_engine.cli", *args, "--out", str(killed_out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and proc.poll() is None:
        stored = _stored(checkpoint)
        if stored > 0:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the scan finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 0 < _stored(checkpoint) < total and not killed_out.exists()

    resumed = cli(*args, "--out", str(killed_out), "--resume", pack=None)
    assert resumed.returncode == 1, resumed.stderr  # findings: exit 1
    assert "resuming:" in resumed.stderr
    already = int(resumed.stderr.split("resuming: ")[1].split(" of ")[0])
    assert 0 < already < total
    full_out = tmp_path / "full.jsonl"
    full = cli(*args, "--out", str(full_out), pack=None)
    assert full.returncode == 1, full.stderr
    assert killed_out.read_bytes() == full_out.read_bytes()
    lines = killed_out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == total + 1
    ids = [line.split('"record_id":"')[1].split('"')[0] for line in lines[:-1]]
    assert ids == [f"G-{i:05d}" for i in range(total)]  # every record once, in input order
    assert not checkpoint.exists()  # the checkpoint is removed once the report is written


def test_resume_refuses_a_checkpoint_of_other_inputs(tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", make_gifts(30, seed=1))
    out = tmp_path / "o.jsonl"
    from conduct_engine.scan.checkpoint import Checkpoint
    Checkpoint(tmp_path / "o.jsonl.checkpoint", "another-scan", total=1).close()
    result = cli("scan", str(a), "--as-of", AS_OF, "--workers", "1", "--out", str(out), "--resume")
    assert result.returncode == 2 and "belongs to another scan" in result.stderr
