"""GREEN-POWER.md §11 pure functions: PUE, levels, and the trace (worked by hand and as properties)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from dianta.calc import matching
from dianta.calc.computing import certificate_trace_kwh, computing_level, hourly_trace_kwh, power_usage_effectiveness

LEVELS = {"a_min_cfe": 0.9, "b_min_cfe": 0.7, "c_min_cfe": 0.5, "annual_min_green_share": 1.0}


def test_pue_scalar_and_array():
    # 3,000 kWh for the site over 2,100 kWh of IT load: 3000 / 2100 = 1.428571…
    assert_allclose(power_usage_effectiveness(3000.0, 2100.0), 1.4285714285714286)
    assert_allclose(power_usage_effectiveness([3000.0, 1500.0, 10.0, 5.0], [2100.0, 1000.0, 0.0, np.nan]),
                    [1.4285714285714286, 1.5, np.nan, np.nan])


def test_levels_at_their_bounds():
    cfe = [0.95, 0.9, 0.8999, 0.7, 0.5, 0.4999, 0.2, np.nan, np.nan, 0.3]
    share = [0.1, 0.1, 1.0, 0.0, 0.0, 1.0, 0.99, 1.0, 0.5, 1.2]
    assert computing_level(cfe, share, **LEVELS).tolist() == ["A", "A", "B", "B", "C", "annual", "", "annual", "",
                                                              "annual"]


def test_hourly_trace_worked_example():
    """Three hours; sources on-site solar and contract GT (the worked example of test_green_computing.py):
    L = (1,000, 1,000, 1,000); on-site (600, 800, 0), GT (600, 300, 600); G = (1,200, 1,100, 600)
    matched (1,000, 1,000, 600): on-site 600×1000/1200 + 800×1000/1100 = 500 + 727.2727 = 1,227.2727;
    GT 600×1000/1200 + 300×1000/1100 + 600 = 500 + 272.7273 + 600 = 1,372.7273; Σ = 2,600."""
    trace = hourly_trace_kwh([1000, 1000, 1000], [[600, 600], [800, 300], [0, 600]])
    assert_allclose(trace, [500 + 8000 / 11, 500 + 3000 / 11 + 600])
    assert_allclose(trace.sum(), 2600)


def test_certificate_trace_by_month_and_plant():
    # U = (400, 0, 300); certificates (plant P, plant Q) by month: (1,000, 0), (500, 500), (100, 300)
    # month 1: min(400, 1,000) = 400 all P; month 2: nothing unmatched; month 3: min(300, 400) = 300 split
    # 100:300 -> P 75, Q 225. P = 475, Q = 225
    assert_allclose(certificate_trace_kwh([400, 0, 300], [[1000, 0], [500, 500], [100, 300]]), [475, 225])


finite = st.floats(0, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 48).flatmap(lambda h: st.tuples(
    arrays(float, h, elements=finite), arrays(float, (h, 3), elements=finite),
    st.integers(1, 4).flatmap(lambda m: st.tuples(st.just(m), arrays(float, (m, 2), elements=finite))))))
def test_trace_sums_to_matched_hourly_plus_certificates(case):
    """Σ trace = kwh_matched_hourly + kwh_cert_monthly_matched (GREEN-POWER.md §11), whatever the hours."""
    load, supply, (n_months, certs) = case
    month = np.arange(load.size) % n_months
    matched = matching.matched_kwh(load, supply.sum(axis=1))
    u = matching.unmatched_kwh(np.bincount(month, load, n_months), np.bincount(month, matched, n_months))
    hourly = hourly_trace_kwh(load, supply)
    monthly = certificate_trace_kwh(u, certs)
    assert (hourly >= 0).all() and (monthly >= 0).all()
    assert (hourly <= supply.sum(axis=0) * (1 + 1e-12) + 1e-9).all()  # never more than a source supplied
    expected = matched.sum() + matching.certificate_matched_kwh(u, certs.sum(axis=1))
    assert_allclose(hourly.sum() + monthly.sum(), expected, rtol=1e-9, atol=1e-6)
