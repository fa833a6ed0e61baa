"""Park accounts of one year (GREEN-POWER.md §10): load → calculate → publish, after the enterprises' accounts.

Load: the parks, their memberships and the lake files of the park participants' interval data, read in the same
snapshot of the ledger as the enterprises' inputs (:func:`read_parks`); the engine pools the hourly load and green
supply (:data:`dianta.engine.queries.PARK_SCRIPT`) and the supplier's storage (§9c, :mod:`dianta.accounts.storage`).
Calculate: :mod:`dianta.calc.parks` on the participants' published figures (each weighted by its membership
fraction) and the pooled hours. Publish: :func:`publish_parks`, in the enterprises' publishing transaction. The
members' own accounts are unchanged.

Participants: a park's members that have an account in the year and are members on the first day of at least one
of its months, and its supplier when it has an account. A participant is *covered* when its account has complete
interval data (its ``cfe_score`` is not null; a supplier also when it draws no grid power); only covered
participants enter the pooled hours, the others are the uncovered load share (§10).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from dianta.accounts.inputs import YearInputs, months_of, read_year
from dianta.accounts.record import Account, ParkAccount
from dianta.accounts.storage import StorageYear, storage_inputs, storage_year, year_hours
from dianta.calc import matching
from dianta.calc import parks as calc
from dianta.calc.missing import none_if_nan as _none
from dianta.engine.base import Engine, Input
from dianta.engine.queries import STORAGE_SCRIPT, park_script
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.profile import Profile


@dataclass(frozen=True, slots=True)
class Park:
    park_id: str
    name: str
    region_code: str
    supplier: str | None
    target_green_share: float
    target_year: int | None


@dataclass(slots=True)
class ParkInputs:
    """What the park accounts of ``year`` read: the parks, each member's months in the year (bool (12,)), the
    first account year and green share of each park published before (trajectory), and the participants' year
    inputs and storage inputs for the engine."""

    year: int
    parks: list[Park]
    member_months: dict[tuple[str, str], np.ndarray]  # (park_id, credit_code) -> (12,) bool
    first_accounts: dict[str, tuple[int, float]]  # park_id -> (first year, its green share)
    year_inputs: YearInputs | None = None
    storage: dict[str, Input] = field(default_factory=dict)


def _member_months(year: int, valid_from: str | None, valid_to: str | None) -> np.ndarray:
    """Whether the membership holds on the first day of each month of ``year`` (module docstring)."""
    firsts = [f"{m}-01" for m in months_of(year)]
    return np.array([(valid_from or "0001-01-01") <= d <= (valid_to or "9999-12-31") for d in firsts], dtype=bool)


def read_parks(con: sa.Connection, store: Store, year: int, profile: Profile) -> ParkInputs:
    """The park inputs of ``year`` read in ``con`` (the snapshot the enterprises' inputs are read in)."""
    d = schema.data_tables
    p, pm = d["parks"].c, d["park_members"].c
    parks = [Park(r[0], r[1], r[2], r[3], 1.0 if r[4] is None else float(r[4]), r[5]) for r in con.execute(
        sa.select(p.park_id, p.name, p.region_code, p.supplier_credit_code, p.target_green_share, p.target_year)
        .order_by(p.park_id))]
    months: dict[tuple[str, str], np.ndarray] = {}
    for park, code, start, end in con.execute(sa.select(pm.park_id, pm.credit_code, pm.valid_from, pm.valid_to)):
        mask = _member_months(year, start, end)
        months[(park, code)] = months.get((park, code), np.zeros(12, dtype=bool)) | mask
    months = {k: v for k, v in months.items() if v.any()}
    pa_ = schema.park_accounts
    first: dict[str, tuple[int, float]] = {}
    for park, y, record in con.execute(sa.select(pa_.c.park_id, pa_.c.year, pa_.c.record_json).where(
            pa_.c.profile_id == profile.profile_id, pa_.c.year < year).order_by(pa_.c.year.desc())):
        first[park] = (int(y), float(json.loads(record)["green_share"]))  # the earliest year wins (descending order)
    inputs = ParkInputs(year, parks, months, first)
    codes = {c for _, c in months} | {k.supplier for k in parks if k.supplier}
    if parks and codes:
        inputs.year_inputs = read_year(con, store, year, profile, only=codes)
        inputs.storage = storage_inputs(con, store, year)
    return inputs


@dataclass(slots=True)
class _Participants:
    """The participants of every park as columns (one element each); ``park`` indexes ``ParkInputs.parks``."""

    park: list[int] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    supplier: list[bool] = field(default_factory=list)
    months: list[np.ndarray] = field(default_factory=list)

    def add(self, park: int, code: str, supplier: bool, months: np.ndarray) -> None:
        self.park.append(park)
        self.code.append(code)
        self.supplier.append(supplier)
        self.months.append(months)


def _participants(inp: ParkInputs, accounts: dict[str, Account]) -> _Participants:
    out = _Participants()
    for i, park in enumerate(inp.parks):
        before = len(out.code)
        for (park_id, code), months in sorted(inp.member_months.items()):
            if park_id == park.park_id and code in accounts and code != park.supplier:
                out.add(i, code, False, months)
        if park.supplier and park.supplier in accounts and len(out.code) > before:  # a park needs a member
            out.add(i, park.supplier, True, np.ones(12, dtype=bool))
    return out


def _covered(record: Account, supplier: bool) -> bool:
    return record.get("cfe_score") is not None or (supplier and not record["kwh_grid"])


def compute_parks(inp: ParkInputs, records: list[Account], profile: Profile, engine: Engine) -> list[ParkAccount]:
    """The park accounts of ``inp.year`` from the year's enterprise accounts ``records`` (GREEN-POWER.md §10)."""
    accounts = {str(r["credit_code"]): r for r in records}
    part = _participants(inp, accounts)
    present = sorted(set(part.park))
    if not present or inp.year_inputs is None:
        return []
    n = len(inp.parks)
    recs = [accounts[c] for c in part.code]
    sup = np.array(part.supplier, dtype=bool)
    covered = np.array([_covered(r, s) for r, s in zip(recs, part.supplier, strict=True)], dtype=bool)
    storage = storage_year(engine.run(STORAGE_SCRIPT, inp.storage)["storage_hour"], inp.year)
    pooled = _pooled_hours(inp, part, covered, storage_supply(storage, part), engine)

    def col(key: str) -> np.ndarray:
        return np.array([np.nan if r.get(key) is None else float(r[key]) for r in recs], dtype=float)  # type: ignore[literal-required]

    monthly = np.array([r["electricity"]["monthly_kwh"] for r in recs], dtype=float).reshape(-1, 12)
    fraction = calc.membership_fraction(np.where(np.isnan(monthly), np.nan, monthly), np.array(part.months))
    supply_year = np.array([storage.green_supply_kwh(c).sum() if c in storage.credit_codes else
                            float(accounts[c]["kwh_onsite"]) for c in part.code])
    annual = calc.pooled_annual(
        part.park, n, fraction, kwh_grid=col("kwh_grid"), kwh_onsite=np.where(sup, 0.0, col("kwh_onsite")),
        kwh_instruments=col("kwh_trade") + col("kwh_cert"), kwh_supplier_green=np.where(sup, supply_year, 0.0),
        emissions_location_t=col("emissions_location_t"),
        residual_kg_per_kwh=[r["factors"]["residual"]["value_kg_per_kwh"] for r in recs])
    load = np.where(sup, col("kwh_grid"), col("kwh_total"))
    uncovered = calc.uncovered_load_share(load, fraction, covered, part.park, n)
    hourly = calc.pooled_hourly(pooled[0], pooled[1], pooled[2], pooled[3], uncovered <= profile.uncovered_load_limit)
    emissions, hourly_market = _emissions(inp, part, recs, covered, uncovered, annual, hourly, profile)
    intensity = calc.pooled_intensity(emissions, col("value_10k_cny"), fraction, part.park, n)
    value = calc.pooled_sum(fraction * np.nan_to_num(col("value_10k_cny")), part.park, n)
    value_missing = calc.pooled_sum(np.isnan(col("value_10k_cny")).astype(float), part.park, n) > 0
    target = np.array([k.target_green_share for k in inp.parks])
    first = [inp.first_accounts.get(k.park_id, (inp.year, float(annual["green_share"][i])))
             for i, k in enumerate(inp.parks)]
    expected = calc.target_trajectory(inp.year, [f[0] for f in first], [f[1] for f in first],
                                      [np.nan if k.target_year is None else k.target_year for k in inp.parks], target)
    alert = calc.below_target(annual["green_share"], expected)
    shortfall = calc.shortfall_mwh(target, annual["kwh_total"], annual["kwh_green"])
    members = np.bincount(np.array(part.park)[~sup], minlength=n) if (~sup).any() else np.zeros(n, dtype=int)
    gap = close_the_gap(pooled[0], pooled[1], pooled[3], ~np.isnan(hourly["cfe_score"]), profile)
    out: list[ParkAccount] = []
    for i in present:
        k = inp.parks[i]
        record: ParkAccount = {
            "park_id": k.park_id, "year": inp.year, "park_name": k.name, "region_code": k.region_code,
            "members": int(members[i]), "supplier_credit_code": k.supplier,
            "kwh_grid": float(annual["kwh_grid"][i]), "kwh_onsite": float(annual["kwh_onsite"][i]),
            "kwh_total": float(annual["kwh_total"][i]), "kwh_contract": float(annual["kwh_contract"][i]),
            "kwh_contract_excess": float(annual["kwh_contract_excess"][i]), "kwh_green": float(annual["kwh_green"][i]),
            "green_share": float(annual["green_share"][i]),
            "emissions_location_t": float(annual["emissions_location_t"][i]),
            "emissions_market_t": float(annual["emissions_market_t"][i]),
            "kwh_supplier_green": float(calc.pooled_sum(np.where(sup, fraction * supply_year, 0.0), part.park, n)[i]),
            "cfe_score": _none(hourly["cfe_score"][i]), "kwh_matched_hourly": _none(hourly["kwh_matched_hourly"][i]),
            "emissions_t": float(emissions[i]), "emissions_market_hourly_t": _none(hourly_market[i]),
            "value_10k_cny": None if value_missing[i] else float(value[i]),
            "intensity": _none(intensity[i]), "target_green_share": float(target[i]), "target_year": k.target_year,
            "expected_green_share": _none(expected[i]), "shortfall_mwh": float(shortfall[i]),
            "hours_fully_green_share": _none(hourly["hours_fully_green_share"][i]),
            "uncovered_load_share": float(uncovered[i]),
            "shortfall_map_mwh": None if np.isnan(hourly["cfe_score"][i]) else hourly["shortfall_map_mwh"][i].tolist(),
            "alerts": ["park_below_target"] if alert[i] else [],
            "profile_id": profile.profile_id, "market_boundary": profile.market_boundary,
        }
        out.append({**record, **gap[i]})  # type: ignore[typeddict-item]
    return out


def close_the_gap(load: np.ndarray, green: np.ndarray, hour_of_day: np.ndarray, usable: np.ndarray,
                  profile: Profile) -> list[dict[str, Any]]:
    """Each park's ``hour_bands``, ``shortfall_by_band_mwh`` and ``gap_storage`` (GREEN-POWER.md §10, "what would
    close the gap": :func:`calc.shortfall_by_band_mwh`, :func:`calc.storage_to_close_gap` on the pooled hours),
    all null where the park's hourly figures are (``usable`` False)."""
    codes = [c for c, _, _ in profile.hour_bands]
    bands = calc.shortfall_by_band_mwh(load, green, hour_of_day,
                                       calc.band_of_hour([(a, b) for _, a, b in profile.hour_bands]), len(codes))
    eta = profile.storage_round_trip_efficiency
    st = calc.storage_to_close_gap(load, green, eta)
    keys = ("surplus_mwh", "shortfall_mwh", "covered_mwh", "energy_mwh", "power_mw", "remaining_mwh")
    hours = {c: [a, b] for c, a, b in profile.hour_bands}
    return [{"hour_bands": hours, "shortfall_by_band_mwh": dict(zip(codes, map(float, bands[i]), strict=True)),
             "gap_storage": {"round_trip_efficiency": eta, **{k: float(st[k][i]) for k in keys}}}
            if ok else {"hour_bands": None, "shortfall_by_band_mwh": None, "gap_storage": None}
            for i, ok in enumerate(usable)]


def _emissions(inp: ParkInputs, part: _Participants, recs: list[Account], covered: np.ndarray, uncovered: np.ndarray,
               annual: dict[str, np.ndarray], hourly: dict[str, np.ndarray], profile: Profile
               ) -> tuple[np.ndarray, np.ndarray]:
    """The park's indicator 1 and its hourly market-based emissions (GREEN-POWER.md §9b on the pooled hours): U_m of
    the pooled hours, C_m the counted unbundled certificates of production month m of the participants covered in
    that month. Only for a park whose every participant is covered (an uncovered member's load has no hours to
    match), else NaN; under ``market_method = "hourly"`` and the market basis, indicator 1 is that figure where it
    exists, else the annual pooled C_mkt."""
    cert = np.zeros((len(recs), 12))
    for j, r in enumerate(recs):
        for g in r.get("instruments") or []:
            month = g["month"] or ""
            if g["source_kind"] == "certificate" and g["in_boundary"] and month[:4] == str(inp.year):
                cert[j, int(month[5:7]) - 1] += g["kwh"]
    counted = np.array(part.months, dtype=bool) & covered[:, None]
    n = len(inp.parks)
    pooled_cert = np.stack([calc.pooled_sum(np.where(counted[:, m], cert[:, m], 0.0), part.park, n)
                            for m in range(12)], axis=1)
    market_hourly = matching.hourly_market_emissions_t(hourly["unmatched_monthly_kwh"], pooled_cert,
                                                      annual["residual_kg_per_kwh"])
    market_hourly = np.where(uncovered > 0, np.nan, market_hourly)
    if profile.emissions_basis != "market":
        return annual["emissions_location_t"], market_hourly
    if profile.market_method == "hourly":
        return np.where(np.isnan(market_hourly), annual["emissions_market_t"], market_hourly), market_hourly
    return annual["emissions_market_t"], market_hourly


def storage_supply(storage: StorageYear, part: _Participants) -> pa.Table:
    """``supplier_supply``: the hourly green supply (§9c) of the suppliers that own storage."""
    codes = sorted({c for c, s in zip(part.code, part.supplier, strict=True) if s and c in storage.credit_codes})
    hours = storage.hours.astype("datetime64[us]")
    return pa.table({
        "credit_code": pa.array([c for c in codes for _ in range(len(hours))], pa.string()),
        "hour": pa.array(np.tile(hours, len(codes)), pa.timestamp("us")),
        "kwh": pa.array(np.concatenate([storage.green_supply_kwh(c) for c in codes]) if codes else [], pa.float64())})


def _pooled_hours(inp: ParkInputs, part: _Participants, covered: np.ndarray, supply: pa.Table, engine: Engine
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(load, green) (parks, hours) [kWh] pooled by the engine over the covered participants, and the month (1–12)
    and hour of day of each hour."""
    assert inp.year_inputs is not None
    ts = pa.timestamp("us")
    rows = [(inp.parks[p].park_id, c, dt.datetime(inp.year, m + 1, 1), "supplier" if s else "member")
            for p, c, s, months, ok in zip(part.park, part.code, part.supplier, part.months, covered, strict=True)
            if ok for m in np.flatnonzero(months)]
    roles = pa.table({"park_id": pa.array([r[0] for r in rows], pa.string()),
                      "credit_code": pa.array([r[1] for r in rows], pa.string()),
                      "month_start": pa.array([r[2] for r in rows], ts),
                      "role": pa.array([r[3] for r in rows], pa.string())})
    out = engine.run(park_script(unique_hours=inp.year_inputs.unique_hours),
                     {**inp.year_inputs.engine_inputs, "park_roles": roles, "supplier_supply": supply})["park_hour"]
    hours = year_hours(inp.year)
    load, green = np.zeros((len(inp.parks), len(hours))), np.zeros((len(inp.parks), len(hours)))
    if out.num_rows:
        index = {k.park_id: i for i, k in enumerate(inp.parks)}
        r = np.array([index[p] for p in out.column("park_id").to_pylist()], dtype=np.int64)
        h = (out.column("hour").to_numpy().astype("datetime64[h]") - hours[0]).astype(np.int64)
        np.add.at(load, (r, h), out.column("load_kwh").to_numpy(zero_copy_only=False))
        np.add.at(green, (r, h), out.column("green_kwh").to_numpy(zero_copy_only=False))
    month = hours.astype("datetime64[M]").astype(np.int64) % 12 + 1
    hour_of_day = (hours - hours.astype("datetime64[D]")).astype(np.int64)
    return load, green, month, hour_of_day


def publish_parks(tx: sa.Connection, year: int, profile_id: str, records: list[ParkAccount], run_id: int,
                  fingerprint: str, *, through_batch: int) -> None:
    """Replace the year's park accounts under the profile (in the enterprises' publishing transaction) and settle
    the park marks of the year set by batches up to ``through_batch`` (a mark for every year becomes a mark on the
    park's other published years, as for enterprises)."""
    pa_, pm = schema.park_accounts, schema.park_marks
    tx.execute(pa_.delete().where(pa_.c.year == year, pa_.c.profile_id == profile_id))
    for r in records:
        r["run_id"] = run_id
        r["inputs_fingerprint"] = fingerprint
    if records:
        tx.execute(pa_.insert(), [{"park_id": r["park_id"], "year": year, "profile_id": profile_id, "run_id": run_id,
                                   "record_json": json.dumps(r, ensure_ascii=False)} for r in records])
    settled = pm.c.batch_id <= through_batch
    for park, batch_id in tx.execute(sa.select(pm.c.park_id, pm.c.batch_id).where(pm.c.year == 0, settled)).all():
        for other in tx.execute(sa.select(pa_.c.year).distinct().where(
                pa_.c.park_id == park, pa_.c.year != year, pa_.c.profile_id == profile_id)).scalars().all():
            if tx.execute(sa.select(pm.c.year).where(pm.c.park_id == park, pm.c.year == other)).first() is None:
                tx.execute(pm.insert().values(park_id=park, year=other, batch_id=batch_id))
    tx.execute(pm.delete().where(pm.c.year.in_([0, year]), settled))


def read_park_accounts(store: Store, year: int, profile_id: str = "default") -> list[ParkAccount]:
    """The published park accounts of a year, ordered by park id."""
    pa_ = schema.park_accounts
    with store.engine.connect() as con:
        rows = con.execute(sa.select(pa_.c.record_json).where(pa_.c.year == year, pa_.c.profile_id == profile_id)
                           .order_by(pa_.c.park_id)).all()
    return [json.loads(r[0]) for r in rows]
