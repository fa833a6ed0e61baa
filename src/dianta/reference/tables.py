"""Loading of the shipped reference data: GB/T 4754 divisions, GB/T 2260 codes, emission factors.

Every table is a data file beside this module with its source in its first comment line
(STYLE.md 6); nothing here hard-codes a value.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from dianta.errors import MissingFactorError, ReferenceDataError
from dianta.glossary import FACTOR_COLUMNS

HERE = Path(__file__).parent


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise ReferenceDataError(f"reference table {path} is missing",
                                 zh=f"参考表 {path} 缺失")
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))


@cache
def industry_divisions() -> dict[str, str]:
    """GB/T 4754-2017 divisions: ``{"C32": "有色金属冶炼和压延加工业", …}`` (letter + 2 digits)."""
    rows = _read_csv(HERE / "codes" / "gbt4754-2017-divisions.csv")
    return {r["section"] + r["division"]: r["division_name"] for r in rows}


@cache
def industry_sections() -> dict[str, str]:
    """GB/T 4754-2017 sections: ``{"C": "制造业", …}``."""
    rows = _read_csv(HERE / "codes" / "gbt4754-2017-divisions.csv")
    return {r["section"]: r["section_name"] for r in rows}


@cache
def region_codes() -> dict[str, str]:
    """Current GB/T 2260 codes at province, prefecture and county level: ``{"630000": "青海省", …}``."""
    return {r["code"]: r["name"] for r in _read_csv(HERE / "codes" / "gbt2260-current.csv")}


#: the kinds of CO2 emission factor (kgCO2/kWh) the roles of METHODOLOGY.md §4 take
CO2_KINDS = ("average", "excl_market_nonfossil", "fossil_only")
#: the life-cycle carbon-footprint factor (kgCO2e/kWh), national and by technology (§2); never a §4 role
FOOTPRINT = "footprint"
UNITS = {**{k: "kgCO2/kWh" for k in CO2_KINDS}, FOOTPRINT: "kgCO2e/kWh"}
STATUSES = ("confirmed", "single-source")


@dataclass(frozen=True, slots=True)
class Factor:
    """An emission factor with provenance, identified by ``(kind, area, year)`` and, for a carbon-footprint factor,
    its ``technology`` (METHODOLOGY.md §2). ``value_kg_per_kwh`` is in ``unit`` (kgCO2/kWh, or kgCO2e/kWh for
    kind ``footprint``); ``source`` is the announcement's official URL where known, else its title; ``status``
    ``confirmed`` or ``single-source`` (None in tables older than the status column)."""

    year: int
    kind: str
    area: str
    value_kg_per_kwh: float
    source: str
    published_on: str | None
    technology: str | None = None
    unit: str = "kgCO2/kWh"
    announcement: str | None = None
    announcement_no: str | None = None
    status: str | None = None

    def public(self) -> dict[str, str | int | float | None]:
        """The factor as `dianta factors` and the API list it: the fields of ``glossary.FACTOR_COLUMNS``."""
        return {name: getattr(self, name) for name in FACTOR_COLUMNS}

    @property
    def factor_id(self) -> str:
        """``kind:area:year``, with ``:technology`` after the area for a carbon-footprint factor."""
        tech = f":{self.technology}" if self.technology else ""
        return f"{self.kind}:{self.area}{tech}:{self.year}"


class FactorChoice(NamedTuple):
    """The factor chosen for a role of an account, and which fallback of METHODOLOGY.md §2 chose it."""

    factor: Factor
    year_fallback: bool
    area_fallback: bool


def _factor_row(r: Mapping[str, str | None]) -> Factor:
    """One row of a factor table: the current columns (``value``, ``unit``, ``announcement``, ``announcement_no``,
    ``official_url``, ``status``, ``technology``) or those of the first table (``value_kg_per_kwh``, ``source``)."""
    kind = r["kind"] or ""
    if kind not in UNITS:
        raise ValueError(f"kind '{kind}' is not one of {', '.join(UNITS)}")
    value = float(r["value"] if "value" in r else r["value_kg_per_kwh"])  # type: ignore[arg-type]
    if not value >= 0:
        raise ValueError(f"value {value} is not a number ≥ 0")
    unit = r.get("unit") or UNITS[kind]
    if unit != UNITS[kind]:
        raise ValueError(f"unit '{unit}' of kind '{kind}' must be {UNITS[kind]}")
    technology = r.get("technology") or None
    if (kind == FOOTPRINT) != (technology is not None):
        raise ValueError("a footprint factor names its technology, a CO2 emission factor none")
    status = r.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValueError(f"status '{status}' is not one of {', '.join(STATUSES)}")
    announcement = r.get("announcement") or None
    source = r.get("source") or r.get("official_url") or announcement
    if not source:
        raise ValueError("the row names no source: give its official URL or announcement")
    return Factor(int(r["year"] or ""), kind, r["area"] or "", value, source, r["published_on"] or None,
                  technology=technology, unit=unit, announcement=announcement,
                  announcement_no=r.get("announcement_no") or None, status=status)


class FactorTable:
    """A versioned table of emission factors, read from ``factors/<table_id>.csv``."""

    def __init__(self, table_id: str, factors: list[Factor]):
        self.table_id = table_id
        self.factors = tuple(factors)
        self._by_key = {(f.kind, f.area, f.year): f for f in factors if f.technology is None}

    @classmethod
    @cache
    def load(cls, table_id: str) -> FactorTable:
        path = HERE / "factors" / f"{table_id}.csv"
        factors, seen = [], set()
        for i, r in enumerate(_read_csv(path), start=2):
            try:
                f = _factor_row(r)
            except (KeyError, TypeError, ValueError) as exc:
                raise ReferenceDataError(f"{path}: row {i} is malformed ({exc})",
                                         zh=f"{path}：第 {i} 行格式有误（{exc}）") from exc
            if f.factor_id in seen:
                raise ReferenceDataError(f"{path}: row {i} repeats the factor {f.factor_id}",
                                         zh=f"{path}：第 {i} 行重复了因子 {f.factor_id}")
            seen.add(f.factor_id)
            factors.append(f)
        return cls(table_id, factors)

    def matching(self, *, year: int | None = None, kind: str | None = None, area: str | None = None) -> list[Factor]:
        """The factors of the table (in its order) of ``year``, ``kind`` and ``area``, each when given."""
        return [f for f in self.factors if (year is None or f.year == year) and (kind is None or f.kind == kind)
                and (area is None or f.area == area)]

    def select(self, kind: str, area: str, year: int) -> tuple[Factor, bool]:
        """The CO2 emission factor for an activity year, with the year-fallback flag (METHODOLOGY.md §2).

        For a year with no published factor the latest earlier year of the same kind and area is used
        and ``fallback`` is True; no earlier year at all is an error, never a silent zero.
        """
        found = self._in_or_before(kind, area, year)
        if found is None:
            raise MissingFactorError(
                f"no emission factor of kind '{kind}' for area '{area}' in or before {year} in factor table "
                f"'{self.table_id}'; add the published value to the table or choose another area in the profile",
                zh=f"排放因子表“{self.table_id}”中没有区域“{area}”在 {year} 年或之前的“{kind}”类排放因子；"
                   "请将已发布的数值加入因子表，或在方法学配置中选择其他区域")
        return found

    def choose(self, kind: str, area: str, year: int) -> FactorChoice:
        """The factor of a role (METHODOLOGY.md §2): :meth:`select` of ``(kind, area)``; for a province (or
        prefecture) code with no factor of that kind in or before ``year`` (Tibet, 540000, has none), its regional
        grid's factor of the same kind chosen the same way, ``area_fallback`` True. A missing factor is an error."""
        if len(area) == 6 and area.isdigit() and self._in_or_before(kind, area, year) is None:
            grid = regional_grid(area)
            if grid is not None and self._in_or_before(kind, grid, year) is not None:
                factor, year_fallback = self.select(kind, grid, year)
                return FactorChoice(factor, year_fallback, True)
        factor, year_fallback = self.select(kind, area, year)
        return FactorChoice(factor, year_fallback, False)

    def _in_or_before(self, kind: str, area: str, year: int) -> tuple[Factor, bool] | None:
        exact = self._by_key.get((kind, area, year))
        if exact is not None:
            return exact, False
        earlier = [f for (k, a, y), f in self._by_key.items() if k == kind and a == area and y < year]
        return (max(earlier, key=lambda f: f.year), True) if earlier else None


@cache
def regional_grids() -> dict[str, str]:
    """Province (``PP0000``) or prefecture (``PPCC00``, where a province is split) → regional grid (``north`` …
    ``southwest``), as the factor announcements divide them (GREEN-POWER.md §9)."""
    return {r["code"]: r["grid"] for r in _read_csv(HERE / "codes" / "regional-grids.csv")}


def regional_grid(region_code: str) -> str | None:
    """The regional grid of a GB/T 2260 code: its prefecture's entry where the province is split, else its
    province's; None outside every grid (Taiwan, Hong Kong, Macao)."""
    grids = regional_grids()
    return grids.get(region_code[:4] + "00") or grids.get(region_code[:2] + "0000")


@dataclass(frozen=True, slots=True)
class CertificateNumbering:
    """The national green certificate numbering as far as it is confirmed (``codes/green-certificate-numbering.toml``,
    with its sources): the code's length and characters, the filing code's length, and the parts whose position is
    confirmed, name → (first character, 0-based; number of characters)."""

    version: str
    length: int
    alphabet: str
    filing_code_length: int
    parts: dict[str, tuple[int, int]]


@cache
def certificate_numbering() -> CertificateNumbering:
    """The shipped numbering rule of national green certificates (GREEN-POWER.md §9)."""
    path = HERE / "codes" / "green-certificate-numbering.toml"
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
        parts = {str(p["name"]): (int(p["start"]) - 1, int(p["length"])) for p in data["parts"]}
        rule = CertificateNumbering(str(data["version"]), int(data["length"]), str(data["alphabet"]),
                                    int(data["filing_code_length"]), parts)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ReferenceDataError(f"reference table {path} cannot be read: {exc}",
                                 zh=f"参考表 {path} 无法读取：{exc}") from exc
    if any(start < 0 or start + width > rule.length for start, width in parts.values()):
        raise ReferenceDataError(f"reference table {path}: a part lies outside the {rule.length} characters",
                                 zh=f"参考表 {path}：有部分超出了 {rule.length} 个字符")
    return rule


# --- the map (issue 17): boundaries of each province's prefectures and counties, built by scripts/build_maps.py
#: the shipped boundaries: one GeoJSON FeatureCollection per province (``630000.json``), source in SOURCE.md
MAPS = HERE / "maps"


@cache
def map_provinces() -> dict[str, str]:
    """The provinces with shipped boundaries: ``{"630000": "630000.json", …}``."""
    index = json.loads((MAPS / "index.json").read_text(encoding="utf-8"))
    return {p["province"]: p["file"] for p in index["provinces"]}


@cache
def map_regions(province: str) -> tuple[dict[str, str], ...]:
    """The map regions of ``province`` (a GB/T 2260 province code): each feature's properties ``code``, ``name``,
    ``level`` (``prefecture``/``county``) and ``parent``; empty for a province without boundaries."""
    file = map_provinces().get(province)
    if file is None:
        return ()
    data = json.loads((MAPS / file).read_text(encoding="utf-8"))
    return tuple({k: v for k, v in f["properties"].items()} for f in data["features"])
