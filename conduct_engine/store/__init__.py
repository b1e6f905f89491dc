"""The store: record register (history), reference data, waivers, API keys, the decision log, pack generations,
review cases.

SQLite (WAL) in the data directory by default; PostgreSQL when ``CONDUCT_DATABASE_URL`` is set (see
``conduct_engine.settings``). SQLAlchemy Core; the schema is created and upgraded by the Alembic migrations in
``migrations/``. One module per concern, each built on the one ``Database`` (which owns every transaction);
``Store`` opens the database, exposes the concerns as attributes, and does the one thing that spans two of
them: storing records and appending their decisions in one group-committed transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from conduct_engine.history import HistoryItem
from conduct_engine.store.case_rows import Case, CaseInput, CaseQuery, Change, Comment, Finding
from conduct_engine.store.cases import CaseNotFound, Cases
from conduct_engine.store.database import READ_CACHE_SECONDS, Database
from conduct_engine.store.decision_log import (
    GENESIS,
    CaseEvent,
    Decision,
    DecisionLog,
    LogEntry,
    LogHead,
    VerifyReport,
    digest,
    entry_hash,
)
from conduct_engine.store.group_commit import GroupCommitter
from conduct_engine.store.held_connection import HeldConnection
from conduct_engine.store.keys import ROLES, ApiKey, ApiKeys, KeyInfo
from conduct_engine.store.packs import PackGeneration, PackGenerations
from conduct_engine.store.rate_windows import RateWindows, Turn
from conduct_engine.store.reference import ReferenceData, ReferenceVersion
from conduct_engine.store.register import Register
from conduct_engine.store.sessions import MemorySessions, Sessions, SessionStore, UiSession
from conduct_engine.store.waivers import Waiver, Waivers

__all__ = ["GENESIS", "READ_CACHE_SECONDS", "ROLES", "Append", "ApiKey", "Case", "CaseEvent", "CaseInput",
           "CaseNotFound", "CaseQuery", "Change", "Comment", "Decision", "Finding", "Guarded", "KeyInfo", "LogEntry",
           "LogHead", "MemorySessions", "PackGeneration", "ReferenceVersion", "SessionStore", "Store", "UiSession",
           "VerifyReport", "Waiver", "digest", "entry_hash"]


@dataclass(frozen=True)
class Append:
    """One caller's records and their decisions, to store together."""

    records: list[HistoryItem]
    decisions: list[Decision]
    submitted_by: str | None
    cases: list[CaseInput] = field(default_factory=list)  # decisions that open or update a review case


@dataclass(frozen=True)
class Guarded:
    """An append stored only if a rate-limit turn, applied first in the same transaction, is admitted: its
    count is not None (the turn's guard let it through) and at most ``limit``. One transaction for both, where a
    turn then an append would be two."""

    turn: Turn
    limit: int
    append: Append

    def admits(self, count: int | None) -> bool:
        """Whether the turn's ``count`` lets the append be stored."""
        return count is not None and count <= self.limit


#: What the writer answers: a turn's count, an append's seqs, a guarded append's (count, seqs or None)
Answer = list[int] | int | None | tuple[int | None, list[int] | None]
#: How long the store writer lets a batch gather more writes after its first (see ``GroupCommitter``): at 500
#: checks/s on two workers, 2 ms halves the writer thread's CPU for a few ms more latency.
WRITER_LINGER_SECONDS = 0.002


def _holds_an_append(items: list[Append | Turn | Guarded]) -> bool:
    """Whether a batch must reach the disk before it is answered: one holding only rate-limit turns need not (a
    count lost in a crash costs nothing)."""
    return any(not isinstance(i, Turn) for i in items)


class Store:
    """One database and its concerns: ``register``, ``reference``, ``waivers``, ``keys``, ``log``, ``packs``,
    ``cases``, ``sessions`` (the web console's) and ``limits`` (rate windows).

    One writer thread (``committer``) group-commits what the API writes per request: records with their
    decisions and cases (``commit``), and rate-limit turns (``take_turn``), in shared transactions."""

    def __init__(self, url: str):
        # A concern is a module with one class built on the Database; adding one is adding its attribute here.
        self.db = Database(url)
        self.register = Register(self.db)
        self.reference = ReferenceData(self.db)
        self.waivers = Waivers(self.db)
        self.keys = ApiKeys(self.db)
        self.log = DecisionLog(self.db)
        self.packs = PackGenerations(self.db)
        self.sessions = Sessions(self.db)
        self.cases = Cases(self.db, self.log, self.waivers)
        self.limits = RateWindows(self.db)
        #: The writer thread's queue; its ``batches`` and ``items`` count what it committed.
        self._held = HeldConnection(self.db)  # the writer thread's own connection
        self.committer: GroupCommitter[Append | Turn | Guarded, Answer] = GroupCommitter(
            self.apply, self._held.transaction, name="conduct-store-writer", durable=_holds_an_append,
            linger=WRITER_LINGER_SECONDS)

    @classmethod
    def open(cls, url: str | None = None, data_dir: str | Path | None = None) -> Store:
        """Open (and migrate) the store at ``url``, else where the settings say (``data_dir`` overriding theirs)."""
        if url is None:
            from conduct_engine.settings import load_settings
            url = load_settings(data_dir=data_dir).store_url()
        store = cls(url)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        self.db.migrate()

    def close(self) -> None:
        """Finish queued writes, then release the database."""
        self.committer.close()
        self._held.close()
        self.db.close()

    def append(self, records: list[HistoryItem], decisions: list[Decision], submitted_by: str | None,
               cases: list[CaseInput] | None = None) -> list[int]:
        """Store records and append their decisions atomically, through group commit; returns the seqs.

        ``cases`` (decisions needing review) open or update their records' cases in the same transaction, and
        the case events follow the decisions in the log. Returns only once the transaction has committed.
        Concurrent callers share transactions.
        """
        return self.commit(Append(records, decisions, submitted_by, cases or []))

    def commit(self, append: Append) -> list[int]:
        """Store one caller's ``Append`` through group commit (see ``append``); the seqs of its decisions."""
        seqs = self.committer.submit(append)
        assert isinstance(seqs, list)
        return seqs

    async def commit_async(self, append: Append) -> list[int]:
        """``commit`` from an event loop: awaits the group commit without blocking the loop or a worker thread."""
        seqs = await self.committer.submit_async(append)
        assert isinstance(seqs, list)
        return seqs

    async def commit_guarded_async(self, guarded: Guarded) -> tuple[int | None, list[int] | None]:
        """Apply a guarded append (see ``Guarded``) from an event loop: the turn's count, and the seqs of the
        append's decisions (None when the turn did not admit it: nothing of it was stored)."""
        answer = await self.committer.submit_async(guarded)
        assert isinstance(answer, tuple)
        return answer

    async def take_turn(self, turn: Turn) -> int | None:
        """Apply a rate-limit ``turn`` (see ``RateWindows.apply``) from an event loop: group-committed with the
        other writes waiting, so a request's turn and other requests' decisions share one transaction."""
        count = await self.committer.submit_async(turn)
        assert count is None or isinstance(count, int)
        return count

    def apply(self, conn: Connection, items: list[Append | Turn | Guarded]) -> list[Answer]:
        """Apply a batch in ``conn``'s transaction (what the group committer runs): the rate-limit turns (a
        guarded append's too) in order, then the appends (a guarded one only if its turn admits it) in order;
        each item's answer (a turn's count, an append's seqs, a guarded append's count and seqs or None)."""
        turns = [i.turn if isinstance(i, Guarded) else i for i in items if not isinstance(i, Append)]
        counts = iter(self.limits.apply(conn, turns) if turns else [])
        counted = [None if isinstance(i, Append) else next(counts) for i in items]
        stored = [i if isinstance(i, Append) else i.append for i, count in zip(items, counted, strict=True)
                  if isinstance(i, Append) or (isinstance(i, Guarded) and i.admits(count))]
        seqs = iter(self._append(conn, stored) if stored else [])
        answers: list[Answer] = []
        for item, count in zip(items, counted, strict=True):
            if isinstance(item, Turn):
                answers.append(count)
            elif isinstance(item, Append):
                answers.append(next(seqs))
            else:
                answers.append((count, next(seqs) if item.admits(count) else None))
        return answers

    def _append(self, conn: Connection, appends: list[Append]) -> list[list[int]]:
        """Apply appends, in order, in ``conn``'s transaction; their seqs."""
        self.register.put_many(conn, [(a.records, a.submitted_by) for a in appends])
        decisions = [d for a in appends for d in a.decisions]
        events = self.cases.record(conn, [c for a in appends for c in a.cases])
        seqs = self.log.append(conn, [*decisions, *events])[:len(decisions)]  # the case events follow the decisions
        out, start = [], 0
        for a in appends:
            out.append(seqs[start:start + len(a.decisions)])
            start += len(a.decisions)
        return out
