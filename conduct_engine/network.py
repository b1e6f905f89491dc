"""Who is behind a counterparty: the party network of SPEC §3.5, resolved once per reference data.

A counterparty resolves to a party (its ``party_id``; else the party of its ``client_id``; else the one
party whose normalised name equals its ``name``), and the party to its **network**: the connected
component of the graph whose nodes are parties and groups and whose edges are

- a party's ``group_id`` (party — group), and
- a party's ``related`` links of the network kinds (parent, subsidiary, same actual controller, shareholder,
  director or officer, spouse, parent and child, sibling), in either direction — so a director's personal
  gift and a gift from the company's affiliate land in the company's network.

Guarantee and supply-chain links do not make a network. A party with no group and no links is a network of
its own. The network's ``key`` (``group:<id>`` or ``party:<id>``) keys windows; the clients in it join
applications; an employee's close relatives and the firms in their networks make conflict rules see a fee
paid to a brother's firm. Every link found is written as a path, ``P-ACME —same_actual_controller→ P-GUAR``,
and goes into the evidence.

:func:`annotate` adds the resolution to a record's dump under ``network`` (the ``counterparty``) and, for the
kinds that name another party (a fee's ``payee``), under the name the kind's registry entry gives.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import deque
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from conduct_engine.records import registry

__all__ = ["NETWORK_FIELDS", "NETWORK_RELATIONS", "Resolution", "Resolver", "annotate", "client_facts",
           "evidence", "network_names", "network_paths", "normalise_name", "resolver"]

#: Relations between parties that put them in one network (SPEC §3.5); guarantees and supply chains do not.
NETWORK_RELATIONS = frozenset({"parent", "subsidiary", "same_actual_controller", "shareholder", "director_officer",
                               "spouse", "parent_child", "sibling"})
#: An employee's relations that make a party "a relative" (its network: the firms the relative controls or directs).
RELATIVE_RELATIONS = ("close_relative",)
#: What ``annotate`` writes under ``network`` (and the kind's other network names): field -> condition-language type.
NETWORK_FIELDS: dict[str, str] = {
    "key": "str", "label": "str", "party_id": "str", "matched_by": "str", "size": "number",
    "client_id": "str", "client_path": "str", "is_client": "bool", "client_ids": "list", "client_paths": "list",
    "relative_party_id": "str", "relative_relation": "str", "relative_path": "str", "is_relative": "bool",
    "path": "str",
}
MAX_CLIENTS = 50  # network_client facts asserted per record at most (the nearest first)
_PUNCT = re.compile(r"[\s\u3000·•.,，。()（）\[\]【】'\"“”‘’\-_/&]+")

Node = tuple[str, str]  # ("P", party id) | ("G", group id)


def normalise_name(name: str) -> str:
    """The name compared for an exact match: NFKC, case-folded, without blanks and punctuation."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", name)).casefold()


def _node_text(node: Node) -> str:
    return node[1]


@dataclass(frozen=True)
class Resolution:
    """One counterparty resolved: its party, network key and the paths to clients and relatives."""

    key: str | None
    label: str | None
    party_id: str | None
    matched_by: str | None
    size: int
    clients: tuple[tuple[str, str], ...]  # (client id, path from the counterparty), nearest first
    relative: tuple[str, str, str] | None  # (relative party id, relation, path from the employee)

    def as_dump(self) -> dict[str, Any]:
        """The fields ``annotate`` writes (absent values left out, as for any record field)."""
        out: dict[str, Any] = {"key": self.key, "label": self.label, "party_id": self.party_id,
                               "matched_by": self.matched_by, "size": self.size}
        if self.clients:
            out["client_id"], out["client_path"] = self.clients[0]
            out["client_ids"] = [c for c, _ in self.clients]
            out["client_paths"] = [p for _, p in self.clients]
        out["is_client"] = bool(self.clients)
        if self.relative:
            out["relative_party_id"], out["relative_relation"], out["relative_path"] = self.relative
            out["is_relative"] = self.relative[0] == self.party_id
        paths = [p for p in (out.get("client_path"), out.get("relative_path")) if p and "—" in p]
        if paths:
            out["path"] = "; ".join(paths)
        return {k: v for k, v in out.items() if v is not None}


class Resolver:
    """The party graph of one reference data set, with cached resolutions."""

    def __init__(self, context: Any = None):
        self._adj: dict[Node, list[tuple[Node, str]]] = {}
        self._names: dict[str, str | None] = {}  # normalised name -> party id (None: ambiguous)
        self._client_party: dict[str, str] = {}
        self._party_clients: dict[str, list[str]] = {}
        self._relatives: dict[str, list[tuple[str, str]]] = {}
        self._component: dict[Node, int] = {}
        self._keys: dict[int, tuple[str, str, int]] = {}  # component -> (key, label, size)
        self._cache: dict[tuple, Resolution] = {}
        self._lock = threading.Lock()
        if context is not None:
            self._load(context)
        self._components()

    # ---- building ------------------------------------------------------------------------------------
    def _edge(self, a: Node, b: Node, forward: str, backward: str) -> None:
        self._adj.setdefault(a, []).append((b, forward))
        self._adj.setdefault(b, []).append((a, backward))

    def _load(self, context: Any) -> None:
        for party in getattr(context, "parties", ()) or ():
            node: Node = ("P", party.id)
            self._adj.setdefault(node, [])
            if party.group_id:
                self._edge(node, ("G", party.group_id), " —group→ ", " ←group— ")
            for link in party.related:
                if link.party_id and link.relation in NETWORK_RELATIONS and link.party_id != party.id:
                    self._edge(node, ("P", link.party_id), f" —{link.relation}→ ", f" ←{link.relation}— ")
            if party.name:
                name = normalise_name(party.name)
                if name:
                    self._names[name] = party.id if self._names.get(name, party.id) == party.id else None
        for client in getattr(context, "clients", ()) or ():
            if client.party_id:
                self._client_party[client.id] = client.party_id
                self._party_clients.setdefault(client.party_id, []).append(client.id)
                self._adj.setdefault(("P", client.party_id), [])
        for employee in getattr(context, "employees", ()) or ():
            for rel in employee.relations:
                if rel.party_id and rel.relation in RELATIVE_RELATIONS:
                    self._relatives.setdefault(employee.id, []).append((rel.party_id, rel.relation))

    def _components(self) -> None:
        index = 0
        for start in sorted(self._adj):
            if start in self._component:
                continue
            members = []
            queue = deque([start])
            self._component[start] = index
            while queue:
                node = queue.popleft()
                members.append(node)
                for other, _label in self._adj.get(node, ()):
                    if other not in self._component:
                        self._component[other] = index
                        queue.append(other)
            groups = sorted(n[1] for n in members if n[0] == "G")
            parties = sorted(n[1] for n in members if n[0] == "P")
            key = f"group:{groups[0]}" if groups else f"party:{parties[0]}"
            self._keys[index] = (key, groups[0] if groups else parties[0], len(parties))
            index += 1

    # ---- resolving -----------------------------------------------------------------------------------
    def _paths(self, start: Node) -> dict[Node, str]:
        """Breadth-first paths from ``start`` to every node of its component (the shortest, ties by id)."""
        paths = {start: _node_text(start)}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for other, label in sorted(self._adj.get(node, ()), key=lambda e: (e[0], e[1])):
                if other not in paths:
                    paths[other] = paths[node] + label + _node_text(other)
                    queue.append(other)
        return paths

    def resolve(self, counterparty: Mapping[str, Any] | None, employee_id: str | None = None) -> Resolution | None:
        """The network of a counterparty (None when it names no party, client, group or known name)."""
        if not counterparty:
            return None
        cp = {k: counterparty.get(k) for k in ("party_id", "client_id", "name", "group_id")}
        cache_key = (cp["party_id"], cp["client_id"], cp["name"], cp["group_id"], employee_id)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        result = self._resolve(cp, employee_id)
        if result is not None:
            with self._lock:
                if len(self._cache) > 100_000:
                    self._cache.clear()
                self._cache[cache_key] = result
        return result

    def _resolve(self, cp: dict[str, Any], employee_id: str | None) -> Resolution | None:
        party, matched_by = cp["party_id"], "party_id"
        if party is None and cp["client_id"] is not None:
            party, matched_by = self._client_party.get(cp["client_id"]), "client_id"
        if party is None and isinstance(cp["name"], str):
            party, matched_by = self._names.get(normalise_name(cp["name"])), "name"
        group = cp["group_id"]
        if party is not None and ("P", party) in self._component:
            start: Node = ("P", party)
        elif group is not None:
            start, matched_by = ("G", group), ("party_id" if party is not None else "group_id")
        elif party is not None:
            start = ("P", party)
        elif cp["client_id"] is not None:
            start, matched_by = ("C", cp["client_id"]), "client_id"
        else:
            return None
        if start in self._component:
            key, label, size = self._keys[self._component[start]]
            paths = self._paths(start)
        else:  # unknown to the reference data: a network of its own
            kind_name = {"G": "group", "P": "party", "C": "client"}[start[0]]
            key, label, size = f"{kind_name}:{start[1]}", start[1], 1
            paths = {start: start[1]}
        clients: dict[str, str] = {}
        if cp["client_id"] is not None:  # the counterparty's own client id: the party itself
            clients[cp["client_id"]] = party if party is not None else paths.get(start, start[1])
        for node, path in sorted(paths.items(), key=lambda item: (item[1].count("—"), item[1])):
            if node[0] == "P":
                for client in self._party_clients.get(node[1], ()):
                    clients.setdefault(client, path + (f" (client {client})" if "—" in path else ""))
        relative = self._relative(employee_id, start, paths) if employee_id else None
        return Resolution(key, label, party, matched_by, size, tuple(list(clients.items())[:MAX_CLIENTS]), relative)

    def _relative(self, employee_id: str, start: Node, paths: dict[Node, str]) -> tuple[str, str, str] | None:
        """The nearest close relative of the employee whose network is the counterparty's, with the path
        employee → relative → … → counterparty."""
        best: tuple[int, str, str, str] | None = None
        for party, relation in self._relatives.get(employee_id, ()):
            node: Node = ("P", party)
            if node == start:
                path = f"{employee_id} —{relation}→ {party}"
            elif node in paths:
                back = self._paths(node).get(start)
                if back is None:
                    continue
                path = f"{employee_id} —{relation}→ {back}"
            else:
                continue
            candidate = (path.count("—"), path, party, relation)
            if best is None or candidate < best:
                best = candidate
        return (best[2], best[3], best[1]) if best else None


_EMPTY = Resolver()
_RESOLVERS: dict[int, tuple[Any, Resolver]] = {}
_RESOLVERS_LOCK = threading.Lock()


def resolver(context: Any) -> Resolver:
    """The resolver of a reference data set, built once per context object (a batch, the service's cache)."""
    if context is None:
        return _EMPTY
    cached = _RESOLVERS.get(id(context))
    if cached is not None and cached[0] is context:
        return cached[1]
    built = Resolver(context)
    with _RESOLVERS_LOCK:
        if len(_RESOLVERS) >= 4:
            _RESOLVERS.clear()
        _RESOLVERS[id(context)] = (context, built)
    return built


def network_paths(kind: str) -> Mapping[str, str]:
    """Record path of a party -> the name its network is written under, for a record kind."""
    try:
        return registry.kind_spec(kind).party_paths
    except KeyError:
        return {}


_NAMES: tuple[int, frozenset[str]] = (-1, frozenset())


def network_names() -> frozenset[str]:
    """Every name a network is written under, over all kinds (``network``, ``payee_network``)."""
    global _NAMES
    if _NAMES[0] != registry.version():
        _NAMES = (registry.version(), frozenset(n for spec in registry.kind_specs() for n in spec.party_paths.values()))
    return _NAMES[1]


def annotate(dump: dict, net: Resolver) -> dict:
    """The dump with each party's network added (a new dict; the input is left as it was)."""
    paths = network_paths(dump.get("kind", ""))
    if not paths:
        return dump
    out = {k: v for k, v in dump.items() if k not in paths.values()}
    for party_path, name in paths.items():
        party = dump.get(party_path)
        resolved = net.resolve(party if isinstance(party, Mapping) else None, dump.get("employee_id"))
        if resolved is not None:
            out[name] = resolved.as_dump()
    return out


def client_facts(dump: dict) -> list[dict]:
    """``network_client`` facts: one per client in the counterparty's network, nearest first."""
    network = dump.get("network")
    if not isinstance(network, Mapping):
        return []
    clients, paths = network.get("client_ids") or [], network.get("client_paths") or []
    return [{"client_id": client, "path": path, "index": index, "position": index + 1}
            for index, (client, path) in enumerate(zip(clients, paths, strict=False))]


def evidence(dump: dict, read: AbstractSet[str]) -> dict[str, Any]:
    """The network a rule read, for its evidence: key, resolved party and the linking paths."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(network_paths(dump.get("kind", "")).values()):
        network = dump.get(name)
        if isinstance(network, Mapping) and any(p == name or p.startswith(name + ".") for p in read):
            out[name] = {k: network[k] for k in ("key", "party_id", "matched_by", "client_id", "client_path",
                                                  "relative_party_id", "relative_path", "path") if k in network}
    return out
