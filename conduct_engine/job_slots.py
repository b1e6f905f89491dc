"""Caps on concurrent background jobs (scans, backtests), per key and in all (SPEC §12), shared by every process.

Each running job holds a slot: a small file ``<folder>/<job id>.json`` naming its owner, its kind and the pid
of its process. Claiming a slot happens under an exclusive ``flock`` on ``<folder>/.lock``, so two API worker
processes cannot both take the last one. A slot whose process is gone (finished, killed, or its server
restarted) is released the next time anyone counts, so a crash never leaks a slot for good.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from conduct_engine import error_codes
from conduct_engine.errors import ConductError


class JobCapError(ConductError):
    """Too many jobs running: for this key, or in all (answered with 429)."""

    code = error_codes.TOO_MANY_JOBS


@dataclass(frozen=True)
class Slot:
    """A job holding a slot."""

    job_id: str
    owner: str
    kind: str
    pid: int


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobSlots:
    """The slots of one data directory: at most ``per_key`` jobs per owner and ``total`` in all."""

    def __init__(self, folder: Path, *, per_key: int, total: int):
        self.folder, self.per_key, self.total = folder, per_key, total

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _live(self) -> list[Slot]:
        """The slots whose process still runs; the others are released."""
        out = []
        for path in self.folder.glob("*.json"):
            try:
                slot = Slot(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                path.unlink(missing_ok=True)
                continue
            if _alive(slot.pid):
                out.append(slot)
            else:
                path.unlink(missing_ok=True)
        return out

    def active(self) -> list[Slot]:
        """The jobs running now."""
        with self._locked():
            return self._live()

    def start(self, owner: str, job_id: str, kind: str, launch: Callable[[], int]) -> int:
        """Run ``launch`` (which starts the job and returns its pid) if a slot is free, and record the slot.

        Raises JobCapError (nothing started) when ``owner`` already runs ``per_key`` jobs or all slots are taken.
        """
        with self._locked():
            live = self._live()
            mine = sum(1 for s in live if s.owner == owner)
            if mine >= self.per_key:
                raise JobCapError(f"this key already runs {mine} job(s), the most allowed per key "
                                  f"(CONDUCT_MAX_JOBS_PER_KEY={self.per_key}); wait for one to finish")
            if len(live) >= self.total:
                raise JobCapError(f"{len(live)} jobs are running, the most allowed in all "
                                  f"(CONDUCT_MAX_JOBS={self.total}); try again later")
            pid = launch()
            slot = {"job_id": job_id, "owner": owner, "kind": kind, "pid": pid}
            (self.folder / f"{job_id}.json").write_text(json.dumps(slot), encoding="utf-8")
            return pid

    def release(self, job_id: str) -> None:
        """Give a finished job's slot back."""
        (self.folder / f"{job_id}.json").unlink(missing_ok=True)
