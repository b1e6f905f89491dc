"""The database: migrations, SQLite reads that never wait for a writer, the writer lock, the read cache."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from conduct_engine.store import Store
from conduct_engine.store.database import ReadCache
from conduct_engine.store.writer_lock import WriterLock
from tests.store.test_group_commit import DAY, _decision, _record


def test_migrate_is_idempotent(store):
    store.migrate()
    assert store.register.count() == 0 and store.log.count() == 0


def test_dialect_is_derived_from_the_url(store):
    assert store.db.dialect == store.db.url.split(":")[0].split("+")[0]


def test_sqlite_reads_do_not_wait_for_a_writer(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'conduct.db'}")
    store.append([_record(1)], [_decision(1)], "K-1")
    read: list[int] = []
    with store.db.transaction():  # a writer holds the database (BEGIN IMMEDIATE) ...
        reader = threading.Thread(target=lambda: read.append(len(store.register.history({"gift"}, DAY, DAY))))
        reader.start()
        reader.join(timeout=10)  # ... and a read still completes (busy_timeout would make it wait 30 s)
        assert read == [1]
    store.close()


def test_read_cache_reloads_after_clear_or_expiry():
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    cache = ReadCache(seconds=60)
    assert (cache.get("k", load), cache.get("k", load)) == (1, 1)  # cached
    cache.clear()
    assert cache.get("k", load) == 2
    stale = ReadCache(seconds=-1)  # every value already expired
    assert (stale.get("k", load), stale.get("k", load)) == (3, 4)


def test_a_write_through_the_store_is_visible_at_once(store):
    assert store.waivers.active() == [] and store.reference.seq() == 0  # both now cached
    store.reference.load({"employees": []})
    store.waivers.add(rule_id="R-1", subject="E-1", reason="r", approver="a", expires_on=DAY)
    assert store.reference.seq() == 1 and len(store.waivers.active()) == 1


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
