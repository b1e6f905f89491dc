"""Whom a record is about: read from its kind's subject paths (records/registry.py)."""

from __future__ import annotations

from conduct_engine.paths import get_path
from conduct_engine.records import registry


def subjects_of(dump: dict) -> list[str]:
    """Everyone a record is about, in its kind's order (a waiver or case may name any of them)."""
    spec = registry.kind_spec(dump["kind"])
    return [str(v) for v in dict.fromkeys(get_path(dump, path) for path in spec.subject_paths) if v]


def subject_of(dump: dict) -> str | None:
    """Whom a decision is about: the first subject present (the employee, or a loan file's lead investigator)."""
    return next(iter(subjects_of(dump)), None)
