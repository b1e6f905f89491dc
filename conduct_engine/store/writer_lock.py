"""The writer lock of a SQLite store: one writer at a time across threads and processes, without polling.

SQLite's own busy handler makes a blocked writer sleep and retry (1, 2, 5 … 100 ms); under steady load from
several processes one of them can keep losing and wait for seconds. Taking this lock first (a ``flock`` on a
file beside the database, plus a thread lock inside the process) makes blocked writers sleep in the kernel
and wake as soon as the lock is free. The kernel drops the lock of a process that dies.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class WriterLock:
    """``with lock.held(): …`` — exclusive across this process's threads and every process using ``path``."""

    def __init__(self, path: Path):
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block (waiting, asleep, while another thread or process has it)."""
        with self._thread_lock:
            fd = self._file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own (flock is per open file)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        """Close the lock file (the lock is never held between transactions)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
