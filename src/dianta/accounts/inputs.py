"""Load stage: what one activity year's accounts need from the ledger and, through the engine, the lake."""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from dianta.calc.electricity import DECLINE_CARRY_FROM_MONTH, time_of_use_period
from dianta.calc.instruments import in_market_boundary, retired_within_validity
from dianta.engine.base import Engine, Input, ParquetInput
from dianta.engine.queries import QUARTERS, year_script
from dianta.ledger import schema
from dianta.ledger.lake import check_listed, key_range, span_months
from dianta.ledger.store import Store, crash_point
from dianta.reference.profile import Profile
from dianta.reference.tables import regional_grid

_FAR_PAST = dt.datetime(1900, 1, 1)
_FAR_FUTURE = dt.datetime(2300, 1, 1)


def months_of(year: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13)]


@dataclass(slots=True)
class Enterprise:
    credit_code: str
    name: str
    industry_code: str
    region_code: str
    opened_on: str | None
    closed_on: str | None


@dataclass(slots=True)
class MeterPeriods:
    """Who holds each meter when (DATA-REQUIREMENTS.md: meters)."""

    periods: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # meter -> (from, to, holder)

    def add(self, meter_id: str, credit_code: str, valid_from: str | None, valid_to: str | None) -> None:
        self.periods.setdefault(meter_id, []).append((valid_from or "0001-01-01", valid_to or "9999-12-31",
                                                      credit_code))

    def finish(self) -> None:
        for p in self.periods.values():
            p.sort()

    def holder(self, meter_id: str, day: str) -> str | None:
        """The enterprise holding the meter on ``day`` (ISO date)."""
        p = self.periods.get(meter_id, [])
        i = bisect.bisect_right(p, (day, "\uffff", "")) - 1
        if i >= 0 and p[i][0] <= day <= p[i][1]:
            return p[i][2]
        return None

    def month_holder(self, meter_id: str, month: str) -> str | None:
        """The enterprise a monthly total of ``month`` (YYYY-MM) belongs to (METHODOLOGY.md §3): the one holding
        the meter on the month's first day, else the one holding it on its last day; None when neither."""
        first = dt.date.fromisoformat(f"{month}-01")
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return self.holder(meter_id, first.isoformat()) or self.holder(meter_id, last.isoformat())

    def held_during(self, start: str, end: str) -> dict[str, set[str]]:
        """enterprise -> meters it holds at some time in ``[start, end]``."""
        out: dict[str, set[str]] = defaultdict(set)
        for meter, periods in self.periods.items():
            for a, b, code in periods:
                if a <= end and b >= start:
                    out[code].add(meter)
        return out


class Plant(NamedTuple):
    """A green-power plant an instrument names (GREEN-POWER.md §9: ``plants``)."""

    technology: str
    region_code: str  # GB/T 2260 code of the province it generates in


class Trade(NamedTuple):
    """A green trade's settled month (``green_trades``) and whether it counts under the profile's market
    boundary for its enterprise (GREEN-POWER.md §9)."""

    contract_id: str
    credit_code: str
    month: str
    kwh: float
    technology: str
    plant_id: str | None
    in_boundary: bool


class Certificate(NamedTuple):
    """A retired green certificate (``green_certificates``), inside the profile's market boundary for its
    enterprise or not, retired within the profile's validity or not (GREEN-POWER.md §9)."""

    certificate_id: str
    credit_code: str
    vintage_month: str
    mwh: float
    technology: str
    plant_id: str | None
    bundled: bool
    in_boundary: bool
    valid: bool


@dataclass(slots=True)
class YearInputs:
    """Ledger rows of years Y−1 and Y (and the monthly totals of Y−2's last months, §6), and the engine's
    aggregates of the lake."""

    year: int
    enterprises: dict[str, Enterprise]
    meters: MeterPeriods
    monthly: list[tuple[str, str, float, float | None, float | None, float | None]]
    onsite: dict[tuple[str, str], float]  # (credit_code, month) -> kWh self-consumed
    trades: list[Trade]
    certificates: list[Certificate]  # bundled and unbundled
    economics: dict[tuple[str, int], tuple[float | None, float | None]]  # -> (value added, revenue)
    aggregates: dict[str, pa.Table]
    fingerprint: str
    last_batch_id: int = 0  # the newest batch the inputs hold (they hold every batch before it: lock_writes)
    engine_inputs: dict[str, Input] = field(default_factory=dict)  # what the aggregation reads (aggregate_year)
    plants: dict[str, Plant] = field(default_factory=dict)
    prev_matching: bool = False  # aggregate Y−1's hourly matching too (GREEN-POWER.md §9b, market_method hourly)
    # GREEN-POWER.md §11: the data centres' IT sub-meters, left out of ``meters``, ``monthly`` and the engine's
    # meter assignment (their kWh are inside the site's grid kWh), and their monthly totals, kept for the PUE
    it_meters: MeterPeriods = field(default_factory=MeterPeriods)
    it_monthly: list[tuple[str, str, float, float | None, float | None, float | None]] = field(default_factory=list)
    rollups: bool = False  # the engine reads the lake's hourly roll-ups (issue 18), not only readings
    unique_hours: bool = False  # no two interval files it reads hold the same month (a meter-hour is in one)
    meter_rows: list[MeterRow] = field(default_factory=list)  # the engine's ``meters`` (grid meters read)
    interval: list[IntervalFile] = field(default_factory=list)  # the interval files the engine reads


class IntervalFile(NamedTuple):
    """An interval file the engine reads: a roll-up (``rolled``), or a readings file without one, the first and
    last month it holds, and the range of the meter ids it holds (its footer's statistics; None: not known)."""

    path: Path
    rolled: bool
    first: str
    last: str
    meters: tuple[str, str] | None


def load_year(store: Store, year: int, profile: Profile, engine: Engine, only: set[str] | None = None
              ) -> YearInputs:
    """Read everything accounts of ``year`` need (years Y−1 and Y) as one snapshot of the ledger and run the
    engine's aggregation; with ``only``, the interval data of the meters those enterprises ever held
    (incremental recompute)."""
    with store.snapshot() as view:
        inputs = read_year(view, store, year, profile, only)
    return aggregate_year(inputs, engine)


def aggregate_year(inputs: YearInputs, engine: Engine, progress: Callable[[int, int], None] | None = None
                   ) -> YearInputs:
    """Run the engine's aggregation of the lake files :func:`read_year` listed (``inputs.aggregates``). Lake
    files are never changed once published (a correction writes new ones), so the aggregation needs no open
    transaction and matches the snapshot the files were listed in. On an engine with ``meters_per_part``, more
    meters than that are aggregated part by part (:func:`parts`: every output is by enterprise, so the parts'
    outputs together are the whole run's), each part reading only the interval files and row groups of its
    meters: time and memory grow with the enterprises, not faster; ``progress(done, parts)`` after each."""
    split = parts(inputs.meter_rows, inputs.enterprises, engine.meters_per_part)
    if len(split) <= 1:
        inputs.aggregates = engine.run(year_script(inputs.prev_matching, unique_hours=inputs.unique_hours),
                                       inputs.engine_inputs)
        return inputs
    script = year_script(inputs.prev_matching, unique_hours=inputs.unique_hours, parted=True)
    outputs: dict[str, list[pa.Table]] = defaultdict(list)
    for done, (codes, rows) in enumerate(split, 1):
        out = engine.run(script, {**inputs.engine_inputs, **_part_inputs(inputs.interval, rows),
                                  "part_codes": pa.table({"credit_code": pa.array(sorted(codes), pa.string())})})
        for name, table in out.items():
            outputs[name].append(table)
        if progress is not None:
            progress(done, len(split))
    inputs.aggregates = {name: pa.concat_tables(tables) for name, tables in outputs.items()}
    return inputs


def parts(meter_rows: list[MeterRow], enterprises: Iterable[str], meters_per_part: int | None
          ) -> list[tuple[set[str], list[MeterRow]]]:
    """The enterprises split into parts of about ``meters_per_part`` meters (an enterprise's meters in one
    part), in the order of their smallest meter id, so that a part's meters span a narrow range of ids (those
    of a region sent in one batch); the enterprises holding no meter join the last part. One part when
    ``meters_per_part`` is None or not exceeded."""
    held: dict[str, list[MeterRow]] = defaultdict(list)
    for row in meter_rows:
        held[row[1]].append(row)
    if meters_per_part is None or len(meter_rows) <= meters_per_part:
        return [({*held, *enterprises}, list(meter_rows))]
    out: list[tuple[set[str], list[MeterRow]]] = []
    codes: set[str] = set()
    rows: list[MeterRow] = []
    for code in sorted(held, key=lambda c: (min(r[0] for r in held[c]), c)):
        codes.add(code)
        rows.extend(held[code])
        if len(rows) >= meters_per_part:
            out.append((codes, rows))
            codes, rows = set(), []
    if rows or not out:
        out.append((codes, rows))
    out[-1][0].update(c for c in enterprises if c not in held)
    return out


def _part_inputs(interval: list[IntervalFile], meter_rows: list[MeterRow]) -> dict[str, Input]:
    """The engine inputs of the meters ``meter_rows`` (``meters``, ``hourly``, ``readings``): only the interval
    files whose meter range meets theirs, and of those the rows in their range."""
    ids = sorted(r[0] for r in meter_rows)
    span = (ids[0], ids[-1]) if ids else None
    if span is None:
        files = []
    else:
        files = [f for f in interval if f.meters is None or (f.meters[0] <= span[1] and span[0] <= f.meters[1])]
    return {**_interval_inputs(files, span), "meters": _meters_table(meter_rows)}


def _interval_inputs(files: list[IntervalFile], span: tuple[str, str] | None) -> dict[str, Input]:
    """The engine's ``hourly`` and ``readings``: the roll-ups and the readings files without one of ``files``,
    only their rows whose meter id is in ``span`` (when given)."""
    between = None if span is None else ("meter_id", *span)
    return {"hourly": ParquetInput(tuple(f.path for f in files if f.rolled), HOURLY_SCHEMA, between=between),
            "readings": ParquetInput(tuple(f.path for f in files if not f.rolled), READINGS_SCHEMA, between=between)}


def _meters_table(meter_rows: list[MeterRow]) -> pa.Table:
    """The engine's ``meters``: who holds each meter from when (inclusive) to when (exclusive)."""
    ts = pa.timestamp("us")

    def day(text: str | None, default: dt.datetime, plus: int = 0) -> dt.datetime:
        return default if not text else dt.datetime.fromisoformat(text) + dt.timedelta(days=plus)

    return pa.table({"meter_id": pa.array([r[0] for r in meter_rows], pa.string()),
                     "credit_code": pa.array([r[1] for r in meter_rows], pa.string()),
                     "valid_from_ts": pa.array([day(r[2], _FAR_PAST) for r in meter_rows], ts),
                     "valid_to_excl_ts": pa.array([day(r[3], _FAR_FUTURE, 1) for r in meter_rows], ts)})


def read_year(con: sa.Connection, store: Store, year: int, profile: Profile, only: set[str] | None = None
              ) -> YearInputs:
    """The ledger rows of :func:`load_year` and the lake files to aggregate, read in ``con``: a snapshot
    (:meth:`Store.snapshot`), so that the rows, the files and ``last_batch_id`` are of one moment, whatever
    batch commits meanwhile (issue 13); the aggregates are left to :func:`aggregate_year`."""
    d = schema.data_tables
    months = months_of(year - 1) + months_of(year)
    last_batch = con.execute(sa.select(sa.func.max(schema.batches.c.batch_id))).scalar() or 0
    crash_point("compute.reading")  # a test hook: batches that commit from here on are not in this run
    e = d["enterprises"].c
    enterprises = {r[0]: Enterprise(*r) for r in con.execute(
        sa.select(e.credit_code, e.name, e.industry_code, e.region_code, e.opened_on, e.closed_on))}
    m = d["meters"].c
    meters, it_meters, meter_rows = split_it_meters(
        con, con.execute(sa.select(m.meter_id, m.credit_code, m.valid_from, m.valid_to)).all())
    ours: set[str] | None = None  # with ``only``: the meters whose readings and monthly totals are read
    if only is not None:  # the engine reads the readings of these enterprises' meters only
        wanted = {r[0] for r in meter_rows if r[1] in only}
        meter_rows = [r for r in meter_rows if r[0] in wanted]
        # and their IT sub-meters' (GREEN-POWER.md §11: the PUE's monthly totals and 15-minute sums)
        ours = wanted | {meter for meter, periods in it_meters.periods.items()
                         if any(holder in only for _, _, holder in periods)}
    c = d["consumption_monthly"].c
    # §6: a run of declining months may begin in Y−1, its November and December compared with Y−2's: the
    # monthly totals of those months of Y−2 too. Interval data of Y−2 is not read (the engine aggregates Y−1 and
    # Y): a Y−2 month without a monthly total is missing, and a meter whose Y−2 month has only readings leaves
    # that month's sum short, which can only hide a decline of Y−1, never invent one
    carried = months_of(year - 2)[DECLINE_CARRY_FROM_MONTH - 1:]
    query = (sa.select(c.meter_id, c.month, c.kwh, c.kwh_peak, c.kwh_flat, c.kwh_valley)
             .where(c.month.in_(carried + months)))
    if ours is not None and len(ours) <= 1000:  # a few enterprises: only their rows read (the province has 60,000)
        query = query.where(c.meter_id.in_(sorted(ours)))
    monthly = [tuple(r) for r in con.execute(query)]
    if ours is not None:
        monthly = [r for r in monthly if r[0] in ours]
    # a month of an IT sub-meter held by its data centre is not the data centre's grid kWh (GREEN-POWER.md §11)
    is_it = [it_meters.month_holder(r[0], r[1]) is not None for r in monthly]
    it_monthly = [r for r, it in zip(monthly, is_it, strict=True) if it]
    monthly = [r for r, it in zip(monthly, is_it, strict=True) if not it]
    o = d["onsite_generation"].c
    onsite = {(r[0], r[1]): r[2] for r in con.execute(
        sa.select(o.credit_code, o.month, o.kwh_self_consumed).where(o.month.in_(months)))}
    plants, trades, certificates = read_instruments(con, months, enterprises, profile)
    ec = d["economics"].c
    economics = {(r[0], r[1]): (r[2], r[3]) for r in con.execute(
        sa.select(ec.credit_code, ec.year, ec.value_added_10k_cny, ec.revenue_10k_cny)
        .where(ec.year.in_([year - 1, year])))}

    all_readings, interval = _interval_files(store, con, months, None if ours is None else sorted(ours))
    unique_hours = _apart(interval)
    onsite_files = store.active_files("onsite_generation_interval", months, con=con)
    # indicator 3's Y−1 recomputed by the hourly market-based method (GREEN-POWER.md §9b)
    prev_matching = profile.market_method == "hourly" and profile.emissions_basis == "market"
    profile_files = store.active_files("green_trade_profiles", months if prev_matching else months_of(year), con=con)
    ts = pa.timestamp("us")
    kwh_schema = {"onsite": pa.schema([("credit_code", pa.string()), ("ts", ts), ("kwh", pa.float64())]),
                  "profile": pa.schema([("contract_id", pa.string()), ("ts", ts), ("kwh", pa.float64())])}

    # hourly matching is for year Y only (and Y−1 under the hourly market-based method)
    trades_y = trades if prev_matching else [r for r in trades if r.month[:4] == str(year)]
    inputs: dict[str, Input] = {
        # with ``only``, of the files read only the row groups of those meters' range
        **_interval_inputs(interval, (min(ours), max(ours)) if ours else None),
        "meters": _meters_table(meter_rows),
        "bounds": pa.table({"prev_start": pa.array([dt.datetime(year - 1, 1, 1)], ts),
                            "y_start": pa.array([dt.datetime(year, 1, 1)], ts),
                            "y_end": pa.array([dt.datetime(year + 1, 1, 1)], ts)}),
        "tou": pa.table({"hour": pa.array(range(24), pa.int64()),
                         "period": pa.array(time_of_use_period(list(range(24)), valley_hours=profile.tou_valley_hours,
                                                               peak_hours=profile.tou_peak_hours).tolist())}),
        "onsite_interval": ParquetInput(tuple(onsite_files), kwh_schema["onsite"]),
        "trades": pa.table({
            "contract_id": pa.array([r[0] for r in trades_y], pa.string()),
            "credit_code": pa.array([r[1] for r in trades_y], pa.string()),
            "month_start": pa.array([dt.datetime.fromisoformat(r[2] + "-01") for r in trades_y], ts),
            "kwh": pa.array([r[3] for r in trades_y], pa.float64()),
            "in_boundary": pa.array([r.in_boundary for r in trades_y], pa.bool_())}),
        "profiles": ParquetInput(tuple(profile_files), kwh_schema["profile"]),
    }
    lake = sorted(p.name + "@" + p.parent.name for p in (*all_readings, *onsite_files, *profile_files))
    fingerprint = hashlib.sha256("\n".join([f"batch {last_batch}", *lake]).encode()).hexdigest()[:16]
    return YearInputs(year, enterprises, meters, monthly, onsite, trades, certificates, economics, {},
                      fingerprint, last_batch, inputs, plants, prev_matching, it_meters, it_monthly,
                      rollups=any(f.rolled for f in interval), unique_hours=unique_hours, meter_rows=meter_rows,
                      interval=interval)


#: the lake's hourly roll-ups of interval readings (ledger/lake.py ROLLUPS; engine/queries.py QUARTERS)
HOURLY_SCHEMA = pa.schema([("meter_id", pa.string()), ("hour", pa.timestamp("us")), ("kwh", pa.float64()),
                           ("peak_kwh", pa.float64()), ("n", pa.int64()),
                           *((q, pa.float64()) for q in QUARTERS)])


#: interval readings without a roll-up, as the engine reads them
READINGS_SCHEMA = pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("kwh", pa.float64())])


def _interval_files(store: Store, con: sa.Connection, months: list[str], wanted: list[str] | None
                    ) -> tuple[list[Path], list[IntervalFile]]:
    """The interval files of ``months``: every current readings file, and the files the engine reads (the roll-ups;
    the readings files without one, written before roll-ups were), with their months and meter ranges; with ``wanted``
    (sorted meter ids: an incremental recompute), only the files that may hold those meters' readings. Each
    readings file read or rolled up into a file read is checked against its digest with its roll-up (issue 13)
    before anything is read: a full compute checks the whole store's interval data."""
    spans = store.active_spans("interval_readings", months, verify=False, con=con)
    have = set(store.active_files("interval_hourly", months, con=con, verify=False))
    read: list[IntervalFile] = []
    checked: list[Path] = []
    for path, first, last in spans:
        rollup = store.lake / "interval_hourly" / path.relative_to(store.lake / "interval_readings")
        rolled = rollup in have
        read_path = rollup if rolled else path
        f = IntervalFile(read_path, rolled, first, last, key_range(read_path, "meter_id"))
        if wanted is not None and f.meters is not None:
            i = bisect.bisect_left(wanted, f.meters[0])
            if i == len(wanted) or wanted[i] > f.meters[1]:
                continue
        read.append(f)
        checked += [path, rollup] if f.rolled else [path]
    check_listed(store, checked, con=con)
    return [path for path, _, _ in spans], read


def _apart(files: list[IntervalFile]) -> bool:
    """No meter-hour is in two of the interval files ``files``: files holding the same month hold meters whose id
    ranges (the Parquet footers' statistics) are apart, as those of regions sent one after another are. False
    where a range is not known."""
    by_month: dict[str, list[IntervalFile]] = defaultdict(list)
    for f in files:
        for month in span_months(f.first, f.last):
            by_month[month].append(f)
    for shared in by_month.values():
        known = sorted(f.meters for f in shared if f.meters is not None)
        if len(shared) > 1 and (len(known) < len(shared) or any(a[1] >= b[0] for a, b in pairwise(known))):
            return False
    return True


MeterRow = tuple[str, str, str | None, str | None]  # meter_id, credit_code, valid_from, valid_to


def split_it_meters(con: sa.Connection, meter_rows: Sequence[Sequence[Any]]
                    ) -> tuple[MeterPeriods, MeterPeriods, list[MeterRow]]:
    """The meters rows split into the enterprises' grid meters and the data centres' IT sub-meters
    (GREEN-POWER.md §11: a ``meters`` row of a data centre's ``it_meter_id`` held by that data centre): the grid
    meters' periods, the IT sub-meters' periods, and the grid meters' rows (what the engine assigns readings
    by, so that an IT sub-meter's readings never reach E_grid or the hourly load)."""
    dc = schema.data_tables["data_centres"].c
    it = {(r[0], r[1]) for r in con.execute(sa.select(dc.it_meter_id, dc.credit_code)
                                            .where(dc.it_meter_id.is_not(None)))}
    grid, sub = MeterPeriods(), MeterPeriods()
    kept: list[MeterRow] = []
    for r in meter_rows:
        row: MeterRow = (r[0], r[1], r[2], r[3])
        if (row[0], row[1]) in it:
            sub.add(*row)
        else:
            grid.add(*row)
            kept.append(row)
    grid.finish()
    sub.finish()
    return grid, sub, kept


def read_instruments(con: sa.Connection, months: list[str], enterprises: dict[str, Enterprise], profile: Profile
                     ) -> tuple[dict[str, Plant], list[Trade], list[Certificate]]:
    """The plants, and the green trades and certificates of ``months`` with what counts of them under the
    profile (GREEN-POWER.md §9): each inside the market boundary of its enterprise or not (an instrument
    without a known plant only under ``national``), each certificate retired within its validity or not."""
    d = schema.data_tables
    p = d["plants"].c
    plants = {r[0]: Plant(r[1], r[2]) for r in con.execute(sa.select(p.plant_id, p.technology, p.region_code))}
    t = d["green_trades"].c
    trade_rows = con.execute(sa.select(t.contract_id, t.credit_code, t.month, t.kwh, t.technology, t.plant_id)
                             .where(t.month.in_(months))).all()
    g = d["green_certificates"].c
    cert_rows = con.execute(sa.select(g.certificate_id, g.credit_code, g.vintage_month, g.mwh, g.technology,
                                      g.plant_id, g.bundled, g.retired_on).where(g.vintage_month.in_(months))).all()
    inside = _in_boundary([(r[1], r[5]) for r in (*trade_rows, *cert_rows)], plants, enterprises, profile)
    trades = [Trade(*r, bool(b)) for r, b in zip(trade_rows, inside[:len(trade_rows)], strict=True)]
    valid: list[bool] | np.ndarray = retired_within_validity([r[2] for r in cert_rows], [r[7] for r in cert_rows],
                                    profile.certificate_validity_months) if cert_rows else []
    certificates = [Certificate(*r[:6], bool(r[6]), bool(b), bool(v))
                    for r, b, v in zip(cert_rows, inside[len(trade_rows):], valid, strict=True)]
    return plants, trades, certificates


def _in_boundary(links: list[tuple[str, str | None]], plants: dict[str, Plant], enterprises: dict[str, Enterprise],
                 profile: Profile) -> list[bool]:
    """Whether each (enterprise, plant id) instrument counts under the profile's market boundary (§9)."""
    plant_region = [plants[p].region_code if p is not None and p in plants else None for _, p in links]
    ent_region = [enterprises[c].region_code for c, _ in links]
    grid_of = {code: regional_grid(code) for code in {*ent_region, *filter(None, plant_region)}}
    return in_market_boundary(plant_region, ent_region, profile.market_boundary, grid_of).tolist()
