"""Financed emissions of business loans (PCAF, METHODOLOGY.md §8) on the hand-computed province (tests/province.py).

Batches 1–2 are the province; accounts of 2023 are computed. Batch 3 then adds enterprise I (E4710, Golmud
632801, economics but no meter data, so no account), re-sends the 2023 economics rows of A, C, D and G with the
same value added and a new total_equity_plus_debt_cny (corrections: the accounts are marked and 2023 is computed
again) and the loans; batches 4 and 5 report L-A1 again (the loan's history keeps the earlier reports):

| loan | bank | borrower | outstanding reports (as_of: CNY)                        | drawn – matures         |
|------|------|----------|---------------------------------------------------------|-------------------------|
| L-A1 | BK1  | A        | 06-30: 30,000,000; 12-31: 24,000,000; 2024-03-31: 18,000,000 | 2023-01-15 – 2026-01-15 |
| L-B1 | BK1  | B        | 12-31: 5,000,000                                        | 2023-05-01 – 2025-05-01 |
| L-C1 | BK1  | C        | 12-31: 12,000,000                                       | 2023-02-01 – 2025-02-01 |
| L-D1 | BK1  | D        | 09-30: 10,000,000 (product "=1+1")                      | 2023-03-01 – 2025-03-01 |
| L-E1 | BK1  | E        | 06-30: 4,000,000                                        | 2022-06-30 – 2023-06-30 |
| L-I1 | BK1  | I        | 12-31: 6,000,000                                        | 2023-07-01 – 2026-07-01 |
| L-G1 | BK2  | G        | 12-31: 8,000,000                                        | 2023-04-01 – 2026-04-01 |

Total equity + debt 2023 (CNY): A 200,000,000; C 10,000,000; D 50,000,000; G 40,000,000; I 30,000,000; B none.
Emissions and intensity 2023 (test_accounts_worked.py): A 512.064 t, 0.512064; B 365.76; C 731.52 t, 1.8288;
D 182.88 t, 0.18288; G 585.216 t, 1.95072 (tCO2 per 10k CNY).

Outstanding on 2023-12-31: L-A1 24,000,000 (the 31 Dec report, not the newest 18,000,000 of 2024-03-31);
L-D1 10,000,000 (the 30 Sep report stands); L-E1 matured on 2023-06-30 -> 0 -> left out.

BK1:
  L-A1 AF = 24e6 / 200e6 = 0.12;  FE = 0.12 × 512.064 = 61.44768 t
  L-B1 no total equity + debt -> not covered (no AF, no FE)
  L-C1 AF = 12e6 / 10e6 = 1.2 -> capped at 1; FE = 731.52 t
  L-D1 AF = 10e6 / 50e6 = 0.2;    FE = 0.2 × 182.88 = 36.576 t
  L-I1 AF = 6e6 / 30e6 = 0.2, but no account -> not covered
  total outstanding 24 + 5 + 12 + 10 + 6 = 57,000,000; covered 24 + 12 + 10 = 46,000,000
  coverage = 46 / 57 = 0.80701754; financed emissions = 61.44768 + 731.52 + 36.576 = 829.54368 t
  economic intensity = 829.54368 / 46 = 18.03355826 tCO2 per million CNY
  WACI = (24 × 0.512064 + 12 × 1.8288 + 10 × 0.18288) / 46 = (12.289536 + 21.9456 + 1.8288) / 46
       = 36.063936 / 46 = 0.78399861 tCO2 per 10k CNY; data quality 2
  by section: C (A, B, C, D) 51,000,000, covered 46,000,000, coverage 0.90196078, FE 829.54368;
              E (I) 6,000,000, coverage 0, FE 0, intensities null. By prefecture: 630100 as C, 632800 as E.
BK2: L-G1 AF = 8e6 / 40e6 = 0.2; FE = 0.2 × 585.216 = 117.0432 t; coverage 1; economic intensity
  117.0432 / 8 = 14.6304; WACI 1.95072.
All banks: outstanding 65,000,000, covered 54,000,000, coverage 54 / 65 = 0.83076923; FE 946.58688 t;
  economic intensity 946.58688 / 54 = 17.52938667; WACI (36.063936 + 8 × 1.95072) / 54 = 51.669696 / 54 = 0.95684622.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from conftest import BACKENDS, credit_code, open_store, write_table
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from province import A, B, C, D, E, G, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, stale_accounts
from dianta.calc import pcaf
from dianta.finance.pcaf import financed_emissions, pcaf_json, pcaf_xlsx
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store

I = credit_code(9)  # noqa: E741 - the province's enterprises are letters
LOANS = ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny", "as_of", "drawn_on", "maturity_on",
         "base_rate_pct", "product"]
L_A1 = ("L-A1", "BK1", A, 30_000_000)


def _loan_a1(outstanding: int, as_of: str) -> tuple[object, ...]:
    return (*L_A1, outstanding, as_of, "2023-01-15", "2026-01-15", 3.45, "green")


def write_finance_batches(root: Path) -> list[Path]:
    b3 = root / "3"
    write_table(b3, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(I, "测试企业I", "E4710", "632801", "2022-01-01")])
    write_table(b3, "economics", ["credit_code", "year", "value_added_10k_cny", "total_equity_plus_debt_cny"],
                [(A, 2023, 1000, 200_000_000), (C, 2023, 400, 10_000_000), (D, 2023, 1000, 50_000_000),
                 (G, 2023, 300, 40_000_000), (I, 2023, 200, 30_000_000)])
    write_table(b3, "loans", LOANS, [
        _loan_a1(30_000_000, "2023-06-30"),
        ("L-B1", "BK1", B, 5_000_000, 5_000_000, "2023-12-31", "2023-05-01", "2025-05-01", 3.45, None),
        ("L-C1", "BK1", C, 12_000_000, 12_000_000, "2023-12-31", "2023-02-01", "2025-02-01", 3.45, None),
        ("L-D1", "BK1", D, 10_000_000, 10_000_000, "2023-09-30", "2023-03-01", "2025-03-01", 3.45, "=1+1"),
        ("L-E1", "BK1", E, 4_000_000, 4_000_000, "2023-06-30", "2022-06-30", "2023-06-30", 3.45, None),
        ("L-I1", "BK1", I, 6_000_000, 6_000_000, "2023-12-31", "2023-07-01", "2026-07-01", 3.45, None),
        ("L-G1", "BK2", G, 8_000_000, 8_000_000, "2023-12-31", "2023-04-01", "2026-04-01", 3.85, None)])
    write_table(root / "4", "loans", LOANS, [_loan_a1(24_000_000, "2023-12-31")])
    write_table(root / "5", "loans", LOANS, [_loan_a1(18_000_000, "2024-03-31")])
    return [b3, root / "4", root / "5"]


def build_province_with_loans(store: Store, root: Path) -> None:
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023")):
        assert ingest_batch(store, folder).status == "applied"
    compute_year(store, 2023)
    b3, b4, b5 = write_finance_batches(root)
    result = ingest_batch(store, b3, reason="total equity + debt for PCAF")
    assert result.status == "applied", result.findings
    assert result.counts["economics"].corrected == 4 and result.counts["economics"].new == 1
    assert {(A, 2023), (C, 2023), (D, 2023), (G, 2023)} <= set(stale_accounts(store))
    compute_year(store, 2023)
    assert not [m for m in stale_accounts(store) if m[1] == 2023]
    for folder in (b4, b5):
        assert ingest_batch(store, folder).counts["loans"].corrected == 1


@pytest.fixture(scope="module", params=BACKENDS)
def bank_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("pcaf")
    store = open_store(request.param, root, request)
    build_province_with_loans(store, root)
    yield store
    store.close()


@pytest.fixture(scope="module")
def bk1(bank_store: Store) -> dict:
    return financed_emissions(bank_store, bank_id="BK1", year=2023)


def _by_loan(result: dict) -> dict[str, dict]:
    return {r["loan_id"]: r for r in result["loans"]}


# -- the worked example ------------------------------------------------------------------------------------------
def test_loans_of_the_bank_outstanding_on_31_december(bk1):
    loans = _by_loan(bk1)
    assert sorted(loans) == ["L-A1", "L-B1", "L-C1", "L-D1", "L-I1"]  # not BK2's L-G1, not the matured L-E1
    assert [x["loan_id"] for x in bk1["left_out"]] == ["L-E1"]
    assert bk1["left_out"][0]["reason"]["code"] == "not_outstanding"
    assert bk1["as_of"] == "2023-12-31"
    assert_allclose([loans[k]["outstanding_cny"] for k in ("L-A1", "L-B1", "L-C1", "L-D1", "L-I1")],
                    [24e6, 5e6, 12e6, 10e6, 6e6])  # L-A1: the 31 Dec report, not 30e6 before nor 18e6 after


def test_attribution_and_financed_emissions_per_loan(bk1):
    loans = _by_loan(bk1)
    a, c, d = loans["L-A1"], loans["L-C1"], loans["L-D1"]
    assert_allclose([a["attribution_factor"], c["attribution_factor"], d["attribution_factor"]], [0.12, 1.0, 0.2])
    assert_allclose([a["financed_emissions_t"], c["financed_emissions_t"], d["financed_emissions_t"]],
                    [61.44768, 731.52, 36.576])
    assert_allclose([a["emissions_t"], a["intensity"], a["total_equity_plus_debt_cny"]], [512.064, 0.512064, 2e8])
    assert a["value_basis"] == "value_added" and a["name"] == "测试企业0" and a["product"] == "green"
    for r in (a, c, d):
        assert r["covered"] and r["not_covered"] == [] and r["data_quality_score"] == 2


def test_loans_not_covered_say_why(bk1):
    loans = _by_loan(bk1)
    b, i = loans["L-B1"], loans["L-I1"]
    assert [x["code"] for x in b["not_covered"]] == ["no_equity_plus_debt"]
    assert b["attribution_factor"] is None and b["financed_emissions_t"] is None and b["data_quality_score"] is None
    assert_allclose(b["emissions_t"], 365.76)  # the account exists; the balance sheet is missing
    assert [x["code"] for x in i["not_covered"]] == ["no_account"]
    assert_allclose(i["attribution_factor"], 0.2)
    assert i["emissions_t"] is None and i["financed_emissions_t"] is None and not i["covered"]
    assert "2023" in i["not_covered"][0]["message_en"] and "电碳账户" in i["not_covered"][0]["message_zh"]


def test_bank_totals(bk1):
    t = bk1["totals"]
    assert (t["loans"], t["loans_covered"], t["borrowers"], t["borrowers_covered"]) == (5, 3, 5, 3)
    assert_allclose([t["outstanding_cny"], t["covered_outstanding_cny"], t["coverage"], t["financed_emissions_t"],
                     t["economic_intensity_t_per_million_cny"], t["waci_t_per_10k_cny"], t["data_quality_score"]],
                    [57e6, 46e6, 46 / 57, 829.54368, 829.54368 / 46, 36.063936 / 46, 2.0])
    assert [b["bank_id"] for b in bk1["banks"]] == ["BK1"] and bk1["banks"][0]["totals"] == t


def test_by_industry_section_and_prefecture(bk1):
    ind = {g["group"]: g for g in bk1["by_industry"]}
    reg = {g["group"]: g for g in bk1["by_region"]}
    assert set(ind) == {"C", "E"} and set(reg) == {"630100", "632800"}
    assert ind["C"]["name"] == "制造业" and reg["632800"]["name"] == "海西蒙古族藏族自治州"
    for g in (ind["C"], reg["630100"]):
        assert_allclose([g["outstanding_cny"], g["covered_outstanding_cny"], g["coverage"], g["financed_emissions_t"],
                         g["waci_t_per_10k_cny"]], [51e6, 46e6, 46 / 51, 829.54368, 36.063936 / 46])
    for g in (ind["E"], reg["632800"]):
        assert (g["outstanding_cny"], g["coverage"], g["financed_emissions_t"]) == (6e6, 0.0, 0.0)
        assert g["economic_intensity_t_per_million_cny"] is None and g["waci_t_per_10k_cny"] is None
        assert g["data_quality_score"] is None


def test_method_and_data_quality_are_explained(bk1):
    assert "31 December" in bk1["method"]["en"] and "100 %" in bk1["method"]["en"]
    assert "value added" in bk1["method"]["en"] and "12月31日" in bk1["method"]["zh"]
    dq = bk1["data_quality"]
    assert dq["score"] == 2 and "metered electricity" in dq["en"] and "Scope 1" in dq["en"] and "范围二" in dq["zh"]


def test_other_bank_and_every_bank(bank_store):
    bk2 = financed_emissions(bank_store, bank_id="BK2", year=2023)
    assert [r["loan_id"] for r in bk2["loans"]] == ["L-G1"] and bk2["left_out"] == []
    t = bk2["totals"]
    assert_allclose([t["financed_emissions_t"], t["coverage"], t["economic_intensity_t_per_million_cny"],
                     t["waci_t_per_10k_cny"]], [117.0432, 1.0, 14.6304, 1.95072])
    every = financed_emissions(bank_store, bank_id=None, year=2023)
    assert [b["bank_id"] for b in every["banks"]] == ["BK1", "BK2"]
    assert_allclose(every["banks"][0]["totals"]["financed_emissions_t"], 829.54368)
    t = every["totals"]
    assert_allclose([t["outstanding_cny"], t["covered_outstanding_cny"], t["coverage"], t["financed_emissions_t"],
                     t["economic_intensity_t_per_million_cny"], t["waci_t_per_10k_cny"]],
                    [65e6, 54e6, 54 / 65, 946.58688, 946.58688 / 54, 51.669696 / 54])


def test_bank_without_loans(bank_store):
    none = financed_emissions(bank_store, bank_id="BK9", year=2023)
    assert none["loans"] == [] and none["totals"]["outstanding_cny"] == 0.0 and none["totals"]["coverage"] is None
    assert [b["bank_id"] for b in none["banks"]] == ["BK9"]


def test_another_year_uses_that_years_outstanding(bank_store):
    # 31 Dec 2022: only L-E1 was drawn (4,000,000); there is no 2022 total equity + debt and E has no 2022 account
    r = financed_emissions(bank_store, bank_id="BK1", year=2022)
    (row,) = r["loans"]
    assert row["loan_id"] == "L-E1" and row["outstanding_cny"] == 4e6
    assert [x["code"] for x in row["not_covered"]] == ["no_account", "no_equity_plus_debt"]
    assert r["totals"]["coverage"] == 0.0


# -- export ------------------------------------------------------------------------------------------------------
def test_xlsx_has_headers_with_units_and_the_values(bk1):
    book = openpyxl.load_workbook(io.BytesIO(pcaf_xlsx(bk1, "en")))
    assert book.sheetnames == ["loans", "totals", "method"]
    loans = list(book["loans"].iter_rows(values_only=True))
    head = loans[0]
    assert "Outstanding on 31 Dec (CNY)" in head and "Financed emissions (tCO2)" in head
    assert "Attribution factor (0–1)" in head and "PCAF data quality score (1–5)" in head
    rows = {r[head.index("Loan")]: dict(zip(head, r, strict=True)) for r in loans[1:]}
    assert_allclose(rows["L-A1"]["Financed emissions (tCO2)"], 61.44768)
    assert rows["L-A1"]["Covered"] == "yes" and rows["L-B1"]["Covered"] == "no"
    assert "total_equity_plus_debt_cny" in rows["L-B1"]["Not covered because"]
    assert rows["L-D1"]["Loan product"] == "'=1+1"  # formula injection neutralised
    totals = list(book["totals"].iter_rows(values_only=True))
    th = totals[0]
    assert "Economic intensity (tCO2/million CNY)" in th and "WACI (tCO2/10k CNY)" in th
    first = dict(zip(th, totals[1], strict=True))
    assert first["Bank"] == "BK1" and first["Grouping"] == "All"
    assert_allclose([first["Financed emissions (tCO2)"], first["Coverage (0–1)"]], [829.54368, 46 / 57])
    assert {r[th.index("Group")] for r in totals[1:]} == {None, "C", "E", "630100", "632800"}
    method = {r[0]: r[1] for r in book["method"].iter_rows(values_only=True)}
    assert "PCAF" in method["Method"] and "score 2" in method["Data quality"]
    zh = openpyxl.load_workbook(io.BytesIO(pcaf_xlsx(bk1, "zh")))
    assert "融资排放 (tCO2)" in next(zh["loans"].iter_rows(values_only=True))


def test_xlsx_of_every_bank_adds_the_all_banks_rows(bank_store):
    every = financed_emissions(bank_store, bank_id=None, year=2023)
    book = openpyxl.load_workbook(io.BytesIO(pcaf_xlsx(every, "zh")))
    banks = [r[0] for r in book["totals"].iter_rows(min_row=2, values_only=True)]
    assert {"BK1", "BK2", "全部银行"} == set(banks)


def test_json_round_trips(bk1):
    text = pcaf_json(bk1)
    assert json.loads(text) == bk1
    assert "NaN" not in text.decode()
    assert "测试企业0" in text.decode()  # UTF-8, not escaped


# -- the formulas: scalars and arrays, and invariants -------------------------------------------------------------
def test_attribution_factor_scalar_and_array():
    assert_allclose(pcaf.attribution_factor(24e6, 200e6), 0.12)
    assert_allclose(pcaf.attribution_factor([24e6, 12e6, 5e6, 5e6, 5e6], [200e6, 10e6, np.nan, 0, -1]),
                    [0.12, 1.0, np.nan, np.nan, np.nan])


def test_two_loans_to_one_borrower_share_the_cap():
    # 6 + 6 = 12 > EVIC 10: each 6 / 12 = 0.5, together 100 %; 3 + 3 = 6 ≤ 10: each 0.3
    assert_allclose(pcaf.attribution_factor([6, 6, 3, 3], [10, 10, 10, 10], [12, 12, 6, 6]), [0.5, 0.5, 0.3, 0.3])


def test_portfolio_metrics_by_hand():
    o, fe, i = [24e6, 12e6, 10e6], [61.44768, 731.52, 36.576], [0.512064, 1.8288, 0.18288]
    assert_allclose(pcaf.economic_intensity_t_per_million_cny(fe, o), 829.54368 / 46)
    assert_allclose(pcaf.waci(o, i), 36.063936 / 46)
    assert_allclose(pcaf.waci([24e6, 1e6], [0.5, np.nan]), 0.5)  # no intensity: left out, weights renormalised
    assert math.isnan(pcaf.economic_intensity_t_per_million_cny([], []))
    assert math.isnan(pcaf.waci([], []))
    assert_allclose(pcaf.coverage([46e6, 0, 5], [57e6, 0, 5]), [46 / 57, np.nan, 1.0])


money = st.floats(min_value=1.0, max_value=1e9)
big = st.floats(min_value=1e10, max_value=1e12)
tonnes = st.floats(min_value=0.0, max_value=1e6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(money, st.floats(min_value=-1e9, max_value=1e12), tonnes), min_size=1, max_size=20))
def test_financed_emissions_never_exceed_the_borrowers(loans):
    o, evic, c = (np.array(x) for x in zip(*loans, strict=True))
    af = pcaf.attribution_factor(o, evic)
    known = ~np.isnan(af)
    assert np.all((af[known] >= 0) & (af[known] <= 1))
    assert np.all(pcaf.financed_emissions_t(af, c)[known] <= c[known] * (1 + 1e-12))
    assert np.all(np.isnan(af[evic <= 0]))


@settings(max_examples=200, deadline=None)
@given(st.lists(money, min_size=1, max_size=10), money)
def test_one_lenders_loans_to_a_borrower_never_attribute_more_than_all(amounts, evic):
    o = np.array(amounts)
    af = pcaf.attribution_factor(o, evic, np.full_like(o, o.sum()))
    assert af.sum() <= 1 + 1e-9
    assert_allclose(af.sum(), min(o.sum() / evic, 1.0))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(money, big, tonnes, st.floats(min_value=0.0, max_value=10.0)), min_size=1, max_size=20),
       st.floats(min_value=0.1, max_value=10.0))
def test_scaling_outstanding_scales_financed_emissions_only(loans, k):
    o, evic, c, intensity = (np.array(x) for x in zip(*loans, strict=True))  # O·k ≤ EVIC: the cap never binds
    fe = pcaf.financed_emissions_t(pcaf.attribution_factor(o, evic), c)
    fe_k = pcaf.financed_emissions_t(pcaf.attribution_factor(o * k, evic), c)
    assert_allclose(fe_k.sum(), k * fe.sum(), rtol=1e-9, atol=1e-12)
    assert_allclose(pcaf.economic_intensity_t_per_million_cny(fe_k, o * k),
                    pcaf.economic_intensity_t_per_million_cny(fe, o), rtol=1e-9, atol=1e-12)
    assert_allclose(pcaf.waci(o * k, intensity), pcaf.waci(o, intensity), rtol=1e-9, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(money, st.booleans()), min_size=1, max_size=20))
def test_coverage_is_a_fraction(loans):
    total = sum(o for o, _ in loans)
    covered = sum(o for o, c in loans if c)
    assert 0.0 <= float(pcaf.coverage(covered, total)) <= 1.0 + 1e-12
