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
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dianta.findings import Finding, finding
from dianta.glossary import TABLES, Column, TableSpec
from dianta.ingest.headers import bilingual, closest, resolve

ROW = "_row"  # row number as a spreadsheet shows it (header = 1); Parquet: 1-based record number


@dataclass(slots=True)
class SourceTable:
    """One table of a batch as read: ``data`` has the file's columns plus ``_row``; ``parquet`` is set
    instead when the table is a Parquet file (columns typed by the file). ``columns`` are the columns the
    file gives (an optional column it leaves out keeps its stored value on a re-send)."""

    table: str
    file: str
    data: pa.Table | None = None
    parquet: Path | None = None
    columns: tuple[str, ...] = ()
    #: canonical column name -> its header cell as the file wrote it (``月用电量`` for ``kwh``): findings show it
    headers: dict[str, str] = field(default_factory=dict)
    #: a large-table CSV (UTF-8) not read yet: DuckDB streams it (validate.py); ``read_csv_rows`` reads it
    #: whole, with row numbers, when a row fails
    csv: Path | None = None


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


def _unit(col: Column) -> tuple[str, str]:
    """A column's unit as the header messages name it: (English, Chinese)."""
    return (col.unit, col.unit) if col.unit else ("no unit", "无单位")


@dataclass(slots=True)
class Header:
    """A file's header resolved (headers.py): ``names`` the canonical column of each header cell, in the file's
    order; ``written`` canonical name -> the cell as written; ``problems`` the findings that refuse the file."""

    names: list[str]
    written: dict[str, str]
    problems: list[Finding]


def _check_header(cells: list[str], spec: TableSpec, file: str) -> Header:
    """Each header cell named as the glossary has it (English, Chinese, both, with the unit: headers.py); a cell
    naming no column, or several, or a column given twice, or a required column left out is a finding."""
    problems: list[Finding] = []
    written: dict[str, str] = {}
    names: list[str] = []
    expected = ", ".join(bilingual(c) for c in spec.columns)
    for cell in cells:
        found = resolve(cell, spec)
        column = found.column
        names.append(column or cell)

        def problem(code: str, column: str, cell: str = cell, **detail: object) -> None:
            problems.append(finding(code, table=spec.name, row=1, column=column, value=cell, file=file,
                                    **detail))  # type: ignore[arg-type]

        if column is None and len(found.named) == 1:
            col = spec.column(found.named[0])
            unit = _unit(col)
            problem("header_words", col.name, header=cell, column_zh=col.zh, stray=", ".join(found.stray),
                    unit=unit[0], unit_zh=unit[1])
        elif column is None and found.named:
            problem("header_two_columns", cell, named=", ".join(bilingual(spec.column(c)) for c in found.named))
        elif column is None:
            near = closest(cell, spec)
            problem("extra_column", cell, expected=expected,
                    suggest=f"did you mean {' or '.join(near)}? " if near else "",
                    suggest_zh=f"是否应为{'或'.join(near)}？" if near else "")
        elif column in written and written[column] == cell:
            problem("duplicate_column", column)
        elif column in written:
            problem("column_named_twice", column, header=cell, first=written[column], second=cell,
                    column_zh=spec.column(column).zh)
        else:
            written[column] = cell
    for col in spec.columns:
        if col.required and col.name not in written and not any(f.column == col.name for f in problems):
            problems.append(finding("missing_column", table=spec.name, row=1, column=col.name, file=file,
                                    column_zh=col.zh))
    return Header(names, written, problems)


def _complete(table: pa.Table, spec: TableSpec) -> pa.Table:
    """Add the optional columns the file leaves out, as nulls."""
    for col in spec.columns:
        if col.name not in table.column_names:
            table = table.append_column(col.name, pa.nulls(table.num_rows, pa.string()))
    return table


#: the CSV reader's block: the longest row it reads [bytes]
CSV_BLOCK_BYTES = 16 * 2**20


#: tables whose UTF-8 CSV files DuckDB streams instead of reading them whole (see ``SourceTable.csv``)
STREAMED_CSV = ("interval_readings",)


def read_csv(path: Path, spec: TableSpec) -> tuple[SourceTable | None, list[Finding]]:
    """Read one CSV table as strings; problems of the file itself come back as findings. A UTF-8 file of
    interval readings is only opened for its header here (``SourceTable.csv``)."""
    file = path.name
    encoding = _detect_encoding(path)
    if encoding is None:
        return None, [finding("encoding", table=spec.name, file=file)]
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="replace", newline="") as f:
        header = next(csv.reader(io.StringIO(f.readline())), [])
    head = _check_header([h.strip().lstrip("\ufeff") for h in header], spec, file)
    if head.problems:
        return None, head.problems
    if spec.name in STREAMED_CSV and encoding == "utf-8":
        return SourceTable(spec.name, file, csv=path, columns=tuple(head.names), headers=head.written), []
    return _read_rows(path, spec, encoding, head.names, head.written)


def read_csv_rows(source: SourceTable, spec: TableSpec) -> tuple[SourceTable | None, list[Finding]]:
    """The rows of a streamed CSV (``source.csv``), read whole as strings with their row numbers."""
    assert source.csv is not None
    return _read_rows(source.csv, spec, "utf-8", list(source.columns), source.headers)


def _read_rows(path: Path, spec: TableSpec, encoding: str, names: list[str], written: dict[str, str]
               ) -> tuple[SourceTable | None, list[Finding]]:
    file = path.name
    try:
        table, ragged = _parse_csv(path, encoding, names, numbered=False)
        if ragged:  # read again, single-threaded, for the row numbers (only a broken file pays for it)
            table, ragged = _parse_csv(path, encoding, names, numbered=True)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0]
        if "straddl" in reason:  # Arrow's words for a record longer than a read block
            reason = f"a row is longer than {CSV_BLOCK_BYTES // 2**20} MB (a cell holds far more than any column needs)"
        return None, [finding("unreadable", table=spec.name, file=file, reason=reason,
                              expected="CSV (UTF-8, comma, header row)")]
    if ragged:
        return None, [finding("ragged_row", table=spec.name, row=number, value=actual, file=file, expected=expected)
                      for number, actual, expected in ragged]
    table = _complete(table, spec)
    # every record is a spreadsheet row (blank lines too), so numbering comes before dropping blank rows
    rows = pa.array(range(2, table.num_rows + 2), pa.int64())
    table = table.append_column(ROW, rows)
    return SourceTable(spec.name, file, data=_drop_blank(table, names), columns=tuple(names), headers=written), []


def _parse_csv(path: Path, encoding: str, names: list[str], *, numbered: bool
               ) -> tuple[pa.Table, list[tuple[int | None, int, int]]]:
    """Parse the records after the header as strings; ragged records come back as (row, cells, expected).

    Row numbers are known only to a single-threaded read (``numbered``); blank lines are kept as rows of
    empty cells so that the numbering matches what a spreadsheet shows."""
    ragged: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged.append((row.number, row.actual_columns, row.expected_columns))
        return "skip"

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, skip_rows=1, column_names=names, use_threads=not numbered,
                                       block_size=CSV_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    return table, ragged


def _drop_blank(table: pa.Table, names: list[str]) -> pa.Table:
    """Leave out rows whose every cell is empty (blank lines, or rows of bare commas as Excel writes them)."""
    if not names or table.num_rows == 0:
        return table
    filled = None
    for name in names:
        cell = pc.not_equal(pc.utf8_trim_whitespace(pc.fill_null(table[name], "")), "")
        filled = cell if filled is None else pc.or_(filled, cell)
    return table.filter(filled)


def _cell_text(value: object, kind: str = "text") -> str:
    """A workbook cell as the text a CSV would hold; date cells follow the column's type (``kind``): Excel
    turns a typed ``2023-01`` into the date 2023-01-01, and stores a reading at midnight as a bare date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if kind in ("ts_quarter_hour", "ts_hour"):
            return value.isoformat(sep="T")
        if kind == "month" and (value.day, value.hour, value.minute, value.second) == (1, 0, 0, 0):
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat(sep="T") if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0) \
            else value.date().isoformat()
    if isinstance(value, dt.date):
        if kind == "month" and value.day == 1:
            return f"{value.year:04d}-{value.month:02d}"
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


#: an .xlsx is a zip file: what it may unpack to [bytes], and how much larger than packed (a zip bomb is far
#: more; ordinary workbooks unpack 5–20 times)
MAX_XLSX_UNCOMPRESSED = 1024 * 2**20
MAX_XLSX_RATIO = 200


def _zip_bomb(path: Path) -> str | None:
    """Why the workbook must not be unpacked (None: it may be), judged from its zip directory alone."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
            packed = sum(i.compress_size for i in z.infolist()) or 1
    except (zipfile.BadZipFile, OSError) as exc:
        return f"not a zip-based workbook ({exc})"
    if unpacked > MAX_XLSX_UNCOMPRESSED:
        return f"it unpacks to {unpacked / 2**20:,.0f} MB"
    if unpacked > 10 * 2**20 and unpacked / packed > MAX_XLSX_RATIO:
        return f"it unpacks {unpacked / packed:,.0f} times larger than its size (a zip bomb?)"
    return None


def read_xlsx(path: Path) -> tuple[list[SourceTable], list[Finding]]:
    """Read every sheet of a workbook; the sheet names are the table names."""
    import openpyxl  # imported here: only batches with a workbook pay for it

    file = path.name
    bomb = _zip_bomb(path)
    if bomb:
        return [], [finding("unreadable", table="*", file=file, reason=bomb,
                            expected="an .xlsx workbook of at most "
                                     f"{MAX_XLSX_UNCOMPRESSED // 2**20} MB unpacked (send large tables as CSV or "
                                     "Parquet files)")]
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
            if spec is None and sheet.title.strip().upper().startswith("README"):
                # the notes of the data requirement template (reports/requirements.py): said, not read
                problems.append(finding("readme_sheet", table=sheet.title, file=file, value=sheet.title,
                                        severity="warning"))
                continue
            if spec is None:
                problems.append(finding("unknown_file", table=sheet.title, file=file, value=sheet.title,
                                        expected=", ".join(TABLES)))
                continue
            rows = sheet.iter_rows(values_only=True)
            header = [_cell_text(v).strip() for v in next(rows, ())]
            while header and header[-1] == "":
                header.pop()
            where = f"{file}!{sheet.title}"
            head = _check_header(header, spec, where)
            if head.problems:
                problems.extend(head.problems)
                continue
            header = head.names
            columns: list[list[str]] = [[] for _ in header]
            numbers: list[int] = []
            kinds = [spec.column(h).type for h in header]
            for number, values in enumerate(rows, start=2):
                cells = [_cell_text(v, kinds[i] if i < len(kinds) else "text") for i, v in enumerate(values)]
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
            tables.append(SourceTable(spec.name, where, data=table, columns=tuple(header), headers=head.written))
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
    head = _check_header(list(schema.names), spec, path.name)
    if head.problems:
        return None, head.problems
    return SourceTable(spec.name, path.name, parquet=path, columns=tuple(head.names), headers=head.written), []


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
