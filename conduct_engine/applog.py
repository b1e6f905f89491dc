"""The application log: one JSON object per line, for decisions and errors (SPEC §8: every decision is logged).

``configure(settings)`` sends the project's loggers (``conduct_engine.*`` and ``conduct_check.*``) to standard
error or to ``settings.log_file`` at ``settings.log_level``; ``serve`` does it in every worker. A line carries
``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``pid`` (the worker process), ``msg`` and the event's own
fields (``extra={"fields": {...}}``); an exception adds ``error`` (its type and message) and ``trace``.
Client names and ids are masked before they get here (``service.mask``): the log never holds them in clear.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import traceback
from typing import Any

from conduct_engine.settings import Settings

LOGGERS = ("conduct_engine", "conduct_check")
_MARK = "_conduct_applog"


class JsonFormatter(logging.Formatter):
    """A log record as one JSON line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record's fields, its message and (for an exception) the error and its trace."""
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "pid": record.process, "msg": record.getMessage()}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in line})
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
            line["trace"] = "".join(traceback.format_exception(*record.exc_info, limit=12))[-4000:]
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(settings: Settings) -> logging.Handler:
    """Send the project's loggers to the settings' destination as JSON lines (again: replaces the handler)."""
    if settings.log_file is not None:
        settings.log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(settings.log_file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _MARK, True)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(settings.log_level)
        logger.propagate = False
    return handler
