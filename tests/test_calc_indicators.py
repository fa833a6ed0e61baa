"""METHODOLOGY.md §5 worked examples."""

import numpy as np
from numpy.testing import assert_allclose

from dianta.calc import indicators


def test_intensity_null_without_value():
    # 512.064 t / 1000 (10k CNY) = 0.512064 t per 10k CNY; V missing or 0 -> null
    assert_allclose(indicators.carbon_intensity([512.064, 5, 5], [1000, 0, np.nan]), [0.512064, np.nan, np.nan])


def test_reduction_uses_previous_intensity_and_current_value():
    # (0.73152 − 0.512064) × 1000 = 219.456 t reduced; no previous year -> null
    assert_allclose(indicators.carbon_reduction_t([0.73152, np.nan], [0.512064, 0.5], [1000, 1000]),
                    [219.456, np.nan])


def test_green_share_and_green_reduction():
    # 300,000 / 1,140,000 = 0.263157...; E_total = 0 -> 0
    assert_allclose(indicators.green_share([300_000, 0], [1_140_000, 0]), [300_000 / 1_140_000, 0.0])
    # 300,000 kWh × 0.5306 / 1000 = 159.18 t avoided
    assert_allclose(indicators.green_reduction_t(300_000, 0.5306), 159.18)
