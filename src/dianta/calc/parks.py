"""Park accounts (园区账户, 零碳园区): a park's members and its supplier pooled as one enterprise, GREEN-POWER.md §10.

Every array has one element per *participant* (a member, or the park's supplier) with ``park_index`` naming its
park (0 … n_parks−1); sums go through :func:`pooled_sum`. Hourly arrays are (parks, hours of the year).

Membership over time [Dianta's reading, §10 is silent]: a member counts for the months of the year whose first day
lies in its membership (as a monthly total belongs to the meter's holder on the month's first day, METHODOLOGY.md
§3), hourly for the hours of those months. Its annual figures (kWh, instruments, V, emissions) count in the
proportion :func:`membership_fraction`: the share of its year's grid electricity drawn in those months (the share
of months where it drew none), so that a member of the whole year counts in full and an enterprise that moves
between parks is split between them, never counted twice. The supplier counts the whole year.

The supplier [Dianta's reading of §10]: its generation (storage included, §9c) is the park's shared *supply*, not
its own self-consumption: it enters the contractual green as "the supplier's green supply" and ``G_h``, never
``E_onsite`` or ``L_h``; its own grid draw, trades, certificates and V count as a member's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dianta.calc import energy, indicators, matching

F = NDArray[np.float64]
B = NDArray[np.bool_]


def membership_fraction(monthly_grid_kwh: ArrayLike, member_months: ArrayLike) -> F:
    """The share of a participant's year that counts for its park [fraction 0–1] (see the module's docstring).

    monthly_grid_kwh : [kWh] (n, 12) its grid electricity of each month, NaN for a month without data.
    member_months : (n, 12) bool, whether it is a member on the month's first day.

    ``Σ_{m member} E_grid,m / Σ_m E_grid,m``; where it drew no grid electricity in the year, member months / 12.
    """
    grid = np.nan_to_num(np.atleast_2d(np.asarray(monthly_grid_kwh, dtype=float)), nan=0.0)
    member = np.atleast_2d(np.asarray(member_months, dtype=bool))
    total = grid.sum(axis=1)
    inside = np.where(member, grid, 0.0).sum(axis=1)
    by_months = member.sum(axis=1) / 12.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, inside / np.where(total > 0, total, 1.0), by_months)


def pooled_sum(values: ArrayLike, park_index: ArrayLike, n_parks: int) -> F:
    """``Σ`` over each park's participants of ``values`` (n,) → (n_parks,) (§10: pooled as one enterprise)."""
    idx = np.asarray(park_index, dtype=np.int64)
    return np.bincount(idx, weights=np.asarray(values, dtype=float), minlength=n_parks).astype(float)


def pooled_annual(park_index: ArrayLike, n_parks: int, fraction: ArrayLike, *, kwh_grid: ArrayLike,
                  kwh_onsite: ArrayLike, kwh_instruments: ArrayLike, kwh_supplier_green: ArrayLike,
                  emissions_location_t: ArrayLike, residual_kg_per_kwh: ArrayLike) -> dict[str, F]:
    """A park's annual figures (GREEN-POWER.md §10) from its participants' accounts, each weighted by ``fraction``.

    kwh_grid, kwh_onsite : [kWh] (n,) E_grid and E_onsite of each participant (the supplier's E_onsite: 0, its
        generation being the park's supply).
    kwh_instruments : [kWh] (n,) E_trade + E_cert counted for each participant (§3, §9).
    kwh_supplier_green : [kWh] (n,) the supplier's green supply of the year (storage included, §9c); 0 for members.
    emissions_location_t : [tCO2] (n,) each participant's C_loc (its own location factor).
    residual_kg_per_kwh : [kgCO2/kWh] (n,) each participant's EF_residual.

    ``E_contract = min(Σ(E_trade + E_cert) + supplier's green supply, Σ E_grid)`` (:func:`energy.contractual_green_kwh`,
    one member's excess contract covers another's grid draw), the rest ``kwh_contract_excess``;
    ``C_loc = Σ C_loc,i``; ``C_mkt = (Σ E_grid − E_contract) × EF_residual,park / 1000`` with the park's residual
    factor the grid-weighted mean ``Σ E_grid,i EF_residual,i / Σ E_grid,i`` [Dianta's reading: "both emissions
    are sums" would leave out the pooling of contracts; with one factor it is the §4 formula on the sums];
    ``E_green = Σ E_onsite + E_contract``, ``green_share = E_green / E_total`` (§5).
    """
    w = np.asarray(fraction, dtype=float)

    def s(x: ArrayLike) -> F:
        return pooled_sum(w * np.asarray(x, dtype=float), park_index, n_parks)

    grid, onsite = s(kwh_grid), s(kwh_onsite)
    contract, excess = energy.contractual_green_kwh(s(kwh_instruments), s(kwh_supplier_green), grid)
    weighted_ef = s(np.asarray(kwh_grid, dtype=float) * np.asarray(residual_kg_per_kwh, dtype=float))
    ef_res = np.divide(weighted_ef, grid, out=np.zeros_like(grid), where=grid > 0)
    total = energy.total_consumption_kwh(grid, onsite)
    green = onsite + contract
    return {"kwh_grid": grid, "kwh_onsite": onsite, "kwh_total": total, "kwh_contract": contract,
            "kwh_contract_excess": excess, "kwh_green": green, "green_share": indicators.green_share(green, total),
            "emissions_location_t": s(emissions_location_t),
            "emissions_market_t": energy.market_based_emissions_t(grid, contract, ef_res),
            "residual_kg_per_kwh": ef_res}


def pooled_intensity(emissions_t: ArrayLike, value_10k_cny: ArrayLike, fraction: ArrayLike, park_index: ArrayLike,
                     n_parks: int) -> F:
    """``Σ emissions / Σ V`` [tCO2/10k CNY] of each park (§10); NaN when a participant has no V (a park's
    intensity over part of its members would not be the park's) or Σ V is 0 (§5)."""
    v = np.asarray(value_10k_cny, dtype=float)
    w = np.asarray(fraction, dtype=float)
    missing = pooled_sum(np.isnan(v).astype(float), park_index, n_parks) > 0
    total_v = pooled_sum(w * np.nan_to_num(v, nan=0.0), park_index, n_parks)
    return np.where(missing, np.nan, indicators.carbon_intensity(emissions_t, total_v))


def uncovered_load_share(kwh_total: ArrayLike, fraction: ArrayLike, covered: ArrayLike, park_index: ArrayLike,
                         n_parks: int) -> F:
    """The share of a park's load [fraction 0–1] from participants without complete interval data (§10):
    ``Σ_uncovered E_total / Σ E_total``; 0 for a park without load."""
    load = np.asarray(kwh_total, dtype=float) * np.asarray(fraction, dtype=float)
    uncovered = pooled_sum(np.where(np.asarray(covered, dtype=bool), 0.0, load), park_index, n_parks)
    total = pooled_sum(load, park_index, n_parks)
    return np.divide(uncovered, total, out=np.zeros_like(total), where=total > 0)


def pooled_hourly(load_kwh: ArrayLike, green_kwh: ArrayLike, month_of_hour: ArrayLike, hour_of_day: ArrayLike,
                  usable: ArrayLike) -> dict[str, F]:
    """Pooled hourly matching of each park (§10, §7): ``L_h`` and ``G_h`` already summed over the park's covered
    members and its supplier, then ``min`` per hour, so one member's surplus covers another's load in the same hour.

    load_kwh, green_kwh : [kWh] (parks, hours) pooled load and green supply.
    month_of_hour : (hours,) 1–12; hour_of_day : (hours,) 0–23.
    usable : (parks,) bool, False where the uncovered share exceeds the profile's limit: every figure NaN there.

    Returns ``kwh_matched_hourly`` Σ_h min(L_h, G_h) [kWh], ``cfe_score`` [fraction], ``hours_fully_green_share``
    (the share of the hours with load whose load is all matched, ``G_h ≥ L_h``; 1 without load) [fraction],
    ``shortfall_map_mwh`` (parks, 12, 24) Σ max(L_h − G_h, 0) / 1000 by month and hour of day [MWh], and
    ``unmatched_monthly_kwh`` (parks, 12) U_m [kWh] (§9b).
    """
    load = np.atleast_2d(np.asarray(load_kwh, dtype=float))
    green = np.atleast_2d(np.asarray(green_kwh, dtype=float))
    ok = np.asarray(usable, dtype=bool)
    matched = matching.matched_kwh(load, green)
    short = load - matched  # max(L_h − G_h, 0)
    cell = (np.asarray(month_of_hour, dtype=np.int64) - 1) * 24 + np.asarray(hour_of_day, dtype=np.int64)
    shortfall_map = np.zeros((load.shape[0], 12 * 24))
    np.add.at(shortfall_map, (np.arange(load.shape[0])[:, None], cell[None, :]), short)
    with_load = load > 0
    n_load = with_load.sum(axis=1)
    fully = np.where(n_load > 0, (with_load & (green >= load)).sum(axis=1) / np.maximum(n_load, 1), 1.0)
    nan = np.where(ok, 0.0, np.nan)
    shortfall_map = shortfall_map.reshape(-1, 12, 24) / 1000.0
    return {"kwh_matched_hourly": matched.sum(axis=1) + nan,
            "cfe_score": matching.cfe_score(matched.sum(axis=1), load.sum(axis=1)) + nan,
            "hours_fully_green_share": fully + nan,
            "shortfall_map_mwh": shortfall_map + nan[:, None, None],
            "unmatched_monthly_kwh": shortfall_map.sum(axis=2) * 1000.0 + nan[:, None]}


def shortfall_mwh(green_share_target: ArrayLike, kwh_total: ArrayLike, kwh_green: ArrayLike) -> F:
    """Green power still missing to meet the park's target [MWh] (§10): ``max(target × E_total − E_green, 0) /
    1000`` over the year."""
    t = np.asarray(green_share_target, dtype=float)
    return np.maximum(t * np.asarray(kwh_total, dtype=float) - np.asarray(kwh_green, dtype=float), 0.0) / 1000.0


def target_trajectory(year: ArrayLike, first_year: ArrayLike, first_green_share: ArrayLike, target_year: ArrayLike,
                      target_green_share: ArrayLike) -> F:
    """The green share a park should have reached in ``year`` [fraction] (§10, platform rule: linear from the first
    account year to ``target_year``): ``s0 + (target − s0) × (Y − Y0) / (target_year − Y0)`` with Y0 the park's
    first account year and s0 its green share then; the target itself from ``target_year`` on (and when
    ``target_year ≤ Y0``); NaN without a target year (no trajectory, no alert)."""
    y, y0 = np.asarray(year, dtype=float), np.asarray(first_year, dtype=float)
    s0, ty, t = (np.asarray(x, dtype=float) for x in (first_green_share, target_year, target_green_share))
    span = ty - y0
    progress = np.clip(np.divide(y - y0, span, out=np.ones_like(span * y), where=span > 0), 0.0, 1.0)
    return np.where(np.isnan(ty), np.nan, s0 + (t - s0) * progress)


def below_target(green_share: ArrayLike, expected_share: ArrayLike, tolerance: float = 1e-9) -> B:
    """The alert ``park_below_target`` (§10): the year's green share below the trajectory (NaN: no alert)."""
    g, e = np.asarray(green_share, dtype=float), np.asarray(expected_share, dtype=float)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(e) & (g < e - tolerance)


# -- what would close the gap (GREEN-POWER.md §10 "progress to 100 % green supply"; issue 16) ---------------------

def band_of_hour(bands: Sequence[tuple[int, int]]) -> NDArray[np.int64]:
    """(24,) the index of the profile's hour band ``[start, end)`` each hour of the day falls in (profile ``[parks]
    hour_bands``, validated there to cover 0–24 without overlap) [platform rule]."""
    out = np.full(24, -1, dtype=np.int64)
    for i, (start, end) in enumerate(bands):
        out[start:end] = i
    if (out < 0).any():
        raise ValueError(f"hour bands {list(bands)} leave hours {np.flatnonzero(out < 0).tolist()} of the day out")
    return out


def shortfall_by_band_mwh(load_kwh: ArrayLike, green_kwh: ArrayLike, hour_of_day: ArrayLike,
                          band_index: ArrayLike, n_bands: int) -> F:
    """The pooled hourly shortfall of each park by hour band [MWh] (§10: the green supply missing, by time of day):
    ``Σ_{h in band} max(L_h − G_h, 0) / 1000``; the bands sum to the year's hourly shortfall (the sum of the
    shortfall map of :func:`pooled_hourly`).

    load_kwh, green_kwh : [kWh] (parks, hours) pooled load and green supply.
    hour_of_day : (hours,) 0–23; band_index : (24,) the band of each hour of the day (:func:`band_of_hour`).
    Returns (parks, n_bands).
    """
    load = np.atleast_2d(np.asarray(load_kwh, dtype=float))
    short = np.maximum(load - np.atleast_2d(np.asarray(green_kwh, dtype=float)), 0.0)
    band = np.asarray(band_index, dtype=np.int64)[np.asarray(hour_of_day, dtype=np.int64)]
    out = np.zeros((load.shape[0], n_bands))
    np.add.at(out, (np.arange(load.shape[0])[:, None], band[None, :]), short)
    return out / 1000.0


def storage_to_close_gap(load_kwh: ArrayLike, green_kwh: ArrayLike, efficiency: float) -> dict[str, F]:
    """The storage that would shift each park's green surplus into its later shortfall hours of the same day
    (§10 "what would close the gap", with the round-trip efficiency η of §9c) [Dianta's reading, §10 is silent]:

    - each hour's surplus ``s_h = max(G_h − L_h, 0)`` and shortfall ``u_h = max(L_h − G_h, 0)``;
    - within each day (the store starts and ends every day empty, no energy is carried overnight), surplus enters
      the store multiplied by η (as a §9c pool) and is discharged into the first shortfall hours after it, up to
      their shortfall: ``d_h = min(S, u_h)`` — the most shortfall any storage could cover, ``Σ d ≤ η Σ s``;
    - the energy capacity is that of the smallest store that covers the same: charging as late as the discharges
      allow, the store holds ``N_h = max(N_{h+1} + d_{h+1} − η s_{h+1}, 0)`` at the end of hour h (N_23 = 0), and
      the capacity is ``max_h N_h``; its power the largest hourly charge ``c_h = (N_h − N_{h−1} + d_h) / η`` or
      discharge ``d_h`` of that schedule (kWh in an hour = average kW).

    load_kwh, green_kwh : [kWh] (parks, hours) pooled load and green supply, hours from 00:00 of the year's first
        day (a whole number of days).
    efficiency : η [fraction, 0 < η ≤ 1] (profile ``[parks] storage_round_trip_efficiency``).

    Returns (parks,) arrays: ``surplus_mwh`` Σ s / 1000, ``covered_mwh`` Σ d / 1000, ``energy_mwh`` [MWh],
    ``power_mw`` [MW], ``shortfall_mwh`` Σ u / 1000 and ``remaining_mwh`` (Σ u − Σ d) / 1000 [MWh].
    """
    load = np.atleast_2d(np.asarray(load_kwh, dtype=float))
    green = np.atleast_2d(np.asarray(green_kwh, dtype=float))
    if load.shape != green.shape or load.shape[1] % 24:
        raise ValueError(f"load {load.shape} and green {green.shape} must have one shape (parks, days × 24 hours)")
    if not 0 < efficiency <= 1:
        raise ValueError(f"round-trip efficiency {efficiency} must lie in (0, 1]")
    days = (load.shape[0], load.shape[1] // 24, 24)
    surplus = np.maximum(green - load, 0.0).reshape(days)
    short = np.maximum(load - green, 0.0).reshape(days)
    gain = efficiency * surplus
    discharge = np.zeros(days)
    stored = np.zeros(days[:2])
    for h in range(24):  # the hours of a day are a loop, the parks and days a vector
        stored = stored + gain[..., h]
        discharge[..., h] = np.minimum(stored, short[..., h])
        stored = stored - discharge[..., h]
    need = np.zeros(days[:2])
    level, charge = np.zeros(days), np.zeros(days)
    for h in range(23, -1, -1):
        level[..., h] = need
        before = np.maximum(need + discharge[..., h] - gain[..., h], 0.0)
        charge[..., h] = (need + discharge[..., h] - before) / efficiency
        need = before
    covered = discharge.sum(axis=(1, 2))
    shortfall = short.sum(axis=(1, 2))
    return {"surplus_mwh": surplus.sum(axis=(1, 2)) / 1000.0, "covered_mwh": covered / 1000.0,
            "energy_mwh": level.max(axis=(1, 2), initial=0.0) / 1000.0,
            "power_mw": np.maximum(charge.max(axis=(1, 2), initial=0.0),
                                   discharge.max(axis=(1, 2), initial=0.0)) / 1000.0,
            "shortfall_mwh": shortfall / 1000.0, "remaining_mwh": np.maximum(shortfall - covered, 0.0) / 1000.0}
