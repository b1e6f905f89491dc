"""The scan's result store and checkpoint: a SQLite file, committed (and fsync'd) as chunks finish.

Each finished record is one row keyed by its input position, so a scan killed at any point (even by
SIGKILL) keeps every committed result, and a resumed scan skips exactly those: none lost, none twice.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conduct_engine.scan import ScanInputError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS results (seq INTEGER PRIMARY KEY, key TEXT NOT NULL, result TEXT NOT NULL,
                                    meta TEXT NOT NULL);
"""


class Checkpoint:
    """Finished results of one scan (by scan id), durable after every ``add``."""

    def __init__(self, path: Path | str, scan_id: str, *, resume: bool = False, total: int = 0):
        self.path = Path(path)
        if not resume:
            _remove(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # every commit is fsync'd
        self._db.executescript(_SCHEMA)
        found = self.get("scan_id")
        if found is not None and found != scan_id:
            self._db.close()
            raise ScanInputError(f"{self.path}: the checkpoint belongs to another scan (inputs, mapping, as-of or "
                                 "rules changed); delete it or run without --resume")
        self.put("scan_id", scan_id)
        self.put("total", str(total))

    def get(self, name: str) -> str | None:
        """A meta value."""
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def put(self, name: str, value: str) -> None:
        """Set a meta value (committed)."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def done(self) -> dict[int, str]:
        """Keys of the results already stored, by input position."""
        return dict(self._db.execute("SELECT seq, key FROM results"))

    def add(self, rows: list[tuple[int, str, str, str]]) -> None:
        """Store finished results in one durable transaction (a result stored twice is kept once)."""
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany("INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")

    def count(self) -> int:
        """How many results are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def results(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(result, meta) pairs in input order."""
        for result, meta in self._db.execute("SELECT result, meta FROM results ORDER BY seq"):
            yield json.loads(result), json.loads(meta)

    def close(self, *, remove: bool = False) -> None:
        """Close the file; ``remove`` deletes it (and its WAL files) once the report is written."""
        self._db.close()
        if remove:
            _remove(self.path)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
