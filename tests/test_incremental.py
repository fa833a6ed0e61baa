"""Incremental recompute: after a correction only the marked accounts go through the engine again, every
account is evaluated again (benchmarks), and the result equals a full recompute."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import credit_code, write_table
from province import A, H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, read_accounts
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store


def _comparable(records: list[dict]) -> list[dict]:
    out = []
    for r in records:
        r = {k: v for k, v in r.items() if k != "run_id"}
        out.append(r)
    return out


@pytest.fixture
def province(store: Store, tmp_path: Path) -> Store:
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    compute_year(store, 2023)
    return store


def test_a_monthly_correction_recomputes_one_enterprise_and_equals_a_full_run(province: Store, tmp_path: Path):
    before = {r["credit_code"]: r for r in read_accounts(province, 2023)}
    # A's June was 90,000 kWh, not 40,000: A's emissions rise, so does section C's benchmark for B, C, D, F
    write_table(tmp_path / "fix", "consumption_monthly", ["meter_id", "month", "kwh"], [(f"M{A[-3:]}", "2023-06",
                                                                                          90_000)])
    assert ingest_batch(province, tmp_path / "fix", reason="June re-read").counts["consumption_monthly"].corrected == 1
    messages: list[str] = []
    inc = compute_year(province, 2023, incremental=True, progress=messages.append)
    assert (inc.mode, inc.recomputed) == ("incremental", 1)
    assert "aggregating the interval data of 1 enterprise(s)" in messages
    after = {r["credit_code"]: r for r in inc.records}
    assert after[A]["kwh_grid"] == before[A]["kwh_grid"] + 50_000
    assert after[A]["alerts"] == []  # June is no longer a sharp drop
    assert after[H]["benchmark"] == before[H]["benchmark"]  # section D: untouched
    changed_benchmark = [c for c in after if after[c]["benchmark"] != before[c]["benchmark"]]
    assert A in changed_benchmark and len(changed_benchmark) >= 4  # the whole of section C's group
    full = compute_year(province, 2023)
    assert full.mode == "full"
    assert _comparable(inc.records) == _comparable(full.records)


def test_an_interval_correction_recomputes_from_the_lake(province: Store, tmp_path: Path):
    # H's meter read 20 kWh, not 10, in every quarter hour of 1 March 2023
    start = dt.datetime(2023, 3, 1)
    ts = [start + dt.timedelta(minutes=15 * i) for i in range(96)]
    folder = tmp_path / "fix"
    folder.mkdir()
    pq.write_table(pa.table({"meter_id": [f"M{H[-3:]}"] * 96, "ts": pa.array(ts, pa.timestamp("us")),
                             "kwh": [20.0] * 96}), folder / "interval_readings.parquet")
    assert ingest_batch(province, folder, reason="meter replaced").counts["interval_readings"].corrected == 96
    inc = compute_year(province, 2023, incremental=True)
    assert (inc.mode, inc.recomputed) == ("incremental", 1)
    h = next(r for r in inc.records if r["credit_code"] == H)
    assert h["kwh_grid"] == 350_400 + 960
    assert _comparable(inc.records) == _comparable(compute_year(province, 2023).records)


def test_new_rows_since_the_last_run_mean_a_full_run(province: Store, tmp_path: Path):
    write_table(tmp_path / "new", "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(credit_code(99), "新企业", "C3216", "630100")])
    assert ingest_batch(province, tmp_path / "new").counts["enterprises"].new == 1
    messages: list[str] = []
    run = compute_year(province, 2023, incremental=True, progress=messages.append)
    assert run.mode == "full"
    assert any("added new rows to enterprises since the last run: computing in full" in m for m in messages)
    # nothing marked: an incremental run recomputes nobody and republishes the same accounts
    again = compute_year(province, 2023, incremental=True)
    assert (again.mode, again.recomputed) == ("incremental", 0)
    assert _comparable(again.records) == _comparable(run.records)


def _province_boundary(tmp_path: Path) -> Path:
    """The default profile with the market boundary ``province`` (GREEN-POWER.md §9)."""
    default = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
    path = tmp_path / "province.toml"
    path.write_text(default.read_text(encoding="utf-8").replace('id = "default"', 'id = "prov"')
                    .replace('market_boundary = "national"', 'market_boundary = "province"'), encoding="utf-8")
    return path


@pytest.mark.parametrize("fix", ["plant", "certificate"])
def test_a_plant_or_certificate_correction_marks_the_enterprises_of_its_instruments(province: Store, tmp_path: Path,
                                                                                    fix: str):
    """A's trades GT-A (200,000 kWh) and certificate GEC…1 (100 MWh) name plant P1, in Qinghai like A (630100):
    inside A's province. Correcting P1's province to Jiangsu (320000), or the certificate's plant to P2 in
    Jiangsu, takes them outside: only A is recomputed, and the result equals a full run."""
    prof = _province_boundary(tmp_path)
    write_table(tmp_path / "plants", "plants", ["plant_id", "name", "technology", "region_code"],
                [("P1", "青海风电", "wind", "630000"), ("P2", "江苏风电", "wind", "320000")])
    write_table(tmp_path / "plants", "green_trades", ["contract_id", "credit_code", "month", "kwh", "technology",
                                                      "plant_id"],
                [("GT-A", A, "2023-03", 120_000, "wind", "P1"), ("GT-A", A, "2023-09", 80_000, "wind", "P1")])
    write_table(tmp_path / "plants", "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh",
                                                            "technology", "retired_on", "bundled", "plant_id"],
                [("GEC000000000001", A, "2023-05", 100, "wind", "2023-12-01", "false", "P1")])
    assert ingest_batch(province, tmp_path / "plants").status == "applied"
    before = {r["credit_code"]: r for r in compute_year(province, 2023, profile=prof).records}
    assert (before[A]["kwh_trade"], before[A]["kwh_cert"], before[A]["kwh_outside_boundary"]) == (200_000, 100_000, 0)
    if fix == "plant":
        write_table(tmp_path / "fix", "plants", ["plant_id", "name", "technology", "region_code"],
                    [("P1", "青海风电", "wind", "320000")])
    else:
        write_table(tmp_path / "fix", "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh",
                                                             "technology", "retired_on", "bundled", "plant_id"],
                    [("GEC000000000001", A, "2023-05", 100, "wind", "2023-12-01", "false", "P2")])
    result = ingest_batch(province, tmp_path / "fix", reason="plant corrected")
    assert result.status == "applied" and result.marked_accounts == 2  # A in 2023 and 2024
    inc = compute_year(province, 2023, profile=prof, incremental=True)
    assert (inc.mode, inc.recomputed) == ("incremental", 1)
    a = next(r for r in inc.records if r["credit_code"] == A)
    outside = 300_000 if fix == "plant" else 100_000
    assert (a["kwh_trade"] + a["kwh_cert"], a["kwh_outside_boundary"]) == (300_000 - outside, outside)
    assert _comparable(inc.records) == _comparable(compute_year(province, 2023, profile=prof).records)
