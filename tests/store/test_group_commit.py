"""Group commit: concurrent writes share transactions, each caller is answered after the commit, a bad write
fails alone, and records given twice in one batch keep the later."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conduct_engine.history import HistoryItem
from conduct_engine.store import Append, Decision, digest
from conduct_engine.store.group_commit import GroupCommitter

DAY = dt.date(2026, 5, 1)


def _decision(i: int, actor: str = "K-1") -> Decision:
    result = {"decision_id": f"D-{i}", "kind": "gift", "record_id": f"G-{i}", "decision": "pass",
              "pack": {"digest": "sha256:abc"}, "violations": []}
    return Decision(result, actor, "api", "E-1", digest({"i": i}))


def _record(i: int, value: int = 100) -> HistoryItem:
    return HistoryItem("gift", f"G-{i}", DAY, {"id": f"G-{i}", "kind": "gift", "employee_id": "E-1",
                                              "value_cny": value})


def test_concurrent_appends_all_land_in_fewer_transactions(store):
    barrier = threading.Barrier(16)
    seqs: dict[int, list[int]] = {}

    def one(t: int) -> None:
        barrier.wait()
        for k in range(10):
            i = t * 10 + k
            seqs[i] = store.append([_record(i)], [_decision(i)], "K-1")

    threads = [threading.Thread(target=one, args=(t,)) for t in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(s for v in seqs.values() for s in v) == list(range(1, 161))  # every one, once, in a chain
    assert store.log.count() == 160 and store.register.count() == 160
    assert store.log.verify().ok
    assert store.committer.items == 160 and store.committer.batches < 160  # shared transactions, not one per write


def _wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_bad_write_fails_alone(store, caplog):
    store.append([], [_decision(1)], "K-1")
    # one batch of three writes, the middle one a duplicate decision id: the batch's transaction fails, then
    # each write is retried alone. The writer is held inside a first write's transaction until the three are
    # queued behind it, so that it takes them as one batch.
    entered, release = threading.Event(), threading.Event()

    @contextmanager
    def held_transaction() -> Iterator[Any]:
        with store.db.transaction() as conn:
            if not entered.is_set():
                entered.set()
                assert release.wait(timeout=30)
            yield conn

    committer: GroupCommitter[Append, list[int]] = GroupCommitter(store.apply, held_transaction)
    answers: dict[str, Any] = {}

    def submit(name: str, i: int) -> None:
        try:
            answers[name] = committer.submit(Append([_record(i)], [_decision(i)], "K-1"))
        except Exception as exc:  # noqa: BLE001 - the answer under test
            answers[name] = exc

    threads = [threading.Thread(target=submit, args=("first", 10))]
    threads[0].start()
    assert entered.wait(timeout=30)
    for queued, (name, i) in enumerate([("two", 2), ("dup", 1), ("three", 3)], 1):
        threads.append(threading.Thread(target=submit, args=(name, i)))
        threads[-1].start()
        _wait_for(lambda n=queued: committer.pending == n)  # type: ignore[misc]
    with caplog.at_level(logging.WARNING, logger="conduct_engine.store"):
        release.set()
        for th in threads:
            th.join(timeout=30)
    committer.close()
    assert "group commit of 3 writes failed" in caplog.text  # they were one batch, and it failed
    assert "unique" in str(answers["dup"]).lower()
    assert (answers["first"], answers["two"], answers["three"]) == ([2], [3], [4])
    assert store.log.count() == 4 and store.log.verify().ok
    kept = {h.id for h in store.register.history({"gift"}, DAY, DAY)}
    assert kept == {"G-10", "G-2", "G-3"}  # the failed write kept nothing


def test_same_record_twice_in_one_batch_keeps_the_later(store):
    with store.db.transaction() as conn:
        seqs = store.apply(conn, [Append([_record(7, 100)], [_decision(70)], "K-1"),
                                  Append([_record(7, 900)], [_decision(71)], "K-1")])
    assert seqs == [[1], [2]]
    (item,) = store.register.history({"gift"}, DAY, DAY)
    assert item.dump["value_cny"] == 900
    assert store.log.count() == 2 and store.log.verify().ok


def test_committer_never_acknowledges_a_short_apply():
    committed: list[int] = []

    @contextmanager
    def transaction():
        yield None
        committed.append(1)

    committer: GroupCommitter[int, int] = GroupCommitter(lambda conn, items: items[:-1], transaction)
    with pytest.raises(RuntimeError, match="apply returned 0 results for 1 items"):
        committer.submit(5)
    committer.close()
    assert committed == []
