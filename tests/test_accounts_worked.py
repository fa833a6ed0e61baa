"""End to end on the hand-computed province (tests/province.py): ingest both batches, compute 2023
(without computing 2022 first), and check every field against the working below.

Factors 2023 (METHODOLOGY.md §2): location = national average 0.5306, residual = national excl. market
non-fossil 0.6096 kgCO2/kWh.

A (C3216): grid 11×100,000 + 40,000 (June) = 1,140,000 kWh; trades 120,000 + 80,000 = 200,000; certificates
  100 MWh unbundled = 100,000 (the 50 MWh bundled one never counts) -> contract 300,000.
  C_loc = 1,140,000 × 0.5306 / 1000 = 604.884 t; C_mkt = 840,000 × 0.6096 / 1000 = 512.064 t
  intensity = 512.064 / 1000 = 0.512064; 2022 with 2023 factors: 1,200,000 × 0.6096 / 1000 / 1000 = 0.73152
  reduction = (0.73152 − 0.512064) × 1000 = 219.456 t; r = 0.7 − 1 = −30 % -> 100
  green share = 300,000 / 1,140,000 = 0.26316 -> 60; green reduction = 300,000 × 0.5306 / 1000 = 159.18 t
  June 40,000 < 0.5 × 100,000 -> sharp_drop 2023-06
  GREEN-POWER.md §9: instruments GT-A (200,000 kWh) and the unbundled certificate (100,000 kWh, May), both counted
  under the national boundary; the bundled ones are not listed
B 600,000 kWh -> 365.76 t / 600 = 0.6096; C 1,200,000 -> 731.52 / 400 = 1.8288; D 300,000 -> 182.88 / 1000 =
  0.18288; E 120,000 -> 73.152 / revenue 500 = 0.146304 (revenue basis); F 2,400,000 -> 1463.04 / 2000 = 0.73152
Benchmark: C32 has 4 value-added accounts (A, B, C, D; E is revenue-based) < 5 -> section C: A, B, C, D, F:
  3255.264 / 5000 = 0.6510528 (size 5)
K: A 0.7865 -> 80; B 0.9363 -> 60; C 2.809 -> 20; D 0.2809 -> 100; E 0.2247 -> 100; F 1.1236 -> 60
Scores: A 0.5·80 + 0.25·100 + 0.25·60 = 80 -> 2; B (30 + 5)/0.75 = 46.667 -> 4; C (10 + 5)/0.75 = 20 -> 5;
  D and E (50 + 5)/0.75 = 73.333 -> 2; F 46.667 -> 4
G (I6450): grid 960,000, on-site 120,000 -> total 1,080,000, green share 0.1111 -> 40; C_mkt = 585.216 t;
  intensity 585.216 / 300 = 1.95072, alone in section I -> not rated; score 40 -> 4
H (D4430): 10 kWh every 15 minutes: 960 kWh a day, 350,400 kWh a year; K1 settled 240 kWh a day = 87,600 ->
  C_mkt = 262,800 × 0.6096 / 1000 = 160.20288 t; share 0.25 -> 60; score 60 -> 3
  hourly: load 40 kWh every hour, K1 60 kWh in hours 10–13 -> 160 matched of 960 a day: cfe = 1/6
  load factor 1, operating rate 1, time of use valley 8/24, peak 5/24, flat 11/24, peak 40 kW
  §9b: U = 40 × 20 = 800 kWh a day unmatched, 292,000 a year, no certificate -> 292,000 × 0.6096 / 1000
  = 178.0032 t hourly (≥ the annual 160.20288); matched 160 × 365 = 58,400
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BACKENDS, open_store
from numpy.testing import assert_allclose
from province import A, B, C, D, E, F, G, H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, read_accounts
from dianta.ingest.apply import ingest_batch


@pytest.fixture(scope="module", params=BACKENDS)
def accounts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    root = tmp_path_factory.mktemp("province")
    store = open_store(request.param, root, request)
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023")):
        result = ingest_batch(store, folder)
        assert result.status == "applied", result.findings
    run = compute_year(store, 2023)
    published = read_accounts(store, 2023)
    assert [r["credit_code"] for r in published] == sorted(r["credit_code"] for r in run.records)
    yield {r["credit_code"]: r for r in published}
    store.close()


def test_every_enterprise_with_data_has_an_account(accounts):
    assert set(accounts) == {A, B, C, D, E, F, G, H}


def test_enterprise_a_energy_emissions_indicators(accounts):
    a = accounts[A]
    assert_allclose([a["kwh_grid"], a["kwh_onsite"], a["kwh_total"], a["kwh_contract"], a["kwh_contract_excess"]],
                    [1_140_000, 0, 1_140_000, 300_000, 0])
    assert_allclose([a["emissions_location_t"], a["emissions_market_t"], a["emissions_t"]], [604.884, 512.064, 512.064])
    assert_allclose([a["intensity"], a["reduction_t"]], [0.512064, 219.456])
    assert_allclose([a["kwh_green"], a["green_share"], a["green_reduction_t"]], [300_000, 300_000 / 1_140_000, 159.18])
    assert a["alerts"] == [{"code": "sharp_drop", "month": "2023-06"}]
    assert a["flags"] == []
    announcement_2023 = "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202512/t20251231_1139517.html"
    assert a["factors"]["location"] == {"year": 2023, "area": "national", "kind": "average", "value_kg_per_kwh": 0.5306,
                                        "source": announcement_2023, "announcement_no": "公告2025年第47号"}
    assert a["factors"]["residual"] == {"year": 2023, "area": "national", "kind": "excl_market_nonfossil",
                                        "value_kg_per_kwh": 0.6096, "source": announcement_2023,
                                        "announcement_no": "公告2025年第47号"}
    assert a["unbacked_trades"] == []  # GT-A's 120 and 80 MWh bundled certificates of March and September
    assert [(i["source_kind"], i["source_id"], i["last_id"], i["n"], i["month"], i["kwh"], i["in_boundary"])
            for i in a["instruments"]] == [("trade", "GT-A", None, 1, None, 200_000, True),
                                           ("certificate", "GEC000000000001", "GEC000000000001", 1, "2023-05",
                                            100_000, True)]
    assert a["kwh_outside_boundary"] == 0 and a["market_boundary"] == "national" and a["market_method"] == "annual"
    assert a["emissions_market_hourly_t"] is None and a["kwh_matched_hourly"] is None  # monthly data only
    assert a["cfe_score"] is None  # monthly data only


def test_benchmark_falls_back_to_section(accounts):
    for code in (A, B, C, D, E, F):
        assert accounts[code]["benchmark"]["group"] == "C"
        assert accounts[code]["benchmark"]["size"] == 5
        assert_allclose(accounts[code]["benchmark"]["value"], 0.6510528)
    assert accounts[G]["benchmark"] is None and accounts[G]["k"] is None
    assert accounts[H]["benchmark"] is None


def test_scores_grades_labels(accounts):
    expected = {A: (80, 100, 60, 80, 2), B: (60, None, 20, 140 / 3, 4), C: (20, None, 20, 20, 5),
                D: (100, None, 20, 220 / 3, 2), E: (100, None, 20, 220 / 3, 2), F: (60, None, 20, 140 / 3, 4),
                G: (None, None, 40, 40, 4), H: (None, None, 60, 60, 3)}
    for code, (si, sr, sg, score, grade) in expected.items():
        acc = accounts[code]
        assert acc["aspect_scores"] == {"intensity": si, "reduction": sr, "green": sg}, code
        assert_allclose(acc["score"], score)
        assert acc["grade"] == grade
        label = dict(acc["label"])
        assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", label.pop("verification_code"))
        # §7b: the label states the flags that qualify the grade (E's intensity is on revenue)
        assert label == {"grade": grade, "colour": ["dark_green", "light_green", "yellow", "orange",
                                                    "red"][grade - 1], "year": 2023, "profile_id": "default",
                         "flags": ["intensity_basis_revenue"] if code == E else []}
    assert_allclose(accounts[A]["k"], 0.512064 / 0.6510528)


def test_revenue_basis_is_flagged(accounts):
    assert accounts[E]["flags"] == ["intensity_basis_revenue"]
    assert_allclose(accounts[E]["intensity"], 0.146304)


def test_onsite_generation(accounts):
    g = accounts[G]
    assert_allclose([g["kwh_grid"], g["kwh_onsite"], g["kwh_total"], g["kwh_green"], g["green_share"]],
                    [960_000, 120_000, 1_080_000, 120_000, 1 / 9])
    assert_allclose([g["emissions_market_t"], g["intensity"], g["green_reduction_t"]], [585.216, 1.95072, 63.672])


def test_interval_data_matching_and_load_statistics(accounts):
    h = accounts[H]
    assert_allclose([h["kwh_grid"], h["kwh_contract"], h["emissions_market_t"], h["emissions_location_t"]],
                    [350_400, 87_600, 160.20288, 185.92224])
    assert_allclose(h["cfe_score"], 1 / 6)
    assert_allclose([h["emissions_market_hourly_t"], h["kwh_matched_hourly"], h["kwh_cert_monthly_matched"]],
                    [178.0032, 58_400, 0])
    assert h["emissions_t"] == h["emissions_market_t"]  # the default profile's annual method
    assert h["unbacked_trades"] == []  # K1's bundled certificates, rounded up to whole MWh, cover every month
    el = h["electricity"]
    assert_allclose([el["load_factor"], el["operating_rate"], el["peak_kw"]], [1.0, 1.0, 40.0])
    assert el["time_of_use_source"] == "interval"
    assert_allclose([el["time_of_use"][p] for p in ("valley", "peak", "flat")], [8 / 24, 5 / 24, 11 / 24])
    assert_allclose(el["monthly_kwh"][:2], [960 * 31, 960 * 28])
    # the heat map: K1's 60 kWh cover the 40 kWh load in hours 10–13 of every month, nothing in other hours
    assert h["hourly_matching"] == [[1.0 if 10 <= hour <= 13 else 0.0 for hour in range(24)] for _ in range(12)]
    assert accounts[A]["hourly_matching"] is None  # monthly data only


def test_every_interface_field_is_present(accounts):
    fields = {"credit_code", "year", "kwh_grid", "kwh_onsite", "kwh_total", "kwh_contract", "kwh_contract_excess",
              "emissions_location_t", "emissions_market_t", "emissions_t", "intensity", "reduction_t", "kwh_green",
              "green_share", "green_reduction_t", "cfe_score", "benchmark", "k", "aspect_scores", "score", "grade",
              "label", "alerts", "profile_id", "factors", "flags"}
    for acc in accounts.values():
        assert fields <= set(acc)


def test_next_year_uses_latest_factors_with_fallback_flag(tmp_path: Path):
    from conftest import write_table

    from dianta.ledger.store import Store

    store = Store(tmp_path / "s")
    write_batch_2022(tmp_path / "b1")
    ingest_batch(store, tmp_path / "b1")
    write_table(tmp_path / "b2", "consumption_monthly", ["meter_id", "month", "kwh"], [(f"M{A[-3:]}", "2024-01", 1000)])
    ingest_batch(store, tmp_path / "b2")
    (acc,) = compute_year(store, 2024).records
    # no 2024 factor: the 2023 values are used and flagged; January only -> partial year
    assert acc["factors"]["location"]["year"] == 2023
    assert acc["flags"] == ["factor_year_fallback", "partial_year"]
    assert_allclose(acc["emissions_market_t"], 1000 * 0.6096 / 1000)
