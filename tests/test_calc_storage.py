"""GREEN-POWER.md §9c: a supplier's storage in green and grid pools, worked by hand and as properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from dianta.calc.storage import round_trip_efficiency, storage_flows


def test_worked_example_five_hours():
    """One supplier, five hours:

    hour        0    1    2    3    4
    generation  0    6    0    0    5
    charge      0    4    6    0    0
    discharge   1    0    0    5    3
    η = Σ discharged / Σ charged = 9 / 10 = 0.9

    h0: the pools are empty: the 1 kWh discharged is beyond them, all grid; supply 0.
    h1: charge 4 ≤ generation 6: all green; green pool 4 × 0.9 = 3.6; supply 6 − 4 = 2.
    h2: no generation: the 6 kWh charged are grid; grid pool 6 × 0.9 = 5.4; supply 0.
    h3: pools 3.6 + 5.4 = 9.0, green share 3.6 / 9 = 0.4: discharge 5 → green 2.0, grid 3.0;
        pools 1.6 and 2.4; supply 0 − 0 + 2.0 = 2.0.
    h4: pools 1.6 + 2.4 = 4.0, green share 0.4: discharge 3 → green 1.2, grid 1.8; pools 0.4 and 0.6;
        supply 5 − 0 + 1.2 = 6.2.
    Check: pools at the end 1.0 = 0.9 × 10 − (5 + 3) taken from them.
    """
    f = storage_flows([[0, 6, 0, 0, 5]], [[0, 4, 6, 0, 0]], [[1, 0, 0, 5, 3]])
    assert_allclose(f.efficiency, [0.9])
    assert f.efficiency_capped.tolist() == [False]
    assert_allclose(f.kwh_green_charged, [[0, 4, 0, 0, 0]])
    assert_allclose(f.kwh_green_discharged, [[0, 0, 0, 2.0, 1.2]], atol=1e-12)
    assert_allclose(f.kwh_grid_discharged, [[1, 0, 0, 3.0, 1.8]], atol=1e-12)
    assert_allclose(f.kwh_green_pool, [[0, 3.6, 3.6, 1.6, 0.4]], atol=1e-12)
    assert_allclose(f.kwh_grid_pool, [[0, 0, 5.4, 2.4, 0.6]], atol=1e-12)
    assert_allclose(f.kwh_green_supply, [[0, 2, 0, 2.0, 6.2]], atol=1e-12)


def test_suppliers_side_by_side_and_efficiency_capped():
    """Three suppliers in one call:
    A: the worked example above (η 0.9).
    B: charges nothing, discharges nothing: η = 1, supply = generation (3, 3, 3, 3, 3).
    C: generation 2 at h0, charge 2 at h0, discharge 3 at h4: the data say η = 3 / 2 = 1.5 → capped at 1;
       green pool 2 × 1 = 2 until h4, then 2 green (all of the pool) and 1 beyond the pools, grid.
       Supply: h0 2 − 2 = 0, h4 0 + 2 = 2.
    """
    f = storage_flows([[0, 6, 0, 0, 5], [3] * 5, [2, 0, 0, 0, 0]],
                      [[0, 4, 6, 0, 0], [0] * 5, [2, 0, 0, 0, 0]],
                      [[1, 0, 0, 5, 3], [0] * 5, [0, 0, 0, 0, 3]])
    assert_allclose(f.efficiency, [0.9, 1.0, 1.0])
    assert f.efficiency_capped.tolist() == [False, False, True]
    assert_allclose(f.kwh_green_supply, [[0, 2, 0, 2.0, 6.2], [3] * 5, [0, 0, 0, 0, 2]], atol=1e-12)
    assert_allclose(f.kwh_grid_discharged[2], [0, 0, 0, 0, 1])
    assert_allclose(f.kwh_green_pool[2], [2, 2, 2, 2, 0])


def test_round_trip_efficiency_scalar_and_array():
    # 850 / 1000 = 0.85; nothing charged → 1; 1200 / 1000 = 1.2 → 1, capped
    eta, capped = round_trip_efficiency([1000, 0, 1000], [850, 0, 1200])
    assert_allclose(eta, [0.85, 1.0, 1.0])
    assert capped.tolist() == [False, False, True]
    eta1, capped1 = round_trip_efficiency(1000, 850)
    assert float(eta1) == pytest.approx(0.85) and not bool(capped1)


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="one shape"):
        storage_flows([[1, 2]], [[1, 2, 3]], [[0, 0, 0]])


# -- properties ----------------------------------------------------------------------------------------------
kwh_values = st.one_of(st.just(0.0), st.floats(0, 1_000, allow_nan=False, allow_infinity=False))


@st.composite
def series(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generation, charge and discharge of 1–3 suppliers over 1–48 hours [kWh]."""
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 48)))
    return tuple(draw(hnp.arrays(np.float64, shape, elements=kwh_values)) for _ in range(3))  # type: ignore[return-value]


PROPS = settings(max_examples=150, deadline=None)
TOL = 1e-9 * 1_000 * 48  # rounding of sums of up to 48 hours of up to 1,000 kWh


@PROPS
@given(series())
def test_grid_charging_never_becomes_green(s):
    _, c, d = s
    f = storage_flows(np.zeros_like(c), c, d)
    assert_array_equal(f.kwh_green_supply, 0.0)
    assert_array_equal(f.kwh_green_discharged, 0.0)
    assert_array_equal(f.kwh_green_pool, 0.0)


@PROPS
@given(series())
def test_green_discharged_never_exceeds_efficiency_times_green_charged(s):
    f = storage_flows(*s)
    limit = f.efficiency[:, None] * np.cumsum(f.kwh_green_charged, axis=1)
    assert np.all(np.cumsum(f.kwh_green_discharged, axis=1) <= limit + TOL)


@PROPS
@given(series())
def test_green_supply_between_zero_and_generation_plus_green_discharge(s):
    gen, c, _ = s
    f = storage_flows(*s)
    assert np.all(f.kwh_green_supply >= -TOL)
    assert np.all(f.kwh_green_supply <= gen + f.kwh_green_discharged + TOL)
    assert np.all(f.kwh_green_charged <= np.minimum(gen, c))
    assert np.all((f.efficiency >= 0) & (f.efficiency <= 1))


@PROPS
@given(series())
def test_pools_conserve_energy(s):
    """Each hour: green pool = previous + η·c_green − d_green; grid pool = previous + η·c_grid − (d_grid −
    beyond), where ``beyond`` ≥ 0 is discharge beyond the pools, possible only when both end the hour empty;
    d_green + d_grid = d; pools ≥ 0."""
    _, c, d = s
    f = storage_flows(*s)
    eta = f.efficiency[:, None]
    prev_green = np.concatenate([np.zeros((c.shape[0], 1)), f.kwh_green_pool[:, :-1]], axis=1)
    prev_grid = np.concatenate([np.zeros((c.shape[0], 1)), f.kwh_grid_pool[:, :-1]], axis=1)
    assert_allclose(f.kwh_green_pool, prev_green + eta * f.kwh_green_charged - f.kwh_green_discharged, atol=TOL)
    beyond = f.kwh_grid_discharged - (prev_grid + eta * (c - f.kwh_green_charged) - f.kwh_grid_pool)
    assert np.all(beyond >= -TOL)
    assert np.all((beyond <= TOL) | ((f.kwh_green_pool <= TOL) & (f.kwh_grid_pool <= TOL)))
    assert_allclose(f.kwh_green_discharged + f.kwh_grid_discharged, d, atol=TOL)
    assert np.all(f.kwh_green_pool >= 0) and np.all(f.kwh_grid_pool >= 0)


@PROPS
@given(series())
def test_each_supplier_as_if_alone(s):
    """The vector over suppliers changes nothing: each row equals the supplier computed on its own."""
    f = storage_flows(*s)
    for i in range(s[0].shape[0]):
        one = storage_flows(*(a[i:i + 1] for a in s))
        assert_array_equal(one.kwh_green_supply[0], f.kwh_green_supply[i])
        assert_array_equal(one.kwh_green_pool[0], f.kwh_green_pool[i])
