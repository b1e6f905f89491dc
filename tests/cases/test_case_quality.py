"""The rule-quality report matches a plain-Python computation over the cases; the CLI formats."""

from __future__ import annotations

import csv
import io
import json
import statistics

from typer.testing import CliRunner

from conduct_engine.cli import app
from tests.cases.conftest import CARD, KEPT, record
from tests.store.conftest import h


def _work(api, keys, store):
    sub, rev, rev2 = keys["submitter"], keys["reviewer"], keys["reviewer2"]
    plan = {"G-Q1": (KEPT, "true_positive", True), "G-Q2": (KEPT, "false_positive", True),
            "G-Q3": (KEPT, "false_positive", False), "G-Q4": (CARD, "true_positive", True),
            "G-Q5": (CARD, None, False), "G-Q6": (KEPT, None, False)}
    for rid, (base, verdict, closing) in plan.items():
        rec = record(base, rid, counterparty={"party_id": rid, "group_id": rid})
        api.post("/v1/check", json={"record": rec, "as_of": "2026-11-20"}, headers=h(sub))
        cid = store.cases.for_record("gift", rid).id
        if verdict:
            rules = [f.rule_id for f in store.cases.get(cid).findings]
            api.post(f"/v1/cases/{cid}/verdicts", json={"verdicts": dict.fromkeys(rules, verdict)}, headers=h(rev))
        if closing:
            disposition = "substantiated" if verdict == "true_positive" else "not_substantiated"
            r = api.post(f"/v1/cases/{cid}/close", json={"disposition": disposition, "reason": "r",
                                                         "action": "returned" if verdict == "true_positive" else None},
                         headers=h(rev))
            assert r.status_code in (200, 202), r.text
            if r.status_code == 202:
                api.post(f"/v1/cases/{cid}/approve", json={}, headers=h(rev2))


def _plain(cases, today, min_precision):
    """The report the slow way: one loop per rule over every case body."""
    rules = sorted({f["rule_id"] for c in cases for f in c["findings"]})
    rows = {}
    for rule in rules:
        mine = [(c, f) for c in cases for f in c["findings"] if f["rule_id"] == rule]
        tp = len([1 for _, f in mine if f["verdict"] == "true_positive"])
        fp = len([1 for _, f in mine if f["verdict"] == "false_positive"])
        import datetime as dt
        days = [(dt.datetime.fromisoformat(c["closed_at"]) - dt.datetime.fromisoformat(c["opened_at"])).total_seconds()
                / 86400 for c, _ in mine if c["status"] == "closed"]
        rows[rule] = {"cases": len(mine), "true_positives": tp, "false_positives": fp,
                      "precision": round(tp / (tp + fp), 4) if tp + fp else None,
                      "median_days_to_close": round(statistics.median([round(d, 4) for d in days]), 4) if days else None,
                      "overdue": len([1 for c, _ in mine if c["status"] != "closed" and c["due_on"] < today])}
    candidates = [r for r, v in rows.items() if v["precision"] is not None and v["precision"] < min_precision]
    return rows, candidates


def test_rule_quality_matches_a_plain_computation(api, keys, store):
    _work(api, keys, store)
    cases = api.get("/v1/cases", params={"limit": 500}, headers=h(keys["auditor"])).json()["items"]
    for path in ("/v1/reports/rule-quality", "/v1/cases/quality"):
        r = api.get(path, params={"min_precision": 0.6, "as_of": "2026-12-31"}, headers=h(keys["auditor"]))
        assert r.status_code == 200, r.text
        report = r.json()
        expected, candidates = _plain(cases, "2026-12-31", 0.6)
        got = {row["rule_id"]: {k: row[k] for k in expected[row["rule_id"]]} for row in report["rules"]}
        assert got == expected
        assert report["tuning_candidates"] == candidates
    keep = got["BRB-GIFT-KEEP"]  # G-Q1 tp; G-Q2, G-Q3 fp; G-Q6 unreviewed
    assert (keep["cases"], keep["true_positives"], keep["false_positives"], keep["precision"]) == (4, 1, 2, 0.3333)
    assert keep["overdue"] == 2 and "BRB-GIFT-KEEP" in report["tuning_candidates"]
    window = api.get("/v1/reports/rule-quality", params={"from": "2026-11-21"}, headers=h(keys["auditor"])).json()
    assert window["rules"] == []


def test_cli_rule_quality_formats(api, keys, store, monkeypatch):
    _work(api, keys, store)
    monkeypatch.setenv("CONDUCT_DATABASE_URL", store.db.url)
    runner = CliRunner()
    as_json = runner.invoke(app, ["cases", "quality", "--format", "json", "--min-precision", "0.6"])
    assert as_json.exit_code == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    as_csv = runner.invoke(app, ["report", "rule-quality", "--format", "csv", "--min-precision", "0.6"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["rule_id"] for r in rows] == [r["rule_id"] for r in report["rules"]]
    assert rows[0]["cases"] == str(report["rules"][0]["cases"])
    table = runner.invoke(app, ["cases", "quality", "--min-precision", "0.6"])
    assert table.exit_code == 0 and "BRB-GIFT-KEEP" in table.stdout and "tuning candidates:" in table.stdout
