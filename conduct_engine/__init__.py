"""conduct-check: a rules-based conduct and due-diligence check engine for customer managers.

Public surface (imported lazily, so ``conduct_engine.records`` stays light)::

    from conduct_engine import Engine, Result, Violation, load_packs
    engine = Engine.from_paths("rules")
    result = engine.evaluate({"id": "G-1", "kind": "gift", ...})
"""

from __future__ import annotations

from typing import Any

from conduct_engine.errors import ConductError, EngineError, PackError, PackIssue, RecordError

__all__ = ["ConductError", "Engine", "EngineError", "PackError", "PackIssue", "RecordError", "Result",
           "Violation", "load_packs"]

_LAZY = {"Engine": "conduct_engine.engine", "Result": "conduct_engine.results",
         "Violation": "conduct_engine.results", "load_packs": "conduct_engine.packs.loader"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'conduct_engine' has no attribute {name!r}")
