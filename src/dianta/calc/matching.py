"""Hourly matching of load with green supply (carbon-free energy score), METHODOLOGY.md §7."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]


def matched_kwh(load_kwh: ArrayLike, green_kwh: ArrayLike) -> F:
    """Green energy matched in each hour, ``min(L_h, G_h)`` [kWh]; surplus never moves to another hour (§7)."""
    return np.minimum(np.asarray(load_kwh, dtype=float), np.asarray(green_kwh, dtype=float))


def cfe_score(matched_kwh_sum: ArrayLike, load_kwh_sum: ArrayLike) -> F:
    """``cfe_score = Σ_h min(L_h, G_h) / Σ_h L_h`` [fraction 0–1] over the year (METHODOLOGY.md §7).

    NaN where the enterprise has no complete interval data (NaN sums); 0 when the load sums to 0,
    as ``green_share`` is 0 when ``E_total = 0``.
    """
    m = np.asarray(matched_kwh_sum, dtype=float)
    load = np.asarray(load_kwh_sum, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(load == 0, 0.0, m / np.where(load == 0, 1.0, load))


def share_of_contract(settled_kwh: ArrayLike, contract_month_total_kwh: ArrayLike) -> F:
    """An enterprise's share of a green-trade contract's hourly profile in a month [fraction] (§7):
    its settled kWh over all enterprises' settled kWh of that contract and month."""
    s = np.asarray(settled_kwh, dtype=float)
    t = np.asarray(contract_month_total_kwh, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, 0.0, s / np.where(t == 0, 1.0, t))


def unmatched_kwh(load_kwh_sum: ArrayLike, matched_kwh_sum: ArrayLike) -> F:
    """Load not met by green supply in the same hour, summed over hours: ``U = Σ_h max(L_h − G_h, 0)
    = Σ_h L_h − Σ_h min(L_h, G_h)`` [kWh] (GREEN-POWER.md §9b; a month's sums give ``U_m``). Floored at 0
    against rounding of the two sums; NaN stays NaN (no complete interval data)."""
    return np.maximum(np.asarray(load_kwh_sum, dtype=float) - np.asarray(matched_kwh_sum, dtype=float), 0.0)


def certificate_matched_kwh(unmatched_monthly_kwh: ArrayLike, certificate_monthly_kwh: ArrayLike) -> F:
    """``Σ_m min(U_m, C_m)`` [kWh] over the last axis (months): unbundled certificates covering the load left
    unmatched in their production month (GREEN-POWER.md §9b) [platform rule]."""
    u = np.asarray(unmatched_monthly_kwh, dtype=float)
    return np.minimum(u, np.asarray(certificate_monthly_kwh, dtype=float)).sum(axis=-1)


def hourly_market_emissions_t(unmatched_monthly_kwh: ArrayLike, certificate_monthly_kwh: ArrayLike,
                              residual_kg_per_kwh: ArrayLike) -> F:
    """Hourly market-based emissions [tCO2] (GREEN-POWER.md §9b): ``R_m = max(U_m − C_m, 0)``,
    ``Σ_m R_m × EF_residual / 1000``. ``unmatched_monthly_kwh`` and ``certificate_monthly_kwh``: ``(n, 12)``
    kWh of each month (NaN rows: no complete interval data → NaN); ``residual_kg_per_kwh``: ``(n,)``."""
    u = np.asarray(unmatched_monthly_kwh, dtype=float)
    remaining = np.maximum(u - np.asarray(certificate_monthly_kwh, dtype=float), 0.0)
    return remaining.sum(axis=-1) * np.asarray(residual_kg_per_kwh, dtype=float) / 1000.0
