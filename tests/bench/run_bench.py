"""Benchmark: the rule engine against hand-written Python checks of the same starter rules.

Run with ``make bench`` (or ``.venv/bin/python -m tests.bench.run_bench [--quick] [--json PATH]``).

Three seeded workloads are generated (gift declarations, product sales with an employee context,
loan files). For each, the engine and the hand-written checks (``handwritten.py``) evaluate the
SAME records in the same process, after a warm-up, one record at a time, each call timed with
``time.perf_counter_ns``, beside durable_rules driven minimally on the same compiled rulesets (``raw.py``).
Every side is timed in three passes, the sides taking turns, and the median pass is reported (a burst of
load on the shared machine then falls on every side alike). Both sides must fire the same rule ids for
every record: mismatches are counted and printed, and the script exits 1 if there is any. It also times
``engine.parse`` alone and splits one more engine pass into its stages, to show where the time goes.

This is a script, not a test: nothing here asserts on speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conduct_engine.engine import Engine
from conduct_engine.history import HistoryIndex
from conduct_engine.records import parse_context
from conduct_engine.results import Result, decide, sort_violations
from conduct_engine.rete import engine_version
from tests.bench import handwritten as hw
from tests.bench.machine import python_loop_ns
from tests.bench.raw import raw_fn

AS_OF = dt.date(2026, 11, 30)
SEED = 20261130
WARMUP = 200
BREAKDOWN_RECORDS = 500  # the stage split is a mean: a sample of each workload is enough

BRANCHES = ["SH-001", "BJ-001", "GZ-002", "SZ-003"]
CASH_FORMS = sorted(hw.CASH_EQUIVALENTS)
OTHER_FORMS = ["goods", "travel", "membership", "discount", "promotional_item", "loan_or_credit"]
DISPOSITIONS = [None, None, "kept", "kept", "returned", "handed_in", "donated", "pending"]
MATERIAL_TYPES = ["business_license", "articles", "legal_rep_id", "board_resolution", "audited_fs",
                  "interim_fs", "tax_returns", "bank_statements", "credit_report", "purchase_contracts",
                  "sales_contracts", "collateral_title", "appraisal_report", "other"]
LOCATIONS = ["registered_office", "production_site", "project_site", "warehouse", "collateral_site"]
LOAN_TYPES = ["working_capital", "working_capital", "fixed_asset", "project_finance", "personal_business",
              "trade_finance"]
CERT_TYPES = ["fund_sales", "fund_sales", "aml", "wealth_mgmt", "insurance_sales"]


# ---- data generation (seeded, deterministic) ------------------------------------------------------------
def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _moment(rng: random.Random, day: dt.date, utc_share: float) -> str:
    """A datetime string on ``day``: mostly naive (Shanghai), sometimes UTC ('Z', may roll the date)."""
    at = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60), rng.randrange(60)))
    return at.isoformat() + ("Z" if rng.random() < utc_share else "")


def generate_gifts(rng: random.Random, n: int) -> list[dict]:
    """Gift declarations across 2026: ~200 giver groups, each employee dealing mostly with a few of them."""
    return list(iter_gifts(rng, n))


def iter_gifts(rng: random.Random, n: int) -> Iterator[dict]:
    """The declarations of :func:`generate_gifts`, one at a time (the same ones: a million fit no list)."""
    groups = [f"GRP-{g:03d}" for g in range(200)]
    employees = [f"E-{e:04d}" for e in range(max(10, n // 12))]
    favourites = {e: rng.sample(groups, 3) for e in employees}
    for i in range(n):
        emp = rng.choice(employees)
        group = rng.choice(favourites[emp]) if rng.random() < 0.8 else rng.choice(groups)
        day = _day(rng, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        roll = rng.random()
        if roll < 0.05:
            value = rng.choice([300, 300.01, 500, 500.01, 2000, 2000.01])  # the thresholds themselves
        elif roll < 0.15:
            value = round(rng.uniform(800, 3000), 2)
        else:
            value = round(rng.uniform(20, 800), 2)
        form = rng.choice(CASH_FORMS) if rng.random() < 0.06 else rng.choice(OTHER_FORMS)
        party = rng.randrange(1000)
        counterparty: dict[str, Any] = {"party_id": f"P-{party:04d}", "name": f"赠送方{party}公司"}
        if rng.random() < 0.96:
            counterparty["group_id"] = group
        gift: dict[str, Any] = {
            "id": f"G-{i:06d}", "kind": "gift", "employee_id": emp, "branch": rng.choice(BRANCHES),
            "occurred_on": day.isoformat(),
            "declared_at": _moment(rng, day + dt.timedelta(days=rng.randrange(4)), 0.0),
            "direction": "received" if rng.random() < 0.85 else "given", "form": form,
            "counterparty": counterparty,
        }
        if rng.random() < 0.03:  # declared in a foreign currency: the engine converts with the pack's fx
            gift["amount"], gift["currency"] = round(value / 7.1, 2), rng.choice(["USD", "usd", "EUR", "HKD"])
        else:
            gift["value_cny"] = value
        disposition = rng.choice(DISPOSITIONS)
        if disposition is not None:
            gift["disposition"] = disposition
        if rng.random() < 0.01:
            del gift["occurred_on"]  # own date falls back to as_of
        yield gift


def generate_context(rng: random.Random, n_employees: int = 200) -> dict:
    """Employees E-0000… with 0–3 certifications each (type, status, expiry vary; may lack expiry)."""
    employees = []
    for e in range(n_employees):
        certs = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            cert: dict[str, Any] = {"type": rng.choice(CERT_TYPES),
                                    "status": rng.choice(["valid", "valid", "valid", "expired", "revoked"])}
            if rng.random() < 0.93:
                cert["expires_on"] = _day(rng, dt.date(2025, 6, 1), dt.date(2027, 6, 30)).isoformat()
            certs.append(cert)
        employees.append({"id": f"E-{e:04d}", "name": f"员工{e}", "role": "customer_manager",
                          "branch": rng.choice(BRANCHES), "status": "active", "certifications": certs})
    return {"employees": employees}


def generate_prior_gifts(rng: random.Random, gifts: list[dict]) -> list[dict]:
    """History only (not evaluated): 2025 declarations dated exactly 365 or 364 days before some 2026
    gift of the same employee and giver group, so the window edge (d-365, d] decides the aggregate."""
    prior = []
    keyed = [g for g in gifts if g["direction"] == "received" and "group_id" in g["counterparty"]
             and "occurred_on" in g]
    for i, gift in enumerate(rng.sample(keyed, min(len(keyed), max(1, len(gifts) // 25)))):
        day = dt.date.fromisoformat(gift["occurred_on"]) - dt.timedelta(days=365 - i % 2)
        prior.append({**gift, "id": f"H-{i:06d}", "occurred_on": day.isoformat(),
                      "declared_at": f"{day.isoformat()}T12:00:00",
                      "value_cny": round(rng.uniform(1500, 1990), 2)})
        prior[-1].pop("amount", None)
        prior[-1].pop("currency", None)
    return prior


def generate_sales(rng: random.Random, n: int, context: dict) -> list[dict]:
    """Product sales across 2026, about half of them funds; ~5 % by employees missing from the context.
    About 8 % are planted on a certification's expiry date: sold that day (still valid), the day after,
    or that day at 16:00-23:59 UTC, which is already the next day in Shanghai."""
    employees = context["employees"]
    expiring = [(e["id"], c["expires_on"]) for e in employees for c in e["certifications"]
                if c["type"] == "fund_sales" and c["status"] == "valid" and "expires_on" in c
                and c["expires_on"] < "2026-11-30"]
    sales = []
    for i in range(n):
        emp = rng.choice(employees)["id"] if rng.random() < 0.95 else f"E-9{rng.randrange(999):03d}"
        day = _day(rng, dt.date(2026, 1, 1), dt.date(2026, 11, 30))
        sale = {
            "id": f"S-{i:06d}", "kind": "product_sale", "employee_id": emp,
            "client_id": f"C-{rng.randrange(5000)}", "product_code": f"F-{rng.randrange(300):03d}",
            "product_type": rng.choice(["fund", "fund", "fund", "deposit", "wealth", "insurance"]),
            "sold_at": _moment(rng, day, 0.1), "recorded_av": rng.random() < 0.9,
        }
        if expiring and rng.random() < 0.08:
            emp, expires = rng.choice(expiring)
            expiry = dt.date.fromisoformat(expires)
            sale["employee_id"], sale["product_type"] = emp, "fund"
            sale["sold_at"] = rng.choice([
                f"{expires}T{rng.randrange(8, 18):02d}:00:00",
                f"{(expiry + dt.timedelta(days=1)).isoformat()}T10:00:00",
                f"{expires}T{rng.randrange(16, 24):02d}:30:00Z",
                f"{expires}T{rng.randrange(0, 16):02d}:30:00Z",
            ])
        sales.append(sale)
    return sales


def generate_loan_files(rng: random.Random, n: int) -> list[dict]:
    """Loan files dated 2023-06..2026-11 (so DDM-TERM-WC-MAX's effective date matters), 5–12 materials,
    0–3 site visits; the own date comes from report.date, accepted_on or received_at in any combination."""
    files = []
    for i in range(n):
        base = _day(rng, dt.date(2023, 6, 1), dt.date(2026, 11, 30))
        if rng.random() < 0.05:
            base = rng.choice([dt.date(2024, 6, 30), dt.date(2024, 7, 1)])
        materials = []
        for _ in range(rng.randint(5, 12)):
            material: dict[str, Any] = {"type": rng.choice(MATERIAL_TYPES),
                                        "source_type": rng.choice(["client_provided", "government_registry"])}
            if rng.random() < 0.9:
                material["required"] = rng.random() < 0.75
            roll = rng.random()
            if roll < 0.82:
                material["verified"] = True
            elif roll < 0.9:
                material["verified"] = False
            materials.append(material)
        visits = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            visit: dict[str, Any] = {"date": (base + dt.timedelta(days=rng.randrange(30))).isoformat(),
                                     "location_type": rng.choice(LOCATIONS),
                                     "investigators": ["E-0001", "E-0002"]}
            if rng.random() < 0.9:
                visit["mode"] = "on_site" if rng.random() < 0.7 else "video"
            visits.append(visit)
        loan: dict[str, Any] = {
            "id": f"L-{i:06d}", "kind": "loan_file", "branch": rng.choice(BRANCHES),
            "product_type": rng.choice(LOAN_TYPES),
            "borrower": {"party_id": f"P-{rng.randrange(5000)}", "name": f"借款企业{i}", "type": "corporate"},
            "requested_amount_cny": float(rng.randrange(100, 50_000) * 1000),
            "term_months": rng.choice([6, 12, 12, 24, 36, 36, 37, 48, 60]),
            "team": {"lead_investigator": "E-0001", "co_investigators": ["E-0002"]},
            "materials": materials, "site_visits": visits,
        }
        roll = rng.random()
        if roll < 0.7:
            loan["stage"] = "pre_submission"
        elif roll < 0.8:
            pass  # defaults to pre_submission
        else:
            loan["stage"] = rng.choice(["approved", "disbursed", "post_loan"])
        if rng.random() < 0.5:
            loan["accepted_on"] = base.isoformat()
        if rng.random() < 0.4:
            loan["received_at"] = _moment(rng, base - dt.timedelta(days=rng.randrange(2)), 0.3)
        if rng.random() < 0.4:
            loan["report"] = {"date": (base + dt.timedelta(days=rng.randrange(-3, 60))).isoformat(),
                              "signed_by": ["E-0001"]}
        if rng.random() < 0.06:  # planted on the effective date of DDM-TERM-WC-MAX
            loan["product_type"], loan["term_months"] = "working_capital", 48
            for f in ("accepted_on", "received_at", "report"):
                loan.pop(f, None)
            plant = rng.randrange(4)
            if plant == 0:  # 2024-07-01 01:00 in Shanghai: in force
                loan["received_at"] = "2024-06-30T17:00:00Z"
            elif plant == 1:  # 2024-06-30 23:00 in Shanghai: not yet
                loan["received_at"] = "2024-06-30T15:00:00+00:00"
            elif plant == 2:  # report.date wins over accepted_on
                loan["accepted_on"], loan["report"] = "2024-06-30", {"date": "2024-07-01"}
            else:
                loan["accepted_on"], loan["report"] = "2024-07-01", {"date": "2024-06-30"}
        enrich_loan_file(rng, loan, base)
        files.append(loan)
    return files


def enrich_loan_file(rng: random.Random, loan: dict[str, Any], base: dt.date) -> None:
    """Give a generated file what the hand-written subset of the loan-file pack reads, around its thresholds:
    team roles (审贷分离), steps, the rating module, report signatures, registry sources, revenue figures
    (tax vs statements at 0.8/1.2 exactly), a commercial mortgage at LTV 0.6 exactly, and for disbursed
    files inspections due the day before / of / after as_of, a maturity notice 6/7/8 days before a maturity
    near as_of, and self-payments around the CNY 10 million threshold."""
    team = loan["team"]
    roll = rng.random()
    team["reviewers"] = ["E-0001"] if roll < 0.05 else ["E-0003"]
    team["approvers"] = ["E-0002"] if 0.05 <= roll < 0.1 else ["E-0004"]
    loan["steps"] = {step: {"completed_on": (base + dt.timedelta(days=i)).isoformat()}
                     for i, step in enumerate(("acceptance", "collection", "site_visit", "analysis", "report"))
                     if rng.random() < 0.9}
    status = rng.choice(["completed", "completed", "not_applicable", "missing", None])
    loan["modules"] = {"subject": {"status": "completed"}} if status is None else {"rating": {"status": status}}
    if "report" in loan:
        loan["report"]["signed_by"] = rng.choice([["E-0001", "E-0002"], ["E-0001", "E-0002"], ["E-0001"], []])
    for material in loan["materials"]:
        if material["type"] == "audited_fs" and rng.random() < 0.8:
            material["figures"] = {"revenue_cny": rng.choice([100_000_000, 100_000_000, 50_000_000])}
        elif material["type"] == "tax_returns" and rng.random() < 0.8:
            material["figures"] = {"revenue_cny": rng.choice([79_999_999, 80_000_000, 95_000_000, 120_000_000,
                                                              120_000_001, 60_000_000])}
    if rng.random() < 0.3:
        secured = rng.choice([5_900_000, 6_000_000, 6_000_001, 7_000_000])
        loan["guarantees"] = [{"type": "mortgage", "collateral": {"type": rng.choice(["commercial_re", "commercial_re",
                                                                                     "residential_re"]),
                                                                   "appraised_value_cny": 10_000_000,
                                                                   "secured_amount_cny": secured}}]
    if loan.get("stage") in ("disbursed", "post_loan"):
        maturity = AS_OF + dt.timedelta(days=rng.randrange(-3, 15))
        inspection: dict[str, Any] = {"type": "routine",
                                      "due_on": (AS_OF + dt.timedelta(days=rng.choice([-1, 0, 1]))).isoformat()}
        if rng.random() < 0.4:
            inspection["performed_on"] = inspection["due_on"]
        notices = [{"sent_on": (maturity - dt.timedelta(days=d)).isoformat()}
                   for d in rng.sample([6, 7, 8], rng.randrange(0, 2))]
        loan["loan"] = {
            "disbursements": [{"amount_cny": float(rng.choice([9_999_999, 10_000_000, 10_000_001, 12_000_000])),
                               "disbursed_on": (base + dt.timedelta(days=30)).isoformat(),
                               "payment_method": rng.choice(["self", "entrusted"])}],
            "maturity_on": maturity.isoformat(), "inspections": [inspection], "maturity_notices": notices}


# ---- measurement -----------------------------------------------------------------------------------------
@dataclass
class Timing:
    """Per-call latencies of one pass."""

    latencies_ns: list[int]

    @property
    def n(self) -> int:
        return len(self.latencies_ns)

    def evals_per_s(self) -> float:
        return self.n / (sum(self.latencies_ns) / 1e9)

    def pct_us(self, q: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(self.n - 1, max(0, math.ceil(q * self.n) - 1))] / 1000

    def mean_us(self) -> float:
        return sum(self.latencies_ns) / self.n / 1000

    def summary(self) -> dict[str, float]:
        return {"evals_per_s": round(self.evals_per_s(), 1), "p50_us": round(self.pct_us(0.50), 2),
                "p99_us": round(self.pct_us(0.99), 2), "mean_us": round(self.mean_us(), 2)}


def timed(fn: Callable[[dict], Any], records: list[dict]) -> tuple[list[Any], Timing]:
    """Call ``fn`` on every record, timing each call on its own."""
    clock = time.perf_counter_ns
    out: list[Any] = []
    latencies: list[int] = []
    gc.collect()
    for record in records:
        t0 = clock()
        result = fn(record)
        t1 = clock()
        latencies.append(t1 - t0)
        out.append(result)
    return out, Timing(latencies)


PASSES = 3  # each side is timed this many times, the sides taking turns; the pass of median throughput is kept


def interleaved(fns: list[Callable[[dict], Any]], records: list[dict], passes: int = PASSES
                ) -> list[tuple[list[Any], Timing]]:
    """Time every function over ``records``, ``passes`` times, the functions taking turns (so a burst of load on
    the shared machine falls on every side); per function the outputs of its first pass and its median pass."""
    runs: list[list[tuple[list[Any], Timing]]] = [[] for _ in fns]
    for _ in range(passes):
        for fn, out in zip(fns, runs, strict=True):
            out.append(timed(fn, records))
    return [(out[0][0], sorted((t for _, t in out), key=Timing.evals_per_s)[len(out) // 2]) for out in runs]


@dataclass
class Workload:
    """One record kind: its records and how each side evaluates them."""

    name: str
    records: list[dict]
    engine_fn: Callable[[dict], Any]
    hand_fn: Callable[[dict], set[str]]
    context: Any = None
    history: HistoryIndex = field(default_factory=HistoryIndex)
    covered: frozenset[str] | None = None  # compare only these rule ids (None: every rule the engine fires)


def stage_breakdown(engine: Engine, wl: Workload) -> dict[str, float]:
    """Mean µs per stage of one more engine pass, through the engine's own stages (no re-implementation).

    parse = pydantic validation; facts = as_fact_dict + windows + derived values + record and context facts
    (``Engine.prepare_facts``); serialise = json.dumps of the batch (timed on its own, outside ``match``); match =
    ``Engine.match`` (serialise again + C assert + Python actions + delete_state); report = violations with
    filled messages and evidence, sorted and decided (``Engine.report``).
    """
    clock = time.perf_counter_ns
    stages = dict.fromkeys(("parse", "facts", "serialise", "match", "report"), 0)
    n_facts = 0
    records = wl.records[:BREAKDOWN_RECORDS]
    gc.collect()
    for record in records:
        t0 = clock()
        model = engine.parse(record)
        t1 = clock()
        dump = model.as_fact_dict()  # type: ignore[attr-defined]
        prepared = engine.prepare_facts(dump, wl.context, wl.history, AS_OF)
        t2 = clock()
        json.dumps(prepared.facts, ensure_ascii=False, allow_nan=False)
        t3 = clock()
        firings = engine.match(prepared)
        t4 = clock()
        params = engine.packs.params_for(dump.get("branch"))
        violations = sort_violations([engine.report(f, prepared, params) for f in firings])
        Result(record_id=dump["id"], kind=prepared.kind, decision=decide(violations), violations=violations,
               waived=[], pack=engine.pack_ref, as_of=AS_OF.isoformat(), decision_id=uuid.uuid4().hex)
        t5 = clock()
        for name, took in zip(("parse", "facts", "serialise", "match", "report"),
                              (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            stages[name] += took
        n_facts += len(prepared.facts) + 1  # + the sentinel
    n = len(records) * 1000
    out = {f"{name}_us": round(total / n, 2) for name, total in stages.items()}
    out["stages_sum_us"] = round((sum(stages.values()) - stages["serialise"]) / n, 2)
    out["facts_per_eval"] = round(n_facts / len(records), 1)
    out["records"] = len(records)
    return out


def rule_ids(result: Any) -> set[str]:
    return {v.rule_id for v in result.violations}


def run_workload(engine: Engine, wl: Workload) -> dict[str, Any]:
    """Warm up, then time engine, hand-written and parse-only passes; compare the fired rule ids."""
    warm = wl.records[:WARMUP]
    for record in warm:
        wl.engine_fn(record)
        wl.hand_fn(record)
        engine.parse(record)
    raw_run, output_fn = raw_and_output(engine, wl)
    (engine_results, engine_t), (hand_results, hand_t), (_, parse_t), (_, raw_t), (_, output_t) = interleaved(
        [wl.engine_fn, wl.hand_fn, engine.parse, raw_run, output_fn], wl.records)
    try:
        breakdown: dict[str, float] | None = stage_breakdown(engine, wl)
    except Exception as exc:  # engine internals moved: the headline figures still stand
        print(f"  ({wl.name}: stage breakdown unavailable: {exc!r})", file=sys.stderr)
        breakdown = None

    mismatches = []
    fired: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    for record, result, hand in zip(wl.records, engine_results, hand_results, strict=True):
        got = rule_ids(result)
        if wl.covered is not None:
            got &= wl.covered  # rules without a hand-written check are not compared
        fired.update(got)
        decisions[result.decision] += 1
        if got != hand:
            mismatches.append({"id": record["id"], "engine": sorted(got), "handwritten": sorted(hand)})
    e, h = engine_t.summary(), hand_t.summary()
    return {
        "workload": wl.name, "records": len(wl.records), "engine": e, "handwritten": h,
        "parse_only": parse_t.summary(), "breakdown": breakdown, "raw": raw_t.summary(),
        "engine_with_output": output_t.summary(),
        "ratio": {
            "engine_over_raw_throughput": round(e["evals_per_s"] / raw_t.evals_per_s(), 3),
            "engine_with_output_over_raw_throughput": round(output_t.evals_per_s() / raw_t.evals_per_s(), 3),
            "hand_over_engine_throughput": round(h["evals_per_s"] / e["evals_per_s"], 1),
            "engine_over_hand_throughput": float(f"{e['evals_per_s'] / h['evals_per_s']:.3g}"),
            "engine_over_hand_p50": round(e["p50_us"] / h["p50_us"], 1),
            "engine_over_hand_p99": round(e["p99_us"] / h["p99_us"], 1),
            "parse_share_of_engine_mean": round(parse_t.mean_us() / engine_t.mean_us(), 3),
        },
        "fired": dict(sorted(fired.items())), "decisions": dict(sorted(decisions.items())),
        "mismatch_count": len(mismatches), "mismatches": mismatches[:20],
    }


def raw_and_output(engine: Engine, wl: Workload) -> tuple[Callable[[dict], Any], Callable[[dict], Any]]:
    """Two more sides for the same records, warmed up: durable_rules driven minimally (pre-built facts: ``raw.py``),
    and the engine with the output built (``evaluate(…).model_dump_json()``: messages, evidence, the Result)."""
    run, prepare = raw_fn(engine, wl.context, wl.history, AS_OF)
    for record in wl.records:
        prepare(record)
    for record in wl.records[:WARMUP]:
        run(record)

    def with_output(record: dict) -> str:
        return wl.engine_fn(record).model_dump_json()

    return run, with_output


def timer_overhead_ns() -> int:
    """p50 of an empty timed call, for reading the hand-written latencies."""
    _, t = timed(lambda r: None, [{}] * 20_000)
    return int(t.pct_us(0.5) * 1000)


# ---- report ----------------------------------------------------------------------------------------------
def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def print_report(machine: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    print(f"machine: {machine['cpus']} CPUs ({machine['machine']}), Python {machine['python']}, "
          f"durable-rules {machine['durable_rules']}, {machine['platform']}")
    print(f"plain Python: {machine['python_loop_ns']} ns per loop iteration (tests/bench/machine.py)")
    print(f"load average {machine['load_before']} before, {machine['load_after']} after "
          "(other processes on the machine inflate latencies, mostly p99)")
    print(f"as_of {machine['as_of']}, seed {machine['seed']}, warm-up {WARMUP} records per side, "
          f"timer overhead ~{machine['timer_overhead_ns']} ns/call (included in every latency); each side timed in "
          f"{PASSES} passes, the sides taking turns, the median pass reported")
    print()
    head = ["workload", "records", "engine evals/s", "engine p50 µs", "p99 µs",
            "hand-written evals/s", "p50 µs", "p99 µs", "ratio hand/engine", "p50 ratio", "p99 ratio",
            "mismatches"]
    table = [head]
    for r in rows:
        e, h, q = r["engine"], r["handwritten"], r["ratio"]
        table.append([r["workload"], f"{r['records']:,}", _fmt(e["evals_per_s"]), _fmt(e["p50_us"]),
                      _fmt(e["p99_us"]), _fmt(h["evals_per_s"]), _fmt(h["p50_us"]), _fmt(h["p99_us"]),
                      f"{q['hand_over_engine_throughput']:,.0f}x", f"{q['engine_over_hand_p50']:,.0f}x",
                      f"{q['engine_over_hand_p99']:,.0f}x", str(r["mismatch_count"])])
    _print_table(table)
    print()
    print("against durable_rules driven minimally (the same compiled rulesets, facts pre-built, one session and one "
          "json.dumps per record; tests/bench/raw.py), and with the output built (Result JSON):")
    table = [["workload", "engine evals/s", "raw evals/s", "engine ÷ raw", "engine+output evals/s",
              "(engine+output) ÷ raw", "hand-written evals/s", "engine ÷ hand-written"]]
    for r in rows:
        e, q = r["engine"], r["ratio"]
        table.append([r["workload"], _fmt(e["evals_per_s"]), _fmt(r["raw"]["evals_per_s"]),
                      f"{q['engine_over_raw_throughput']:.2f}", _fmt(r["engine_with_output"]["evals_per_s"]),
                      f"{q['engine_with_output_over_raw_throughput']:.2f}", _fmt(r["handwritten"]["evals_per_s"]),
                      f"{q['engine_over_hand_throughput']:.3g}"])
    _print_table(table)
    print()
    print(f"where the engine's time goes (mean µs per evaluation; stages from a separate pass over the first "
          f"{BREAKDOWN_RECORDS} records of each workload):")
    table = [["workload", "engine mean", "parse only", "parse share", "facts (windows, derived, context)",
              "facts/eval", "rete.evaluate", "of which serialise", "C match+actions ≈", "report",
              "stages sum"]]
    for r in rows:
        b, mean, parse = r["breakdown"], r["engine"]["mean_us"], r["parse_only"]["mean_us"]
        if b is None:
            table.append([r["workload"], _fmt(mean), _fmt(parse), f"{parse / mean:.0%}"] + ["n/a"] * 7)
            continue
        table.append([r["workload"], _fmt(mean), _fmt(parse), f"{parse / mean:.0%}", _fmt(b["facts_us"]),
                      _fmt(b["facts_per_eval"]), _fmt(b["match_us"]),
                      _fmt(b["serialise_us"]), _fmt(max(0.0, b["match_us"] - b["serialise_us"])),
                      _fmt(b["report_us"]), _fmt(b["stages_sum_us"])])
    _print_table(table)
    print()
    for r in rows:
        print(f"{r['workload']}: fired {r['fired']}; decisions {r['decisions']}")
    for r in rows:
        for m in r["mismatches"][:5]:
            print(f"MISMATCH {r['workload']} {m['id']}: engine {m['engine']} "
                  f"vs hand-written {m['handwritten']}")


def _print_table(table: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for j, row in enumerate(table):
        pairs = zip(row, widths, strict=True)
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(pairs)]
        print(" | ".join(cells))
        if j == 0:
            print("-+-".join("-" * w for w in widths))


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


# ---- main ------------------------------------------------------------------------------------------------
def full_pack_row(engine: Engine, wl: Workload) -> dict[str, Any]:
    """Engine-only throughput of one workload with every rule of the live pack."""
    for record in wl.records[:WARMUP]:
        wl.engine_fn(record)
    raw_run, output_fn = raw_and_output(engine, wl)
    (_, t), (_, raw_t), (_, output_t) = interleaved([wl.engine_fn, raw_run, output_fn], wl.records)
    return {"workload": wl.name, "rules": len(engine.rules_for(wl.name)), **t.summary(),
            "raw_evals_per_s": round(raw_t.evals_per_s(), 1),
            "engine_over_raw": round(t.evals_per_s() / raw_t.evals_per_s(), 3),
            "with_output_evals_per_s": round(output_t.evals_per_s(), 1),
            "with_output_over_raw": round(output_t.evals_per_s() / raw_t.evals_per_s(), 3)}


def _fmt_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def build_workloads(engine: Engine, scale: float) -> list[Workload]:
    rng = random.Random(SEED)
    gifts = generate_gifts(rng, int(5000 * scale))
    context = generate_context(rng, 200)
    sales = generate_sales(rng, int(2000 * scale), context)
    loans = generate_loan_files(rng, int(1000 * scale))
    prior = generate_prior_gifts(rng, gifts)

    # every declaration is every other's history, plus some of 2025's on the window edge
    gift_index = engine.history_index(gifts + prior, AS_OF)
    windows = hw.GiftWindows(gifts + prior, AS_OF)
    ctx_model = parse_context(context)  # reference data is loaded once, as the service does
    certs = hw.Certifications(context)
    empty = HistoryIndex()

    def on_engine(ctx: Any, index: HistoryIndex) -> Callable[[dict], Any]:
        return lambda r: engine.evaluate(r, context=ctx, history=index, as_of=AS_OF)

    return [
        Workload("gift", gifts, on_engine(None, gift_index), lambda r: hw.check_gift(r, windows, AS_OF),
                 None, gift_index),
        Workload("product_sale", sales, on_engine(ctx_model, empty),
                 lambda r: hw.check_product_sale(r, certs, AS_OF), ctx_model, empty),
        Workload("loan_file", loans, on_engine(None, empty),
                 lambda r: hw.check_loan_file(r, AS_OF) | hw.check_loan_file_pack(r, AS_OF), None, empty,
                 hw.covered_rules("loan_file")),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10x fewer records (CI smoke run)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # The side-by-side comparison runs the engine on exactly the rules the hand-written checks implement.
    covered = set().union(*(hw.covered_rules(k) for k in ("gift", "product_sale", "loan_file")))
    engine = Engine.from_paths(only=covered)
    workloads = build_workloads(engine, 0.1 if args.quick else 1.0)
    machine = {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
               "platform": platform.platform(terse=True), "durable_rules": engine_version(),
               "pack": f"{engine.pack_ref.name} {engine.pack_ref.version}", "as_of": AS_OF.isoformat(),
               "seed": SEED, "quick": args.quick, "load_before": _load(),
               "timer_overhead_ns": timer_overhead_ns(), "python_loop_ns": python_loop_ns()}
    drift = hw.pack_drift(engine.packs)
    machine["pack_drift"] = drift
    rows = [run_workload(engine, wl) for wl in workloads]
    full = Engine.from_paths()
    full_rows = [full_pack_row(full, wl) for wl in build_workloads(full, 0.1 if args.quick else 1.0)]
    machine["load_after"] = _load()
    print_report(machine, rows)
    print("\nthe whole live pack (every rule; no hand-written counterpart, so no ratio):")
    print(_fmt_table([["workload", "rules", "evals/s", "p50 µs", "p99 µs", "raw evals/s", "engine ÷ raw",
                       "engine+output evals/s", "(engine+output) ÷ raw"]] + [
        [r["workload"], str(r["rules"]), f"{r['evals_per_s']:,.0f}", f"{r['p50_us']:,.0f}", f"{r['p99_us']:,.0f}",
         f"{r['raw_evals_per_s']:,.0f}", f"{r['engine_over_raw']:.2f}", f"{r['with_output_evals_per_s']:,.0f}",
         f"{r['with_output_over_raw']:.2f}"]
        for r in full_rows]))
    for line in drift:
        print(f"PACK DRIFT (the hand-written checks are out of date): {line}")
    total = sum(r["mismatch_count"] for r in rows)
    print(f"\nmismatches between engine and hand-written checks: {total} "
          f"({time.perf_counter() - started:.1f} s in all)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": machine, "workloads": rows, "full_pack": full_rows}, fh, ensure_ascii=False,
                      indent=2)
        print(f"figures written to {args.json}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
