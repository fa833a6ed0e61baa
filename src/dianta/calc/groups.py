"""Group figures over accounts (programme statistics, METHODOLOGY.md §8, and bank portfolios): sums and the
group's own ratios Σ/Σ — the kWh-weighted green share and the aggregate intensity — never a mean of ratios.

Members come as columns (one element per account) with a group number each (:func:`group_index`); results have
one element per group. Sums add the members in their order, so a group's figure equals the running total.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
I = NDArray[np.intp]  # noqa: E741 - the group numbers


def group_index(keys: Sequence[str]) -> tuple[list[str], I]:
    """The distinct group keys, sorted, and each member's group number (its key's position)."""
    labels, index = np.unique(np.asarray(keys, dtype=str), return_inverse=True)
    return [str(k) for k in labels], index.reshape(-1).astype(np.intp)


def group_sum(index: I, n_groups: int, values: ArrayLike) -> F:
    """Σ ``values`` [their unit] per group; a NaN member adds nothing."""
    v = np.asarray(values, dtype=float)
    return np.bincount(index, weights=np.where(np.isnan(v), 0.0, v), minlength=n_groups).astype(float)


def group_green_share(index: I, n_groups: int, kwh_green: ArrayLike, kwh_total: ArrayLike) -> F:
    """The group's kWh-weighted green share ``Σ E_green / Σ E_total`` [fraction 0–1] (§5 indicator 5 over the
    group, §8); NaN for a group without electricity (Σ E_total = 0)."""
    g, t = group_sum(index, n_groups, kwh_green), group_sum(index, n_groups, kwh_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(t == 0, np.nan, g / np.where(t == 0, 1.0, t))


def group_intensity(index: I, n_groups: int, emissions_t: ArrayLike, value_10k_cny: ArrayLike) -> F:
    """The group's aggregate intensity ``Σ C / Σ V`` [tCO2 per 10k CNY] over the members with a positive value
    V and known emissions C (§5 indicator 2 over the group); NaN for a group with no such member."""
    e = np.asarray(emissions_t, dtype=float)
    v = np.asarray(value_10k_cny, dtype=float)
    member = (v > 0) & ~np.isnan(e)
    c_sum = group_sum(index, n_groups, np.where(member, e, 0.0))
    v_sum = group_sum(index, n_groups, np.where(member, v, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v_sum == 0, np.nan, c_sum / np.where(v_sum == 0, 1.0, v_sum))
