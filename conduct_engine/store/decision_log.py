"""The decision log: append-only, each entry chained to the previous one by its hash, so tampering shows.

Entries are decisions and review-case events (``event`` names the event; NULL for a decision). An event's
hash also covers its ``event``; a decision's covers exactly what it always did, so old chains still verify.

The chain alone shows an edited, deleted or moved entry, but not entries cut off its end; a head kept
elsewhere as an anchor (``conduct-check audit anchor``) does: ``verify`` then checks the log still reaches it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from conduct_engine.store import schema
from conduct_engine.store.database import Database, now
from conduct_engine.store.prepared import Prepared

GENESIS = "0" * 64
_LOG_LOCK = 7_310_042  # PostgreSQL advisory lock id serialising decision-log appends
# What an entry's hash covers: its content and the previous entry's hash, not its seq. Existing chains were
# hashed over exactly these fields, in this canonical form: changing either breaks every stored chain.
_HASHED = ("decision_id", "logged_at", "actor", "channel", "kind", "record_id", "subject", "input_digest",
           "pack_digest", "decision", "result", "prev_hash")


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    """``sha256:…`` of a value's canonical JSON (inputs and results in the log)."""
    return "sha256:" + hashlib.sha256(_canonical(value).encode()).hexdigest()


def entry_hash(entry: Mapping[Any, Any]) -> str:
    """The hash of a decision-log entry (as stored: ``result`` is its canonical JSON text)."""
    hashed = {k: entry.get(k) for k in _HASHED}
    if entry.get("event") is not None:  # a case event; decisions hash as they did before events existed
        hashed["event"] = entry["event"]
    return hashlib.sha256(_canonical(hashed).encode()).hexdigest()


@dataclass(frozen=True)
class Decision:
    """A decision to append to the log: the result (as JSON-ready dict) and who/what/where it came from."""

    result: dict
    actor: str | None
    channel: str
    subject: str | None
    input_digest: str


@dataclass(frozen=True)
class CaseEvent:
    """A review-case event to append to the log: what happened to which case, by whom (a key name)."""

    event: str
    case_id: str
    actor: str | None
    kind: str
    record_id: str
    subject: str | None
    decision: str
    data: dict = field(default_factory=dict)

    def entry(self) -> dict[str, Any]:
        """The log columns of this event (``decision_id`` is the event's own id, ``channel`` is ``case``)."""
        body = {"case_id": self.case_id, "event": self.event, **self.data}
        return {"decision_id": "CE-" + secrets.token_hex(8), "actor": self.actor, "channel": "case",
                "kind": self.kind, "record_id": self.record_id, "subject": self.subject,
                "input_digest": digest(body), "pack_digest": "-", "decision": self.decision,
                "result": _canonical(body), "event": self.event}


@dataclass(frozen=True)
class LoggedEvent:
    """A case event as ``verify`` lists it."""

    seq: int
    event: str
    case_id: str | None
    actor: str | None
    logged_at: str

    def to_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data."""
        return {"seq": self.seq, "event": self.event, "case_id": self.case_id, "actor": self.actor,
                "logged_at": self.logged_at}


@dataclass(frozen=True)
class LogEntry:
    """A logged decision: its place in the chain and the result (parsed)."""

    seq: int
    decision_id: str
    logged_at: str
    actor: str | None
    channel: str
    kind: str
    record_id: str
    subject: str | None
    input_digest: str
    pack_digest: str
    decision: str
    result: dict
    prev_hash: str
    hash: str
    event: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data, as the API shows it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class LogHead:
    """The chain's head at a moment: keep it outside the database as an anchor for ``verify``."""

    seq: int
    hash: str
    taken_at: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogHead:
        """An anchor read back (``taken_at`` may be missing from one written by hand)."""
        return cls(int(data["seq"]), data["hash"], str(data.get("taken_at", "?")))

    def to_dict(self) -> dict[str, Any]:
        """The head as JSON-ready data (the anchor file's and the API's format)."""
        return {"seq": self.seq, "hash": self.hash, "taken_at": self.taken_at}


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of walking the decision-log chain."""

    ok: bool
    entries: int
    problem: str | None = None
    seq: int | None = None
    events: tuple[LoggedEvent, ...] = ()  # the case events walked, in chain order


class DecisionLog:
    """Appends decisions to the chain, reads them back, and verifies the chain."""

    def __init__(self, db: Database):
        self._db = db

    def append(self, conn: Connection, decisions: Sequence[Decision | CaseEvent]) -> list[int]:
        """Append decisions and case events, in order, in ``conn``'s transaction (serialised: the chain needs
        the last hash)."""
        if not decisions:
            return []
        if self._db.dialect == "postgresql":
            self._lock.run(conn)
        last = self._last_entry_prepared.run(conn)
        seq, prev_hash = last[0] if last else (0, GENESIS)
        rows, seqs = [], []
        for d in decisions:
            if isinstance(d, CaseEvent):
                entry = {**d.entry(), "logged_at": now().isoformat(), "prev_hash": prev_hash}
            else:
                result = d.result
                entry = {"decision_id": result["decision_id"], "logged_at": now().isoformat(), "actor": d.actor,
                         "channel": d.channel, "kind": result["kind"], "record_id": result["record_id"],
                         "subject": d.subject, "input_digest": d.input_digest,
                         "pack_digest": result["pack"]["digest"], "decision": result["decision"],
                         "result": _canonical(result), "prev_hash": prev_hash, "event": None}
            entry["hash"] = prev_hash = entry_hash(entry)
            seq += 1
            rows.append({"seq": seq, **entry})
            seqs.append(seq)
        self._insert.run_many(conn, rows)
        return seqs

    @cached_property
    def _last_entry(self) -> Any:
        t = schema.decision_log
        return select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)

    @cached_property
    def _last_entry_prepared(self) -> Prepared:
        return Prepared(self._last_entry, self._db.engine.dialect)

    @cached_property
    def _insert(self) -> Prepared:
        return Prepared(schema.decision_log.insert(), self._db.engine.dialect, [c.name for c in schema.decision_log.c])

    @cached_property
    def _lock(self) -> Prepared:
        return Prepared(select(func.pg_advisory_xact_lock(_LOG_LOCK)), self._db.engine.dialect)

    def logged_ids(self, decision_ids: list[str]) -> set[str]:
        """Which of these decision ids the log already holds."""
        if not decision_ids:
            return set()
        t = schema.decision_log
        query = select(t.c.decision_id).where(t.c.decision_id.in_(bindparam("ids", expanding=True)))
        with self._db.read() as conn:
            return {row.decision_id for row in conn.execute(query, {"ids": decision_ids})}

    def get(self, decision_id: str) -> LogEntry | None:
        """One logged decision, or None."""
        t = schema.decision_log
        with self._db.read() as conn:
            row = conn.execute(select(t).where(t.c.decision_id == decision_id)).first()
        return _entry(row._mapping) if row else None

    def latest(self, *, actor: str | None = None, limit: int = 100) -> list[LogEntry]:
        """Latest decisions (not case events), newest first (only ``actor``'s when given)."""
        t = schema.decision_log
        query = select(t).where(t.c.event.is_(None)).order_by(t.c.seq.desc()).limit(limit)
        if actor is not None:
            query = query.where(t.c.actor == actor)
        with self._db.read() as conn:
            return [_entry(r._mapping) for r in conn.execute(query)]

    def count(self, *, events: bool | None = None) -> int:
        """How many entries the decision log holds (only case events, or only decisions, on request)."""
        t = schema.decision_log
        query = select(func.count()).select_from(t)
        if events is not None:
            query = query.where(t.c.event.is_not(None) if events else t.c.event.is_(None))
        with self._db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def case_events(self, case_id: str) -> list[LogEntry]:
        """The events logged for one case, oldest first."""
        t = schema.decision_log
        query = select(t).where(t.c.event.is_not(None), t.c.result.like(f'%"case_id":"{case_id}"%')).order_by(t.c.seq)
        with self._db.read() as conn:
            return [e for e in (_entry(r._mapping) for r in conn.execute(query)) if e.result.get("case_id") == case_id]

    def head(self) -> LogHead:
        """The chain's head now (seq 0 and ``GENESIS`` for an empty log)."""
        with self._db.read() as conn:
            last = conn.execute(self._last_entry).first()
        return LogHead(last.seq if last else 0, last.hash if last else GENESIS, now().isoformat(timespec="seconds"))

    def verify(self, anchors: Sequence[LogHead] = ()) -> VerifyReport:
        """Walk the chain: name the first entry edited, deleted, moved, or (given anchors) cut off or rewritten.

        Anchors are earlier heads (see ``head``): the log must still reach each one and match its hash.
        """
        t = schema.decision_log
        wanted = {a.seq for a in anchors}
        seen: dict[int, str] = {}
        last_hash, last_seq, count = GENESIS, 0, 0
        events: list[LoggedEvent] = []
        with self._db.read() as conn:
            for row in conn.execute(select(t).order_by(t.c.seq)):
                entry = row._mapping
                count += 1
                if entry_hash(entry) != entry["hash"]:
                    return VerifyReport(False, count, f"entry {entry['seq']} ({entry['decision_id']}) was edited: "
                                        "its content no longer matches its hash", entry["seq"])
                if entry["prev_hash"] != last_hash:
                    if entry["seq"] != last_seq + 1:
                        problem = f"entry {last_seq + 1} was deleted: entry {entry['seq']} follows entry {last_seq}"
                    else:
                        problem = (f"entry {entry['seq']} ({entry['decision_id']}) is out of order: it does not "
                                   f"follow entry {last_seq}")
                    return VerifyReport(False, count, problem, entry["seq"])
                last_hash, last_seq = entry["hash"], entry["seq"]
                if entry["event"] is not None:
                    events.append(LoggedEvent(last_seq, entry["event"], json.loads(entry["result"]).get("case_id"),
                                              entry["actor"], entry["logged_at"]))
                if last_seq in wanted:
                    seen[last_seq] = last_hash
        for anchor in sorted(anchors, key=lambda a: a.seq):
            seq, taken = anchor.seq, anchor.taken_at
            if seq == 0:
                continue
            if seq > last_seq:
                return VerifyReport(False, count, f"entries {last_seq + 1}–{seq} were removed from the end of the "
                                    f"log: the anchor taken {taken} records entry {seq}, the log now ends at entry "
                                    f"{last_seq}", last_seq + 1)
            if seen.get(seq) != anchor.hash:
                return VerifyReport(False, count, f"entry {seq} no longer matches the anchor taken {taken}: the log "
                                    f"was rewritten up to entry {seq}", seq)
        return VerifyReport(True, count, events=tuple(events))


def _entry(row: Mapping[Any, Any]) -> LogEntry:
    return LogEntry(**{**row, "result": json.loads(row["result"])})
