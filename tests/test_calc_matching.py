"""METHODOLOGY.md §7 worked examples and properties."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dianta.calc import matching


def test_surplus_never_moves_between_hours():
    # load 40, 40, 40; green 100, 0, 20 -> matched 40 + 0 + 20 = 60 of 120 = 0.5, although annual green 120 ≥ 120
    load = np.array([40.0, 40, 40])
    green = np.array([100.0, 0, 20])
    m = matching.matched_kwh(load, green)
    assert_allclose(m, [40, 0, 20])
    assert_allclose(matching.cfe_score(m.sum(), load.sum()), 0.5)


def test_contract_share():
    assert_allclose(matching.share_of_contract([300, 100, 0], [400, 400, 0]), [0.75, 0.25, 0.0])


@given(st.lists(st.tuples(st.floats(0, 1e6, allow_subnormal=False), st.floats(0, 1e6, allow_subnormal=False)),
                min_size=1, max_size=50))
def test_cfe_is_a_fraction_and_at_most_annual_share(pairs):
    load = np.array([p[0] for p in pairs])
    green = np.array([p[1] for p in pairs])
    score = matching.cfe_score(matching.matched_kwh(load, green).sum(), load.sum())
    assert 0.0 <= score <= 1.0 + 1e-12
    # never above annual matching: score × ΣL ≤ ΣG
    assert score * load.sum() <= green.sum() * (1 + 1e-9) + 1e-300


def test_hourly_market_emissions_worked_example():
    """GREEN-POWER.md §9b: U_March = 1,000 kWh (1,000 load at 20:00 with no supply; 12:00 fully matched).
    No certificate: R = 1,000 -> 0.6096 t. 1 MWh of March: R = 0 -> 0 t, 1,000 matched. 1 MWh of February:
    min(U_Feb = 0, 1,000) = 0 matched, R_March = 1,000 -> 0.6096 t. A NaN row (no interval data) stays NaN."""
    u = np.zeros((4, 12))
    u[:3, 2] = matching.unmatched_kwh(2000.0, 1000.0)
    u[3] = np.nan
    cert = np.zeros((4, 12))
    cert[1, 2] = cert[2, 1] = 1000.0
    ef = np.full(4, 0.6096)
    assert_allclose(matching.hourly_market_emissions_t(u, cert, ef), [0.6096, 0.0, 0.6096, np.nan])
    assert_allclose(matching.certificate_matched_kwh(u, cert), [0.0, 1000.0, 0.0, np.nan])


@given(st.lists(st.tuples(st.floats(0, 1e6, allow_subnormal=False), st.floats(0, 1e6, allow_subnormal=False),
                          st.floats(0, 1e6, allow_subnormal=False)), min_size=12, max_size=12))
def test_certificates_split_unmatched_load_into_matched_and_remaining(rows):
    """Σ_m min(U_m, C_m) + Σ_m R_m = Σ_m U_m, and R never exceeds U (GREEN-POWER.md §9b)."""
    load, matched, cert = (np.array([r[i] for r in rows]) for i in range(3))
    u = matching.unmatched_kwh(load, np.minimum(matched, load))
    remaining_t = matching.hourly_market_emissions_t(u[None], cert[None], np.array([1000.0]))
    assert (u >= 0).all()
    assert_allclose(matching.certificate_matched_kwh(u[None], cert[None]) + remaining_t, u.sum(), rtol=1e-9)
    assert remaining_t[0] <= u.sum() * (1 + 1e-12)
