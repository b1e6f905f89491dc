"""Imports: readers for every format, mappings (renames, dotted targets, values, constants, currency),
and broken rows listed with row number, column and reason while the scan goes on."""

from __future__ import annotations

import gzip
import json

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from conduct_engine.cli import app
from conduct_engine.scan import ScanInputError
from conduct_engine.scan.mapping import Mapping
from conduct_engine.scan.readers import Row, expand, read_rows

from .conftest import AS_OF, RULES, jsonl_lines

FX = {"USD": 7.1}
BROKEN_CSV = """id,kind,employee_id,occurred_on,direction,form,value_cny,counterparty.name,unknown_column
G-1,gift,E-1,2026-03-01,received,goods,100,甲公司,dropped
G-2,gift,E-1,2026-13-01,received,goods,100,甲公司,
G-3,gift,E-2,2026-03-02,received,goods,about 200,乙公司,
G-4,gift,E-2,2026-03-03,received,voucher_x,100,乙公司,
G-5,present,E-3,2026-03-04,received,goods,100,丙公司,
G-6,gift,E-3,2026-03-05,received,shopping_card,2000,丙公司,
G-7,gift,,2026-03-06,received,goods,100,丙公司,
G-8,gift,E-4,2026-03-07,received,goods,100,丙公司,x,y
"""


def _row(data: dict, number: int = 2) -> Row:
    return Row("in.csv", number, data, tabular=True)


def test_broken_rows_are_listed_and_the_scan_goes_on(tmp_path):
    src = tmp_path / "broken.csv"
    src.write_text(BROKEN_CSV, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["scan", str(src), "--as-of", AS_OF, "--out", str(out), "--workers", "1",
                                      "--pack", str(RULES)])
    assert result.exit_code == 1, result.output
    results, summary = jsonl_lines(out)
    assert [r["record_id"] for r in results] == ["G-1", "G-6"]
    assert results[1]["decision"] == "block"
    problems = {(p["row"], p["column"]): p["reason"] for p in summary["skipped_rows"]}
    assert set(problems) == {(3, "occurred_on"), (4, "value_cny"), (5, "form"), (6, "kind"), (8, "employee_id"),
                             (9, "")}
    assert "not a date" in problems[(3, "occurred_on")] and "'2026-13-01'" in problems[(3, "occurred_on")]
    assert "not a number: 'about 200'" in problems[(4, "value_cny")]
    assert "unknown value 'voucher_x'" in problems[(5, "form")]
    assert "unknown kind 'present'" in problems[(6, "kind")]
    assert "employee_id" in problems[(8, "employee_id")] and "required" in problems[(8, "employee_id")].lower()
    assert "10 cells" in problems[(9, "")]
    assert (summary["rows"], summary["records"], summary["skipped"]) == (8, 2, 6)
    assert "skipped" in result.stderr and "broken.csv:4 value_cny" in result.stderr


def test_invalid_json_lines_are_skipped(tmp_path, gift):
    src = tmp_path / "r.jsonl"
    src.write_text(json.dumps(gift) + "\n{not json\n" + json.dumps({**gift, "id": "G-2", "value_cny": "x"}) + "\n[1]\n")
    out = tmp_path / "o.jsonl"
    CliRunner().invoke(app, ["scan", str(src), "--as-of", AS_OF, "--out", str(out), "--workers", "1", "--pack", str(RULES)])
    results, summary = jsonl_lines(out)
    assert [r["record_id"] for r in results] == ["G-1"]
    assert [(p["row"], p["column"]) for p in summary["skipped_rows"]] == [(2, ""), (3, ""), (4, "")]
    assert "invalid JSON" in summary["skipped_rows"][0]["reason"]
    assert summary["skipped_rows"][1]["reason"].startswith("value_cny:")


def test_mapping_renames_values_constants_currency_and_formats():
    mapping = Mapping.from_dict({
        "kind": "gift", "columns": {"id": "rid", "employee_id": "emp", "occurred_on": "when", "value_cny": "usd",
                                    "form": "how", "counterparty.name": "maker", "counterparty.group_id": "maker"},
        "values": {"form": {"Cash or cash equivalent": "cash", "*": "goods"}},
        "constants": {"direction": "received"}, "currency": "USD", "formats": {"occurred_on": "%Y-%m-%d %H:%M:%S"},
    }, fx=FX)
    record, problems = mapping.to_record(_row({"rid": "31094501", "emp": "174740", "when": "2013-12-06 00:00:00",
                                               "usd": "1,000.5", "how": "cash OR cash equivalent", "maker": "Acme"}), FX)
    assert problems == []
    assert record == {"kind": "gift", "id": "31094501", "employee_id": "174740", "occurred_on": "2013-12-06",
                      "value_cny": 7103.55, "form": "cash", "counterparty": {"name": "Acme", "group_id": "Acme"},
                      "direction": "received"}
    other, _ = mapping.to_record(_row({"rid": "1", "emp": "2", "when": "2013-12-06 00:00:00", "usd": "3",
                                       "how": "In-kind items and services"}), FX)
    assert other is not None and other["form"] == "goods"


def test_mapping_kind_from_a_column_and_list_items():
    mapping = Mapping.from_dict({
        "kind": "type", "columns": {"id": "id", "product_type": "pt", "requested_amount_cny": "amt",
                                    "term_months": "term", "borrower.name": "who", "materials.0.verified": "v"},
        "values": {"kind": {"LOAN": "loan_file"}, "term_months": {"36 months": 36},
                   "materials.0.verified": {"Verified": True, "Not Verified": False}},
        "constants": {"materials.0.type": "other", "materials.0.required": True}})
    record, problems = mapping.to_record(_row({"type": "loan", "id": "L1", "pt": "working_capital", "amt": "5000",
                                               "term": " 36 months", "who": "x", "v": "Not Verified"}), {})
    assert problems == []
    assert record["kind"] == "loan_file" and record["term_months"] == 36
    assert record["materials"] == [{"verified": False, "type": "other", "required": True}]


def test_bad_mapping_files_list_every_problem_with_hints():
    with pytest.raises(ScanInputError) as exc:
        Mapping.from_dict({"kind": "gift", "columns": {"valu_cny": "x", "counterparty.nam": "y"}, "colums": {},
                           "currency": "XYZ"}, fx=FX)
    text = str(exc.value)
    assert "valu_cny: not a field of gift (did you mean value_cny?)" in text
    assert "counterparty.nam" in text and "did you mean counterparty.name" in text
    assert "unknown key 'colums' (did you mean columns?)" in text
    assert "currency 'XYZ'" in text


def test_readers_gz_xlsx_json_and_directories(tmp_path, gift):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl.gz").write_bytes(gzip.compress((json.dumps(gift) + "\n").encode()))
    (folder / "b.json").write_text(json.dumps([{**gift, "id": "G-2"}, {**gift, "id": "G-3"}]))
    (folder / "c.csv.gz").write_bytes(gzip.compress(b"id,kind\nX,gift\n"))
    book = Workbook()
    book.active.append(["id", "kind", "value_cny", "occurred_on"])
    book.active.append([174740.0, "gift", 12.5, __import__("datetime").datetime(2026, 1, 2)])
    book.save(folder / "d.xlsx")
    (folder / "ignored.txt").write_text("x")
    files = expand([str(folder)])
    assert [f.name for f in files] == ["a.jsonl.gz", "b.json", "c.csv.gz", "d.xlsx"]
    rows = [r for f in files for r in read_rows(f)]
    assert [r.data.get("id") for r in rows] == ["G-1", "G-2", "G-3", "X", 174740.0]
    assert rows[-1].data["occurred_on"] == "2026-01-02" and rows[-1].number == 2 and rows[-1].tabular
    record, _ = Mapping.identity_mapping().to_record(rows[-1], {})
    assert record["id"] == "174740" and record["value_cny"] == 12.5
    with pytest.raises(ScanInputError, match="no such file"):
        expand([str(tmp_path / "missing.csv")])
    with pytest.raises(ScanInputError, match="unsupported file type"):
        expand([str(folder / "ignored.txt")])


def test_unreadable_input_and_bad_mapping_exit_2(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["scan", str(tmp_path / "nope.csv")]).exit_code == 2
    src = tmp_path / "x.csv"
    src.write_text("id\n1\n")
    bad = tmp_path / "m.yaml"
    bad.write_text("kind: gift\ncolumns: {valu_cny: id}\n")
    result = runner.invoke(app, ["scan", str(src), "--mapping", str(bad), "--pack", str(RULES)])
    assert result.exit_code == 2 and "did you mean value_cny" in result.stderr

