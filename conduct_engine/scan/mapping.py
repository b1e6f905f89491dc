"""Column mappings (SPEC §6): turn a foreign row into a record, or say why it cannot be.

A mapping file (YAML or JSON)::

    kind: gift                 # a record kind, or a column whose values (mapped by values.kind) are kinds
    columns: {id: record_id, counterparty.name: maker_name, materials.0.verified: status}   # field: column
    values: {form: {"Cash or cash equivalent": cash, "*": goods}}   # per field; "*" = any other value
    constants: {direction: received}
    currency: USD              # money (``*_cny``) columns are in this currency, converted with the pack's fx
    formats: {occurred_on: "%d/%m/%Y", value_cny: money}   # strptime, excel (serial dates), money (scan/cells.py)
    required: [employee_id]    # fields whose empty cell makes the row unusable
    list_separator: ";"        # for list fields (default ";")

Cells are converted by the target field's type (number, bool, date, datetime, enum, list, text).
Every problem of a row is reported (row number, column, reason) and the row is skipped.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conduct_engine.errors import RecordError
from conduct_engine.fx import FxTable
from conduct_engine.packs.fields import FieldType, catalog, lookup
from conduct_engine.paths import get_indexed
from conduct_engine.records import MODEL_BY_KIND, parse_record
from conduct_engine.records.base import MAX_LIST
from conduct_engine.scan import ScanInputError
from conduct_engine.scan.coerce import SKIP, coerce, empty, hint, number_out
from conduct_engine.scan.readers import Row, RowProblem
from conduct_engine.untrusted import Limits, UntrustedInputError, load_json, load_yaml

_KEYS = {"kind", "columns", "values", "constants", "currency", "formats", "required", "list_separator"}
_ANY = "*"
_SCALAR = (str, int, float, bool, type(None))


def _index(part: str) -> int | None:
    """A list index in a dotted path (ASCII digits, at most 6), or None."""
    return int(part) if part.isascii() and part.isdigit() and len(part) <= 6 else None

def field_type(kind: str, path: str) -> FieldType | None:
    """The type of a dotted target field of a kind; numeric parts index lists (``materials.0.type``)."""
    schemas = catalog()
    schema = schemas[kind]
    parts = path.split(".")
    i = 0
    while i < len(parts):
        if parts[i].isdigit() or any(not p for p in parts):
            return None
        head = ".".join(parts[: i + 1])
        if head in schema.children and i + 1 < len(parts) and parts[i + 1].isdigit():
            index = _index(parts[i + 1])
            if index is None or index >= MAX_LIST:
                return None
            schema = schemas[schema.children[head][0]]
            parts, i = parts[i + 2:], 0
            continue
        i += 1
    rest = ".".join(parts)
    return lookup(schema.fields, rest) if rest else None


@dataclass
class Mapping:
    """A validated column mapping."""

    kind: str | None = None  # constant kind
    kind_column: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    currency: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    list_separator: str = ";"
    identity: bool = False  # no mapping file: columns named like the fields, kind from a ``kind`` column

    @classmethod
    def identity_mapping(cls) -> Mapping:
        """Columns named like record fields (dotted for nested ones) and a ``kind`` column."""
        return cls(kind_column="kind", identity=True)

    @classmethod
    def load(cls, path: str | Path, fx: MappingABC[str, float] | None = None, *, shown_as: str | None = None
             ) -> Mapping:
        """Read (within the input limits) and check a mapping file (ScanInputError listing every problem).

        ``shown_as`` names the file in messages instead of its path (an upload: never show a server path).
        """
        from conduct_engine.inputs import read_text
        limits = Limits.load()
        try:
            name, text = read_text(str(path), limits)
            name = shown_as or name
            if Path(path).suffix.lower() == ".json":
                data = load_json(text, name=name, max_depth=limits.nesting)
            else:
                data = load_yaml(text, name=name, max_nodes=limits.yaml_nodes, max_depth=limits.nesting)
        except UntrustedInputError as exc:
            raise ScanInputError(f"{exc.where}: cannot read the mapping: {exc.reason}") from None
        except RecordError as exc:
            raise ScanInputError(f"{shown_as or path}: cannot read the mapping: {exc.errors[0]['msg']}") from None
        return cls.from_dict(data, shown_as or str(path), fx)

    @classmethod
    def from_dict(cls, data: Any, where: str = "mapping", fx: MappingABC[str, float] | None = None) -> Mapping:
        """Check a mapping given as data."""
        if not isinstance(data, dict):
            raise ScanInputError(f"{where}: a mapping must be an object with kind and columns")
        problems = [f"unknown key {str(k)[:60]!r}{hint(str(k), sorted(_KEYS))}" for k in data if k not in _KEYS]
        data = _checked_shapes(data, problems)
        kind = data.get("kind")
        if not isinstance(kind, str) or not kind:
            problems.append("kind is required: a record kind or the column holding the kind")
            kind = ""
        constant_kind = kind if kind in MODEL_BY_KIND else None
        if kind and constant_kind is None and not isinstance((data.get("values") or {}).get("kind"), dict):
            problems.append(f"kind {kind[:60]!r} is not a record kind{hint(kind, sorted(MODEL_BY_KIND))}; to read "
                            "kinds from a column, also give values.kind {source value: record kind}")
        mapping = cls(kind=constant_kind, kind_column=None if constant_kind else kind or None,
                      columns=_str_dict(data.get("columns"), "columns", problems),
                      values={str(k): {str(a): b for a, b in v.items()}
                              for k, v in (data.get("values") or {}).items() if isinstance(v, dict)},
                      constants=dict(data.get("constants") or {}), currency=data.get("currency"),
                      formats=_str_dict(data.get("formats"), "formats", problems),
                      required=[str(r) for r in data.get("required") or []],
                      list_separator=str(data.get("list_separator", ";")))
        if any(not isinstance(v, dict) for v in (data.get("values") or {}).values()):
            problems.append("values must map each field to an object {source value: record value}")
        kinds = [constant_kind] if constant_kind else sorted({str(v) for v in mapping.values.get("kind", {}).values()
                                                              if isinstance(v, str) and v in MODEL_BY_KIND}
                                                             or set(MODEL_BY_KIND))
        targets = [*mapping.columns, *mapping.constants, *mapping.formats, *mapping.required,
                   *(k for k in mapping.values if k != "kind")]
        set_here = [*mapping.columns, *mapping.constants]
        for target in dict.fromkeys(set_here):
            inner = next((t for t in set_here if t.startswith(target + ".")), None)
            if inner is not None:
                problems.append(f"{target} and {inner} are both given: map the whole object or its fields, not both")
        for target in dict.fromkeys(targets):
            if target in ("id", "kind"):
                continue
            if all(field_type(k, target) is None for k in kinds):
                known = sorted({p for k in kinds for p in catalog()[k].fields})
                problems.append(f"{target}: not a field of {'/'.join(kinds)}{hint(target, known)}")
        rates = {"CNY": 1.0, **{str(k).upper(): float(v) for k, v in (fx or {}).items()}}
        if mapping.currency is not None and str(mapping.currency).upper() not in rates:
            problems.append(f"currency {mapping.currency!r} is not in the pack's fx table ({', '.join(sorted(rates))})")
        if problems:
            raise ScanInputError(f"{where}: invalid mapping:\n  " + "\n  ".join(problems))
        return mapping

    # ---- rows to records ------------------------------------------------------------------
    def to_record(self, row: Row, fx: MappingABC[str, float]) -> tuple[dict | None, list[RowProblem]]:
        """The record a row maps to (None when it cannot be), and the row's problems."""
        if not row.tabular and self.identity:
            return dict(row.data), []
        problems: list[RowProblem] = []

        def problem(column: str, reason: str) -> None:
            problems.append(RowProblem(row.source, row.number, column, reason))

        kind = self.kind or self._kind(row, problem)
        if kind is None:
            return None, problems
        columns = ({c: c for c in row.data if c != "kind" and field_type(kind, c) is not None}
                   if self.identity else self.columns)
        record: dict[str, Any] = {"kind": kind}
        rate = 1.0
        if self.currency:
            rate = {"CNY": 1.0, **{str(k).upper(): float(v) for k, v in fx.items()}}[str(self.currency).upper()]
        for target, column in columns.items():
            raw = row.data.get(column)
            if empty(raw):
                continue
            value = self._convert(kind, target, raw, lambda reason, c=column: problem(c, reason))
            if value is SKIP:
                continue
            if rate != 1.0 and target.endswith("_cny") and isinstance(value, (int, float)):
                value = number_out(round(value * rate, 2))
            _set(record, target, value)
        for target, value in self.constants.items():
            _set(record, target, value)
        for target in self.required:
            if get_indexed(record, target) is None:
                problem(self.columns.get(target, target), f"{target}: a value is required but the cell is empty")
        if "id" not in record:
            record["id"] = f"{Path(row.source).name}:{row.number}"
        if problems:
            return None, problems
        return record, []

    def _kind(self, row: Row, problem: Any) -> str | None:
        column = self.kind_column or "kind"
        raw = row.data.get(column)
        value = _lookup_value(self.values.get("kind"), raw)
        if value is _MISSING:
            value = raw.strip() if isinstance(raw, str) else raw
        if value not in MODEL_BY_KIND:
            problem(column, f"unknown kind {raw!r}; expected one of: {', '.join(MODEL_BY_KIND)}"
                    + hint(str(value), list(MODEL_BY_KIND)))
            return None
        return str(value)

    def _convert(self, kind: str, target: str, raw: Any, problem: Any) -> Any:
        ftype = field_type(kind, target) if target != "id" else FieldType("str")
        if ftype is None:
            return SKIP  # a column for a field this kind does not have (lenient import)
        mapped = _lookup_value(self.values.get(target), raw)
        if mapped is None:
            return SKIP  # mapped to null: the value means "unknown"
        if mapped is not _MISSING:
            if not isinstance(mapped, str):
                return mapped  # numbers and booleans from the value map are used as given
            raw = mapped
        return coerce(ftype, raw, self.formats.get(target), self.list_separator, target, problem)


_MISSING = object()


def _lookup_value(table: dict[str, Any] | None, raw: Any) -> Any:
    """A value map's entry for a cell: exact, then ignoring case and spaces, then ``*``."""
    if not table or raw is None:
        return _MISSING
    text = str(raw).strip()
    if text in table:
        return table[text]
    folded = " ".join(text.split()).casefold()
    for key, value in table.items():
        if " ".join(str(key).split()).casefold() == folded:
            return value
    return table.get(_ANY, _MISSING)


def _checked_shapes(data: dict, problems: list[str]) -> dict:
    """``data`` with every part of the wrong shape reported and dropped (so checking goes on safely)."""
    data = dict(data)
    for key, ok, expected in (("constants", isinstance(data.get("constants"), dict), "an object {field: value}"),
                              ("required", isinstance(data.get("required"), list)
                               and all(isinstance(r, str) for r in data.get("required") or []), "a list of fields"),
                              ("currency", isinstance(data.get("currency"), str), "a currency code such as USD"),
                              ("list_separator", isinstance(data.get("list_separator"), str)
                               and bool(data.get("list_separator")), "a non-empty text such as ';'")):
        if data.get(key) is not None and not ok:
            problems.append(f"{key} must be {expected}")
            data.pop(key)
    values = data.get("values")
    if values and not isinstance(values, dict):
        problems.append("values must map each field to an object {source value: record value}")
        data.pop("values")
    elif isinstance(values, dict):
        for name, table in values.items():
            if isinstance(table, dict) and any(not isinstance(v, _SCALAR) for v in table.values()):
                problems.append(f"values.{str(name)[:60]}: each value must be a text, number, true/false or null")
    return data


def _str_dict(value: Any, name: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"{name} must be an object")
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _set(record: dict, path: str, value: Any) -> None:
    """Set a dotted path, creating objects, and lists for numeric parts."""
    parts = path.split(".")
    node: Any = record
    for i, part in enumerate(parts[:-1]):
        nxt: Any = [] if _index(parts[i + 1]) is not None else {}
        if isinstance(node, list):
            index = int(part)
            while len(node) <= index:
                node.append(None)
            if node[index] is None:
                node[index] = nxt
            node = node[index]
        else:
            node = node.setdefault(part, nxt)
    last = parts[-1]
    if isinstance(node, list):
        index = int(last)
        while len(node) <= index:
            node.append(None)
        node[index] = value
    else:
        node[last] = value


def validate(record: dict, row: Row, mapping: Mapping, fx: MappingABC[str, float] | FxTable
             ) -> tuple[Any, list[RowProblem]]:
    """Parse a mapped record leniently (unknown fields dropped); problems name the source column."""
    try:
        return parse_record(record, lenient=True, fx=fx), []
    except RecordError as exc:
        out = []
        for error in exc.errors:
            loc = str(error["loc"])
            if mapping.identity:
                column = loc if row.tabular else ""
            else:
                column = next((c for f, c in mapping.columns.items()
                               if loc == f or loc.startswith(f + ".") or f.startswith(loc + ".")), "")
            out.append(RowProblem(row.source, row.number, column, f"{loc}: {error['msg']}"))
        return None, out
