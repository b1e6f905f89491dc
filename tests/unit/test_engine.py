"""Engine behaviour end to end: decisions, messages, windows, branches, effective dates, failures."""

from __future__ import annotations

import pytest

from conduct_engine.engine import Engine
from conduct_engine.errors import EngineError, RecordError
from conduct_engine.results import Violation, decide
from conduct_engine.rete import ReteEngine


def _ids(result):
    return sorted(v.rule_id for v in result.violations)


def test_clean_gift_passes(engine, gift):
    result = engine.evaluate(gift, as_of="2026-11-30")
    assert (result.decision, result.violations) == ("pass", [])


def test_shopping_card_blocks_with_filled_messages(engine, gift):
    gift.update(form="shopping_card", value_cny=2000, disposition="returned")
    result = engine.evaluate(gift, as_of="2026-11-30")
    assert result.decision == "block" and _ids(result) == ["BRB-CASH-EQUIV"]
    v = result.violations[0]
    assert v.message.zh == "严禁收受现金及现金等价物（购物卡，价值 2000 元，来自 上海某贸易公司）"
    assert v.message.en == ("Cash or cash-equivalent gifts may not be accepted (shopping card, CNY 2,000, "
                            "from 上海某贸易公司)")
    assert v.evidence["form"] == "shopping_card" and v.evidence["value_cny"] == 2000
    assert result.pack.digest.startswith("sha256:") and result.as_of == "2026-11-30"


@pytest.mark.parametrize(("branch", "value", "fires"), [
    ("SH-001", 500, False), ("SH-001", 501, True), ("BJ-001", 300, False), ("BJ-001", 301, True),
    ("SH-001", 301, False), (None, 501, True)])
def test_keep_limit_branch_override(engine, gift, branch, value, fires):
    gift.update(value_cny=value, disposition="kept")
    if branch is None:
        gift.pop("branch")
    else:
        gift["branch"] = branch
    assert ("BRB-GIFT-KEEP" in _ids(engine.evaluate(gift, as_of="2026-11-30"))) is fires


def test_override_message_shows_branch_limit(engine, gift):
    gift.update(value_cny=400, disposition="kept", branch="BJ-001")
    v = engine.evaluate(gift).violations[0]
    assert v.message.en.startswith("Gift worth CNY 400 exceeds the keep limit of CNY 300;")


@pytest.mark.parametrize(("days_back", "fires"), [(364, True), (365, False)])
def test_window_boundary(engine, gift, days_back, fires):
    import datetime as dt
    day = dt.date(2026, 10, 10)
    history = [{**gift, "id": "H-1", "value_cny": 1500, "occurred_on": (day - dt.timedelta(days=days_back)).isoformat()}]
    gift.update(id="G-9", value_cny=600, occurred_on=day.isoformat())
    result = engine.evaluate(gift, history=history, as_of="2026-11-30")
    assert ("BRB-GIFT-AGG-365D" in _ids(result)) is fires
    if fires:
        v = next(v for v in result.violations if v.rule_id == "BRB-GIFT-AGG-365D")
        assert v.evidence["agg.gift_giver_365d_cny"] == 2100
        assert "2,100" in v.message.en and "2100" in v.message.zh


def test_window_ignores_later_history_and_same_id(engine, gift):
    history = [{**gift, "id": "H-1", "value_cny": 1900, "occurred_on": "2026-10-11"},  # after the record
               {**gift, "id": "G-9", "value_cny": 1900}]  # the record itself, stored earlier
    gift.update(id="G-9", value_cny=600)
    assert "BRB-GIFT-AGG-365D" not in _ids(engine.evaluate(gift, history=history))


def test_batch_history_equals_one_by_one(engine, gift):
    records = [{**gift, "id": f"G-{i}", "value_cny": 450, "occurred_on": f"2026-0{i}-01"} for i in range(1, 8)]
    batch = engine.evaluate_many(records, batch_is_history=True)
    single = [engine.evaluate(r, history=records[:i]) for i, r in enumerate(records)]
    assert [_ids(r) for r in batch] == [_ids(r) for r in single]
    assert [("BRB-GIFT-AGG-365D" in _ids(r)) for r in batch] == [False] * 4 + [True] * 3


def test_effective_from_uses_record_date(engine):
    base = {"id": "L-1", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 1e6,
            "term_months": 48, "borrower": {"party_id": "P-9", "name": "某公司"},
            "team": {"lead_investigator": "E-1"},
            "site_visits": [{"date": "2024-06-01", "location_type": "production_site", "mode": "on_site"}]}
    before = engine.evaluate({**base, "accepted_on": "2024-06-30"}, as_of="2026-11-30")
    after = engine.evaluate({**base, "accepted_on": "2024-07-01"}, as_of="2026-11-30")
    assert "DDM-TERM-WC-MAX" not in _ids(before) and "DDM-TERM-WC-MAX" in _ids(after)


def test_each_unverified_material_is_its_own_finding(engine):
    record = {"id": "L-2", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 1e6,
              "term_months": 12, "borrower": {"party_id": "P-9"}, "team": {"lead_investigator": "E-1"},
              "site_visits": [{"date": "2026-06-01", "location_type": "production_site", "mode": "on_site"}],
              "materials": [{"type": "audited_fs", "required": True, "verified": False},
                            {"type": "tax_returns", "required": True, "verified": True},
                            {"type": "bank_statements", "required": True}]}
    result = engine.evaluate(record)
    found = [v for v in result.violations if v.rule_id == "DDS-MATERIAL-UNVERIFIED"]
    assert sorted(v.evidence["material"]["index"] for v in found) == [0, 2]
    assert {v.message.en for v in found} == {
        "Required material audited financial statements (item 1) has not been verified",
        "Required material bank statements (item 3) has not been verified"}


def test_context_join(engine):
    sale = {"id": "S-1", "kind": "product_sale", "employee_id": "E-7", "client_id": "C-1", "product_code": "F-9",
            "product_type": "fund", "sold_at": "2026-10-10T10:00:00"}
    other = {"employees": [{"id": "E-8", "name": "李四", "certifications": []},
                           {"id": "E-7", "name": "王五", "certifications": [
                               {"type": "fund_sales", "status": "valid", "expires_on": "2027-01-01"}]}]}
    assert _ids(engine.evaluate(sale, context=other)) == []
    expired = {"employees": [{"id": "E-7", "name": "王五", "certifications": [
        {"type": "fund_sales", "status": "expired", "expires_on": "2027-01-01"}]}]}
    result = engine.evaluate(sale, context=expired)
    assert _ids(result) == ["CMP-FUND-NO-CERT"]
    assert result.violations[0].message.zh == "员工 王五 无有效基金销售资格，不得销售基金产品 F-9"
    # no employee in context: the join has nothing to match, so the rule cannot claim a breach
    assert _ids(engine.evaluate(sale, context={"employees": []})) == []


class _FailingRete(ReteEngine):
    """A durable_rules host whose every evaluation fails, as the C engine does when its stack overflows."""

    def evaluate(self, name, facts):
        raise EngineError("E303", "alpha stack full")


def test_forced_engine_error_is_review_never_pass(engine, gift):
    failing = Engine(engine.packs, rete=_FailingRete())
    result = failing.evaluate(gift)
    assert result.decision == "review"
    assert [(v.rule_id, v.finding, v.severity) for v in result.violations] == [("ENGINE-ERROR", "engine_error", "review")]
    assert result.violations[0].evidence == {"error_code": "E303", "detail": "E303: alpha stack full"}


def test_fact_beyond_engine_limits_is_refused_not_crashed(engine, gift):
    """253+ properties crash durable_rules; the adapter refuses such a fact before asserting it."""
    rete = ReteEngine()
    own = Engine(engine.packs, rete=rete)  # registers the default rulesets on ``rete``
    facts = [{"t": "gift", "id": "record", **{f"p{i}": i for i in range(300)}}]
    with pytest.raises(EngineError) as info:
        rete.evaluate("gift", facts)
    assert info.value.code == "too_many_properties"
    assert own.evaluate(gift).decision == "pass"  # the engine still works afterwards


def test_open_findings_map_too_wide_becomes_engine_error(engine):
    """A map too wide for the engine, in a field the rules read, is an engine error (review); the anchor fact
    holds only the fields its rules read, so the same map where no rule looks is left out of the facts."""
    record = {"id": "L-4", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 1e6,
              "term_months": 12, "borrower": {"party_id": "P-9"}, "team": {"lead_investigator": "E-1"},
              "modules": {"subject": {"status": "completed", "findings": {f"k{i}": i for i in range(300)}}}}
    live = Engine.from_paths()  # the bundled pack reads modules.subject.findings
    result = live.evaluate(record)
    assert result.decision == "review"
    assert [v.evidence.get("error_code") for v in result.violations] == ["too_many_properties"]
    starter = engine.evaluate(record)  # the starter rules read no module: judged as usual
    assert "ENGINE-ERROR" not in _ids(starter) and "DDS-NO-ONSITE-VISIT" in _ids(starter)
    assert "modules" not in engine.prepare(record)[1][-1] and "modules" in live.prepare(record)[1][-1]


def test_long_text_read_by_no_rule_is_fine(engine, gift):
    gift["description"] = "礼" * 30_000  # 90,000 UTF-8 bytes: left out of the facts
    assert engine.evaluate(gift).decision == "pass"


def test_bad_input_is_record_error(engine, gift):
    gift["value_cny"] = "2000"
    with pytest.raises(RecordError) as info:
        engine.evaluate(gift)
    assert [e["loc"] for e in info.value.errors] == ["value_cny"]
    with pytest.raises(RecordError) as info:
        engine.evaluate_many([gift, {"kind": "gift"}])
    assert info.value.errors[0]["loc"].startswith("0.")
    with pytest.raises(RecordError):
        engine.evaluate({"id": "x", "kind": "gift"}, as_of="30/11/2026")


def test_amount_and_currency_use_pack_fx(engine, gift):
    gift.pop("value_cny")
    gift.update(amount=100, currency="USD", disposition="kept")
    result = engine.evaluate(gift)
    assert _ids(result) == ["BRB-GIFT-KEEP"] and result.violations[0].evidence["value_cny"] == 710


def test_loan_file_with_400_materials_is_handled(engine):
    record = {"id": "L-3", "kind": "loan_file", "product_type": "working_capital", "requested_amount_cny": 1e6,
              "term_months": 12, "borrower": {"party_id": "P-9"}, "team": {"lead_investigator": "E-1"},
              "materials": [{"type": "other", "required": True, "verified": i % 2 == 0} for i in range(400)]}
    result = engine.evaluate(record)
    assert sum(v.rule_id == "DDS-MATERIAL-UNVERIFIED" for v in result.violations) == 200
    assert result.decision == "block"  # no on-site visit
    found = [v.evidence["material"]["index"] for v in result.violations if v.rule_id == "DDS-MATERIAL-UNVERIFIED"]
    assert found == list(range(1, 400, 2))  # in file order


def test_duplicate_context_ids_rejected(engine):
    sale = {"id": "S-1", "kind": "product_sale", "employee_id": "E-7", "client_id": "C-1", "product_code": "F-9",
            "product_type": "fund", "sold_at": "2026-10-10T10:00:00"}
    emp = {"id": "E-7", "name": "王五"}
    with pytest.raises(RecordError) as info:
        engine.evaluate(sale, context={"employees": [emp, emp]})
    assert "id 'E-7' appears more than once in employees" in str(info.value)


def test_decide():
    def v(sev):
        return Violation(rule_id="X-1", standard="honesty", severity=sev, message={"zh": "a", "en": "a"},
                         remediation={"zh": "a", "en": "a"}, source="s")
    assert decide([]) == "pass"
    assert decide([v("advisory")]) == "pass"
    assert decide([v("advisory"), v("review")]) == "review"
    assert decide([v("review"), v("block")]) == "block"


def test_exponent_numbers_are_rewritten_for_the_engine(engine, gift):
    """json.dumps writes 1e-05 and 1e+16, which the engine's parser rejects (error 204)."""
    gift.update(value_cny=1e16, disposition="kept")
    assert "BRB-GIFT-KEEP" in _ids(engine.evaluate(gift))
    gift.update(value_cny=0.00001)
    assert engine.evaluate(gift).decision == "pass"


@pytest.mark.parametrize(("value", "lang", "text"), [
    (2000.0, "en", "2,000"), (2000.0, "zh", "2000"), (23.9997, "en", "24"), (1234.5, "en", "1,234.50"),
    ("2026-10-12T10:00:00+08:00", "en", "2026-10-12 10:00"), ("2026-10-12", "zh", "2026-10-12"),
    (True, "zh", "是"), (None, "en", "—")])
def test_format_value(value, lang, text):
    from conduct_engine.results import format_value
    assert format_value(value, lang, {}) == text


def test_keyword_named_field_is_written_with_underscore():
    from conduct_engine.packs.expressions import Scope, compile_condition
    from conduct_engine.packs.fields import catalog
    from conduct_engine.packs.problems import ExprError
    scope = Scope("restricted_security", catalog()["restricted_security"].fields, {},
                  {"record": catalog()["securities_trade"].fields})
    compiled = compile_condition("from_ <= record.record_date", scope)
    assert compiled.conditions[-1] == {"$lte": {"from": {"$m": "rec.record_date"}}}
    with pytest.raises(ExprError) as info:
        compile_condition("from <= record.record_date", scope)
    assert info.value.hint.startswith("from_")


def test_texts_that_look_like_exponents_or_many_properties_are_asserted_as_they_are(engine, gift):
    """The adapter reads its guard-rails off each fact's JSON text (at most one key per colon; an exponent only
    as ``e-``/``e+``); a text that merely looks suspicious is walked exactly and asserted unchanged."""
    from conduct_engine.rete import _encode_batch
    plain = {"id": "record", "t": "gift", "note": "e-mail e+1 " + ":" * 300, "n": 5}
    texts = _encode_batch([plain], "s1")
    assert texts[0] == '{"id":"record","t":"gift","note":"e-mail e+1 ' + ":" * 300 + '","n":5,"sid":"s1"}'
    assert texts[-1] == '{"id":"__end__","t":"__end__","sid":"s1"}'
    with pytest.raises(EngineError) as info:
        _encode_batch([{"id": "record", **{f"p{i}": i for i in range(241)}}], "s2")
    assert info.value.code == "too_many_properties"
    rewritten = _encode_batch([{"id": "record", "x": 1e-05, "y": 2.5}], "s3")
    assert rewritten[0] == '{"id":"record","x":0.0,"y":2.5,"sid":"s3"}'
    first_not_id = _encode_batch([{"t": "gift", "id": "record"}], "s4")
    assert first_not_id[0] == '{"id":"record","t":"gift","sid":"s4"}'  # the id first: the message reader needs it
    gift.update(description="e-mail: " + ":" * 300, form="shopping_card")
    assert _ids(engine.evaluate(gift)) == ["BRB-CASH-EQUIV"]


def test_an_or_with_both_branches_true_fires_twice_and_is_kept_once():
    """durable_rules fires an ``$or`` rule once per true branch over the same facts; the firings' ids are read
    lazily off the messages, and ``distinct`` keeps one per (rule id, matched facts) when findings are built."""
    from conduct_engine.firings import Firing, distinct
    from conduct_engine.rete import SENTINEL_TYPE

    rete = ReteEngine()
    rete.register("or-test", {
        "r1": {"all": [{"m": {"$or": [{"a": 1}, {"b": 2}]}}], "run": "violation:R-1"},
        "r2": {"all": [{"m": {"a": 1}}, {"n": {"c": 3}}], "run": "violation:R-2"},
        "zz": {"all": [{"end": {"t": SENTINEL_TYPE}}], "pri": 65000, "run": "done:zz"}})
    firings = rete.evaluate("or-test", [{"id": "f2", "c": 3}, {"id": "f1", "a": 1, "b": 2}])
    assert [f.rule_id for f in firings] == ["R-1", "R-1", "R-2"]
    assert distinct(firings) == [Firing("R-1", (("m", "f1"),)), Firing("R-2", (("m", "f1"), ("n", "f2")))]
    assert firings[2].facts == {"m": {"id": "f1"}, "n": {"id": "f2"}}


def test_a_pack_rule_whose_or_holds_both_ways_is_one_violation():
    """The same through the engine and the bundled pack: a generated loan file that matches several rules' ``$or``
    both ways; the engine's firings repeat them, the result lists each (rule, matched facts) once."""
    import random

    from conduct_engine.firings import distinct
    from tests.bench.run_bench import AS_OF, SEED, generate_loan_files

    live = Engine.from_paths()
    record = generate_loan_files(random.Random(SEED), 1)[0]
    firings = live.match(live.prepare_facts(live.parse(record).as_fact_dict(), None, live.history_index([], AS_OF),
                                            AS_OF))
    repeated = {f.rule_id for f in firings if [g.rule_id for g in firings].count(f.rule_id) > 1}
    kept = distinct(firings)
    assert repeated and len(kept) < len(firings)
    violations = live.evaluate(record, as_of=AS_OF).violations
    assert len(violations) == len(kept)  # one violation per rule and matched facts, not per firing
    assert sorted(v.rule_id for v in violations) == sorted(f.rule_id for f in kept)


def test_only_the_windows_and_derived_values_the_rules_read_are_computed(gift):
    """A window or derived value no rule of the kind reads (in a condition, a message or a copy) is not computed:
    with the bundled pack every one is read; with only the cash-equivalent and keep rules, no window is."""
    import datetime as dt

    day = dt.date(2026, 11, 30)
    live = Engine.from_paths()
    dump = live.parse(gift).as_fact_dict()
    full = live.prepare_facts(dump, None, live.history_index([], day), day)
    assert {"gift_giver_365d_cny", "gift_giver_365d_count", "gift_given_365d_cny"} <= set(full.aggregates)
    assert "declaration_lag_bd" in full.derived
    kept = {"BRB-CASH-EQUIV", "BRB-GIFT-KEEP"}
    some = Engine.from_paths(only=kept)
    few = some.prepare_facts(dump, None, some.history_index([], day), day)
    assert few.aggregates == {} and "agg" not in few.factset.anchor and "declaration_lag_bd" not in few.derived
    for form, value in (("shopping_card", 2000), ("goods", 900), ("goods", 100)):
        gift.update(form=form, value_cny=value, disposition="kept")
        assert _ids(some.evaluate(gift, as_of=day)) == [i for i in _ids(live.evaluate(gift, as_of=day)) if i in kept]
