"""Hand-written Python checks of the seven first rules (rules/conduct/, rules/due_diligence/steps.yaml), for the bench.

Each check takes a record dict that the engine would accept (already valid) and returns the set
of rule ids that fire. The thresholds are copied from the starter pack, not read from it, so a
change to the pack that the engine picks up but these checks do not shows up as a mismatch.

Semantics follow the engine's condition language (conduct_engine/packs/expressions.py): a field
that is absent never satisfies a comparison, ``!=`` included. So a certification without
``expires_on`` does not count as valid, and a material counts as unverified only because the
rule says so explicitly (``verified == false or missing(verified)``).

``TRANSCRIBED`` records the rule conditions and parameters these checks were written from; the
benchmark compares it with the loaded pack and names any drift, so a mismatch caused by a pack
edit is told apart from an engine bug.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

# ---- starter pack parameters (copied) ----------------------------------------------------------------
CASH_EQUIVALENTS = frozenset({"cash", "red_packet", "digital_red_packet", "prepaid_card", "shopping_card",
                              "securities", "payment_voucher"})
GIFT_KEEP_MAX_CNY = 500.0
GIFT_KEEP_MAX_BY_BRANCH = {"BJ-001": 300.0}
GIFT_KEEP_OK_DISPOSITIONS = frozenset({"returned", "handed_in", "donated"})
GIFT_GIVER_365D_BLOCK_CNY = 2000.0
GIFT_WINDOW_DAYS = 365
WC_TERM_MAX_MONTHS = 36
WC_EFFECTIVE_FROM = dt.date(2024, 7, 1).toordinal()
FX = {"CNY": 1.0, "USD": 7.1, "EUR": 7.7, "HKD": 0.91}


#: What these checks implement, as written in rules/conduct/*.yaml and rules/due_diligence/steps.yaml.
_NO_DATES = {"effective_from": None, "effective_to": None}
TRANSCRIBED: dict[str, dict[str, Any]] = {
    "rules": {
        "BRB-CASH-EQUIV": {
            "applies_to": "gift", "match": [], **_NO_DATES,
            "when": 'direction == "received" and form in cash_equivalents'},
        "BRB-GIFT-KEEP": {
            "applies_to": "gift", "match": [], **_NO_DATES,
            "when": 'direction == "received" and value_cny > gift_keep_max_cny and (missing(disposition) '
                    'or disposition not in ["returned", "handed_in", "donated"])'},
        "BRB-GIFT-AGG-365D": {
            "applies_to": "gift", "match": [], **_NO_DATES,
            "when": 'direction == "received" and agg.gift_giver_365d_cny > gift_giver_365d_block_cny'},
        "CMP-FUND-NO-CERT": {
            "applies_to": "product_sale", **_NO_DATES,
            "when": 'product_type == "fund"',
            "match": ["employee where id == record.employee_id",
                      'no certification where employee_id == record.employee_id and type == "fund_sales" '
                      'and status == "valid" and expires_on >= record.record_date']},
        "DDS-MATERIAL-UNVERIFIED": {
            "applies_to": "loan_file", **_NO_DATES,
            "when": 'stage == "pre_submission"',
            "match": ["material where required == true and (verified == false or missing(verified))"]},
        "DDS-NO-ONSITE-VISIT": {
            "applies_to": "loan_file", **_NO_DATES,
            "when": 'stage == "pre_submission"',
            "match": ['no site_visit where mode == "on_site"']},
        "DDM-TERM-WC-MAX": {
            "applies_to": "loan_file", "match": [], "effective_from": "2024-07-01", "effective_to": None,
            "when": 'product_type == "working_capital" and term_months > wc_term_max_months'},
    },
    "parameters": {
        "cash_equivalents": sorted(CASH_EQUIVALENTS), "gift_keep_max_cny": GIFT_KEEP_MAX_CNY,
        "gift_giver_365d_block_cny": GIFT_GIVER_365D_BLOCK_CNY, "wc_term_max_months": WC_TERM_MAX_MONTHS},
    "branches": {"BJ-001": {"gift_keep_max_cny": 300.0}},
    "fx": {k: v for k, v in FX.items() if k != "CNY"},
    "aggregates": {
        "gift_giver_365d_cny": {
            "applies_to": ["gift"], "over": "gift", "where": {"direction": "received"},
            "match": {"employee_id": "employee_id", "counterparty.group_id": "counterparty.group_id"},
            "within_days": GIFT_WINDOW_DAYS, "sum": "value_cny"}},
}


def _norm(value: Any) -> Any:
    """Compare texts modulo whitespace, numbers modulo int/float, lists of scalars modulo order."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (dt.date,)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_norm(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value


def pack_drift(packs: Any) -> list[str]:
    """Where the loaded pack differs from ``TRANSCRIBED`` (empty when these checks are current)."""
    drift: list[str] = []
    want = TRANSCRIBED
    have_rules = {rid: rdef.rule for rid, rdef in packs.rules.items()}
    for rid in sorted(set(want["rules"]) | set(have_rules)):
        if rid not in have_rules:
            drift.append(f"rule {rid}: not in the pack")
            continue
        if rid not in want["rules"]:
            drift.append(f"rule {rid}: in the pack but not hand-written")
            continue
        rule = have_rules[rid]
        for attr, expected in want["rules"][rid].items():
            actual = getattr(rule, attr)
            if _norm(actual) != _norm(expected):
                drift.append(f"rule {rid}.{attr}: pack {actual!r}, hand-written for {expected!r}")
    for name, expected in want["parameters"].items():
        if _norm(packs.parameters.get(name)) != _norm(expected):
            actual = packs.parameters.get(name)
            drift.append(f"parameter {name}: pack {actual!r}, hand-written for {expected!r}")
    if _norm(packs.branches) != _norm(want["branches"]):
        drift.append(f"branches: pack {packs.branches!r}, hand-written for {want['branches']!r}")
    if _norm(packs.fx) != _norm(want["fx"]):
        drift.append(f"fx: pack {packs.fx!r}, hand-written for {want['fx']!r}")
    for name, expected in want["aggregates"].items():
        agg = packs.aggregates.get(name)
        actual = None if agg is None else agg.model_dump(exclude={"description"}, exclude_defaults=True) | {
            "applies_to": agg.applies_to, "within_days": agg.within_days}
        if _norm(actual) != _norm(expected):
            drift.append(f"aggregate {name}: pack {actual!r}, hand-written for {expected!r}")
    return drift


# ---- helpers -------------------------------------------------------------------------------------------
def local_date(value: str) -> dt.date:
    """The Asia/Shanghai calendar date of an ISO date or datetime string (naive = Shanghai time)."""
    if len(value) <= 19 or "T" not in value:  # a date, or a naive datetime: its own date
        return dt.date.fromisoformat(value[:10])
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(SHANGHAI).date()


def gift_value(record: dict) -> float | None:
    """``value_cny``, or ``amount`` converted with the pack's currency table (rounded to cents)."""
    value = record.get("value_cny")
    if value is not None:
        return float(value)
    amount, currency = record.get("amount"), record.get("currency")
    if amount is None or currency is None:
        return None
    return round(amount * FX[currency.strip().upper()], 2)


def gift_day(record: dict, as_of: dt.date) -> int:
    """A gift's own date (``occurred_on``, else ``as_of``) as an ordinal."""
    occurred = record.get("occurred_on")
    return (local_date(occurred) if occurred else as_of).toordinal()


def gift_key(record: dict) -> tuple[str, str] | None:
    """(employee_id, counterparty.group_id), or None when either is missing."""
    group = (record.get("counterparty") or {}).get("group_id")
    employee = record.get("employee_id")
    if group is None or employee is None:
        return None
    return employee, group


def loan_file_day(record: dict, as_of: dt.date) -> int:
    """A loan file's own date: report.date, else accepted_on, else received_at (Shanghai), else as_of."""
    report = record.get("report")
    if report and report.get("date"):
        return local_date(report["date"]).toordinal()
    if record.get("accepted_on"):
        return local_date(record["accepted_on"]).toordinal()
    if record.get("received_at"):
        return local_date(record["received_at"]).toordinal()
    return as_of.toordinal()


# ---- precomputed indexes (built once, outside the timed loop) ------------------------------------------
class GiftWindows:
    """Received gifts per (employee, giver group): sorted days and prefix sums, for (d-365, d] sums."""

    def __init__(self, gifts: Iterable[dict], as_of: dt.date):
        rows: dict[tuple[str, str], list[tuple[int, float, str]]] = defaultdict(list)
        for gift in gifts:
            if gift.get("direction") != "received":
                continue
            key = gift_key(gift)
            value = gift_value(gift)
            if key is None or value is None:
                continue
            rows[key].append((gift_day(gift, as_of), value, gift["id"]))
        self.days: dict[tuple[str, str], list[int]] = {}
        self.prefix: dict[tuple[str, str], list[float]] = {}
        self.own: dict[str, tuple[tuple[str, str], int, float]] = {}  # id -> (key, day, value)
        for key, items in rows.items():
            items.sort()
            self.days[key] = [day for day, _, _ in items]
            sums = [0.0]
            for day, value, gift_id in items:
                sums.append(sums[-1] + value)
                self.own[gift_id] = (key, day, value)
            self.prefix[key] = sums

    def total(self, key: tuple[str, str], day: int, gift_id: str, own_value: float) -> float:
        """Sum over the window ending on ``day``, counting the record itself exactly once."""
        total = 0.0
        days = self.days.get(key)
        if days is not None:
            hi = bisect.bisect_right(days, day)
            lo = bisect.bisect_right(days, day - GIFT_WINDOW_DAYS)
            sums = self.prefix[key]
            total = sums[hi] - sums[lo]
            mine = self.own.get(gift_id)
            if mine is not None and mine[0] == key and day - GIFT_WINDOW_DAYS < mine[1] <= day:
                total -= mine[2]  # the stored copy of this record; its submitted value is added below
        return round(total + own_value, 2)


class Certifications:
    """Employees in the context and the latest expiry of their valid fund-sales certifications."""

    def __init__(self, context: dict):
        self.employees: set[str] = set()
        self.best_expiry: dict[str, dt.date] = {}
        for employee in context.get("employees") or ():
            emp_id = employee["id"]
            self.employees.add(emp_id)
            for cert in employee.get("certifications") or ():
                expires = cert.get("expires_on")
                if cert.get("type") != "fund_sales" or cert.get("status") != "valid" or not expires:
                    continue
                day = local_date(expires)
                if emp_id not in self.best_expiry or day > self.best_expiry[emp_id]:
                    self.best_expiry[emp_id] = day


# ---- the checks ----------------------------------------------------------------------------------------
def check_gift(record: dict, windows: GiftWindows, as_of: dt.date) -> set[str]:
    """BRB-CASH-EQUIV, BRB-GIFT-KEEP (BJ-001 limit 300) and BRB-GIFT-AGG-365D."""
    fired: set[str] = set()
    if record.get("direction") != "received":
        return fired
    if record.get("form") in CASH_EQUIVALENTS:
        fired.add("BRB-CASH-EQUIV")
    value = gift_value(record)
    if value is None:
        return fired
    limit = GIFT_KEEP_MAX_BY_BRANCH.get(record.get("branch"), GIFT_KEEP_MAX_CNY)  # type: ignore[arg-type]
    if value > limit and record.get("disposition") not in GIFT_KEEP_OK_DISPOSITIONS:
        fired.add("BRB-GIFT-KEEP")
    key = gift_key(record)
    if key is not None and windows.total(key, gift_day(record, as_of), record["id"], value) \
            > GIFT_GIVER_365D_BLOCK_CNY:
        fired.add("BRB-GIFT-AGG-365D")
    return fired


def check_product_sale(record: dict, certs: Certifications, as_of: dt.date) -> set[str]:
    """CMP-FUND-NO-CERT: a fund sold by a known employee without a valid fund-sales certification."""
    if record.get("product_type") != "fund":
        return set()
    employee = record.get("employee_id")
    if employee not in certs.employees:
        return set()
    sold = record.get("sold_at")
    day = local_date(sold) if sold else as_of
    best = certs.best_expiry.get(employee)
    if best is None or best < day:
        return {"CMP-FUND-NO-CERT"}
    return set()


def check_loan_file(record: dict, as_of: dt.date) -> set[str]:
    """DDS-MATERIAL-UNVERIFIED, DDS-NO-ONSITE-VISIT and DDM-TERM-WC-MAX (from 2024-07-01)."""
    fired: set[str] = set()
    if (record.get("stage") or "pre_submission") == "pre_submission":
        for material in record.get("materials") or ():
            if material.get("required") is True and material.get("verified") is not True:  # false/missing
                fired.add("DDS-MATERIAL-UNVERIFIED")
                break
        if not any(visit.get("mode") == "on_site" for visit in record.get("site_visits") or ()):
            fired.add("DDS-NO-ONSITE-VISIT")
    if record.get("product_type") == "working_capital" and record.get("term_months", 0) > WC_TERM_MAX_MONTHS \
            and loan_file_day(record, as_of) >= WC_EFFECTIVE_FROM:
        fired.add("DDM-TERM-WC-MAX")
    return fired


def check(record: dict, *, as_of: dt.date, windows: GiftWindows | None = None,
          certs: Certifications | None = None) -> set[str]:
    """Dispatch on ``kind``; other kinds have no starter rules."""
    kind: Any = record.get("kind")
    if kind == "gift":
        return check_gift(record, windows or GiftWindows((), as_of), as_of)
    if kind == "product_sale":
        return check_product_sale(record, certs or Certifications({}), as_of)
    if kind == "loan_file":
        return check_loan_file(record, as_of)
    return set()
