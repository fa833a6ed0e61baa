"""Missing values between records and arrays: a record says ``None`` where the methodology says not rated or
not available; the calculation carries NaN."""

from __future__ import annotations

import math


def nan_if_none(x: object) -> float:
    """A record's number as a float for the calculation, NaN for ``None``."""
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


def none_if_nan(x: object) -> float | None:
    """A calculated number for a record: ``None`` for NaN (or ``None``), else a plain float."""
    if x is None:
        return None
    value = float(x)  # type: ignore[arg-type]
    return None if math.isnan(value) else value
