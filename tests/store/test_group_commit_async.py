"""Group commit from an event loop (``submit_async``): answered on the loop only after the commit; a failed
commit fails every request of its batch and acknowledges none; a cancelled waiter does not stop the writer."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conduct_engine.store.group_commit import GroupCommitter


class _Held:
    """A transaction that holds the writer inside the first batch until released, so the next writes queue
    behind it and are taken as one batch; it counts the transactions that committed."""

    def __init__(self, fail: bool = False):
        self.entered, self.release = threading.Event(), threading.Event()
        self.fail = fail
        self.committed: list[int] = []

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        if not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(timeout=30)
        yield None
        if self.fail:
            raise OSError("disk full")  # the commit itself fails
        self.committed.append(1)


async def _queue_one_batch(committer: GroupCommitter[int, int], held: _Held, items: list[int]) -> list[Any]:
    """Submit ``items[0]`` (which holds the writer), then the others, then release; every answer or error."""
    first = asyncio.ensure_future(committer.submit_async(items[0]))
    assert await asyncio.to_thread(held.entered.wait, 30)
    rest = [asyncio.ensure_future(committer.submit_async(i)) for i in items[1:]]
    await asyncio.sleep(0)  # let them queue
    deadline = time.monotonic() + 30
    while committer.pending < len(rest):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    held.release.set()
    return await asyncio.gather(first, *rest, return_exceptions=True)


def test_async_writes_are_answered_on_the_loop_after_their_commit():
    held = _Held()
    committer: GroupCommitter[int, int] = GroupCommitter(lambda conn, items: [i * 10 for i in items], held.transaction)
    answers = asyncio.run(_queue_one_batch(committer, held, [1, 2, 3, 4]))
    committer.close()
    assert answers == [10, 20, 30, 40]
    assert committer.items == 4 and committer.batches == 2  # the held first write, then the three together


def test_a_failed_commit_fails_every_request_of_its_batch_and_acknowledges_none():
    held = _Held(fail=True)
    committer: GroupCommitter[int, int] = GroupCommitter(lambda conn, items: list(items), held.transaction)
    answers = asyncio.run(_queue_one_batch(committer, held, [1, 2, 3, 4]))
    committer.close()
    assert [type(a) for a in answers] == [OSError] * 4 and all(str(a) == "disk full" for a in answers)
    assert held.committed == [] and committer.items == 0


def test_a_bad_write_in_an_async_batch_fails_alone():
    held = _Held()

    def apply(conn: Any, items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("unlucky")
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(apply, held.transaction)
    answers = asyncio.run(_queue_one_batch(committer, held, [1, 2, 13, 3]))
    committer.close()
    assert answers[:2] == [1, 2] and answers[3] == 3
    assert isinstance(answers[2], ValueError)


def test_a_cancelled_waiter_is_skipped_and_the_writer_goes_on():
    held = _Held()
    committer: GroupCommitter[int, int] = GroupCommitter(lambda conn, items: list(items), held.transaction)

    async def run() -> tuple[Any, int]:
        first = asyncio.ensure_future(committer.submit_async(1))
        assert await asyncio.to_thread(held.entered.wait, 30)
        gone = asyncio.ensure_future(committer.submit_async(2))
        await asyncio.sleep(0.05)
        gone.cancel()  # the client went away while its write was queued
        held.release.set()
        answer = await first
        with pytest.raises(asyncio.CancelledError):
            await gone
        return answer, await committer.submit_async(3)

    assert asyncio.run(run()) == (1, 3)
    committer.close()
    assert committer.items == 3  # the cancelled request's write was still committed (just not answered)


def test_threads_and_the_loop_share_batches():
    held = _Held()
    held.release.set()  # nothing held
    committer: GroupCommitter[int, int] = GroupCommitter(lambda conn, items: list(items), held.transaction)
    committer.submit(0)

    async def run() -> list[int]:
        from_threads = [asyncio.to_thread(committer.submit, i) for i in range(1, 20)]
        from_loop = [committer.submit_async(i) for i in range(20, 40)]
        return list(await asyncio.gather(*from_threads, *from_loop))

    assert asyncio.run(run()) == list(range(1, 40))
    committer.close()
    assert committer.items == 40


def test_a_busy_batch_lingers_for_writes_that_arrive_soon_after_and_a_lone_write_does_not_wait():
    held = _Held()
    batches: list[list[int]] = []

    def apply(conn: Any, items: list[int]) -> list[int]:
        batches.append(list(items))
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(apply, held.transaction, linger=0.5)

    async def run() -> tuple[list[int], float]:
        first = asyncio.ensure_future(committer.submit_async(1))  # holds the writer
        assert await asyncio.to_thread(held.entered.wait, 30)
        queued = [asyncio.ensure_future(committer.submit_async(i)) for i in (2, 3)]
        while committer.pending < 2:
            await asyncio.sleep(0.01)
        held.release.set()  # the writer finds 2 and 3 waiting: busy, so it lingers ...
        await asyncio.sleep(0.1)
        late = asyncio.ensure_future(committer.submit_async(4))  # ... and 4 joins them
        answers = list(await asyncio.gather(first, *queued, late))
        started = time.monotonic()
        answers.append(await committer.submit_async(5))  # alone: committed at once
        return answers, time.monotonic() - started

    answers, lone = asyncio.run(run())
    committer.close()
    assert answers == [1, 2, 3, 4, 5] and batches == [[1], [2, 3, 4], [5]]
    assert lone < 0.4
