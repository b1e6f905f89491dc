"""Every report format, validated: SARIF against the official 2.1.0 schema, JUnit parsed, XLSX opened,
CSV re-read, JSON Lines and HTML checked for their content."""

from __future__ import annotations

import csv
import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook

from conduct_engine.reports import FORMATS, write_report
from conduct_engine.scan.job import run_scan

from .conftest import AS_OF, RULES, make_gifts, write_jsonl
from .test_mapping import BROKEN_CSV

SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-2.1.0-rtm.5.json"


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> tuple[dict, list, dict[str, Path]]:
    """One scan (generated gifts plus a CSV with broken rows) written in every format."""
    folder = tmp_path_factory.mktemp("reports")
    gifts = write_jsonl(folder / "gifts.jsonl", make_gifts(200, seed=3))
    broken = folder / "broken.csv"
    broken.write_text(BROKEN_CSV, encoding="utf-8")
    run = run_scan([str(gifts), str(broken)], as_of=dt.date.fromisoformat(AS_OF), workers=1, store=folder / "ckpt",
                   rules_dir=str(RULES))
    outs = {}
    for fmt in FORMATS:
        outs[fmt] = folder / f"report.{fmt}"
        write_report(fmt, run.checkpoint.results(), run.summary, outs[fmt])
    results = [r for r, _ in run.checkpoint.results()]
    run.checkpoint.close(remove=True)
    return run.summary, results, outs


def test_sarif_validates_against_the_2_1_0_schema(reports):
    summary, results, outs = reports
    log = json.loads(outs["sarif"].read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(log)
    run = log["runs"][0]
    assert log["version"] == "2.1.0" and len(run["results"]) == summary["findings"] > 0
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == set(summary["by_rule"])
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == len(summary["skipped_rows"]) == 6
    levels = {r["level"] for r in run["results"]}
    assert levels <= {"error", "warning", "note"} and "error" in levels


def test_junit_parses_with_a_case_per_record_and_errors_for_skipped_rows(reports):
    summary, results, outs = reports
    root = ET.parse(outs["junit"]).getroot()
    cases = root.findall(".//testsuite[@name='gift']/testcase")
    assert len(cases) == summary["records"] == len(results)
    failing = sum(1 for r in results if r["decision"] in ("block", "review"))
    assert len(root.findall(".//testsuite[@name='gift']/testcase/failure")) == failing == int(root.get("failures"))
    assert len(root.findall(".//testsuite[@name='import']/testcase/error")) == 6


def test_xlsx_has_a_summary_and_a_sheet_per_standard(reports):
    summary, _, outs = reports
    book = load_workbook(outs["xlsx"], read_only=True)
    assert book.sheetnames == ["Summary", *summary["by_standard"], "Skipped rows"]
    rows = list(book["Summary"].iter_rows(values_only=True))
    assert ("findings", summary["findings"]) in [tuple(r[:2]) for r in rows]
    for code, count in summary["by_standard"].items():
        assert book[code].max_row == count + 1
    assert len(list(book["Skipped rows"].iter_rows(values_only=True))) == 7


def test_csv_rereads_one_row_per_finding(reports):
    summary, results, outs = reports
    with outs["csv"].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    passes = sum(1 for r in results if not r["violations"])
    assert len(rows) == summary["findings"] + passes
    finding = next(r for r in rows if r["rule_id"])
    assert json.loads(finding["evidence"]) and finding["source_file"].endswith(".jsonl")
    assert {r["record_id"] for r in rows} == {r["record_id"] for r in results}


def test_jsonl_is_results_then_summary(reports):
    summary, results, outs = reports
    lines = [json.loads(line) for line in outs["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert lines[:-1] == results and lines[-1] == {"summary": summary}
    assert summary["skipped"] == 6 and summary["records"] == 202


def test_html_is_self_contained_with_charts_and_a_filterable_table(reports):
    summary, _, outs = reports
    page = outs["html"].read_text(encoding="utf-8")
    assert page.count("<svg") == 5
    for fetch in ("<script src", "<link", 'src="http', "href=\"http", "@import", "url(http"):
        assert fetch not in page  # nothing loaded from elsewhere: it works offline
    assert page.count('<tr data-standard="') == summary["findings"]
    assert 'id="filter-text"' in page and "broken.csv" in page
