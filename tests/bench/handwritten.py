"""Hand-written Python checks of the seven first rules (rules/conduct/, rules/due_diligence/steps.yaml) and of a
representative subset of the loan-file pack (rules/due_diligence/, rules/risk/: ``LOAN_RULES``), for the bench.

Each check takes a record dict that the engine would accept (already valid) and returns the set
of rule ids that fire. The thresholds are copied from the starter pack, not read from it, so a
change to the pack that the engine picks up but these checks do not shows up as a mismatch.

Semantics follow the engine's condition language (conduct_engine/packs/expressions.py): a field
that is absent never satisfies a comparison, ``!=`` included. So a certification without
``expires_on`` counts as valid only because the rule says so (``missing(expires_on) or …``), and a
material counts as unverified only because the
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
                              "securities", "payment_voucher", "loan_or_credit"})
GIFT_KEEP_MAX_CNY = 500.0
GIFT_KEEP_MAX_BY_BRANCH = {"BJ-001": 300.0}
GIFT_KEEP_OK_DISPOSITIONS = frozenset({"returned", "handed_in", "donated"})
GIFT_GIVER_365D_BLOCK_CNY = 2000.0
GIFT_WINDOW_DAYS = 365
WC_TERM_MAX_MONTHS = 36
WC_EFFECTIVE_FROM = dt.date(2024, 7, 1).toordinal()
FX = {"CNY": 1.0, "USD": 7.1, "EUR": 7.7, "HKD": 0.91, "GBP": 9.0, "JPY": 0.047, "SGD": 5.3, "AUD": 4.6, "CAD": 5.1,
      "CHF": 8.1, "MOP": 0.88, "TWD": 0.22, "KRW": 0.0051}
#: dispositions by which a gift left the employee: it counts toward no keep or annual limit (issue 13)
DISPOSED = frozenset({"returned", "handed_in", "donated"})

# ---- loan-file pack parameters (copied from rules/due_diligence/*.yaml and rules/risk/*.yaml) ------------
CORPORATE_PRODUCTS = ["working_capital", "fixed_asset", "project_finance", "trade_finance"]
ALL_PRODUCTS = CORPORATE_PRODUCTS + ["personal_consumer", "personal_business"]
MATERIALS_AUDITED_FS = frozenset(CORPORATE_PRODUCTS)
MATERIALS_CREDIT_REPORT = frozenset(ALL_PRODUCTS)
CROSSCHECK_TOL = 0.2
LTV_MAX_COMMERCIAL_RE = 0.6
INVESTIGATOR_ROLES = ["lead_investigator", "co_investigator"]
DECISION_ROLES = ["reviewer", "approver"]
POST_LOAN_STAGES = frozenset({"disbursed", "post_loan"})
SHORT_TERM_MAX_MONTHS = 12
MATURITY_NOTICE_DAYS_SHORT = 7
SELF_PAYMENT_MAX_CNY_WC = 10_000_000


#: What these checks implement, as written in rules/conduct/*.yaml and rules/due_diligence/steps.yaml.
_NO_DATES = {"effective_from": None, "effective_to": None}
TRANSCRIBED: dict[str, dict[str, Any]] = {
    "rules": {
        "BRB-CASH-EQUIV": {
            "applies_to": "gift", "match": [], **_NO_DATES,
            "when": 'direction == "received" and form in cash_equivalents'},
        "BRB-GIFT-KEEP": {
            "applies_to": "gift", "match": [], **_NO_DATES,
            "when": 'direction == "received" and gift_value_per_recipient > gift_keep_max_cny and (missing(disposition) '
                    'or disposition not in disposed_dispositions)'},
        "BRB-GIFT-AGG-365D": {
            "applies_to": "gift", "match": [], **_NO_DATES,
            "when": 'direction == "received" and (missing(disposition) or disposition not in disposed_dispositions) '
                    'and agg.gift_giver_365d_cny > gift_giver_365d_block_cny'},
        "CMP-FUND-NO-CERT": {
            "applies_to": "product_sale", **_NO_DATES,
            "when": 'product_type == "fund"',
            "match": ["employee where id == record.employee_id",
                      'no certification where employee_id == record.employee_id and type == "fund_sales" '
                      'and status == "valid" and (missing(expires_on) or expires_on >= record.record_date)\n']},
        "DDS-MATERIAL-UNVERIFIED": {
            "applies_to": "loan_file", **_NO_DATES,
            "when": None, "stages": None, "origination": True,
            "match": ["material where required == true and (verified == false or missing(verified))"]},
        "DDS-NO-ONSITE-VISIT": {
            "applies_to": "loan_file", **_NO_DATES,
            "when": None, "stages": None, "origination": True,
            "match": ['no site_visit where mode == "on_site"']},
        "DDM-TERM-WC-MAX": {
            "applies_to": "loan_file", "match": [], "effective_from": "2024-07-01", "effective_to": None,
            "when": 'product_type == "working_capital" and term_months > wc_term_max_months'},
        # the loan-file pack: a representative subset (one or more of each family)
        "DDC-MAT-MISSING-AUDITED-FS": {
            "applies_to": "loan_file", **_NO_DATES,
            "stages": None, "when": 'product_type in materials_audited_fs',
            "match": ['no material where type == "audited_fs"']},
        "DDC-MAT-MISSING-CREDIT-REPORT": {
            "applies_to": "loan_file", **_NO_DATES,
            "stages": None, "when": 'product_type in materials_credit_report',
            "match": ['no material where type == "credit_report"']},
        "DDC-STEP-MISSING-ANALYSIS": {
            "applies_to": "loan_file", "match": [], **_NO_DATES,
            "stages": None, "when": 'missing(steps.analysis.completed_on)'},
        "DDC-MODULE-MISSING-RATING": {
            "applies_to": "loan_file", "match": [], **_NO_DATES,
            "stages": None, "when": '(missing(modules.rating.status) or modules.rating.status == "missing")'},
        "DDC-REPORT-UNSIGNED-CO": {  # co_signatures_missing = missing_from(team.co_investigators, report.signed_by)
            "applies_to": "loan_file", "match": [], **_NO_DATES,
            "stages": None, "when": 'co_signatures_missing > 0'},
        "DDP-NO-REGISTRY-CHECK": {
            "applies_to": "loan_file", **_NO_DATES, "when": None, "stages": None,
            "match": ['no material where source_type == "government_registry"']},
        "DDP-REVENUE-TAX-GAP": {  # fs/tax revenue = first(materials.figures.revenue_cny, type="audited_fs"/"tax_returns")
            "applies_to": "loan_file", "match": [], **_NO_DATES,
            "stages": None, "when": '(tax_revenue_cny < fs_revenue_cny * (1 - crosscheck_tol) or '
                    'tax_revenue_cny > fs_revenue_cny * (1 + crosscheck_tol))'},
        "DDS-REPORT-BEFORE-VISIT": {
            "applies_to": "loan_file", **_NO_DATES, "when": None, "stages": None,
            "match": ['site_visit where mode == "on_site" and date > record.report.date']},
        "DDM-LTV-COMMERCIAL-RE": {
            "applies_to": "loan_file", **_NO_DATES, "when": None, "stages": None,
            "match": ['guarantee as g where collateral.type == "commercial_re" and collateral.secured_amount_cny > '
                      'collateral.appraised_value_cny * ltv_max_commercial_re']},
        "DDP-INVESTIGATOR-ALSO-DECIDER": {
            "applies_to": "loan_file", **_NO_DATES, "when": None,
            "match": ["team_member as inv where role in investigator_roles",
                      "team_member as dup where employee_id == inv.employee_id and role in decision_roles"]},
        "RM-INSPECTION-OVERDUE": {
            "applies_to": "loan_file", **_NO_DATES, "when": None, "stages": ["disbursed", "post_loan"],
            "match": ["inspection as i where missing(performed_on) and due_on < record.as_of"]},
        "RM-MATURITY-NOTICE-SHORT": {
            "applies_to": "loan_file", **_NO_DATES,
            "stages": ["disbursed", "post_loan"],
            "when": "term_months <= short_term_max_months and as_of > loan.maturity_on - maturity_notice_days_short",
            "match": ["no maturity_notice where sent_on <= record.loan.maturity_on - maturity_notice_days_short"]},
        "RM-SELF-PAYMENT-ABOVE-LIMIT-WORKING-CAPITAL": {
            "applies_to": "loan_file", **_NO_DATES,
            "stages": ["disbursed", "post_loan"], "when": 'product_type == "working_capital"',
            "match": ['disbursement as d where payment_method == "self" and amount_cny > '
                      'self_payment_max_cny_working_capital']},
    },
    "parameters": {
        "cash_equivalents": sorted(CASH_EQUIVALENTS), "gift_keep_max_cny": GIFT_KEEP_MAX_CNY,
        "disposed_dispositions": sorted(DISPOSED),
        "gift_giver_365d_block_cny": GIFT_GIVER_365D_BLOCK_CNY, "wc_term_max_months": WC_TERM_MAX_MONTHS,
        "materials_audited_fs": sorted(MATERIALS_AUDITED_FS), "materials_credit_report": sorted(MATERIALS_CREDIT_REPORT),
        "crosscheck_tol": CROSSCHECK_TOL, "ltv_max_commercial_re": LTV_MAX_COMMERCIAL_RE,
        "investigator_roles": INVESTIGATOR_ROLES, "decision_roles": DECISION_ROLES,
        "post_loan_stages": sorted(POST_LOAN_STAGES), "short_term_max_months": SHORT_TERM_MAX_MONTHS,
        "maturity_notice_days_short": MATURITY_NOTICE_DAYS_SHORT,
        "self_payment_max_cny_working_capital": SELF_PAYMENT_MAX_CNY_WC},
    "branches": {"BJ-001": {"gift_keep_max_cny": 300.0}},
    "fx": {k: v for k, v in FX.items() if k != "CNY"},
    "aggregates": {
        "gift_giver_365d_cny": {
            "applies_to": ["gift"], "over": "gift", "where": {"direction": "received",
                                                          "disposition": ["kept", "pending", None]},
            "match": {"employee_id": "employee_id", "network.key": "network.key"},
            "within_days": GIFT_WINDOW_DAYS, "sum": "value_cny", "per": "recipients"}},
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
            continue  # not hand-written: the bench compares only the rules listed here (``covered_rules``)
        rule = have_rules[rid]
        for attr, expected in want["rules"][rid].items():
            actual = getattr(rule, attr)
            if _norm(actual) != _norm(expected):
                drift.append(f"rule {rid}.{attr}: pack {actual!r}, hand-written for {expected!r}")
    for name, expected in want["parameters"].items():
        if _norm(packs.parameters.get(name)) != _norm(expected):
            actual = packs.parameters.get(name)
            drift.append(f"parameter {name}: pack {actual!r}, hand-written for {expected!r}")
    # branch overrides of the parameters these checks read (a branch's case SLA, say, is none of theirs)
    read = set(want["parameters"]) | {p for overrides in want["branches"].values() for p in overrides}
    branches = {b: kept for b, overrides in packs.branches.items()
                if (kept := {p: v for p, v in overrides.items() if p in read})}
    if _norm(branches) != _norm(want["branches"]):
        drift.append(f"branches: pack {branches!r}, hand-written for {want['branches']!r}")
    if _norm(packs.fx) != _norm(want["fx"]):
        drift.append(f"fx: pack {packs.fx!r}, hand-written for {want['fx']!r}")
    for name, expected in want["aggregates"].items():
        agg = packs.aggregates.get(name)
        actual = None if agg is None else agg.model_dump(exclude={"description"}, exclude_defaults=True) | {
            "applies_to": agg.applies_to, "within_days": agg.within_days}
        if _norm(actual) != _norm(expected):
            drift.append(f"aggregate {name}: pack {actual!r}, hand-written for {expected!r}")
    return drift


def covered_rules(kind: str) -> frozenset[str]:
    """The rule ids the hand-written checks implement for a record kind (the bench compares only these)."""
    return frozenset(rid for rid, spec in TRANSCRIBED["rules"].items() if spec["applies_to"] == kind)


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
    """(employee_id, the giver's network), or None when either is missing. Without reference data a giver's
    network is its group, else the party on its own (SPEC §3.5: a party with no group is counted too)."""
    counterparty = record.get("counterparty") or {}
    group, party = counterparty.get("group_id"), counterparty.get("party_id")
    network = f"group:{group}" if group is not None else f"party:{party}" if party is not None else None
    employee = record.get("employee_id")
    if network is None or employee is None:
        return None
    return employee, network


def gift_share(record: dict) -> float | None:
    """The gift's value per recipient (a team gift is measured per person)."""
    value = gift_value(record)
    recipients = record.get("recipients")
    if value is None:
        return None
    return round(value / recipients, 2) if isinstance(recipients, int) and recipients > 0 else value


def gift_kept(record: dict) -> bool:
    """Whether the gift counts toward the annual total: not returned, handed in or donated."""
    return record.get("disposition") not in DISPOSED


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
            if gift.get("direction") != "received" or not gift_kept(gift):
                continue
            key = gift_key(gift)
            value = gift_share(gift)
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
                if cert.get("type") != "fund_sales" or cert.get("status") != "valid":
                    continue
                day = local_date(expires) if expires else dt.date.max  # no expiry: valid for good
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
    value = gift_share(record)
    if value is None:
        return fired
    limit = GIFT_KEEP_MAX_BY_BRANCH.get(record.get("branch"), GIFT_KEEP_MAX_CNY)  # type: ignore[arg-type]
    if value > limit and record.get("disposition") not in GIFT_KEEP_OK_DISPOSITIONS:
        fired.add("BRB-GIFT-KEEP")
    key = gift_key(record)
    if key is not None and gift_kept(record) and windows.total(key, gift_day(record, as_of), record["id"], value) \
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
    # due-diligence rules apply at every stage (issue 17)
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


def _day(value: Any) -> int | None:
    """A date (or datetime: its Shanghai date) as an ordinal, None when absent."""
    return local_date(value).toordinal() if isinstance(value, str) else None


def _first_number(items: list[dict], mtype: str, figure: str) -> float | None:
    """``first(materials.figures.<figure>, type=<mtype>)``: the first such material with a number."""
    for item in items:
        value = (item.get("figures") or {}).get(figure) if item.get("type") == mtype else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def check_loan_file_pack(record: dict, as_of: dt.date) -> set[str]:
    """The loan-file pack subset of ``TRANSCRIBED`` (DDC/DDP/DDS/DDM/RM)."""
    fired: set[str] = set()
    stage = record.get("stage") or "pre_submission"
    product = record.get("product_type")
    materials = record.get("materials") or []
    team = record.get("team") or {}
    report = record.get("report")
    # due-diligence rules apply at every stage (issue 17)
    types = {m.get("type") for m in materials}
    if product in MATERIALS_AUDITED_FS and "audited_fs" not in types:
        fired.add("DDC-MAT-MISSING-AUDITED-FS")
    if product in MATERIALS_CREDIT_REPORT and "credit_report" not in types:
        fired.add("DDC-MAT-MISSING-CREDIT-REPORT")
    if ((record.get("steps") or {}).get("analysis") or {}).get("completed_on") is None:
        fired.add("DDC-STEP-MISSING-ANALYSIS")
    rating = ((record.get("modules") or {}).get("rating") or {}).get("status")
    if rating is None or rating == "missing":
        fired.add("DDC-MODULE-MISSING-RATING")
    if report is not None:
        signed = report.get("signed_by") or []
        if any(c not in signed for c in team.get("co_investigators") or []):
            fired.add("DDC-REPORT-UNSIGNED-CO")
    if not any(m.get("source_type") == "government_registry" for m in materials):
        fired.add("DDP-NO-REGISTRY-CHECK")
    fs, tax = _first_number(materials, "audited_fs", "revenue_cny"), _first_number(materials, "tax_returns",
                                                                                    "revenue_cny")
    if fs is not None and tax is not None and (tax < fs * (1 - CROSSCHECK_TOL) or tax > fs * (1 + CROSSCHECK_TOL)):
        fired.add("DDP-REVENUE-TAX-GAP")
    report_day = _day((report or {}).get("date"))
    if report_day is not None and any(v.get("mode") == "on_site" and (_day(v.get("date")) or 0) > report_day
                                      for v in record.get("site_visits") or []):
        fired.add("DDS-REPORT-BEFORE-VISIT")
    for g in record.get("guarantees") or []:
        c = g.get("collateral") or {}
        secured, appraised = c.get("secured_amount_cny"), c.get("appraised_value_cny")
        if c.get("type") == "commercial_re" and secured is not None and appraised is not None \
                and secured > appraised * LTV_MAX_COMMERCIAL_RE:
            fired.add("DDM-LTV-COMMERCIAL-RE")
    investigators = {team.get("lead_investigator"), *(team.get("co_investigators") or [])} - {None}
    deciders = {*(team.get("reviewers") or []), *(team.get("approvers") or [])}
    if investigators & deciders:
        fired.add("DDP-INVESTIGATOR-ALSO-DECIDER")
    loan = record.get("loan") or {}
    if stage in POST_LOAN_STAGES:
        today = as_of.toordinal()
        for i in loan.get("inspections") or []:
            due = _day(i.get("due_on"))
            if i.get("performed_on") is None and due is not None and due < today:
                fired.add("RM-INSPECTION-OVERDUE")
        maturity = _day(loan.get("maturity_on"))
        if maturity is not None and record["term_months"] <= SHORT_TERM_MAX_MONTHS \
                and today > maturity - MATURITY_NOTICE_DAYS_SHORT:
            deadline = maturity - MATURITY_NOTICE_DAYS_SHORT
            if not any((_day(n.get("sent_on")) or deadline + 1) <= deadline for n in loan.get("maturity_notices") or []):
                fired.add("RM-MATURITY-NOTICE-SHORT")
        if product == "working_capital" and any(
                d.get("payment_method") == "self" and (d.get("amount_cny") or 0) > SELF_PAYMENT_MAX_CNY_WC
                for d in loan.get("disbursements") or []):
            fired.add("RM-SELF-PAYMENT-ABOVE-LIMIT-WORKING-CAPITAL")
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
        return check_loan_file(record, as_of) | check_loan_file_pack(record, as_of)
    return set()
