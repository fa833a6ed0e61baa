"""Every rule of DATA-REQUIREMENTS.md, checked set-wise in DuckDB (vectorised, any batch size).

Each table of a batch becomes ``typed_<table>`` (the parsed columns, the raw text of text sources as
``"raw:<column>"`` and ``_row``); every failing check adds findings and the rejected rows to
``bad_<table>``. Tables are checked in ``TABLE_ORDER`` so that a reference to a rejected row is known
as such (``rejected_reference``), which is what ``--partial`` quarantines along with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from dianta.calc.instruments import (
    bundled_shortfall,
    certificate_valid_until,
    filing_code_contradicts,
    parse_certificate_ids,
    production_month_contradicts,
    retired_within_validity,
)
from dianta.clock import CST_ZONE
from dianta.errors import InputRefused
from dianta.findings import Finding, finding
from dianta.glossary import TABLE_ORDER, TABLES, Column, TableSpec
from dianta.ingest import codes
from dianta.ingest.readers import ROW, SourceTable, read_csv_rows
from dianta.ingest.sorted_readings import CopyInBackground, summarise_sorted
from dianta.ledger.integrity import Digest
from dianta.ledger.lake import LAKE_PARQUET, in_lake_form, may_hold
from dianta.reference.profile import Profile, load_profile
from dianta.reference.tables import certificate_numbering

#: Findings listed per check and table; the rest are counted in one ``more_rows`` finding.
LIMIT = 1000
#: the longest text a cell may hold [characters]: names and ids; anything longer is a broken export
MAX_TEXT = 500

_TS_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
               "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]
_DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"]
_NUMERIC = ("kwh", "mwh", "mw", "money_cny", "money_10k_cny", "percent", "share")
_BAD_PARSE = {"date": "not_a_date", "month": "not_a_month", "year": "not_a_year", "bool": "not_a_boolean",
              "ts_quarter_hour": "not_a_timestamp", "ts_hour": "not_a_timestamp",
              **{t: "not_a_number" for t in _NUMERIC}}
#: Types whose parsed value is the trimmed text itself: a finding can show it, no copy of the cell is kept.
_TEXTUAL = ("text",)
_REFERENCE_NAMES = {"enterprises": ("enterprises", "企业表"), "meters": ("meters", "户号表"),
                    "green_trades": ("green_trades", "绿电交易表"), "plants": ("plants", "电站表"),
                    "parks": ("parks", "园区表")}
#: the warning for a provisional reference (TableSpec.provisional_references) before its table holds a row
_PROVISIONAL_CODES = {"plants": "plant_unknown"}


def q(name: str) -> str:
    """A quoted SQL identifier (names come from the glossary, never from input)."""
    return '"' + name.replace('"', '""') + '"'


def _sql_list(items: list[str]) -> str:
    return "[" + ", ".join("'" + i + "'" for i in items) + "]"


def _text_expr(col: Column, raw: str) -> str:
    """SQL parsing a text cell into the column's canonical type (NULL when empty or unparsable)."""
    t = f"nullif(trim({raw}), '')"
    match col.type:
        case "text":
            return t
        case "credit_code" | "industry_code" | "region_code":
            return f"upper({t})"
        case "choice":
            return f"lower({t})"
        case "year":  # four digits only: DuckDB would round '2023.5' to 2024
            return f"CASE WHEN regexp_full_match({t}, '\\d{{4}}') THEN CAST({t} AS INTEGER) END"
        case "date":  # a four-digit year first: strptime's %Y would read '23-01-05' as the year 23
            return (f"CASE WHEN regexp_full_match({t}, '\\d{{4}}[-/.]\\d{{1,2}}[-/.]\\d{{1,2}}') THEN "
                    f"try_strptime({t}, {_sql_list(_DATE_FORMATS)})::DATE END")
        case "month":
            return (f"CASE WHEN regexp_full_match({t}, '\\d{{4}}[-/]\\d{{1,2}}') THEN "
                    f"strftime(try_strptime(replace({t}, '/', '-') || '-01', '%Y-%m-%d'), '%Y-%m') END")
        case "bool":
            return (f"CASE WHEN lower({t}) IN ('true', '1', 'yes', 'y', 't', '是') THEN true "
                    f"WHEN lower({t}) IN ('false', '0', 'no', 'n', 'f', '否') THEN false END")
        case "ts_quarter_hour" | "ts_hour":
            offset = r"(Z|[+-]\d{2}:?\d{2})$"
            minutes = (f"CASE WHEN right({t}, 1) = 'Z' THEN 0 ELSE "
                       f"(CASE WHEN substr(regexp_extract({t}, '{offset}', 1), 1, 1) = '-' THEN -1 ELSE 1 END) * "
                       f"(try_cast(substr(regexp_extract({t}, '{offset}', 1), 2, 2) AS INTEGER) * 60 + "
                       f"try_cast(right(regexp_extract({t}, '{offset}', 1), 2) AS INTEGER)) END")
            fmts = _sql_list(_TS_FORMATS)
            return (f"CASE WHEN NOT regexp_matches({t}, '^\\d{{4}}[-/]\\d{{1,2}}[-/]\\d{{1,2}}[T ]') THEN NULL "
                    f"WHEN regexp_matches({t}, '{offset}') THEN "
                    f"try_strptime(regexp_replace({t}, '{offset}', ''), {fmts})::TIMESTAMP "
                    f"- to_minutes(({minutes})::BIGINT) + INTERVAL 8 HOUR "
                    f"ELSE try_strptime({t}, {fmts})::TIMESTAMP END")
        case _:  # numbers: thousands separators only in groups of three
            grouped = "'-?\\d{1,3}(,\\d{3})+(\\.\\d*)?'"
            return (f"CASE WHEN contains({t}, ',') AND NOT regexp_full_match({t}, {grouped}) "
                    f"THEN NULL ELSE try_cast(replace({t}, ',', '') AS DOUBLE) END")


def _typed_expr(col: Column, source_type: str) -> str:
    """SQL for a column of a typed (Parquet) source."""
    c = q(col.name)
    if source_type in ("VARCHAR",):
        return _text_expr(col, c)
    if col.type in _NUMERIC:
        return f"try_cast({c} AS DOUBLE)"
    if col.type in ("ts_quarter_hour", "ts_hour"):
        if source_type.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"timezone('{CST_ZONE}', {c})"
        if source_type.startswith("TIMESTAMP") or source_type == "DATE":
            return f"try_cast({c} AS TIMESTAMP)"
    if col.type == "year":
        return f"try_cast({c} AS INTEGER)"
    return _text_expr(col, f"CAST({c} AS VARCHAR)")


@dataclass(slots=True)
class StoreSnapshot:
    """What the checks need to know of the store: existing keys and meter periods."""

    enterprises: pa.Table  # credit_code
    meters: pa.Table  # meter_id, credit_code, valid_from (date), valid_to (date)
    contracts: pa.Table  # contract_id
    #: certificate_id, credit_code, vintage_month, mwh, bundled, plant_id
    certificates: pa.Table
    monthly: pa.Table  # meter_id, month, kwh (only for the meters of the batch's interval readings)
    plants: pa.Table  # plant_id
    #: contract_id, credit_code, month, kwh, plant_id (when the batch has trades or certificates: their backing)
    trades: pa.Table
    #: month -> active lake files of interval_readings (when the batch has readings or monthly totals)
    interval_files: dict[str, list[str]] = field(default_factory=dict)
    #: checks lake files against their records before they are read (dianta.ledger.integrity.check_paths)
    check_lake: Callable[[list[str]], None] | None = None
    parks: pa.Table = field(default_factory=lambda: pa.table({"park_id": pa.array([], pa.string())}))
    #: park_id, credit_code, valid_from (date), valid_to (date): the stored memberships (GREEN-POWER.md §10)
    park_members: pa.Table = field(default_factory=lambda: pa.table({
        "park_id": pa.array([], pa.string()), "credit_code": pa.array([], pa.string()),
        "valid_from": pa.array([], pa.date32()), "valid_to": pa.array([], pa.date32())}))


@dataclass(slots=True)
class BatchCheck:
    """Runs every check of a batch on one DuckDB connection; the results stay in its temp tables."""

    con: duckdb.DuckDBPyConnection
    sources: dict[str, SourceTable]
    store: StoreSnapshot
    findings: list[Finding] = field(default_factory=list)
    #: tables whose every row passed, found from their one-pass summary: ``typed_<table>`` is a view on the
    #: file (never copied) and ``summary_<table>`` holds the counts per meter and day (``summary_hour_<table>``
    #: per meter and hour, with the hour's roll-up)
    lazy: set[str] = field(default_factory=set)
    #: where a streamed CSV (``SourceTable.csv``) is written as Parquet; None: such files are read whole
    scratch: Path | None = None
    #: table -> the Parquet file its streamed CSV became (every row passed: it is the lake file as it is)
    converted: dict[str, Path] = field(default_factory=dict)
    #: table -> its Parquet file as sent, every row passed and in the lake's form already: stored as a copy
    as_sent: dict[str, Path] = field(default_factory=dict)
    #: table -> the roll-up of its file, written by the one-pass summary of readings in meter and time order
    #: (ingest/sorted_readings.py); otherwise ``summary_hour_<table>`` holds it
    rolled: dict[str, Path] = field(default_factory=dict)
    #: table -> the size and SHA-256 of its roll-up file, where it was hashed as it was written
    rolled_digests: dict[str, Digest] = field(default_factory=dict)
    #: table -> the size and SHA-256 of its file in ``converted``, where it was hashed as it was written
    converted_digests: dict[str, Digest] = field(default_factory=dict)
    #: the copy of the readings file being made while it is summed (:meth:`_summarise_sorted`)
    _copy: CopyInBackground | None = None
    #: the green_power values checked (certificate validity, bundled tolerance): ingest takes no profile, so
    #: these are the default shipped profile's (GREEN-POWER.md §9)
    profile: Profile = field(default_factory=lambda: load_profile("default"))

    # -- plumbing ---------------------------------------------------------------------------------------
    def _emit(self, table: str, code: str, column: str | None, where: str, value: str, *, reason: str | None = None,
              reason_zh: str | None = None, severity: str = "error", **detail: object) -> None:
        """Findings for the rows of ``typed_<table>`` matching ``where``; ``value``, ``reason`` and
        ``reason_zh`` are SQL expressions (``reason_zh`` defaults to ``reason``)."""
        file = self.sources[table].file
        sel = f"SELECT _row, CAST({value} AS VARCHAR)" + (f", CAST({reason} AS VARCHAR)" if reason else "") \
            + (f", CAST({reason_zh} AS VARCHAR)" if reason and reason_zh else "")
        base = f"FROM typed_{table} WHERE {where}"
        rows = self.con.sql(f"{sel} {base} ORDER BY _row LIMIT {LIMIT + 1}").fetchall()
        for r in rows[:LIMIT]:
            extra = dict(detail)
            if reason:
                extra["reason"] = r[2]
                if reason_zh:
                    extra["reason_zh"] = r[3]
            self.findings.append(finding(code, table=table, row=r[0], column=column, value=r[1],
                                         severity=severity, file=file, **extra))  # type: ignore[arg-type]
        if len(rows) > LIMIT:
            total = self.con.sql(f"SELECT count(*) {base}").fetchall()[0][0]
            self.findings.append(finding("more_rows", table=table, column=column, value=total - LIMIT,
                                         severity=severity, file=file, reason=code))  # type: ignore[arg-type]
        if severity == "error" and rows:
            self.con.execute(f"INSERT INTO bad_{table} SELECT _row {base}")

    def _value(self, table: str, column: str) -> str:
        raw = f"raw:{column}"
        cols = self.con.sql(f"SELECT * FROM typed_{table} LIMIT 0").columns
        return q(raw) if raw in cols else q(column)

    # -- stage 1: parse ---------------------------------------------------------------------------------
    def _load(self, spec: TableSpec, *, view: bool = False) -> None:
        """``typed_<table>``: parsed columns, plus the cell text (``raw:<column>``) wherever parsing can fail,
        so that a finding shows the value as sent (kept only there: interval tables are large). With
        ``view``, ``parsed_<table>`` is only a view on the file (see :meth:`_summarise_readings`)."""
        src = self.sources[spec.name]
        if src.parquet is not None:
            rel = self.con.read_parquet(str(src.parquet), file_row_number=True)
            # a header written in Chinese (or with its unit) read under its canonical name (readers._check_header)
            renamed = {w: c for c, w in src.headers.items() if w != c and w in rel.columns}
            if renamed:
                rel = rel.project(", ".join(f"{q(n)} AS {q(renamed.get(n, n))}" for n in rel.columns))
            rel.create_view(f"raw_{spec.name}", replace=True)
            types = dict(zip(rel.columns, (str(t) for t in rel.types), strict=True))
            row = "file_row_number + 1"
        else:
            assert src.data is not None
            self.con.register(f"raw_{spec.name}", src.data)
            types = dict.fromkeys(spec.column_names, "VARCHAR")
            row = ROW
        exprs, verbatim = [], []  # verbatim: text columns as the file has them (see _summarise_readings)
        for c in spec.columns:
            if c.name not in types:
                exprs.append(f"NULL AS {q(c.name)}")
                verbatim.append(exprs[-1])
                continue
            exprs.append(f"{_typed_expr(c, types[c.name])} AS {q(c.name)}")
            verbatim.append(q(c.name) if c.type == "text" and types[c.name] == "VARCHAR" else exprs[-1])
            if types[c.name] == "VARCHAR" and c.type not in _TEXTUAL:
                exprs.append(f"{q(c.name)} AS {q('raw:' + c.name)}")
                verbatim.append(exprs[-1])
        kind = f"VIEW parsed_{spec.name}" if view else f"TABLE typed_{spec.name}"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} AS SELECT {row} AS _row, {', '.join(exprs)} "
                         f"FROM raw_{spec.name}")
        if view:
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW verbatim_{spec.name} AS SELECT {row} AS _row, "
                             f"{', '.join(verbatim)} FROM raw_{spec.name}")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE bad_{spec.name} (_row BIGINT)")

    # -- stage 2: cells ---------------------------------------------------------------------------------
    def _check_cells(self, spec: TableSpec) -> None:
        t = spec.name
        for col in spec.columns:
            c = q(col.name)
            v = self._value(t, col.name)
            has_raw = v != c
            empty = f"(nullif(trim({v}), '') IS NULL)" if has_raw else f"({c} IS NULL)"
            if col.required:
                self._emit(t, "required", col.name, f"{c} IS NULL AND {empty}", "''")
            if col.type in _BAD_PARSE:
                self._emit(t, _BAD_PARSE[col.type], col.name, f"{c} IS NULL AND NOT {empty}", v)
            if col.type == "text":  # free text as sent: a name, an id
                self._emit(t, "too_long", col.name, f"length({c}) > {MAX_TEXT}", f"left({c}, 40) || '…'",
                           limit=MAX_TEXT)
            if col.type in _NUMERIC:
                self._check_number(t, col, c, v)
            if col.type == "year":
                self._emit(t, "not_a_year", col.name, f"{c} NOT BETWEEN 1900 AND 2200", v)
            if col.type == "ts_quarter_hour":
                self._emit(t, "not_quarter_hour", col.name,
                           f"(minute({c}) % 15 <> 0 OR microsecond({c}) <> 0)", v)
            if col.type == "ts_hour":
                self._emit(t, "not_hour", col.name, f"(minute({c}) <> 0 OR microsecond({c}) <> 0)", v)
            if col.type == "choice":
                self.con.register("choices", pa.table({"v": list(col.choices)}))
                self._emit(t, "bad_choice", col.name, f"{c} NOT IN (SELECT v FROM choices)", v,
                           expected=", ".join(col.choices))
            if col.type in codes.CHECKS:
                code, ok = codes.CHECKS[col.type]
                values = [r[0] for r in self.con.sql(f"SELECT DISTINCT {c} FROM typed_{t} WHERE {c} IS NOT NULL"
                                                     ).fetchall()]
                self.con.register("bad_codes", pa.table({"v": pa.array([x for x in values if not ok(x)], pa.string())}))
                self._emit(t, code, col.name, f"{c} IN (SELECT v FROM bad_codes)", v)

    #: the upper bound of a numeric type, with the reason in English and Chinese (SQL literals)
    _UPPER = {"percent": ("100", "'a rate in percent is ≤ 100'", "'百分比利率不应大于 100'"),
              "share": ("1", "'a share is a fraction from 0 to 1 (1 means 100 %)'",
                        "'比例应为 0 到 1 之间的小数（1 表示 100 %）'")}

    def _check_number(self, t: str, col: Column, c: str, v: str) -> None:
        self._emit(t, "not_a_number", col.name, f"NOT isfinite({c})", v)
        self._emit(t, "negative", col.name, f"{c} < 0 AND isfinite({c})", v)
        if col.type in self._UPPER:
            bound, reason, reason_zh = self._UPPER[col.type]
            self._emit(t, "out_of_range", col.name, f"{c} > {bound}", v, reason=reason, reason_zh=reason_zh)

    # -- stage 3: rows ----------------------------------------------------------------------------------
    def _check_rows(self, spec: TableSpec) -> None:
        t = spec.name
        pairs = {"enterprises": ("opened_on", "closed_on"), "meters": ("valid_from", "valid_to"),
                 "loans": ("drawn_on", "maturity_on"), "park_members": ("valid_from", "valid_to")}
        if t in pairs:
            a, b = pairs[t]
            self._emit(t, "period_order", b, f"{q(b)} < {q(a)}", self._value(t, b),
                       reason=f"'{a} ' || CAST({self._value(t, a)} AS VARCHAR)")
        if t == "onsite_generation":
            self._emit(t, "self_consumed_exceeds", "kwh_self_consumed", "kwh_self_consumed > kwh_generated",
                       self._value(t, "kwh_self_consumed"), reason=self._value(t, "kwh_generated"))
        if t == "economics":
            self._emit(t, "economics_empty", "value_added_10k_cny",
                       "value_added_10k_cny IS NULL AND revenue_10k_cny IS NULL", "''")
        keys = ", ".join(q(k) for k in spec.key)
        not_null = " AND ".join(f"{q(k)} IS NOT NULL" for k in spec.key if spec.column(k).required) or "true"
        # a hash aggregate finds the repeated keys (rare), then only their rows are joined back: a window
        # over every row (sorting 175 M readings) took most of an interval batch's checking time
        join = " AND ".join(f"r.{q(k)} = d.{q(k)}" if spec.column(k).required
                            else f"r.{q(k)} IS NOT DISTINCT FROM d.{q(k)}" for k in spec.key)
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE dup_{t} AS SELECT r._row, d.first, d.last FROM typed_{t} r JOIN ("
            f"SELECT {keys}, min(_row) AS first, max(_row) AS last FROM typed_{t} WHERE {not_null} "
            f"GROUP BY {keys} HAVING count(*) > 1) d ON {join}")
        key_text = " || ' / ' || ".join(f"coalesce(CAST({q(k)} AS VARCHAR), '')" for k in spec.key)
        self._emit(t, "duplicate_key", spec.key[0], f"_row IN (SELECT _row FROM dup_{t})", key_text,
                   reason=f"(SELECT CASE WHEN d._row = d.first THEN d.last ELSE d.first END FROM dup_{t} d "
                          f"WHERE d._row = typed_{t}._row)")

    # -- stage 4: references ----------------------------------------------------------------------------
    def _valid_keys(self, table: str, column: str) -> None:
        """``ok_keys``: the keys a reference may point to; ``rejected_keys``: keys only in rejected rows."""
        store = {"enterprises": ("store_enterprises", "credit_code"), "meters": ("store_meters", "meter_id"),
                 "green_trades": ("store_contracts", "contract_id"), "plants": ("store_plants", "plant_id"),
                 "parks": ("store_parks", "park_id")}[table]
        parts = [f"SELECT {q(store[1])} AS k FROM {store[0]}"]
        if table in self.sources:
            parts.append(f"SELECT {q(column)} FROM typed_{table} WHERE _row NOT IN (SELECT _row FROM bad_{table})")
            rejected = (f"SELECT {q(column)} AS k FROM typed_{table} WHERE _row IN (SELECT _row FROM bad_{table})")
        else:
            rejected = "SELECT NULL::VARCHAR AS k WHERE false"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE ok_keys AS {' UNION '.join(parts)}")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE rejected_keys AS {rejected}")

    def _check_references(self, spec: TableSpec) -> None:
        t = spec.name
        for column, (ref_table, ref_column) in spec.references.items():
            self._valid_keys(ref_table, ref_column)
            c = q(column)
            missing = f"{c} IS NOT NULL AND {c} NOT IN (SELECT k FROM ok_keys)"
            en, zh = _REFERENCE_NAMES[ref_table]
            self._emit(t, "rejected_reference", column, f"{missing} AND {c} IN (SELECT k FROM rejected_keys)", c)
            unknown = f"{missing} AND {c} NOT IN (SELECT k FROM rejected_keys WHERE k IS NOT NULL)"
            if column in spec.soft_references:
                self._emit(t, "unknown_borrower", column, unknown, c, severity="warning")
            elif column in spec.provisional_references and not self._populated(ref_table):
                self._emit(t, _PROVISIONAL_CODES[ref_table], column, unknown, c, severity="warning")
            else:
                self._emit(t, "unknown_reference", column, unknown, c, reason=f"'{en}'", reason_zh=f"'{zh}'")

    def _populated(self, table: str) -> bool:
        """Whether the store or the batch (any of its rows, rejected ones too) holds a row of ``table``."""
        store = {"plants": "store_plants"}[table]
        if self.con.sql(f"SELECT count(*) FROM {store}").fetchall()[0][0]:
            return True
        return table in self.sources and bool(self.con.sql(f"SELECT count(*) FROM typed_{table}").fetchall()[0][0])

    # -- stage 5: rules across rows ---------------------------------------------------------------------
    def _merge_meters(self) -> None:
        """``all_meters``: the meter periods in force once the batch is applied (batch rows replace store
        rows of the same key)."""
        batch = ("SELECT meter_id, credit_code, valid_from, valid_to, _row FROM typed_meters "
                 "WHERE _row NOT IN (SELECT _row FROM bad_meters)") if "meters" in self.sources else \
            ("SELECT NULL::VARCHAR AS meter_id, NULL::VARCHAR AS credit_code, NULL::DATE AS valid_from, "
             "NULL::DATE AS valid_to, NULL::BIGINT AS _row WHERE false")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE all_meters AS "
            f"WITH b AS ({batch}) "
            f"SELECT * FROM b UNION ALL "
            f"SELECT s.meter_id, s.credit_code, s.valid_from, s.valid_to, NULL FROM store_meters s "
            f"WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.meter_id = s.meter_id "
            f"AND coalesce(b.valid_from, DATE '0001-01-01') = coalesce(s.valid_from, DATE '0001-01-01'))")

    def _check_meter_overlap(self) -> None:
        self._merge_meters()
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE meter_overlap AS SELECT _row, prev_row, prev_from, prev_to FROM ("
            "SELECT _row, meter_id, valid_from, "
            "lag(_row) OVER w AS prev_row, lag(valid_from) OVER w AS prev_from, lag(valid_to) OVER w AS prev_to, "
            "lag(meter_id) OVER w AS prev_meter FROM all_meters "
            "WINDOW w AS (PARTITION BY meter_id ORDER BY coalesce(valid_from, DATE '0001-01-01'))) "
            "WHERE prev_meter IS NOT NULL AND (prev_to IS NULL OR coalesce(valid_from, DATE '0001-01-01') <= prev_to)")
        self.con.execute("INSERT INTO meter_overlap SELECT prev_row, _row, NULL, NULL FROM meter_overlap "
                         "WHERE prev_row IS NOT NULL")
        def others(store: str, row: str, sep: str) -> str:
            return (f"(SELECT string_agg(DISTINCT CASE WHEN o.prev_row IS NULL THEN '{store}' ELSE {row} END, '{sep}') "
                    "FROM meter_overlap o WHERE o._row = typed_meters._row)")

        self._emit("meters", "meter_overlap", "valid_from", "_row IN (SELECT _row FROM meter_overlap)", "meter_id",
                   reason=others("a period in the store", "'row ' || o.prev_row", ", "),
                   reason_zh=others("库中已有的期间", "'第 ' || o.prev_row || ' 行'", "、"))
        self._merge_meters()  # without the rows just rejected

    def _unheld(self, pairs: str) -> int:
        """``unheld``: the distinct (meter_id, day) of ``pairs`` (SQL) whose meter is known but held by no
        enterprise that day; returns how many."""
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE unheld AS SELECT * FROM (SELECT DISTINCT meter_id, day FROM ({pairs}) "
            f"WHERE day IS NOT NULL AND meter_id IN (SELECT meter_id FROM all_meters)) d "
            f"WHERE NOT EXISTS (SELECT 1 FROM all_meters m WHERE m.meter_id = d.meter_id "
            f"AND coalesce(m.valid_from, DATE '0001-01-01') <= d.day "
            f"AND coalesce(m.valid_to, DATE '9999-12-31') >= d.day)")
        return self.con.sql("SELECT count(*) FROM unheld").fetchall()[0][0]

    def _check_holder(self, table: str, at: str, at_text: str) -> None:
        """Every monthly total / reading must fall in a period some enterprise holds the meter. Checked on the
        distinct (meter, day) pairs, then joined back to the rows (a range lookup per reading is slow)."""
        if self._unheld(f"SELECT meter_id, {at} AS day FROM typed_{table}"):
            self._emit(table, "meter_unassigned", "meter_id",
                       f"EXISTS (SELECT 1 FROM unheld u WHERE u.meter_id = typed_{table}.meter_id AND u.day = {at})",
                       "meter_id", reason=at_text)

    def _check_monthly_holder(self) -> None:
        """METHODOLOGY.md §3: a monthly total belongs to the enterprise holding its meter on the month's first
        day, else to the one holding it on its last day; a total held on neither day is refused (never
        dropped)."""
        first = "CAST(month || '-01' AS DATE)"
        self._unheld(f"SELECT meter_id, {first} AS day FROM typed_consumption_monthly UNION ALL "
                     f"SELECT meter_id, last_day({first}) AS day FROM typed_consumption_monthly")
        self._emit("consumption_monthly", "monthly_unassigned", "meter_id",
                   "month IS NOT NULL AND EXISTS (SELECT 1 FROM unheld u WHERE u.meter_id = "
                   f"typed_consumption_monthly.meter_id AND u.day = {first}) AND EXISTS (SELECT 1 FROM unheld u "
                   f"WHERE u.meter_id = typed_consumption_monthly.meter_id AND u.day = last_day({first}))",
                   "meter_id", reason="month")

    def _check_certificates(self) -> None:
        self._emit("green_certificates", "certificate_elsewhere", "certificate_id",
                   "EXISTS (SELECT 1 FROM store_certificates s WHERE s.certificate_id = "
                   "typed_green_certificates.certificate_id AND s.credit_code <> typed_green_certificates.credit_code)",
                   "certificate_id",
                   reason="(SELECT s.credit_code FROM store_certificates s "
                          "WHERE s.certificate_id = typed_green_certificates.certificate_id)")
        self._check_validity()
        self._check_numbering()

    def _check_validity(self) -> None:
        """A certificate retired after its validity (the last day of the profile's ``certificate_validity_months``-th
        month after its production month) or before its production month began (GREEN-POWER.md §9). Computed on
        the distinct (production month, retirement day) pairs."""
        t, months = "green_certificates", self.profile.certificate_validity_months
        pairs = self.con.sql(f"SELECT DISTINCT vintage_month, CAST(retired_on AS VARCHAR) FROM typed_{t} "
                             "WHERE vintage_month IS NOT NULL AND retired_on IS NOT NULL").fetchall()
        vintage = [p[0] for p in pairs]
        retired = [p[1] for p in pairs]
        late = ~retired_within_validity(vintage, retired, months) if pairs else np.zeros(0, dtype=bool)
        until = certificate_valid_until(vintage, months).astype(str) if pairs else np.zeros(0, dtype=str)
        self.con.register("expired", pa.table({
            "vintage_month": pa.array([v for v, bad in zip(vintage, late, strict=True) if bad], pa.string()),
            "retired_on": pa.array([r for r, bad in zip(retired, late, strict=True) if bad], pa.string()),
            "valid_until": pa.array([str(u) for u, bad in zip(until, late, strict=True) if bad], pa.string())}))
        match = (f"FROM expired e WHERE e.vintage_month = typed_{t}.vintage_month "
                 f"AND e.retired_on = CAST(typed_{t}.retired_on AS VARCHAR)")
        self._emit(t, "certificate_expired", "retired_on", f"EXISTS (SELECT 1 {match})", self._value(t, "retired_on"),
                   reason=f"(SELECT e.valid_until {match})", months=months)
        self._emit(t, "retired_before_production", "retired_on",
                   "retired_on < CAST(vintage_month || '-01' AS DATE)", self._value(t, "retired_on"),
                   reason="vintage_month")

    def _check_numbering(self) -> None:
        """A certificate_id with the national numbering's length (reference/codes/green-certificate-numbering.toml)
        must be made of its characters, and the parts of it whose position is confirmed must agree with the row:
        its filing code with a plant_id that is a filing code, its production month (once confirmed) with
        vintage_month (GREEN-POWER.md §9)."""
        t, rule = "green_certificates", certificate_numbering()
        rows = self.con.sql(f"SELECT DISTINCT certificate_id, plant_id, vintage_month FROM typed_{t} "
                            f"WHERE length(certificate_id) = {rule.length}").fetchall()
        ids = [r[0] for r in rows]
        parsed = parse_certificate_ids(ids, rule.length, rule.alphabet, rule.parts)
        none = np.full(len(ids), "", dtype=np.str_)
        plant_code, month = parsed.parts.get("plant_filing_code", none), parsed.parts.get("production_month", none)
        wrong_plant = filing_code_contradicts(plant_code, [r[1] for r in rows], rule.filing_code_length,
                                              rule.alphabet)
        wrong_month = production_month_contradicts(month, [r[2] or "" for r in rows])
        checks = (("certificate_id_malformed", "certificate_id", ~parsed.well_formed, None, None),
                  ("certificate_id_other_plant", "plant_id", wrong_plant, plant_code, 1),
                  ("certificate_id_other_month", "vintage_month", wrong_month, month, 2))
        for code, column, bad, part, given in checks:
            picked = np.flatnonzero(np.asarray(bad, dtype=bool))
            if not picked.size:
                continue
            self.con.register("bad_ids", pa.table({
                "certificate_id": pa.array([ids[i] for i in picked], pa.string()),
                "given": pa.array([None if given is None else rows[i][given] for i in picked], pa.string()),
                "part": pa.array(["" if part is None else str(part[i]) for i in picked], pa.string())}))
            match = (f"FROM bad_ids b WHERE b.certificate_id = typed_{t}.certificate_id "
                     f"AND (b.given IS NULL OR b.given = typed_{t}.{q(column)})")
            self._emit(t, code, column, f"EXISTS (SELECT 1 {match})", self._value(t, column),
                       reason=f"(SELECT any_value(b.part) {match})", length=rule.length)

    # -- interval readings in one pass ---------------------------------------------------------------------
    def _summarise_readings(self) -> bool:
        """Interval readings from a Parquet file (or a streamed CSV written as one), read once:
        ``summary_hour_interval_readings`` counts, per meter and hour, everything the row checks look at (missing
        or bad values, off-grid timestamps, the distinct quarter-hours as a bit mask per hour for repeated
        keys, text length) and the hour's roll-up (kWh, largest 15-minute kWh, readings: the lake's
        ``interval_hourly``, issue 18, written from it by :class:`dianta.ingest.apply._LakeStage` without reading
        the file again); ``summary_interval_readings`` is the same per meter and day. When no row can fail, the
        references and meter holders are checked on its (meter, day) pairs and True comes back: the rows are
        never copied (``typed_`` is a view on the file, meter ids as sent once the summary showed that none needs
        trimming) and the warnings use the summary. False: the caller copies the rows and every check runs row by
        row, naming each row. A Parquet file whose every row passed and that is in the lake's form already is
        kept as it was sent (:func:`dianta.ledger.lake.in_lake_form`).

        Bench: 175 M readings, bench/bench_scale.py; the copy and the row checks took most of ingest."""
        t = "interval_readings"
        src = self.sources[t]
        if not self._summarise_sorted(t):
            self._summarise_in_duckdb(t)
        failing = self.con.sql(
            f"SELECT count(*) FROM summary_{t} WHERE meter_id IS NULL OR meter_id <> trim(meter_id) OR meter_id = '' "
            f"OR day IS NULL OR no_ts > 0 OR off_grid > 0 OR bad_kwh > 0 OR length(meter_id) > {MAX_TEXT} "
            f"OR n > quarters").fetchall()[0][0]
        if not failing:
            self._valid_keys("meters", "meter_id")
            failing = self.con.sql(
                f"SELECT count(*) FROM (SELECT DISTINCT meter_id FROM summary_{t}) WHERE meter_id NOT IN "
                f"(SELECT k FROM ok_keys WHERE k IS NOT NULL)").fetchall()[0][0]
        if not failing:  # every meter is known (above): the holder check on the (meter, day) pairs
            failing = self._unheld(f"SELECT meter_id, CAST(make_timestamp(day * 86400000000) AS DATE) AS day "
                                   f"FROM summary_{t}")
        copy, self._copy = self._copy, None
        if not failing:  # the same values as parsed_ (no cell needs trimming), without trimming 175 M cells again
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW typed_{t} AS SELECT * FROM verbatim_{t}")
            self.lazy.add(t)
            if copy is not None:  # copied and hashed while it was summed: staged as it is
                self.converted_digests[t] = copy.result()
                self.converted[t] = copy.target
            elif src.parquet is not None and t not in self.converted and in_lake_form(src.parquet):
                self.as_sent[t] = src.parquet
        elif copy is not None:
            copy.discard()
        return not failing

    def _summarise_sorted(self, t: str) -> bool:
        """:meth:`_summarise_readings`'s day summary from a file in meter and time order, in one streaming pass
        (ingest/sorted_readings.py), its roll-up written to ``scratch`` (``rolled``); False: the file is not so
        (or could fail a check), DuckDB summarises it."""
        src = self.sources[t]
        if src.parquet is None or self.scratch is None or any(w != c for c, w in src.headers.items()):
            return False
        target = self.scratch / f"{t}-rollup.parquet"
        # a file in the lake's form is copied (and hashed) while it is summed: once every row passed, the copy is
        # the lake file (see _summarise_readings)
        copy = CopyInBackground(src.parquet, self.scratch / f"{t}-as-sent.parquet") \
            if t not in self.converted and in_lake_form(src.parquet) else None
        try:
            summary = summarise_sorted(src.parquet, target, max_text=MAX_TEXT)
        except BaseException:
            if copy is not None:
                copy.discard()
            raise
        if summary is None:
            if copy is not None:
                copy.discard()
            return False
        self._copy = copy
        if not summary.in_meter_order:  # the lake's roll-ups are in meter and hour order (ledger/lake.py ROLLUPS)
            ordered = self.scratch / f"{t}-rollup-ordered.parquet"
            escaped = str(ordered).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM read_parquet($file) ORDER BY meter_id, hour) TO '{escaped}' "
                             f"({LAKE_PARQUET})", {"file": str(target)})
            target.unlink()
            target = ordered
        else:
            self.rolled_digests[t] = summary.rollup_digest
        self.con.register("sorted_days", summary.days)
        try:  # a (meter, day) a task boundary cut in two is summed here; no row is missing, off-grid or repeated
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE summary_{t} AS SELECT CAST(meter_id AS VARCHAR) AS meter_id, day, "
                f"CAST(sum(n) AS BIGINT) AS n, sum(kwh) AS kwh, min(first_us) AS first_us, max(last_us) AS last_us, "
                f"CAST(0 AS BIGINT) AS no_ts, CAST(0 AS BIGINT) AS off_grid, CAST(0 AS BIGINT) AS bad_kwh, "
                f"CAST(sum(n) AS BIGINT) AS quarters FROM sorted_days GROUP BY ALL")
        finally:
            self.con.unregister("sorted_days")
        self.rolled[t] = target
        return True

    def _summarise_in_duckdb(self, t: str) -> None:
        """:meth:`_summarise_readings`'s summaries, by hash aggregates in DuckDB."""
        hour_us, quarter_us = 3_600_000_000, 900_000_000
        # the quarter-hours of an hour as the bits of an integer (one bit_or: the fastest exact test for repeated
        # keys measured, 1.3x a hash of every (meter, ts) key); a day's quarter-hours are its hours' sum
        bit = f"CASE WHEN e >= 0 THEN 1 << CAST((e % {hour_us}) // {quarter_us} AS INTEGER) END"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE summary_hour_{t} AS SELECT meter_id, e // {hour_us} AS hour, "
            f"count(*) AS n, sum(kwh) AS kwh, max(kwh) AS peak_kwh, min(e) AS first_us, max(e) AS last_us, "
            f"count_if(e IS NULL) AS no_ts, count_if(e < 0 OR e % {quarter_us} <> 0) AS off_grid, "
            f"count_if(kwh IS NULL OR NOT isfinite(kwh) OR kwh < 0) AS bad_kwh, "
            f"coalesce(bit_count(bit_or({bit})), 0) AS quarters, "
            + ", ".join(f"sum(CASE WHEN (e % {hour_us}) // {quarter_us} = {i} THEN kwh END) AS q{i + 1}_kwh"
                        for i in range(4))
            + f" FROM (SELECT meter_id, kwh, epoch_us(ts) AS e FROM verbatim_{t}) GROUP BY ALL")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE summary_{t} AS SELECT meter_id, hour // 24 AS day, "
            f"CAST(sum(n) AS BIGINT) AS n, sum(kwh) AS kwh, min(first_us) AS first_us, max(last_us) AS last_us, "
            f"CAST(sum(no_ts) AS BIGINT) AS no_ts, CAST(sum(off_grid) AS BIGINT) AS off_grid, "
            f"CAST(sum(bad_kwh) AS BIGINT) AS bad_kwh, CAST(sum(quarters) AS BIGINT) AS quarters "
            f"FROM summary_hour_{t} GROUP BY ALL")

    def _stream_csv(self, spec: TableSpec) -> bool:
        """A streamed CSV of readings in one pass through DuckDB's CSV reader, typed in the common form
        (``YYYY-MM-DD HH:MM:SS``, kWh a plain number), into a Parquet file in ``scratch``, then summarised
        as a Parquet source. False when the reader stops at a line (another spelling, a ragged row, a bad
        byte): the file is then read whole and checked row by row."""
        src = self.sources[spec.name]
        assert src.csv is not None and self.scratch is not None
        types = {"text": "VARCHAR", "ts_quarter_hour": "TIMESTAMP", "kwh": "DOUBLE"}
        # the header's names are the glossary's (readers._check_header), so they can be written into SQL
        columns = ", ".join(f"'{n}': '{types[spec.column(n).type]}'" for n in src.columns)
        target = self.scratch / f"{spec.name}.parquet"
        escaped = str(target).replace("'", "''")
        reader = (f"read_csv($path, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                  f"columns = {{{columns}}}, timestampformat = '%Y-%m-%d %H:%M:%S')")
        try:
            self.con.execute(f"COPY (SELECT {', '.join(q(c) for c in spec.column_names)} FROM {reader}) "
                             f"TO '{escaped}' ({LAKE_PARQUET})",
                             {"path": str(src.csv)})
        except duckdb.Error:
            target.unlink(missing_ok=True)
            return False
        self.sources[spec.name] = replace(src, parquet=target)
        self.converted[spec.name] = target
        return True

    def _read_whole(self, spec: TableSpec) -> None:
        """A streamed CSV read whole, with its row numbers (a row failed, or DuckDB's reader stopped)."""
        src = self.sources[spec.name]
        self.converted.pop(spec.name, None)
        loaded, problems = read_csv_rows(src, spec)
        if loaded is None:
            raise InputRefused.of("file_unreadable", problems, file=src.file)
        self.sources[spec.name] = loaded

    # -- stage 6: warnings ------------------------------------------------------------------------------
    def _gap_warnings(self) -> None:
        if "interval_readings" in self.lazy:
            gaps = self.con.sql(
                "SELECT meter_id, (max(last_us) - min(first_us)) // 900000000 + 1 AS expected, sum(n) AS n "
                "FROM summary_interval_readings GROUP BY meter_id HAVING expected > n ORDER BY meter_id").fetchall()
        else:
            valid = "typed_interval_readings WHERE _row NOT IN (SELECT _row FROM bad_interval_readings)"
            gaps = self.con.sql(
                f"SELECT meter_id, CAST((epoch(max(ts)) - epoch(min(ts))) / 900 + 1 AS BIGINT) AS expected, "
                f"count(*) AS n FROM {valid} GROUP BY meter_id HAVING expected > n ORDER BY meter_id").fetchall()
        file = self.sources["interval_readings"].file
        for meter, expected, n in gaps:
            self.findings.append(finding("interval_gap", table="interval_readings", column="ts", value=meter,
                                         severity="warning", file=file, reason=expected - n,
                                         expected=f"{(expected - n) / expected:.2%}"))

    def _mismatch_warnings(self) -> None:
        """A month whose 15-minute sum differs from its monthly total by more than 2 %, whichever of the two
        this batch brings: its readings with the stored ones it does not replace (readings often arrive a
        week at a time; the account compares the whole month), against its monthly totals or the stored ones."""
        none_readings = "SELECT NULL::VARCHAR AS meter_id, NULL::TIMESTAMP AS ts, NULL::DOUBLE AS kwh WHERE false"
        none_monthly = "SELECT NULL::VARCHAR AS meter_id, NULL::VARCHAR AS month, NULL::DOUBLE AS kwh WHERE false"
        lazy = "interval_readings" in self.lazy
        batch_readings = ("SELECT meter_id, ts, kwh FROM typed_interval_readings" + ("" if lazy else
                          " WHERE _row NOT IN (SELECT _row FROM bad_interval_readings)")) \
            if "interval_readings" in self.sources else none_readings
        monthly = ("SELECT meter_id, month, kwh FROM typed_consumption_monthly WHERE _row NOT IN "
                   "(SELECT _row FROM bad_consumption_monthly)") if "consumption_monthly" in self.sources \
            else none_monthly
        # a view: the batch's readings are not copied (only read again when stored readings are merged in)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW valid_readings AS {batch_readings}")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE valid_monthly AS {monthly}")
        month_of_day = "strftime(make_timestamp(day * 86400000000), '%Y-%m')"
        batch_sums = (f"SELECT meter_id, {month_of_day} AS month, sum(kwh) AS kwh FROM summary_interval_readings "
                      f"GROUP BY ALL") if lazy else \
            "SELECT meter_id, strftime(ts, '%Y-%m') AS month, sum(kwh) AS kwh FROM valid_readings GROUP BY ALL"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE batch_month_kwh AS {batch_sums}")
        self.con.execute("CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT meter_id, month "
                         "FROM batch_month_kwh UNION SELECT meter_id, month FROM valid_monthly")
        months = [r[0] for r in self.con.sql("SELECT DISTINCT month FROM touched ORDER BY 1").fetchall()]
        # only the stored files whose meters meet the touched ones (issue 18: a region does not read the province)
        low, high = self.con.sql("SELECT min(meter_id), max(meter_id) FROM touched").fetchall()[0]
        paths = [path for path in sorted({path for m in months for path in self.store.interval_files.get(m, [])})
                 if low is not None and may_hold(Path(path), "meter_id", low, high)]
        if paths and self.store.check_lake is not None:
            self.store.check_lake(paths)
        readings = "SELECT meter_id, ts, kwh FROM valid_readings"
        sums = "SELECT * FROM batch_month_kwh"
        if paths:
            self.con.execute("DROP TABLE IF EXISTS stored_readings")
            self.con.sql("SELECT meter_id, ts, kwh FROM read_parquet($files) "
                         "WHERE meter_id BETWEEN $low AND $high AND meter_id IN (SELECT meter_id FROM touched)",
                         params={"files": paths, "low": low, "high": high}).create("stored_readings")
            readings += (" UNION ALL SELECT s.meter_id, s.ts, s.kwh FROM stored_readings s WHERE NOT EXISTS "
                         "(SELECT 1 FROM valid_readings b WHERE b.meter_id = s.meter_id AND b.ts = s.ts)")
            sums = f"SELECT meter_id, strftime(ts, '%Y-%m') AS month, sum(kwh) AS kwh FROM ({readings}) GROUP BY ALL"
        rows = self.con.sql(
            f"WITH i AS ({sums}), "
            f"m AS (SELECT * FROM valid_monthly UNION ALL SELECT s.meter_id, s.month, s.kwh FROM store_monthly s "
            f"WHERE NOT EXISTS (SELECT 1 FROM valid_monthly b WHERE b.meter_id = s.meter_id AND b.month = s.month)) "
            f"SELECT i.meter_id, i.month, i.kwh, m.kwh FROM i JOIN m USING (meter_id, month) "
            f"JOIN touched t USING (meter_id, month) "
            f"WHERE abs(i.kwh - m.kwh) > 0.02 * m.kwh OR (m.kwh = 0 AND i.kwh <> 0) ORDER BY 1, 2").fetchall()
        table = "interval_readings" if "interval_readings" in self.sources else "consumption_monthly"
        for meter, month, interval_kwh, monthly_kwh in rows:
            self.findings.append(finding("monthly_mismatch", table=table, column="kwh", value=meter,
                                         severity="warning", file=self.sources[table].file, reason=month,
                                         interval_kwh=f"{interval_kwh:,.1f}", monthly_kwh=f"{monthly_kwh:,.1f}"))

    def _backing_warnings(self) -> None:
        """Bundled certificates (证电合一, GREEN-POWER.md §9): each (enterprise, month, plant) whose trades or bundled
        certificates the batch brings, with the stored rows of those groups the batch does not replace (a later
        batch may complete a month), whose settled kWh exceed the bundled certificates' MWh × 1,000 of the same
        enterprise, production month and plant (no plant ↔ no plant) by more than the profile's tolerance."""
        trade_cols = "contract_id, credit_code, month, kwh, plant_id"
        cert_cols = "certificate_id, credit_code, vintage_month, mwh, plant_id"
        batch_trades = (f"SELECT {trade_cols} FROM typed_green_trades WHERE _row NOT IN "
                        "(SELECT _row FROM bad_green_trades)") if "green_trades" in self.sources else \
            f"SELECT {trade_cols} FROM store_trades WHERE false"
        batch_certs = (f"SELECT {cert_cols}, bundled FROM typed_green_certificates WHERE _row NOT IN "
                       "(SELECT _row FROM bad_green_certificates)") if "green_certificates" in self.sources else \
            f"SELECT {cert_cols}, bundled FROM store_certificates WHERE false"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE backing_trades AS WITH b AS ({batch_trades}) SELECT * FROM b UNION ALL "
            f"SELECT {trade_cols} FROM store_trades s WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.contract_id = "
            "s.contract_id AND b.credit_code = s.credit_code AND b.month = s.month)")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE backing_certs AS WITH b AS ({batch_certs}) "
            f"SELECT {cert_cols} FROM b WHERE bundled UNION ALL SELECT {cert_cols} FROM store_certificates s "
            "WHERE s.bundled AND NOT EXISTS (SELECT 1 FROM b WHERE b.certificate_id = s.certificate_id)")
        groups = self.con.sql(
            f"WITH g AS (SELECT DISTINCT credit_code, month, plant_id FROM ({batch_trades}) UNION "
            f"SELECT DISTINCT credit_code, vintage_month, plant_id FROM ({batch_certs}) WHERE bundled) "
            "SELECT g.credit_code, g.month, g.plant_id, "
            "(SELECT sum(t.kwh) FROM backing_trades t WHERE t.credit_code = g.credit_code AND t.month = g.month "
            "AND t.plant_id IS NOT DISTINCT FROM g.plant_id) AS settled, "
            "(SELECT string_agg(DISTINCT t.contract_id, ', ' ORDER BY t.contract_id) FROM backing_trades t "
            "WHERE t.credit_code = g.credit_code AND t.month = g.month AND t.plant_id IS NOT DISTINCT FROM g.plant_id"
            ") AS contracts, "
            "coalesce((SELECT sum(c.mwh) FROM backing_certs c WHERE c.credit_code = g.credit_code "
            "AND c.vintage_month = g.month AND c.plant_id IS NOT DISTINCT FROM g.plant_id), 0) AS bundled "
            "FROM g WHERE g.credit_code IS NOT NULL AND g.month IS NOT NULL ORDER BY 1, 2, 3 NULLS FIRST").fetchall()
        groups = [g for g in groups if g[3]]
        tolerance = self.profile.bundled_certificate_tolerance
        short = bundled_shortfall([g[3] for g in groups], [g[5] for g in groups], tolerance)
        table = "green_trades" if "green_trades" in self.sources else "green_certificates"
        for (code, month, plant, settled, contracts, bundled), is_short in zip(groups, short, strict=True):
            if is_short:
                self.findings.append(finding(
                    "trade_not_backed_by_certificates", table=table, column="kwh", value=code, severity="warning",
                    file=self.sources[table].file, month=month, contracts=contracts,
                    plant=plant or "(none)", plant_zh=plant or "（未注明）", settled=f"{settled:,.1f}",
                    bundled=f"{bundled * 1000:,.1f}", tolerance=f"{tolerance:.0%}"))

    # -- all --------------------------------------------------------------------------------------------
    def run(self) -> list[Finding]:
        """Every check of the batch, table by table in ``TABLE_ORDER``; the findings."""
        for name, table in (("store_enterprises", self.store.enterprises), ("store_meters", self.store.meters),
                            ("store_contracts", self.store.contracts),
                            ("store_certificates", self.store.certificates), ("store_monthly", self.store.monthly),
                            ("store_plants", self.store.plants), ("store_trades", self.store.trades),
                            ("store_parks", self.store.parks), ("store_park_members", self.store.park_members)):
            self.con.register(name, table)
        merged = False
        for name in TABLE_ORDER:
            if name in ("consumption_monthly", "interval_readings") and not merged:
                self._merge_meters()
                merged = True
            if name not in self.sources:
                continue
            spec = TABLES[name]
            if not self._parse(spec):
                continue  # every row passed every check below
            self._check_cells(spec)
            self._check_rows(spec)
            self._check_references(spec)
            merged = self._check_across_rows(name) or merged
        self._warnings()
        self._name_headers()
        return self.findings

    def _name_headers(self) -> None:
        """Each finding on a column also shows the column's header as the file wrote it, where it differs."""
        for i, f in enumerate(self.findings):
            src = self.sources.get(f.table)
            written = src.headers.get(f.column) if src is not None and f.column else None
            if f.header is None and written is not None and written != f.column:
                self.findings[i] = replace(f, header=written)

    def _parse(self, spec: TableSpec) -> bool:
        """Stage 1 for one table: read and parse it into ``typed_<table>``. False when the table's rows all
        passed every check already (interval readings in one pass, :meth:`_summarise_readings`)."""
        name = spec.name
        if self.sources[name].csv is not None and (self.scratch is None or not self._stream_csv(spec)):
            self._read_whole(spec)
        if name != "interval_readings" or self.sources[name].parquet is None:
            self._load(spec)
            return True
        self._load(spec, view=True)
        if self._summarise_readings():
            return False
        if name in self.converted:  # the CSV again, whole: findings name its rows
            self._read_whole(spec)
            self._load(spec)
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE typed_{name} AS SELECT * FROM parsed_{name}")
        return True

    def _check_across_rows(self, name: str) -> bool:
        """Stage 5 for one table; True when it merged the meters (``all_meters``)."""
        if name == "meters":
            self._check_meter_overlap()
            return True
        if name == "consumption_monthly":
            self._check_monthly_holder()
        elif name == "interval_readings":
            self._check_holder(name, "CAST(ts AS DATE)", "ts")
        elif name == "green_certificates":
            self._check_certificates()
        elif name == "data_centres":  # GREEN-POWER.md §11: the IT sub-meter is one of the data centre's meters
            self._emit(name, "it_meter_elsewhere", "it_meter_id",
                       "it_meter_id IS NOT NULL AND it_meter_id IN (SELECT meter_id FROM all_meters) AND NOT EXISTS "
                       "(SELECT 1 FROM all_meters m WHERE m.meter_id = typed_data_centres.it_meter_id "
                       "AND m.credit_code = typed_data_centres.credit_code)", "it_meter_id")
        elif name == "park_members":
            self._check_park_overlap()
        return False

    def _check_park_overlap(self) -> None:
        """GREEN-POWER.md §10: an enterprise belongs to at most one park at a time. The batch's memberships with the
        stored ones it does not replace (same park, enterprise and start); each row whose period overlaps another
        of the same enterprise is refused, naming both parks and both periods."""
        t = "park_members"
        far_past, far_future = "DATE '0001-01-01'", "DATE '9999-12-31'"
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE all_park_members AS WITH b AS (SELECT park_id, credit_code, valid_from, "
            f"valid_to, _row FROM typed_{t} WHERE _row NOT IN (SELECT _row FROM bad_{t})) "
            f"SELECT * FROM b UNION ALL SELECT s.park_id, s.credit_code, s.valid_from, s.valid_to, NULL FROM "
            f"store_park_members s WHERE NOT EXISTS (SELECT 1 FROM b WHERE b.park_id = s.park_id AND "
            f"b.credit_code = s.credit_code AND b.valid_from IS NOT DISTINCT FROM s.valid_from)")
        period = ("coalesce(CAST(o.valid_from AS VARCHAR), '…') || ' – ' || "
                  "coalesce(CAST(o.valid_to AS VARCHAR), '…')")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE park_overlap AS SELECT a._row, b._row AS other_row, b.park_id, "
            f"{period.replace('o.', 'b.')} AS other_period, {period.replace('o.', 'a.')} AS period "
            f"FROM all_park_members a JOIN all_park_members b ON a.credit_code = b.credit_code "
            f"AND (a.park_id <> b.park_id OR a.valid_from IS DISTINCT FROM b.valid_from) "
            f"AND coalesce(a.valid_from, {far_past}) <= coalesce(b.valid_to, {far_future}) "
            f"AND coalesce(b.valid_from, {far_past}) <= coalesce(a.valid_to, {far_future}) WHERE a._row IS NOT NULL")

        def others(store: str, row: str, sep: str) -> str:
            return (f"(SELECT string_agg(o.park_id || ' ' || o.other_period || ' (' || CASE WHEN o.other_row IS NULL "
                    f"THEN '{store}' ELSE {row} END || ')', '{sep}' ORDER BY o.park_id, o.other_period) "
                    f"FROM park_overlap o WHERE o._row = typed_{t}._row)")

        here = f"park_id || ' ' || (SELECT any_value(o.period) FROM park_overlap o WHERE o._row = typed_{t}._row)"
        self._emit(t, "park_membership_overlap", "valid_from", "_row IN (SELECT _row FROM park_overlap)", "credit_code",
                   reason=f"{here} || ' ↔ ' || " + others("in the store", "'row ' || o.other_row", "; "),
                   reason_zh=f"{here} || ' ↔ ' || " + others("库中已有", "'第 ' || o.other_row || ' 行'", "；"))

    def _warnings(self) -> None:
        """Stage 6: warnings across the batch and the store."""
        if "interval_readings" in self.sources:
            self._gap_warnings()
        if "interval_readings" in self.sources or "consumption_monthly" in self.sources:
            self._mismatch_warnings()
        if "green_trades" in self.sources or "green_certificates" in self.sources:
            self._backing_warnings()
