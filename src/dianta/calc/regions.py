"""Administrative levels of a GB/T 2260 region code (行政区划代码): the province and prefecture it lies in.

A six-digit code ``PPCCXX`` names its province by ``PP0000`` and its prefecture (地级) by ``PPCC00``. The
province's code chooses a provincial emission factor (METHODOLOGY.md §2: "a provincial area means the province
of the enterprise's ``region_code``"); the prefecture groups the programme statistics (§8) and portfolios.
Functions take one code or an array of codes.
"""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import NDArray

S = NDArray[np.str_]
#: many codes: a list, a tuple or an array of them
Codes = list[str] | tuple[str, ...] | S


@overload
def province_code(region_code: str) -> str: ...
@overload
def province_code(region_code: Codes) -> S: ...
def province_code(region_code: str | Codes) -> str | S:
    """The province of a GB/T 2260 code: its first 2 digits + ``0000`` (``630102`` → ``630000``) (§2)."""
    return _level(region_code, 2, "0000")


@overload
def prefecture_code(region_code: str) -> str: ...
@overload
def prefecture_code(region_code: Codes) -> S: ...
def prefecture_code(region_code: str | Codes) -> str | S:
    """The prefecture of a GB/T 2260 code: its first 4 digits + ``00`` (``630102`` → ``630100``) (§8)."""
    return _level(region_code, 4, "00")


def _level(region_code: str | Codes, digits: int, fill: str) -> str | S:
    if isinstance(region_code, str):
        return region_code[:digits] + fill
    codes = np.asarray(region_code, dtype=str)
    return np.char.add(codes.astype(f"<U{digits}"), fill)
