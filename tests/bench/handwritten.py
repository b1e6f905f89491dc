"""Hand-written Python checks of the seven starter rules (rules/starter/starter.yaml), for the benchmark.

Each check takes a record dict that the engine would accept (already valid) and returns the set
of rule ids that fire. The thresholds are copied from the starter pack, not read from it, so a
change to the pack that the engine picks up but these checks do not shows up as a mismatch.

Semantics follow the engine's condition language (conduct_engine/packs/expressions.py): a field
that is absent never satisfies a comparison, ``!=`` included. So ``verified != true`` does not
fire on a material whose ``verified`` is missing, and a certification without ``expires_on`` does
not count as valid.
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
            if material.get("required") is True and material.get("verified") is False:
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
