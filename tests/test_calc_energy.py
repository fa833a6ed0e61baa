"""METHODOLOGY.md §3–§4 worked examples (hand-computed; the working is in the comments)."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from dianta.calc import energy


def test_meter_month_prefers_monthly_and_flags_mismatch():
    # monthly 1000, interval 1015: |15| <= 2 % of 1000 = 20 -> no flag, kWh = 1000
    # monthly 1000, interval 1030: |30| > 20 -> flag, kWh = 1000 (the monthly total is used)
    # monthly missing, interval 500 -> kWh = 500; both missing -> missing (NaN), never 0
    # monthly 0, interval 5 -> flag
    kwh, flag = energy.meter_month_kwh([1000, 1000, np.nan, np.nan, 0], [1015, 1030, 500, np.nan, 5], 0.02)
    assert_allclose(kwh, [1000, 1000, 500, np.nan, 0])
    assert_array_equal(flag, [False, True, False, False, True])


def test_contractual_green_is_capped_by_grid_on_annual_totals():
    # trades 200,000 + certificates 100 MWh = 300,000 kWh against 1,140,000 kWh grid: all counts
    # trades 900,000 + certificates 400,000 = 1,300,000 against 1,000,000: 1,000,000 counts, 300,000 excess
    contract, excess = energy.contractual_green_kwh([200_000, 900_000], energy.certificate_kwh([100, 400]),
                                                    [1_140_000, 1_000_000])
    assert_allclose(contract, [300_000, 1_000_000])
    assert_allclose(excess, [0, 300_000])


def test_location_and_market_emissions_scalar_and_array():
    # C_loc = 1,140,000 kWh × 0.5306 kg/kWh / 1000 = 604.884 t
    assert_allclose(energy.location_based_emissions_t(1_140_000, 0.5306), 604.884)
    # C_mkt = (1,140,000 − 300,000) × 0.6096 / 1000 = 512.064 t
    assert_allclose(energy.market_based_emissions_t(1_140_000, 300_000, 0.6096), 512.064)
    assert_allclose(energy.market_based_emissions_t([1_140_000, 100], [300_000, 100], [0.6096, 0.6096]),
                    [512.064, 0.0])
    assert_allclose(energy.total_consumption_kwh([960_000], [120_000]), [1_080_000])
