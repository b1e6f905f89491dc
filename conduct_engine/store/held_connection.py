"""The group committer's connection: one write connection kept open by the thread that writes all the time.

Its transactions skip what a connection from the pool costs each time (check-out, the reset on check-in, the
Connection object): about a tenth of a millisecond per transaction, two transactions per checked request. A
transaction that fails drops the connection (the next one opens a fresh one: a PostgreSQL server may have
restarted under it), and a forked child never uses its parent's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from conduct_engine.store.database import Database


class HeldConnection:
    """``with held.transaction(durable) as conn: …`` — a write transaction on the connection kept open.

    For one thread at a time (the group committer's writer thread).
    """

    def __init__(self, db: Database):
        self._db = db
        self._conn: Connection | None = None
        self._pid = 0

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Connection]:
        """One write transaction, as ``Database.transaction`` runs it, on the held connection."""
        with self._db.write_turn():
            conn = self._connection()
            try:
                with self._db.begun(conn, durable):
                    yield conn
            except BaseException:
                self.close()
                raise

    def _connection(self) -> Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn = self._db.write_connection()
            self._pid = os.getpid()
        return self._conn

    def close(self) -> None:
        """Give the connection back (a new one is opened by the next transaction)."""
        conn, self._conn = self._conn, None
        if conn is not None and self._pid == os.getpid():
            conn.close()
