"""METHODOLOGY.md §6 worked examples."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from dianta.calc import electricity


def test_alerts_sharp_drop_sustained_decline_stoppage():
    prev = np.full((1, 12), 100.0)
    cur = np.array([[100, 90, 95, 99, 100, 40, 100, 0, 100, 100, 100, np.nan]])
    a = electricity.credit_alerts(cur, prev, sharp_drop_ratio=0.5, sustained_decline_months=3)
    # June: 40 < 0.5 × 100; August: 0 < 50 and is a stoppage
    assert_array_equal(np.flatnonzero(a["sharp_drop"][0]), [5, 7])
    # Feb, Mar, Apr each below last year: the run completes in April (index 3); nothing else runs to 3
    assert_array_equal(np.flatnonzero(a["sustained_decline"][0]), [3])
    assert_array_equal(np.flatnonzero(a["stoppage"][0]), [7])


def test_missing_months_raise_no_alert():
    prev = np.array([[np.nan] * 12])
    cur = np.array([[0.0] + [np.nan] * 11])
    a = electricity.credit_alerts(cur, prev, sharp_drop_ratio=0.5, sustained_decline_months=3)
    assert not a["sharp_drop"].any() and not a["sustained_decline"].any()
    assert_array_equal(np.flatnonzero(a["stoppage"][0]), [0])  # a reported zero is a stoppage


def test_load_factor():
    # 96 readings summing 480 kWh: mean kW = 480 / (96 × 0.25 h) = 20 kW; peak 10 kWh in 15 min = 40 kW -> 0.5
    assert_allclose(electricity.load_factor(480, 96, 10), 0.5)
    assert_allclose(electricity.load_factor([480, 0], [96, 0], [10, np.nan]), [0.5, np.nan])


def test_operating_rate_linear_quantile():
    # days 0..9 ×10 kWh: 90th percentile (linear) = 81; threshold 0.3 × 81 = 24.3 -> days 30..90 count: 7 of 10
    assert_allclose(electricity.operating_rate(np.arange(10) * 10.0, threshold=0.3, quantile=0.9), 0.7)
    assert np.isnan(electricity.operating_rate([], threshold=0.3, quantile=0.9))


def test_time_of_use_periods_default_profile():
    p = electricity.time_of_use_period(np.arange(24), valley_hours=((9, 17),), peak_hours=((18, 23),))
    expected = ["flat", "flat", "valley", "valley", "flat", "peak", "peak", "flat"]
    assert list(p[[0, 8, 9, 16, 17, 18, 22, 23]]) == expected
    assert (p == "valley").sum() == 8 and (p == "peak").sum() == 5 and (p == "flat").sum() == 11


def test_changes():
    assert_allclose(electricity.year_on_year_change([1_140_000, 5], [1_200_000, 0]), [-0.05, np.nan])
    cur = np.array([[110.0] + [100.0] * 11])
    prev = np.array([[100.0] * 12])
    assert_allclose(electricity.month_on_month_change(cur, prev)[0, :2], [0.1, 100 / 110 - 1])


def test_peak_kw_is_the_largest_quarter_hour_times_four():
    # a largest 15-minute reading of 10 kWh is 40 kW; scalar and array alike; no interval data -> NaN
    assert_allclose(electricity.peak_kw(10), 40.0)
    assert_allclose(electricity.peak_kw([10, 2.5, np.nan]), [40.0, 10.0, np.nan])


def test_time_of_use_shares():
    # 30,000 + 50,000 + 20,000 kWh = 100,000: 0.3 / 0.5 / 0.2; no kWh in any period -> no shares (NaN)
    shares = electricity.time_of_use_shares([[30_000, 50_000, 20_000], [0, 0, 0], [0, 120, 0]])
    assert_allclose(shares, [[0.3, 0.5, 0.2], [np.nan] * 3, [0.0, 1.0, 0.0]])
    assert_allclose(electricity.time_of_use_shares([1, 1, 2]), [0.25, 0.25, 0.5])


def test_year_on_year_over_comparable_months_only():
    nan = np.nan
    # row 0: Y has Jan–Jun (6 × 100), Y−1 has Mar–Dec (10 × 120): comparable Mar–Jun only,
    #   4 × 100 / (4 × 120) − 1 = −1/6 (the whole years, 600 / 1,200 − 1 = −50 %, would be wrong);
    # row 1: no month in both years -> NaN over 0 months; row 2: Y−1 at 0 in the only comparable month -> NaN
    cur = np.array([[100.0] * 6 + [nan] * 6, [nan] * 6 + [50.0] * 6, [10.0] + [nan] * 11])
    prev = np.array([[nan] * 2 + [120.0] * 10, [80.0] * 6 + [nan] * 6, [0.0] * 12])
    change, months = electricity.year_on_year_comparable(cur, prev)
    assert_allclose(change, [400 / 480 - 1, nan, nan])
    assert_array_equal(months, [4, 0, 1])


def test_sustained_decline_may_begin_in_the_previous_year():
    nan = np.nan
    # Y−2 has November and December only (100 each); Y−1 is 100 a month but 90 in November and December;
    # Y: January 95, February 100, March 100.
    # row 0: Nov (90 < 100), Dec (90 < 100), Jan (95 < 100): a run of 3 completed in January; February ends it
    # row 1: the same without Y−2: Nov and Dec compare with nothing, January alone is a run of 1 -> no alert
    # row 2: only December below (Nov Y−1 = 100 is not below 100): Dec, Jan -> 2, February not below -> no alert
    prev2 = np.array([[nan] * 10 + [100.0, 100.0]] * 3)
    prev2[1] = nan
    prev = np.array([[100.0] * 10 + [90.0, 90.0]] * 3)
    prev[2, 10] = 100.0
    cur = np.array([[95.0, 100.0] + [100.0] * 10] * 3)
    a = electricity.credit_alerts(cur, prev, sharp_drop_ratio=0.5, sustained_decline_months=3,
                                  kwh_monthly_two_years_before=prev2)
    assert_array_equal(np.flatnonzero(a["sustained_decline"][0]), [0])
    assert not a["sustained_decline"][1:].any()
    # without the Y−2 argument (as before) no run carries
    assert not electricity.credit_alerts(cur, prev, sharp_drop_ratio=0.5, sustained_decline_months=3)[
        "sustained_decline"].any()
