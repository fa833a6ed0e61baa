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
