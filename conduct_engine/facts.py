"""Normalise a record (and its context) into engine facts.

- dates become day numbers, datetimes fractional day numbers (Asia/Shanghai local time),
  so rules can subtract them (``declared_at - occurred_on > 5``);
- lists of objects become child facts (a loan file's materials, an employee's
  certifications), asserted before the record itself because ``no …`` joins only see
  facts asserted earlier;
- every fact gets ``t`` (its type) and a session-unique ``id``; a natural ``id`` moves to ``_id``;
- texts over 60,000 UTF-8 bytes are left out of the fact (the engine compares strings modulo
  64 KiB) and reported, so the engine can refuse to pass a record it cannot read whole.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from conduct_engine.dates import day_number, parse_date
from conduct_engine.network import client_facts
from conduct_engine.packs.fields import FactSchema, catalog
from conduct_engine.packs.model import RECORD_COPY
from conduct_engine.paths import get_path
from conduct_engine.records import registry

MAX_TEXT_BYTES = 60_000
_MAX_TEXT_CHARS = MAX_TEXT_BYTES // 4  # a text of at most this many characters is within the bytes (UTF-8: ≤ 4 each)


def record_date(kind: str, dump: dict, as_of: dt.date) -> dt.date:
    """The record's own date (its event date: the kind's first present date field), falling back to ``as_of``."""
    for path in registry.kind_spec(kind).date_fields:
        value = get_path(dump, path)
        if isinstance(value, str):
            return parse_date(value[:10])
    return as_of


@dataclass
class FactSet:
    """The facts of one evaluation, in assertion order, and what could not be asserted."""

    facts: list[dict] = field(default_factory=list)
    anchor: dict = field(default_factory=dict)
    originals: dict[str, dict] = field(default_factory=dict)  # fact id -> the data as submitted
    omitted_texts: list[str] = field(default_factory=list)


def _convert(schema: FactSchema, data: dict, prefix: str, omitted: list[str], where: str) -> dict:
    out: dict[str, Any] = {}
    kinds = _kinds(schema, prefix)
    for key, value in data.items():
        if isinstance(value, str):
            kind = kinds.get(key)
            if kind is not None and kind in _DATE_KINDS:
                out[key] = day_number(value)
            elif len(value) > _MAX_TEXT_CHARS and len(value.encode("utf-8")) > MAX_TEXT_BYTES:
                omitted.append(f"{where}{prefix}{key}")
            else:
                out[key] = value
        elif isinstance(value, dict) and ((kind := kinds.get(key)) is None or kind in ("object", "map")):
            path = prefix + key
            out[key] = _convert(schema, value, path + ".", omitted, where) if kind == "object" \
                else _plain(value, omitted, f"{where}{path}")
        else:
            out[key] = value
    return out


#: (id of a schema, a path prefix) -> (the schema, the kind of each field right under that prefix, by its name)
_KINDS: dict[tuple[int, str], tuple[FactSchema, dict[str, str]]] = {}


def _kinds(schema: FactSchema, prefix: str) -> dict[str, str]:
    """The kinds of the schema's fields directly under ``prefix`` (``""``: the top level), worked out once."""
    hit = _KINDS.get((id(schema), prefix))
    if hit is None or hit[0] is not schema:
        size = len(prefix)
        kinds = {path[size:]: ftype.kind for path, ftype in schema.fields.items()
                 if path.startswith(prefix) and "." not in path[size:]}
        hit = _KINDS[(id(schema), prefix)] = (schema, kinds)
    return hit[1]


_DATE_KINDS = ("date", "datetime")


def _plain(value: Any, omitted: list[str], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v, omitted, f"{where}.{k}") for k, v in value.items()}
    return value


def _fact(fact_type: str, data: dict, fact_id: str, omitted: list[str], where: str) -> dict:
    schema = catalog()[fact_type]
    converted = _convert(schema, data, "", omitted, where)
    if "id" in converted:
        converted["_id"] = converted.pop("id")
    return {"id": fact_id, "t": fact_type, **converted}  # the id first: the adapter splices the session id in


def _split_children(fact_type: str, dump: dict) -> tuple[dict, list[tuple[str, str | None, list[dict]]]]:
    """Remove list-of-object fields from ``dump``; return (rest, [(child type, parent key, items)])."""
    schema = catalog()[fact_type]
    rest = dict(dump)
    children = []
    for path, (child_type, _model) in schema.children.items():
        child = registry.child_fact(fact_type, path)
        parent_key = child.parent_key if child else None
        head, _, tail = path.partition(".")
        if tail:
            container = rest.get(head)
            if isinstance(container, dict) and tail in container:
                container = dict(container)
                items = container.pop(tail)
                rest[head] = container
                children.append((child_type, parent_key, items))
        elif path in rest:
            children.append((child_type, parent_key, rest.pop(path)))
    return rest, children


def _team_facts(team: dict, roles: Mapping[str, str]) -> list[dict]:
    """One ``team_member`` fact per person and role in a record's team (a loan file's)."""
    facts: list[dict] = []
    for field_name, role in roles.items():
        people = team.get(field_name)
        for person in people if isinstance(people, list) else [people] if people else []:
            index = len(facts)
            facts.append({"id": f"team_member#{index}", "t": "team_member", "employee_id": person, "role": role,
                          "index": index, "position": index + 1})
    return facts


def record_facts(kind: str, dump: dict, *, as_of: dt.date, own_date: dt.date,
                 aggregates: dict[str, float], wanted: set[str], extra: dict[str, Any] | None = None,
                 keep: frozenset[str] | None = None) -> FactSet:
    """Facts for one record: its wanted child facts first, then the anchor (with ``keep``, only those of the
    record's top-level fields: the ones its rules read; the engine parses and indexes every field asserted)."""
    out = FactSet()
    rest, children = _split_children(kind, dump)
    if keep is not None:
        rest = {k: v for k, v in rest.items() if k in keep}
    for child_type, _parent_key, items in children:
        if child_type not in wanted:
            continue
        for index, item in enumerate(items):
            fact = _fact(child_type, item, f"{child_type}#{index}", out.omitted_texts, f"{child_type}[{index}].")
            fact["index"], fact["position"] = index, index + 1
            out.facts.append(fact)
            out.originals[fact["id"]] = {"index": index, "position": index + 1, **item}
    spec = registry.kind_spec(kind)
    if spec.team_path and "team_member" in wanted:
        for fact in _team_facts(get_path(dump, spec.team_path) or {}, spec.team_roles):
            out.facts.append(fact)
            out.originals[fact["id"]] = {k: v for k, v in fact.items() if k not in ("t", "id")}
    if "network_client" in wanted:  # the clients behind the counterparty (SPEC §3.5), nearest first
        for item in client_facts(dump):
            fact = {"id": f"network_client#{item['index']}", "t": "network_client", **item}
            out.facts.append(fact)
            out.originals[fact["id"]] = item
    anchor = _fact(kind, rest, "record", out.omitted_texts, "")
    anchor["as_of"] = day_number(as_of)
    anchor["record_date"] = day_number(own_date)
    if aggregates:
        anchor["agg"] = dict(aggregates)
    anchor.update(extra or {})
    out.anchor = anchor
    out.facts.append(anchor)
    out.originals["record"] = dump
    return out


KeySets = dict[str, list[tuple[tuple[str, str], ...]] | None]


#: id(context) -> (context, {cache key: dumps, split entries, typed items or a key index})
_DUMP_CACHE: dict[int, tuple[Any, dict[str, Any]]] = {}


def _dumps(context: Any, list_name: str) -> list[dict]:
    """JSON dumps of a context list, cached for the same context object (a batch shares one)."""
    cached = _DUMP_CACHE.get(id(context))
    if cached is None or cached[0] is not context:
        _DUMP_CACHE.clear()  # keep one context: memory stays flat whatever the traffic
        cached = (context, {})
        _DUMP_CACHE[id(context)] = cached
    lists = cached[1]
    if list_name not in lists:
        lists[list_name] = [item.as_fact_dict() for item in getattr(context, list_name)]
    return lists[list_name]


def _split_dumps(context: Any, list_name: str, fact_type: str) -> list[tuple[Any, dict, list[tuple[str, list[dict]]]]]:
    """Each context entry split into (natural id, own fields, [(child type, children with the parent key)]),
    cached with the context's dumps: a batch (or the service's cached reference data) splits once."""
    cached = _DUMP_CACHE.get(id(context))
    key = "split:" + list_name
    if cached is not None and cached[0] is context and key in cached[1]:
        return cached[1][key]
    out = []
    for index, dump in enumerate(_dumps(context, list_name)):
        rest, children = _split_children(fact_type, dump)
        spec = registry.context_list(list_name)
        natural = rest.get(spec.key, index) if spec is not None and spec.key else index
        split_children = []
        for child_type, parent_key, items in children:
            with_key = [{**child, parent_key: natural} if parent_key else dict(child) for child in items]
            split_children.append((child_type, with_key))
        out.append((natural, rest, split_children))
    _DUMP_CACHE[id(context)][1][key] = out
    return out


def _typed_items(context: Any, list_name: str, fact_type: str) -> dict[str, list[tuple[str, dict]]]:
    """The entries of one context list as (fact id, data) per fact type (parent and children), cached."""
    cached = _DUMP_CACHE.get(id(context))
    key = "typed:" + list_name
    if cached is not None and cached[0] is context and key in cached[1]:
        return cached[1][key]
    out: dict[str, list[tuple[str, dict]]] = {}
    for index, (_natural, rest, children) in enumerate(_split_dumps(context, list_name, fact_type)):
        for child_type, items in children:
            out.setdefault(child_type, []).extend((f"{child_type}#{index}.{j}", d) for j, d in enumerate(items))
        out.setdefault(fact_type, []).append((f"{fact_type}#{index}", rest))
    _DUMP_CACHE[id(context)][1][key] = out
    return out


def _by_key(context: Any, fact_type: str, items: list[tuple[str, dict]], fields: tuple[str, ...]
            ) -> dict[tuple, list[tuple[str, dict]]]:
    """Items of one fact type indexed by the values of ``fields`` (a join's keys), cached."""
    cache = _DUMP_CACHE[id(context)][1]
    key = f"index:{fact_type}:{','.join(fields)}"
    index: Any = cache.get(key)
    if index is None:
        index = {}
        for item in items:
            values = tuple(get_path(item[1], "id" if f == "_id" else f) for f in fields)
            index.setdefault(values, []).append(item)
        cache[key] = index
    return index


def _key_values(key_set: tuple[tuple[str, str], ...], record: dict, own_facts: list[dict]) -> list[tuple]:
    """The key values a join can match: the record's fields, and for ``@type.field`` keys the values of the
    record's own facts of that type (its network clients); none when a value is missing."""
    options: list[list[Any]] = []
    for _field, ref in key_set:
        if ref.startswith("@"):
            fact_type, _, path = ref[1:].partition(".")
            found = list(dict.fromkeys(v for f in own_facts if f.get("t") == fact_type
                                       and (v := get_path(f, path)) is not None))
        else:
            value = get_path(record, ref)
            found = [] if value is None else [value]
        if not found:
            return []
        options.append(found)
    return list(itertools.product(*options))


def context_facts(context: BaseModel | None, wanted: set[str], originals: dict[str, dict],
                  keys: KeySets | None = None, record: dict | None = None,
                  own_facts: list[dict] | None = None) -> list[dict]:
    """Facts for the reference data a ruleset joins with: only wanted types, and only the facts whose join
    keys equal the record's (looked up in an index built once per context, not scanned per record)."""
    if context is None or not wanted:
        return []
    keys = keys or {}
    record = record or {}
    facts: list[dict] = []
    omitted: list[str] = []
    for context_list in registry.context_lists():
        list_name, fact_type = context_list.name, context_list.fact_type
        child_types = {c.fact_type for c in context_list.child_facts.values()}
        if fact_type not in wanted and not (child_types & wanted):
            continue
        _dumps(context, list_name)  # make sure the cache holds this context
        for item_type, items in _typed_items(context, list_name, fact_type).items():
            if item_type not in wanted:
                continue
            key_sets = keys.get(item_type)
            if key_sets is None:
                chosen = items
            else:
                seen: dict[str, dict] = {}
                for key_set in key_sets:
                    index = _by_key(context, item_type, items, tuple(f for f, _r in key_set))
                    for values in _key_values(key_set, record, own_facts or []):
                        for fact_id, data in index.get(values, ()):
                            seen.setdefault(fact_id, data)
                chosen = list(seen.items())
            for fact_id, data in chosen:
                facts.append(_fact(item_type, data, fact_id, omitted, ""))
                originals[fact_id] = data
    return facts


def copy_record_fields(facts: list[dict], anchor: dict, paths: set[str]) -> None:
    """Give every joined fact the record fields its non-equality comparisons read (``rec.<field>``)."""
    if not paths:
        return
    copy = {p: v for p in paths if (v := get_path(anchor, p)) is not None}
    nested: dict = {}
    for path, value in copy.items():
        node = nested
        *heads, last = path.split(".")
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = value
    for fact in facts:
        if fact is not anchor:
            fact[RECORD_COPY] = nested
