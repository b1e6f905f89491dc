"""Group commit: concurrent writes share transactions, each caller is answered after the commit, a bad write
fails alone; SQLite reads never wait for a writer; the writer lock excludes other processes."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path

import pytest

from conduct_engine.history import HistoryItem
from conduct_engine.store import Decision, Store, digest
from conduct_engine.store.group_commit import GroupCommitter
from conduct_engine.store.writer_lock import WriterLock

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
    assert store.count_decisions() == 160 and store.count_records() == 160
    assert store.verify_log().ok
    committer = store._committer
    assert committer.items == 160 and committer.batches < 160  # shared transactions, not one per write


def test_a_bad_write_fails_alone(store):
    store.append([], [_decision(1)], "K-1")
    # one batch of three writes, the middle one a duplicate decision id: the batch's transaction fails,
    # then each write is retried alone
    batch = [(_append_of([_record(i)], [_decision(i)]), Future()) for i in (2, 1, 3)]
    store._committer._commit(batch)
    (_, f2), (_, f1), (_, f3) = batch
    assert "unique" in str(f1.exception()).lower()
    assert f2.result() == [2] and f3.result() == [3]
    assert store.count_decisions() == 3 and store.verify_log().ok
    assert {h.id for h in store.history({"gift"}, DAY, DAY)} == {"G-2", "G-3"}  # the failed write kept nothing


def test_same_record_twice_in_one_batch_keeps_the_later(store):
    with store.transaction() as conn:
        store._apply_appends(conn, [
            _append_of([_record(7, 100)], [_decision(70)]), _append_of([_record(7, 900)], [_decision(71)])])
    (item,) = store.history({"gift"}, DAY, DAY)
    assert item.dump["value_cny"] == 900
    assert store.count_decisions() == 2 and store.verify_log().ok


def _append_of(records, decisions):
    from conduct_engine.store import _Append
    return _Append(records, decisions, "K-1")


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


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'conduct.db'}")
    store.append([_record(1)], [_decision(1)], "K-1")
    read: list[int] = []
    with store.transaction():  # a writer holds the database (BEGIN IMMEDIATE) ...
        reader = threading.Thread(target=lambda: read.append(len(store.history({"gift"}, DAY, DAY))))
        reader.start()
        reader.join(timeout=10)  # ... and a read still completes (busy_timeout would make it wait 30 s)
        assert read == [1]
    store.close()


def _hold(path: str, held: multiprocessing.Event, release: multiprocessing.Event) -> None:
    lock = WriterLock(Path(path))
    with lock.held():
        held.set()
        release.wait(timeout=30)


def test_writer_lock_excludes_another_process(tmp_path):
    path = tmp_path / "db-writer.lock"
    ctx = multiprocessing.get_context("spawn")
    held, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold, args=(str(path), held, release))
    child.start()
    assert held.wait(timeout=30)
    got = threading.Event()
    lock = WriterLock(path)

    def take() -> None:
        with lock.held():
            got.set()

    taker = threading.Thread(target=take)
    taker.start()
    assert not got.wait(timeout=0.5)  # the other process holds it
    release.set()
    assert got.wait(timeout=30)  # and it is ours once that process lets go
    taker.join()
    child.join(timeout=30)
    lock.close()
