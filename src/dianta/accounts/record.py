"""The published account: one typed record (INTERFACE.md fields; METHODOLOGY.md §3–§7b), defined once.

The record is a ``TypedDict``, not a frozen dataclass: an account is built as a mapping, evaluated over the whole
year in place (§7b benchmarks need every account), stored as JSON in the ledger (:func:`record_json`), fingerprinted
and read back (:func:`record_of`) — a TypedDict types exactly that shape with no conversion at any edge. Its
fields' names, English and Chinese labels and units come from
:data:`dianta.glossary.OUTPUTS`; the export columns (:data:`EXPORT_FIELDS`, :func:`export_headers`), the API's
``AccountPublic`` and the dashboard's field catalogue (``web/glossary.js``) are derived from the two.
"""

# no ``from __future__ import annotations``: TypedDict reads NotRequired from evaluated annotations
from typing import Literal, NotRequired, TypedDict, cast, get_type_hints

import orjson

from dianta.glossary import HOUR_BANDS, OUTPUTS, Quantity


class Benchmark(TypedDict):
    group: str
    size: int
    value: float | None


class AspectScores(TypedDict):
    intensity: float | None
    reduction: float | None
    green: float | None


class Label(TypedDict):
    grade: int
    colour: str
    year: int
    profile_id: str
    flags: NotRequired[list[str]]  # the account's flags that qualify the grade (glossary.QUALIFYING_FLAGS)
    verification_code: NotRequired[str | None]  # set when the account is published (accounts/labels.py)


class Alert(TypedDict):
    code: str
    month: str


class FactorUsed(TypedDict):
    year: int
    area: str
    kind: str
    value_kg_per_kwh: float
    source: NotRequired[str | None]
    announcement_no: NotRequired[str | None]  # the announcement's number (公告2025年第47号); None where not read


class Factors(TypedDict):
    location: FactorUsed
    residual: FactorUsed


class TimeOfUse(TypedDict):
    peak: float
    flat: float
    valley: float


class Electricity(TypedDict):
    monthly_kwh: list[float | None]
    monthly_kwh_prev_year: list[float | None]
    month_on_month: list[float | None]
    year_on_year: float | None
    year_on_year_months: NotRequired[int]  # since 0.11 (absent in an account published before)
    load_factor: float | None
    peak_kw: float | None
    operating_rate: float | None
    time_of_use: TimeOfUse | None
    time_of_use_source: Literal["monthly", "interval"] | None


class GreenInstrument(TypedDict):
    """A green instrument of the account's year traced to its plant (GREEN-POWER.md §9): a trade contract (its
    settled kWh of the year), or the unbundled certificates of one plant and production month (``n`` of them,
    ``source_id`` the first id, ``last_id`` the last)."""

    source_kind: Literal["trade", "certificate"]
    source_id: str
    last_id: str | None
    n: int
    plant_id: str | None
    technology: str | None
    plant_region_code: str | None  # GB/T 2260 province of the plant; null for an unknown plant
    month: str | None  # production month of certificates; null for a trade (all its months of the year)
    kwh: float
    in_boundary: bool  # counted under the profile's market boundary (§9)


class UnbackedTrade(TypedDict):
    """A month of the enterprise's green trades from one plant (``plant_id``, null for trades naming none) whose
    bundled certificates of that plant and production month fall short of the settled kWh (§9)."""

    contract_ids: list[str]
    plant_id: str | None
    month: str
    kwh_settled: float
    kwh_bundled: float


class Account(TypedDict):
    """An electricity-carbon account of one enterprise and year (INTERFACE.md; METHODOLOGY.md §3–§7b)."""

    credit_code: str
    year: int
    name: str | None
    industry_code: str | None
    region_code: str | None
    kwh_grid: float
    kwh_onsite: float
    kwh_total: float
    kwh_contract: float
    kwh_contract_excess: float
    emissions_location_t: float
    emissions_market_t: float
    emissions_t: float
    intensity: float | None
    reduction_t: float | None
    kwh_green: float
    green_share: float
    green_reduction_t: float
    cfe_score: float | None
    benchmark: Benchmark | None
    k: float | None
    aspect_scores: AspectScores
    score: float | None
    grade: int | None
    label: Label | None
    alerts: list[Alert]
    profile_id: str
    factors: Factors
    flags: list[str]
    kwh_trade: float
    kwh_cert: float
    value_10k_cny: float | None
    value_basis: Literal["value_added", "revenue"] | None
    intensity_prev: float | None
    electricity: Electricity
    hourly_matching: list[list[float | None]] | None
    # GREEN-POWER.md §9–§9b (issue 15): set in every account computed since 0.11; absent (null in the API and the
    # exports) in an account published before, until the year is computed again
    emissions_market_hourly_t: NotRequired[float | None]
    kwh_matched_hourly: NotRequired[float | None]
    kwh_cert_monthly_matched: NotRequired[float | None]
    kwh_outside_boundary: NotRequired[float]
    market_method: NotRequired[Literal["annual", "hourly"]]
    market_boundary: NotRequired[Literal["national", "regional_grid", "province"]]
    instruments: NotRequired[list[GreenInstrument]]
    unbacked_trades: NotRequired[list[UnbackedTrade]]
    run_id: NotRequired[int]  # set when the account is published (accounts/compute.py)
    inputs_fingerprint: NotRequired[str]


#: The export's columns (dotted inside nested objects) in order: INTERFACE.md's fields, then the details.
EXPORT_FIELDS: tuple[str, ...] = (
    "credit_code", "year", "name", "industry_code", "region_code",
    "kwh_grid", "kwh_onsite", "kwh_total", "kwh_trade", "kwh_cert", "kwh_contract", "kwh_contract_excess",
    "emissions_location_t", "emissions_market_t", "emissions_t", "value_10k_cny", "value_basis",
    "intensity", "intensity_prev", "reduction_t", "kwh_green", "green_share", "green_reduction_t", "cfe_score",
    "emissions_market_hourly_t", "kwh_matched_hourly", "kwh_cert_monthly_matched", "kwh_outside_boundary",
    "market_method", "market_boundary",
    "benchmark.group", "benchmark.size", "benchmark.value", "k",
    "aspect_scores.intensity", "aspect_scores.reduction", "aspect_scores.green", "score", "grade",
    "label.grade", "label.colour", "label.year", "label.profile_id", "label.flags", "alerts", "profile_id",
    *(f"factors.{role}.{key}" for role in ("location", "residual") for key in ("year", "area", "kind",
                                                                               "value_kg_per_kwh")),
    "flags", "electricity.load_factor", "electricity.operating_rate", "electricity.year_on_year",
    "electricity.year_on_year_months",
    "run_id", "inputs_fingerprint",
)


class TraceEntry(TypedDict):
    """One source of a green-computing certificate's trace (GREEN-POWER.md §11)."""

    source_kind: Literal["onsite", "trade", "certificate"]
    source_id: str
    plant_id: str | None
    technology: str | None
    kwh: float


class ComputingCertificate(TypedDict):
    """A green-computing certificate (绿电绿算溯源证书, GREEN-POWER.md §11; INTERFACE.md ``green-computing``):
    field names, labels and units from :data:`dianta.glossary.CERTIFICATE_FIELDS`."""

    credit_code: str
    site_name: str
    period: str
    level: Literal["A", "B", "C", "annual"] | None
    kwh_load: float
    green_share: float
    cfe_score: float | None
    kwh_matched_hourly: float | None
    kwh_cert_monthly_matched: float | None
    pue: float | None
    trace: list[TraceEntry]
    profile_id: str
    verification_code: str | None


class GapStorage(TypedDict):
    """The storage that would shift a park's green surplus into its later shortfall hours of the same day
    (GREEN-POWER.md §10 "what would close the gap", :func:`dianta.calc.parks.storage_to_close_gap`)."""

    round_trip_efficiency: float
    surplus_mwh: float
    shortfall_mwh: float
    covered_mwh: float
    energy_mwh: float
    power_mw: float
    remaining_mwh: float


class ParkAccount(TypedDict):
    """A park's account of a year (GREEN-POWER.md §10): its members and supplier pooled as one enterprise; aggregates
    only, never a member's figures. Hourly figures are null when the uncovered load share exceeds the profile's
    limit; ``alerts`` holds codes (``park_below_target``)."""

    park_id: str
    year: int
    park_name: str
    region_code: str
    members: int
    supplier_credit_code: str | None
    kwh_grid: float
    kwh_onsite: float
    kwh_total: float
    kwh_supplier_green: float
    kwh_contract: float
    kwh_contract_excess: float
    kwh_green: float
    green_share: float
    cfe_score: float | None
    kwh_matched_hourly: float | None
    emissions_location_t: float
    emissions_market_t: float
    emissions_t: float
    emissions_market_hourly_t: float | None
    value_10k_cny: float | None
    intensity: float | None
    target_green_share: float
    target_year: int | None
    expected_green_share: float | None
    shortfall_mwh: float
    hours_fully_green_share: float | None
    uncovered_load_share: float
    shortfall_map_mwh: list[list[float]] | None
    alerts: list[str]
    profile_id: str
    market_boundary: str
    # what would close the gap (issue 16; absent from park accounts published before it): null when the hourly
    # figures are; band code -> [start, end) hours and -> MWh
    hour_bands: NotRequired[dict[str, list[int]] | None]
    shortfall_by_band_mwh: NotRequired[dict[str, float] | None]
    gap_storage: NotRequired[GapStorage | None]
    verification_code: NotRequired[str | None]  # the park label's (accounts/park_labels.py)
    run_id: NotRequired[int]
    inputs_fingerprint: NotRequired[str]


#: the columns of ``dianta export parks`` (INTERFACE.md "Green power…"), in order; the JSON export has every field
PARK_EXPORT_FIELDS: tuple[str, ...] = (
    "park_id", "year", "members", "kwh_grid", "kwh_total", "kwh_contract", "kwh_contract_excess", "kwh_green",
    "green_share", "cfe_score", "emissions_location_t", "emissions_market_t", "intensity", "target_green_share",
    "shortfall_mwh", "hours_fully_green_share", "uncovered_load_share", "alerts",
    # what would close the gap (issue 16), flattened with dotted names (INTERFACE.md)
    *(f"shortfall_by_band_mwh.{code}" for code in HOUR_BANDS),
    *(f"gap_storage.{k}" for k in ("round_trip_efficiency", "surplus_mwh", "shortfall_mwh", "covered_mwh", "energy_mwh",
                                   "power_mw", "remaining_mwh")),
    "verification_code",
)


def quantity(dotted: str) -> Quantity:
    """The glossary entry of a record field (``factors.location.year``); KeyError for a field it lacks."""
    return OUTPUTS[dotted]


def zh_header(q: Quantity) -> str:
    """The field's Chinese column header: the name, with the unit in brackets when it has one (not for a
    fraction)."""
    return f"{q.zh}({q.zh_unit})" if q.unit not in ("", "1") else q.zh


def record_fields(td: type = Account, prefix: str = "") -> list[str]:
    """Every field of the record type, dotted, depth first (objects and their fields)."""
    out: list[str] = []
    for key, tp in get_type_hints(td).items():
        out.append(prefix + key)
        for nested in nested_records(tp):
            out += record_fields(nested, f"{prefix}{key}.")
    return out


def nested_records(tp: object) -> list[type]:
    """The record TypedDicts inside a field's type (``Benchmark | None``, ``list[Alert]``)."""
    if isinstance(tp, type) and hasattr(tp, "__required_keys__"):
        return [tp]
    return [t for arg in getattr(tp, "__args__", ()) for t in nested_records(arg)]


def record_json(record: Account) -> str:
    """The record as the ledger keeps it (``accounts.record_json``): JSON text, UTF-8, keys in the record's order,
    no spaces. orjson: a year of 5,000 accounts is written in 0.03 s and read in 0.05 s, where the json module took
    0.3 and 0.4 s (issue 18: an incremental recompute publishes the whole year again)."""
    return orjson.dumps(record).decode()


def record_of(text: str | bytes) -> Account:
    """A record as :func:`record_json` (or the json module, before) wrote it."""
    return cast(Account, orjson.loads(text))
