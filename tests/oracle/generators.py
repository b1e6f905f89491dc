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


_STRATEGIES: dict[tuple, st.SearchStrategy[Any]] = {}


def _cached(key: tuple, build: Any) -> st.SearchStrategy[Any]:
    """Build each strategy once: hypothesis validates every new strategy object, which is slow."""
    strategy = _STRATEGIES.get(key)
    if strategy is None:
        strategy = _STRATEGIES[key] = build()
    return strategy


def one_of(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``sampled_from(values)``, built once."""
    return _cached(("one_of", values), lambda: st.sampled_from(values))


def maybe(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``None`` (the field is left out) or one of ``values``, built once."""
    return _cached(("maybe", values), lambda: st.none() | st.sampled_from(values))


def ints(low: int, high: int) -> st.SearchStrategy[int]:
    """``integers(low, high)``, built once."""
    return _cached(("ints", low, high), lambda: st.integers(low, high))


MAYBE_BOOL = st.none() | st.booleans()
EMPLOYEE_ORDERS = st.permutations(EMPLOYEES)
BOOL = st.booleans()


def _put(out: dict, key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


def _offsets(offsets: tuple[int, ...], spread: int) -> st.SearchStrategy[int]:
    def build() -> st.SearchStrategy[int]:
        picks = st.sampled_from(offsets)
        return picks | st.integers(-spread, spread) if spread else picks
    return _cached(("offsets", offsets, spread), build)


def day_near(draw: st.DrawFn, center: dt.date, offsets: tuple[int, ...], spread: int = 0,
             optional: bool = False) -> dt.date | None:
    """A date at one of ``offsets`` days from ``center`` (or anywhere within ``spread`` days)."""
    if optional and draw(BOOL):
        return None
    return center + dt.timedelta(days=draw(_offsets(offsets, spread)))


MONEY = st.one_of(
    st.sampled_from(THRESHOLD_VALUES),
    st.integers(0, 3000),
    st.decimals(0, 3000, places=2, allow_nan=False, allow_infinity=False).map(float),
)
_TIME = st.tuples(st.integers(0, 23), st.sampled_from((0, 30, 59)),
                  st.sampled_from(("local", "local", "+08:00", "UTC")))


def datetime_on(draw: st.DrawFn, day: dt.date) -> str:
    """An ISO datetime on ``day`` (Shanghai), sometimes written in another time zone."""
    hour, minute, zone = draw(_TIME)
    local = dt.datetime.combine(day, dt.time(hour, minute))
    if zone == "local":
        return local.isoformat()
    if zone == "+08:00":
        return local.isoformat() + "+08:00"
    return (local - dt.timedelta(hours=8)).isoformat() + "+00:00"  # the same instant in UTC


# ---- gift ------------------------------------------------------------------------------------
def counterparty(draw: st.DrawFn, group: str | None, pick_group: bool) -> dict | None:
    """A counterparty with a group id (the aggregate's key), or none at all."""
    if draw(ints(0, 9)) == 0:
        return None
    out: dict[str, Any] = {"party_id": draw(one_of(("P-1", "P-2", "P-7")))}
    _put(out, "name", draw(maybe(("上海某贸易公司", "某集团", "ACME"))))
    _put(out, "group_id", draw(maybe(GROUPS)) if pick_group else group)
    _put(out, "is_public_official", draw(MAYBE_BOOL))
    return out


def gift(draw: st.DrawFn, ident: str = "G-1", employee: str | None = None, group: str | None = None,
         pick_group: bool = True, day: dt.date | None = None) -> dict:
    """A valid gift record (``value_cny``, or ``amount`` and ``currency`` converted by the pack's fx)."""
    out: dict[str, Any] = {"id": ident, "kind": "gift", "employee_id": employee or draw(one_of(EMPLOYEES[:2]))}
    _put(out, "branch", draw(maybe(BRANCHES)))
    occurred = day or day_near(draw, GIFT_DAY, (0, -1, 1), spread=60, optional=True)
    if occurred is not None:
        out["occurred_on"] = occurred.isoformat()
        if draw(BOOL):
            out["declared_at"] = datetime_on(draw, occurred + dt.timedelta(days=draw(ints(0, 10))))
    out["direction"] = draw(one_of(("received", "received", "given")))
    out["form"] = draw(one_of(GIFT_FORMS))
    if draw(ints(0, 4)) == 0:
        out["amount"] = draw(MONEY)
        out["currency"] = draw(one_of(CURRENCIES))
    else:
        out["value_cny"] = draw(MONEY)
    _put(out, "disposition", draw(maybe(DISPOSITIONS)))
    _put(out, "counterparty", counterparty(draw, group, pick_group))
    _put(out, "recipients", draw(maybe((1, 2, 5))))
    return out


def gift_history(draw: st.DrawFn, record: dict, as_of: str) -> list[dict]:
    """Earlier gifts: same or other employee and giver group, dates near the 365-day boundary."""
    center = dt.date.fromisoformat(record.get("occurred_on", as_of))
    group = (record.get("counterparty") or {}).get("group_id")
    out = []
    for i in range(draw(ints(0, 5))):
        same_group = bool(draw(ints(0, 3)))
        employee = record["employee_id"] if draw(ints(0, 4)) else "E-999"
        day = day_near(draw, center, (-366, -365, -364, -363, -1, 0, 1), spread=400)
        ident = record["id"] if draw(ints(0, 19)) == 0 else f"H-{i}"  # a re-sent copy of the record
        out.append(gift(draw, ident, employee=employee, group=group, pick_group=not same_group, day=day))
    return out


@st.composite
def gift_cases(draw: st.DrawFn) -> Case:
    """A gift with its history, checked as of a date after it (or as of its own day)."""
    as_of = draw(one_of(AS_OF_CHOICES[:2]))
    record = gift(draw)
    return Case(record, None, gift_history(draw, record, as_of), as_of)


# ---- product_sale ----------------------------------------------------------------------------
def certification(draw: st.DrawFn, sale_day: dt.date) -> dict:
    """A certification that expires around the sale date (or has fields missing)."""
    out: dict[str, Any] = {}
    _put(out, "type", draw(maybe(CERT_TYPES)))
    _put(out, "status", draw(maybe(CERT_STATUSES)))
    expires = day_near(draw, sale_day, (-1, 0, 1, 0), spread=400, optional=True)
    if expires is not None:
        out["expires_on"] = expires.isoformat()
    return out


def employee(draw: st.DrawFn, ident: str, sale_day: dt.date) -> dict:
    """An employee with random certifications."""
    out: dict[str, Any] = {"id": ident}
    _put(out, "name", draw(maybe(("张三", "李四"))))
    _put(out, "role", draw(maybe(("customer_manager", "other"))))
    certs = [certification(draw, sale_day) for _ in range(draw(ints(0, 3)))]
    if certs or draw(BOOL):
        out["certifications"] = certs
    return out


@st.composite
def product_sale_cases(draw: st.DrawFn) -> Case:
    """A product sale with a context of employees (or no context at all)."""
    sale_day = day_near(draw, GIFT_DAY, (0, -1, 1), spread=30)
    assert sale_day is not None
    record: dict[str, Any] = {
        "id": "S-1", "kind": "product_sale", "employee_id": draw(one_of(EMPLOYEES[:2])),
        "client_id": "C-1", "product_code": draw(one_of(("F-001", "W-9"))),
        "product_type": draw(one_of(PRODUCT_TYPES + ("fund", "fund"))),
        "sold_at": datetime_on(draw, sale_day),
    }
    _put(record, "recorded_av", draw(MAYBE_BOOL))
    _put(record, "branch", draw(maybe(BRANCHES)))
    context = None
    if draw(ints(0, 7)):
        ids = draw(EMPLOYEE_ORDERS)[: draw(ints(0, 3))]  # a context lists each employee once
        context = {"employees": [employee(draw, ident, sale_day) for ident in ids]}
    return Case(record, context, [], draw(one_of(AS_OF_CHOICES[:2])))


# ---- loan_file -------------------------------------------------------------------------------
def material(draw: st.DrawFn) -> dict:
    """A material with every required/verified combination (including missing flags)."""
    out: dict[str, Any] = {}
    _put(out, "type", draw(maybe(MATERIAL_TYPES)))
    _put(out, "required", draw(MAYBE_BOOL))
    _put(out, "verified", draw(MAYBE_BOOL))
    _put(out, "source_type", draw(maybe(("client_provided", "government_registry"))))
    return out


def site_visit(draw: st.DrawFn) -> dict:
    """A visit on site, by video, or of unknown mode."""
    out: dict[str, Any] = {}
    _put(out, "mode", draw(maybe(("on_site", "video"))))
    _put(out, "location_type", draw(maybe(LOCATION_TYPES)))
    day = day_near(draw, EFFECTIVE_DAY, (0, 5), spread=900, optional=True)
    if day is not None:
        out["date"] = day.isoformat()
    if draw(BOOL):
        out["investigators"] = [draw(one_of(EMPLOYEES)) for _ in range(draw(ints(0, 2)))]
    return out


@st.composite
def loan_file_cases(draw: st.DrawFn) -> Case:
    """A loan file around the 2024-07-01 effective date and the 36-month term limit."""
    record: dict[str, Any] = {
        "id": "LF-1", "kind": "loan_file",
        "product_type": draw(one_of(LOAN_PRODUCT_TYPES)),
        "borrower": {"party_id": "P-9", "name": "某制造公司", "type": "corporate"},
        "requested_amount_cny": draw(MONEY),
        "term_months": draw(TERM),
    }
    _put(record, "stage", draw(maybe(STAGES)))
    _put(record, "branch", draw(maybe(BRANCHES)))
    accepted = day_near(draw, EFFECTIVE_DAY, (-1, 0, 1), spread=800, optional=True)
    if accepted is not None:
        record["accepted_on"] = accepted.isoformat()
    if draw(ints(0, 4)) == 0:
        record["received_at"] = datetime_on(draw, EFFECTIVE_DAY - dt.timedelta(days=draw(ints(0, 1))))
    if draw(ints(0, 4)) == 0:  # the report date, when present, is the record's own date
        report_day = day_near(draw, EFFECTIVE_DAY, (-1, 0, 1), spread=100)
        assert report_day is not None
        record["report"] = {"date": report_day.isoformat()}
    if draw(ints(0, 5)):
        record["team"] = {"lead_investigator": "E-100", "co_investigators": ["E-101"]}
    if draw(ints(0, 5)):
        record["materials"] = [material(draw) for _ in range(draw(ints(0, 4)))]
    if draw(ints(0, 5)):
        record["site_visits"] = [site_visit(draw) for _ in range(draw(ints(0, 3)))]
    return Case(record, None, [], draw(one_of(AS_OF_CHOICES)))


TERM = st.sampled_from(TERMS) | st.integers(1, 120)
CASES_BY_KIND = {"gift": gift_cases, "product_sale": product_sale_cases, "loan_file": loan_file_cases}
