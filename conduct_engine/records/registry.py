"""The record-kind registry: every fact about a kind, declared once beside its model.

A kind is its model and one :class:`KindSpec`; parsing (the discriminated union, money conversion), the field
catalog (child facts), facts (team members), windows (the record's own date), the service (the decision's
subject) and waivers (whom a waiver covers) all read the registry instead of tables of their own. The reference
data lists of SPEC §3.3 are registered the same way (:class:`ContextListSpec`).

Registering or removing a kind bumps :func:`version`; caches built from the registry (the record union's
adapter, the field catalog) are keyed by it, so a kind registered later (a plug-in, a test) is seen everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter

__all__ = [
    "ChildFact", "ContextListSpec", "KindSpec", "MODEL_BY_KIND", "child_fact", "context_list", "context_lists",
    "kind_spec", "kind_specs", "record_adapter", "record_kinds", "register_context_list", "register_kind",
    "registered", "unregister_kind", "version",
]


@dataclass(frozen=True)
class ChildFact:
    """A list of objects asserted as facts of their own: the child fact type, and the parent's natural key
    copied onto each child under ``parent_key`` (None: nothing copied)."""

    fact_type: str
    parent_key: str | None = None


@dataclass(frozen=True)
class KindSpec:
    """Everything the engine needs to know about one record kind besides its model's fields."""

    kind: str
    model: type[BaseModel]
    #: ``*_cny`` fields; the first is where ``amount`` + ``currency`` are converted to (SPEC §3)
    money_fields: tuple[str, ...] = ()
    #: the record's own date (windows, effective dates), first present wins (SPEC §3.4)
    date_fields: tuple[str, ...] = ("occurred_on",)
    #: whom a record is about, as dotted paths; the first present is the decision's subject, any present one
    #: can be named by a waiver (or, later, a case)
    subject_paths: tuple[str, ...] = ("employee_id",)
    #: dotted list-of-object field -> child fact type
    child_facts: Mapping[str, ChildFact] = field(default_factory=dict)
    #: the object holding people by role (a loan file's ``team``): field -> role of a ``team_member`` fact
    team_path: str | None = None
    team_roles: Mapping[str, str] = field(default_factory=dict)
    #: the enum field that says where the record is in its life (a loan file's ``stage``); its values, in the
    #: model's order, are the stages a rule's ``stages:`` may name (None: rules of this kind take no ``stages:``)
    stage_field: str | None = None
    #: party objects resolved to their network (SPEC §3.5): record path -> the name the network is written under
    party_paths: Mapping[str, str] = field(default_factory=dict)

    @property
    def money_field(self) -> str | None:
        """The primary money field, or None when the kind carries no amount."""
        return self.money_fields[0] if self.money_fields else None


@dataclass(frozen=True)
class ContextListSpec:
    """One list of reference data (SPEC §3.3): its fact type, its natural key (entries with the same key are
    replaced when a request's context is merged over the stored one; None: not keyed) and its child facts."""

    name: str
    fact_type: str
    key: str | None = "id"
    child_facts: Mapping[str, ChildFact] = field(default_factory=dict)


_lock = threading.Lock()
_KINDS: dict[str, KindSpec] = {}
_CONTEXT: dict[str, ContextListSpec] = {}
_version = 0
_adapter: tuple[int, TypeAdapter[Any]] | None = None

#: kind -> model, kept in step with the registry (a live view for callers that only need the model).
MODEL_BY_KIND: dict[str, type[BaseModel]] = {}


def _kind_literal(model: type[BaseModel]) -> str:
    info = model.model_fields.get("kind")
    args: tuple[Any, ...] = getattr(info.annotation, "__args__", ()) if info else ()
    if len(args) != 1 or not isinstance(args[0], str):
        raise TypeError(f"{model.__name__} needs a field kind: Literal['<kind>']")
    return str(args[0])


def register_kind(spec: KindSpec) -> KindSpec:
    """Add a record kind (its model must declare ``kind: Literal[spec.kind]``); returns the spec."""
    global _version
    if _kind_literal(spec.model) != spec.kind:
        raise ValueError(f"{spec.model.__name__}.kind is not Literal[{spec.kind!r}]")
    for name in (*spec.money_fields, *(p.split(".")[0] for p in spec.date_fields + spec.subject_paths)):
        if name not in spec.model.model_fields:
            raise ValueError(f"kind {spec.kind!r}: {spec.model.__name__} has no field {name!r}")
    with _lock:
        if spec.kind in _KINDS and _KINDS[spec.kind] != spec:
            raise ValueError(f"record kind {spec.kind!r} is already registered")
        _KINDS[spec.kind] = spec
        MODEL_BY_KIND[spec.kind] = spec.model
        _version += 1
    return spec


def unregister_kind(kind: str) -> None:
    """Remove a record kind (for plug-ins and tests that register one for a while)."""
    global _version
    with _lock:
        _KINDS.pop(kind, None)
        MODEL_BY_KIND.pop(kind, None)
        _version += 1


@contextmanager
def registered(spec: KindSpec) -> Iterator[KindSpec]:
    """Register ``spec`` for the duration of a ``with`` block."""
    register_kind(spec)
    try:
        yield spec
    finally:
        unregister_kind(spec.kind)


def register_context_list(spec: ContextListSpec) -> ContextListSpec:
    """Add a reference-data list (a field of the Context model of the same name)."""
    global _version
    with _lock:
        _CONTEXT[spec.name] = spec
        _version += 1
    return spec


def version() -> int:
    """Changes whenever a kind or context list is registered or removed: the key of derived caches."""
    return _version


def record_kinds() -> tuple[str, ...]:
    """The registered record kinds, in registration order."""
    return tuple(_KINDS)


def kind_specs() -> tuple[KindSpec, ...]:
    """Every registered record kind's spec."""
    return tuple(_KINDS.values())


def kind_spec(kind: str) -> KindSpec:
    """The spec of ``kind`` (KeyError when unknown)."""
    return _KINDS[kind]


def context_lists() -> tuple[ContextListSpec, ...]:
    """The reference-data lists, in registration order."""
    return tuple(_CONTEXT.values())


def context_list(name: str) -> ContextListSpec | None:
    """The reference-data list called ``name``, if there is one."""
    return _CONTEXT.get(name)


def child_fact(parent_type: str, path: str) -> ChildFact | None:
    """The child fact declared for the list ``path`` of fact type ``parent_type`` (a kind or context type)."""
    spec: KindSpec | ContextListSpec | None = _KINDS.get(parent_type)
    if spec is None:
        spec = next((c for c in _CONTEXT.values() if c.fact_type == parent_type), None)
    return spec.child_facts.get(path) if spec is not None else None


def record_union() -> Any:
    """The discriminated union of every registered record model (``kind`` is the tag)."""
    models = tuple(s.model for s in _KINDS.values())
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007


def record_adapter() -> TypeAdapter[Any]:
    """A validator of the record union, rebuilt only when the registry changed."""
    global _adapter
    current = _adapter
    if current is None or current[0] != _version:
        current = (_version, TypeAdapter(record_union()))
        _adapter = current
    return current[1]
