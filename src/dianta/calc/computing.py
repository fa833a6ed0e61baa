"""Green-computing certificates for data centres (绿电绿算溯源证书), GREEN-POWER.md §11.

Pure functions over columns: the PUE of a site, the certificate's level, and the trace of matched green
energy back to its sources, hour by hour (§7, §9b) and by production month for unbundled certificates (§9b).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]

#: the levels a certificate can state, best first (GREEN-POWER.md §11); ``""``: no certificate
LEVELS = ("A", "B", "C", "annual")


def power_usage_effectiveness(facility_kwh: ArrayLike, it_kwh: ArrayLike) -> F:
    """``PUE = Σ facility kWh / Σ IT kWh`` over the period [ratio ≥ 1 for a real site] (GREEN-POWER.md §11).

    ``facility_kwh`` [kWh]: the site's whole load over the period; ``it_kwh`` [kWh]: its IT-load sub-meter's
    readings over the same period. NaN without IT kWh (no sub-meter, NaN, or 0)."""
    facility = np.asarray(facility_kwh, dtype=float)
    it = np.asarray(it_kwh, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(it) | (it <= 0), np.nan, facility / np.where(it > 0, it, 1.0))


def computing_level(cfe: ArrayLike, green_share: ArrayLike, *, a_min_cfe: float, b_min_cfe: float,
                    c_min_cfe: float, annual_min_green_share: float) -> NDArray[np.str_]:
    """The certificate's level [platform rule, profile ``[green_computing]``] (GREEN-POWER.md §11):
    ``cfe ≥ a_min_cfe`` → ``A`` (24/7 green computing), ``≥ b_min_cfe`` → ``B``, ``≥ c_min_cfe`` → ``C``;
    otherwise (a lower or a null CFE: no complete interval data) ``annual`` when the annually matched
    ``green_share ≥ annual_min_green_share``; else ``""`` (no certificate).

    ``cfe`` [fraction 0–1, NaN: no interval data], ``green_share`` [fraction 0–1]."""
    c = np.asarray(cfe, dtype=float)
    g = np.asarray(green_share, dtype=float)
    c0 = np.where(np.isnan(c), -np.inf, c)
    annual = np.where(g >= annual_min_green_share, "annual", "")
    return np.where(c0 >= a_min_cfe, "A", np.where(c0 >= b_min_cfe, "B", np.where(c0 >= c_min_cfe, "C", annual)))


def hourly_trace_kwh(load_kwh: ArrayLike, supply_kwh: ArrayLike) -> F:
    """Green energy each source supplied to matched hours [kWh], ``(sources,)`` (GREEN-POWER.md §11):
    per hour ``h`` the matched energy ``min(L_h, G_h)`` with ``G_h = Σ_s S_{h,s}`` is attributed to the sources
    present in that hour in proportion to their supply, ``Σ_h min(L_h, G_h) × S_{h,s} / G_h``; a source's surplus
    never counts for another hour (§7).

    ``load_kwh`` [kWh]: ``(hours,)`` ``L_h``; ``supply_kwh`` [kWh]: ``(hours, sources)`` ``S_{h,s}`` ≥ 0. The
    trace sums to ``Σ_h min(L_h, G_h)`` (``kwh_matched_hourly``, §9b)."""
    load = np.asarray(load_kwh, dtype=float)
    supply = np.asarray(supply_kwh, dtype=float).reshape(load.shape[0], -1)
    green = supply.sum(axis=1)
    matched = np.minimum(load, green)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(green > 0, matched / np.where(green > 0, green, 1.0), 0.0)
    return np.asarray((supply * ratio[:, None]).sum(axis=0), dtype=float)


def certificate_trace_kwh(unmatched_monthly_kwh: ArrayLike, certificate_kwh: ArrayLike) -> F:
    """Unbundled certificates' kWh that covered unmatched load, by certificate group [kWh], ``(groups,)``
    (GREEN-POWER.md §11 with §9b's monthly step): each production month's ``min(U_m, C_m)``, ``C_m = Σ_k C_{m,k}``,
    attributed to the month's groups (certificates by plant) in proportion to their kWh.

    ``unmatched_monthly_kwh`` [kWh]: ``(months,)`` ``U_m``; ``certificate_kwh`` [kWh]: ``(months, groups)``. The
    trace sums to ``Σ_m min(U_m, C_m)`` (``kwh_cert_monthly_matched``, §9b)."""
    u = np.asarray(unmatched_monthly_kwh, dtype=float)
    return hourly_trace_kwh(u, certificate_kwh)
