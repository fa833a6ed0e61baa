"""Applying a checked batch: new rows, no-ops, corrections with history, quarantine, recalculation marks.

The whole batch is applied in one ledger transaction; its lake files are staged, referenced by that
transaction and published after it commits (see :mod:`dianta.ledger.store`). A refused batch changes
nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from dianta.errors import Conflict, InputRefused, UsageError
from dianta.findings import Finding
from dianta.glossary import TABLES, TableSpec
from dianta.ingest.readers import SourceTable, read_batch
from dianta.ingest.validate import BatchCheck, StoreSnapshot, q
from dianta.ledger import integrity, schema
from dianta.ledger.store import (
    LAKE_PARQUET,
    Store,
    crash_point,
    current_user,
    duplicates_refused,
    lock_writes,
    now_iso,
    overlapping,
    span_months,
)

Progress = Callable[[str], None]
#: findings kept with an applied batch (warnings, and the reasons of quarantined rows)
MAX_KEPT_FINDINGS = 5000
#: the ledger tables a batch's checks read from the store (keys, meter periods; marks follow meter holders)
CHECKED_AGAINST = ("enterprises", "meters", "green_trades", "green_certificates")
#: the end of every refusal because another batch got in first (issue 13)
RESEND = "nothing of this batch was applied: send it again"


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


def _runs_of_months(months: list[str]) -> list[list[str]]:
    """Sorted months (YYYY-MM) cut into runs of consecutive months of one year: the months one lake file
    holds (compute reads a year's files; a run never makes a file hold a month it has no rows of)."""
    runs: list[list[str]] = []
    for month in sorted(months):
        if runs and runs[-1][-1][:4] == month[:4] and span_months(runs[-1][-1], month)[1:] == [month]:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


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
        certs = table(sa.select(c.certificate_id, c.credit_code), ["certificate_id", "credit_code"],
                      [pa.string(), pa.string()])
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
    return StoreSnapshot(ent, meters, contracts, certs, monthly, dict(interval_files),
                         check_lake=lambda paths: integrity.check_paths(store, paths))


class _Applier:
    """Writes one checked batch in two phases. First the lake tables: their Parquet files are written to
    staging, with no ledger transaction open (on SQLite a transaction holds the write lock, and the API's
    reads wait for it), from ``view``: the snapshot of the ledger the batch was checked against, which held
    batches up to ``seen_batch``. Then one ledger transaction (``self.tx``), serialised with every other batch
    and publication by :func:`lock_writes`, checks that no batch since changed what the checks and the staging
    read (:meth:`finish_lake`), and records the batch, the lake work, the ledger tables, quarantine and marks."""

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection, sources: dict[str, SourceTable],
                 findings: list[Finding], stage: Path, lazy: set[str], converted: dict[str, Path], *,
                 view: sa.Connection, seen_batch: int):
        self.store, self.con, self.sources = store, con, sources
        self.view, self.seen_batch = view, seen_batch
        self.lazy = lazy  # tables read straight from their file (every row passed; BatchCheck.lazy)
        self.converted = converted  # streamed CSVs written as Parquet by the checks (BatchCheck.converted)
        self.stage = stage
        self.tx: sa.Connection = None  # type: ignore[assignment]  # set for the second phase
        self.batch_id = 0
        self.deferred: list[Callable[[], None]] = []  # ledger work of the lake tables, for the second phase
        self.pending: list[tuple[Path, str]] = []  # staged file, its path with "{batch}" for the batch id
        self.digests: dict[str, integrity.Digest] = {}  # that path -> the staged file's size and SHA-256
        self.based_on: dict[tuple[str, str], set[str]] = {}  # (table, month) -> the active files read
        self.counts: dict[str, TableCounts] = {}
        self.marks: set[tuple[str, int]] = set()
        self.division_marks: set[tuple[str, int]] = set()  # benchmark groups an enterprise left
        self.new_files: list[str] = []
        self.by_row: dict[tuple[str, int], list[Finding]] = defaultdict(list)
        for f in findings:
            if f.severity == "error" and f.row is not None:
                self.by_row[(f.table, f.row)].append(f)

    # -- ledger tables ----------------------------------------------------------------------------------
    def ledger_table(self, spec: TableSpec) -> None:
        t = schema.data_tables[spec.name]
        names = list(spec.column_names)
        rows = self.con.sql(f"SELECT {', '.join(q(n) for n in names)} FROM typed_{spec.name} "
                            f"WHERE _row NOT IN (SELECT _row FROM bad_{spec.name}) ORDER BY _row").fetchall()
        incoming = {}
        for r in rows:
            values = {n: _plain(v) for n, v in zip(names, r, strict=True)}
            incoming[_key_json([values[k] for k in spec.key])] = values
        existing: dict[str, dict[str, object]] = {}
        keys = list(incoming)
        for i in range(0, len(keys), 500):
            for row in self.tx.execute(sa.select(t).where(t.c.row_key.in_(keys[i:i + 500]))).mappings():
                existing[row["row_key"]] = {n: row[n] for n in names}
        counts = self.counts.setdefault(spec.name, TableCounts())
        # an optional column the file leaves out keeps its stored value (an empty cell clears it)
        given = set(self.sources[spec.name].columns) or set(names)
        kept = [n for n in names if n not in given and n not in spec.key]
        inserts, updates = [], []
        for key, values in incoming.items():
            old = existing.get(key)
            if old is not None:
                values.update({n: old[n] for n in kept})
            if old is None:
                inserts.append({"row_key": key, **values, "batch_id": self.batch_id})
                counts.new += 1
            elif old != values:
                updates.append({"b_row_key": key, **values, "batch_id": self.batch_id})
                self.tx.execute(schema.history.insert().values(
                    batch_id=self.batch_id, table_name=spec.name, row_key=key,
                    old_json=json.dumps(old, ensure_ascii=False), new_json=json.dumps(values, ensure_ascii=False)))
                self._mark_ledger_correction(spec.name, old, values)
                counts.corrected += 1
            else:
                counts.unchanged += 1
        if inserts:
            self.tx.execute(t.insert(), inserts)
        if updates:
            self.tx.execute(t.update().where(t.c.row_key == sa.bindparam("b_row_key")), updates)

    def _holder(self, meter_id: str, day: str) -> list[str]:
        return [r[0] for r in self.con.sql(
            "SELECT credit_code FROM all_meters WHERE meter_id = ? AND coalesce(valid_from, DATE '0001-01-01') <= "
            "CAST(? AS DATE) AND coalesce(valid_to, DATE '9999-12-31') >= CAST(? AS DATE)",
            params=[meter_id, day, day]).fetchall()]

    def _mark_ledger_correction(self, table: str, old: dict[str, object], new: dict[str, object]) -> None:
        """METHODOLOGY/DATA-REQUIREMENTS: the enterprise's accounts for the year of the changed data and the
        following year (year 0: every year, for changes of the enterprise or its meters)."""
        match table:
            case "enterprises":
                self.marks.add((str(new["credit_code"]), 0))
                if old["industry_code"] != new["industry_code"]:
                    self.division_marks.add((str(old["industry_code"])[:3], 0))
            case "meters":
                self.marks.update({(str(old["credit_code"]), 0), (str(new["credit_code"]), 0)})
            case "consumption_monthly":
                for code in self._holder(str(new["meter_id"]), f"{new['month']}-01"):
                    self._mark_years(code, int(str(new["month"])[:4]))
            case "onsite_generation" | "green_trades":
                self._mark_years(str(new["credit_code"]), int(str(new["month"])[:4]))
            case "green_certificates":
                for rec in (old, new):
                    self._mark_years(str(rec["credit_code"]), int(str(rec["vintage_month"])[:4]))
            case "economics":
                self._mark_years(str(new["credit_code"]), int(str(new["year"])))

    def _mark_years(self, code: str, year: int) -> None:
        self.marks.update({(code, year), (code, year + 1)})

    # -- lake tables ------------------------------------------------------------------------------------
    def lake_table(self, spec: TableSpec) -> None:
        """A lake table's valid rows: new rows go to new files (one per run of consecutive months of a year);
        a month with corrected rows is written again whole, and so is every other month of the files it
        supersedes (a file is current or superseded as a whole)."""
        name = spec.name
        keys = [k for k in spec.key if k != "ts"]
        cols = ", ".join(q(c) for c in spec.column_names)
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
        months = sorted(per_month)
        n_inc = sum(per_month.values())
        old_files = self.store.active_files(name, months, con=self.view)
        join = " AND ".join(f"i.{q(k)} = o.{q(k)}" for k in spec.key)
        self.con.execute("DROP TABLE IF EXISTS old_rows")  # left by the batch's previous lake table
        counts = self.counts.setdefault(name, TableCounts())
        if old_files:
            self.con.sql(f"SELECT {cols}, strftime(ts, '%Y-%m') AS month FROM read_parquet($files) "
                         f"WHERE strftime(ts, '%Y-%m') IN (SELECT unnest($months))",
                         params={"files": [str(f) for f in old_files], "months": months}).create("old_rows")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE changed AS SELECT i.*, o.kwh AS old_kwh FROM {inc} i "
                             f"JOIN old_rows o ON {join} WHERE i.kwh IS DISTINCT FROM o.kwh")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT i.* FROM {inc} i "
                             f"WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE {join})")
            counts.corrected = self.con.sql("SELECT count(*) FROM changed").fetchall()[0][0]
            fresh_per_month = dict(self.con.sql("SELECT month, count(*) FROM fresh GROUP BY month").fetchall())
            counts.new = sum(fresh_per_month.values())
            fresh = "fresh"
        else:  # nothing stored for these months: every row is new (no copy, no anti-join)
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE old_rows AS {rows} WHERE false")
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE changed AS SELECT *, kwh AS old_kwh FROM ({rows}) "
                             f"WHERE false")
            counts.new = n_inc
            fresh_per_month = per_month
            fresh = inc
        counts.unchanged = n_inc - counts.corrected - counts.new
        corrected_months = {r[0] for r in self.con.sql("SELECT DISTINCT month FROM changed").fetchall()}
        rewrite = self._rewritten_months(name, corrected_months)
        carried = sorted(set(rewrite) - set(months))
        touched = sorted(set(months) | set(rewrite))
        # names only: the files read are checked
        spans = self.store.active_spans(name, touched, verify=False, con=self.view)
        for month in touched:
            self.based_on[(name, month)] = {str(f) for f, first, last in spans if first <= month <= last}
        order = ", ".join(q(k) for k in (*keys, "ts"))
        plain = [m for m in months if m not in rewrite and fresh_per_month.get(m, 0)]
        for run in _runs_of_months(plain):  # new rows only: one file per run of months, as the rows came
            whole = set(run) == {m for m, n in fresh_per_month.items() if n}
            where = "" if whole else f" WHERE month BETWEEN '{run[0]}' AND '{run[-1]}'"  # as strftime wrote them
            # a streamed CSV whose rows are all new and make one run: the Parquet file the checks wrote is it
            reuse = self.converted.get(name) if whole and fresh == inc and name in self.lazy else None
            self._record(name, f"SELECT {cols} FROM {fresh}{where}", run, sum(fresh_per_month.get(m, 0) for m in run),
                         reuse=reuse)
        lf = schema.lake_files
        for month in rewrite:
            self.deferred.append(lambda month=month: self.tx.execute(
                lf.update().where(lf.c.table_name == name, lf.c.state == "active", lf.c.batch_id != self.batch_id,
                                  overlapping([month]))
                .values(state="superseded", superseded_by=self.batch_id)))
            if month in carried:
                continue  # written below, as stored
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE month_rows AS SELECT {cols} FROM old_rows o WHERE month = $m AND "
                f"NOT EXISTS (SELECT 1 FROM changed i WHERE {join}) UNION ALL SELECT {cols} FROM changed "
                f"WHERE month = $m UNION ALL SELECT {cols} FROM {fresh} WHERE month = $m", {"m": month})
            n = self.con.sql("SELECT count(*) FROM month_rows").fetchall()[0][0]
            if n:
                self._record(name, f"SELECT * FROM month_rows ORDER BY {order}", [month], n)
        if carried:  # the other months of the files superseded: their stored rows, one streaming pass
            self._carry(name, cols, carried)
        if counts.corrected:
            history = f"_history/{name}/b{{batch}}.parquet"
            self._write(f"SELECT {cols}, old_kwh FROM changed ORDER BY {order}", history)
            corrected = counts.corrected
            kept = self.digests[history]
            self.deferred.append(lambda: self.tx.execute(schema.history.insert().values(
                batch_id=self.batch_id, table_name=name, row_key=f"lake:{self._final(history)}",
                old_json=json.dumps({"rows": corrected, "file": self._final(history),
                                     "size_bytes": kept.size_bytes, "sha256": kept.sha256}), new_json="{}")))
            self._mark_lake_corrections(name)

    def _rewritten_months(self, name: str, corrected: set[str]) -> list[str]:
        """The months written again: those with corrected rows, and every month of each current file holding
        one of them, and so on (files that span months are superseded whole)."""
        months = set(corrected)
        while True:
            spans = self.store.active_spans(name, sorted(months), verify=False, con=self.view) if months else []
            wider = months | {m for _, first, last in spans for m in span_months(first, last)}
            if wider == months:
                return sorted(months)
            months = wider

    def _carry(self, name: str, cols: str, months: list[str]) -> None:
        """Write the stored rows of ``months`` again, a file per month, in one pass over the current files
        that hold them (the months of a multi-month file a correction supersedes)."""
        folder = self.stage / "pending" / f"part{len(self.pending)}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        escaped = str(folder).replace("'", "''")
        files = [str(f) for f in self.store.active_files(name, months, con=self.view)]
        self.con.execute(f"COPY (SELECT {cols}, strftime(ts, '%Y-%m') AS month FROM read_parquet($files) "
                         f"WHERE strftime(ts, '%Y-%m') IN (SELECT unnest($months))) TO '{escaped}' "
                         f"({LAKE_PARQUET}, PARTITION_BY (month))",
                         {"files": files, "months": months})
        for month in months:
            for i, staged in enumerate(sorted((folder / f"month={month}").glob("*.parquet"))):
                template = f"{name}/month={month}/b{{batch}}{'' if i == 0 else f'-{i}'}.parquet"
                self._staged(staged, template)
                self._register(name, template, [month], pq.ParquetFile(staged).metadata.num_rows)

    def _record(self, name: str, select: str, months: list[str], n: int, reuse: Path | None = None) -> None:
        """Stage the rows of ``select`` as the lake file of ``months`` (one month, or a run of consecutive
        months) and record it in the batch's transaction."""
        suffix = f"-to-{months[-1]}" if len(months) > 1 else ""
        template = f"{name}/month={months[0]}/b{{batch}}{suffix}.parquet"
        self._write(select, template, reuse=reuse)
        self._register(name, template, months, n)

    def _register(self, name: str, template: str, months: list[str], n: int) -> None:
        """Record a staged lake file (``template``) of ``months`` with ``n`` rows in the batch's transaction."""
        lf = schema.lake_files
        digest = self.digests[template]
        self.deferred.append(lambda: self.tx.execute(lf.insert().values(
            path=self._final(template), table_name=name, month=months[0], month_to=months[-1],
            batch_id=self.batch_id, n_rows=n, state="active", size_bytes=digest.size_bytes, sha256=digest.sha256)))

    def stage_lake(self) -> None:
        """First phase: the lake tables' files, and what recording them will take; no ledger transaction."""
        for name, spec in TABLES.items():
            if name in self.sources and spec.lake:
                self.lake_table(spec)
                self.quarantine(spec)

    def _write(self, select: str, template: str, params: dict[str, object] | None = None, *,
               reuse: Path | None = None) -> None:
        """Stage the rows of ``select`` as a lake file; ``template`` is its path with ``{batch}`` for the batch
        id, known later; in the lake's format (``LAKE_PARQUET``)."""
        target = self.stage / "pending" / f"{len(self.pending)}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        if reuse is not None:  # already written, in the lake's format, with exactly these rows
            shutil.move(reuse, target)
        else:
            escaped = str(target).replace("'", "''")
            self.con.execute(f"COPY ({select}) TO '{escaped}' ({LAKE_PARQUET})",
                             params or {})
        self._staged(target, template)

    def _staged(self, staged: Path, template: str) -> None:
        """Add a staged lake file (``template``: its path with ``{batch}``) to the batch. Its size and SHA-256
        are read back now, before the ledger transaction (DuckDB cannot hash while it writes; the file is still
        in the page cache), and recorded with the row that refers to it (:mod:`dianta.ledger.integrity`)."""
        self.pending.append((staged, template))
        self.digests[template] = integrity.file_digest(staged)

    def _final(self, template: str) -> str:
        return template.format(batch=f"{self.batch_id:06d}")

    def finish_lake(self) -> None:
        """Second phase, in the transaction (under the write lock): refuse when another batch changed, since the
        snapshot the batch was checked and staged against, the lake months it writes or the ledger tables its
        checks read; give the staged files their names and record them."""
        for (table, month), files in self.based_on.items():
            if {str(f) for f in self.store.active_files(table, [month], verify=False, con=self.tx)} != files:
                raise Conflict(f"another batch changed {table} of {month} while this one was applied; {RESEND}")
        b = schema.batches
        for batch_id, summary in self.tx.execute(sa.select(b.c.batch_id, b.c.summary_json).where(
                b.c.batch_id > self.seen_batch, b.c.batch_id != self.batch_id).order_by(b.c.batch_id)):
            counts = json.loads(summary).get("counts", {})
            changed = [t for t in CHECKED_AGAINST if counts.get(t, {}).get("new") or counts.get(t, {}).get("corrected")]
            if changed:
                raise Conflict(f"batch {batch_id} changed {', '.join(changed)} while this one was checked against "
                               f"them; {RESEND}")
        for staged, template in self.pending:
            rel_path = self._final(template)
            (self.stage / rel_path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, self.stage / rel_path)
            self.new_files.append(rel_path)
        for work in self.deferred:
            work()

    def _mark_lake_corrections(self, name: str) -> None:
        if name == "interval_readings":
            query = ("SELECT DISTINCT m.credit_code, year(c.ts) FROM changed c JOIN all_meters m ON m.meter_id = "
                     "c.meter_id AND coalesce(m.valid_from, DATE '0001-01-01') <= CAST(c.ts AS DATE) AND "
                     "coalesce(m.valid_to, DATE '9999-12-31') >= CAST(c.ts AS DATE)")
        elif name == "onsite_generation_interval":
            query = "SELECT DISTINCT credit_code, year(ts) FROM changed"
        else:  # green_trade_profiles: every enterprise the contract was settled to that year
            trades = schema.data_tables["green_trades"]  # the store's trades, and this batch's valid ones
            rows = self.view.execute(sa.select(trades.c.contract_id, trades.c.credit_code, trades.c.month)).all()
            self.con.register("stored_trade_links", pa.table({
                "contract_id": pa.array([r[0] for r in rows], pa.string()),
                "credit_code": pa.array([r[1] for r in rows], pa.string()),
                "year": pa.array([int(r[2][:4]) for r in rows], pa.int64())}))
            links = "SELECT contract_id, credit_code, year FROM stored_trade_links"
            if "green_trades" in self.sources:
                links += (" UNION SELECT contract_id, credit_code, CAST(left(month, 4) AS BIGINT) FROM "
                          "typed_green_trades WHERE _row NOT IN (SELECT _row FROM bad_green_trades)")
            query = (f"SELECT DISTINCT t.credit_code, year(c.ts) FROM changed c JOIN ({links}) t "
                     "ON t.contract_id = c.contract_id AND t.year = year(c.ts)")
        for code, year in self.con.sql(query).fetchall():
            self._mark_years(code, int(year))

    # -- quarantine and marks ---------------------------------------------------------------------------
    def quarantine(self, spec: TableSpec) -> None:
        name = spec.name
        n_bad = self.con.sql(f"SELECT count(DISTINCT _row) FROM bad_{name}").fetchall()[0][0]
        if not n_bad:
            return
        self.counts.setdefault(name, TableCounts()).quarantined = n_bad
        typed_cols = set(self.con.sql(f"SELECT * FROM typed_{name} LIMIT 0").columns)
        select = ", ".join(f"{q('raw:' + c)} AS {q(c)}" if f"raw:{c}" in typed_cols else
                           f"CAST({q(c)} AS VARCHAR) AS {q(c)}" for c in spec.column_names)
        bad_rows = f"SELECT _row, {select} FROM typed_{name} WHERE _row IN (SELECT _row FROM bad_{name}) ORDER BY _row"
        rel = self.con.sql(bad_rows)
        file = self.sources[name].file
        qt = schema.quarantine
        if spec.lake:
            template = f"_quarantine/b{{batch}}-{name}.parquet"
            self._write(bad_rows, template)
            digest = self.digests[template]
            unique = {(f.code, f.column, f.message_en, f.message_zh)
                      for (t, _), fs in sorted(self.by_row.items()) if t == name for f in fs}
            reasons = [{"code": c, "column": col, "en": en, "zh": zh} for c, col, en, zh in sorted(unique)[:50]]
            self.deferred.append(lambda: self.tx.execute(qt.insert().values(
                batch_id=self.batch_id, table_name=name, row=None, file=file, values_json=None,
                reasons_json=json.dumps(reasons, ensure_ascii=False), parquet_path=self._final(template),
                n_rows=n_bad, state="open", size_bytes=digest.size_bytes, sha256=digest.sha256)))
            return
        columns = rel.columns[1:]
        records = []
        for r in rel.fetchall():
            reasons = [{"code": f.code, "column": f.column, "en": f.message_en, "zh": f.message_zh}
                       for f in self.by_row.get((name, r[0]), [])]
            records.append({"batch_id": self.batch_id, "table_name": name, "row": r[0], "file": file,
                            "values_json": json.dumps(dict(zip(columns, r[1:], strict=True)), ensure_ascii=False),
                            "reasons_json": json.dumps(reasons, ensure_ascii=False), "parquet_path": None,
                            "n_rows": 1, "state": "open"})
        self.tx.execute(qt.insert(), records)

    def write_marks(self) -> int:
        if not self.marks:
            return 0
        ent = schema.data_tables["enterprises"]
        codes = sorted({c for c, _ in self.marks})
        divisions = dict(self.tx.execute(sa.select(ent.c.credit_code, ent.c.industry_code)
                                         .where(ent.c.credit_code.in_(codes))).all())
        groups = {(str(divisions[c])[:3], y) for c, y in self.marks if c in divisions} | self.division_marks
        for table, rows in ((schema.recalc_marks, [{"credit_code": c, "year": y} for c, y in sorted(self.marks)]),
                            (schema.benchmark_marks, [{"division": d, "year": y} for d, y in sorted(groups)])):
            for row in rows:
                stmt = table.update().where(*(table.c[k] == v for k, v in row.items())).values(batch_id=self.batch_id)
                if self.tx.execute(stmt).rowcount == 0:
                    self.tx.execute(table.insert().values(**row, batch_id=self.batch_id))
        return len(self.marks)


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
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; give the folder that holds the batch's files")
    step("reading files")
    tables, file_findings = read_batch(folder)
    if any(f.severity == "error" for f in file_findings):
        raise InputRefused(f"batch {folder} refused: its files cannot be read as the data requirement table",
                           file_findings)
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
                raise InputRefused(f"batch {folder} refused: its files cannot be read as the data requirement "
                                   "table", file_findings + unreadable.findings) from None
            if any(f.severity == "error" for f in findings) and not partial:
                raise InputRefused(f"batch {folder} refused: nothing was applied", findings)
            step("applying")
            return _apply(store, con, sources, findings, check, folder, reason, user or current_user(),
                          in_transaction, view=view, seen_batch=seen_batch)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _apply(store: Store, con: duckdb.DuckDBPyConnection, sources: dict[str, SourceTable], findings: list[Finding],
           check: BatchCheck, folder: Path, reason: str | None, user: str,
           in_transaction: InTransaction | None, *, view: sa.Connection, seen_batch: int) -> IngestResult:
    with store.stage() as stage:  # locked while in use; removed at the end (recover() does it after a crash)
        applier = _Applier(store, con, sources, findings, stage, check.lazy, check.converted, view=view,
                           seen_batch=seen_batch)
        applier.stage_lake()
        crash_point("ingest.staged")
        with duplicates_refused(f"another batch wrote the same rows while this one was applied; {RESEND}"), \
                store.engine.begin() as tx:
            lock_writes(tx)  # first: one batch or publication at a time, every check below inside it
            applier.tx = tx
            batch_id = tx.execute(schema.batches.insert().values(
                received_at=now_iso(), received_by=user, reason=reason, source=str(folder.resolve()),
                status="applying", summary_json="{}")).inserted_primary_key[0]
            applier.batch_id = batch_id
            applier.finish_lake()
            for name, spec in TABLES.items():
                if name in sources and not spec.lake:
                    applier.ledger_table(spec)
                    applier.quarantine(spec)
            counts = {name: applier.counts[name] for name in TABLES if name in applier.counts}
            changed = any(c.new or c.corrected or c.quarantined for c in counts.values())
            if not changed:
                tx.rollback()
                return IngestResult("unchanged", None, findings, counts)
            marked = applier.write_marks()
            status = "partial" if any(c.quarantined for c in counts.values()) else "applied"
            summary = {"counts": {k: v.as_dict() for k, v in counts.items()},
                       "warnings": sum(f.severity == "warning" for f in findings), "marked_accounts": marked,
                       "findings": [f.as_dict() for f in findings[:MAX_KEPT_FINDINGS]]}
            tx.execute(schema.batches.update().where(schema.batches.c.batch_id == batch_id)
                       .values(status=status, summary_json=json.dumps(summary)))
            if in_transaction is not None:
                in_transaction(tx, batch_id, status)
            crash_point("ingest.before_commit")
        crash_point("ingest.committed")
        for i, rel_path in enumerate(applier.new_files):  # publish after the commit
            if i == len(applier.new_files) // 2:
                crash_point("ingest.renaming")
            target = store.lake / rel_path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel_path, target)
        return IngestResult(status, batch_id, findings, counts, marked)
