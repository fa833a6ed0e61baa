"""Transition risk (METHODOLOGY.md §8): carbon cost under carbon-price scenarios as a share of value added.

Shipped scenarios (reference/finance/carbon-price-scenarios.toml): cea_recent 100, path_2030 200, stress 500
CNY/tCO2; threshold 5 % of value added (flagged when strictly above).

Worked examples (emissions and value from tests/province.py, see test_accounts_worked.py):
  A: 512.064 t, V = 1000 (10k CNY) = 10,000,000 CNY
     100 CNY/t: 512.064 × 100 = 51,206.4 CNY; 51,206.4 / 10,000,000 = 0.00512064 (0.512 %) -> not flagged
     500 CNY/t: 256,032 CNY -> 0.0256032 -> not flagged
  C: 731.52 t, V = 400 -> 4,000,000 CNY
     200 CNY/t: 146,304 / 4,000,000 = 0.036576 -> not flagged; 500 CNY/t: 365,760 / 4,000,000 = 0.09144 -> flagged
  share = intensity × price / 10⁴, so at 500 CNY/t a borrower is flagged when its intensity > 1 tCO2/10k CNY:
  C 1.8288 (0.09144), G 1.95072 (0.097536), H 1.6020288 (0.08010144); at 200 and 100 CNY/t nobody (> 2.5, > 5).
  E is on revenue (500): 73.152 × 100 / 5,000,000 = 0.00146304, reported with value_basis "revenue".
  Σ emissions of A–H = 4,073.83488 t -> cost at 100 CNY/t 407,383.488 CNY.
  Threshold 0.5 % (an operator's file): A at 100 CNY/t, 0.00512064 > 0.005 -> flagged; 500 t on V = 1000 at
  100 CNY/t: 50,000 / 10,000,000 = 0.005, equal -> not flagged.
  No value: 512.064 t at 100 CNY/t costs 51,206.4 CNY; share null, not flagged, reason no_value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BACKENDS, open_store
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from province import A, B, C, D, E, F, G, H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.calc import pcaf
from dianta.errors import ReferenceDataError
from dianta.finance.risk import portfolio_transition_risk, transition_risk, with_transition_risk
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reference.scenarios import load_scenarios
from dianta.reports.portfolio import bank_portfolio


def record(code: str, emissions_t: float | None, value_10k_cny: float | None, basis: str | None = "value_added"):
    return {"credit_code": code, "year": 2023, "emissions_t": emissions_t, "value_10k_cny": value_10k_cny,
            "value_basis": basis}


def scenario_file(tmp_path: Path, threshold: object = 0.005, scenarios: str | None = None) -> Path:
    path = tmp_path / "bank.toml"
    body = scenarios if scenarios is not None else (
        '[[scenarios]]\nid = "p100"\nname_zh = "一百"\nname_en = "hundred"\nprice_cny_per_t = 100\n'
        'source = "test"\n')
    head = 'id = "bank"\nversion = "1"\nsource = "test"\n'
    if threshold is not None:
        head += f"threshold_share = {threshold}\n"
    path.write_text(head + body, encoding="utf-8")
    return path


# -- the scenarios ------------------------------------------------------------------------------------------------
def test_shipped_scenarios_have_source_and_version():
    s = load_scenarios()
    assert (s.set_id, s.threshold_share) == ("default", 0.05) and s.version and len(s.fingerprint) == 16
    assert {x.scenario_id: x.price_cny_per_t for x in s.scenarios} == {"cea_recent": 100, "path_2030": 200,
                                                                        "stress": 500}
    cea = s.scenarios[0]
    assert "indicative" in cea.source.lower() and "上海环境能源交易所" in cea.source
    assert all(x.source and x.name_zh and x.name_en for x in s.scenarios)
    assert s.provenance()["scenarios"][2]["id"] == "stress"


@pytest.mark.parametrize(("threshold", "body", "message"), [
    (None, None, "threshold_share"),
    (0, None, "threshold_share"),
    ('"5%"', None, "must be a number"),
    (0.05, "", "at least one"),
    (0.05, '[[scenarios]]\nid = "x"\nname_zh = "x"\nname_en = "x"\nprice_cny_per_t = -1\nsource = "t"\n', "negative"),
    (0.05, '[[scenarios]]\nid = "x"\nname_zh = "x"\nname_en = "x"\nsource = "t"\n', "price_cny_per_t"),
    (0.05, '[[scenarios]]\nid = "x"\nname_zh = "x"\nprice_cny_per_t = 1\nsource = "t"\n', "name_en"),
    (0.05, 2 * '[[scenarios]]\nid = "x"\nname_zh = "x"\nname_en = "x"\nprice_cny_per_t = 1\nsource = "t"\n',
     "unique"),
])
def test_a_malformed_scenario_file_is_refused(tmp_path, threshold, body, message):
    with pytest.raises(ReferenceDataError, match=message):
        load_scenarios(scenario_file(tmp_path, threshold, body))


def test_unknown_scenario_set():
    with pytest.raises(ReferenceDataError, match="not found"):
        load_scenarios("nonsense")
    with pytest.raises(ReferenceDataError, match="not found"):
        load_scenarios("/nowhere/scenarios.toml")


# -- the pure function --------------------------------------------------------------------------------------------
def test_enterprise_a_at_each_price():
    (a,) = transition_risk([record(A, 512.064, 1000)])
    cost = a["carbon_cost"]
    assert list(cost) == ["cea_recent", "path_2030", "stress"]
    assert_allclose([cost["cea_recent"]["cost_cny"], cost["cea_recent"]["share"]], [51_206.4, 0.00512064])
    assert_allclose([cost["stress"]["cost_cny"], cost["stress"]["share"]], [256_032, 0.0256032])
    assert a["flagged"] == [] and a["reason"] is None and a["value_basis"] == "value_added"
    assert a["credit_code"] == A and a["threshold_share"] == 0.05


def test_threshold_crossing_under_stress_only():
    (c,) = transition_risk([record(C, 731.52, 400)], "default")
    assert_allclose([c["carbon_cost"][k]["share"] for k in ("cea_recent", "path_2030", "stress")],
                    [0.018288, 0.036576, 0.09144])
    assert c["flagged"] == ["stress"] and c["carbon_cost"]["stress"]["flagged"]


def test_operators_threshold_and_the_boundary(tmp_path):
    s = load_scenarios(scenario_file(tmp_path, 0.005))
    a, equal = transition_risk([record(A, 512.064, 1000), record(B, 500, 1000)], s)
    assert a["flagged"] == ["p100"]
    assert_allclose(equal["carbon_cost"]["p100"]["share"], 0.005)
    assert equal["flagged"] == []  # strictly above the threshold


def test_no_value_no_share_no_flag():
    none, zero, no_emissions = transition_risk([record(A, 512.064, None, None), record(A, 512.064, 0),
                                                record(A, None, 1000)])
    for r in (none, zero):
        assert r["reason"]["code"] == "no_value" and r["flagged"] == []
        assert_allclose(r["carbon_cost"]["cea_recent"]["cost_cny"], 51_206.4)
        assert all(v["share"] is None and not v["flagged"] for v in r["carbon_cost"].values())
    assert no_emissions["reason"]["code"] == "no_emissions"
    assert no_emissions["carbon_cost"]["stress"]["cost_cny"] is None


def test_revenue_basis_is_reported():
    (e,) = transition_risk([record(E, 73.152, 500, "revenue")])
    assert e["value_basis"] == "revenue"
    assert_allclose(e["carbon_cost"]["cea_recent"]["share"], 0.00146304)


def test_cost_functions_scalar_and_array():
    assert_allclose(pcaf.carbon_cost_cny(512.064, 100), 51_206.4)
    costs = pcaf.carbon_cost_cny([512.064, 731.52, 1.0, 1.0], 500)
    assert_allclose(costs, [256_032, 365_760, 500, 500])
    assert_allclose(pcaf.cost_share_of_value(costs, [1000, 400, float("nan"), -1]),
                    [0.0256032, 0.09144, float("nan"), float("nan")])


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, max_value=1e7), st.floats(min_value=1e-3, max_value=1e7),
       st.floats(min_value=0, max_value=1e4), st.floats(min_value=0, max_value=1e4))
def test_a_higher_price_never_lowers_the_share(emissions_t, value_10k_cny, p1, p2):
    low, high = sorted((p1, p2))
    s_low = pcaf.cost_share_of_value(pcaf.carbon_cost_cny(emissions_t, low), value_10k_cny)
    s_high = pcaf.cost_share_of_value(pcaf.carbon_cost_cny(emissions_t, high), value_10k_cny)
    assert s_low <= s_high
    assert s_low >= 0


# -- from the store ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=BACKENDS)
def province(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("risk")
    store = open_store(request.param, root, request)
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023")):
        assert ingest_batch(store, folder).status == "applied"
    compute_year(store, 2023)
    yield store
    store.close()


def test_portfolio_transition_risk(province):
    result = portfolio_transition_risk(province, codes=None, year=2023)
    rows = {r["credit_code"]: r for r in result["enterprises"]}
    assert set(rows) == {A, B, C, D, E, F, G, H}
    assert {code for code, r in rows.items() if r["flagged"]} == {C, G, H}
    assert_allclose([rows[c]["carbon_cost"]["stress"]["share"] for c in (C, G, H)], [0.09144, 0.097536, 0.08010144])
    assert_allclose(rows[A]["carbon_cost"]["cea_recent"]["cost_cny"], 51_206.4)
    assert rows[E]["value_basis"] == "revenue" and rows[A]["name"] == "测试企业0"
    summary = result["summary"]
    assert {k: v["flagged_borrowers"] for k, v in summary["by_scenario"].items()} == {
        "cea_recent": 0, "path_2030": 0, "stress": 3}
    assert_allclose(summary["by_scenario"]["cea_recent"]["cost_cny"], 407_383.488)
    assert summary["scenarios"]["id"] == "default" and summary["not_assessed"] == 0
    some = portfolio_transition_risk(province, codes={A, C}, year=2023)
    assert [r["credit_code"] for r in some["enterprises"]] == sorted([A, C])


def test_portfolio_view_gets_transition_risk_without_changing_the_portfolio(province):
    portfolio = bank_portfolio(province, year=2023, codes=None, bank_id=None)
    before = copy.deepcopy(portfolio)
    view = with_transition_risk(portfolio, "default")
    assert portfolio == before
    rows = {r["credit_code"]: r for r in view["enterprises"]}
    assert rows[C]["transition_risk"]["flagged"] == ["stress"] and rows[A]["transition_risk"]["flagged"] == []
    assert_allclose(rows[A]["transition_risk"]["carbon_cost"]["cea_recent"]["share"], 0.00512064)
    assert rows[A]["grade"] == before["enterprises"][0]["grade"]  # the portfolio's own fields stay
    assert view["transition_risk"]["by_scenario"]["stress"]["flagged_borrowers"] == 3
    assert view["totals"] == portfolio["totals"]
