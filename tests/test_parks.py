"""GREEN-POWER.md §10: park accounts, through the real ledger (SQLite) and engine (DuckDB; Spark where it runs).

Worked example (§10), 2023, one March day, members A and B of park PK (EF_residual 0.6096, national):
  A: grid 1,000 kWh at 12:00, 0 at 20:00; contract GA settled 2,000 kWh in March, profile 1,000 at 12:00 and
     1,000 at 20:00. B: grid 0 at 12:00, 1,000 at 20:00, no green.
  A's account: E_contract = min(2,000, 1,000) = 1,000 (excess 1,000), green_share = 1,000 / 1,000 = 1.0;
     L = (1,000, 0), G = (1,000, 1,000) -> matched 1,000 / 1,000 = cfe 1.0.
  B's account: no green: green_share 0, L = (0, 1,000), G = 0 -> cfe 0.
  Park: Σ E_grid = 2,000, E_contract = min(2,000 + 0, 2,000) = 2,000 (excess 0), E_green = 2,000, green_share 1.0;
     pooled L = (1,000, 1,000), G = (1,000, 1,000) -> matched 2,000, cfe 1.0; every hour with load fully green;
     shortfall max(1 × 2,000 − 2,000, 0) = 0 MWh; C_loc = Σ C_loc (members'), C_mkt = (2,000 − 2,000) × 0.6096 = 0.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import credit_code, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dianta.accounts.compute import compute_year
from dianta.accounts.parks import read_park_accounts
from dianta.calc import parks as calc
from dianta.errors import InputRefused
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store

A, B, C = credit_code(81), credit_code(82), credit_code(83)
ENTERPRISES = ["credit_code", "name", "industry_code", "region_code"]
MEMBERS = ["park_id", "credit_code", "valid_from", "valid_to"]
TRADE = ["contract_id", "credit_code", "month", "kwh", "technology"]


def _quarters(meter: str, hour: dt.datetime, kwh: float) -> list[tuple[str, str, float]]:
    return [(meter, (hour + dt.timedelta(minutes=15 * q)).isoformat(), kwh / 4) for q in range(4)]


def worked_batch(folder: Path, *, members: list[tuple] | None = None, parks: list[tuple] | None = None) -> Path:
    """The §10 worked example (module docstring)."""
    noon, evening = dt.datetime(2023, 3, 15, 12), dt.datetime(2023, 3, 15, 20)
    write_table(folder, "enterprises", ENTERPRISES,
                [(A, "园区甲", "C3216", "630100"), (B, "园区乙", "C3216", "630100")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("MA", A), ("MB", B)])
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                _quarters("MA", noon, 1000) + _quarters("MA", evening, 0)
                + _quarters("MB", noon, 0) + _quarters("MB", evening, 1000))
    write_table(folder, "green_trades", TRADE, [("GA", A, "2023-03", 2000, "solar")])
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("GA", "2023-03-15T12:00:00", 1000), ("GA", "2023-03-15T20:00:00", 1000)])
    write_table(folder, "parks", ["park_id", "name", "region_code", "target_year"],
                parks or [("PK", "零碳产业园", "630100", "2025")])
    write_table(folder, "park_members", MEMBERS, members or [("PK", A, "", ""), ("PK", B, "", "")])
    return folder


def test_worked_example(tmp_path: Path):
    store = Store(tmp_path / "store")
    try:
        assert ingest_batch(store, worked_batch(tmp_path / "batch")).status == "applied"
        result = compute_year(store, 2023)
        acc = {r["credit_code"]: r for r in result.records}
        assert_allclose([acc[A]["green_share"], acc[A]["cfe_score"], acc[A]["kwh_contract_excess"]], [1.0, 1.0, 1000])
        assert_allclose([acc[B]["green_share"], acc[B]["cfe_score"]], [0.0, 0.0])
        [park] = read_park_accounts(store, 2023)
        assert park == result.parks[0] | {"run_id": result.run_id, "inputs_fingerprint": park["inputs_fingerprint"]}
    finally:
        store.close()
    assert park["park_id"] == "PK" and park["members"] == 2 and park["supplier_credit_code"] is None
    assert_allclose([park["kwh_grid"], park["kwh_total"], park["kwh_contract"], park["kwh_contract_excess"],
                     park["kwh_green"]], [2000, 2000, 2000, 0, 2000])
    assert_allclose([park["green_share"], park["cfe_score"], park["shortfall_mwh"], park["hours_fully_green_share"],
                     park["uncovered_load_share"], park["kwh_matched_hourly"]], [1.0, 1.0, 0.0, 1.0, 0.0, 2000])
    assert_allclose(park["emissions_location_t"], acc[A]["emissions_location_t"] + acc[B]["emissions_location_t"])
    assert park["emissions_market_t"] == 0.0 and park["emissions_market_hourly_t"] == 0.0 and park["alerts"] == []
    assert np.sum(park["shortfall_map_mwh"]) == 0.0 and np.shape(park["shortfall_map_mwh"]) == (12, 24)
    assert park["target_green_share"] == 1.0 and park["target_year"] == 2025
    assert park["expected_green_share"] == 1.0  # the first account year: the trajectory starts at its own share


def test_members_own_accounts_are_unchanged(tmp_path: Path):
    """A park changes no member's account (§10): the same accounts without the park tables."""
    with_park, without = Store(tmp_path / "a"), Store(tmp_path / "b")
    try:
        ingest_batch(with_park, worked_batch(tmp_path / "batch"))
        folder = worked_batch(tmp_path / "plain")
        (folder / "parks.csv").unlink()
        (folder / "park_members.csv").unlink()
        ingest_batch(without, folder)
        strip = ("run_id", "inputs_fingerprint", "label")  # a label's verification code is per store
        one = [{k: v for k, v in r.items() if k not in strip} for r in compute_year(with_park, 2023).records]
        two = [{k: v for k, v in r.items() if k not in strip} for r in compute_year(without, 2023).records]
        assert one == two
    finally:
        with_park.close()
        without.close()


def test_uncovered_members_null_the_hourly_figures(tmp_path: Path):
    """C joins with monthly data only (3,000 kWh in March): uncovered share 3,000 / 5,000 = 0.6 > 0.10, so the park's
    hourly figures are null; its annual figures still pool C: E_contract = min(2,000, 5,000) = 2,000, green share
    2,000 / 5,000 = 0.4, shortfall (5,000 − 2,000) / 1000 = 3 MWh."""
    folder = worked_batch(tmp_path / "batch", members=[("PK", A, "", ""), ("PK", B, "", ""), ("PK", C, "", "")])
    write_table(folder, "enterprises", ENTERPRISES, [(A, "园区甲", "C3216", "630100"), (B, "园区乙", "C3216", "630100"),
                                                     (C, "园区丙", "C3216", "630100")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("MA", A), ("MB", B), ("MC", C)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("MC", "2023-03", 3000)])
    store = Store(tmp_path / "store")
    try:
        assert ingest_batch(store, folder).status == "applied"
        [park] = compute_year(store, 2023).parks
    finally:
        store.close()
    assert_allclose([park["uncovered_load_share"], park["green_share"], park["shortfall_mwh"]], [0.6, 0.4, 3.0])
    assert park["cfe_score"] is None and park["hours_fully_green_share"] is None and park["shortfall_map_mwh"] is None
    # the trajectory: first account year 2023 at 0.4, target 1.0 in 2025 -> expected 0.4 this year: no alert
    assert park["expected_green_share"] == pytest.approx(0.4) and park["alerts"] == []


def test_membership_counts_for_its_months(tmp_path: Path):
    """B is a member from April on: its March grid (1,000 at 20:00) is not the park's. Park: E_grid = 1,000 (A),
    E_contract = min(2,000, 1,000) = 1,000, green share 1.0; pooled hours only A's: cfe 1.0."""
    store = Store(tmp_path / "store")
    try:
        ingest_batch(store, worked_batch(tmp_path / "batch", members=[("PK", A, "", ""), ("PK", B, "2023-04-01", "")]))
        [park] = compute_year(store, 2023).parks
    finally:
        store.close()
    assert_allclose([park["kwh_grid"], park["kwh_contract"], park["kwh_contract_excess"], park["green_share"],
                     park["cfe_score"]], [1000, 1000, 1000, 1.0, 1.0])
    assert park["members"] == 2


def _refused(tmp_path: Path, folder: Path) -> list:
    """The findings of ``folder``'s batch, refused by a fresh store."""
    store = Store(tmp_path / "store")
    try:
        with pytest.raises(InputRefused) as refused:
            ingest_batch(store, folder)
    finally:
        store.close()
    return refused.value.findings


def test_overlapping_membership_is_refused_naming_both_parks(tmp_path: Path):
    folder = worked_batch(tmp_path / "batch",
                          parks=[("PK", "零碳产业园", "630100", ""), ("PK2", "二号园", "630100", "")],
                          members=[("PK", A, "2023-01-01", "2023-06-30"), ("PK2", A, "2023-06-01", ""),
                                   ("PK", B, "", "")])
    found = [f for f in _refused(tmp_path, folder) if f.code == "park_membership_overlap"]
    assert [(f.table, f.row, f.column, f.value) for f in found] == [
        ("park_members", 2, "valid_from", A), ("park_members", 3, "valid_from", A)]
    assert "PK 2023-01-01 – 2023-06-30 ↔ PK2 2023-06-01 – … (row 3)" in found[0].message_en
    assert "PK2" in found[0].message_zh and "第 3 行" in found[0].message_zh and "同一时间" in found[0].message_zh


def test_overlap_with_a_stored_membership_is_refused(tmp_path: Path):
    store = Store(tmp_path / "store")
    try:
        ingest_batch(store, worked_batch(tmp_path / "batch"))
        folder = tmp_path / "second"
        write_table(folder, "parks", ["park_id", "name", "region_code"], [("PK2", "二号园", "630100")])
        write_table(folder, "park_members", MEMBERS, [("PK2", B, "2023-05-01", "")])
        with pytest.raises(InputRefused) as refused:
            ingest_batch(store, folder)
        [f] = [f for f in refused.value.findings if f.code == "park_membership_overlap"]
        assert "PK … – … (in the store)" in f.message_en and "库中已有" in f.message_zh
        # ending the first membership first is accepted
        write_table(folder, "park_members", MEMBERS, [("PK", B, "", "2023-04-30"), ("PK2", B, "2023-05-01", "")])
        assert ingest_batch(store, folder).status == "applied"
    finally:
        store.close()


def test_target_share_out_of_range_is_refused(tmp_path: Path):
    folder = worked_batch(tmp_path / "batch")
    write_table(folder, "parks", ["park_id", "name", "region_code", "target_green_share"],
                [("PK", "零碳产业园", "630100", "100")])
    [f] = [f for f in _refused(tmp_path, folder) if f.code == "out_of_range"]
    assert f.column == "target_green_share" and "0 到 1" in f.message_zh


def test_a_corrected_member_marks_the_park_year(tmp_path: Path):
    import sqlalchemy as sa

    from dianta.ledger import schema
    store = Store(tmp_path / "store")
    try:
        ingest_batch(store, worked_batch(tmp_path / "batch"))
        compute_year(store, 2023)
        folder = tmp_path / "fix"
        write_table(folder, "green_trades", TRADE, [("GA", A, "2023-03", 1500, "solar")])
        ingest_batch(store, folder, reason="settlement corrected")
        with store.engine.connect() as con:
            marks = con.execute(sa.select(schema.park_marks.c.park_id, schema.park_marks.c.year)).all()
        assert sorted(marks) == [("PK", 2023), ("PK", 2024)]
        [park] = compute_year(store, 2023).parks  # recomputed: 1,500 of 2,000 green
        assert park["green_share"] == pytest.approx(0.75) and park["shortfall_mwh"] == pytest.approx(0.5)
        with store.engine.connect() as con:
            assert con.execute(sa.select(schema.park_marks.c.year)).scalars().all() == [2024]
    finally:
        store.close()


def test_export_parks(tmp_path: Path):
    from typer.testing import CliRunner

    from dianta.cli import app

    store = Store(tmp_path / "store")
    ingest_batch(store, worked_batch(tmp_path / "batch"))
    compute_year(store, 2023)
    store.close()
    runner = CliRunner()
    out = runner.invoke(app, ["--db", str(tmp_path / "store"), "export", "parks", "--year", "2023", "--format",
                              "json"])
    assert out.exit_code == 0, out.output
    [park] = json.loads(out.stdout)
    assert list(park)[:18] == ["park_id", "year", "members", "kwh_grid", "kwh_total", "kwh_contract",
                               "kwh_contract_excess", "kwh_green", "green_share", "cfe_score", "emissions_location_t",
                               "emissions_market_t", "intensity", "target_green_share", "shortfall_mwh",
                               "hours_fully_green_share", "uncovered_load_share", "alerts"]
    assert park["green_share"] == 1.0 and park["members"] == 2 and park["alerts"] == []
    csv_out = runner.invoke(app, ["--db", str(tmp_path / "store"), "export", "parks", "--year", "2023", "--format",
                                  "csv", "--out", str(tmp_path / "parks.csv")])
    assert csv_out.exit_code == 0, csv_out.output
    lines = (tmp_path / "parks.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("park_id,year,members,kwh_grid") and lines[1].startswith("PK,2023,2,2000.0")


# -- properties of the pure calculation --------------------------------------------------------------------

_kwh = st.floats(0, 5_000, allow_nan=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.data())
def test_pooled_cfe_is_at_least_the_load_weighted_mean_of_members(n: int, data: st.DataObject):
    """Σ_h min(Σ_i L_ih, Σ_i G_ih) ≥ Σ_i Σ_h min(L_ih, G_ih) (min is superadditive), so the pooled CFE is at least
    Σ_i cfe_i × ΣL_i / Σ_i ΣL_i."""
    hours = 24
    load = np.array(data.draw(st.lists(st.lists(_kwh, min_size=hours, max_size=hours), min_size=n, max_size=n)))
    green = np.array(data.draw(st.lists(st.lists(_kwh, min_size=hours, max_size=hours), min_size=n, max_size=n)))
    month, hod = np.full(hours, 3), np.arange(hours)
    pooled = calc.pooled_hourly(load.sum(axis=0), green.sum(axis=0), month, hod, [True])
    members = calc.pooled_hourly(load, green, month, hod, [True] * n)
    weighted = np.sum(members["cfe_score"] * load.sum(axis=1)) / max(load.sum(), 1e-300)
    assert pooled["cfe_score"][0] >= weighted - 1e-9 or load.sum() == 0
    assert pooled["kwh_matched_hourly"][0] >= members["kwh_matched_hourly"].sum() - 1e-6


@settings(max_examples=60, deadline=None)
@given(grid=_kwh, onsite=_kwh, trade=_kwh, cert=_kwh, ef_loc=st.floats(0.1, 1), ef_res=st.floats(0.1, 1))
def test_a_park_of_one_member_has_its_annual_figures(grid, onsite, trade, cert, ef_loc, ef_res):
    """One member for the whole year: the park's figures are the member's §4–§5 figures."""
    from dianta.calc import energy, indicators

    park = calc.pooled_annual([0], 1, [1.0], kwh_grid=[grid], kwh_onsite=[onsite], kwh_instruments=[trade + cert],
                              kwh_supplier_green=[0.0], emissions_location_t=[grid * ef_loc / 1000],
                              residual_kg_per_kwh=[ef_res])
    contract, excess = energy.contractual_green_kwh(trade, cert, grid)
    total = grid + onsite
    assert_allclose([park["kwh_contract"][0], park["kwh_contract_excess"][0], park["kwh_total"][0],
                     park["green_share"][0], park["emissions_market_t"][0]],
                    [contract, excess, total, indicators.green_share(onsite + contract, total),
                     energy.market_based_emissions_t(grid, contract, ef_res)], rtol=1e-12, atol=1e-9)


def test_membership_fraction_and_trajectory():
    # grid 100 in each month, member January–June: 600 / 1,200; no grid at all: 6 of 12 months
    frac = calc.membership_fraction([[100.0] * 12, [np.nan] * 12], [[True] * 6 + [False] * 6] * 2)
    assert_allclose(frac, [0.5, 0.5])
    # first year 2023 at 0.4, target 1.0 in 2026: 2024 -> 0.4 + 0.6 × 1/3 = 0.6; 2027 -> the target
    assert_allclose(calc.target_trajectory([2024, 2027, 2023], 2023, 0.4, 2026, 1.0), [0.6, 1.0, 0.4])
    assert np.isnan(calc.target_trajectory(2024, 2023, 0.4, np.nan, 1.0))
    assert calc.below_target([0.59, 0.6, 0.5], [0.6, 0.6, np.nan]).tolist() == [True, False, False]


def test_below_the_trajectory_raises_the_alert(tmp_path: Path):
    """2023: green share 1.0 (first account year). 2024: no green (B only draws 1,000 at 20:00 of 15 March 2024; no
    contract) while the trajectory from 1.0 (2023) to the target 1.0 (2025) asks 1.0: park_below_target."""
    store = Store(tmp_path / "store")
    try:
        ingest_batch(store, worked_batch(tmp_path / "batch"))
        compute_year(store, 2023)
        folder = tmp_path / "y2024"
        write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                    _quarters("MB", dt.datetime(2024, 3, 15, 20), 1000))
        ingest_batch(store, folder)
        [park] = compute_year(store, 2024).parks
    finally:
        store.close()
    assert park["green_share"] == 0.0 and park["expected_green_share"] == 1.0
    assert park["alerts"] == ["park_below_target"] and park["shortfall_mwh"] == pytest.approx(1.0)
    assert park["members"] == 1  # A has no account in 2024


S = credit_code(84)  # the park's energy company: solar and a battery, no grid meter


def supplier_batch(folder: Path) -> Path:
    """Park PS of member B (worked example) and supplier S (§10, storage §9c): S generates 1,000 kWh at 12:00 of
    15 March and charges 500 of it into its battery, which gives back 400 at 20:00."""
    worked_batch(folder, parks=[("PK", "零碳产业园", "630100", "")])
    write_table(folder, "enterprises", ENTERPRISES, [(A, "园区甲", "C3216", "630100"), (B, "园区乙", "C3216", "630100"),
                                                     (S, "园区能源", "D4416", "630100")])
    write_table(folder, "parks", ["park_id", "name", "region_code", "supplier_credit_code"],
                [("PS", "源网荷储园", "630100", S)])
    write_table(folder, "park_members", MEMBERS, [("PS", B, "", "")])
    write_table(folder, "onsite_generation_interval", ["credit_code", "ts", "kwh"], [(S, "2023-03-15T12:00:00", 1000)])
    write_table(folder, "storage_interval", ["credit_code", "ts", "kwh_charged", "kwh_discharged"],
                [(S, "2023-03-15T12:00:00", 500, 0), (S, "2023-03-15T20:00:00", 0, 400)])
    return folder


def test_supplier_with_storage(tmp_path: Path):
    """§9c: c_12 = 500 (all green: generation 1,000), η = 400 / 500 = 0.8, green pool 400, d_20 = 400 all green.
    S's green supply: 12:00 1,000 − 500 = 500, 20:00 400; the year 900.
    Park: Σ E_grid = 1,000 (B; S has no grid), E_onsite 0 (S's generation is supply), E_contract = min(0 + 900,
    1,000) = 900, green share 0.9, shortfall (1,000 − 900) / 1000 = 0.1 MWh; hourly L = (0, 1,000), G = (500, 400):
    matched 400, cfe 0.4; the one hour with load not fully green: 0; shortfall map March 20:00 = 0.6 MWh.
    Emissions (EF_residual 0.6096): annual C_mkt = (1,000 − 900) × 0.6096 / 1000 = 0.06096 t; hourly (§9b on the
    pooled hours) U_March = 600, no certificate -> 600 × 0.6096 / 1000 = 0.36576 t."""
    store = Store(tmp_path / "store")
    try:
        assert ingest_batch(store, supplier_batch(tmp_path / "batch")).status == "applied"
        [park] = compute_year(store, 2023).parks
    finally:
        store.close()
    assert park["park_id"] == "PS" and park["members"] == 1 and park["supplier_credit_code"] == S
    assert_allclose([park["kwh_grid"], park["kwh_onsite"], park["kwh_supplier_green"], park["kwh_contract"],
                     park["green_share"], park["shortfall_mwh"]], [1000, 0, 900, 900, 0.9, 0.1], atol=1e-12)
    assert_allclose([park["cfe_score"], park["kwh_matched_hourly"], park["hours_fully_green_share"],
                     park["uncovered_load_share"]], [0.4, 400, 0.0, 0.0], atol=1e-12)
    grid = np.array(park["shortfall_map_mwh"])
    assert_allclose([grid[2, 20], grid.sum()], [0.6, 0.6], atol=1e-12)
    assert_allclose([park["emissions_market_t"], park["emissions_t"], park["emissions_market_hourly_t"]],
                    [0.06096, 0.06096, 0.36576], atol=1e-12)  # the default profile: indicator 1 annual


def test_supplier_park_under_the_hourly_method(tmp_path: Path):
    """The same park under market_method = "hourly" (shipped profile ``hourly``): indicator 1 is the pooled hourly
    figure 0.36576 t (above); the annual C_mkt stays 0.06096 t."""
    store = Store(tmp_path / "store")
    try:
        ingest_batch(store, supplier_batch(tmp_path / "batch"))
        [park] = compute_year(store, 2023, profile="hourly").parks
    finally:
        store.close()
    assert_allclose([park["emissions_t"], park["emissions_market_t"]], [0.36576, 0.06096], atol=1e-12)
    assert park["profile_id"] == "hourly"


_hour_kwh = st.integers(0, 4_000).map(float)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(noon=_hour_kwh, evening=_hour_kwh, settled=_hour_kwh, profile_noon=_hour_kwh, value=st.floats(0.5, 50))
def test_a_park_of_one_member_equals_its_account(tmp_path_factory: pytest.TempPathFactory, noon: float,
                                                 evening: float, settled: float, profile_noon: float, value: float):
    """Through the ledger and engine: a park whose one member is in it all year has the member's figures."""
    tmp = tmp_path_factory.mktemp("one")
    folder = worked_batch(tmp / "batch", members=[("PK", A, "", "")])
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                _quarters("MA", dt.datetime(2023, 3, 15, 12), noon) + _quarters("MA", dt.datetime(2023, 3, 15, 20),
                                                                                evening))
    write_table(folder, "meters", ["meter_id", "credit_code"], [("MA", A)])
    write_table(folder, "green_trades", TRADE, [("GA", A, "2023-03", settled, "solar")])
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("GA", "2023-03-15T12:00:00", profile_noon), ("GA", "2023-03-15T20:00:00", settled - profile_noon)
                 if settled >= profile_noon else ("GA", "2023-03-15T20:00:00", 0)])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(A, 2023, value)])
    store = Store(tmp / "store")
    try:
        assert ingest_batch(store, folder).status == "applied"
        result = compute_year(store, 2023)
    finally:
        store.close()
    [park], acc = result.parks, {r["credit_code"]: r for r in result.records}[A]
    shared = ("kwh_grid", "kwh_onsite", "kwh_total", "kwh_contract", "kwh_contract_excess", "kwh_green", "green_share",
              "cfe_score", "kwh_matched_hourly", "emissions_location_t", "emissions_market_t", "emissions_t",
              "value_10k_cny", "intensity")
    for key in shared:
        mine, theirs = park[key], acc[key]  # type: ignore[literal-required]
        assert (mine is None) == (theirs is None), key
        if mine is not None:
            assert_allclose(mine, theirs, rtol=1e-12, atol=1e-9, err_msg=key)


def test_park_accounts_on_spark_equal_the_embedded_engines(tmp_path: Path, spark_engine_name: str):
    """The supplier with storage and a member from March on, on both engines (1e-9 relative)."""
    from conftest import same_record as _same

    folder = supplier_batch(tmp_path / "batch")
    write_table(folder, "park_members", MEMBERS, [("PS", B, "2023-03-01", ""), ("PS", A, "", "2023-02-28")])
    store = Store(tmp_path / "store")
    ingest_batch(store, folder)
    duck = compute_year(store, 2023).parks
    spark = compute_year(store, 2023, engine=spark_engine_name).parks
    store.close()
    assert len(duck) == len(spark) == 1 and duck[0]["cfe_score"] == pytest.approx(0.4)
    for a, b in zip(duck, spark, strict=True):
        _same(dict(a), dict(b), path=a["park_id"])


def test_members_of_an_unknown_park_are_refused(tmp_path: Path):
    folder = worked_batch(tmp_path / "batch", members=[("PK", A, "", ""), ("NOPE", B, "", "")])
    [f] = [f for f in _refused(tmp_path, folder) if f.code == "unknown_reference"]
    assert (f.table, f.row, f.column, f.value) == ("park_members", 3, "park_id", "NOPE")
    assert "parks" in f.message_en and "园区表" in f.message_zh
