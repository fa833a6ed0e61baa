"""Green instruments (绿电交易, 绿证): validity, market boundary and bundled backing, GREEN-POWER.md §9.

Pure, vectorised rules shared by ingest (what it refuses or warns about) and the calculation (what counts).
The numbers they take (validity months, tolerance, boundary) are profile values [platform rule].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class ParsedCertificateIds:
    """Certificate ids split by :func:`parse_certificate_ids`: ``national`` (the numbering's length),
    ``well_formed`` (and only its characters) and the text of each confirmed part (``""`` where not well formed)."""

    national: B
    well_formed: B
    parts: dict[str, NDArray[np.str_]]


def parse_certificate_ids(certificate_id: Sequence[str], length: int, alphabet: str,
                          parts: Mapping[str, tuple[int, int]]) -> ParsedCertificateIds:
    """Split certificate ids into the parts of the national numbering (§9; the rule is reference data,
    ``reference/codes/green-certificate-numbering.toml``). An id of ``length`` characters is taken to be a national
    code; it is well formed when every character is in ``alphabet``. ``parts``: name → (first character, 0-based;
    number of characters), only the parts whose position is confirmed. Ids of other lengths are not parsed."""
    ids = np.asarray(certificate_id, dtype=np.str_)
    national = np.asarray(np.strings.str_len(ids) == length, dtype=bool)
    only_alphabet = np.strings.str_len(np.strings.strip(ids, alphabet)) == 0 if alphabet else True
    well_formed = np.asarray(national & only_alphabet, dtype=bool)
    split = {name: np.asarray(np.where(well_formed, np.strings.slice(ids, start, start + width), ""), dtype=np.str_)
             for name, (start, width) in parts.items()}
    return ParsedCertificateIds(national, well_formed, split)


def filing_code_contradicts(parsed_filing_code: ArrayLike, plant_id: Sequence[str | None], filing_code_length: int,
                            alphabet: str) -> B:
    """Certificates whose id names another plant than their ``plant_id`` (§9): the id's filing code (建档立卡编码,
    ``""`` when the id was not parsed) differs from a ``plant_id`` that is itself a filing code (``filing_code_length``
    characters of ``alphabet``). A plant_id of another form (an operator's own plant id) is not compared."""
    parsed = np.asarray(parsed_filing_code, dtype=np.str_)
    plants = np.asarray(["" if p is None else p for p in plant_id], dtype=np.str_)
    is_code = (np.strings.str_len(plants) == filing_code_length) & (np.strings.str_len(np.strings.strip(plants,
                                                                                                     alphabet)) == 0)
    return np.asarray((parsed != "") & is_code & (parsed != plants), dtype=bool)


def production_month_contradicts(parsed_production_month: ArrayLike, vintage_month: Sequence[str]) -> B:
    """Certificates whose id states another production month than their ``vintage_month`` (§9): the parsed
    ``YYYYMM`` (``""`` when not parsed) against ``YYYY-MM``."""
    parsed = np.asarray(parsed_production_month, dtype=np.str_)
    months = np.asarray(vintage_month, dtype=np.str_)
    given = np.strings.add(np.strings.slice(months, 0, 4), np.strings.slice(months, 5, 7))
    return np.asarray((parsed != "") & (parsed != given), dtype=bool)
