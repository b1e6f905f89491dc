"""Bounded fuzzing: random and truncated bytes fed to every file reader and to the YAML, JSON, mapping and context
loaders raise nothing but the project's own errors (``ConductError``); the readers raise nothing at all."""

from __future__ import annotations

import gzip
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from conduct_engine.errors import ConductError
from conduct_engine.records import parse_context, parse_record
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.readers import FileFailure, Row, RowProblem, read_rows
from conduct_engine.untrusted import Limits, load_json, load_yaml

LIMITS = Limits(yaml_nodes=2_000, nesting=64, document_bytes=200_000, decompressed_bytes=200_000, field_chars=2_000,
                row_chars=20_000)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
SEEDS = [
    b'{"id": "G-1", "kind": "gift", "value_cny": 1e3, "counterparty": {"name": "x"}}\n[1, 2]\n',
    b'id,kind,value_cny\nA,gift,12\n"B,\n',
    b"employees:\n  - &e {id: E1}\n  - *e\nclients: [{id: C1, tier: A}]\n",
    b"kind: gift\ncolumns: {id: a, value_cny: b}\nvalues: {form: {x: cash}}\n",
]


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["id", "kind", "value_cny"])
    book.active.append(["A", "gift", 12])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX = _xlsx()
GZ = gzip.compress(SEEDS[0] * 20)


def _mutations(seed: bytes):
    """Truncations, byte flips and insertions of a seed, or plain random bytes."""
    cut = st.integers(0, len(seed)).map(lambda n: seed[:n])
    flip = st.tuples(st.integers(0, max(0, len(seed) - 1)), st.integers(0, 255)).map(
        lambda t: seed[:t[0]] + bytes([t[1]]) + seed[t[0] + 1:])
    insert = st.tuples(st.integers(0, len(seed)), st.binary(max_size=40)).map(lambda t: seed[:t[0]] + t[1] + seed[t[0]:])
    return st.one_of(cut, flip, insert, st.binary(max_size=400))


def _read_all(path) -> list:
    items = list(read_rows(path, LIMITS))
    assert all(isinstance(i, (Row, RowProblem, FileFailure)) for i in items)
    return items


@FUZZ
@given(data=st.one_of(*(_mutations(s) for s in SEEDS), _mutations(XLSX), _mutations(GZ)),
       suffix=st.sampled_from([".json", ".jsonl", ".csv", ".xlsx", ".jsonl.gz", ".csv.gz", ".xlsx.gz"]))
def test_readers_never_raise(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") and data[:2] != b"\x1f\x8b" and len(data) % 2
                     else data)
    _read_all(path)


def _only_conduct_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except ConductError:
        return None


@FUZZ
@given(data=st.one_of(*(_mutations(s) for s in SEEDS)))
def test_loaders_raise_only_project_errors(data):
    text = data.decode("utf-8", errors="replace")
    for loaded in (_only_conduct_errors(load_yaml, text, name="f.yaml", max_nodes=2_000),
                   _only_conduct_errors(load_json, text, name="f.json", max_depth=64)):
        _only_conduct_errors(parse_context, loaded)
        _only_conduct_errors(parse_record, loaded)
        _only_conduct_errors(Mapping.from_dict, loaded, "m.yaml", {"USD": 7.1})


@FUZZ
@given(doc=st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=4), max_leaves=20))
def test_mappings_and_contexts_of_any_shape_fail_cleanly(doc):
    for data in (doc, {"kind": "gift", "columns": doc}, {"kind": "loan_file", "values": doc, "constants": doc},
                 {"employees": doc}, {"kind": "gift", "required": doc, "list_separator": doc}):
        _only_conduct_errors(Mapping.from_dict, data, "m.yaml", {"USD": 7.1})
        _only_conduct_errors(parse_context, data)
        text = json.dumps(data, allow_nan=True)
        _only_conduct_errors(load_json, text, name="f.json", max_depth=64)
