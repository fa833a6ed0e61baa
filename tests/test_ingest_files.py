"""Batch folders as operators really send them (ingest/readers.py): encodings, line endings, number and
date spellings, one xlsx workbook, Parquet interval files, and every way a file itself can be wrong."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import ENTERPRISES, METERS, MONTHLY, READINGS, credit_code, write_table

from dianta.errors import InputRefused, UsageError
from dianta.findings import Finding
from dianta.ingest.apply import IngestResult, ingest_batch
from dianta.ingest.quarantine import export_quarantine
from dianta.ledger import schema
from dianta.ledger.store import Store

A, B = credit_code(1), credit_code(2)
CJK = re.compile(r"[\u4e00-\u9fff]")
NAME_A, NAME_B = "青海甲铝业有限公司", "西宁乙建材（集团）有限公司"


def refuse(store: Store, folder: Path) -> list[Finding]:
    with pytest.raises(InputRefused) as info:
        ingest_batch(store, folder)
    for f in info.value.findings:
        assert f.message_en.strip() and CJK.search(f.message_zh), f
    return info.value.findings


def apply(store: Store, folder: Path) -> IngestResult:
    result = ingest_batch(store, folder)
    assert result.status == "applied", result
    return result


def errors(findings: list[Finding]) -> set[tuple[str, str, int | None, str | None, str | None]]:
    return {(f.code, f.table, f.row, f.column, f.value) for f in findings if f.severity == "error"}


def ledger(store: Store) -> dict[str, list[tuple]]:
    """Every stored data row without its batch id, by table."""
    out = {}
    with store.engine.connect() as con:
        for name, t in schema.data_tables.items():
            cols = [c for c in t.c if c.name != "batch_id"]
            out[name] = sorted(tuple(r) for r in con.execute(sa.select(*cols)).all())
    return out


def lake(store: Store, table: str = "interval_readings") -> list[tuple]:
    files = [str(p) for p in store.active_files(table)]
    if not files:
        return []
    con = duckdb.connect()
    try:
        return con.sql("SELECT * EXCLUDE (month) FROM read_parquet($files) ORDER BY ALL", params={"files": files}
                       ).fetchall()
    finally:
        con.close()


def enterprises_and_meters(folder: Path, **kwargs: object) -> None:
    write_table(folder, "enterprises", ENTERPRISES, [(A, NAME_A, "C3216", "632801", "2022-01-01", None),
                                                     (B, NAME_B, "C3011", "630100", None, None)], **kwargs)  # type: ignore[arg-type]
    write_table(folder, "meters", METERS, [("M1", A, None, "2023-06-30"), ("M1", B, "2023-07-01", None)],
                **kwargs)  # type: ignore[arg-type]


# -- encodings and line endings -------------------------------------------------------------------------------
@pytest.mark.parametrize(("encoding", "newline"), [("utf-8", "\n"), ("utf-8-sig", "\n"), ("utf-8-sig", "\r\n"),
                                                   ("gbk", "\r\n"), ("gb18030", "\n")])
def test_encodings_and_line_endings_give_the_same_rows(store: Store, tmp_path: Path, encoding: str, newline: str):
    enterprises_and_meters(tmp_path, encoding=encoding, newline=newline)
    write_table(tmp_path, "consumption_monthly", MONTHLY, [("M1", "2023-01", "1,234.5"), ("M1", "2023-12", 7)],
                encoding=encoding, newline=newline)
    raw = (tmp_path / "enterprises.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert (b"\r\n" in raw) == (newline == "\r\n")
    apply(store, tmp_path)
    stored = ledger(store)
    assert [(r[1], r[2], r[5], r[6]) for r in stored["enterprises"]] == [(A, NAME_A, "2022-01-01", None),
                                                                         (B, NAME_B, None, None)]
    assert sorted(r[1:] for r in stored["meters"]) == [("M1", A, None, "2023-06-30"), ("M1", B, "2023-07-01", None)]
    assert [r[1:4] for r in stored["consumption_monthly"]] == [("M1", "2023-01", 1234.5), ("M1", "2023-12", 7.0)]


def test_gbk_file_written_by_excel_on_chinese_windows(store: Store, tmp_path: Path):
    text = ("credit_code,name,industry_code,region_code\r\n"
            f"{A},{NAME_A},C3216,632801\r\n"
            f'{B},"{NAME_B}，西宁",C3011,630100\r\n')
    (tmp_path / "enterprises.csv").write_bytes(text.encode("gbk"))
    with pytest.raises(UnicodeDecodeError):
        (tmp_path / "enterprises.csv").read_bytes().decode("utf-8")
    apply(store, tmp_path)
    assert [r[2] for r in ledger(store)["enterprises"]] == [NAME_A, NAME_B + "，西宁"]


@pytest.mark.parametrize("payload", [
    "credit_code,name,industry_code,region_code\n".encode("utf-16"),
    b"\x80\xff\xfe\x81" * 64,
], ids=["utf-16", "binary"])
def test_neither_utf8_nor_gbk_is_refused(store: Store, tmp_path: Path, payload: bytes):
    (tmp_path / "enterprises.csv").write_bytes(payload)
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("encoding", "enterprises", None, None, None)}
    assert findings[0].file == "enterprises.csv" and "UTF-8" in findings[0].message_zh


# -- spellings of numbers, dates and timestamps ---------------------------------------------------------------
def test_thousands_separators_must_group_by_three(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    write_table(tmp_path, "consumption_monthly", ["meter_id", "month", "kwh", "kwh_peak"], [
        ("M1", "2023-01", "1,234.5", "12,345,678"), ("M1", "2023-02", "1,23", None), ("M1", "2023-03", "12,34.5", None),
        ("M1", "2023-04", "1,2345", None), ("M1", "2023-05", "1.234,5", None), ("M1", "2023-06", " 2,000 ", "-1,000")])
    assert errors(refuse(store, tmp_path)) == {
        ("not_a_number", "consumption_monthly", 3, "kwh", "1,23"),
        ("not_a_number", "consumption_monthly", 4, "kwh", "12,34.5"),
        ("not_a_number", "consumption_monthly", 5, "kwh", "1,2345"),
        ("not_a_number", "consumption_monthly", 6, "kwh", "1.234,5"),
        ("negative", "consumption_monthly", 7, "kwh_peak", "-1,000"),
    }
    write_table(tmp_path, "consumption_monthly", ["meter_id", "month", "kwh", "kwh_peak"], [
        ("M1", "2023-01", "1,234.5", "12,345,678"), ("M1", "2023-06", " 2,000 ", None)])
    apply(store, tmp_path)
    assert [r[1:5] for r in ledger(store)["consumption_monthly"]] == [("M1", "2023-01", 1234.5, 12345678.0),
                                                                       ("M1", "2023-06", 2000.0, None)]


def test_dates_with_slashes_and_dots(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, NAME_A, "C3216", "632801", "2023/1/5", "2023.12.31"),
                                                       (B, NAME_B, "C3011", "630100", "2023-1-5", None)])
    write_table(tmp_path, "meters", METERS, [("M1", A, "2023/1/5", None)])
    write_table(tmp_path, "consumption_monthly", MONTHLY, [("M1", "2023/2", 1), ("M1", "2023-3", 1)])
    apply(store, tmp_path)
    stored = ledger(store)
    assert [(r[1], r[5], r[6]) for r in stored["enterprises"]] == [(A, "2023-01-05", "2023-12-31"),
                                                                   (B, "2023-01-05", None)]
    assert [r[1:] for r in stored["meters"]] == [("M1", A, "2023-01-05", None)]
    assert [r[2] for r in stored["consumption_monthly"]] == ["2023-02", "2023-03"]


def test_timestamps_with_offsets_become_china_standard_time(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    write_table(tmp_path, "interval_readings", READINGS, [
        ("M1", "2023-01-01T00:00:00+08:00", 1),
        ("M1", "2022-12-31T16:15:00Z", 2),
        ("M1", "2022-12-31T16:30:00+00:00", 3),
        ("M1", "2023-01-01 00:45", 4),
        ("M1", "2023-01-01T01:00:00.000+0800", 5),
        ("M1", "2022-12-31T12:15:00-05:00", 6),
        ("M1", "2023/1/1 1:30", 7),
        ("M1", "2022-12-31T23:15:00+05:30", 8),
    ])
    result = apply(store, tmp_path)
    assert result.findings == []  # 00:00 to 01:45 complete: no gap
    start = dt.datetime(2023, 1, 1)
    assert lake(store) == [("M1", start + dt.timedelta(minutes=15 * i), float(i + 1)) for i in range(8)]


# -- one workbook with a sheet per table ----------------------------------------------------------------------
def _csv_batch(folder: Path) -> Path:
    enterprises_and_meters(folder)
    write_table(folder, "consumption_monthly", MONTHLY, [("M1", "2023-01", "1234.5"), ("M1", "2023-07", "12,000")])
    write_table(folder, "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 1.5), ("M1", "2023-01-01T00:15", 2),
                                                        ("M1", "2023-07-01T00:00", 3)])
    write_table(folder, "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh", "technology",
                                               "retired_on", "bundled"],
                [("GEC1", A, "2023-05", 1, "wind", "2023-12-01", "true")])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(A, 2023, 1000)])
    return folder


def _xlsx_batch(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    sheets: dict[str, tuple[list[str], list[list[object]]]] = {
        "enterprises": (ENTERPRISES[:5], [[A, NAME_A, "C3216", 632801, dt.date(2022, 1, 1)],
                                          [B, NAME_B, "C3011", 630100, None]]),
        "meters": (METERS, [["M1", A, None, dt.datetime(2023, 6, 30)], ["M1", B, dt.date(2023, 7, 1), None]]),
        # Excel turns a typed 2023-01 into the date 2023-01-01
        "consumption_monthly": (MONTHLY, [["M1", dt.datetime(2023, 1, 1), 1234.5], ["M1", "2023-07", 12000]]),
        # a reading at midnight is a datetime cell that looks like a bare date
        "interval_readings": (READINGS, [["M1", dt.datetime(2023, 1, 1, 0, 0), 1.5],
                                         ["M1", dt.datetime(2023, 1, 1, 0, 15), 2.0],
                                         ["M1", dt.datetime(2023, 7, 1), 3]]),
        "green_certificates": (["certificate_id", "credit_code", "vintage_month", "mwh", "technology", "retired_on",
                                "bundled"],
                               [["GEC1", A, dt.date(2023, 5, 1), 1.0, "wind", dt.date(2023, 12, 1), True]]),
        "economics": (["credit_code", "year", "value_added_10k_cny"], [[A, 2023.0, 1000]]),
    }
    first = True
    for name, (header, data) in sheets.items():
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = name
        sheet.append(header)
        for row in data:
            sheet.append(row)
        sheet.append([None] * len(header))  # a formatted but empty row at the end
    book.save(folder / "碳测算数据需求表.xlsx")
    return folder


def test_workbook_gives_the_same_stored_values_as_csv(tmp_path: Path):
    from_csv, from_xlsx = Store(tmp_path / "s1"), Store(tmp_path / "s2")
    a = apply(from_csv, _csv_batch(tmp_path / "csv"))
    b = apply(from_xlsx, _xlsx_batch(tmp_path / "xlsx"))
    assert {t: (c.new, c.quarantined) for t, c in a.counts.items()} == {
        t: (c.new, c.quarantined) for t, c in b.counts.items()}
    assert ledger(from_xlsx) == ledger(from_csv)
    assert lake(from_xlsx) == lake(from_csv) == [("M1", dt.datetime(2023, 1, 1, 0, 0), 1.5),
                                                 ("M1", dt.datetime(2023, 1, 1, 0, 15), 2.0),
                                                 ("M1", dt.datetime(2023, 7, 1, 0, 0), 3.0)]
    assert ledger(from_xlsx)["green_certificates"][0][1:] == ("GEC1", A, "2023-05", 1.0, "wind", "2023-12-01", True,
                                                              None)
    # re-sending the workbook after the CSV batch changes nothing
    assert ingest_batch(from_csv, tmp_path / "xlsx").status == "unchanged"


def test_workbook_findings_name_the_sheet_and_row(store: Store, tmp_path: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "enterprises"
    sheet.append(ENTERPRISES[:4])
    sheet.append([A, NAME_A, "C3216", 632801])
    sheet.append([])  # an empty row still counts in the numbering
    sheet.append([B, NAME_B, "C99", 630100])
    sheet.append([credit_code(3), "丙", "C3216", 630100, None, None, "stray"])
    notes = book.create_sheet("说明")
    notes.append(["填表说明"])
    tmp_path.mkdir(exist_ok=True)
    book.save(tmp_path / "batch.xlsx")
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("ragged_row", "enterprises", 5, None, "7"),
                                ("unknown_file", "说明", None, None, "说明")}
    sheet.delete_rows(5)
    del book["说明"]
    book.save(tmp_path / "batch.xlsx")
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("bad_industry_code", "enterprises", 4, "industry_code", "C99")}
    assert findings[0].file == "batch.xlsx!enterprises"


def test_a_table_given_twice_is_refused(store: Store, tmp_path: Path):
    _xlsx_batch(tmp_path)
    write_table(tmp_path, "meters", METERS, [("M1", A, None, None)])
    findings = refuse(store, tmp_path)
    assert [(f.code, f.table) for f in findings] == [("two_sources", "meters")]
    assert "meters.csv" in findings[0].message_en and "碳测算数据需求表.xlsx!meters" in findings[0].message_zh


# -- Parquet interval files -----------------------------------------------------------------------------------
def _parquet(folder: Path, ts: pa.Array, kwh: list[object] | pa.Array, **columns: pa.Array) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"meter_id": pa.array(["M1"] * len(ts)), "ts": ts, "kwh": kwh, **columns}
    pq.write_table(pa.table(data), folder / "interval_readings.parquet")


def test_parquet_naive_timestamps_match_the_csv_version(tmp_path: Path):
    times = [dt.datetime(2023, 1, 1, 0, 0), dt.datetime(2023, 1, 1, 0, 15), dt.datetime(2023, 7, 1, 0, 0)]
    enterprises_and_meters(tmp_path / "pq")
    _parquet(tmp_path / "pq", pa.array(times, pa.timestamp("us")), [1.5, 2.0, 3.0])
    enterprises_and_meters(tmp_path / "csv")
    write_table(tmp_path / "csv", "interval_readings", READINGS, [("M1", t.isoformat(), k)
                                                                  for t, k in zip(times, [1.5, 2, 3], strict=True)])
    s1, s2 = Store(tmp_path / "s1"), Store(tmp_path / "s2")
    apply(s1, tmp_path / "pq")
    apply(s2, tmp_path / "csv")
    assert lake(s1) == lake(s2) == [("M1", t, k) for t, k in zip(times, [1.5, 2.0, 3.0], strict=True)]
    # the lake keeps microsecond timestamps (Spark refuses nanoseconds)
    (first, *_) = s1.active_files("interval_readings")
    assert pq.read_schema(first).field("ts").type == pa.timestamp("us")


def test_parquet_utc_timestamps_become_china_standard_time(store: Store, tmp_path: Path):
    utc = dt.UTC
    enterprises_and_meters(tmp_path)
    times = [dt.datetime(2022, 12, 31, 16, 0, tzinfo=utc), dt.datetime(2023, 6, 30, 16, 15, tzinfo=utc)]
    _parquet(tmp_path, pa.array(times, pa.timestamp("us", tz="UTC")), pa.array([1, 2], pa.int32()))
    apply(store, tmp_path)
    assert lake(store) == [("M1", dt.datetime(2023, 1, 1, 0, 0), 1.0), ("M1", dt.datetime(2023, 7, 1, 0, 15), 2.0)]


def test_parquet_nanosecond_timestamps_are_accepted(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    _parquet(tmp_path, pa.array([dt.datetime(2023, 1, 1, 0, 0), dt.datetime(2023, 1, 1, 0, 15)], pa.timestamp("ns")),
             [1.0, 2.0])
    apply(store, tmp_path)
    assert [r[1] for r in lake(store)] == [dt.datetime(2023, 1, 1, 0, 0), dt.datetime(2023, 1, 1, 0, 15)]


def test_parquet_cells_are_named_by_record_and_value(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    _parquet(tmp_path, pa.array(["2023-01-01T00:00", "x", "2023-01-01T00:20", None]), ["1", "2", "-3", "abc"])
    # a Parquet file has no header: rows are its records counted from 1
    assert errors(refuse(store, tmp_path)) == {
        ("not_a_timestamp", "interval_readings", 2, "ts", "x"),  # regression: was "required" with no value
        ("not_quarter_hour", "interval_readings", 3, "ts", "2023-01-01T00:20"),
        ("negative", "interval_readings", 3, "kwh", "-3"),
        ("required", "interval_readings", 4, "ts", ""),
        ("not_a_number", "interval_readings", 4, "kwh", "abc"),
    }
    _parquet(tmp_path, pa.array([dt.datetime(2023, 1, 1, 0, 0), dt.datetime(2023, 1, 1, 0, 5)], pa.timestamp("us")),
             [1.0, float("nan")])
    assert errors(refuse(store, tmp_path)) == {
        ("not_quarter_hour", "interval_readings", 2, "ts", "2023-01-01 00:05:00"),
        ("not_a_number", "interval_readings", 2, "kwh", "nan")}


def test_quarantined_parquet_rows_come_back_as_csv_in_china_standard_time(store: Store, tmp_path: Path):
    utc = dt.UTC
    enterprises_and_meters(tmp_path / "b")
    times = [dt.datetime(2022, 12, 31, 16, 0, tzinfo=utc), dt.datetime(2022, 12, 31, 16, 10, tzinfo=utc),
             dt.datetime(2022, 12, 31, 16, 30, tzinfo=utc)]
    _parquet(tmp_path / "b", pa.array(times, pa.timestamp("us", tz="UTC")), [1.0, 2.0, 3.0],
             meter_id=pa.array(["M1", "M1", "M9"]))
    result = ingest_batch(store, tmp_path / "b", partial=True)
    assert result.status == "partial" and result.counts["interval_readings"].quarantined == 2
    assert export_quarantine(store, result.batch_id or 0, tmp_path / "q") == {"interval_readings": 2}
    text = (tmp_path / "q" / "interval_readings.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines() == ["meter_id,ts,kwh", "M1,2023-01-01 00:10:00,2.0", "M9,2023-01-01 00:30:00,3.0"]
    (tmp_path / "q" / "interval_readings.csv").write_text(text.replace("00:10", "00:15").replace("M9", "M1"))
    assert apply(store, tmp_path / "q").counts["interval_readings"].new == 2
    assert [(r[1].strftime("%H:%M"), r[2]) for r in lake(store)] == [("00:00", 1.0), ("00:15", 2.0), ("00:30", 3.0)]


def test_parquet_columns_are_checked(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    _parquet(tmp_path, pa.array([dt.datetime(2023, 1, 1)], pa.timestamp("us")), [1.0], note=pa.array(["x"]))
    assert errors(refuse(store, tmp_path)) == {("extra_column", "interval_readings", 1, "note", "note")}
    (tmp_path / "interval_readings.parquet").write_bytes(b"PAR1 this is not parquet")
    findings = refuse(store, tmp_path)
    assert [(f.code, f.file) for f in findings] == [("unreadable", "interval_readings.parquet")]


# -- what is wrong with a file itself -------------------------------------------------------------------------
def test_unknown_file_names(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    write_table(tmp_path, "enterprise", ENTERPRISES, [])
    pq.write_table(pa.table({"meter_id": ["M1"], "month": ["2023-01"], "kwh": [1.0]}),
                   tmp_path / "consumption_monthly.parquet")
    (tmp_path / "readme.txt").write_text("not a table")  # other kinds of file are left alone
    (tmp_path / "~$batch.xlsx").write_bytes(b"lock file of an open workbook")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("unknown_file", "enterprise", None, None, "enterprise.csv"),
                                ("unknown_file", "consumption_monthly", None, None, "consumption_monthly.parquet")}
    assert "enterprises.csv" in findings[0].message_en


def test_header_problems(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ["credit_code", "name", "name", "industry_code", "region_code", "remark"],
                [(A, NAME_A, NAME_A, "C3216", "632801", "x")])
    write_table(tmp_path, "meters", ["meter_id", "valid_from"], [("M1", None)])
    write_table(tmp_path, "consumption_monthly", [" meter_id ", "month", "kwh"], [("M1", "2023-01", 1)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("duplicate_column", "enterprises", 1, "name", "name"),
        ("extra_column", "enterprises", 1, "remark", "remark"),
        ("missing_column", "meters", 1, "credit_code", None),
    }
    extra = next(f for f in findings if f.code == "extra_column")
    assert "opened_on" in extra.message_en and "remark" in extra.message_zh


def test_missing_optional_columns_are_fine(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ["region_code", "industry_code", "name", "credit_code"],
                [("632801", "C3216", NAME_A, A)])
    write_table(tmp_path, "meters", ["credit_code", "meter_id"], [(A, "M1")])
    apply(store, tmp_path)
    stored = ledger(store)
    assert stored["enterprises"] == [(f'["{A}"]', A, NAME_A, "C3216", "632801", None, None)]
    assert stored["meters"] == [('["M1", null]', "M1", A, None, None)]


def test_ragged_rows_are_numbered_as_a_spreadsheet_shows_them(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    (tmp_path / "consumption_monthly.csv").write_text(
        "meter_id,month,kwh\nM1,2023-01,5\n\nM1,2023-02,5,7\nM1,2023-03\nM1,2023-04,5\n", encoding="utf-8")
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("ragged_row", "consumption_monthly", 4, None, "4"),
                                ("ragged_row", "consumption_monthly", 5, None, "2")}
    assert "4 cells" in findings[0].message_en + findings[1].message_en and "表头有 3 个" in findings[0].message_zh


def test_blank_lines_keep_the_row_numbers(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    (tmp_path / "consumption_monthly.csv").write_text(
        "meter_id,month,kwh\r\nM1,2023-01,5\r\n\r\n,,\r\nM1,2023-02,x\r\n\r\n", encoding="utf-8")
    assert errors(refuse(store, tmp_path)) == {("not_a_number", "consumption_monthly", 5, "kwh", "x")}
    (tmp_path / "consumption_monthly.csv").write_text("meter_id,month,kwh\nM1,2023-01,5\n\n,,\nM1,2023-02,6\n\n")
    result = apply(store, tmp_path)
    assert result.counts["consumption_monthly"].new == 2


def test_header_only_and_empty_files(store: Store, tmp_path: Path):
    enterprises_and_meters(tmp_path)
    write_table(tmp_path, "consumption_monthly", MONTHLY, [])
    assert apply(store, tmp_path).counts["consumption_monthly"].new == 0
    (tmp_path / "economics.csv").write_bytes(b"")
    findings = refuse(store, tmp_path)
    assert {(f.code, f.table, f.column) for f in findings} == {("missing_column", "economics", "credit_code"),
                                                               ("missing_column", "economics", "year")}


def test_empty_folder_and_no_folder(store: Store, tmp_path: Path):
    (tmp_path / "empty").mkdir()
    findings = refuse(store, tmp_path / "empty")
    assert [(f.code, f.severity) for f in findings] == [("no_tables", "error")]
    with pytest.raises(UsageError, match="not a folder"):
        ingest_batch(store, tmp_path / "nowhere")
    (tmp_path / "file.csv").write_text("x")
    with pytest.raises(UsageError):
        ingest_batch(store, tmp_path / "file.csv")
    with store.engine.connect() as con:
        assert con.execute(sa.select(sa.func.count()).select_from(schema.batches)).scalar() == 0


def test_a_zip_bomb_workbook_is_refused_without_unpacking_it(store: Store, tmp_path: Path):
    """300 MB of zeros packed into 0.3 MB: refused from the zip directory alone (openpyxl never unpacks it)."""
    import resource
    import zipfile

    tmp_path.mkdir(exist_ok=True)
    with zipfile.ZipFile(tmp_path / "batch.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (300 * 2**20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    findings = refuse(store, tmp_path)
    assert [(f.code, f.file) for f in findings] == [("unreadable", "batch.xlsx")]
    assert "zip bomb" in findings[0].message_en
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024  # KiB: nothing unpacked
