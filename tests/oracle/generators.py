"""Hypothesis strategies for VALID records of the starter-pack kinds, biased towards rule thresholds.

Each strategy draws a ``Case``: a record plus the context, history and ``as_of`` it is checked
with. Values sit around the starter pack's thresholds (gift keep limit 300/500, aggregate
2,000, working-capital term 36 months effective from 2024-07-01) and dates around the
boundaries the rules and windows use (365 days, certification expiry on the sale date).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

AS_OF_CHOICES = ("2026-11-30", "2026-10-10", "2024-07-01", "2024-06-30")
BRANCHES = ("SH-001", "BJ-001", "GZ-002")
EMPLOYEES = ("E-100", "E-101", "E-102")
GROUPS = ("GRP-1", "GRP-2")

GIFT_FORMS = (
    "goods", "cash", "red_packet", "digital_red_packet", "prepaid_card", "shopping_card",
    "securities", "payment_voucher", "travel", "membership", "discount", "loan_or_credit",
    "promotional_item",
)
DISPOSITIONS = ("kept", "returned", "handed_in", "donated", "pending")
THRESHOLD_VALUES = (
    0, 0.01, 88, 150, 299, 299.99, 300, 300.01, 301, 499.99, 500, 500.01, 501, 700, 900,
    1000, 1999.99, 2000, 2000.01, 2001, 5000,
)
CURRENCIES = ("CNY", "USD", "EUR", "HKD", "usd")

PRODUCT_TYPES = ("deposit", "wealth", "fund", "insurance", "loan", "other")
CERT_TYPES = ("fund_sales", "fund_sales", "wealth_mgmt", "aml", "insurance_sales")
CERT_STATUSES = ("valid", "valid", "expired", "revoked")

LOAN_PRODUCT_TYPES = (
    "working_capital", "working_capital", "fixed_asset", "project_finance", "personal_consumer",
    "personal_business", "trade_finance",
)
STAGES = ("pre_submission", "approved", "disbursed", "post_loan")
MATERIAL_TYPES = ("business_license", "audited_fs", "tax_returns", "bank_statements", "credit_report", "other")
LOCATION_TYPES = ("registered_office", "production_site", "warehouse", "project_site")
TERMS = (1, 12, 24, 35, 36, 37, 48, 60, 120)

GIFT_DAY = dt.date(2026, 10, 10)
EFFECTIVE_DAY = dt.date(2024, 7, 1)


@dataclass
class Case:
    """One record to check, with what it is checked against."""

    record: dict
    context: dict | None = None
    history: list[dict] = field(default_factory=list)
    as_of: str = "2026-11-30"


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``None`` (the field is left out) or a value."""
    return st.none() | strategy


def _put(out: dict, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def days_around(center: dt.date, offsets: tuple[int, ...], spread: int = 0) -> st.SearchStrategy[dt.date]:
    """A date at one of ``offsets`` days from ``center`` (or anywhere within ``spread`` days)."""
    picks = st.sampled_from(offsets).map(lambda d: center + dt.timedelta(days=d))
    if spread:
        picks = picks | st.integers(-spread, spread).map(lambda d: center + dt.timedelta(days=d))
    return picks


def money() -> st.SearchStrategy[float]:
    """Amounts around the thresholds, and a few anywhere."""
    return st.one_of(
        st.sampled_from(THRESHOLD_VALUES),
        st.integers(0, 3000),
        st.decimals(0, 3000, places=2, allow_nan=False, allow_infinity=False).map(float),
    )


def datetime_on(day: dt.date) -> st.SearchStrategy[str]:
    """An ISO datetime on ``day`` (Shanghai), sometimes written in another time zone."""
    def build(args: tuple[int, int, str]) -> str:
        hour, minute, zone = args
        local = dt.datetime.combine(day, dt.time(hour, minute))
        if zone == "local":
            return local.isoformat()
        if zone == "+08:00":
            return local.isoformat() + "+08:00"
        return (local - dt.timedelta(hours=8)).isoformat() + "+00:00"  # the same instant in UTC
    return st.tuples(st.integers(0, 23), st.sampled_from((0, 30, 59)),
                     st.sampled_from(("local", "local", "+08:00", "UTC"))).map(build)


# ---- gift ------------------------------------------------------------------------------------
@st.composite
def counterparties(draw: st.DrawFn, group: str | None = None) -> dict | None:
    """A counterparty with a group id (the aggregate's key), or none at all."""
    if draw(st.integers(0, 9)) == 0:
        return None
    out: dict[str, Any] = {"party_id": draw(st.sampled_from(("P-1", "P-2", "P-7")))}
    _put(out, "name", draw(_maybe(st.sampled_from(("上海某贸易公司", "某集团", "ACME")))))
    _put(out, "group_id", group if group is not None else draw(_maybe(st.sampled_from(GROUPS))))
    _put(out, "is_public_official", draw(_maybe(st.booleans())))
    return out


@st.composite
def gift_values(draw: st.DrawFn, out: dict) -> None:
    """``value_cny``, or ``amount`` and ``currency`` converted by the pack's fx table."""
    if draw(st.integers(0, 4)) == 0:
        out["amount"] = draw(money())
        out["currency"] = draw(st.sampled_from(CURRENCIES))
    else:
        out["value_cny"] = draw(money())


@st.composite
def gifts(draw: st.DrawFn, ident: str = "G-1", employee: str | None = None, group: str | None = None,
          day: dt.date | None = None) -> dict:
    """A valid gift record."""
    out: dict[str, Any] = {"id": ident, "kind": "gift",
                           "employee_id": employee or draw(st.sampled_from(EMPLOYEES[:2]))}
    _put(out, "branch", draw(_maybe(st.sampled_from(BRANCHES))))
    occurred = day if day is not None else draw(_maybe(days_around(GIFT_DAY, (0, -1, 1), spread=60)))
    if occurred is not None:
        out["occurred_on"] = occurred.isoformat()
        if draw(st.booleans()):
            out["declared_at"] = draw(datetime_on(occurred + dt.timedelta(days=draw(st.integers(0, 10)))))
    out["direction"] = draw(st.sampled_from(("received", "received", "given")))
    out["form"] = draw(st.sampled_from(GIFT_FORMS))
    draw(gift_values(out))
    _put(out, "disposition", draw(_maybe(st.sampled_from(DISPOSITIONS))))
    _put(out, "counterparty", draw(counterparties(group)))
    _put(out, "recipients", draw(_maybe(st.integers(1, 5))))
    return out


@st.composite
def gift_histories(draw: st.DrawFn, record: dict, as_of: str) -> list[dict]:
    """Earlier gifts: same or other employee and giver group, dates near the 365-day boundary."""
    center = dt.date.fromisoformat(record.get("occurred_on", as_of))
    group = (record.get("counterparty") or {}).get("group_id")
    out = []
    for i in range(draw(st.integers(0, 5))):
        same_group = group if draw(st.integers(0, 3)) else draw(_maybe(st.sampled_from(GROUPS + ("GRP-OTHER",))))
        employee = record["employee_id"] if draw(st.integers(0, 4)) else "E-999"
        day = draw(days_around(center, (-366, -365, -364, -363, -1, 0, 1), spread=400))
        ident = record["id"] if draw(st.integers(0, 19)) == 0 else f"H-{i}"  # a re-sent copy of the record
        gift = draw(gifts(ident, employee=employee, group=same_group, day=day))
        if same_group is None and "counterparty" in gift:
            gift["counterparty"].pop("group_id", None)
        out.append(gift)
    return out


@st.composite
def gift_cases(draw: st.DrawFn) -> Case:
    """A gift with its history, checked as of a date after it (or as of its own day)."""
    as_of = draw(st.sampled_from(AS_OF_CHOICES[:2]))
    record = draw(gifts())
    return Case(record, None, draw(gift_histories(record, as_of)), as_of)


# ---- product_sale ----------------------------------------------------------------------------
@st.composite
def certifications(draw: st.DrawFn, sale_day: dt.date) -> dict:
    """A certification that expires around the sale date (or has fields missing)."""
    out: dict[str, Any] = {}
    _put(out, "type", draw(_maybe(st.sampled_from(CERT_TYPES))))
    _put(out, "status", draw(_maybe(st.sampled_from(CERT_STATUSES))))
    expires = draw(_maybe(days_around(sale_day, (-1, 0, 1, 0), spread=400)))
    if expires is not None:
        out["expires_on"] = expires.isoformat()
    return out


@st.composite
def employees(draw: st.DrawFn, sale_day: dt.date) -> dict:
    """An employee (ids may repeat across the list) with random certifications."""
    out: dict[str, Any] = {"id": draw(st.sampled_from(EMPLOYEES))}
    _put(out, "name", draw(_maybe(st.sampled_from(("张三", "李四")))))
    _put(out, "role", draw(_maybe(st.sampled_from(("customer_manager", "other")))))
    certs = draw(st.lists(certifications(sale_day), max_size=3))
    if certs or draw(st.booleans()):
        out["certifications"] = certs
    return out


@st.composite
def product_sale_cases(draw: st.DrawFn) -> Case:
    """A product sale with a context of employees (or no context at all)."""
    sale_day = draw(days_around(GIFT_DAY, (0, -1, 1), spread=30))
    record: dict[str, Any] = {
        "id": "S-1", "kind": "product_sale", "employee_id": draw(st.sampled_from(EMPLOYEES[:2])),
        "client_id": "C-1", "product_code": draw(st.sampled_from(("F-001", "W-9"))),
        "product_type": draw(st.sampled_from(PRODUCT_TYPES + ("fund", "fund"))),
        "sold_at": draw(datetime_on(sale_day)),
    }
    _put(record, "recorded_av", draw(_maybe(st.booleans())))
    _put(record, "branch", draw(_maybe(st.sampled_from(BRANCHES))))
    context = None
    if draw(st.integers(0, 7)):
        context = {"employees": draw(st.lists(employees(sale_day), max_size=3))}
    return Case(record, context, [], draw(st.sampled_from(AS_OF_CHOICES[:2])))


# ---- loan_file -------------------------------------------------------------------------------
@st.composite
def materials(draw: st.DrawFn) -> dict:
    """A material with every required/verified combination (including missing flags)."""
    out: dict[str, Any] = {}
    _put(out, "type", draw(_maybe(st.sampled_from(MATERIAL_TYPES))))
    _put(out, "required", draw(_maybe(st.booleans())))
    _put(out, "verified", draw(_maybe(st.booleans())))
    _put(out, "source_type", draw(_maybe(st.sampled_from(("client_provided", "government_registry")))))
    return out


@st.composite
def site_visits(draw: st.DrawFn) -> dict:
    """A visit on site, by video, or of unknown mode."""
    out: dict[str, Any] = {}
    _put(out, "mode", draw(_maybe(st.sampled_from(("on_site", "video")))))
    _put(out, "location_type", draw(_maybe(st.sampled_from(LOCATION_TYPES))))
    day = draw(_maybe(days_around(EFFECTIVE_DAY, (0, 5), spread=900)))
    if day is not None:
        out["date"] = day.isoformat()
    if draw(st.booleans()):
        out["investigators"] = draw(st.lists(st.sampled_from(EMPLOYEES), max_size=2))
    return out


@st.composite
def loan_file_cases(draw: st.DrawFn) -> Case:
    """A loan file around the 2024-07-01 effective date and the 36-month term limit."""
    record: dict[str, Any] = {
        "id": "LF-1", "kind": "loan_file",
        "product_type": draw(st.sampled_from(LOAN_PRODUCT_TYPES)),
        "borrower": {"party_id": "P-9", "name": "某制造公司", "type": "corporate"},
        "requested_amount_cny": draw(money()),
        "term_months": draw(st.sampled_from(TERMS) | st.integers(1, 120)),
    }
    _put(record, "stage", draw(_maybe(st.sampled_from(STAGES))))
    _put(record, "branch", draw(_maybe(st.sampled_from(BRANCHES))))
    accepted = draw(_maybe(days_around(EFFECTIVE_DAY, (-1, 0, 1), spread=800)))
    if accepted is not None:
        record["accepted_on"] = accepted.isoformat()
    if draw(st.integers(0, 4)) == 0:
        record["received_at"] = draw(datetime_on(draw(days_around(EFFECTIVE_DAY, (-1, 0)))))
    if draw(st.integers(0, 4)) == 0:  # the report date, when present, is the record's own date
        report_day = draw(days_around(EFFECTIVE_DAY, (-1, 0, 1), spread=100))
        record["report"] = {"date": report_day.isoformat()}
    if draw(st.integers(0, 5)):
        record["team"] = {"lead_investigator": "E-100", "co_investigators": ["E-101"]}
    if draw(st.integers(0, 5)):
        record["materials"] = draw(st.lists(materials(), max_size=4))
    if draw(st.integers(0, 5)):
        record["site_visits"] = draw(st.lists(site_visits(), max_size=3))
    return Case(record, None, [], draw(st.sampled_from(AS_OF_CHOICES)))


CASES_BY_KIND = {"gift": gift_cases, "product_sale": product_sale_cases, "loan_file": loan_file_cases}
