"""Rate windows in the store (SQLite and PostgreSQL): exact counts under concurrency, per window, pruned."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from conduct_engine.store.rate_windows import WINDOW_SECONDS, Turn


def test_hits_count_per_bucket_and_window(store):
    moment = 1_000_000 * WINDOW_SECONDS + 5
    assert [store.limits.hit("key:A", moment) for _ in range(3)] == [1, 2, 3]
    assert store.limits.hit("key:B", moment) == 1
    assert store.limits.count("key:A", moment) == 3 and store.limits.count("key:C", moment) == 0
    assert store.limits.hit("key:A", moment + WINDOW_SECONDS) == 1  # a new window starts from one
    assert store.limits.count("key:A", moment + WINDOW_SECONDS) == 1


def test_concurrent_hits_lose_nothing(store):
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = sorted(pool.map(lambda _: store.limits.hit("key:X"), range(80)))
    assert counts == list(range(1, 81))


def test_old_windows_are_pruned(store):
    base = 2_000_000 * WINDOW_SECONDS
    store.limits.hit("key:A", base)
    store.limits.hit("key:B", base + WINDOW_SECONDS)
    store.limits.hit("key:A", base + 3 * WINDOW_SECONDS)  # opens a window for A: its old ones go
    assert store.limits.count("key:A", base) == 0
    assert store.limits.prune(base + 5 * WINDOW_SECONDS) >= 1
    assert store.limits.count("key:B", base + WINDOW_SECONDS) == 0


def test_turns_in_one_batch_count_exactly_and_respect_their_guard(store):
    moment = 3_000_000 * WINDOW_SECONDS
    fail = Turn("auth-fail:10.0.0.1", "auth-fail:10.0.0.1", 2)
    with store.db.transaction() as conn:
        counts = store.limits.apply(conn, [Turn("key:A"), Turn("key:A"), fail, fail, fail,
                                           Turn("key:A", "auth-fail:10.0.0.1", 2)], moment)
    assert counts == [1, 2, 1, 2, None, None]  # the third failure and the key after it are refused, not counted
    assert store.limits.count("key:A", moment) == 2 and store.limits.count("auth-fail:10.0.0.1", moment) == 2
    assert store.limits.hit("key:A", moment) == 3  # one batch's upsert carried on by the next


def test_concurrent_turns_from_the_event_loop_lose_nothing(store):
    async def run() -> list[int | None]:
        return list(await asyncio.gather(*(store.take_turn(Turn("key:Y")) for _ in range(60))))

    assert sorted(c for c in asyncio.run(run()) if c is not None) == list(range(1, 61))


def test_turns_and_decisions_go_through_the_one_store_writer(store):
    from conduct_engine.store import Append, Decision, digest

    def decision(i: int) -> Decision:
        return Decision({"decision_id": f"D-T{i}", "kind": "gift", "record_id": f"G-T{i}", "decision": "pass",
                         "pack": {"digest": "sha256:abc"}, "violations": []}, "K-1", "api", "E-1", digest(i))

    async def run() -> tuple[list[int | None], list[list[int]]]:
        turns = [store.take_turn(Turn("key:Z")) for _ in range(5)]
        appends = [store.commit_async(Append([], [decision(i)], "K-1")) for i in range(5)]
        answers = await asyncio.gather(*turns, *appends)
        return list(answers[:5]), list(answers[5:])  # type: ignore[arg-type]

    counts, seqs = asyncio.run(run())
    assert sorted(c for c in counts if c is not None) == [1, 2, 3, 4, 5]
    assert sorted(s for one in seqs for s in one) == [1, 2, 3, 4, 5]
    assert store.committer.items == 10 and store.log.verify().ok


def test_a_batch_of_turns_alone_does_not_wait_for_the_disk_and_one_with_decisions_does(store):
    from conduct_engine.store import Append, Decision, digest
    durable = store.committer._durable
    assert durable is not None
    append = Append([], [Decision({"decision_id": "D-1"}, "K-1", "api", None, digest(1))], "K-1")
    assert durable([Turn("key:A"), Turn("key:B")]) is False
    assert durable([Turn("key:A"), append]) is True and durable([append]) is True
