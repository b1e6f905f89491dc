"""End-to-end scans of the real registers in ../shared/data with the mappings in examples/mappings/,
checked against figures computed here, independently, with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict

import pytest

from .conftest import AS_OF, ROOT, SHARED_DATA, cli, jsonl_lines

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data is absent (real registers not here)")
USD = 7.1  # rules/common.yaml fx
KEEP_MAX = 500  # anti_bribery gift_keep_max_cny (no branch override applies to these records)
AGG_MAX = 2000  # anti_bribery gift_giver_365d_block_cny


def _scan(tmp_path, name: str, mapping: str):
    out = tmp_path / f"{name}.jsonl"
    result = cli("scan", str(SHARED_DATA / name), "--mapping", str(ROOT / "examples/mappings" / mapping),
                 "--as-of", AS_OF, "--out", str(out), "--workers", "2")
    assert result.returncode in (0, 1), result.stderr
    return jsonl_lines(out)


def _fired(results: list[dict], rule_id: str) -> int:
    return sum(1 for r in results if any(v["rule_id"] == rule_id for v in r["violations"]))


def _rows(name: str) -> list[dict]:
    with (SHARED_DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_open_payments(tmp_path):
    rows = _rows("open_payments_2013_sf_3000.csv")
    results, summary = _scan(tmp_path, "open_payments_2013_sf_3000.csv", "open_payments.yaml")
    physicians = [r for r in rows if r["physician_profile_id"].strip()]
    assert (summary["rows"], summary["records"], summary["skipped"]) == (3000, len(physicians), 3000 - len(physicians))
    assert {p["column"] for p in summary["skipped_rows"]} == {"physician_profile_id"}
    cash = sum(1 for r in physicians if r["form_of_payment_or_transfer_of_value"] == "Cash or cash equivalent")
    assert _fired(results, "BRB-CASH-EQUIV") == cash == 753
    over = sum(1 for r in physicians if round(float(r["total_amount_of_payment_usdollars"]) * USD, 2) > KEEP_MAX)
    assert _fired(results, "BRB-GIFT-KEEP") == over
    # cumulative gifts from one manufacturer to one physician over a rolling 365 days (the batch is the history)
    by_key = defaultdict(list)
    for r in physicians:
        key = (r["physician_profile_id"], r["applicable_manufacturer_or_applicable_gpo_making_payment_id"])
        by_key[key].append((dt.date.fromisoformat(r["date_of_payment"][:10]),
                            round(float(r["total_amount_of_payment_usdollars"]) * USD, 2)))
    cumulative = 0
    for r in physicians:
        key = (r["physician_profile_id"], r["applicable_manufacturer_or_applicable_gpo_making_payment_id"])
        day = dt.date.fromisoformat(r["date_of_payment"][:10])
        total = sum(v for d, v in by_key[key] if day - dt.timedelta(days=365) < d <= day)
        cumulative += total > AGG_MAX
    assert _fired(results, "BRB-GIFT-AGG-365D") == cumulative > 0


@pytest.mark.slow
def test_us_foreign_gifts(tmp_path):
    rows = _rows("us_foreign_gifts.csv")
    results, summary = _scan(tmp_path, "us_foreign_gifts.csv", "us_foreign_gifts.yaml")

    def usable(r: dict) -> bool:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["received"]) or not r["recipient_name"].strip():
            return False  # "Unknown", "2012-06", date ranges, no recipient
        try:
            dt.date.fromisoformat(r["received"])  # "2011-05-32" is not a date
            float(r["estimated_value"])  # empty: no value
        except ValueError:
            return False
        return True

    good = [r for r in rows if usable(r)]
    assert (summary["rows"], summary["records"], summary["skipped"]) == (len(rows), len(good), len(rows) - len(good))
    assert {p["column"] for p in summary["skipped_rows"]} <= {"received", "estimated_value", "recipient_name"}
    handed_in = {"transferred to nara", "national archives and records administration", "archives foreign",
                 "deposited with the secretary of the senate", "transferred to general services administration",
                 "transferred to gsa"}
    over = sum(1 for r in good if round(float(r["estimated_value"]) * USD, 2) > KEEP_MAX
               and " ".join(r["disposition"].split()).casefold() not in handed_in)
    assert _fired(results, "BRB-GIFT-KEEP") == over > 0


@pytest.mark.slow
def test_lending_club_loan_files(tmp_path):
    rows = _rows("lending_club_2017_sample.csv")
    results, summary = _scan(tmp_path, "lending_club_2017_sample.csv", "lending_club.yaml")
    assert (summary["records"], summary["skipped"]) == (len(rows), 0)
    assert {r["kind"] for r in results} == {"loan_file"}
    unverified = sum(1 for r in rows if r["verification_status"] == "Not Verified")
    assert _fired(results, "DDS-MATERIAL-UNVERIFIED") == unverified == 304
    assert _fired(results, "DDS-NO-ONSITE-VISIT") == len(rows)  # the export has no site visits
    states = defaultdict(int)
    for r in rows:
        states[r["addr_state"]] += 1
    assert summary["by_branch"]["CA"] >= states["CA"]  # every CA file has at least one finding
