"""Corrections mark accounts for recalculation; compute settles the marks and uses the corrected data."""

from __future__ import annotations

from pathlib import Path

from conftest import write_table
from numpy.testing import assert_allclose
from province import INDUSTRY, A, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, stale_accounts
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store


def _computed_store(tmp_path: Path) -> Store:
    """The hand-computed province with its 2022 and 2023 accounts published."""
    store = Store(tmp_path / "s")
    ingest_batch(store, write_batch_2022(tmp_path / "2022"))
    ingest_batch(store, write_batch_2023(tmp_path / "2023"))
    compute_year(store, 2022)
    compute_year(store, 2023)
    return store


def test_correction_marks_and_recompute(tmp_path: Path):
    store = _computed_store(tmp_path)
    assert stale_accounts(store) == []

    # the grid company re-sends June 2023 for A's meter: 40,000 -> 90,000 kWh
    write_table(tmp_path / "fix", "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{A[-3:]}", "2023-06", 90_000)])
    result = ingest_batch(store, tmp_path / "fix", reason="meter reading corrected", user="operator-1")
    assert result.counts["consumption_monthly"].corrected == 1
    assert stale_accounts(store) == [(A, 2023), (A, 2024)]

    (a,) = [r for r in compute_year(store, 2023).records if r["credit_code"] == A]
    # 11 × 100,000 + 90,000 = 1,190,000 kWh; 90,000 ≥ 50,000 so June is no longer a sharp drop
    assert_allclose(a["kwh_grid"], 1_190_000)
    assert a["alerts"] == []
    assert stale_accounts(store) == [(A, 2024)]


def test_enterprise_correction_marks_every_published_year(tmp_path: Path):
    store = _computed_store(tmp_path)
    write_table(tmp_path / "fix", "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(A, "测试企业0", "C3217", "630100", "2022-01-01")])
    assert INDUSTRY[A] == "C3216"
    ingest_batch(store, tmp_path / "fix", reason="industry code corrected")
    assert stale_accounts(store) == [(A, 0)]
    compute_year(store, 2023)
    # the 2023 account is settled; the 2022 one still needs recomputing
    assert stale_accounts(store) == [(A, 2022)]
