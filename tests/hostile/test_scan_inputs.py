"""`conduct-check scan` with hostile files, mappings and context (SPEC §12): bad rows skipped and listed, a file
unreadable part-way reported with the row where it stopped while the other files are scanned (exit 1); a bad
mapping or context refused in the parent before any worker starts (exit 2). No traceback, ever."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import pytest
from openpyxl import Workbook

from .conftest import AS_OF, RULES, assert_refused, billion_laughs, cli, gift_line


def _summary(report) -> tuple[list[dict], dict]:
    lines = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()]
    return lines[:-1], lines[-1]["summary"]


def _scan(tmp_path, *paths, workers: str = "1", env=None, extra=()):
    out = tmp_path / "report.jsonl"
    proc = cli("scan", *map(str, paths), "--as-of", AS_OF, "--out", str(out), "--workers", workers, *extra,
               tmp=tmp_path, env=env)
    return proc, out


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_directory_with_a_corrupt_file_broken_rows_and_good_files(tmp_path, gift):
    folder = tmp_path / "in"
    folder.mkdir()
    good = [gift_line(gift, id=f"G-{i}") for i in range(40)]
    (folder / "a_good.jsonl").write_text("\n".join(good[:20]) + "\n", encoding="utf-8")
    (folder / "b_good.csv").write_text("id,kind,employee_id,occurred_on,direction,form,value_cny\n"
                                       + "".join(f"C-{i},gift,E-1,2026-03-0{i % 9 + 1},received,goods,100\n"
                                                 for i in range(10)), encoding="utf-8")
    broken = [gift_line(gift, id="R-1"),
              '{"id": "R-2", "id": "R-2b"}',
              "[" * 100_000,
              gift_line(gift, id="R-4")[:-1] + ', "recipients": ' + "9" * 5001 + "}",
              gift_line(gift, id="R-5", declared_at="0001-01-01T00:00:00+14:00"),
              '{"id": "R-6", "value_cny": 1e400}',
              "{not json",
              gift_line(gift, id="R-8")]
    (folder / "c_rows.jsonl").write_text("\n".join(broken) + "\n", encoding="utf-8")
    data = gzip.compress(("\n".join(good) * 40 + "\n").encode())
    (folder / "d_corrupt.jsonl.gz").write_bytes(data[: len(data) // 2])
    (folder / "e_truncated.xlsx").write_bytes(_xlsx([["id", "kind"], ["X-1", "gift"]])[:300])
    proc, out = _scan(tmp_path, folder)
    assert_refused(proc, "unreadable", code=1)
    results, summary = _summary(out)
    ids = {r["record_id"] for r in results}
    assert {f"G-{i}" for i in range(20)} <= ids and {f"C-{i}" for i in range(10)} <= ids
    assert {"R-1", "R-8"} <= ids and not ids & {"R-2", "R-4", "R-5", "R-6"}
    unreadable = {f["source"].rsplit("/", 1)[-1]: f for f in summary["unreadable_files"]}
    assert set(unreadable) == {"d_corrupt.jsonl.gz", "e_truncated.xlsx"}
    assert "corrupt or truncated gzip" in unreadable["d_corrupt.jsonl.gz"]["reason"]
    assert unreadable["d_corrupt.jsonl.gz"]["row"] > 1
    assert unreadable["e_truncated.xlsx"] == {**unreadable["e_truncated.xlsx"], "row": 1}
    assert "not a readable XLSX workbook" in unreadable["e_truncated.xlsx"]["reason"]
    rows = {(p["source"].rsplit("/", 1)[-1], p["row"]): p["reason"] for p in summary["skipped_rows"]}
    assert "duplicate key 'id'" in rows[("c_rows.jsonl", 2)]
    assert "nested deeper than 64 levels" in rows[("c_rows.jsonl", 3)]
    assert "at most 30 digits" in rows[("c_rows.jsonl", 4)]
    assert "between 1900-01-01 and 2199-12-31" in rows[("c_rows.jsonl", 5)]
    assert "must be finite" in rows[("c_rows.jsonl", 6)]
    assert "invalid JSON" in rows[("c_rows.jsonl", 7)]
    assert "d_corrupt.jsonl.gz: stopped at row" in proc.stderr and "e_truncated.xlsx: stopped at row 1" in proc.stderr


FILE_CASES = {
    "csv field over the limit": ("big.csv", "id,kind\nA,gift\nB,\"" + "x" * 200_000 + "\"\nC,gift\n", {},
                                 (3, "a field is longer than 131,072 characters")),
    "csv field over a configured limit": ("f.csv", "id,kind,description\nA,gift," + "y" * 500 + "\n", {
        "CONDUCT_MAX_FIELD_CHARS": "100"}, (2, "a field is longer than 100 characters")),
    "jsonl line over the limit": ("l.jsonl", '{"id": "A"}\n' + '{"x": "' + "z" * 5000 + '"}\n', {
        "CONDUCT_MAX_ROW_CHARS": "1000"}, (2, "a line is longer than 1,000 characters")),
    "gzip bomb": ("bomb.csv.gz", gzip.compress(b"id,kind\n" + b"A,gift\n" * 2_000_000), {
        "CONDUCT_MAX_DECOMPRESSED_BYTES": "1000000"}, (None, "expands to more than 1,000,000 bytes")),
    "not gzip at all": ("fake.jsonl.gz", b"this is not gzip", {}, (1, "corrupt or truncated gzip")),
    "not utf-8 mid-file": ("u.csv", b"id,kind\nA,gift\n" + b"B,\xff\xfe\n" * 5000, {}, (None, "not UTF-8 text")),
    "json array document too deep": ("d.json", "[" + "[" * 100_000, {}, (1, "nested deeper than 64 levels")),
    "json document with a 5001-digit number": ("n.json", '[{"id": "A", "value_cny": ' + "7" * 5001 + "}]", {},
                                               (1, "at most 30 digits")),
    "xlsx that expands too far": ("z.xlsx", None, {"CONDUCT_MAX_DECOMPRESSED_BYTES": "2000"},
                                  (1, "the workbook expands to")),
    "xlsx garbage": ("g.xlsx", b"PK\x03\x04" + bytes(range(256)) * 4, {}, (1, "not a readable XLSX workbook")),
}


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_a_file_that_fails_part_way_is_reported_and_the_scan_goes_on(tmp_path, gift, case):
    name, content, env, (row, reason) = FILE_CASES[case]
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / name
    if content is None:
        content = _xlsx([["id", "kind", "description"], *[[f"X-{i}", "gift", "w" * 100] for i in range(200)]])
    bad.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    (folder / "ok.jsonl").write_text(gift_line(gift, id="OK-1") + "\n", encoding="utf-8")
    proc, out = _scan(tmp_path, folder, env=env)
    assert_refused(proc, f"unreadable {bad}: stopped at row", reason, code=1)
    results, summary = _summary(out)
    assert "OK-1" in {r["record_id"] for r in results}
    [failure] = summary["unreadable_files"]
    assert failure["source"] == str(bad) and reason in failure["reason"]
    if row is not None:
        assert failure["row"] == row
    assert any(p["source"] == str(bad) and p["row"] == failure["row"] for p in summary["skipped_rows"])


def _mapping(tmp_path, text: str, name: str = "m.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MAPPING_CASES = {
    "alias bomb": (billion_laughs(), ":6: cannot read the mapping: more than 100,000 nodes"),
    "duplicate key": ("kind: gift\ncolumns: {id: a}\ncolumns: {id: b}\n", ":3: cannot read the mapping: duplicate key"),
    "python tag": ("kind: !!python/object/new:os.system [echo]\n", ":1: cannot read the mapping: custom tags"),
    "not yaml": ("kind: [gift\n", "cannot read the mapping: invalid YAML"),
    "not an object": ("- a\n- b\n", "a mapping must be an object"),
    "empty list separator": ("kind: gift\nlist_separator: ''\n", "list_separator must be a non-empty text"),
    "constants not an object": ("kind: gift\nconstants: [1, 2]\n", "constants must be an object"),
    "required not a list": ("kind: gift\nrequired: employee_id\n", "required must be a list of fields"),
    "kind map with lists": ("kind: type\nvalues: {kind: {A: [gift]}}\n", "values.kind: each value must be a text"),
    "huge list index": ("kind: loan_file\ncolumns: {materials.99999999.type: t}\n",
                        "materials.99999999.type: not a field of loan_file"),
    "unicode digit index": ("kind: loan_file\ncolumns: {materials.².type: t}\n", "materials.².type: not a field"),
    "json mapping with duplicate": ('{"kind": "gift", "kind": "fee"}', "cannot read the mapping: duplicate key 'kind'"),
}


@pytest.mark.parametrize("case", sorted(MAPPING_CASES))
def test_scan_refuses_hostile_mappings_before_any_worker(tmp_path, gift, case):
    text, expected = MAPPING_CASES[case]
    data = tmp_path / "r.csv"
    data.write_text("id,kind\nA,gift\n", encoding="utf-8")
    mapping = _mapping(tmp_path, text, "m.json" if case.startswith("json") else "m.yaml")
    proc, _ = _scan(tmp_path, data, workers="2", extra=("--mapping", str(mapping)))
    assert_refused(proc, str(mapping), expected)


CONTEXT_CASES = {
    "unknown field (check rejects it too)": ('{"employees": [{"id": "E1", "colour": "red"}]}', "c.json",
                                             "employees.0.colour: Extra inputs are not permitted"),
    "wrong type": ('{"employees": [{"id": "E1", "monthly_salary_cny": "lots"}]}', "c.json",
                   "employees.0.monthly_salary_cny"),
    "alias bomb": (billion_laughs(), "c.yaml", ":6: more than 100,000 nodes"),
    "duplicate key": ('{"employees": [], "employees": []}', "c.json", "duplicate key 'employees'"),
}


@pytest.mark.parametrize("case", sorted(CONTEXT_CASES))
def test_scan_validates_its_context_in_the_parent_like_check(tmp_path, gift, case):
    text, name, expected = CONTEXT_CASES[case]
    data = tmp_path / "r.jsonl"
    data.write_text(gift_line(gift) + "\n", encoding="utf-8")
    ctx = _mapping(tmp_path, text, name)
    proc, _ = _scan(tmp_path, data, workers="2", extra=("--context", str(ctx)))
    assert_refused(proc, "invalid input", expected)
    assert "BrokenProcessPool" not in proc.stderr


def test_a_crafted_xlsx_dimension_does_not_pad_rows(tmp_path, gift):
    raw = _xlsx([["id", "kind"], ["X-1", "gift"]])
    source, target = io.BytesIO(raw), io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            body = zin.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                body = body.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')
            zout.writestr(item, body)
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "wide.xlsx"
    path.write_bytes(target.getvalue())
    proc, out = _scan(tmp_path, path)
    assert "Traceback" not in proc.stderr
    _, summary = _summary(out)
    assert summary["rows"] == 1 and summary["unreadable_files"] == []


def test_a_broken_pack_on_two_workers_is_one_clean_error(tmp_path, gift):
    """The workers start while the parent loads the packs; a broken pack is reported once, by the parent, with no
    traceback from the workers' initializers."""
    import shutil
    pack = shutil.copytree(RULES, tmp_path / "broken")
    common = next(pack.rglob("*.yaml"))
    common.write_text(common.read_text(encoding="utf-8") + "\n  bad: [unclosed\n", encoding="utf-8")
    path = tmp_path / "g.jsonl"
    path.write_text(gift_line(gift) + "\n", encoding="utf-8")
    proc = cli("scan", str(path), "--workers", "2", "--pack", str(pack), tmp=tmp_path, pack=False)
    assert_refused(proc, "rule pack error", "invalid YAML")
