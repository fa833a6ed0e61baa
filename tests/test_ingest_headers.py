"""Files as users have them (issue 17): headers written as the glossary's Chinese name (含义), as ``English (中文)``
(the platform's xlsx exports), as ``中文 (english)`` (the template), with the unit in brackets, full-width brackets,
stray blanks: each ingests as the English header does, in CSV (UTF-8 and GBK), xlsx and Parquet. A column named
twice (in two languages), a header naming two columns, a wrong unit and an unknown header are clear findings; a
finding on a column names it canonically and shows the header as written, in quarantine too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import credit_code, write_table
from hypothesis import given
from hypothesis import strategies as st

from dianta.errors import InputRefused
from dianta.findings import Finding
from dianta.glossary import TABLE_ORDER, TABLES
from dianta.ingest.apply import IngestResult, ingest_batch
from dianta.ingest.headers import name_key, resolve
from dianta.ingest.quarantine import list_quarantine
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reports.requirements import header_cell, requirements_xlsx

A = credit_code(1)
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {name: {c.name: c.zh for c in spec.columns} for name, spec in TABLES.items()}
ENTERPRISE = (A, "青海甲铝业有限公司", "C3216", "632801")
MONTHS = [("M1", "2023-01", "1200.5"), ("M1", "2023-02", "980")]
READINGS = [("M1", "2023-01-01T00:00", "1.5"), ("M1", "2023-01-01T00:15", "2.25")]


def refuse(store: Store, folder: Path, **kwargs: bool) -> list[Finding]:
    with pytest.raises(InputRefused) as info:
        ingest_batch(store, folder, **kwargs)
    for f in info.value.findings:
        assert f.message_en.strip() and CJK.search(f.message_zh), f
    return info.value.findings


def errors(findings: list[Finding]) -> set[tuple[str, str | None, str | None, str | None, int | None, str | None]]:
    """(code, file, column, header, row, value) of every error."""
    return {(f.code, f.file, f.column, f.header, f.row, f.value) for f in findings if f.severity == "error"}


def zh(table: str, *columns: str) -> list[str]:
    return [ZH[table][c] for c in columns]


def ledger(store: Store, table: str) -> list[tuple[object, ...]]:
    t = schema.data_tables[table]
    with store.engine.connect() as con:
        return sorted(tuple(r) for r in con.execute(sa.select(*(t.c[c] for c in TABLES[table].column_names))))


def lake(store: Store, table: str = "interval_readings") -> list[tuple[object, ...]]:
    files = [str(p) for p in store.active_files(table)]
    with duckdb.connect() as con:
        return con.sql("SELECT meter_id, ts, kwh FROM read_parquet($f) ORDER BY ALL", params={"f": files}).fetchall()


def english_batch(folder: Path) -> Path:
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"], [ENTERPRISE])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", A)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], MONTHS)
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"], READINGS)
    return folder


# -- the forms of a header -------------------------------------------------------------------------------------
def test_names_are_unambiguous_within_every_table():
    """The resolution rests on it: no two columns of a table share a name key, in either language."""
    for spec in TABLES.values():
        keys = [name_key(n) for c in spec.columns for n in (c.name, c.zh)]
        assert len(keys) == len(set(keys)), spec.name


def _forms(spec_name: str, column: str) -> list[str]:
    col = TABLES[spec_name].column(column)
    forms = [col.name, col.zh, f"{col.name} ({col.zh})", f"{col.zh} ({col.name})", f"{col.zh}（{col.name}）",
             f"  {col.name.upper()} ", col.zh.replace(" ", ""), header_cell(col), f"{col.name}【{col.zh}】"]
    if col.unit:
        forms += [f"{col.zh} ({col.unit})", f"{col.zh}（{col.unit}）", f"{col.name} ({col.zh}) [{col.unit}]",
                  f"{col.zh}({col.name})（{col.unit.upper()}）"]
    return forms


def test_every_form_of_every_header_names_its_column():
    for name, spec in TABLES.items():
        for col in spec.columns:
            for form in _forms(name, col.name):
                assert resolve(form, spec).column == col.name, (name, form)


_FULL_WIDTH = str.maketrans({"(": "（", ")": "）", **{chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)
                                                        if chr(c) not in "()"}})


@given(st.sampled_from([(t, c.name) for t in TABLE_ORDER for c in TABLES[t].columns]), st.data())
def test_blanks_case_and_full_width_never_change_the_column(pick: tuple[str, str], data: st.DataObject):
    """Any form, with blanks (ASCII, ideographic, tab) around and inside it, in upper or lower case, written with
    full-width characters (as a Chinese input method types them), names the same column."""
    table, column = pick
    form = data.draw(st.sampled_from(_forms(table, column)))
    blanks = st.sampled_from(["", " ", "\u3000", "\t", "  "])
    text = "".join(ch + data.draw(blanks) for ch in form)
    text = data.draw(st.sampled_from([text, text.upper(), text.lower(), text.translate(_FULL_WIDTH)]))
    assert resolve(data.draw(blanks) + text, TABLES[table]).column == column, text


@pytest.mark.parametrize(("header", "named", "stray"), [
    ("月用电量 (MWh)", ("kwh",), ("MWh",)),  # a wrong unit is never read as kWh
    ("用电量 (kwh)", ("kwh",), ("用电量",)),
    ("kwh (月份)", ("month", "kwh"), ()),
    ("月电量", (), ()),
    ("(kwh)", (), ()),
])
def test_headers_that_name_no_single_column(header: str, named: tuple[str, ...], stray: tuple[str, ...]):
    found = resolve(header, TABLES["consumption_monthly"])
    assert (found.column, found.named, found.stray) == (None, named, stray)


# -- batches with Chinese headers ------------------------------------------------------------------------------
def test_chinese_csv_headers_ingest_as_the_english_ones(store: Store, tmp_path: Path):
    zh_folder = tmp_path / "zh"
    write_table(zh_folder, "enterprises", zh("enterprises", "credit_code", "name", "industry_code", "region_code"),
                [ENTERPRISE], encoding="gbk", newline="\r\n")  # as Excel on Chinese Windows saves "CSV"
    write_table(zh_folder, "meters", ["户号 (meter_id)", "credit_code (统一社会信用代码)"], [("M1", A)],
                encoding="utf-8-sig")
    write_table(zh_folder, "consumption_monthly", ["户号", "月份（YYYY-MM）", " 月用电量（kWh） "], MONTHS)
    write_table(zh_folder, "interval_readings", ["户号", "时间", "15分钟电量 (kWh)"], READINGS)  # streamed by DuckDB
    result = ingest_batch(store, zh_folder)
    # the readings are not the month's total: the one warning, on the column as written
    assert result.status == "applied"
    assert [(f.code, f.column, f.header) for f in result.findings] == [("monthly_mismatch", "kwh", "15分钟电量 (kWh)")]
    assert {t: c.new for t, c in result.counts.items()} == {
        "enterprises": 1, "meters": 1, "consumption_monthly": 2, "interval_readings": 2}
    assert ledger(store, "enterprises") == [(*ENTERPRISE, None, None)]
    assert ledger(store, "consumption_monthly") == [("M1", "2023-01", 1200.5, None, None, None),
                                                    ("M1", "2023-02", 980.0, None, None, None)]
    assert lake(store) == [("M1", dt.datetime(2023, 1, 1, 0, 0), 1.5), ("M1", dt.datetime(2023, 1, 1, 0, 15), 2.25)]
    # the same rows with English headers: nothing new, nothing corrected
    again = ingest_batch(store, english_batch(tmp_path / "en"))
    assert again.status == "unchanged"
    assert all((c.new, c.corrected) == (0, 0) for c in again.counts.values())


def test_mixed_languages_are_accepted_column_by_column(store: Store, tmp_path: Path):
    """A header mixing the languages (an English column added to a Chinese file) is read: each cell names one
    column. A leftover optional column keeps its stored value, whatever language the others are in."""
    write_table(tmp_path, "enterprises", ["credit_code", "企业名称", "industry_code (行业代码)",
                                          "行政区划代码（region_code）", "开户日期"], [(*ENTERPRISE, "2022-01-01")])
    write_table(tmp_path, "meters", ["meter_id", "统一社会信用代码"], [("M1", A)])
    assert ingest_batch(store, tmp_path).status == "applied"
    assert ledger(store, "enterprises") == [(*ENTERPRISE, "2022-01-01", None)]


def test_parquet_with_chinese_column_names(store: Store, tmp_path: Path):
    english_batch(tmp_path)
    (tmp_path / "interval_readings.csv").unlink()
    pq.write_table(pa.table({"户号": ["M1", "M1"], "时间 (China Standard Time)": [dt.datetime(2023, 1, 1, 0, 0),
                                                                                   dt.datetime(2023, 1, 1, 0, 15)],
                             "15 分钟电量（kWh）": [1.5, 2.25]}), tmp_path / "interval_readings.parquet")
    assert ingest_batch(store, tmp_path).status == "applied"
    assert lake(store) == [("M1", dt.datetime(2023, 1, 1, 0, 0), 1.5), ("M1", dt.datetime(2023, 1, 1, 0, 15), 2.25)]


# -- the template, filled in -----------------------------------------------------------------------------------
FILLED = {"enterprises": [ENTERPRISE], "meters": [("M1", A)], "consumption_monthly": MONTHS,
          "interval_readings": READINGS}


def _fill_template(folder: Path, header: str) -> None:
    """The template as downloaded, its example rows replaced by ours, the other sheets deleted; ``header``:
    ``template`` keeps the template's header (中文 (english)), ``zh`` writes the Chinese names alone, ``export``
    writes ``english (中文)`` as the platform's xlsx exports do."""
    book = openpyxl.load_workbook(io.BytesIO(requirements_xlsx()))
    for sheet in list(book.worksheets):
        if sheet.title not in FILLED:
            book.remove(sheet)
            continue
        spec = TABLES[sheet.title]
        sheet.delete_rows(2)  # the example row
        if header != "template":
            for cell, col in zip(sheet[1], spec.columns, strict=True):
                cell.value = col.zh if header == "zh" else f"{col.name} ({col.zh})"
        for row in FILLED[sheet.title]:
            sheet.append(list(row))
    folder.mkdir()
    book.save(folder / "batch.xlsx")


@pytest.mark.parametrize("header", ["template", "zh", "export"])
def test_the_filled_template_ingests_unchanged(store: Store, tmp_path: Path, header: str):
    """Round trip: the template written, filled in with openpyxl (the optional columns left empty), ingested."""
    _fill_template(tmp_path / "b", header)
    result = ingest_batch(store, tmp_path / "b")
    assert result.status == "applied" and [f.code for f in result.findings] == ["monthly_mismatch"]
    assert {t: c.new for t, c in result.counts.items()} == {t: len(rows) for t, rows in FILLED.items()}
    assert ledger(store, "enterprises") == [(*ENTERPRISE, None, None)]
    assert ledger(store, "meters") == [("M1", A, None, None)]
    assert [r[:3] for r in ledger(store, "consumption_monthly")] == [("M1", "2023-01", 1200.5), ("M1", "2023-02", 980)]
    assert lake(store) == [("M1", dt.datetime(2023, 1, 1, 0, 0), 1.5), ("M1", dt.datetime(2023, 1, 1, 0, 15), 2.25)]
    # the same rows as CSV files with English headers change nothing
    assert ingest_batch(store, english_batch(tmp_path / "en")).status == "unchanged"


# -- what is refused -------------------------------------------------------------------------------------------
def test_a_column_named_in_both_languages_is_refused(store: Store, tmp_path: Path):
    english_batch(tmp_path)
    write_table(tmp_path, "enterprises", ["credit_code", "name", "industry_code", "region_code", "企业名称"],
                [(*ENTERPRISE, "甲")])
    write_table(tmp_path, "consumption_monthly", ["户号", "月份", "kwh", "月用电量 (kWh)"], [("M1", "2023-01", 1, 1)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("column_named_twice", "enterprises.csv", "name", "企业名称", 1, "企业名称"),
        ("column_named_twice", "consumption_monthly.csv", "kwh", "月用电量 (kWh)", 1, "月用电量 (kWh)")}
    twice = next(f for f in findings if f.table == "enterprises")
    assert "'name' and '企业名称' both name column 'name' (企业名称)" in twice.message_en
    assert "delete one of the two columns" in twice.message_en and "请删除其中一列" in twice.message_zh


def test_a_column_named_twice_in_a_workbook_names_the_sheet(store: Store, tmp_path: Path):
    _fill_template(tmp_path / "b", "template")
    book = openpyxl.load_workbook(tmp_path / "b" / "batch.xlsx")
    book["meters"].cell(row=1, column=3).value = "meter_id"  # beside 户号 (meter_id)
    book.save(tmp_path / "b" / "batch.xlsx")
    (twice,) = refuse(store, tmp_path / "b")
    # the header is the canonical name itself: no second name to show
    assert errors([twice]) == {("column_named_twice", "batch.xlsx!meters", "meter_id", None, 1, "meter_id")}
    assert "'户号 (meter_id)' and 'meter_id' both name column 'meter_id' (户号)" in twice.message_en
    assert "“户号 (meter_id)”和“meter_id”指同一列“meter_id”（户号）" in twice.message_zh


def test_unknown_wrong_unit_and_ambiguous_headers(store: Store, tmp_path: Path):
    english_batch(tmp_path)
    write_table(tmp_path, "consumption_monthly", ["户号", "月份", "月电量", "峰时电量 (MWh)", "kwh_flat (谷时电量)"],
                [("M1", "2023-01", 1, 1, 1)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("extra_column", "consumption_monthly.csv", "月电量", None, 1, "月电量"),
        ("header_words", "consumption_monthly.csv", "kwh_peak", "峰时电量 (MWh)", 1, "峰时电量 (MWh)"),
        ("header_two_columns", "consumption_monthly.csv", "kwh_flat (谷时电量)", None, 1, "kwh_flat (谷时电量)"),
        ("missing_column", "consumption_monthly.csv", "kwh", None, 1, None)}
    by_code = {f.code: f for f in findings}
    unknown = by_code["extra_column"]
    # the closest names in both languages, then every column of the table in both
    assert "did you mean kwh（月用电量）" in unknown.message_en and "是否应为kwh（月用电量）" in unknown.message_zh
    assert "kwh_valley（谷时电量）" in unknown.message_en and "meter_id（户号）" in unknown.message_zh
    unit = by_code["header_words"]
    assert "'MWh' is neither its name nor its unit (kWh)" in unit.message_en and "数值以 kWh 填写" in unit.message_zh
    assert "kwh_flat（平时电量）, kwh_valley（谷时电量）" in by_code["header_two_columns"].message_en
    missing = by_code["missing_column"]
    assert "'kwh' (月用电量)" in missing.message_en and "写作“月用电量”或“kwh”" in missing.message_zh


# -- findings and quarantine show the header as written ----------------------------------------------------------
def test_findings_and_quarantine_show_the_header_as_written(store: Store, tmp_path: Path):
    english_batch(tmp_path)
    write_table(tmp_path, "consumption_monthly", ["户号", "月份", "月用电量（kWh）"],
                [("M1", "2023-01", "1200.5"), ("M1", "2023-02", "九百")])
    (tmp_path / "interval_readings.csv").unlink()
    pq.write_table(pa.table({"户号": ["M1", "M1"], "时间": [dt.datetime(2023, 1, 1), dt.datetime(2023, 1, 1, 0, 10)],
                             "15 分钟电量": [1.5, 2.0]}), tmp_path / "interval_readings.parquet")
    refused = refuse(store, tmp_path)
    assert errors(refused) == {
        ("not_a_number", "consumption_monthly.csv", "kwh", "月用电量（kWh）", 3, "九百"),
        ("not_quarter_hour", "interval_readings.parquet", "ts", "时间", 2, "2023-01-01 00:10:00")}
    result: IngestResult = ingest_batch(store, tmp_path, partial=True)
    assert result.status == "partial" and result.counts["consumption_monthly"].quarantined == 1
    entries = {e.table: e for e in list_quarantine(store, batch_id=result.batch_id)}
    assert [(r["code"], r["column"], r["header"]) for r in entries["consumption_monthly"].reasons  # type: ignore[index]
            ] == [("not_a_number", "kwh", "月用电量（kWh）")]
    assert [(r["code"], r["column"], r["header"]) for r in entries["interval_readings"].reasons  # type: ignore[index]
            ] == [("not_quarter_hour", "ts", "时间")]
    kept = [f for f in result.findings if f.code == "not_a_number"]
    assert [(f.column, f.header) for f in kept] == [("kwh", "月用电量（kWh）")]


def test_a_finding_on_an_english_header_has_no_second_name(store: Store, tmp_path: Path):
    english_batch(tmp_path)
    write_table(tmp_path, "consumption_monthly", ["meter_id", "month", " kwh"], [("M1", "2023-01", "x")])
    assert errors(refuse(store, tmp_path)) == {
        ("not_a_number", "consumption_monthly.csv", "kwh", None, 2, "x")}


def test_export_header_form_is_what_the_exports_write():
    """The account exports write ``field (中文)`` (accounts/export.py); ingest reads that form for its own tables."""
    from dianta.accounts.export import render

    book = openpyxl.load_workbook(io.BytesIO(render([], "xlsx", (("kwh", "月用电量"),))))
    (cell,) = next(book.worksheets[0].iter_rows(values_only=True))
    assert resolve(str(cell), TABLES["consumption_monthly"]).column == "kwh"


def test_csv_reader_keeps_quoted_headers(store: Store, tmp_path: Path):
    """A header cell with a comma inside quotes, as Excel writes "月用电量 (kWh, 千瓦时)": a stray word, refused."""
    english_batch(tmp_path)
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["户号", "月份", "月用电量 (kWh, 千瓦时)"])
    w.writerow(["M1", "2023-01", "1"])
    (tmp_path / "consumption_monthly.csv").write_text(text.getvalue(), encoding="utf-8")
    assert {f.code for f in refuse(store, tmp_path)} == {"header_words"}
