"""GREEN-POWER.md §9 at ingest (DATA-REQUIREMENTS.md rules): plants, the plant_id of trades and certificates,
certificate validity, the national certificate numbering, bundled certificates (证电合一) and corrected plants.

Rows are numbered as a spreadsheet shows them (header = row 1). Certificate numbers are made by hand in the
national numbering as far as it is confirmed (reference/codes/green-certificate-numbering.toml): 32 characters,
the first 17 the project's filing code (建档立卡编码), the last 15 the electricity information.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pytest
import sqlalchemy as sa
from conftest import ENTERPRISES, credit_code, write_table

from dianta.calc.instruments import (
    filing_code_contradicts,
    parse_certificate_ids,
    production_month_contradicts,
)
from dianta.errors import InputRefused
from dianta.findings import Finding
from dianta.ingest import validate
from dianta.ingest.apply import IngestResult, ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.profile import load_profile
from dianta.reference.tables import certificate_numbering

A, B, C = credit_code(1), credit_code(2), credit_code(3)
PLANTS = ["plant_id", "name", "technology", "region_code", "capacity_mw", "commissioned_on"]
TRADES = ["contract_id", "credit_code", "month", "kwh", "technology", "plant_id"]
CERTS = ["certificate_id", "credit_code", "vintage_month", "mwh", "technology", "retired_on", "bundled", "plant_id"]
CJK = re.compile(r"[\u4e00-\u9fff]")

# Filing codes made by hand in the confirmed order (project type, energy type, technology type, approval year,
# GB/T 2260 address, sequence, check character; the widths are this test's own, not a confirmed layout).
GOLMUD_PV = "1" + "1" + "2" + "2023" + "632801" + "001" + "7"  # 17 characters
GONGHE_WIND = "1" + "2" + "1" + "2022" + "632521" + "004" + "X"  # a check character may be a letter
assert len(GOLMUD_PV) == len(GONGHE_WIND) == 17


def cert_id(filing: str, month: str, serial: int) -> str:
    """A 32-character national certificate number: filing code + production month + serial + two classes."""
    return filing + month.replace("-", "") + f"{serial:07d}" + "1" + "2"


def enterprises(folder: Path) -> Path:
    write_table(folder, "enterprises", ENTERPRISES, [(A, "青海甲铝业有限公司", "C3216", "632801", None, None),
                                                     (B, "西宁乙建材有限公司", "C3011", "630100", None, None)])
    return folder


def plants(folder: Path) -> Path:
    write_table(folder, "plants", PLANTS, [(GOLMUD_PV, "格尔木光伏一期", "solar", "632801", 200, "2023-06-30"),
                                           (GONGHE_WIND, "共和风电场", "wind", "632521", "49.5", None)])
    return folder


def check_messages(findings: list[Finding]) -> None:
    for f in findings:
        assert f.message_en.strip() and CJK.search(f.message_zh), f
        assert "{" not in f.message_en and "{" not in f.message_zh, f


def refuse(store: Store, folder: Path) -> list[Finding]:
    with pytest.raises(InputRefused) as info:
        ingest_batch(store, folder)
    check_messages(info.value.findings)
    return info.value.findings


def apply(store: Store, folder: Path) -> IngestResult:
    result = ingest_batch(store, folder)
    assert result.status == "applied", result
    check_messages(result.findings)
    return result


def errors(findings: list[Finding]) -> set[tuple[str, str, int | None, str | None, str | None]]:
    return {(f.code, f.table, f.row, f.column, f.value) for f in findings if f.severity == "error"}


def warnings(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.severity == "warning" and f.code == code]


def stored(store: Store, table: str, *columns: str) -> list[tuple[object, ...]]:
    t = schema.data_tables[table]
    with store.engine.connect() as con:
        return [tuple(r) for r in con.execute(sa.select(*(t.c[c] for c in columns)).order_by(*(t.c[c] for c in
                                                                                              columns))).all()]


# -- plants -----------------------------------------------------------------------------------------------------
def test_plants_from_csv_are_stored_and_bad_rows_named(store: Store, tmp_path: Path):
    apply(store, plants(tmp_path / "1"))
    assert stored(store, "plants", "plant_id", "technology", "region_code", "capacity_mw", "commissioned_on") == [
        (GOLMUD_PV, "solar", "632801", 200.0, "2023-06-30"), (GONGHE_WIND, "wind", "632521", 49.5, None)]
    write_table(tmp_path / "2", "plants", PLANTS, [
        ("P3", "拉萨光伏", "solar", "540000", 10, None),  # fine: Tibet
        ("P4", "某电站", "nuclear", "630000", 10, None),  # not a plant technology of §9
        ("P5", "撤销区划电站", "hydro", "632122", 10, None),  # 632122: former 海东地区 (6321xx), not current
        ("P6", "负容量", "wind", "620000", -1, "2022-13-01")])
    findings = refuse(store, tmp_path / "2")
    assert errors(findings) == {("bad_choice", "plants", 3, "technology", "nuclear"),
                                ("bad_region_code", "plants", 4, "region_code", "632122"),
                                ("negative", "plants", 5, "capacity_mw", "-1"),
                                ("not_a_date", "plants", 5, "commissioned_on", "2022-13-01")}
    region = next(f for f in findings if f.code == "bad_region_code")
    assert region.file == "plants.csv" and "GB/T 2260" in region.message_en and "行政区划代码" in region.message_zh


def test_plants_from_a_workbook_equal_the_csv(tmp_path: Path):
    from_csv, from_xlsx = Store(tmp_path / "s1"), Store(tmp_path / "s2")
    apply(from_csv, plants(tmp_path / "csv"))
    folder = tmp_path / "xlsx"
    folder.mkdir()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "plants"
    sheet.append(PLANTS)
    # Excel keeps a typed code as a number and a typed date as a date cell
    sheet.append([GOLMUD_PV, "格尔木光伏一期", "solar", 632801, 200, dt.date(2023, 6, 30)])
    sheet.append([GONGHE_WIND, "共和风电场", "wind", "632521", 49.5, None])
    book.save(folder / "batch.xlsx")
    apply(from_xlsx, folder)
    columns = ("plant_id", "name", "technology", "region_code", "capacity_mw", "commissioned_on")
    assert stored(from_xlsx, "plants", *columns) == stored(from_csv, "plants", *columns)


# -- plant_id of trades and certificates ----------------------------------------------------------------------
def test_plant_id_before_any_plant_is_accepted_with_a_warning(store: Store, tmp_path: Path):
    enterprises(tmp_path / "1")
    write_table(tmp_path / "1", "green_trades", TRADES, [("K1", A, "2024-03", 1000, "solar", "P-UNSENT"),
                                                         ("K2", A, "2024-03", 1000, "solar", None)])
    write_table(tmp_path / "1", "green_certificates", CERTS,
                [("GEC1", A, "2024-03", 1, "solar", "2024-05-10", "false", "P-UNSENT")])
    result = apply(store, tmp_path / "1")
    assert [(f.table, f.row, f.column, f.value) for f in warnings(result.findings, "plant_unknown")] == [
        ("green_trades", 2, "plant_id", "P-UNSENT"), ("green_certificates", 2, "plant_id", "P-UNSENT")]
    w = warnings(result.findings, "plant_unknown")[0]
    assert w.file == "green_trades.csv" and "plants" in w.message_en and "电站表" in w.message_zh
    assert stored(store, "green_trades", "contract_id", "plant_id") == [("K1", "P-UNSENT"), ("K2", None)]


def test_plant_id_must_exist_once_plants_are_sent(store: Store, tmp_path: Path):
    # plants in the same batch: the unknown one is refused, the one referring to a rejected plant too
    enterprises(tmp_path / "1")
    write_table(tmp_path / "1", "plants", PLANTS, [(GOLMUD_PV, "格尔木光伏一期", "solar", "632801", 200, None),
                                                   ("P-BAD", "坏电站", "solar", "999999", 1, None)])
    write_table(tmp_path / "1", "green_trades", TRADES, [("K1", A, "2024-03", 1000, "solar", GOLMUD_PV),
                                                         ("K2", A, "2024-03", 1000, "solar", "P-TYPO"),
                                                         ("K3", A, "2024-03", 1000, "solar", "P-BAD")])
    findings = refuse(store, tmp_path / "1")
    assert errors(findings) == {("bad_region_code", "plants", 3, "region_code", "999999"),
                                ("unknown_reference", "green_trades", 3, "plant_id", "P-TYPO"),
                                ("rejected_reference", "green_trades", 4, "plant_id", "P-BAD")}
    typo = next(f for f in findings if f.value == "P-TYPO")
    assert "plants" in typo.message_en and "电站表" in typo.message_zh and typo.file == "green_trades.csv"
    assert not warnings(findings, "plant_unknown")
    # plants in the store: a later batch's certificate is checked against them
    apply(store, plants(enterprises(tmp_path / "2")))
    write_table(tmp_path / "3", "green_certificates", CERTS,
                [("GEC1", A, "2024-03", 1, "solar", "2024-05-10", "false", GONGHE_WIND),
                 ("GEC2", A, "2024-03", 1, "solar", "2024-05-10", "false", "P-TYPO"),
                 ("GEC3", A, "2024-03", 1, "solar", "2024-05-10", "false", None)])
    assert errors(refuse(store, tmp_path / "3")) == {("unknown_reference", "green_certificates", 3, "plant_id",
                                                      "P-TYPO")}


# -- validity -------------------------------------------------------------------------------------------------
def test_certificates_retired_after_their_validity_or_before_production_are_refused(store: Store, tmp_path: Path):
    assert load_profile("default").certificate_validity_months == 24  # the rule ingest applies
    enterprises(tmp_path)
    # produced March 2024: the last day of the 24th month after it is 2026-03-31 (March 2024 + 24 months = March
    # 2026); produced February 2024: 2026-02-28 (2026 is no leap year)
    write_table(tmp_path, "green_certificates", CERTS, [
        ("GEC1", A, "2024-03", 1, "solar", "2026-03-31", "false", None),  # the last day: fine
        ("GEC2", A, "2024-03", 1, "solar", "2026-04-01", "false", None),  # a day late
        ("GEC3", A, "2024-02", 1, "solar", "2026-03-01", "false", None),  # a day late
        ("GEC4", A, "2024-03", 1, "solar", "2024-03-01", "false", None),  # the first day of production: fine
        ("GEC5", A, "2024-03", 1, "solar", "2024-02-29", "false", None)])  # before production began
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("certificate_expired", "green_certificates", 3, "retired_on", "2026-04-01"),
                                ("certificate_expired", "green_certificates", 4, "retired_on", "2026-03-01"),
                                ("retired_before_production", "green_certificates", 6, "retired_on", "2024-02-29")}
    late = {f.row: f for f in findings if f.code == "certificate_expired"}
    assert "2026-03-31" in late[3].message_en and "2026-03-31" in late[3].message_zh
    assert "2026-02-28" in late[4].message_en and "24" in late[4].message_zh
    before = next(f for f in findings if f.code == "retired_before_production")
    assert "2024-03" in before.message_en and "2024-03" in before.message_zh


# -- numbering ------------------------------------------------------------------------------------------------
def test_numbering_rule_is_the_shipped_data():
    rule = certificate_numbering()
    assert (rule.length, rule.filing_code_length) == (32, 17)
    assert rule.parts == {"plant_filing_code": (0, 17), "electricity": (17, 15)}
    assert "production_month" not in rule.parts  # the production date's width is not confirmed: not parsed


def test_parser_splits_national_numbers_only():
    rule = certificate_numbering()
    good = cert_id(GONGHE_WIND, "2024-03", 1)
    ids = [good, good.lower(), good[:-1] + "-", "GEC2025060004217", ""]
    parsed = parse_certificate_ids(ids, rule.length, rule.alphabet, rule.parts)
    assert parsed.national.tolist() == [True, True, True, False, False]
    assert parsed.well_formed.tolist() == [True, False, False, False, False]
    assert parsed.parts["plant_filing_code"].tolist() == [GONGHE_WIND, "", "", "", ""]
    assert parsed.parts["electricity"].tolist() == ["202403000000112", "", "", "", ""]
    # a plant_id that is a filing code must be the id's; an operator's own plant id is not compared
    assert filing_code_contradicts(parsed.parts["plant_filing_code"], [GONGHE_WIND, GOLMUD_PV, None, "QH-PV-1", "X"],
                                   17, rule.alphabet).tolist() == [False, False, False, False, False]
    assert filing_code_contradicts([GOLMUD_PV, GOLMUD_PV, GOLMUD_PV, ""], [GONGHE_WIND, "QH-PV-0001", None,
                                                                         GONGHE_WIND], 17,
                                   rule.alphabet).tolist() == [True, False, False, False]


def test_a_confirmed_production_month_would_be_compared():
    # a hand-made rule in which the production month were confirmed as characters 18–23 (YYYYMM)
    parts = {"plant_filing_code": (0, 17), "production_month": (17, 6)}
    ids = [cert_id(GOLMUD_PV, "2024-03", 1), cert_id(GOLMUD_PV, "2024-04", 2), "GEC1"]
    parsed = parse_certificate_ids(ids, 32, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", parts)
    assert parsed.parts["production_month"].tolist() == ["202403", "202404", ""]
    given = ["2024-03", "2024-03", "2024-05"]
    assert production_month_contradicts(parsed.parts["production_month"], given).tolist() == [False, True, False]
    assert np.asarray(production_month_contradicts([], [])).size == 0


def test_certificate_numbers_contradicting_their_plant_or_month_are_refused(store: Store, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    apply(store, plants(enterprises(tmp_path / "1")))
    write_table(tmp_path / "2", "green_certificates", CERTS, [
        (cert_id(GOLMUD_PV, "2024-03", 1), A, "2024-03", 1, "solar", "2024-05-10", "false", GOLMUD_PV),  # fine
        (cert_id(GOLMUD_PV, "2024-03", 2), A, "2024-03", 1, "solar", "2024-05-10", "false", GONGHE_WIND),
        (cert_id(GOLMUD_PV, "2024-03", 3)[:-1] + "x", A, "2024-03", 1, "solar", "2024-05-10", "false", None),
        ("GEC-OLD-2023-17", A, "2024-03", 1, "solar", "2024-05-10", "false", GONGHE_WIND),  # another numbering
        (cert_id(GOLMUD_PV, "2024-02", 4), A, "2024-03", 1, "solar", "2024-05-10", "false", None)])
    findings = refuse(store, tmp_path / "2")
    # the month of the last row is not compared: the production date's position is not confirmed
    assert errors(findings) == {
        ("certificate_id_other_plant", "green_certificates", 3, "plant_id", GONGHE_WIND),
        ("certificate_id_malformed", "green_certificates", 4, "certificate_id", cert_id(GOLMUD_PV, "2024-03", 3)[:-1]
         + "x")}
    other = next(f for f in findings if f.code == "certificate_id_other_plant")
    assert GOLMUD_PV in other.message_en and GOLMUD_PV in other.message_zh and "建档立卡" in other.message_zh
    # with a production month confirmed in the numbering data, the last row's March contradicts its February id
    rule = certificate_numbering()
    confirmed = dataclasses.replace(rule, parts={**rule.parts, "production_month": (17, 6)})
    monkeypatch.setattr(validate, "certificate_numbering", lambda: confirmed)
    month = [f for f in refuse(store, tmp_path / "2") if f.code == "certificate_id_other_month"]
    assert [(f.row, f.column, f.value) for f in month] == [(6, "vintage_month", "2024-03")]
    assert "202402" in month[0].message_en and "202402" in month[0].message_zh


# -- bundled certificates -------------------------------------------------------------------------------------
def test_trade_months_not_backed_by_bundled_certificates_warn(store: Store, tmp_path: Path):
    apply(store, plants(enterprises(tmp_path / "1")))
    write_table(tmp_path / "2", "green_trades", TRADES, [
        ("K1", A, "2024-03", 6000, "solar", GOLMUD_PV), ("K2", A, "2024-03", 4000, "solar", GOLMUD_PV),
        ("K3", A, "2024-04", 5000, "solar", None),
        ("K4", B, "2024-03", 10000, "wind", GONGHE_WIND)])
    write_table(tmp_path / "2", "green_certificates", CERTS, [
        # A, March, Golmud: 6,000 + 4,000 = 10,000 kWh settled; 9.9 MWh bundled = 9,900 kWh: 100 kWh short,
        # 1 % of 10,000, not beyond the default tolerance of 1 %: backed
        (cert_id(GOLMUD_PV, "2024-03", 1), A, "2024-03", "9.9", "solar", "2024-05-10", "true", GOLMUD_PV),
        # B, March, Gonghe: 10,000 kWh settled, 9.8 MWh bundled = 9,800 kWh: 2 % short (beyond 1 %); the
        # unbundled certificate of the same plant and month does not back it, nor does A's
        (cert_id(GONGHE_WIND, "2024-03", 1), B, "2024-03", "9.8", "wind", "2024-05-10", "true", GONGHE_WIND),
        (cert_id(GONGHE_WIND, "2024-03", 2), B, "2024-03", 5, "wind", "2024-05-10", "false", GONGHE_WIND)])
    result = apply(store, tmp_path / "2")
    # A, April, no plant: 5,000 kWh settled, no bundled certificate naming no plant
    found = warnings(result.findings, "trade_not_backed_by_certificates")
    assert [(f.table, f.row, f.column, f.value) for f in found] == [("green_trades", None, "kwh", A),
                                                                    ("green_trades", None, "kwh", B)]
    a_april, b_march = found
    assert "2024-04" in a_april.message_en and "K3" in a_april.message_en and "5,000.0" in a_april.message_en
    assert "0.0 kWh" in a_april.message_en and "未注明" in a_april.message_zh
    assert ("K4" in b_march.message_zh and "9,800.0" in b_march.message_zh and "10,000.0" in b_march.message_zh
            and GONGHE_WIND in b_march.message_en and "1%" in b_march.message_en)
    assert result.status == "applied"  # a warning never refuses a batch

    # a later batch completes April with bundled certificates (naming no plant): the stored trade is now backed;
    # another one adds a March trade of A at Golmud: 12,000 kWh against the stored 9,900 kWh bundled is short
    write_table(tmp_path / "3", "green_certificates", CERTS, [
        ("GEC-APR-1", A, "2024-04", 5, "solar", "2024-06-01", "true", None)])
    assert not warnings(apply(store, tmp_path / "3").findings, "trade_not_backed_by_certificates")
    write_table(tmp_path / "4", "green_trades", TRADES, [("K5", A, "2024-03", 2000, "solar", GOLMUD_PV)])
    (late,) = warnings(apply(store, tmp_path / "4").findings, "trade_not_backed_by_certificates")
    assert "K1, K2, K5" in late.message_en and "12,000.0" in late.message_en and "9,900.0" in late.message_en


# -- corrected plants -----------------------------------------------------------------------------------------
def test_a_corrected_plant_marks_the_enterprises_naming_it(store: Store, tmp_path: Path):
    apply(store, plants(enterprises(tmp_path / "1")))
    write_table(tmp_path / "2", "green_trades", TRADES, [("K1", A, "2023-11", 1000, "solar", GOLMUD_PV),
                                                         ("K2", B, "2024-02", 1000, "wind", GONGHE_WIND)])
    write_table(tmp_path / "2", "green_certificates", CERTS, [
        (cert_id(GOLMUD_PV, "2024-03", 1), B, "2024-03", 1, "solar", "2024-05-10", "false", GOLMUD_PV)])
    apply(store, tmp_path / "2")
    with store.engine.begin() as con:
        con.execute(schema.recalc_marks.delete())
        con.execute(schema.benchmark_marks.delete())
    # the Golmud plant lies in Haixi, not Golmud county: a correction of its region_code; Gonghe is re-sent as is
    write_table(tmp_path / "3", "plants", PLANTS, [(GOLMUD_PV, "格尔木光伏一期", "solar", "632800", 200, "2023-06-30"),
                                                   (GONGHE_WIND, "共和风电场", "wind", "632521", "49.5", None)])
    result = apply(store, tmp_path / "3")
    assert (result.counts["plants"].corrected, result.counts["plants"].unchanged) == (1, 1)
    # A's trade of 2023 (accounts 2023 and 2024), B's certificate of 2024 (2024 and 2025); not B's Gonghe trade
    with store.engine.connect() as con:
        marked = sorted(tuple(r) for r in con.execute(sa.select(schema.recalc_marks.c.credit_code,
                                                                 schema.recalc_marks.c.year)).all())
    assert marked == sorted([(A, 2023), (A, 2024), (B, 2024), (B, 2025)])
    assert result.marked_accounts == 4


# -- storage (§9c): a lake table with two value columns --------------------------------------------------------
def test_storage_interval_rows_are_stored_and_corrected_with_history(store: Store, tmp_path: Path):
    storage = ["credit_code", "ts", "kwh_charged", "kwh_discharged"]
    write_table(enterprises(tmp_path / "1"), "storage_interval", storage, [
        (A, "2024-06-15T12:00", 250, 0), (A, "2024-06-15T20:00", 0, 225)])
    assert apply(store, tmp_path / "1").counts["storage_interval"].new == 2
    # the evening discharge was 200 kWh, not 225: one row corrected, the other re-sent as is
    write_table(tmp_path / "2", "storage_interval", storage, [(A, "2024-06-15T12:00", 250, 0),
                                                              (A, "2024-06-15T20:00", 0, 200)])
    result = apply(store, tmp_path / "2")
    counts = result.counts["storage_interval"]
    assert (counts.new, counts.corrected, counts.unchanged) == (0, 1, 1)
    files = [str(p) for p in store.active_files("storage_interval")]
    assert duckdb.sql("SELECT ts, kwh_charged, kwh_discharged FROM read_parquet($f) ORDER BY ts",
                      params={"f": files}).fetchall() == [(dt.datetime(2024, 6, 15, 12), 250.0, 0.0),
                                                          (dt.datetime(2024, 6, 15, 20), 0.0, 200.0)]
    with store.engine.connect() as con:
        marked = sorted(tuple(r) for r in con.execute(sa.select(schema.recalc_marks.c.credit_code,
                                                                 schema.recalc_marks.c.year)).all())
    assert marked == [(A, 2024), (A, 2025)] and result.marked_accounts == 2
