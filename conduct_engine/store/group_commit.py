"""Group commit: writes queued by many request threads reach the database in as few transactions as possible.

One writer thread per store (per process) takes every write waiting in the queue, applies them together in
one transaction and answers each caller only after that transaction has committed — an acknowledged write is
on disk, and N concurrent requests cost one commit (one fsync on SQLite; one lock, one commit round trip on
PostgreSQL) instead of N. When a batch fails, each of its writes is retried alone, so a bad write fails only
its own caller and never takes the others down with it.

Callers on an asyncio event loop (the API) ``await submit_async(item)``: the request is queued straight from
the loop and answered by one ``call_soon_threadsafe`` per batch and loop, so waiting costs no worker thread, no
thread hop and no condition variable per request. Threads (the CLI, scans) call ``submit``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

log = logging.getLogger("conduct_engine.store")
T = TypeVar("T")
R = TypeVar("R")
_STOP = object()
#: A queued write: the item, and whom to answer — a concurrent Future (a thread waits on it) or an asyncio
#: future with its loop (a coroutine awaits it).
_Entry = tuple[T, Future[R] | asyncio.Future[R], asyncio.AbstractEventLoop | None]


class GroupCommitter(Generic[T, R]):
    """Runs ``apply(conn, items) -> results`` (one result per item, in order) for batches of queued items."""

    def __init__(self, apply: Callable[[Connection, list[T]], list[R]],
                 transaction: Callable[..., AbstractContextManager[Connection]], *, max_batch: int = 256,
                 name: str = "group-commit", durable: Callable[[list[T]], bool] | None = None,
                 linger: float = 0.0):
        """``durable(items)``, when given, decides per batch whether its commit must wait for the disk: the
        transaction is then opened as ``transaction(durable=...)``. ``linger`` (seconds) is how long a batch
        that found more than its first item waiting (a busy writer) waits for more to join it: one transaction's
        statements cost much the same for one item as for several. A lone item never waits."""
        self._apply = apply
        self._linger = linger
        self._transaction = transaction
        self._durable = durable
        self._max_batch = max_batch
        self._name = name
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.batches = 0  # transactions committed (for the figures: items / batches = batch size)
        self.items = 0

    def submit(self, item: T) -> R:
        """Queue ``item`` and wait until it is committed; raises what applying or committing it raised."""
        future: Future[R] = Future()
        self._ensure_thread()
        self._queue.put((item, future, None))
        return future.result()

    async def submit_async(self, item: T) -> R:
        """Queue ``item`` from the running event loop and wait, without blocking it, until it is committed;
        raises what applying or committing it raised."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._ensure_thread()
        self._queue.put((item, future, loop))
        return await future

    @property
    def pending(self) -> int:
        """How many writes are queued, not yet taken by the writer thread (approximate, for figures)."""
        return self._queue.qsize()

    def close(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and self._pid == os.getpid():
            self._queue.put(_STOP)
            thread.join()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._pid == os.getpid():
            return
        with self._lock:  # first use, or first use in a forked child (threads do not survive a fork)
            if self._thread is None or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch, stop = self._take()
            if batch:
                self._commit(batch)
            if stop:
                return

    def _take(self) -> tuple[list[_Entry[T, R]], bool]:
        """Block for the first item, then take whatever else is already waiting (up to ``max_batch``); when
        something was (the writer is busy), also what arrives within ``linger`` seconds of the first."""
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self._linger
        while len(batch) < self._max_batch:
            try:
                left = deadline - time.monotonic() if len(batch) > 1 else 0.0  # an idle writer does not wait
                nxt = self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is _STOP:
                return batch, True  # type: ignore[return-value]
            batch.append(nxt)
        return batch, False  # type: ignore[return-value]

    def _commit(self, batch: list[_Entry[T, R]]) -> None:
        answers: list[tuple[_Entry[T, R], bool, Any]] = []
        self._commit_into(batch, answers)
        _answer(answers)

    def _commit_into(self, batch: list[_Entry[T, R]], answers: list[tuple[_Entry[T, R], bool, Any]]) -> None:
        """Commit ``batch`` (each write alone again when it fails); (entry, committed, result or error) into
        ``answers``, in queue order, none of them given before its transaction is over."""
        try:
            results = self._in_transaction([entry[0] for entry in batch])
        except BaseException as exc:  # noqa: BLE001 - answered below; the writer thread must not die
            if len(batch) == 1:
                answers.append((batch[0], False, exc))
                return
            log.warning("group commit of %d writes failed (%s: %s); retrying each alone", len(batch),
                        type(exc).__name__, exc)
            for entry in batch:
                self._commit_into([entry], answers)
            return
        self.batches += 1
        self.items += len(batch)
        answers.extend((entry, True, result) for entry, result in zip(batch, results, strict=True))

    def _in_transaction(self, items: list[T]) -> list[R]:
        opened = self._transaction() if self._durable is None else self._transaction(durable=self._durable(items))
        with opened as conn:
            results = self._apply(conn, items)
            if len(results) != len(items):  # before the commit: never acknowledge a write that was not applied
                raise RuntimeError(f"apply returned {len(results)} results for {len(items)} items")
        return results


def _answer(answers: list[tuple[_Entry[Any, Any], bool, Any]]) -> None:
    """Answer every waiter: threads at once, coroutines with one callback per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for (_, future, loop), ok, value in answers:
        if loop is None:
            assert isinstance(future, Future)
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        else:
            assert isinstance(future, asyncio.Future)
            by_loop.setdefault(loop, []).append((future, ok, value))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # the loop was closed: nobody is waiting any more
            log.warning("an event loop closed before %d committed writes could be answered", len(settled))


def _settle(settled: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """On the waiters' loop: resolve their futures (one whose request was cancelled is skipped)."""
    for future, ok, value in settled:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
