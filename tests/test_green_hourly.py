"""GREEN-POWER.md §9 (market boundary, instruments, bundled backing) and §9b (hourly market-based emissions),
through the real ledger (SQLite) and engine (DuckDB).

§9b worked example, one enterprise and meter, 2023 (EF_residual = national excl. market non-fossil 0.6096):
the only load is two hours of 15 March: grid 1,000 kWh at 12:00 and 1,000 kWh at 20:00 (four readings of 250);
contract GT settled 1,500 kWh in March, its profile 1,500 kWh at 12:00 and 0 at 20:00.
  annual (METHODOLOGY §4): E_grid = 2,000, E_contract = min(1,500, 2,000) = 1,500 -> C_mkt = 500 × 0.6096 / 1000
    = 0.3048 t
  hourly: L = (1,000, 1,000), G = (1,500, 0): min = (1,000, 0), matched 1,000, cfe = 1,000 / 2,000 = 0.5;
    U = (0, 1,000), U_March = 1,000, no certificate -> R_March = 1,000 -> 1,000 × 0.6096 / 1000 = 0.6096 t
  + a 1 MWh unbundled certificate produced in March: annual E_trade + E_cert = 2,500 -> E_contract = 2,000,
    excess 500, C_mkt = 0; hourly C_March = 1,000 = U_March -> R_March = 0 -> 0 t, certificates matched 1,000
  the certificate produced in February instead: annual still 0; hourly C_Feb = 1,000 but U_Feb = 0 ->
    R_March = 1,000 -> 0.6096 t, certificates matched min(0, 1,000) = 0
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import credit_code, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dianta.accounts.compute import compute_year
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reference.profile import Profile, load_profile

ENT = credit_code(71)  # in Xining, Qinghai (630100): northwest grid
OTHER = credit_code(72)
DEFAULT = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
CERT = ["certificate_id", "credit_code", "vintage_month", "mwh", "technology", "retired_on", "bundled", "plant_id"]
TRADE = ["contract_id", "credit_code", "month", "kwh", "technology", "plant_id"]
# plants: in Qinghai (the enterprise's province), in Gansu (same northwest grid), in Jiangsu (east grid)
PLANTS = [("P-QH", "青海光伏", "solar", "630000"), ("P-GS", "甘肃风电", "wind", "620000"),
          ("P-JS", "江苏风电", "wind", "320000")]


def profile(tmp_path: Path, method: str = "annual", boundary: str = "national", **replace: str) -> Profile:
    """The default profile with another market method and boundary (an operator's profile file)."""
    pid = f"{method}-{boundary}"
    text = (DEFAULT.read_text(encoding="utf-8").replace('id = "default"', f'id = "{pid}"')
            .replace('market_method = "annual"', f'market_method = "{method}"')
            .replace('market_boundary = "national"', f'market_boundary = "{boundary}"'))
    for old, new in replace.items():
        text = text.replace(old, new)
    path = tmp_path / f"{pid}.toml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def _quarters(hour: dt.datetime, kwh: float) -> list[tuple[str, str, float]]:
    return [("M1", (hour + dt.timedelta(minutes=15 * q)).isoformat(), kwh / 4) for q in range(4)]


def worked_batch(folder: Path, *, cert_month: str | None = None, plant: str | None = None,
                 trades: Sequence[tuple] = (), certs: Sequence[tuple] = ()) -> Path:
    """The §9b worked example (module docstring), with the certificate of ``cert_month``, the contract's plant
    ``plant``, and further trades and certificates."""
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(ENT, "绿电测试", "C3216", "630100"), (OTHER, "外省企业", "C3216", "320100")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", ENT)])
    write_table(folder, "plants", ["plant_id", "name", "technology", "region_code"], PLANTS)
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                _quarters(dt.datetime(2023, 3, 15, 12), 1000) + _quarters(dt.datetime(2023, 3, 15, 20), 1000))
    write_table(folder, "green_trades", TRADE, [("GT", ENT, "2023-03", 1500, "solar", plant), *trades])
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("GT", "2023-03-15T12:00:00", 1500), ("GT", "2023-03-15T20:00:00", 0)])
    rows = [*certs]
    if cert_month is not None:
        rows.append(("GEC000000000101", ENT, cert_month, 1, "solar", "2023-12-01", "false", plant))
    if rows:
        write_table(folder, "green_certificates", CERT, rows)
    return folder


def compute(tmp: Path, prof: Profile | str = "default", **batch: object) -> dict:
    store = Store(tmp / "store")
    try:
        result = ingest_batch(store, worked_batch(tmp / "batch", **batch))  # type: ignore[arg-type]
        assert result.status == "applied", result.findings
        return {r["credit_code"]: r for r in compute_year(store, 2023, profile=prof).records}[ENT]
    finally:
        store.close()


def test_worked_example_annual_and_hourly(tmp_path: Path):
    acc = compute(tmp_path)
    assert_allclose([acc["kwh_grid"], acc["kwh_trade"], acc["kwh_contract"]], [2000, 1500, 1500])
    assert_allclose([acc["emissions_market_t"], acc["emissions_t"]], [0.3048, 0.3048])  # 500 × 0.6096 / 1000
    assert_allclose(acc["cfe_score"], 0.5)
    assert_allclose([acc["emissions_market_hourly_t"], acc["kwh_matched_hourly"], acc["kwh_cert_monthly_matched"]],
                    [0.6096, 1000, 0], atol=1e-12)  # U_March = 1,000 × 0.6096 / 1000
    assert acc["market_method"] == "annual" and acc["market_boundary"] == "national"
    # interval data in March only; GT's 1,500 kWh come with no bundled certificate
    assert acc["flags"] == ["partial_year", "trade_not_backed_by_certificates"]
    assert acc["instruments"] == [{"source_kind": "trade", "source_id": "GT", "last_id": None, "n": 1, "plant_id": None,
                                   "technology": "solar", "plant_region_code": None, "month": None, "kwh": 1500.0,
                                   "in_boundary": True}]
    assert acc["kwh_outside_boundary"] == 0.0


def test_worked_example_under_the_hourly_method(tmp_path: Path):
    acc = compute(tmp_path, profile(tmp_path, "hourly"))
    assert acc["market_method"] == "hourly"
    assert_allclose([acc["emissions_t"], acc["emissions_market_hourly_t"], acc["emissions_market_t"]],
                    [0.6096, 0.6096, 0.3048])
    assert "annual_method_fallback" not in acc["flags"]  # complete interval data; no 2022 account
    assert acc["intensity"] is None  # no value added


@pytest.mark.parametrize(("cert_month", "annual", "hourly", "cert_matched"), [
    ("2023-03", 0.0, 0.0, 1000.0),  # C_March = U_March = 1,000
    ("2023-02", 0.0, 0.6096, 0.0),  # February has no unmatched load
])
def test_worked_example_with_a_certificate(tmp_path: Path, cert_month, annual, hourly, cert_matched):
    acc = compute(tmp_path, profile(tmp_path, "hourly"), cert_month=cert_month)
    assert_allclose([acc["kwh_cert"], acc["kwh_contract"], acc["kwh_contract_excess"]], [1000, 2000, 500])
    assert_allclose([acc["emissions_market_t"], acc["emissions_market_hourly_t"], acc["emissions_t"],
                     acc["kwh_cert_monthly_matched"]], [annual, hourly, hourly, cert_matched], atol=1e-12)
    (cert,) = [i for i in acc["instruments"] if i["source_kind"] == "certificate"]
    assert cert == {"source_kind": "certificate", "source_id": "GEC000000000101", "last_id": "GEC000000000101",
                    "n": 1, "plant_id": None, "technology": "solar", "plant_region_code": None, "month": cert_month,
                    "kwh": 1000.0, "in_boundary": True}


def test_without_interval_data_the_hourly_method_falls_back_to_annual(tmp_path: Path):
    """An enterprise with monthly data only: no hourly figure, indicator 1 the annual C_mkt, flagged."""
    folder = worked_batch(tmp_path / "batch")
    write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", ENT), ("M2", OTHER)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("M2", "2023-05", 10_000)])
    store = Store(tmp_path / "store")
    assert ingest_batch(store, folder).status == "applied"
    other = next(r for r in compute_year(store, 2023, profile=profile(tmp_path, "hourly")).records
                 if r["credit_code"] == OTHER)
    store.close()
    assert other["emissions_market_hourly_t"] is None and other["kwh_matched_hourly"] is None
    assert other["kwh_cert_monthly_matched"] is None and other["cfe_score"] is None
    assert_allclose([other["emissions_t"], other["emissions_market_t"]], [6.096, 6.096])  # 10,000 × 0.6096 / 1000
    assert other["flags"] == ["partial_year", "annual_method_fallback"]


# --- §9 market boundary ---------------------------------------------------------------------------------------
# The contract GT (1,500 kWh, profile 1,500 at 12:00) from each plant, plus a certificate of March from the same
# plant. Inside: as the worked example with the certificate (annual 0, hourly 0). Outside: neither counts:
# annual C_mkt = 2,000 × 0.6096 / 1000 = 1.2192 t, hourly U = (1,000, 1,000) -> 1.2192 t, cfe 0;
# kwh_outside_boundary = 1,500 + 1,000 = 2,500.
@pytest.mark.parametrize(("boundary", "plant", "inside"), [
    ("national", "P-JS", True), ("national", None, True),
    ("regional_grid", "P-QH", True), ("regional_grid", "P-GS", True), ("regional_grid", "P-JS", False),
    ("regional_grid", None, False),
    ("province", "P-QH", True), ("province", "P-GS", False), ("province", None, False),
])
def test_market_boundary(tmp_path: Path, boundary, plant, inside):
    acc = compute(tmp_path, profile(tmp_path, "hourly", boundary), cert_month="2023-03", plant=plant)
    region = {"P-QH": "630000", "P-GS": "620000", "P-JS": "320000", None: None}[plant]
    assert {(i["source_kind"], i["source_id"], i["plant_id"], i["plant_region_code"], i["kwh"], i["in_boundary"])
            for i in acc["instruments"]} == {("trade", "GT", plant, region, 1500.0, inside),
                                             ("certificate", "GEC000000000101", plant, region, 1000.0, inside)}
    if inside:
        assert_allclose([acc["kwh_trade"], acc["kwh_cert"], acc["kwh_outside_boundary"]], [1500, 1000, 0])
        assert_allclose([acc["emissions_market_t"], acc["emissions_market_hourly_t"], acc["cfe_score"]], [0, 0, 0.5],
                        atol=1e-12)
    else:
        assert_allclose([acc["kwh_trade"], acc["kwh_cert"], acc["kwh_outside_boundary"]], [0, 0, 2500])
        assert_allclose([acc["emissions_market_t"], acc["emissions_market_hourly_t"], acc["emissions_t"],
                         acc["cfe_score"]], [1.2192, 1.2192, 1.2192, 0.0])


def test_national_boundary_figures_equal_the_default_profile(tmp_path: Path):
    """A profile naming the national boundary explicitly (another id) gives the default's figures exactly."""
    extra = {"trades": [("GT2", ENT, "2023-03", 300, "wind", "P-JS")],
             "certs": [("GEC000000000102", ENT, "2023-03", 0.25, "wind", "2023-12-01", "false", "P-GS")]}
    default = compute(tmp_path / "a", **extra)  # type: ignore[arg-type]
    national = compute(tmp_path / "b", profile(tmp_path, "annual", "national"), **extra)  # type: ignore[arg-type]
    for key in ("kwh_trade", "kwh_cert", "kwh_contract", "emissions_market_t", "emissions_t", "cfe_score",
                "emissions_market_hourly_t", "kwh_matched_hourly", "kwh_cert_monthly_matched", "instruments"):
        assert national[key] == default[key], key


def test_certificates_grouped_per_plant_and_month_and_expired_ones_do_not_count(tmp_path: Path):
    """Three certificates of P-QH in March (ids 201–203) are one group; one of P-JS in March another; under a
    12-month validity a certificate of 2023-01 retired 2024-02-01 (after 2024-01-31) does not count."""
    certs = [(f"GEC000000000{n}", ENT, "2023-03", 1, "solar", "2023-12-01", "false", "P-QH") for n in (203, 201, 202)]
    certs += [("GEC000000000301", ENT, "2023-03", 2, "wind", "2023-12-01", "false", "P-JS"),
              ("GEC000000000401", ENT, "2023-01", 5, "wind", "2024-02-01", "false", "P-QH")]
    prof = profile(tmp_path, "annual", "province", **{"certificate_validity_months = 24":
                                                      "certificate_validity_months = 12"})
    acc = compute(tmp_path, prof, plant="P-QH", certs=certs)
    groups = [(i["source_id"], i["last_id"], i["n"], i["plant_id"], i["month"], i["kwh"], i["in_boundary"])
              for i in acc["instruments"] if i["source_kind"] == "certificate"]
    assert groups == [("GEC000000000301", "GEC000000000301", 1, "P-JS", "2023-03", 2000.0, False),
                      ("GEC000000000201", "GEC000000000203", 3, "P-QH", "2023-03", 3000.0, True)]
    # counted: GT 1,500 + P-QH 3,000; outside: P-JS 2,000; the expired 5 MWh nowhere
    assert_allclose([acc["kwh_trade"], acc["kwh_cert"], acc["kwh_outside_boundary"]], [1500, 3000, 2000])


# --- §9 bundled certificates --------------------------------------------------------------------------------------
def test_trade_not_backed_by_bundled_certificates(tmp_path: Path):
    """March: GT (P-QH) 1,500 settled against 1.49 MWh bundled of P-QH: short by 10 ≤ 1 % × 1,500 = 15 -> backed.
    GT3 (no plant) 2,000 in March against 1 MWh bundled with no plant: short by 1,000 > 20 -> unbacked. GT4 (P-GS)
    400 in June, bundled 0.4 MWh of P-GS produced in May (another month) -> unbacked. The annual figures are those
    of every counted trade whatever its backing: E_trade = 1,500 + 2,000 + 400 = 3,900."""
    trades = [("GT3", ENT, "2023-03", 2000, "wind", None), ("GT4", ENT, "2023-06", 400, "wind", "P-GS")]
    certs = [("GEC000000000501", ENT, "2023-03", 1.49, "solar", "2023-12-01", "true", "P-QH"),
             ("GEC000000000502", ENT, "2023-03", 1, "wind", "2023-12-01", "true", None),
             ("GEC000000000503", ENT, "2023-05", 0.4, "wind", "2023-12-01", "true", "P-GS")]
    acc = compute(tmp_path, plant="P-QH", trades=trades, certs=certs)
    assert "trade_not_backed_by_certificates" in acc["flags"]
    assert acc["unbacked_trades"] == [
        {"contract_ids": ["GT3"], "plant_id": None, "month": "2023-03", "kwh_settled": 2000.0, "kwh_bundled": 1000.0},
        {"contract_ids": ["GT4"], "plant_id": "P-GS", "month": "2023-06", "kwh_settled": 400.0, "kwh_bundled": 0.0}]
    assert_allclose([acc["kwh_trade"], acc["kwh_cert"]], [3900, 0])
    assert not any(i["source_kind"] == "certificate" for i in acc["instruments"])  # bundled ones are not listed


def test_backed_trades_raise_no_flag(tmp_path: Path):
    acc = compute(tmp_path, plant="P-QH",
                  certs=[("GEC000000000601", ENT, "2023-03", 1.5, "solar", "2023-12-01", "true", "P-QH")])
    assert acc["unbacked_trades"] == [] and "trade_not_backed_by_certificates" not in acc["flags"]


# --- §9b invariants (hypothesis) ----------------------------------------------------------------------------------
SLOW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOURS = [dt.datetime(2023, 1, 2) + dt.timedelta(days=40 * d, hours=h) for d in range(3) for h in (3, 11, 19)]
hour_kwh = st.lists(st.integers(0, 4000).map(lambda x: x / 4), min_size=len(HOURS), max_size=len(HOURS))


def _hourly_account(load: list[float], supply: list[float], settled_extra: float, cert_mwh: float,
                    cert_month: str) -> dict:
    """One meter with ``load`` at HOURS, one contract whose profile is ``supply`` at HOURS, settled each month
    at the profile's sum + ``settled_extra`` (profiles sum to ≤ settled kWh), a certificate of ``cert_month``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "b"
        write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                    [(ENT, "性质测试", "C3216", "630100")])
        write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", ENT)])
        write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                    [r for h, kwh in zip(HOURS, load, strict=True) for r in _quarters(h, kwh)])
        months = sorted({h.strftime("%Y-%m") for h in HOURS})
        write_table(folder, "green_trades", TRADE,
                    [("GT", ENT, m, sum(s for h, s in zip(HOURS, supply, strict=True) if h.strftime("%Y-%m") == m)
                      + settled_extra, "solar", None) for m in months])
        write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                    [("GT", h.isoformat(), s) for h, s in zip(HOURS, supply, strict=True)])
        if cert_mwh:
            write_table(folder, "green_certificates", CERT,
                        [("GEC000000000701", ENT, cert_month, cert_mwh, "wind", "2023-12-31", "false", None)])
        store = Store(Path(tmp) / "s")
        assert ingest_batch(store, folder).status == "applied"
        (acc,) = compute_year(store, 2023).records
        store.close()
        return acc


@SLOW
@given(hour_kwh, hour_kwh, st.sampled_from([0.0, 250.0]), st.sampled_from([0.0, 0.5, 3.0]),
       st.sampled_from(["2023-01", "2023-02", "2023-03"]))
def test_hourly_is_never_below_annual(load, supply, extra, cert_mwh, cert_month):
    """Σ_m max(U_m − C_m, 0) ≥ max(Σ_h max(L_h − G_h, 0) − E_cert, 0) ≥ max(E_grid − E_trade − E_cert, 0) when the
    profiles sum to ≤ the settled kWh and E_grid is the interval data's sum."""
    acc = _hourly_account(load, supply, extra, cert_mwh, cert_month)
    assert_allclose(acc["kwh_grid"], sum(load))
    assert acc["emissions_market_hourly_t"] >= acc["emissions_market_t"] - 1e-9
    assert_allclose(acc["kwh_matched_hourly"], sum(min(a, b) for a, b in zip(load, supply, strict=True)))


@SLOW
@given(hour_kwh, st.lists(st.integers(0, 2000).map(lambda x: x / 4), min_size=len(HOURS), max_size=len(HOURS)),
       st.sampled_from([0.0, 1.0]))
def test_both_zero_when_green_supply_covers_every_hour(load, surplus, cert_mwh):
    supply = [a + b for a, b in zip(load, surplus, strict=True)]
    acc = _hourly_account(load, supply, 0.0, cert_mwh, "2023-02")
    assert_allclose([acc["emissions_market_t"], acc["emissions_market_hourly_t"], acc["kwh_cert_monthly_matched"]],
                    [0, 0, 0], atol=1e-9)
    assert acc["cfe_score"] == (1.0 if sum(load) else 0.0)


# --- indicator 3 under the hourly method --------------------------------------------------------------------------
@pytest.mark.parametrize("prev_interval", [True, False])
def test_previous_year_recomputed_by_the_hourly_method(tmp_path: Path, prev_interval: bool):
    """2022 repeats the worked example a year earlier (value added 1 in both years). With its interval data,
    Y−1 is recomputed hourly: intensity_prev = 0.6096 / 1, reduction (0.6096 − 0.6096) × 1 = 0. With a monthly
    total of 2,000 kWh in March 2022 instead, Y−1 falls back to the annual method: intensity_prev = 0.3048,
    reduction = (0.3048 − 0.6096) × 1 = −0.3048, flagged annual_method_fallback. Under the annual method both
    years are annual: 0.3048 and 0.3048 -> 0."""
    folder = worked_batch(tmp_path / "batch")
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(ENT, 2022, 1), (ENT, 2023, 1)])
    write_table(folder, "green_trades", TRADE, [("GT", ENT, "2023-03", 1500, "solar", None),
                                                ("GT", ENT, "2022-03", 1500, "solar", None)])
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("GT", f"{y}-03-15T12:00:00", 1500) for y in (2022, 2023)]
                + [("GT", f"{y}-03-15T20:00:00", 0) for y in (2022, 2023)])
    readings = _quarters(dt.datetime(2023, 3, 15, 12), 1000) + _quarters(dt.datetime(2023, 3, 15, 20), 1000)
    if prev_interval:
        readings += _quarters(dt.datetime(2022, 3, 15, 12), 1000) + _quarters(dt.datetime(2022, 3, 15, 20), 1000)
    else:
        write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("M1", "2022-03", 2000)])
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"], readings)
    store = Store(tmp_path / "store")
    assert ingest_batch(store, folder).status == "applied"
    hourly = compute_year(store, 2023, profile=profile(tmp_path, "hourly")).records[0]
    annual = compute_year(store, 2023).records[0]
    store.close()
    assert_allclose([annual["intensity"], annual["intensity_prev"], annual["reduction_t"]], [0.3048, 0.3048, 0],
                    atol=1e-12)
    assert_allclose([hourly["intensity"], hourly["intensity_prev"], hourly["reduction_t"]],
                    [0.6096, 0.6096, 0] if prev_interval else [0.6096, 0.3048, -0.3048], atol=1e-12)
    assert ("annual_method_fallback" in hourly["flags"]) is not prev_interval
    assert "annual_method_fallback" not in annual["flags"]


def test_green_power_accounts_on_spark_equal_the_embedded_engines(tmp_path: Path, spark_engine_name: str):
    """The hourly method under the regional-grid boundary on both engines (1e-9 relative): GT (P-GS, northwest)
    is settled 1,500 to ENT (Qinghai: inside) and 500 to OTHER (Jiangsu: outside, yet its 1/4 share is taken
    from the profile first); GT2 from P-JS lies outside ENT's grid; 2022 has interval data (Y−1 hourly)."""
    from conftest import same_record as _same

    folder = worked_batch(tmp_path / "batch", plant="P-GS", cert_month="2023-03",
                          trades=[("GT", OTHER, "2023-03", 500, "solar", "P-GS"),
                                  ("GT2", ENT, "2023-03", 700, "wind", "P-JS")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", ENT), ("M2", OTHER)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("M2", "2023-03", 4_000)])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(ENT, 2022, 1), (ENT, 2023, 1)])
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                [r for y in (2022, 2023) for h in (12, 20) for r in _quarters(dt.datetime(y, 3, 15, h), 1000)])
    store = Store(tmp_path / "store")
    assert ingest_batch(store, folder).status == "applied"
    prof = profile(tmp_path, "hourly", "regional_grid")
    duck = compute_year(store, 2023, profile=prof).records
    spark = compute_year(store, 2023, profile=prof, engine=spark_engine_name).records
    store.close()
    assert len(duck) == len(spark) == 2
    ent = next(r for r in duck if r["credit_code"] == ENT)
    # GT's 3/4 share of 1,500 at 12:00 = 1,125 ≥ 1,000: U = (0, 1,000); the March certificate covers it: 0 t
    assert_allclose([ent["emissions_t"], ent["kwh_outside_boundary"], ent["cfe_score"]], [0, 700, 0.5], atol=1e-12)
    for a, b in zip(duck, spark, strict=True):
        _same(a, b, path=str(a["credit_code"]))


def test_an_account_published_before_issue_15_still_reads_with_nulls(tmp_path: Path):
    """An account published by 0.10 has none of the green-power fields (nor `electricity.year_on_year_months`):
    the API's model and the export still take it, with those fields null, until the year is computed again."""
    from dianta.accounts.export import flat_value
    from dianta.api.schemas import AccountPublic

    record = compute(tmp_path)
    new = ("emissions_market_hourly_t", "kwh_matched_hourly", "kwh_cert_monthly_matched", "kwh_outside_boundary",
           "market_method", "market_boundary", "instruments", "unbacked_trades")
    old = {k: v for k, v in record.items() if k not in new}
    old["electricity"] = {k: v for k, v in record["electricity"].items() if k != "year_on_year_months"}
    answer = AccountPublic.model_validate(old).model_dump()
    assert [answer[k] for k in new] == [None] * len(new)
    assert answer["electricity"]["year_on_year_months"] is None
    assert answer["emissions_market_t"] == record["emissions_market_t"] == pytest.approx(0.3048)
    assert [flat_value(old, k) for k in ("emissions_market_hourly_t", "market_method")] == [None, None]
