"""The field catalog: which names a rule may use on each fact type, and their types.

Built once by introspecting the pydantic record models (SPEC §3), so a pack can never
name a field the records do not have. Lists of objects become child fact types of their
own (a loan file's materials, an employee's certifications), as the engine asserts them.
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel

from conduct_engine.network import NETWORK_FIELDS
from conduct_engine.records import context as ctx
from conduct_engine.records import registry
from conduct_engine.records.base import unwrap_annotation


@dataclass(frozen=True)
class FieldType:
    """The type of one field as the condition language sees it."""

    kind: str  # str | number | bool | date | datetime | enum | list | object | map | any
    values: tuple[str, ...] = ()  # enum values
    item: FieldType | None = None  # list item type

    def describe(self) -> str:  # noqa: D401
        """A short human description, used in error messages."""
        if self.kind == "enum":
            return "one of " + ", ".join(self.values)
        if self.kind == "list" and self.item:
            return f"list of {self.item.describe()}"
        return self.kind


#: Fields the engine adds to every anchor (record) fact.
ANCHOR_EXTRAS: dict[str, FieldType] = {
    "as_of": FieldType("date"),
    "record_date": FieldType("date"),
}


def network_extras(spec: registry.KindSpec) -> dict[str, FieldType]:
    """The fields the engine writes for each party network of a kind (SPEC §3.5: ``network.key``, …)."""
    out: dict[str, FieldType] = {}
    for name in dict.fromkeys(spec.party_paths.values()):
        out[name] = FieldType("object")
        for field_name, kind in NETWORK_FIELDS.items():
            out[f"{name}.{field_name}"] = FieldType("list", item=FieldType("str")) if kind == "list" else FieldType(kind)
    return out


def _field_type(annotation: typing.Any) -> FieldType | type[BaseModel]:
    ann = unwrap_annotation(annotation)
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return FieldType("enum", tuple(str(v) for v in typing.get_args(ann)))
    if origin is dict:
        return FieldType("map")  # open mapping (module findings, material figures): any key
    if origin in (list, tuple, typing.List):  # noqa: UP006
        item = _field_type(typing.get_args(ann)[0])
        if isinstance(item, type):
            return item  # list of models: a child fact type
        return FieldType("list", item=item)
    if isinstance(ann, type):
        if issubclass(ann, BaseModel):
            return ann
        if issubclass(ann, bool):
            return FieldType("bool")
        if issubclass(ann, (int, float)):
            return FieldType("number")
        if issubclass(ann, dt.datetime):
            return FieldType("datetime")
        if issubclass(ann, dt.date):
            return FieldType("date")
        if issubclass(ann, str):
            return FieldType("str")
    return FieldType("str")


def _walk(fact_type: str, model: type[BaseModel], prefix: str,
          out: dict[str, FieldType], children: dict[str, tuple[str, type[BaseModel]]]) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}{info.alias or name}"
        ftype = _field_type(info.annotation)
        if isinstance(ftype, type):
            is_list = typing.get_origin(unwrap_annotation(info.annotation)) in (list, tuple)
            if is_list:
                child = registry.child_fact(fact_type, path)
                if child is None:
                    raise RuntimeError(f"no child fact type named for {fact_type}.{path}")
                children[path] = (child.fact_type, ftype)
            else:
                out[path] = FieldType("object")
                _walk(fact_type, ftype, path + ".", out, children)
        else:
            out[path] = ftype


@dataclass(frozen=True)
class FactSchema:
    """The fields of one fact type and where it comes from."""

    fact_type: str
    fields: dict[str, FieldType]
    children: dict[str, tuple[str, type[BaseModel]]]  # list path -> (child type, model)
    parent_key: str | None = None


def _schema(fact_type: str, model: type[BaseModel], parent_key: str | None = None,
            extras: dict[str, FieldType] | None = None) -> FactSchema:
    fields: dict[str, FieldType] = {}
    children: dict[str, tuple[str, type[BaseModel]]] = {}
    _walk(fact_type, model, "", fields, children)
    if parent_key:
        fields[parent_key] = FieldType("str")
    if extras:
        fields.update(extras)
    return FactSchema(fact_type, fields, children, parent_key)


def team_roles() -> tuple[str, ...]:
    """The roles of ``team_member`` facts, over every kind that has a team."""
    return tuple(dict.fromkeys(role for spec in registry.kind_specs() for role in spec.team_roles.values()))


def catalog() -> dict[str, FactSchema]:
    """Every fact type a rule can match: record kinds, their children and context facts."""
    return _catalog(registry.version())


@lru_cache(maxsize=2)
def _catalog(_registry_version: int) -> dict[str, FactSchema]:
    out: dict[str, FactSchema] = {}
    for spec in registry.kind_specs():
        out[spec.kind] = _schema(spec.kind, spec.model, extras={**ANCHOR_EXTRAS, **network_extras(spec)})
    context_models = {name: info.annotation for name, info in ctx.Context.model_fields.items()}
    for context_list in registry.context_lists():
        item_model = _field_type(context_models[context_list.name])
        assert isinstance(item_model, type)
        out[context_list.fact_type] = _schema(context_list.fact_type, item_model)
    out["team_member"] = FactSchema("team_member", {
        "employee_id": FieldType("str"), "role": FieldType("enum", team_roles()),
        "index": FieldType("number"), "position": FieldType("number")}, {}, None)
    out["network_client"] = FactSchema("network_client", {  # a client in the counterparty's network (SPEC §3.5)
        "client_id": FieldType("str"), "path": FieldType("str"),
        "index": FieldType("number"), "position": FieldType("number")}, {}, None)
    # children (second pass: their parents are known now)
    for parent in list(out.values()):
        for path, (child_type, child_model) in parent.children.items():
            child = registry.child_fact(parent.fact_type, path)
            out[child_type] = _schema(child_type, child_model, child.parent_key if child else None,
                                      extras={"index": FieldType("number"), "position": FieldType("number")})
    return out


def context_fact_types() -> frozenset[str]:
    """Fact types that come from reference data (context lists and their children), not from the record."""
    return frozenset(t for spec in registry.context_lists()
                     for t in (spec.fact_type, *(c.fact_type for c in spec.child_facts.values())))


def record_kinds() -> tuple[str, ...]:
    """The record kinds (anchor fact types)."""
    return registry.record_kinds()


def kind_stages(kind: str) -> tuple[str, ...]:
    """The stages of a record kind, in the model's order (empty when the kind has no stage field)."""
    stage_field = registry.kind_spec(kind).stage_field
    ftype = catalog()[kind].fields.get(stage_field) if stage_field else None
    return ftype.values if ftype is not None and ftype.kind == "enum" else ()


def lookup(fields: dict[str, FieldType], path: str) -> FieldType | None:
    """The type of ``path``; keys under an open mapping field are of type ``any``."""
    if path in fields:
        return fields[path]
    head = path
    while "." in head:
        head = head.rsplit(".", 1)[0]
        if fields.get(head, FieldType("str")).kind == "map":
            return FieldType("any")
    return None
