"""The store: record register (history), reference data, waivers, API keys and the decision log.

SQLite (WAL) in the data directory by default; PostgreSQL when ``CONDUCT_DATABASE_URL`` is set.
SQLAlchemy Core; the schema is created and upgraded by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, create_engine, event, func, select, update
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url

from conduct_engine.history import HistoryItem
from conduct_engine.store import schema
from conduct_engine.store.group_commit import GroupCommitter
from conduct_engine.store.writer_lock import WriterLock

GENESIS = "0" * 64
#: Per-request lookups (waivers, reference-data version) are cached this long; a write made through this
#: Store clears them at once, so only a change made by another worker process can take this long to show.
READ_CACHE_SECONDS = 1.0
ROLES = ("submitter", "auditor", "admin")
_LOG_LOCK = 7_310_042  # PostgreSQL advisory lock id serialising decision-log appends
_WRITE = "conduct_write"  # execution option marking a write transaction (BEGIN IMMEDIATE on SQLite)


def default_url(data_dir: str | Path | None = None) -> str:
    """``$CONDUCT_DATABASE_URL``, else a SQLite file in ``$CONDUCT_DATA_DIR`` (default ./data)."""
    url = os.environ.get("CONDUCT_DATABASE_URL")
    if url:
        return url
    directory = Path(data_dir or os.environ.get("CONDUCT_DATA_DIR", "data"))
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(directory / 'conduct.db').resolve()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def digest(value: Any) -> str:
    """``sha256:…`` of a value's canonical JSON (inputs and results in the log)."""
    return "sha256:" + hashlib.sha256(_canonical(value).encode()).hexdigest()


_HASHED = ("decision_id", "logged_at", "actor", "channel", "kind", "record_id", "subject", "input_digest",
           "pack_digest", "decision", "result", "prev_hash")


def entry_hash(entry: dict) -> str:
    """The hash of a decision-log entry: its content and the previous entry's hash (not its seq)."""
    return hashlib.sha256(_canonical({k: entry.get(k) for k in _HASHED}).encode()).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """An authenticated API key."""

    id: str
    name: str
    role: str


@dataclass(frozen=True)
class Decision:
    """A decision to append to the log: the result (as JSON-ready dict) and who/what/where it came from."""

    result: dict
    actor: str | None
    channel: str
    subject: str | None
    input_digest: str


@dataclass(frozen=True)
class _Append:
    records: list[HistoryItem]
    decisions: list[Decision]
    submitted_by: str | None


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of walking the decision-log chain."""

    ok: bool
    entries: int
    problem: str | None = None
    seq: int | None = None


class Store:
    """One database: open, migrate, then read and append."""

    def __init__(self, url: str):
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        # A SQLite file cannot go away under an open connection; a PostgreSQL server can restart.
        self.engine: SAEngine = create_engine(url, future=True, pool_pre_ping=self.dialect != "sqlite")
        self._cache: dict[str, tuple[float, Any]] = {}
        self._writer_lock: WriterLock | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
            database = self.engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                self._writer_lock = WriterLock(Path(database + "-writer.lock"))

    @classmethod
    def open(cls, url: str | None = None, data_dir: str | Path | None = None) -> Store:
        """Open (and migrate) the store at ``url`` or the default location."""
        store = cls(url or default_url(data_dir))
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        from alembic import command
        from alembic.config import Config
        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.transaction() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        """Finish queued writes, then release the connection pool."""
        if "_committer" in self.__dict__:
            self._committer.close()
        if self._writer_lock is not None:
            self._writer_lock.close()
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction (IMMEDIATE on SQLite, so writers queue instead of failing).

        Reads outside it start a plain deferred transaction: under WAL they never wait for a writer.
        """
        with self._write_turn(), self.engine.connect().execution_options(**{_WRITE: True}) as conn, conn.begin():
            yield conn

    def _write_turn(self) -> AbstractContextManager[None]:
        return self._writer_lock.held() if self._writer_lock is not None else nullcontext()

    # ---- records (history) ---------------------------------------------------------------
    def put_records(self, conn: Connection, items: Iterable[HistoryItem], submitted_by: str | None) -> None:
        """Store accepted records (a record sent again under the same kind and id replaces the old one)."""
        rows = self._record_rows(items, submitted_by)
        if rows:
            conn.execute(self._upsert, rows)

    @staticmethod
    def _record_rows(items: Iterable[HistoryItem], submitted_by: str | None) -> list[dict]:
        now = _now()
        return [{"kind": item.kind, "record_id": item.id, "record_date": item.day,
                 "employee_id": item.dump.get("employee_id"), "branch": item.dump.get("branch"),
                 "submitted_by": submitted_by, "data": item.dump, "stored_at": now} for item in items]

    @cached_property
    def _upsert(self) -> Any:
        """INSERT … ON CONFLICT (kind, record_id) DO UPDATE, built once."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(schema.records)
        updated = ("record_date", "employee_id", "branch", "submitted_by", "data", "stored_at")
        return stmt.on_conflict_do_update(index_elements=["kind", "record_id"],
                                          set_={k: stmt.excluded[k] for k in updated})

    def history(self, kinds: set[str], start: dt.date, end: dt.date,
                employees: set[str] | None = None) -> list[HistoryItem]:
        """Stored records of the given kinds dated in ``[start, end]`` (of those employees only, if given)."""
        if not kinds or employees == set():
            return []
        params: dict[str, Any] = {"kinds": sorted(kinds), "start": start, "end": end}
        if employees is not None:
            params["employees"] = sorted(employees)
        with self.engine.connect() as conn:
            rows = conn.execute(self._history_query[employees is not None], params)
            return [HistoryItem(r.kind, r.record_id, r.record_date, r.data) for r in rows]

    @cached_property
    def _history_query(self) -> tuple[Any, Any]:
        """The history SELECT, built once: (any employee, only the given employees)."""
        t = schema.records
        query = select(t.c.kind, t.c.record_id, t.c.record_date, t.c.data).where(
            t.c.kind.in_(bindparam("kinds", expanding=True)), t.c.record_date >= bindparam("start"),
            t.c.record_date <= bindparam("end"))
        return query, query.where(t.c.employee_id.in_(bindparam("employees", expanding=True)))

    def count_records(self) -> int:
        """How many records the register holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.records)).scalar_one())

    # ---- reference data ------------------------------------------------------------------
    def load_reference(self, data: dict, loaded_by: str | None = None) -> int:
        """Store a reference-data load; it is in force from now on. Returns its number."""
        with self.transaction() as conn:
            result = conn.execute(schema.reference_data.insert().values(loaded_at=_now(), loaded_by=loaded_by,
                                                                         data=data))
            key = result.inserted_primary_key
            assert key is not None
        self._cache.clear()
        return int(key[0])

    def reference(self) -> dict | None:
        """The reference data in force (the latest load), or None."""
        return self.reference_version()[1]

    def reference_version(self) -> tuple[int, dict | None]:
        """(load number, data) of the reference data in force; (0, None) before any load."""
        t = schema.reference_data
        with self.engine.connect() as conn:
            seq = conn.execute(select(func.max(t.c.seq))).scalar()
            if seq is None:
                return 0, None
            row = conn.execute(select(t.c.data).where(t.c.seq == seq)).first()
        return int(seq), row.data if row else None

    def reference_seq(self) -> int:
        """The load number of the reference data in force (0 before any load), cached like the waivers."""
        def load() -> int:
            t = schema.reference_data
            with self.engine.connect() as conn:
                return int(conn.execute(select(func.max(t.c.seq))).scalar() or 0)
        return int(self._cached("reference_seq", load))

    # ---- waivers ---------------------------------------------------------------------------
    def add_waiver(self, *, rule_id: str, reason: str, approver: str, expires_on: dt.date,
                   record_id: str | None = None, subject: str | None = None, created_by: str | None = None) -> dict:
        """Record an approved exception for a record or a subject."""
        if not record_id and not subject:
            raise ValueError("a waiver needs a record_id or a subject")
        row = {"id": "W-" + secrets.token_hex(6), "rule_id": rule_id, "record_id": record_id, "subject": subject,
               "reason": reason, "approver": approver, "expires_on": expires_on, "created_at": _now(),
               "created_by": created_by}
        with self.transaction() as conn:
            conn.execute(schema.waivers.insert().values(**row))
        self._cache.clear()
        return self._waiver_out(row)

    def active_waivers(self) -> list[dict]:
        """Waivers in force, cached for up to ``READ_CACHE_SECONDS`` (this process's writes clear it)."""
        return self._cached("waivers", lambda: self.waivers())

    def _cached(self, key: str, load: Any) -> Any:
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is None or now - hit[0] > READ_CACHE_SECONDS:
            hit = (now, load())
            self._cache[key] = hit
        return hit[1]

    def waivers(self, *, include_revoked: bool = False) -> list[dict]:
        """Waivers, newest first."""
        t = schema.waivers
        query = select(t).order_by(t.c.created_at.desc())
        if not include_revoked:
            query = query.where(t.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [self._waiver_out(dict(r._mapping)) for r in conn.execute(query)]

    def revoke_waiver(self, waiver_id: str, revoked_by: str | None = None) -> bool:
        """Revoke a waiver; False if there is no such active waiver."""
        t = schema.waivers
        with self.transaction() as conn:
            result = conn.execute(update(t).where(t.c.id == waiver_id, t.c.revoked_at.is_(None))
                                  .values(revoked_at=_now(), revoked_by=revoked_by))
        self._cache.clear()
        return result.rowcount == 1

    @staticmethod
    def _waiver_out(row: dict) -> dict:
        out = {k: row.get(k) for k in ("id", "rule_id", "record_id", "subject", "reason", "approver", "expires_on",
                                       "created_at", "created_by", "revoked_at")}
        for key in ("expires_on", "created_at", "revoked_at"):
            value = out[key]
            if value is not None:
                out[key] = value.isoformat()
        return out

    # ---- API keys --------------------------------------------------------------------------
    def create_key(self, name: str, role: str) -> tuple[str, str]:
        """Create a key; returns (key id, secret). Only the secret's hash is stored."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        key_id = "K-" + secrets.token_hex(4)
        secret = f"cc_{key_id[2:]}_{secrets.token_urlsafe(24)}"
        with self.transaction() as conn:
            conn.execute(schema.api_keys.insert().values(
                id=key_id, name=name, role=role, key_hash=hashlib.sha256(secret.encode()).hexdigest(),
                created_at=_now()))
        return key_id, secret

    def authenticate(self, secret: str) -> KeyInfo | None:
        """The active key with this secret, or None."""
        t = schema.api_keys
        hashed = hashlib.sha256(secret.encode()).hexdigest()

        def load() -> KeyInfo | None:
            with self.engine.connect() as conn:
                row = conn.execute(select(t.c.id, t.c.name, t.c.role).where(t.c.key_hash == hashed,
                                                                             t.c.revoked_at.is_(None))).first()
            return KeyInfo(row.id, row.name, row.role) if row else None
        return self._cached("key:" + hashed, load)

    def keys(self) -> list[dict]:
        """Every key (never the secret)."""
        t = schema.api_keys
        with self.engine.connect() as conn:
            return [{"id": r.id, "name": r.name, "role": r.role, "created_at": r.created_at.isoformat(),
                     "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None}
                    for r in conn.execute(select(t).order_by(t.c.created_at))]

    def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; False if there is no such active key."""
        t = schema.api_keys
        with self.transaction() as conn:
            result = conn.execute(update(t).where(t.c.id == key_id, t.c.revoked_at.is_(None)).values(revoked_at=_now()))
        self._cache.clear()
        return result.rowcount == 1

    # ---- decision log ----------------------------------------------------------------------
    def log_decision(self, conn: Connection, *, result: dict, actor: str | None, channel: str,
                     subject: str | None, input_digest: str) -> int:
        """Append one decision in ``conn``'s transaction; returns its seq."""
        return self.log_decisions(conn, [Decision(result, actor, channel, subject, input_digest)])[0]

    def log_decisions(self, conn: Connection, decisions: list[Decision]) -> list[int]:
        """Append decisions, in order, in ``conn``'s transaction (serialised: the chain needs the last hash)."""
        if not decisions:
            return []
        if self.dialect == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOG_LOCK})")
        last = conn.execute(self._last_entry).first()
        prev_hash, seq = (last.hash, last.seq) if last else (GENESIS, 0)
        rows, seqs = [], []
        for d in decisions:
            result = d.result
            entry = {"decision_id": result["decision_id"], "logged_at": _now().isoformat(), "actor": d.actor,
                     "channel": d.channel, "kind": result["kind"], "record_id": result["record_id"],
                     "subject": d.subject, "input_digest": d.input_digest, "pack_digest": result["pack"]["digest"],
                     "decision": result["decision"], "result": _canonical(result), "prev_hash": prev_hash}
            entry["hash"] = prev_hash = entry_hash(entry)
            seq += 1
            rows.append({"seq": seq, **entry})
            seqs.append(seq)
        conn.execute(schema.decision_log.insert(), rows)
        return seqs

    def append(self, records: list[HistoryItem], decisions: list[Decision], submitted_by: str | None) -> list[int]:
        """Store records and append their decisions atomically, through group commit; returns the seqs.

        Returns only once the transaction holding them has committed. Concurrent callers share transactions.
        """
        return self._committer.submit(_Append(records, decisions, submitted_by))

    @cached_property
    def _committer(self) -> GroupCommitter[_Append, list[int]]:
        return GroupCommitter(self._apply_appends, self.transaction, name="conduct-store-writer")

    def _apply_appends(self, conn: Connection, appends: list[_Append]) -> list[list[int]]:
        rows: dict[tuple[str, str], dict] = {}  # a record sent twice in one batch: the later one wins, as if in turn
        for a in appends:
            for row in self._record_rows(a.records, a.submitted_by):
                rows[(row["kind"], row["record_id"])] = row
        if rows:
            conn.execute(self._upsert, list(rows.values()))
        seqs = self.log_decisions(conn, [d for a in appends for d in a.decisions])
        out, start = [], 0
        for a in appends:
            out.append(seqs[start:start + len(a.decisions)])
            start += len(a.decisions)
        return out

    @cached_property
    def _last_entry(self) -> Any:
        t = schema.decision_log
        return select(t.c.seq, t.c.hash).order_by(t.c.seq.desc()).limit(1)

    def logged_decision_ids(self, decision_ids: list[str]) -> set[str]:
        """Which of these decision ids the log already holds."""
        if not decision_ids:
            return set()
        t = schema.decision_log
        query = select(t.c.decision_id).where(t.c.decision_id.in_(bindparam("ids", expanding=True)))
        with self.engine.connect() as conn:
            return {row.decision_id for row in conn.execute(query, {"ids": decision_ids})}

    def decision(self, decision_id: str) -> dict | None:
        """One logged decision (its entry, with the result parsed)."""
        t = schema.decision_log
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.decision_id == decision_id)).first()
        return _entry_out(dict(row._mapping)) if row else None

    def decisions(self, *, actor: str | None = None, limit: int = 100) -> list[dict]:
        """Latest decisions, newest first (only ``actor``'s when given)."""
        t = schema.decision_log
        query = select(t).order_by(t.c.seq.desc()).limit(limit)
        if actor is not None:
            query = query.where(t.c.actor == actor)
        with self.engine.connect() as conn:
            return [_entry_out(dict(r._mapping)) for r in conn.execute(query)]

    def count_decisions(self) -> int:
        """How many entries the decision log holds."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.decision_log)).scalar_one())

    def log_head(self) -> dict[str, Any]:
        """The chain's head — ``{"seq", "hash", "taken_at"}`` — to keep outside the database as an anchor.

        The chain alone shows an edited, deleted or moved entry, but not entries cut off its end; an anchor
        kept elsewhere (``conduct-check audit anchor``) does: verify then checks the log still reaches it.
        """
        with self.engine.connect() as conn:
            last = conn.execute(self._last_entry).first()
        return {"seq": last.seq if last else 0, "hash": last.hash if last else GENESIS,
                "taken_at": _now().isoformat(timespec="seconds")}

    def verify_log(self, anchors: list[dict] | None = None) -> VerifyReport:
        """Walk the chain; name the first entry that was edited, deleted or moved, or, given anchors (earlier
        heads, see ``log_head``), the first one the log no longer reaches or matches."""
        t = schema.decision_log
        wanted = {int(a["seq"]) for a in anchors or ()}
        seen: dict[int, str] = {}
        last_hash, last_seq, count = GENESIS, 0, 0
        with self.engine.connect() as conn:
            for row in conn.execute(select(t).order_by(t.c.seq)):
                entry = dict(row._mapping)
                count += 1
                if entry_hash(entry) != entry["hash"]:
                    return VerifyReport(False, count, f"entry {entry['seq']} ({entry['decision_id']}) was edited: "
                                        "its content no longer matches its hash", entry["seq"])
                if entry["prev_hash"] != last_hash:
                    if entry["seq"] != last_seq + 1:
                        problem = (f"entry {last_seq + 1} was deleted: entry {entry['seq']} follows entry {last_seq}")
                    else:
                        problem = (f"entry {entry['seq']} ({entry['decision_id']}) is out of order: it does not "
                                   f"follow entry {last_seq}")
                    return VerifyReport(False, count, problem, entry["seq"])
                last_hash, last_seq = entry["hash"], entry["seq"]
                if last_seq in wanted:
                    seen[last_seq] = last_hash
        for anchor in sorted(anchors or (), key=lambda a: int(a["seq"])):
            seq, taken = int(anchor["seq"]), anchor.get("taken_at", "?")
            if seq == 0:
                continue
            if seq > last_seq:
                return VerifyReport(False, count, f"entries {last_seq + 1}–{seq} were removed from the end of the "
                                    f"log: the anchor taken {taken} records entry {seq}, the log now ends at entry "
                                    f"{last_seq}", last_seq + 1)
            if seen.get(seq) != anchor["hash"]:
                return VerifyReport(False, count, f"entry {seq} no longer matches the anchor taken {taken}: the log "
                                    f"was rewritten up to entry {seq}", seq)
        return VerifyReport(True, count)

    # ---- pack generations ------------------------------------------------------------------
    def pack_generation(self) -> tuple[int, str | None]:
        """The latest pack reload (generation, digest); (0, None) before any reload."""
        t = schema.pack_generations
        with self.engine.connect() as conn:
            row = conn.execute(select(t.c.generation, t.c.digest).order_by(t.c.generation.desc()).limit(1)).first()
        return (row.generation, row.digest) if row else (0, None)

    def bump_pack_generation(self, digest_: str, by: str | None) -> int:
        """Record a reload so every worker process picks it up."""
        t = schema.pack_generations
        with self.transaction() as conn:
            current = conn.execute(select(func.max(t.c.generation))).scalar() or 0
            conn.execute(t.insert().values(generation=current + 1, digest=digest_, reloaded_at=_now(),
                                           reloaded_by=by))
        return current + 1


def _entry_out(entry: dict) -> dict:
    entry = dict(entry)
    entry["result"] = json.loads(entry["result"])
    return entry


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" hook issue BEGIN IMMEDIATE
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged decision survives a crash
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
