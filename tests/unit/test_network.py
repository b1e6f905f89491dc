"""conduct_engine/network.py: a counterparty resolved to its party network (SPEC §3.5)."""

from __future__ import annotations

import pytest

from conduct_engine import network
from conduct_engine.records import parse_context

CONTEXT = parse_context({
    "parties": [
        {"id": "P-ACME", "name": "Acme Trading Co., Ltd.", "group_id": "GRP-A"},
        {"id": "P-GUAR", "name": "某担保公司", "related": [{"party_id": "P-ACME", "relation": "same_actual_controller"}]},
        {"id": "P-DIR", "name": "张 三", "related": [{"party_id": "P-GUAR", "relation": "director_officer"}]},
        {"id": "P-SUP", "name": "上游供应商", "related": [{"party_id": "P-ACME", "relation": "upstream_supplier"}]},
        {"id": "P-LONE", "name": "某融资中介"},
        {"id": "P-BRO", "name": "王强", "related": [{"party_id": "P-FIRM", "relation": "director_officer"}]},
        {"id": "P-FIRM", "name": "睿思咨询"},
        {"id": "P-TWIN1", "name": "同名公司"}, {"id": "P-TWIN2", "name": "同名公司"},
    ],
    "clients": [{"id": "C-ACME", "party_id": "P-ACME"}, {"id": "C-SUP", "party_id": "P-SUP"}],
    "employees": [{"id": "E-1", "relations": [{"party_id": "P-BRO", "relation": "close_relative"},
                                              {"party_id": "P-LONE", "relation": "friend"}]}],
})


@pytest.fixture(scope="module")
def net():
    return network.Resolver(CONTEXT)


def test_affiliate_and_director_are_in_the_company_network(net):
    acme = net.resolve({"party_id": "P-ACME"})
    guar = net.resolve({"party_id": "P-GUAR"})
    director = net.resolve({"party_id": "P-DIR"})
    assert acme.key == guar.key == director.key == "group:GRP-A"
    assert director.clients == (("C-ACME", "P-DIR —director_officer→ P-GUAR —same_actual_controller→ P-ACME "
                                            "(client C-ACME)"),)
    assert guar.as_dump()["client_path"] == "P-GUAR —same_actual_controller→ P-ACME (client C-ACME)"
    assert acme.size == 3


def test_reverse_links_are_written_against_the_arrow(net):
    acme = net.resolve({"party_id": "P-ACME"})
    paths = dict(net._paths(("P", "P-ACME")))
    assert paths[("P", "P-DIR")] == "P-ACME ←same_actual_controller— P-GUAR ←director_officer— P-DIR"
    assert acme.clients[0] == ("C-ACME", "P-ACME")


def test_supply_chain_and_guarantee_links_make_no_network(net):
    supplier = net.resolve({"party_id": "P-SUP"})
    assert supplier.key == "party:P-SUP" and supplier.clients == (("C-SUP", "P-SUP"),)


def test_a_party_with_no_group_is_a_network_of_its_own(net):
    assert net.resolve({"party_id": "P-LONE"}).key == "party:P-LONE"
    assert net.resolve({"party_id": "P-UNKNOWN"}).key == "party:P-UNKNOWN"
    assert network.resolver(None).resolve({"party_id": "P-1", "group_id": "GRP-1"}).key == "group:GRP-1"
    assert network.resolver(None).resolve({"party_id": "P-1"}).key == "party:P-1"
    assert network.resolver(None).resolve({"name": "x"}) is None
    assert network.resolver(None).resolve({"client_id": "C-9"}).key == "client:C-9"


@pytest.mark.parametrize("name, party", [
    ("张三", "P-DIR"), ("张 三", "P-DIR"), ("ACME TRADING CO LTD", "P-ACME"), ("acme trading co., ltd", "P-ACME"),
    ("（某担保公司）", "P-GUAR"), ("张三丰", None), ("同名公司", None),  # ambiguous names match nobody
])
def test_exact_normalised_name_when_the_party_id_is_missing(net, name, party):
    resolved = net.resolve({"name": name})
    assert (resolved.party_id if resolved else None) == party
    if party:
        assert resolved.matched_by == "name"


def test_client_id_resolves_to_its_party(net):
    resolved = net.resolve({"client_id": "C-ACME"})
    assert resolved.party_id == "P-ACME" and resolved.matched_by == "client_id" and resolved.key == "group:GRP-A"


def test_relatives_and_the_firms_they_direct(net):
    firm = net.resolve({"party_id": "P-FIRM"}, "E-1")
    assert firm.relative == ("P-BRO", "close_relative", "E-1 —close_relative→ P-BRO —director_officer→ P-FIRM")
    assert firm.as_dump()["is_relative"] is False
    assert net.resolve({"party_id": "P-BRO"}, "E-1").as_dump()["is_relative"] is True
    assert net.resolve({"party_id": "P-FIRM"}, "E-2").relative is None
    assert net.resolve({"party_id": "P-LONE"}, "E-1").relative is None  # a friend is not a relative


def test_annotate_writes_the_network_and_payee_network():
    dump = {"id": "F-1", "kind": "fee", "employee_id": "E-1", "counterparty": {"party_id": "P-GUAR"},
            "payee": {"name": "睿思咨询"}}
    out = network.annotate(dump, network.Resolver(CONTEXT))
    assert "network" not in dump and out["network"]["client_id"] == "C-ACME"
    assert out["payee_network"]["relative_path"] == "E-1 —close_relative→ P-BRO —director_officer→ P-FIRM"
    assert network.client_facts(out) == [{"client_id": "C-ACME", "path": out["network"]["client_path"],
                                          "index": 0, "position": 1}]


def test_resolver_is_built_once_per_context():
    assert network.resolver(CONTEXT) is network.resolver(CONTEXT)
