"""The data requirement table as a page and as an .xlsx template (reports/requirements.py): the workbook follows
the glossary, its example rows are one valid enterprise, and the filled template ingests as it is."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from dianta.errors import UsageError
from dianta.glossary import TABLE_ORDER, TABLES
from dianta.ingest import codes
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_divisions, region_codes
from dianta.reports import requirements
from dianta.reports.requirements import README_SHEET, XLSX_NAME, examples, requirements_html, requirements_xlsx

LAKE = [name for name in TABLE_ORDER if TABLES[name].lake]
CJK = re.compile(r"[\u4e00-\u9fff]")


def toml_rows() -> dict[str, dict[str, object]]:
    with requirements.EXAMPLES_FILE.open("rb") as f:
        data = tomllib.load(f)
    data.pop("meta")
    return data


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


# -- the workbook -----------------------------------------------------------------------------------------
def test_workbook_has_a_readme_then_one_sheet_per_table_with_the_glossary_header():
    book = load(requirements_xlsx())
    assert book.sheetnames == [README_SHEET, *TABLE_ORDER]
    readme = "\n".join(str(c.value) for row in book[README_SHEET].iter_rows() for c in row if c.value)
    for words in ("CSV", "Parquet", "YYYY-MM-DD", "YYYY-MM", "ISO 8601", "batch.xlsx", "interval_readings.csv",
                  "北京时间", "必填", "required", README_SHEET):
        assert words in readme, words
    for name in TABLE_ORDER:
        sheet, spec = book[name], TABLES[name]
        # both names in every header cell, Chinese first (issue 17): e.g. 月用电量 (kwh)
        assert [c.value for c in sheet[1]] == [f"{c.zh} ({c.name})" for c in spec.columns]
        assert sheet.freeze_panes == "A2"
        assert all(c.font.bold for c in sheet[1])
        assert sheet.max_row == 2
        for cell, col in zip(sheet[1], spec.columns, strict=True):
            note = cell.comment.text
            assert col.en in note and col.zh in note and (col.unit or "无 none") in note, (name, col.name)
            assert ("必填 required" if col.required else "选填 optional") in note
            assert all(choice in note for choice in col.choices)
            if col.name in spec.references:
                assert ".".join(spec.references[col.name]) in note


def test_example_row_is_the_toml():
    book, rows = load(requirements_xlsx()), toml_rows()
    assert set(rows) == set(TABLES)
    for name in TABLE_ORDER:
        sheet = book[name]
        assert set(rows[name]) == set(TABLES[name].column_names)
        got = {col.name: c.value for col, c in zip(TABLES[name].columns, sheet[2], strict=True)}
        assert got == {k: (None if v == "" else v) for k, v in rows[name].items()}, name
        assert examples()[name] == got


def test_choice_columns_have_a_drop_down_list():
    book = load(requirements_xlsx())
    for name in TABLE_ORDER:
        rules = {str(r.sqref): r.formula1 for r in book[name].data_validations.dataValidation}
        expected = {}
        for i, col in enumerate(TABLES[name].columns, start=1):
            if col.choices:
                letter = openpyxl.utils.get_column_letter(i)
                expected[f"{letter}2:{letter}1048576"] = '"' + ",".join(col.choices) + '"'
        assert rules == expected, name


def test_example_enterprise_codes_are_valid_and_consistent():
    rows = examples()
    ent = rows["enterprises"]
    code = ent["credit_code"]
    assert codes.valid_credit_code(code) and codes.valid_region_code(ent["region_code"])
    assert codes.valid_industry_code(ent["industry_code"]) and ent["industry_code"][:3] in industry_divisions()
    assert ent["region_code"].startswith("63") and region_codes()[ent["region_code"]] == "湟中区"
    assert code[2:8] == ent["region_code"]  # registered where it is
    for name in TABLE_ORDER:
        if "credit_code" in rows[name]:
            assert rows[name]["credit_code"] == code, name
    meter = rows["meters"]["meter_id"]
    assert rows["consumption_monthly"]["meter_id"] == rows["interval_readings"]["meter_id"] == meter
    assert rows["green_trade_profiles"]["contract_id"] == rows["green_trades"]["contract_id"]
    monthly = rows["consumption_monthly"]
    assert monthly["kwh_peak"] + monthly["kwh_flat"] + monthly["kwh_valley"] == monthly["kwh"]
    # the trade and its bundled certificates name the same plant, a filing code in the national numbering; the
    # certificate number starts with it and the certificates back the settled kWh (400 MWh × 1,000 = 400,000 kWh)
    plant, trade, cert = rows["plants"], rows["green_trades"], rows["green_certificates"]
    assert plant["plant_id"] == trade["plant_id"] == cert["plant_id"] and len(plant["plant_id"]) == 17
    assert codes.valid_region_code(plant["region_code"]) and region_codes()[plant["region_code"]] == "格尔木市"
    assert len(cert["certificate_id"]) == 32 and cert["certificate_id"].startswith(plant["plant_id"])
    assert cert["vintage_month"] == trade["month"] and cert["bundled"] is True
    assert cert["mwh"] * 1000 == trade["kwh"]


def test_examples_file_must_list_every_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from dianta.errors import ReferenceDataError

    text = requirements.EXAMPLES_FILE.read_text(encoding="utf-8").replace('product = "绿色流动资金贷款"\n', "")
    (tmp_path / "examples.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(requirements, "EXAMPLES_FILE", tmp_path / "examples.toml")
    requirements._load_examples.cache_clear()
    try:
        with pytest.raises(ReferenceDataError, match=r"\[loans\]"):
            requirements_xlsx()
    finally:
        requirements._load_examples.cache_clear()


# -- the filled template ingests --------------------------------------------------------------------------
def _check_stored(store: Store) -> None:
    rows = examples()
    with store.engine.connect() as con:
        for name in TABLE_ORDER:
            if TABLES[name].lake:
                continue
            t = schema.data_tables[name]
            stored = con.execute(sa.select(*(t.c[c] for c in TABLES[name].column_names))).mappings().all()
            assert [dict(r) for r in stored] == [rows[name]], name
    for name in LAKE:
        files = [str(p) for p in store.active_files(name)]
        columns = ", ".join(TABLES[name].column_names)
        got = duckdb.sql(f"SELECT {columns} FROM read_parquet($f)", params={"f": files}).fetchall()
        example = rows[name]
        expected = tuple(dt.datetime.fromisoformat(str(example[c])) if c == "ts" else
                         float(example[c]) if TABLES[name].column(c).type == "kwh" else example[c]  # type: ignore[arg-type]
                         for c in TABLES[name].column_names)
        assert got == [expected], name


def test_template_without_its_readme_ingests_cleanly_as_is(store: Store, tmp_path: Path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / XLSX_NAME).write_bytes(requirements_xlsx(readme=False))
    result = ingest_batch(store, folder, user="test")
    assert result.status == "applied"
    assert result.findings == []  # no rejected row, and not even a warning
    assert {t: c.as_dict() for t, c in result.counts.items()} == {
        t: {"new": 1, "unchanged": 0, "corrected": 0, "quarantined": 0} for t in TABLE_ORDER}
    _check_stored(store)
    assert ingest_batch(store, folder, user="test").status == "unchanged"  # re-sending changes nothing


def test_template_as_downloaded_ingests_with_a_warning_for_its_readme(tmp_path: Path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / XLSX_NAME).write_bytes(requirements_xlsx())
    result = ingest_batch(Store(tmp_path / "store"), folder, user="test")
    assert result.status == "applied"
    assert [(f.code, f.severity, f.table) for f in result.findings] == [("readme_sheet", "warning", README_SHEET)]


def test_interval_tables_as_csv_and_parquet_beside_the_workbook(tmp_path: Path):
    """What the README advises for long interval data: the lake tables as files, their sheets deleted."""
    folder = tmp_path / "batch"
    folder.mkdir()
    book = load(requirements_xlsx(readme=False))
    for name in LAKE:
        del book[name]
    book.save(folder / "batch.xlsx")
    rows = examples()
    for name in LAKE:
        if name == "interval_readings":  # Parquet with a typed timestamp
            r = rows[name]
            pq.write_table(pa.table({"meter_id": [r["meter_id"]], "ts": [dt.datetime.fromisoformat(r["ts"])],
                                     "kwh": [float(r["kwh"])]}), folder / f"{name}.parquet")
            continue
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(rows[name])
            w.writerow(rows[name].values())
    store = Store(tmp_path / "store")
    try:
        result = ingest_batch(store, folder, user="test")
        assert result.status == "applied" and result.findings == []
        assert all(result.counts[t].new == 1 for t in TABLE_ORDER)
        _check_stored(store)
    finally:
        store.close()


# -- the page ---------------------------------------------------------------------------------------------
class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        attr = dict(attrs)
        if tag == "a":
            self.links.append(attr["href"] or "")
        assert "src" not in attr and not any(k.startswith("on") for k in attr), (tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    tags.close()
    return tags


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_lists_every_table_and_column(lang: str):
    page = requirements_html(lang)
    tags = parse(page)
    text = " ".join(tags.text)
    assert tags.tags <= {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "div", "p",
                         "a", "section", "ol", "ul", "li", "nav", "dl", "dt", "dd", "table", "thead", "tbody",
                         "tr", "th", "td", "code", "span", "br", "footer"}
    assert XLSX_NAME in tags.links and all(h == XLSX_NAME or h.startswith("#") for h in tags.links)
    assert "http://" not in page and "https://" not in page
    for name in TABLE_ORDER:
        spec = TABLES[name]
        assert f"#t-{name}" in tags.links and name in text and spec.zh in text
        if name in requirements.TABLE_RULES:
            assert requirements.TABLE_RULES[name][0 if lang == "zh" else 1] in text
        for col in spec.columns:
            assert col.name in text and col.zh in text and col.en in text
        for value in examples()[name].values():
            if value is not None:
                assert requirements._shown(value) in text
    for zh, en in requirements.HOW_TO:  # the instructions in the page's language only
        assert (zh in text, en in text) == (lang == "zh", lang == "en")
    assert bool(CJK.search(page))
    assert page.startswith("<!DOCTYPE html>") and f'lang="{"zh-CN" if lang == "zh" else "en"}"' in page


def test_page_escapes_what_it_shows(monkeypatch: pytest.MonkeyPatch):
    rows = examples()
    rows["loans"]["product"] = "<script>alert('x')</script> & <b>"
    monkeypatch.setattr(requirements, "examples", lambda: rows)
    page = requirements_html("en")
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "<script>alert('x')</script> & <b>" in " ".join(parse(page).text)


def test_page_language_is_checked():
    with pytest.raises(UsageError):
        requirements_html("fr")
