"""Guarded appends: a rate-limit turn and the append it admits in one transaction; refused, nothing is stored."""

from __future__ import annotations

import asyncio

from conduct_engine.store import Append, Guarded
from conduct_engine.store.rate_windows import Turn
from tests.store.test_group_commit import _decision, _record


def _guarded(i: int, limit: int = 2, guard_limit: int = 30) -> Guarded:
    return Guarded(Turn("key:K-1", "auth-fail:1.2.3.4", guard_limit), limit,
                   Append([_record(i)], [_decision(i)], "K-1"))


def test_a_batch_applies_turns_first_then_the_appends_their_turns_admit(store):
    with store.db.transaction() as conn:
        answers = store.apply(conn, [_guarded(1), Append([_record(2)], [_decision(2)], "K-1"), _guarded(3),
                                     Turn("key:K-2"), _guarded(4)])
    # K-1's turns count 1, 2, 3: the third is over the limit of 2, so G-4 is not stored
    assert answers == [(1, [1]), [2], (2, [3]), 1, (3, None)]
    assert store.log.count() == 3 and store.log.verify().ok
    assert sorted(d.record_id for d in store.log.latest()) == ["G-1", "G-2", "G-3"]
    assert store.register.count() == 3 and store.limits.count("key:K-1") == 3


def test_a_blocked_address_stores_nothing_and_counts_no_turn(store):
    with store.db.transaction() as conn:
        store.limits.apply(conn, [Turn("auth-fail:1.2.3.4")])
        answers = store.apply(conn, [_guarded(1, guard_limit=1)])
    assert answers == [(None, None)]
    assert store.log.count() == 0 and store.limits.count("key:K-1") == 0


def test_through_the_writer_one_transaction_each(store):
    async def run() -> list:
        return [await store.commit_guarded_async(_guarded(i, limit=3)) for i in range(4)]

    batches = store.committer.batches
    answers = asyncio.run(run())
    assert answers == [(1, [1]), (2, [2]), (3, [3]), (4, None)]
    assert store.committer.batches - batches == 4 and store.log.count() == 3
