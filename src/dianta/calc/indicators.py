"""The six indicators (六项碳账户指标) of METHODOLOGY.md §5."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def carbon_intensity(emissions_t: ArrayLike, value_10k_cny: ArrayLike) -> F:
    """Indicator 2, ``intensity = emissions_t / V`` [tCO2 per 10k CNY]; NaN when V is missing or 0 (§5)."""
    e = np.asarray(emissions_t, dtype=float)
    v = np.asarray(value_10k_cny, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((v == 0) | np.isnan(v), np.nan, e / np.where(v == 0, 1.0, v))


def carbon_reduction_t(intensity_prev: ArrayLike, intensity: ArrayLike, value_10k_cny: ArrayLike) -> F:
    """Indicator 3, ``reduction_t = (intensity_prev − intensity) × V`` [tCO2]; positive = reduced (§5).

    ``intensity_prev`` is year Y−1's intensity recomputed with year Y's factors and profile; NaN in any
    input gives NaN (no previous-year account, or a null intensity).
    """
    return (np.asarray(intensity_prev, dtype=float) - np.asarray(intensity, dtype=float)) * np.asarray(
        value_10k_cny, dtype=float)


def green_share(kwh_green: ArrayLike, kwh_total: ArrayLike) -> F:
    """Indicator 5, ``green_share = E_green / E_total`` [fraction 0–1]; 0 when ``E_total = 0`` (§5)."""
    g = np.asarray(kwh_green, dtype=float)
    t = np.asarray(kwh_total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, g / np.where(t == 0, 1.0, t))


def green_reduction_t(kwh_green: ArrayLike, location_factor_kg_per_kwh: ArrayLike) -> F:
    """Indicator 6, carbon avoided by green power ``E_green × EF_location / 1000`` [tCO2] (§5)."""
    return np.asarray(kwh_green, dtype=float) * np.asarray(location_factor_kg_per_kwh, dtype=float) / 1000.0
