"""Prepared statements: a Core statement compiled once for the store's dialect and run on the DB-API cursor.

The group-committed writes (records, decisions, cases, rate-limit turns) and the history read are the same few
statements hundreds of times a second; SQLAlchemy's work per execution (cache key, compiled-cache lookup,
execution context, result set-up, events) cost more CPU than the database did. A :class:`Prepared` keeps
SQLAlchemy for what it does well — the dialect's SQL text, placeholders, casts and type conversion (dates and JSON
on SQLite) — and does it once: an execution is one ``execute`` or ``executemany`` on the cursor of the
``Connection`` given, inside the transaction it already holds, with the same bind processors SQLAlchemy would run,
so the stored values are the same.

Only named parameters are supported (``bindparam("x")`` and the columns of an INSERT); an ``IN`` list is written
as one bindparam per element (see :func:`in_list`), a statement per list length (:class:`PreparedFamily`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler


class Prepared:
    """One statement's SQL text for ``dialect``, its parameters' order and bind processors."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str] | None = None):
        """``keys``: for an INSERT, the columns given (the others are left to their defaults)."""
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        assert isinstance(compiled, SQLCompiler)  # every statement of the store is SQL
        if compiled.positional and compiled.positiontup is None:  # pragma: no cover - a dialect we do not use
            raise ValueError("positional statement without a parameter order")
        self.sql: str = compiled.string
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ()) if compiled.positional else ()
        self._positional = bool(compiled.positional)
        self._processors: dict[str, Callable[[Any], Any]] = {}
        #: values the statement carries itself (a literal LIMIT, a function's argument)
        self._defaults: dict[str, Any] = {}
        rendered = set(compiled.bind_names.values())  # ``binds`` also holds anonymous names under their templates
        for name, bind in compiled.binds.items():
            if name not in rendered:
                continue
            if bind.expanding:
                raise ValueError(f"expanding parameter {name!r}: write the list with in_list()")
            if not bind.required:
                self._defaults[name] = bind.effective_value
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self._processors[name] = processor

        #: per placeholder in order (positional paramstyles): its name and processor
        self._order = [(n, self._processors.get(n)) for n in self._names]
        #: a SELECT's result processors (dates on SQLite), None when no column needs one
        self._results: list[Callable[[Any], Any] | None] | None = None
        selected = statement.selected_columns if isinstance(statement, Select) else ()
        results: list[Callable[[Any], Any] | None] = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                                                      for c in selected]
        if any(r is not None for r in results):
            self._results = results

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters for one execution (converted as SQLAlchemy converts them)."""
        if self._defaults:
            values = {**self._defaults, **values}
        if self._positional:
            return tuple([values[n] if p is None else p(values[n]) for n, p in self._order])
        processors = self._processors
        return {n: (processors[n](v) if n in processors else v) for n, v in values.items()}

    def run(self, conn: Connection | PoolProxiedConnection, values: Mapping[str, Any] | None = None
            ) -> list[tuple[Any, ...]]:
        """Execute once with ``values``; the rows it returned (none for a write without RETURNING), a SELECT's
        converted by its columns' result processors as SQLAlchemy converts them (RETURNING rows as the driver
        gives them)."""
        cursor = _cursor(conn)
        try:
            cursor.execute(self.sql, self.parameters(values or {}))
            rows = cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()
        results = self._results
        if results is None:
            return rows
        return [tuple([v if p is None else p(v) for v, p in zip(row, results, strict=True)]) for row in rows]

    def run_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Execute once per row (one ``executemany``); nothing is returned."""
        if not rows:
            return
        cursor = _cursor(conn)
        try:
            cursor.executemany(self.sql, [self.parameters(r) for r in rows])
        finally:
            cursor.close()


class PreparedFamily:
    """Prepared statements that differ only in the lengths of their ``IN`` lists: one per lengths, built on demand.

    ``build(*lengths)`` returns the statement for those lengths (its lists written with :func:`in_list`);
    :meth:`get` caches the prepared statement of each lengths seen.
    """

    def __init__(self, build: Callable[..., ClauseElement], dialect: Dialect, limit: int = 256):
        self._build = build
        self._dialect = dialect
        self._limit = limit
        self._prepared: dict[tuple[int, ...], Prepared] = {}

    def get(self, *lengths: int) -> Prepared:
        """The prepared statement for lists of these lengths."""
        found = self._prepared.get(lengths)
        if found is None:
            found = Prepared(self._build(*lengths), self._dialect)
            if len(self._prepared) < self._limit:  # a rare length beyond the limit is compiled, not kept
                self._prepared[lengths] = found
        return found


def in_list(name: str, length: int) -> list[Any]:
    """``length`` bindparams ``name_0`` … for an ``IN`` list (fill them with :func:`list_values`)."""
    return [bindparam(f"{name}_{i}") for i in range(length)]


def list_values(name: str, items: Sequence[Any]) -> dict[str, Any]:
    """The values of the bindparams :func:`in_list` made for ``items``."""
    return {f"{name}_{i}": item for i, item in enumerate(items)}


def _cursor(conn: Connection | PoolProxiedConnection) -> Any:
    """A driver cursor of ``conn`` (a Connection's, or a pooled driver connection's from ``Database.read_raw``)."""
    dbapi = conn.connection.dbapi_connection if isinstance(conn, Connection) else conn.dbapi_connection
    assert dbapi is not None  # an open connection always holds its DB-API connection
    return dbapi.cursor()
