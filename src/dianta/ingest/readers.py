"""File adapters (leaves): read a batch folder's CSV, xlsx and Parquet files into Arrow.

Text files are read as strings, whatever they hold, so that the checks can name the exact cell that is
wrong; UTF-8 (with or without BOM) and GBK/GB18030 (Excel's default "CSV" on Chinese Windows) are
accepted, Windows line endings too. Parquet interval files are not loaded here: DuckDB scans them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dianta.findings import Finding, finding
from dianta.glossary import TABLES, TableSpec

ROW = "_row"  # row number as a spreadsheet shows it (header = 1); Parquet: 1-based record number


@dataclass(slots=True)
class SourceTable:
    """One table of a batch as read: ``data`` has the file's columns plus ``_row``; ``parquet`` is set
    instead when the table is a Parquet file (columns typed by the file)."""

    table: str
    file: str
    data: pa.Table | None = None
    parquet: Path | None = None


def _detect_encoding(path: Path) -> str | None:
    """'utf-8' (BOM or not), 'gb18030' (GBK from Excel), or None when the text is neither."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        return None


def _check_header(names: list[str], spec: TableSpec, file: str) -> list[Finding]:
    problems: list[Finding] = []
    expected = ", ".join(spec.column_names)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.append(finding("duplicate_column", table=spec.name, row=1, column=name, value=name, file=file))
        seen.add(name)
        if name not in spec.column_names:
            problems.append(finding("extra_column", table=spec.name, row=1, column=name, value=name, file=file,
                                    expected=expected))
    for col in spec.columns:
        if col.required and col.name not in seen:
            problems.append(finding("missing_column", table=spec.name, row=1, column=col.name, file=file))
    return problems


def _complete(table: pa.Table, spec: TableSpec) -> pa.Table:
    """Add the optional columns the file leaves out, as nulls."""
    for col in spec.columns:
        if col.name not in table.column_names:
            table = table.append_column(col.name, pa.nulls(table.num_rows, pa.string()))
    return table


def read_csv(path: Path, spec: TableSpec) -> tuple[SourceTable | None, list[Finding]]:
    """Read one CSV table as strings; problems of the file itself come back as findings."""
    file = path.name
    encoding = _detect_encoding(path)
    if encoding is None:
        return None, [finding("encoding", table=spec.name, file=file)]
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="replace", newline="") as f:
        header = next(csv.reader(io.StringIO(f.readline())), [])
    names = [h.strip().lstrip("\ufeff") for h in header]
    problems = _check_header(names, spec, file)
    if problems:
        return None, problems
    bad_rows: list[Finding] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        number = None if row.number is None else row.number
        bad_rows.append(finding("ragged_row", table=spec.name, row=number, value=row.actual_columns, file=file,
                                expected=row.expected_columns))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, skip_rows=1, column_names=names),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
        return None, [finding("unreadable", table=spec.name, file=file, reason=reason,
                              expected="CSV (UTF-8, comma, header row)")]
    if bad_rows:
        return None, bad_rows
    table = _complete(table, spec)
    rows = pa.array(range(2, table.num_rows + 2), pa.int64())
    return SourceTable(spec.name, file, data=table.append_column(ROW, rows)), []


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep="T") if (value.hour, value.minute, value.second) != (0, 0, 0) \
            else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def read_xlsx(path: Path) -> tuple[list[SourceTable], list[Finding]]:
    """Read every sheet of a workbook; the sheet names are the table names."""
    import openpyxl  # imported here: only batches with a workbook pay for it

    file = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        return [], [finding("unreadable", table="*", file=file, reason=type(exc).__name__ + ": " + str(exc)[:200],
                            expected="an .xlsx workbook (Excel 2007 or later)")]
    tables: list[SourceTable] = []
    problems: list[Finding] = []
    try:
        for sheet in book.worksheets:
            spec = TABLES.get(sheet.title.strip())
            if spec is None:
                problems.append(finding("unknown_file", table=sheet.title, file=file, value=sheet.title,
                                        expected=", ".join(TABLES)))
                continue
            rows = sheet.iter_rows(values_only=True)
            header = [_cell_text(v).strip() for v in next(rows, ())]
            while header and header[-1] == "":
                header.pop()
            where = f"{file}!{sheet.title}"
            header_problems = _check_header(header, spec, where)
            if header_problems:
                problems.extend(header_problems)
                continue
            columns: list[list[str]] = [[] for _ in header]
            numbers: list[int] = []
            for number, values in enumerate(rows, start=2):
                cells = [_cell_text(v) for v in values]
                if not any(c.strip() for c in cells):
                    continue
                extra = [c for c in cells[len(header):] if c.strip()]
                if extra:
                    problems.append(finding("ragged_row", table=spec.name, row=number, value=len(cells), file=where,
                                            expected=len(header)))
                    continue
                cells += [""] * (len(header) - len(cells))
                for i in range(len(header)):
                    columns[i].append(cells[i])
                numbers.append(number)
            table = pa.table({name: pa.array(col, pa.string()) for name, col in zip(header, columns, strict=True)})
            table = _complete(table, spec).append_column(ROW, pa.array(numbers, pa.int64()))
            tables.append(SourceTable(spec.name, where, data=table))
    finally:
        book.close()
    return tables, problems


def read_parquet_source(path: Path, spec: TableSpec) -> tuple[SourceTable | None, list[Finding]]:
    """Check a Parquet table's columns; its rows are scanned later by the engine."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        return None, [finding("unreadable", table=spec.name, file=path.name, reason=str(exc).splitlines()[0],
                              expected="Parquet")]
    problems = _check_header(list(schema.names), spec, path.name)
    if problems:
        return None, problems
    return SourceTable(spec.name, path.name, parquet=path), []


def read_batch(folder: Path) -> tuple[list[SourceTable], list[Finding]]:
    """Read every table file of a batch folder (DATA-REQUIREMENTS.md): ``<table>.csv``, one ``.xlsx``
    workbook with a sheet per table, and Parquet for the interval tables."""
    found: dict[str, SourceTable] = {}
    problems: list[Finding] = []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))
    for path in files:
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".xlsx", ".parquet"):
            continue
        if suffix == ".xlsx":
            tables, more = read_xlsx(path)
            problems.extend(more)
        else:
            spec = TABLES.get(path.stem)
            if spec is None or (suffix == ".parquet" and not spec.lake):
                allowed = ", ".join(f"{t}.csv" for t in TABLES) + "; Parquet for " + ", ".join(
                    t for t, s in TABLES.items() if s.lake)
                problems.append(finding("unknown_file", table=path.stem, file=path.name, value=path.name,
                                        expected=allowed))
                continue
            reader = read_parquet_source if suffix == ".parquet" else read_csv
            table, more = reader(path, spec)
            problems.extend(more)
            tables = [table] if table is not None else []
        for t in tables:
            if t.table in found:
                problems.append(finding("two_sources", table=t.table, file=t.file,
                                        value=f"{found[t.table].file}, {t.file}"))
            found[t.table] = t
    if not found and not problems:
        problems.append(finding("no_tables", table="*", file=str(folder)))
    return list(found.values()), problems
