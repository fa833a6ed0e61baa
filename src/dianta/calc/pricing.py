"""Loan pricing with the account and the interest it saves (METHODOLOGY.md §8 "Loan pricing")."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
#: basis points in one percentage point
BP_PER_PCT = 100.0
#: the day-count basis of §8: interest saved uses days / 360
DAY_BASIS = 360.0


def rate_discount_bp(grade_bp: ArrayLike, score: ArrayLike, *, score_base: float | None, bp_per_point: float,
                     cap_bp: float) -> F:
    """A bank policy's rate discount [bp] (§8): the grade's discount plus ``bp_per_point`` for each score
    point above ``score_base`` (none without a base or a score), at most ``cap_bp``; never negative."""
    g = np.asarray(grade_bp, dtype=float)
    s = np.asarray(score, dtype=float)
    linked = np.zeros_like(g) if score_base is None else np.where(np.isnan(s), 0.0,
                                                                   np.maximum(s - score_base, 0.0) * bp_per_point)
    return np.clip(g + linked, 0.0, cap_bp)


def final_rate_pct(base_rate_pct: ArrayLike, discount_bp: ArrayLike) -> F:
    """The rate after the discount [% a year]: ``base − discount / 100``, not below 0."""
    return np.maximum(np.asarray(base_rate_pct, dtype=float) - np.asarray(discount_bp, dtype=float) / BP_PER_PCT, 0.0)


def interest_saved_cny(outstanding_cny: ArrayLike, discount_bp: ArrayLike, days: ArrayLike) -> F:
    """Interest saved over a period [CNY] (§8): ``outstanding × discount × days / 360``, the discount in
    bp turned into a fraction (1 bp = 0.0001)."""
    o, d, n = (np.asarray(a, dtype=float) for a in (outstanding_cny, discount_bp, days))
    return o * d / 10_000.0 * n / DAY_BASIS
