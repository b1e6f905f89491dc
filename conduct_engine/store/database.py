"""The database under the store: one SQLAlchemy engine, its transactions, its writer lock and a short read cache.

SQLite runs in WAL mode: reads start a plain deferred transaction and never wait for a writer, while write
transactions start with ``BEGIN IMMEDIATE`` (after taking the writer lock) so writers queue instead of failing.
Every transaction the store runs is opened here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolProxiedConnection

from conduct_engine.store.writer_lock import WriterLock

#: Per-request lookups (waivers, reference-data version, API keys) are cached this long; a write made through
#: this process's store clears them at once, so only a change made by another worker process can take this long.
READ_CACHE_SECONDS = 1.0
_WRITE = "conduct_write"  # execution option marking a write transaction (BEGIN IMMEDIATE on SQLite)
T = TypeVar("T")


def now() -> dt.datetime:
    """The current time, in UTC (what the store records in its timestamps)."""
    return dt.datetime.now(dt.UTC)


class ReadCache:
    """Values loaded at most once per ``READ_CACHE_SECONDS``; ``clear`` after a write makes it visible at once."""

    def __init__(self, seconds: float = READ_CACHE_SECONDS):
        self.seconds = seconds
        self._values: dict[str, tuple[float, Any]] = {}

    def get(self, key: str, load: Callable[[], T]) -> T:
        """The cached value of ``key``, loading it when missing or older than the cache's lifetime."""
        at = time.monotonic()
        hit = self._values.get(key)
        if hit is None or at - hit[0] > self.seconds:
            hit = (at, load())
            self._values[key] = hit
        return hit[1]

    def clear(self) -> None:
        """Forget every cached value."""
        self._values.clear()


class Database:
    """One database URL: its engine (dialect derived once from the URL), transactions, read cache and migrations."""

    def __init__(self, url: str):
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        # A SQLite file cannot go away under an open connection; a PostgreSQL server can restart.
        self.engine: SAEngine = create_engine(url, future=True, pool_pre_ping=self.dialect != "sqlite")
        self.cache = ReadCache()
        self._writer_lock: WriterLock | None = None
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
            database = self.engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                self._writer_lock = WriterLock(Path(database + "-writer.lock"))

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Connection]:
        """One write transaction (IMMEDIATE on SQLite, so writers queue instead of failing).

        Reads outside it (``read``) start a plain deferred transaction: under WAL they never wait for a writer.
        ``durable=False`` is for counters whose last moments may be lost in a crash (rate windows): the commit
        does not wait for the disk (SQLite ``synchronous=NORMAL`` for this one transaction, PostgreSQL
        ``synchronous_commit off``), a few hundredths of a millisecond instead of a few milliseconds.
        """
        with self.write_turn(), self.write_connection() as conn, self.begun(conn, durable):
            yield conn

    def write_connection(self) -> Connection:
        """A new connection whose transactions are write transactions (see ``transaction`` and ``begun``)."""
        return self.engine.connect().execution_options(**{_WRITE: True})

    @contextmanager
    def begun(self, conn: Connection, durable: bool = True) -> Iterator[Connection]:
        """One write transaction on ``conn`` (from ``write_connection``), the writer lock already held."""
        raw = conn.connection.dbapi_connection if not durable and self.dialect == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA synchronous=NORMAL")  # outside any transaction: it applies to the next one
        try:
            with conn.begin():
                if not durable and self.dialect == "postgresql":
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn
        finally:
            if raw is not None:
                raw.execute("PRAGMA synchronous=FULL")

    def read(self) -> AbstractContextManager[Connection]:
        """A connection for reads (deferred transaction, rolled back on close)."""
        return self.engine.connect()

    @contextmanager
    def read_raw(self) -> Iterator[PoolProxiedConnection]:
        """A pooled driver connection for one prepared read (``Prepared.run``), without the Connection around it:
        the statement is its own read transaction on SQLite; the pool rolls back on PostgreSQL."""
        conn = self.engine.raw_connection()
        try:
            yield conn
        finally:
            conn.close()

    def write_turn(self) -> AbstractContextManager[None]:
        """Hold the writer lock (SQLite: one writer at a time across processes) for a ``begun`` transaction."""
        return self._writer_lock.held() if self._writer_lock is not None else nullcontext()

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
        """Release the writer lock file and the connection pool."""
        if self._writer_lock is not None:
            self._writer_lock.close()
        self.engine.dispose()


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" hook issue BEGIN IMMEDIATE
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged decision survives a crash
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # straight on the driver's connection: through exec_driver_sql it cost as much as the transaction's own statements
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    dbapi.execute("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")
