"""Green instruments (绿电交易, 绿证): validity, market boundary and bundled backing, GREEN-POWER.md §9.

Pure, vectorised rules shared by ingest (what it refuses or warns about) and the calculation (what counts).
The numbers they take (validity months, tolerance, boundary) are profile values [platform rule].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

B = NDArray[np.bool_]
BOUNDARIES = ("national", "regional_grid", "province")


def certificate_valid_until(vintage_month: ArrayLike, validity_months: int) -> NDArray[np.datetime64]:
    """The last day a certificate may be retired (§9): the last day of the ``validity_months``-th month after
    its production month (``2024-03``, 24 → ``2026-03-31``). ``vintage_month``: ``YYYY-MM`` texts."""
    months = np.asarray(vintage_month, dtype="datetime64[M]")
    first_day_after = (months + validity_months + 1).astype("datetime64[D]")
    return np.asarray(first_day_after - np.timedelta64(1, "D"), dtype="datetime64[D]")


def retired_within_validity(vintage_month: ArrayLike, retired_on: ArrayLike, validity_months: int) -> B:
    """Whether each certificate was retired within its validity (§9); ``retired_on``: ISO dates."""
    return np.asarray(retired_on, dtype="datetime64[D]") <= certificate_valid_until(vintage_month, validity_months)


def bundled_shortfall(settled_kwh: ArrayLike, bundled_mwh: ArrayLike, tolerance: float) -> B:
    """Trade months not backed by their bundled certificates (§9, ``trade_not_backed_by_certificates``):
    ``settled − bundled MWh × 1,000 > tolerance × settled`` [kWh]."""
    settled = np.asarray(settled_kwh, dtype=float)
    bundled_kwh = np.asarray(bundled_mwh, dtype=float) * 1000.0
    return settled - bundled_kwh > tolerance * settled


def in_market_boundary(plant_region: Sequence[str | None], enterprise_region: Sequence[str], boundary: str,
                       grid_of: Mapping[str, str | None]) -> B:
    """Whether each instrument counts for its enterprise under the market boundary (§9): every one under
    ``national``; else only one whose plant is known and lies in the enterprise's province (``province``) or
    in that province's regional grid (``regional_grid``). ``plant_region``: the plant's GB/T 2260 code (None:
    no known plant); ``grid_of``: region code → regional grid (:func:`dianta.reference.tables.regional_grid`)."""
    if boundary not in BOUNDARIES:
        raise ValueError(f"market boundary {boundary!r} is not one of {BOUNDARIES}")
    if boundary == "national":
        return np.ones(len(plant_region), dtype=bool)
    out = np.zeros(len(plant_region), dtype=bool)
    for i, (plant, ent) in enumerate(zip(plant_region, enterprise_region, strict=True)):
        if plant is None:
            continue
        if boundary == "province":
            out[i] = plant[:2] == ent[:2]
        else:
            grid = grid_of.get(plant)
            out[i] = grid is not None and grid == grid_of.get(ent)
    return out
