"""Energy totals and emissions: METHODOLOGY.md §3 (inputs) and §4 (calculation)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def meter_month_kwh(
    monthly_kwh: ArrayLike, interval_sum_kwh: ArrayLike, tolerance: float
) -> tuple[F, NDArray[np.bool_]]:
    """Grid kWh of one meter in one month and the ``meter_mismatch`` flag (METHODOLOGY.md §3).

    Parameters
    ----------
    monthly_kwh : [kWh] the monthly total, NaN when absent.
    interval_sum_kwh : [kWh] the sum of the month's 15-minute readings, NaN when there are none.
    tolerance : [fraction] relative tolerance (profile ``meter_mismatch_tolerance``, default 0.02).

    Returns
    -------
    kwh : [kWh] the monthly total when present, else the interval sum; NaN when the month has no data.
    mismatch : True where both exist and ``|interval − monthly| > tolerance × monthly``, or monthly is 0
        and the interval sum is not.
    """
    monthly = np.asarray(monthly_kwh, dtype=float)
    interval = np.asarray(interval_sum_kwh, dtype=float)
    both = ~np.isnan(monthly) & ~np.isnan(interval)
    with np.errstate(invalid="ignore"):
        mismatch = both & (np.abs(interval - monthly) > tolerance * monthly)
        mismatch |= both & (monthly == 0) & (interval != 0)
    kwh = np.where(np.isnan(monthly), interval, monthly)
    return kwh, mismatch


def total_consumption_kwh(kwh_grid: ArrayLike, kwh_onsite: ArrayLike) -> F:
    """``E_total = E_grid + E_onsite`` [kWh] (METHODOLOGY.md §4)."""
    return np.asarray(kwh_grid, dtype=float) + np.asarray(kwh_onsite, dtype=float)


def contractual_green_kwh(kwh_trade: ArrayLike, kwh_cert: ArrayLike, kwh_grid: ArrayLike) -> tuple[F, F]:
    """Contractual green power and its unused excess [kWh] (METHODOLOGY.md §4).

    ``E_contract = min(E_trade + E_cert, E_grid)`` on the year's totals;
    ``excess = E_trade + E_cert − E_contract`` is reported, not used.
    """
    instruments = np.asarray(kwh_trade, dtype=float) + np.asarray(kwh_cert, dtype=float)
    contract = np.minimum(instruments, np.asarray(kwh_grid, dtype=float))
    return contract, instruments - contract


def certificate_kwh(mwh: ArrayLike) -> F:
    """Unbundled green certificates in kWh: ``Σ mwh × 1000`` (METHODOLOGY.md §3, 1 certificate = 1 MWh)."""
    return np.asarray(mwh, dtype=float) * 1000.0


def location_based_emissions_t(kwh_grid: ArrayLike, factor_kg_per_kwh: ArrayLike) -> F:
    """``C_loc = E_grid × EF_location / 1000`` [tCO2] (METHODOLOGY.md §4; GHG Protocol Scope 2, location-based)."""
    return np.asarray(kwh_grid, dtype=float) * np.asarray(factor_kg_per_kwh, dtype=float) / 1000.0


def market_based_emissions_t(kwh_grid: ArrayLike, kwh_contract: ArrayLike, residual_kg_per_kwh: ArrayLike) -> F:
    """``C_mkt = (E_grid − E_contract) × EF_residual / 1000`` [tCO2] (METHODOLOGY.md §4; GHG Protocol Scope 2
    Guidance ch. 6, market-based: power not covered by a green instrument takes the residual mix)."""
    uncovered = np.asarray(kwh_grid, dtype=float) - np.asarray(kwh_contract, dtype=float)
    return uncovered * np.asarray(residual_kg_per_kwh, dtype=float) / 1000.0
