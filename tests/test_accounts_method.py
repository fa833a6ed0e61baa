"""End to end (real ledger on SQLite, DuckDB engine): the method fixes of issue 15 (METHODOLOGY.md §3, §5, §6),
each worked by hand below. Factors 2023: residual (national excl. market non-fossil) 0.6096 kgCO2/kWh.

P (C3216, meter MP): 2021-11 and 2021-12 100 kWh; 2022 100 a month but 90 in November and December; 2023 95 in
  January, then 100. Nov 2022 (90 < 100) and Dec 2022 (90 < 100) start a run that January 2023 (95 < 100)
  completes: sustained_decline 2023-01 (§6: November and December of Y−1 against Y−2 count towards January).
Q (C3216, meter MQ): 2022 100 a month; 2023 January to June 90 a month, no data after.
  Year on year over the months with data in both years only: 6 × 90 / (6 × 100) − 1 = −0.1 over 6 months (the
  whole years would give 540 / 1,200 − 1 = −0.55). Declining run January to June: alerts March to June; no
  2021 data, so nothing carries into January.
T (C3011, meter MT, held from 15 January 2023): 500 kWh each month of 2023. January's total goes to the holder
  on the month's last day, T (nobody holds MT on 1 January): 12 × 500 = 6,000 kWh, a full year (§3).
U (C3216, meter MU): 100 kWh a month in 2022 and 2023; value added 10 (10k CNY) in 2022, only revenue 20 in
  2023: different bases (§5). intensity = 1,200 × 0.6096 / 1000 / 20 = 0.036576; intensity_prev, reduction_t
  and the reduction aspect null; flags intensity_basis_revenue and basis_changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ECONOMICS, ENTERPRISES, METERS, MONTHLY, credit_code, write_table
from numpy.testing import assert_allclose

from dianta.accounts.compute import compute_year, stale_accounts
from dianta.errors import StoreError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store

P, Q, T, U = (credit_code(i) for i in (11, 12, 13, 14))


def _months(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


def _batch(folder: Path) -> Path:
    write_table(folder, "enterprises", ENTERPRISES, [(P, "甲", "C3216", "630100", None, None),
                                                     (Q, "乙", "C3216", "630100", None, None),
                                                     (T, "丙", "C3011", "630100", None, None),
                                                     (U, "丁", "C3216", "630100", None, None)])
    write_table(folder, "meters", METERS, [("MP", P, None, None), ("MQ", Q, None, None),
                                           ("MT", T, "2023-01-15", None), ("MU", U, None, None)])
    rows = [("MP", "2021-11", 100), ("MP", "2021-12", 100)]
    rows += [("MP", m, 90 if m >= "2022-11" else 100) for m in _months(2022)]
    rows += [("MP", m, 95 if m == "2023-01" else 100) for m in _months(2023)]
    rows += [("MQ", m, 100) for m in _months(2022)] + [("MQ", m, 90) for m in _months(2023)[:6]]
    rows += [("MT", m, 500) for m in _months(2023)]
    rows += [("MU", m, 100) for m in _months(2022) + _months(2023)]
    write_table(folder, "consumption_monthly", MONTHLY, rows)
    write_table(folder, "economics", ECONOMICS, [(P, 2022, 1000, None), (P, 2023, 1000, None),
                                                 (Q, 2022, 100, None), (Q, 2023, 100, None),
                                                 (T, 2023, 100, None), (U, 2022, 10, None), (U, 2023, None, 20)])
    return folder


@pytest.fixture
def loaded(tmp_path: Path) -> Store:
    store = Store(tmp_path / "store")
    result = ingest_batch(store, _batch(tmp_path / "batch"))
    assert result.status == "applied", result.findings
    return store


@pytest.fixture(scope="module")
def acc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("method")
    store = Store(root / "store")
    assert ingest_batch(store, _batch(root / "batch")).status == "applied"
    return {r["credit_code"]: r for r in compute_year(store, 2023).records}


def test_a_declining_run_may_begin_in_the_previous_year(acc: dict[str, dict]):
    assert acc[P]["alerts"] == [{"code": "sustained_decline", "month": "2023-01"}]
    assert acc[Q]["alerts"] == [{"code": "sustained_decline", "month": f"2023-{m:02d}"} for m in (3, 4, 5, 6)]


def test_year_on_year_over_comparable_months(acc: dict[str, dict]):
    assert_allclose(acc[Q]["electricity"]["year_on_year"], -0.1)
    assert acc[Q]["electricity"]["year_on_year_months"] == 6
    # P: (95 + 11 × 100) / (10 × 100 + 2 × 90) − 1 = 1,195 / 1,180 − 1 over 12 months
    assert_allclose(acc[P]["electricity"]["year_on_year"], 1195 / 1180 - 1)
    assert acc[P]["electricity"]["year_on_year_months"] == 12
    assert acc[T]["electricity"]["year_on_year"] is None and acc[T]["electricity"]["year_on_year_months"] == 0


def test_a_monthly_total_goes_to_the_holder_on_its_last_day(acc: dict[str, dict]):
    assert acc[T]["kwh_grid"] == 6000 and acc[T]["electricity"]["monthly_kwh"][0] == 500
    assert "partial_year" not in acc[T]["flags"]


def test_the_enterprise_s_monthly_data_follow_the_same_rule(loaded: Store):
    from dianta.accounts.query import enterprise_monthly

    # T's monthly data of 2023 (what the API's …/monthly shows): January too, held by T on its last day
    rows = enterprise_monthly(loaded, credit_code=T, year=2023)
    assert [r["month"] for r in rows] == _months(2023) and sum(r["kwh"] for r in rows) == 6000


def test_a_change_of_basis_is_not_compared(acc: dict[str, dict]):
    u = acc[U]
    assert u["flags"] == ["intensity_basis_revenue", "basis_changed"]
    assert_allclose(u["intensity"], 0.036576)
    assert u["intensity_prev"] is None and u["reduction_t"] is None and u["aspect_scores"]["reduction"] is None
    # the same basis in both years compares as before: Q 2023 540 × 0.6096 / 1000 / 100 = 0.0032918, 2022 with
    # 2023 factors 1,200 × 0.6096 / 1000 / 100 = 0.0073152; reduction (0.0073152 − 0.0032918) × 100 = 0.402336 t
    assert "basis_changed" not in acc[Q]["flags"]
    assert_allclose([acc[Q]["intensity_prev"], acc[Q]["reduction_t"]], [0.0073152, 0.402336])


def test_a_correction_two_years_back_marks_the_account(loaded: Store, tmp_path: Path):
    compute_year(loaded, 2023)
    # P's December 2021 was 80, not 100: December 2022 (90) is no longer below it, the run no longer reaches 2023
    write_table(tmp_path / "fix", "consumption_monthly", MONTHLY, [("MP", "2021-12", 80)])
    assert ingest_batch(loaded, tmp_path / "fix", reason="re-read").counts["consumption_monthly"].corrected == 1
    assert (P, 2023) in stale_accounts(loaded)
    inc = compute_year(loaded, 2023, incremental=True)
    assert inc.mode == "incremental"
    assert next(r for r in inc.records if r["credit_code"] == P)["alerts"] == []


def test_a_monthly_total_that_lost_its_holder_is_never_dropped(loaded: Store, tmp_path: Path):
    # MT's period corrected to end on 30 November: December's total (500 kWh) is held on neither 1 nor 31
    # December. Compute refuses (naming meter and month) rather than leave it out of T's account
    write_table(tmp_path / "fix", "meters", METERS, [("MT", T, "2023-01-15", "2023-11-30")])
    assert ingest_batch(loaded, tmp_path / "fix", reason="moved out").counts["meters"].corrected == 1
    with pytest.raises(StoreError) as info:
        compute_year(loaded, 2023)
    assert "MT 2023-12" in str(info.value) and "MT 2023-12" in str(info.value.message_zh)
