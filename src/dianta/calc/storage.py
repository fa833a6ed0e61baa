"""Storage that supplies others (储能): green and grid pools of dischargeable kWh, GREEN-POWER.md §9c.

Storage behind an enterprise's own grid meter needs no rule (the meter sees it); a supplier's storage
(``storage_interval``) is kept in two pools, green and grid, hour by hour over one year. The pools evolve in
time, so the hours are a loop; the suppliers are a vector: every array is shaped (suppliers, hours).

Order within an hour [Dianta's reading, §9c is silent]: the hour's charge enters the pools before its
discharge is taken, so an hour that charges and discharges (15-minute rows summed to the hour) never counts
its own discharge as grid for want of an order the hourly sums no longer show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
B = NDArray[np.bool_]


def round_trip_efficiency(kwh_charged_sum: ArrayLike, kwh_discharged_sum: ArrayLike) -> tuple[F, B]:
    """The year's round-trip efficiency ``η = Σ discharged / Σ charged`` [fraction 0–1] of each storage
    (GREEN-POWER.md §9c), and where the data said more than 1.

    kwh_charged_sum : [kWh] Σ_h c_h over the year.
    kwh_discharged_sum : [kWh] Σ_h d_h over the year.

    Returns ``(η, capped)``: η is 1 when nothing was charged; a storage that discharged more than it
    charged (η > 1 in the data: meter error, or energy stored before the year — the pools start each year
    empty) gets η = 1 and ``capped`` True, for the caller to say so.
    """
    charged = np.asarray(kwh_charged_sum, dtype=float)
    discharged = np.asarray(kwh_discharged_sum, dtype=float)
    capped = discharged > charged
    ratio = np.where(capped | (charged <= 0), 1.0, discharged / np.where(capped | (charged <= 0), 1.0, charged))
    return ratio, capped


@dataclass(frozen=True, slots=True)
class StorageFlows:
    """Hourly green and grid flows of suppliers' storage (GREEN-POWER.md §9c); arrays (suppliers, hours) [kWh]
    unless noted."""

    kwh_green_supply: F  # the owner's green supply: generation − green part of c_h + green part of d_h
    kwh_green_charged: F  # the part of c_h met by the hour's green generation
    kwh_green_discharged: F  # the green part of d_h
    kwh_grid_discharged: F  # the grid part of d_h, discharge beyond the pools' contents included
    kwh_green_pool: F  # dischargeable green kWh at the end of the hour
    kwh_grid_pool: F  # dischargeable grid kWh at the end of the hour
    efficiency: F  # (suppliers,) η [fraction]
    efficiency_capped: B  # (suppliers,) the data said η > 1


def storage_flows(kwh_generated: ArrayLike, kwh_charged: ArrayLike, kwh_discharged: ArrayLike) -> StorageFlows:
    """Green supply of suppliers with storage, hour by hour over one year (GREEN-POWER.md §9c).

    kwh_generated : [kWh] (suppliers, hours) the owner's green generation in each hour (≥ 0).
    kwh_charged : [kWh] (suppliers, hours) ``c_h`` charged into the storage (≥ 0).
    kwh_discharged : [kWh] (suppliers, hours) ``d_h`` discharged from the storage (≥ 0).

    Each hour: ``c_green = min(c_h, generation_h)``, ``c_grid = c_h − c_green``; the pools gain
    ``η·c_green`` and ``η·c_grid`` (η: :func:`round_trip_efficiency` of the year's totals); then ``d_h`` is
    taken from the pools in proportion to their contents, ``d_green = min(d_h, P) · P_green / P`` with
    ``P = P_green + P_grid``, and ``d_grid = d_h − d_green`` (discharge beyond the pools is grid). Green supply
    ``= generation_h − c_green + d_green``. The pools start the year empty [platform rule]; grid charging never
    becomes green.
    """
    gen = np.atleast_2d(np.asarray(kwh_generated, dtype=float))
    c = np.atleast_2d(np.asarray(kwh_charged, dtype=float))
    d = np.atleast_2d(np.asarray(kwh_discharged, dtype=float))
    if not gen.shape == c.shape == d.shape:
        raise ValueError(f"generation {gen.shape}, charge {c.shape} and discharge {d.shape} must have one shape "
                         "(suppliers, hours)")
    eta, capped = round_trip_efficiency(c.sum(axis=1), d.sum(axis=1))
    c_green = np.minimum(c, np.maximum(gen, 0.0))
    c_grid = c - c_green
    # hour-major copies: each step reads and writes one contiguous row of suppliers
    gain_green, gain_grid, take = (eta[:, None] * c_green).T.copy(), (eta[:, None] * c_grid).T.copy(), d.T.copy()
    d_green, p_green, p_grid = np.zeros_like(take), np.zeros_like(take), np.zeros_like(take)
    green = grid = np.zeros(take.shape[1])
    for h in range(take.shape[0]):
        green = green + gain_green[h]
        grid = grid + gain_grid[h]
        total = green + grid
        from_pools = np.minimum(take[h], total)
        share_green = np.divide(green, total, out=np.zeros_like(total), where=total > 0)
        d_green[h] = from_pools * share_green
        green = np.maximum(green - d_green[h], 0.0)  # ≥ 0 against rounding when a pool is emptied
        grid = np.maximum(grid - (from_pools - d_green[h]), 0.0)
        p_green[h], p_grid[h] = green, grid
    d_green_sh = d_green.T
    return StorageFlows(
        kwh_green_supply=gen - c_green + d_green_sh, kwh_green_charged=c_green,
        kwh_green_discharged=np.ascontiguousarray(d_green_sh), kwh_grid_discharged=d - d_green_sh,
        kwh_green_pool=np.ascontiguousarray(p_green.T), kwh_grid_pool=np.ascontiguousarray(p_grid.T),
        efficiency=eta, efficiency_capped=capped)
