"""`conduct-check check` and `reference load` refuse hostile records and context files: exit 2, a message naming
where and why, never a traceback (SPEC §12). Bombs and huge inputs run in a subprocess under a memory limit."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest
from typer.testing import CliRunner

from conduct_engine.cli import app
from conduct_engine.untrusted import UntrustedInputError, load_yaml

from .conftest import RULES, assert_refused, billion_laughs, cli, gift_line

runner = CliRunner()


def _check(tmp_path, name: str, text: str | bytes, *extra: str):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    result = runner.invoke(app, ["check", str(path), *extra, "--pack", str(RULES)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return path, result


def _gift_yaml(extra: str = "") -> str:
    return ("id: G-1\nkind: gift\nemployee_id: E-100\noccurred_on: 2026-10-10\ndirection: received\nform: goods\n"
            "value_cny: 150\n" + extra)


RECORD_CASES = {
    "yaml duplicate key": ("r.yaml", _gift_yaml("value_cny: 9000\n"), [":8: duplicate key 'value_cny'", "line 7"]),
    "yaml python tag": ("r.yaml", _gift_yaml("x: !!python/object/apply:os.system ['true']\n"), [":8: custom tags"]),
    "yaml local tag": ("r.yaml", _gift_yaml("note: !secret x\n"), [":8: custom tags are not allowed: !secret"]),
    "yaml binary tag": ("r.yaml", _gift_yaml("note: !!binary aGVsbG8=\n"), [":8: custom tags"]),
    "yaml recursive alias": ("r.yaml", "&a [*a]\n", [":1: alias *a refers to a node that contains it"]),
    "yaml complex key": ("r.yaml", "? [a, b]\n: 1\n", [":1: a mapping key must be a plain value"]),
    "yaml too deep": ("r.yaml", "[" * 200 + "]" * 200, [":1: nested deeper than 64 levels"]),
    "yaml bad date": ("r.yaml", _gift_yaml().replace("2026-10-10", "2026-13-45"), [":4:", "month must be in 1..12"]),
    "yaml 5001 digits": ("r.yaml", _gift_yaml().replace("150", "1" * 5001), [":7: a number may have at most 30 digits"]),
    "yaml infinite": ("r.yaml", _gift_yaml().replace("150", ".inf"), [":7: a number must be finite"]),
    "yaml two documents": ("r.yaml", "a: 1\n---\nb: 2\n", ["expected a single document"]),
    "yaml NUL": ("r.yaml", "a: '\x00'\n", [":1: invalid YAML", "not allowed"]),
    "json duplicate key": ("r.json", '{"id": "G-1", "kind": "gift", "kind": "fee"}', ["r.json:1: $: duplicate key 'kind'"]),
    "json nested duplicate": ("r.json", '{"counterparty": {"name": "a", "name": "b"}}',
                              ["$.counterparty: duplicate key 'name'"]),
    "json too deep": ("r.json", "[" * 5000 + "]" * 5000, ["r.json:1: nested deeper than 64 levels"]),
    "json 5001 digits": ("r.json", '{"value_cny": ' + "1" * 5001 + "}", ["$.value_cny: a number may have at most 30"]),
    "json 31 digits": ("r.json", '{"value_cny": 0.' + "1" * 31 + "}", ["$.value_cny: a number may have at most 30"]),
    "json 1e400": ("r.json", '{"value_cny": 1e400}', ["$.value_cny: a number must be finite, not 1e400"]),
    "json NaN": ("r.json", '{"value_cny": NaN}', ["$.value_cny: a number must be finite, not NaN"]),
    "json -Infinity": ("r.json", '[{"value_cny": -Infinity}]', ["$[0].value_cny: a number must be finite"]),
    "json lone surrogate": ("r.json", '{"description": "\\ud800"}', ["$.description: a string holds an unpaired"]),
    "jsonl bad third line": ("r.jsonl", '{"a": 1}\n{"b": 2}\n{"c": 3, "c": 4}\n', ["r.jsonl:3: $: duplicate key 'c'"]),
    "jsonl deep line": ("r.jsonl", '{"a": 1}\n' + "[" * 100_000 + "\n", ["r.jsonl:2: nested deeper than 64"]),
    "json syntax": ("r.json", '{"id": 1', ["invalid JSON", "column"]),
    "not utf-8": ("r.json", b'{"id": "\xff\xfe"}', ["r.json: not UTF-8 text"]),
    "binary garbage": ("r.json", bytes(range(256)), ["not UTF-8 text"]),
    "empty": ("r.json", "   \n", ["no records: the input is empty"]),
    "datetime overflow": ("r.json", None, ["declared_at: Input should be between 1900-01-01 and 2199-12-31"]),
    "date before 1900": ("r.json", None, ["occurred_on: Input should be between 1900-01-01 and 2199-12-31"]),
    "number over 30 digits as float": ("r.json", None, ["value_cny: Input should have at most 30 digits"]),
}


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_check_refuses_hostile_records(tmp_path, gift, case):
    name, text, expected = RECORD_CASES[case]
    if text is None:
        changes = {"datetime overflow": {"declared_at": "0001-01-01T00:00:00+14:00"},
                   "date before 1900": {"occurred_on": "1899-12-31"},
                   "number over 30 digits as float": {"value_cny": 1e31}}[case]
        text = gift_line(gift, **changes)
    path, result = _check(tmp_path, name, text)
    assert result.exit_code == 2, result.stderr
    assert "invalid input" in result.stderr
    for part in expected:
        assert part in result.stderr, (part, result.stderr)
    if case not in ("datetime overflow", "date before 1900", "number over 30 digits as float"):
        assert str(path) in result.stderr


CONTEXT_CASES = {
    "unknown field": ("c.json", '{"employees": [{"id": "E1", "colour": "red"}]}', ["employees.0.colour", "Extra"]),
    "duplicate key": ("c.yaml", "employees:\n  - id: E1\n    id: E2\n", [":3: duplicate key 'id'"]),
    "alias bomb": ("c.yaml", billion_laughs(), [":6: more than 100,000 nodes after aliases are expanded"]),
    "python tag": ("c.yaml", "employees: !!python/name:os.system\n", [":1: custom tags"]),
    "deep json": ("c.json", '{"employees": ' + "[" * 3000 + "]" * 3000 + "}", [":1: nested deeper than 64"]),
    "not an object": ("c.json", "[1, 2]", ["must be a JSON object"]),
}


@pytest.mark.parametrize("case", sorted(CONTEXT_CASES))
def test_check_refuses_hostile_context(tmp_path, gift, case):
    name, text, expected = CONTEXT_CASES[case]
    ctx = tmp_path / name
    ctx.write_text(text, encoding="utf-8")
    _, result = _check(tmp_path, "r.json", gift_line(gift), "--context", str(ctx))
    assert result.exit_code == 2, result.stderr
    for part in expected:
        assert part in result.stderr, (part, result.stderr)


@pytest.mark.parametrize("case", ["duplicate key", "alias bomb", "unknown field", "python tag"])
def test_reference_load_refuses_hostile_files(tmp_path, case):
    name, text, expected = CONTEXT_CASES[case]
    ref = tmp_path / name
    ref.write_text(text, encoding="utf-8")
    proc = cli("reference", "load", str(ref), tmp=tmp_path, pack=False)
    assert_refused(proc, "invalid input", *expected)


def test_billion_laughs_fails_in_milliseconds_with_bounded_memory():
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(UntrustedInputError) as exc:
        load_yaml(billion_laughs(10), name="bomb.yaml", max_nodes=100_000)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert exc.value.code == "yaml.too_many_nodes" and exc.value.where == "bomb.yaml:6"
    assert elapsed < 0.5 and peak < 5_000_000, (elapsed, peak)


def test_check_alias_bomb_in_a_subprocess_under_a_memory_limit(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs(12), encoding="utf-8")
    assert_refused(cli("check", str(bomb), tmp=tmp_path), f"{bomb}:6: more than 100,000 nodes")


def test_check_huge_file_stops_at_the_document_limit(tmp_path, gift):
    big = tmp_path / "big.jsonl"
    line = gift_line(gift) + "\n"
    big.write_text(line * (3_000_000 // len(line) + 1), encoding="utf-8")
    proc = cli("check", str(big), tmp=tmp_path, env={"CONDUCT_MAX_DOCUMENT_BYTES": "1000000"})
    assert_refused(proc, f"{big}: larger than 1,000,000 bytes (CONDUCT_MAX_DOCUMENT_BYTES)")


def test_check_deep_json_in_a_subprocess(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 1_000_000 + "]" * 1_000_000, encoding="utf-8")
    assert_refused(cli("check", str(deep), tmp=tmp_path), f"{deep}:1: nested deeper than 64 levels")


def test_node_limit_is_a_setting(tmp_path, gift):
    doc = tmp_path / "r.yaml"
    doc.write_text(json.dumps(gift), encoding="utf-8")  # JSON is YAML: 20-odd nodes
    proc = cli("check", str(doc), tmp=tmp_path, env={"CONDUCT_MAX_YAML_NODES": "10"})
    assert_refused(proc, "more than 10 nodes after aliases are expanded (CONDUCT_MAX_YAML_NODES)")
