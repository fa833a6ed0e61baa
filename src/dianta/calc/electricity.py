"""Electricity analysis model (电能分析模型), METHODOLOGY.md §6.

Monthly arrays are shaped ``(n_enterprises, 12)`` (January … December) with NaN for a month without
data; missing months never raise an alert.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
B = NDArray[np.bool_]

#: Alert codes of §6, in the order they are reported.
ALERT_CODES = ("sharp_drop", "sustained_decline", "stoppage")

#: §6: a run of declining months may begin in the previous year from this month on: "November and December of
#: Y−1 against Y−2 count towards January and February of Y" (so year Y's alerts read Y−2's months from it).
DECLINE_CARRY_FROM_MONTH = 11


def year_on_year_change(kwh: ArrayLike, kwh_prev_year: ArrayLike) -> F:
    """Year-on-year change ``kwh / kwh_prev_year − 1`` [fraction]; NaN when the earlier value is missing or 0."""
    a = np.asarray(kwh, dtype=float)
    b = np.asarray(kwh_prev_year, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((b == 0) | np.isnan(b), np.nan, a / np.where(b == 0, 1.0, b) - 1.0)


def year_on_year_comparable(kwh_monthly: ArrayLike, kwh_monthly_prev_year: ArrayLike) -> tuple[F, NDArray[np.int64]]:
    """Year-on-year change of the year's grid electricity over comparable months only (METHODOLOGY.md §6).

    Parameters
    ----------
    kwh_monthly, kwh_monthly_prev_year : [kWh] ``(n, 12)`` grid kWh of year Y and Y−1, NaN when missing.

    Returns
    -------
    ``(change, months)``: ``Σ kwh / Σ kwh_prev_year − 1`` [fraction] summed over the months with data in both
    years (NaN when there is none or the earlier sum is 0), and how many such months there are [count].
    """
    cur = np.asarray(kwh_monthly, dtype=float)
    prev = np.asarray(kwh_monthly_prev_year, dtype=float)
    both = ~np.isnan(cur) & ~np.isnan(prev)
    # no comparable month: both sums are 0, and a zero earlier sum gives NaN
    change = year_on_year_change(np.where(both, cur, 0.0).sum(axis=-1), np.where(both, prev, 0.0).sum(axis=-1))
    return change, both.sum(axis=-1).astype(np.int64)


def month_on_month_change(kwh_monthly: ArrayLike, kwh_monthly_prev_year: ArrayLike) -> F:
    """Month-on-month change [fraction] of ``(n, 12)`` monthly kWh; January compares with last December."""
    cur = np.asarray(kwh_monthly, dtype=float)
    prev = np.asarray(kwh_monthly_prev_year, dtype=float)
    before = np.concatenate([prev[..., 11:12], cur[..., :11]], axis=-1)
    return year_on_year_change(cur, before)


def credit_alerts(kwh_monthly: ArrayLike, kwh_monthly_prev_year: ArrayLike, *, sharp_drop_ratio: float,
                  sustained_decline_months: int, kwh_monthly_two_years_before: ArrayLike | None = None
                  ) -> dict[str, B]:
    """Credit-risk alerts per enterprise and month of the year (METHODOLOGY.md §6).

    Parameters
    ----------
    kwh_monthly, kwh_monthly_prev_year : [kWh] ``(n, 12)`` grid kWh of year Y and Y−1, NaN when missing.
    sharp_drop_ratio : [fraction] ``sharp_drop`` when a month is below ratio × the same month last year (0.5).
    sustained_decline_months : ``sustained_decline`` in a month of year Y that completes a run of this many
        consecutive months each below the same month a year earlier (3).
    kwh_monthly_two_years_before : [kWh] ``(n, 12)`` grid kWh of year Y−2 (NaN when missing; None: none): a run
        may begin in year Y−1, its months compared with Y−2 (November and December of Y−1 count towards
        January and February of Y).

    Returns
    -------
    ``{code: (n, 12) bool}`` for ``sharp_drop``, ``sustained_decline`` and ``stoppage`` (a month at 0 kWh).
    """
    cur = np.asarray(kwh_monthly, dtype=float)
    prev = np.asarray(kwh_monthly_prev_year, dtype=float)
    prev2 = np.full(prev.shape, np.nan) if kwh_monthly_two_years_before is None else np.asarray(
        kwh_monthly_two_years_before, dtype=float)
    with np.errstate(invalid="ignore"):
        sharp = cur < sharp_drop_ratio * prev
        # Y−1 against Y−2, then Y against Y−1: 24 consecutive months (NaN compares False: a missing month
        # ends a run)
        below = np.concatenate([prev < prev2, cur < prev], axis=-1)
    run = np.zeros(below.shape, dtype=int)
    for m in range(below.shape[-1]):
        run[..., m] = np.where(below[..., m], (run[..., m - 1] if m else 0) + 1, 0)
    return {
        "sharp_drop": sharp,
        "sustained_decline": run[..., 12:] >= sustained_decline_months,
        "stoppage": cur == 0,
    }


def peak_kw(peak_interval_kwh: ArrayLike) -> F:
    """Peak load [kW] = the largest 15-minute kWh [kWh] × 4 (METHODOLOGY.md §6); NaN without interval data."""
    return np.asarray(peak_interval_kwh, dtype=float) * 4.0


def load_factor(kwh_sum: ArrayLike, n_intervals: ArrayLike, peak_interval_kwh: ArrayLike) -> F:
    """Load factor = mean kW / peak kW [fraction] (METHODOLOGY.md §6).

    mean kW = ``kwh_sum / (n_intervals × 0.25 h)``; peak kW = the largest 15-minute kWh × 4. NaN without
    interval data or with a zero peak.
    """
    s = np.asarray(kwh_sum, dtype=float)
    n = np.asarray(n_intervals, dtype=float)
    peak = peak_kw(peak_interval_kwh)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_kw = s / (n * 0.25)
        return np.where((n > 0) & (peak > 0), mean_kw / np.where(peak > 0, peak, 1.0), np.nan)


def operating_rate(day_kwh: ArrayLike, *, threshold: float, quantile: float) -> float:
    """Operating rate [fraction]: share of days with data whose kWh ≥ ``threshold`` × the enterprise's
    ``quantile`` day (linear interpolation), METHODOLOGY.md §6 (defaults 0.3 and 0.9). NaN with no day."""
    days = np.asarray(day_kwh, dtype=float)
    if days.size == 0:
        return float("nan")
    q = np.quantile(days, quantile, method="linear")
    return float(np.mean(days >= threshold * q))


def time_of_use_shares(kwh_by_period: ArrayLike) -> F:
    """Time-of-use shares [fraction] of ``(n, 3)`` kWh of the peak, flat and valley periods [kWh]
    (METHODOLOGY.md §6): each period's kWh over their sum; a row of NaN where the sum is not positive (no
    time-of-use data).

    >>> time_of_use_shares([[30, 50, 20]]).tolist()
    [[0.3, 0.5, 0.2]]
    """
    kwh = np.asarray(kwh_by_period, dtype=float)
    total = kwh.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, kwh / np.where(total > 0, total, 1.0), np.nan)


def time_of_use_period(hour_of_day: ArrayLike, *, valley_hours: tuple[tuple[int, int], ...],
                       peak_hours: tuple[tuple[int, int], ...]) -> NDArray[np.str_]:
    """``peak`` / ``flat`` / ``valley`` for each hour of day 0–23 (China Standard Time), METHODOLOGY.md §6:
    hours in a ``[start, end)`` span of ``valley_hours`` or ``peak_hours``, else flat."""
    h = np.asarray(hour_of_day)
    out = np.full(h.shape, "flat", dtype="<U6")
    for spans, name in ((valley_hours, "valley"), (peak_hours, "peak")):
        for a, b in spans:
            out[(h >= a) & (h < b)] = name
    return out
