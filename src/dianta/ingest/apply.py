"""Applying a checked batch: the row diffs (new rows, no-ops, corrections with history), quarantine and the
recalculation marks.

The whole batch is applied in one ledger transaction; its lake files are staged, referenced by that
transaction and published after it commits (:class:`dianta.ledger.lake.BatchFiles`). A refused batch changes
nothing. Two stages: :class:`_LakeStage` before the transaction (the lake tables' rows against the stored
files, staged as new files), :class:`_LedgerStage` in it (the ledger tables' rows, quarantine, the marks).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import sqlalchemy as sa

from dianta.calc.electricity import DECLINE_CARRY_FROM_MONTH
from dianta.clock import now_iso
from dianta.errors import Conflict, InputRefused, UsageError
from dianta.findings import Finding
from dianta.glossary import TABLES, TableSpec
from dianta.ingest.readers import SourceTable, read_batch
from dianta.ingest.validate import BatchCheck, StoreSnapshot, q
from dianta.ledger import integrity, schema
from dianta.ledger.lake import BatchFiles, month_runs, span_months
from dianta.ledger.store import Store, crash_point, current_user, duplicates_refused, lock_writes

Progress = Callable[[str], None]
#: findings kept with an applied batch (warnings, and the reasons of quarantined rows)
MAX_KEPT_FINDINGS = 5000
#: the ledger tables a batch's checks read from the store (keys, meter periods; marks follow meter holders)
CHECKED_AGAINST = ("enterprises", "meters", "plants", "green_trades", "green_certificates", "parks", "park_members")


@dataclass(slots=True)
class TableCounts:
    new: int = 0
    unchanged: int = 0
    corrected: int = 0
    quarantined: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"new": self.new, "unchanged": self.unchanged, "corrected": self.corrected,
                "quarantined": self.quarantined}


@dataclass(slots=True)
class IngestResult:
    """What an ingest did. ``status``: applied, partial (rows quarantined) or unchanged (nothing new)."""

    status: str
    batch_id: int | None
    findings: list[Finding]
    counts: dict[str, TableCounts] = field(default_factory=dict)
    marked_accounts: int = 0


def _key_json(values: list[object]) -> str:
    return json.dumps([v.isoformat() if isinstance(v, dt.date) else v for v in values], ensure_ascii=False)


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def connect_engine(store: Store) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for ingest work, spilling to the store's temp folder."""
    # rows are ordered where order matters (ORDER BY _row); elsewhere DuckDB may stream them in any order
    con = duckdb.connect(config={"temp_directory": str(store.temp_dir()), "memory_limit": "4GB",
                                 "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")
    return con


def snapshot(store: Store, sources: dict[str, SourceTable], view: sa.Connection | None = None) -> StoreSnapshot:
    """The store's keys and meter periods the checks need, as Arrow tables, read in ``view`` (one snapshot of the
    ledger, :meth:`Store.snapshot`, in which the batch is also staged) or a snapshot of its own."""
    d = schema.data_tables
    with store.snapshot() if view is None else nullcontext(view) as con:
        def table(query: sa.Select, names: list[str], types: list[pa.DataType]) -> pa.Table:
            rows = con.execute(query).all()
            return pa.table({n: pa.array([r[i] for r in rows], t) for i, (n, t) in enumerate(zip(names, types,
                                                                                                  strict=True))})

        ent = table(sa.select(d["enterprises"].c.credit_code), ["credit_code"], [pa.string()])
        m = d["meters"].c
        meter_rows = con.execute(sa.select(m.meter_id, m.credit_code, m.valid_from, m.valid_to)).all()
        meters = pa.table({
            "meter_id": pa.array([r[0] for r in meter_rows], pa.string()),
            "credit_code": pa.array([r[1] for r in meter_rows], pa.string()),
            "valid_from": pa.array([dt.date.fromisoformat(r[2]) if r[2] else None for r in meter_rows], pa.date32()),
            "valid_to": pa.array([dt.date.fromisoformat(r[3]) if r[3] else None for r in meter_rows], pa.date32()),
        })
        contracts = table(sa.select(d["green_trades"].c.contract_id).distinct(), ["contract_id"], [pa.string()])
        c = d["green_certificates"].c
        certs = table(sa.select(c.certificate_id, c.credit_code, c.vintage_month, c.mwh, c.bundled, c.plant_id),
                      ["certificate_id", "credit_code", "vintage_month", "mwh", "bundled", "plant_id"],
                      [pa.string(), pa.string(), pa.string(), pa.float64(), pa.bool_(), pa.string()])
        plants = table(sa.select(d["plants"].c.plant_id), ["plant_id"], [pa.string()])
        t = d["green_trades"].c
        trade_query = sa.select(t.contract_id, t.credit_code, t.month, t.kwh, t.plant_id)
        if "green_trades" not in sources and "green_certificates" not in sources:
            trade_query = trade_query.where(sa.false())  # only bundled backing reads them
        trades = table(trade_query, ["contract_id", "credit_code", "month", "kwh", "plant_id"],
                       [pa.string(), pa.string(), pa.string(), pa.float64(), pa.string()])
        mc = d["consumption_monthly"].c
        monthly_query = sa.select(mc.meter_id, mc.month, mc.kwh)
        if "interval_readings" not in sources:
            monthly_query = monthly_query.where(sa.false())
        monthly = table(monthly_query, ["meter_id", "month", "kwh"], [pa.string(), pa.string(), pa.float64()])
        interval_files: dict[str, list[str]] = defaultdict(list)
        if "interval_readings" in sources or "consumption_monthly" in sources:
            for path, first, last in store.active_spans("interval_readings", verify=False):  # checked when read
                for month in span_months(first, last):
                    interval_files[month].append(str(path))
        parks = table(sa.select(d["parks"].c.park_id), ["park_id"], [pa.string()])
        pm = d["park_members"].c
        member_rows = con.execute(sa.select(pm.park_id, pm.credit_code, pm.valid_from, pm.valid_to)).all()
        members = pa.table({
            "park_id": pa.array([r[0] for r in member_rows], pa.string()),
            "credit_code": pa.array([r[1] for r in member_rows], pa.string()),
            "valid_from": pa.array([dt.date.fromisoformat(r[2]) if r[2] else None for r in member_rows], pa.date32()),
            "valid_to": pa.array([dt.date.fromisoformat(r[3]) if r[3] else None for r in member_rows], pa.date32())})
    return StoreSnapshot(ent, meters, contracts, certs, monthly, plants, trades, dict(interval_files),
                         check_lake=lambda paths: integrity.check_paths(store, paths), parks=parks,
                         park_members=members)


class _Marks:
    """The accounts a batch makes stale (METHODOLOGY/DATA-REQUIREMENTS): (credit code, year) for the year of
    the changed data and the following year (year 0: every year, for changes of the enterprise or its meters),
    and the benchmark groups (division, year) an enterprise left. Written as recalculation marks in the batch's
    transaction (:meth:`write`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, view: sa.Connection | None = None):
        self.con = con  # the checks' connection: all_meters, this batch's typed_ tables
        self.view = view  # the ledger's snapshot the batch is checked against
        self.accounts: set[tuple[str, int]] = set()
        self.divisions: set[tuple[str, int]] = set()
        self.parks: set[tuple[str, int]] = set()  # (park_id, year; 0: every year), GREEN-POWER.md §10

    def years(self, code: str, year: int) -> None:
        self.accounts.update({(code, year), (code, year + 1)})

    def _holders(self, meter_id: str, day: str) -> list[str]:
        return [r[0] for r in self.con.sql(
            "SELECT credit_code FROM all_meters WHERE meter_id = ? AND coalesce(valid_from, DATE '0001-01-01') <= "
            "CAST(? AS DATE) AND coalesce(valid_to, DATE '9999-12-31') >= CAST(? AS DATE)",
            params=[meter_id, day, day]).fetchall()]

    def ledger_correction(self, table: str, old: dict[str, object], new: dict[str, object]) -> None:
        """A row of a ledger table corrected from ``old`` to ``new``."""
        match table:
            case "enterprises":
                self.accounts.add((str(new["credit_code"]), 0))
                if old["industry_code"] != new["industry_code"]:
                    self.divisions.add((str(old["industry_code"])[:3], 0))
            case "meters" | "data_centres":  # a data centre's IT sub-meter is not in its E_grid (GREEN-POWER §11)
                self.accounts.update({(str(old["credit_code"]), 0), (str(new["credit_code"]), 0)})
            case "consumption_monthly":
                self._monthly_correction(str(new["meter_id"]), str(new["month"]))
            case "onsite_generation" | "green_trades":
                self.years(str(new["credit_code"]), int(str(new["month"])[:4]))
            case "green_certificates":
                for rec in (old, new):
                    self.years(str(rec["credit_code"]), int(str(rec["vintage_month"])[:4]))
            case "economics":
                self.years(str(new["credit_code"]), int(str(new["year"])))
            case "plants":
                for code, month in self._plant_users(str(new["plant_id"])):
                    self.years(code, int(month[:4]))
            case "parks" | "park_members":  # GREEN-POWER.md §10: the park's every year
                self.parks.update({(str(old["park_id"]), 0), (str(new["park_id"]), 0)})

    def _monthly_correction(self, meter_id: str, month: str) -> None:
        """A corrected monthly total: the holder of the month's first day, else of its last (§3); November and
        December also feed year+2's decline alerts (§6)."""
        first = dt.date.fromisoformat(f"{month}-01")
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        for code in self._holders(meter_id, first.isoformat()) or self._holders(meter_id, last.isoformat()):
            self.years(code, first.year)
            if first.month >= DECLINE_CARRY_FROM_MONTH:  # §6: year+2's alerts compare year+1 with it
                self.accounts.add((code, first.year + 2))

    def _plant_users(self, plant_id: str) -> set[tuple[str, str]]:
        """(credit code, month) of the trades and certificates, stored or in this batch, that name a plant: a
        corrected plant (its province, GREEN-POWER.md §9) changes what their instruments count for."""
        d = schema.data_tables
        t, c = d["green_trades"].c, d["green_certificates"].c
        users: set[tuple[str, str]] = set()
        if self.view is not None:
            users.update((r[0], r[1]) for r in self.view.execute(
                sa.select(t.credit_code, t.month).where(t.plant_id == plant_id).distinct()))
            users.update((r[0], r[1]) for r in self.view.execute(
                sa.select(c.credit_code, c.vintage_month).where(c.plant_id == plant_id).distinct()))
        tables = {r[0] for r in self.con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}
        for name, month in (("green_trades", "month"), ("green_certificates", "vintage_month")):
            if f"typed_{name}" in tables:
                users.update((r[0], r[1]) for r in self.con.sql(
                    f"SELECT DISTINCT credit_code, {month} FROM typed_{name} WHERE plant_id = ? AND credit_code IS "
                    f"NOT NULL AND {month} IS NOT NULL AND _row NOT IN (SELECT _row FROM bad_{name})",
                    params=[plant_id]).fetchall())
        return users

    def lake_corrections(self, name: str, view: sa.Connection, sources: dict[str, SourceTable]) -> None:
        """The rows of lake table ``name`` corrected by the batch (DuckDB table ``changed``); ``view``: the
        ledger's snapshot the batch is checked against."""
        if name == "interval_readings":
            query = ("SELECT DISTINCT m.credit_code, year(c.ts) FROM changed c JOIN all_meters m ON m.meter_id = "
                     "c.meter_id AND coalesce(m.valid_from, DATE '0001-01-01') <= CAST(c.ts AS DATE) AND "
                     "coalesce(m.valid_to, DATE '9999-12-31') >= CAST(c.ts AS DATE)")
        elif name in ("onsite_generation_interval", "storage_interval"):
            query = "SELECT DISTINCT credit_code, year(ts) FROM changed"
        else:  # green_trade_profiles: every enterprise the contract was settled to that year
            links = self._trade_links(view, with_batch="green_trades" in sources)
            query = (f"SELECT DISTINCT t.credit_code, year(c.ts) FROM changed c JOIN ({links}) t "
                     "ON t.contract_id = c.contract_id AND t.year = year(c.ts)")
        for code, year in self.con.sql(query).fetchall():
            self.years(code, int(year))

    def _trade_links(self, view: sa.Connection, *, with_batch: bool) -> str:
        """SQL of (contract_id, credit_code, year): the store's trades, and this batch's valid ones."""
        trades = schema.data_tables["green_trades"]
        rows = view.execute(sa.select(trades.c.contract_id, trades.c.credit_code, trades.c.month)).all()
        self.con.register("stored_trade_links", pa.table({
            "contract_id": pa.array([r[0] for r in rows], pa.string()),
            "credit_code": pa.array([r[1] for r in rows], pa.string()),
            "year": pa.array([int(r[2][:4]) for r in rows], pa.int64())}))
        links = "SELECT contract_id, credit_code, year FROM stored_trade_links"
        if with_batch:
            links += (" UNION SELECT contract_id, credit_code, CAST(left(month, 4) AS BIGINT) FROM "
                      "typed_green_trades WHERE _row NOT IN (SELECT _row FROM bad_green_trades)")
        return links

    def _member_parks(self, tx: sa.Connection) -> set[tuple[str, int]]:
        """The park years the marked accounts feed (GREEN-POWER.md §10): a member's or a supplier's corrected data
        marks the park's year (every year for year 0; membership dates are not narrowed: the park's account of a
        year it was no member of is only recomputed, never changed)."""
        codes = sorted({c for c, _ in self.accounts})
        pm, pk = schema.data_tables["park_members"], schema.data_tables["parks"]
        parks_of: dict[str, set[str]] = defaultdict(set)
        for i in range(0, len(codes), 500):
            chunk = codes[i:i + 500]
            for park, code in tx.execute(sa.select(pm.c.park_id, pm.c.credit_code).where(pm.c.credit_code.in_(chunk))):
                parks_of[code].add(park)
            for park, code in tx.execute(sa.select(pk.c.park_id, pk.c.supplier_credit_code)
                                         .where(pk.c.supplier_credit_code.in_(chunk))):
                parks_of[code].add(park)
        return {(park, year) for code, year in self.accounts for park in parks_of.get(code, ())}

    def write(self, tx: sa.Connection, batch_id: int) -> int:
        """Record the marks for batch ``batch_id`` in its transaction; the number of accounts marked."""
        parks = self.parks | self._member_parks(tx)
        for park, year in sorted(parks):
            stmt = schema.park_marks.update().where(schema.park_marks.c.park_id == park,
                                                    schema.park_marks.c.year == year).values(batch_id=batch_id)
            if tx.execute(stmt).rowcount == 0:
                tx.execute(schema.park_marks.insert().values(park_id=park, year=year, batch_id=batch_id))
        if not self.accounts:
            return 0
        ent = schema.data_tables["enterprises"]
        codes = sorted({c for c, _ in self.accounts})
        divisions = dict(tx.execute(sa.select(ent.c.credit_code, ent.c.industry_code)
                                    .where(ent.c.credit_code.in_(codes))).all())
        groups = {(str(divisions[c])[:3], y) for c, y in self.accounts if c in divisions} | self.divisions
        for table, rows in ((schema.recalc_marks, [{"credit_code": c, "year": y} for c, y in sorted(self.accounts)]),
                            (schema.benchmark_marks, [{"division": d, "year": y} for d, y in sorted(groups)])):
            for row in rows:
                stmt = table.update().where(*(table.c[k] == v for k, v in row.items())).values(batch_id=batch_id)
                if tx.execute(stmt).rowcount == 0:
                    tx.execute(table.insert().values(**row, batch_id=batch_id))
        return len(self.accounts)


@dataclass(slots=True)
class _Batch:
    """What the stages of applying one checked batch share: its sources, the checks' DuckDB connection (its
    ``typed_``/``bad_`` tables), the snapshot of the ledger it was checked against (``view``), its error
    findings by (table, row), and what applying it found: counts per table and recalculation marks."""

    store: Store
    con: duckdb.DuckDBPyConnection
    sources: dict[str, SourceTable]
    view: sa.Connection
    marks: _Marks
    by_row: dict[tuple[str, int], list[Finding]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, TableCounts] = field(default_factory=dict)

    @classmethod
    def of(cls, store: Store, con: duckdb.DuckDBPyConnection, sources: dict[str, SourceTable],
           findings: list[Finding], view: sa.Connection) -> _Batch:
        batch = cls(store, con, sources, view, _Marks(con, view))
        for f in findings:
            if f.severity == "error" and f.row is not None:
                batch.by_row[(f.table, f.row)].append(f)
        return batch

    def counts_of(self, name: str) -> TableCounts:
        return self.counts.setdefault(name, TableCounts())

    def quarantined(self, spec: TableSpec) -> tuple[int, str]:
        """How many rows of ``spec``'s table the batch quarantines, and the SQL of those rows (``_row`` and each
        column as the source gave it)."""
        name = spec.name
        n_bad = self.con.sql(f"SELECT count(DISTINCT _row) FROM bad_{name}").fetchall()[0][0]
        if not n_bad:
            return 0, ""
        self.counts_of(name).quarantined = n_bad
        typed_cols = set(self.con.sql(f"SELECT * FROM typed_{name} LIMIT 0").columns)
        select = ", ".join(f"{q('raw:' + c)} AS {q(c)}" if f"raw:{c}" in typed_cols else
                           f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in spec.column_names)
        return n_bad, (f"SELECT _row, {select} FROM typed_{name} WHERE _row IN (SELECT _row FROM bad_{name}) "
                       "ORDER BY _row")

    def reasons(self, name: str, row: int) -> list[dict[str, str | None]]:
        return [{"code": f.code, "column": f.column, "header": f.header, "en": f.message_en, "zh": f.message_zh}
                for f in self.by_row.get((name, row), [])]


@dataclass(slots=True)
class _Incoming:
    """A lake table's valid rows in the batch (DuckDB ``table``, with ``month``) and how they compare with the
    stored rows of their months (``old_rows``; ``changed``: corrected rows with ``old_<column>`` for each value
    column, e.g. ``old_kwh``): ``fresh``, the relation of the new rows, and their number per month."""

    table: str
    per_month: dict[str, int]
    fresh: str = ""
    fresh_per_month: dict[str, int] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        return sorted(self.per_month)


def _values(spec: TableSpec) -> list[str]:
    """The value columns of a lake table (those outside its key): ``kwh``; ``kwh_charged``, ``kwh_discharged``."""
    return [c for c in spec.column_names if c not in spec.key]


class _LakeStage:
    """First stage, no ledger transaction open: each lake table's valid rows against the stored files of their
    months. New rows go to new files (one per run of consecutive months of a year); a stored file holding
    corrected rows is written again, corrected, a file per month (a file is current or superseded as a whole),
    and only those: the other files of its months (other regions') stay as they are (issue 18); the old values of
    corrected rows are kept as history. Files go through ``files``."""

    def __init__(self, batch: _Batch, files: BatchFiles, check: BatchCheck):
        self.batch, self.con, self.files = batch, batch.con, files
        self.lazy = check.lazy  # tables read straight from their file (every row passed)
        self.converted = check.converted  # streamed CSVs written as Parquet by the checks
        self.as_sent = check.as_sent  # Parquet files in the lake's form as sent
        self.rolled = check.rolled  # roll-ups written by the checks' one-pass summary
        self.rolled_digests = check.rolled_digests  # and their digests, where hashed as written
        self.converted_digests = check.converted_digests

    def run(self) -> None:
        for name, spec in TABLES.items():
            if name in self.batch.sources and spec.lake:
                self.table(spec)
                self.quarantine(spec)

    def table(self, spec: TableSpec) -> None:
        name = spec.name
        cols = ", ".join(q(c) for c in spec.column_names)
        inc = self._incoming(spec, cols)
        counts = self._compare(spec, cols, inc)
        # the stored files holding a corrected row (old_rows read them, each row with its file)
        holding = sorted(Path(r[0]) for r in self.con.sql("SELECT DISTINCT _file FROM changed").fetchall())
        spans = self.files.spans(name, holding)
        self.files.read_months(name, sorted(set(inc.months) | {m for _, a, b in spans for m in span_months(a, b)}))
        self._stage_new(spec, cols, inc, [m for m in inc.months if inc.fresh_per_month.get(m, 0)])
        if holding:
            self._stage_rewritten(spec, cols, holding)
        if counts.corrected:
            self._keep_history(spec, cols, counts.corrected)
            self.batch.marks.lake_corrections(name, self.batch.view, self.batch.sources)

    def _incoming(self, spec: TableSpec, cols: str) -> _Incoming:
        """The valid rows as DuckDB ``inc_<table>``, and their number per month."""
        name = spec.name
        inc = f"inc_{name}"
        rows = f"SELECT {cols}, strftime(ts, '%Y-%m') AS month FROM typed_{name}"
        if name in self.lazy:  # every row passed, typed_ is a view on the file: no copy; counts from the summary
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {inc} AS {rows}")
            per_month = dict(self.con.sql(
                f"SELECT strftime(make_timestamp(day * 86400000000), '%Y-%m') AS month, sum(n)::BIGINT "
                f"FROM summary_{name} GROUP BY 1").fetchall())
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {inc} AS {rows} "
                             f"WHERE _row NOT IN (SELECT _row FROM bad_{name})")
            per_month = dict(self.con.sql(f"SELECT month, count(*) FROM {inc} GROUP BY month").fetchall())
        return _Incoming(inc, per_month)

    def _compare(self, spec: TableSpec, cols: str, inc: _Incoming) -> TableCounts:
        """``old_rows``, ``changed`` and the fresh rows of ``inc``; the table's new, corrected, unchanged counts."""
        name, months = spec.name, inc.months
        n_inc = sum(inc.per_month.values())
        join = " AND ".join(f"i.{q(k)} = o.{q(k)}" for k in spec.key)
        self.con.execute("DROP TABLE IF EXISTS old_rows")  # left by the batch's previous lake table
        counts = self.batch.counts_of(name)
        # only the stored rows of the batch's own meters (contracts, enterprises) are compared with it: a region
        # sent after others is checked against its own history, not the province's (issue 18: linear ingest)
        first = q(spec.key[0])
        own = (f"SELECT DISTINCT meter_id FROM summary_{name}" if name in self.lazy and name == "interval_readings"
               else f"SELECT DISTINCT {first} FROM {inc.table}")
        # the range of the batch's keys as constants, so that the scan skips the row groups (and files) of other
        # regions by their statistics: the semi-join alone read every stored key of the months
        low, high = self.con.sql(f"SELECT min(k), max(k) FROM ({own}) t(k)").fetchall()[0]
        old_files = self.files.current_meeting(name, months, spec.key[0], low, high) if low is not None else []
        if old_files:
            self.con.sql(f"SELECT {cols}, strftime(ts, '%Y-%m') AS month, filename AS _file "
                         f"FROM read_parquet($files, filename = true) "
                         f"WHERE {first} BETWEEN $low AND $high AND strftime(ts, '%Y-%m') IN (SELECT unnest($months)) "
                         f"AND {first} IN ({own})",
                         params={"files": [str(f) for f in old_files], "months": months, "low": low,
                                 "high": high}).create("old_rows")
            old_files = old_files if self.con.sql("SELECT count(*) FROM old_rows").fetchall()[0][0] else []
        if old_files:
            old = ", ".join(f"o.{q(v)} AS {q('old_' + v)}" for v in _values(spec))
            differs = " OR ".join(f"i.{q(v)} IS DISTINCT FROM o.{q(v)}" for v in _values(spec))
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE changed AS SELECT i.*, {old}, o._file "
                             f"FROM {inc.table} i JOIN old_rows o ON {join} WHERE {differs}")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT i.* FROM {inc.table} i "
                             f"WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE {join})")
            counts.corrected = self.con.sql("SELECT count(*) FROM changed").fetchall()[0][0]
            inc.fresh_per_month = dict(self.con.sql("SELECT month, count(*) FROM fresh GROUP BY month").fetchall())
            counts.new = sum(inc.fresh_per_month.values())
            inc.fresh = "fresh"
        else:  # nothing stored for these months and keys: every row is new (no copy, no anti-join)
            rows = f"SELECT {cols}, strftime(ts, '%Y-%m') AS month FROM typed_{name}"
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE old_rows AS {rows} WHERE false")
            old = ", ".join(f"{q(v)} AS {q('old_' + v)}" for v in _values(spec))
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE changed AS SELECT *, {old}, CAST(NULL AS VARCHAR) AS _file "
                             f"FROM ({rows}) WHERE false")
            counts.new = n_inc
            inc.fresh_per_month = inc.per_month
            inc.fresh = inc.table
        counts.unchanged = n_inc - counts.corrected - counts.new
        return counts

    def _stage_new(self, spec: TableSpec, cols: str, inc: _Incoming, plain: list[str]) -> None:
        """New rows of the months ``plain`` (not written again): one file per run of months, as the rows came."""
        name = spec.name
        for run in month_runs(plain):
            whole = set(run) == {m for m, n in inc.fresh_per_month.items() if n}
            where = "" if whole else f" WHERE month BETWEEN '{run[0]}' AND '{run[-1]}'"  # as strftime wrote them
            # a streamed CSV whose rows are all new and make one run: the Parquet file the checks wrote is it
            as_is = whole and inc.fresh == inc.table and name in self.lazy
            # or a Parquet file sent in the lake's form: copied as it is (ledger/lake.py in_lake_form)
            rolled = self._rolled_up(name, inc, run)
            self.files.add(name, f"SELECT {cols} FROM {inc.fresh}{where}", run,
                           sum(inc.fresh_per_month.get(m, 0) for m in run),
                           reuse=self.converted.get(name) if as_is else None,
                           reuse_digest=self.converted_digests.get(name) if as_is else None,
                           copy=self.as_sent.get(name) if as_is else None, rolled_up=rolled,
                           rolled_digest=self.rolled_digests.get(name) if isinstance(rolled, Path) else None)

    def _rolled_up(self, name: str, inc: _Incoming, run: list[str]) -> str | Path | None:
        """The roll-up (ledger/lake.py ROLLUPS) of the new rows of ``name`` in the months ``run`` from the summary
        the checks made while reading them, where every row of the table is new and passed: the roll-up file
        their one-pass summary wrote (ingest/sorted_readings.py; itself when ``run`` is all the months, else its
        rows of those months), or ``summary_hour_<table>`` (ingest/validate.py); None: read from the staged file."""
        if name != "interval_readings" or name not in self.lazy or inc.fresh != inc.table:
            return None
        if name in self.rolled:
            path = self.rolled[name]
            if set(run) >= {m for m, n in inc.fresh_per_month.items() if n}:
                return path
            end = span_months(run[-1], f"{int(run[-1][:4]) + 1}-01")[1]  # the month after the run
            escaped = str(path).replace("'", "''")
            return (f"SELECT * FROM read_parquet('{escaped}') WHERE hour >= TIMESTAMP '{run[0]}-01 00:00:00' "
                    f"AND hour < TIMESTAMP '{end}-01 00:00:00'")
        month = "strftime(make_timestamp(hour * 3600000000), '%Y-%m')"
        return (f"SELECT meter_id, make_timestamp(hour * 3600000000) AS hour, kwh, peak_kwh, n, "
                f"q1_kwh, q2_kwh, q3_kwh, q4_kwh "
                f"FROM summary_hour_{name} WHERE {month} BETWEEN '{run[0]}' AND '{run[-1]}' ORDER BY meter_id, hour")

    def _stage_rewritten(self, spec: TableSpec, cols: str, holding: list[Path]) -> None:
        """The stored files ``holding`` a corrected row written again, their corrected rows replaced
        (:meth:`BatchFiles.rewrite`); every other file stays current."""
        join = " AND ".join(f"i.{q(k)} = o.{q(k)}" for k in spec.key)
        order = ", ".join(q(k) for k in (*[k for k in spec.key if k != "ts"], "ts"))
        self.files.rewrite(spec.name, holding, f"""
            SELECT {cols} FROM read_parquet($files) o WHERE NOT EXISTS (SELECT 1 FROM changed i WHERE {join})
            UNION ALL SELECT {cols} FROM changed ORDER BY {order}""")

    def _keep_history(self, spec: TableSpec, cols: str, corrected: int) -> None:
        """The corrected rows with their old values, as a lake file the batch's history row refers to."""
        name = spec.name
        order = ", ".join(q(k) for k in (*[k for k in spec.key if k != "ts"], "ts"))
        old = ", ".join(q("old_" + v) for v in _values(spec))
        kept = self.files.stage(f"SELECT {cols}, {old} FROM changed ORDER BY {order}",
                                f"_history/{name}/b{{batch}}.parquet")
        self.files.on_record(lambda tx, batch_id: tx.execute(schema.history.insert().values(
            batch_id=batch_id, table_name=name, row_key=f"lake:{kept.path(batch_id)}",
            old_json=json.dumps({"rows": corrected, "file": kept.path(batch_id),
                                 "size_bytes": kept.digest.size_bytes, "sha256": kept.digest.sha256}),
            new_json="{}")))

    def quarantine(self, spec: TableSpec) -> None:
        """The quarantined rows of a lake table, as one lake file its quarantine row refers to."""
        name = spec.name
        n_bad, bad_rows = self.batch.quarantined(spec)
        if not n_bad:
            return
        kept = self.files.stage(bad_rows, f"_quarantine/b{{batch}}-{name}.parquet")
        unique = {(f.code, f.column, f.header or "", f.message_en, f.message_zh)
                  for (t, _), fs in sorted(self.batch.by_row.items()) if t == name for f in fs}
        reasons = [{"code": c, "column": col, "header": head or None, "en": en, "zh": zh}
                   for c, col, head, en, zh in sorted(unique)[:50]]
        file = self.batch.sources[name].file
        self.files.on_record(lambda tx, batch_id: tx.execute(schema.quarantine.insert().values(
            batch_id=batch_id, table_name=name, row=None, file=file, values_json=None,
            reasons_json=json.dumps(reasons, ensure_ascii=False), parquet_path=kept.path(batch_id),
            n_rows=n_bad, state="open", size_bytes=kept.digest.size_bytes, sha256=kept.digest.sha256)))


def ledger_diff(con: duckdb.DuckDBPyConnection, view: sa.Connection, spec: TableSpec, source: SourceTable
                ) -> list[tuple[str, dict[str, object] | None, dict[str, object]]]:
    """Each valid row of ledger table ``spec`` in the checked batch (``con``'s ``typed_``/``bad_`` tables) with its
    row key, its stored values read in ``view`` (None: a new row) and the values it would be stored with (an
    optional column the file leaves out keeps its stored value; an empty cell clears it)."""
    t = schema.data_tables[spec.name]
    names = list(spec.column_names)
    rows = con.sql(f"SELECT {', '.join(q(n) for n in names)} FROM typed_{spec.name} "
                   f"WHERE _row NOT IN (SELECT _row FROM bad_{spec.name}) ORDER BY _row").fetchall()
    incoming: dict[str, dict[str, object]] = {}
    for r in rows:
        values = {n: _plain(v) for n, v in zip(names, r, strict=True)}
        incoming[_key_json([values[k] for k in spec.key])] = values
    keys = list(incoming)
    stored: dict[str, dict[str, object]] = {}
    for i in range(0, len(keys), 500):
        for row in view.execute(sa.select(t).where(t.c.row_key.in_(keys[i:i + 500]))).mappings():
            stored[row["row_key"]] = {n: row[n] for n in names}
    given = set(source.columns) or set(names)
    kept = [n for n in names if n not in given and n not in spec.key]
    out: list[tuple[str, dict[str, object] | None, dict[str, object]]] = []
    for key, values in incoming.items():
        old = stored.get(key)
        if old is not None:
            values.update({n: old[n] for n in kept})
        out.append((key, old, values))
    return out


class _LedgerStage:
    """Second stage, in the batch's transaction ``tx`` (under the write lock): each ledger table's valid rows
    against the stored rows of their keys (new rows inserted, corrected ones updated with a history row and
    marks), and the quarantined rows of the ledger tables."""

    def __init__(self, batch: _Batch, tx: sa.Connection, batch_id: int):
        self.batch, self.con, self.tx, self.batch_id = batch, batch.con, tx, batch_id

    def run(self) -> None:
        for name, spec in TABLES.items():
            if name in self.batch.sources and not spec.lake:
                self.table(spec)
                self.quarantine(spec)

    def table(self, spec: TableSpec) -> None:
        t = schema.data_tables[spec.name]
        counts = self.batch.counts_of(spec.name)
        inserts, updates = [], []
        for key, old, values in ledger_diff(self.con, self.tx, spec, self.batch.sources[spec.name]):
            if old is None:
                inserts.append({"row_key": key, **values, "batch_id": self.batch_id})
                counts.new += 1
            elif old != values:
                updates.append({"b_row_key": key, **values, "batch_id": self.batch_id})
                self._correct(spec.name, key, old, values)
                counts.corrected += 1
            else:
                counts.unchanged += 1
        if inserts:
            self.tx.execute(t.insert(), inserts)
        if updates:
            self.tx.execute(t.update().where(t.c.row_key == sa.bindparam("b_row_key")), updates)

    def _correct(self, table: str, key: str, old: dict[str, object], new: dict[str, object]) -> None:
        """A corrected row's history (old and new values) and the accounts it makes stale."""
        self.tx.execute(schema.history.insert().values(
            batch_id=self.batch_id, table_name=table, row_key=key,
            old_json=json.dumps(old, ensure_ascii=False), new_json=json.dumps(new, ensure_ascii=False)))
        self.batch.marks.ledger_correction(table, old, new)

    def quarantine(self, spec: TableSpec) -> None:
        """The quarantined rows of a ledger table, one quarantine row each with its values and reasons."""
        name = spec.name
        n_bad, bad_rows = self.batch.quarantined(spec)
        if not n_bad:
            return
        rel = self.con.sql(bad_rows)
        columns = rel.columns[1:]
        file = self.batch.sources[name].file
        records = [{"batch_id": self.batch_id, "table_name": name, "row": r[0], "file": file,
                    "values_json": json.dumps(dict(zip(columns, r[1:], strict=True)), ensure_ascii=False),
                    "reasons_json": json.dumps(self.batch.reasons(name, r[0]), ensure_ascii=False),
                    "parquet_path": None, "n_rows": 1, "state": "open"} for r in rel.fetchall()]
        self.tx.execute(schema.quarantine.insert(), records)


#: called in the batch's ledger transaction with (transaction, batch id, status): the audit entry of the
#: change commits with the change, or neither does
InTransaction = Callable[[sa.Connection, int, str], None]


def ingest_batch(store: Store, folder: Path, *, partial: bool = False, reason: str | None = None,
                 user: str | None = None, progress: Progress | None = None,
                 in_transaction: InTransaction | None = None) -> IngestResult:
    """Load one batch folder (DATA-REQUIREMENTS.md). Raises :class:`InputRefused` when the batch is refused
    (nothing changed) and returns the result otherwise; with ``partial`` the rejected rows, and rows that
    refer to them, are quarantined and the rest applied. ``in_transaction`` (e.g. the audit entry) runs in
    the ledger transaction that applies the batch. Batches are applied one at a time (:func:`lock_writes`);
    one that another batch overtook in what it was checked against raises :class:`Conflict` (nothing
    applied: send it again)."""
    step = progress or (lambda _msg: None)
    with _checked(store, folder, step) as (checked, view, seen_batch):
        if any(f.severity == "error" for f in checked.findings) and not partial:
            raise InputRefused.of("batch_refused", checked.findings, folder=folder)
        step("applying")
        return _apply(store, checked.con, checked.sources, checked.findings, checked.check, folder, reason,
                      user or current_user(), in_transaction, view=view, seen_batch=seen_batch)


@dataclass(slots=True)
class _Checked:
    con: duckdb.DuckDBPyConnection
    sources: dict[str, SourceTable]
    check: BatchCheck
    findings: list[Finding]


@contextmanager
def _checked(store: Store, folder: Path, step: Progress) -> Iterator[tuple[_Checked, sa.Connection, int]]:
    """The batch in ``folder`` read and checked against one snapshot of the ledger: (the checks' results, the
    snapshot, the newest batch id in it). Raises :class:`InputRefused` when its files cannot be read as the data
    requirement table."""
    if not folder.is_dir():
        raise UsageError.of("not_a_folder", folder=folder)
    step("reading files")
    tables, file_findings = read_batch(folder)
    if any(f.severity == "error" for f in file_findings):
        raise InputRefused.of("batch_unreadable", file_findings, folder=folder)
    sources = {t.table: t for t in tables}
    con = connect_engine(store)
    store.temp_dir().mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=store.temp_dir()))
    try:
        with store.snapshot() as view:  # what the batch is checked and staged against, as of one moment
            seen_batch = view.execute(sa.select(sa.func.max(schema.batches.c.batch_id))).scalar() or 0
            step("checking rows")
            check = BatchCheck(con, sources, snapshot(store, sources, view), scratch=scratch)
            try:
                findings = file_findings + check.run()
            except InputRefused as unreadable:  # a streamed CSV that could not be read after all
                raise InputRefused.of("batch_unreadable", file_findings + unreadable.findings, folder=folder) from None
            yield _Checked(con, sources, check, findings), view, seen_batch
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass(slots=True)
class TablePreview:
    """What a batch would do to one table: rows read, rows rejected (quarantined with ``partial``), and for a
    ledger table the valid rows that are new, unchanged or corrections (None for a lake table: its rows are
    compared with the stored files only when applied)."""

    rows: int
    rejected: int
    new: int | None = None
    unchanged: int | None = None
    corrected: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return {"rows": self.rows, "rejected": self.rejected, "new": self.new, "unchanged": self.unchanged,
                "corrected": self.corrected}


@dataclass(slots=True)
class BatchPreview:
    """A batch checked, not applied. ``status``: ``applicable`` (every row passes), ``partial`` (rows would be
    quarantined: applied so only with ``partial``) or ``refused`` (it would be refused as a whole)."""

    status: str
    findings: list[Finding]
    tables: dict[str, TablePreview] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def preview_batch(store: Store, folder: Path, *, partial: bool = False) -> BatchPreview:
    """The findings of the batch in ``folder`` and what applying it would do, table by table, with exactly the
    checks of :func:`ingest_batch`; nothing is written (the ledger is only read, in one snapshot)."""
    try:
        with _checked(store, folder, lambda _msg: None) as (checked, view, _seen):
            tables: dict[str, TablePreview] = {}
            for name, spec in TABLES.items():
                if name not in checked.sources:
                    continue
                con = checked.con
                rows = int(con.sql(f"SELECT count(*) FROM typed_{name}").fetchall()[0][0])
                rejected = int(con.sql(f"SELECT count(DISTINCT _row) FROM bad_{name}").fetchall()[0][0])
                tp = tables[name] = TablePreview(rows, rejected)
                if not spec.lake:
                    diff = ledger_diff(con, view, spec, checked.sources[name])
                    tp.new = sum(old is None for _, old, _v in diff)
                    tp.corrected = sum(old is not None and old != v for _, old, v in diff)
                    tp.unchanged = len(diff) - tp.new - tp.corrected
            findings = checked.findings
    except InputRefused as refused:
        return BatchPreview("refused", refused.findings)
    if not any(f.severity == "error" for f in findings):
        return BatchPreview("applicable", findings, tables)
    return BatchPreview("partial" if partial else "refused", findings, tables)


def _apply(store: Store, con: duckdb.DuckDBPyConnection, sources: dict[str, SourceTable], findings: list[Finding],
           check: BatchCheck, folder: Path, reason: str | None, user: str,
           in_transaction: InTransaction | None, *, view: sa.Connection, seen_batch: int) -> IngestResult:
    """Stage the lake tables' files (no transaction), record the batch in one ledger transaction serialised with
    every other batch and publication by :func:`lock_writes`, then publish the files."""
    with store.stage() as stage:  # locked while in use; removed at the end (recover() does it after a crash)
        files = BatchFiles(store, con, stage, view=view)
        batch = _Batch.of(store, con, sources, findings, view)
        _LakeStage(batch, files, check).run()
        crash_point("ingest.staged")
        with duplicates_refused(Conflict.of("same_rows_meanwhile")), \
                store.engine.begin() as tx:
            lock_writes(tx)  # first: one batch or publication at a time, every check below inside it
            batch_id = _new_batch(tx, folder, reason, user)
            files.check_unchanged(tx)
            _refuse_if_overtaken(tx, seen_batch, batch_id)
            files.record(tx, batch_id)
            _LedgerStage(batch, tx, batch_id).run()
            counts = {name: batch.counts[name] for name in TABLES if name in batch.counts}
            if not any(c.new or c.corrected or c.quarantined for c in counts.values()):
                tx.rollback()
                return IngestResult("unchanged", None, findings, counts)
            result = _close(tx, batch_id, batch.marks.write(tx, batch_id), findings, counts)
            if in_transaction is not None:
                in_transaction(tx, batch_id, result.status)
            crash_point("ingest.before_commit")
        crash_point("ingest.committed")
        files.publish(midway=lambda: crash_point("ingest.renaming"))
        return result


def _new_batch(tx: sa.Connection, folder: Path, reason: str | None, user: str) -> int:
    """The batch's row, ``applying`` until :func:`_close`; its id."""
    key = tx.execute(schema.batches.insert().values(
        received_at=now_iso(), received_by=user, reason=reason, source=str(folder.resolve()), status="applying",
        summary_json="{}")).inserted_primary_key
    assert key is not None
    return int(key[0])


def _refuse_if_overtaken(tx: sa.Connection, seen_batch: int, batch_id: int) -> None:
    """Refuse (:class:`Conflict`) when a batch committed since the snapshot the batch was checked against
    (``seen_batch``, the newest then) changed the ledger tables its checks read (``CHECKED_AGAINST``)."""
    b = schema.batches
    for other, summary in tx.execute(sa.select(b.c.batch_id, b.c.summary_json).where(
            b.c.batch_id > seen_batch, b.c.batch_id != batch_id).order_by(b.c.batch_id)):
        counts = json.loads(summary).get("counts", {})
        changed = [t for t in CHECKED_AGAINST if counts.get(t, {}).get("new") or counts.get(t, {}).get("corrected")]
        if changed:
            raise Conflict.of("changed_meanwhile", other=other, tables=", ".join(changed))


def _close(tx: sa.Connection, batch_id: int, marked: int, findings: list[Finding],
           counts: dict[str, TableCounts]) -> IngestResult:
    """The batch's status and summary (counts, warnings, accounts marked, findings kept) in its row."""
    status = "partial" if any(c.quarantined for c in counts.values()) else "applied"
    summary = {"counts": {k: v.as_dict() for k, v in counts.items()},
               "warnings": sum(f.severity == "warning" for f in findings), "marked_accounts": marked,
               "findings": [f.as_dict() for f in findings[:MAX_KEPT_FINDINGS]]}
    tx.execute(schema.batches.update().where(schema.batches.c.batch_id == batch_id)
               .values(status=status, summary_json=json.dumps(summary)))
    return IngestResult(status, batch_id, findings, counts, marked)
