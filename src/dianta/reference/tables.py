"""Loading of the shipped reference data: GB/T 4754 divisions, GB/T 2260 codes, emission factors.

Every table is a data file beside this module with its source in its first comment line
(STYLE.md 6); nothing here hard-codes a value.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dianta.errors import MissingFactorError, ReferenceDataError

HERE = Path(__file__).parent


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise ReferenceDataError(f"reference table {path} is missing")
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


@dataclass(frozen=True, slots=True)
class Factor:
    """An emission factor with provenance; identified by ``(kind, area, year)`` (METHODOLOGY.md §2)."""

    year: int
    kind: str
    area: str
    value_kg_per_kwh: float
    source: str
    published_on: str | None

    @property
    def factor_id(self) -> str:
        return f"{self.kind}:{self.area}:{self.year}"


class FactorTable:
    """A versioned table of emission factors, read from ``factors/<table_id>.csv``."""

    def __init__(self, table_id: str, factors: list[Factor]):
        self.table_id = table_id
        self._by_key = {(f.kind, f.area, f.year): f for f in factors}

    @classmethod
    @cache
    def load(cls, table_id: str) -> FactorTable:
        path = HERE / "factors" / f"{table_id}.csv"
        factors = []
        for i, r in enumerate(_read_csv(path), start=2):
            try:
                value = float(r["value_kg_per_kwh"])
                factors.append(Factor(int(r["year"]), r["kind"], r["area"], value, r["source"],
                                      r["published_on"] or None))
            except (KeyError, ValueError) as exc:
                raise ReferenceDataError(f"{path}: row {i} is malformed ({exc})") from exc
        return cls(table_id, factors)

    def select(self, kind: str, area: str, year: int) -> tuple[Factor, bool]:
        """The factor for an activity year, with the fallback flag (METHODOLOGY.md §2).

        For a year with no published factor the latest earlier year of the same kind and area is used
        and ``fallback`` is True; no earlier year at all is an error, never a silent zero.
        """
        exact = self._by_key.get((kind, area, year))
        if exact is not None:
            return exact, False
        earlier = [f for (k, a, y), f in self._by_key.items() if k == kind and a == area and y < year]
        if not earlier:
            raise MissingFactorError(
                f"no emission factor of kind '{kind}' for area '{area}' in or before {year} in factor table "
                f"'{self.table_id}'; add the published value to the table or choose another area in the profile")
        return max(earlier, key=lambda f: f.year), True


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
        raise ReferenceDataError(f"reference table {path} cannot be read: {exc}") from exc
    if any(start < 0 or start + width > rule.length for start, width in parts.values()):
        raise ReferenceDataError(f"reference table {path}: a part lies outside the {rule.length} characters")
    return rule
