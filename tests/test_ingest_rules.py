"""Every rule of DATA-REQUIREMENTS.md, one batch folder at a time (ingest/validate.py, ingest/apply.py).

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2. Each
test asserts the complete set of errors a batch gets, so that a missing finding and a spurious one both fail.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import (
    CERTIFICATES,
    ECONOMICS,
    ENTERPRISES,
    METERS,
    MONTHLY,
    PROFILES,
    READINGS,
    TRADES,
    credit_code,
    write_table,
)

from dianta.errors import InputRefused, UsageError
from dianta.findings import Finding
from dianta.ingest import validate
from dianta.ingest.apply import IngestResult, ingest_batch
from dianta.ingest.quarantine import export_quarantine, list_quarantine
from dianta.ledger import schema
from dianta.ledger.store import Store

A, B, C = credit_code(1), credit_code(2), credit_code(3)
UNKNOWN = credit_code(99)
ONSITE = ["credit_code", "month", "kwh_generated", "kwh_self_consumed", "technology"]
LOANS = ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny", "as_of", "drawn_on", "maturity_on",
         "base_rate_pct"]
CJK = re.compile(r"[\u4e00-\u9fff]")


# -- helpers --------------------------------------------------------------------------------------------------
def base_batch(folder: Path) -> Path:
    """A (C3216, county 632801) holds M1, B (C3011, Xining 630100) holds M2, both for ever."""
    write_table(folder, "enterprises", ENTERPRISES, [(A, "青海甲铝业有限公司", "C3216", "632801", "2022-01-01", None),
                                                     (B, "西宁乙建材有限公司", "C3011", "630100", None, None)])
    write_table(folder, "meters", METERS, [("M1", A, None, None), ("M2", B, None, None)])
    return folder


def check_messages(findings: list[Finding]) -> None:
    for f in findings:
        assert f.message_en.strip() and f.message_zh.strip(), f
        assert CJK.search(f.message_zh), f
        assert "{" not in f.message_en and "{" not in f.message_zh, f  # every placeholder filled


def refuse(store: Store, folder: Path, **kwargs: object) -> list[Finding]:
    with pytest.raises(InputRefused) as info:
        ingest_batch(store, folder, **kwargs)  # type: ignore[arg-type]
    check_messages(info.value.findings)
    return info.value.findings


def apply(store: Store, folder: Path, **kwargs: object) -> IngestResult:
    result = ingest_batch(store, folder, **kwargs)  # type: ignore[arg-type]
    assert result.status in ("applied", "partial"), result
    check_messages(result.findings)
    return result


def errors(findings: list[Finding]) -> set[tuple[str, str, int | None, str | None, str | None]]:
    """(code, table, row, column, value) of every error."""
    return {(f.code, f.table, f.row, f.column, f.value) for f in findings if f.severity == "error"}


def rows(store: Store, table: str, *columns: str) -> list[tuple]:
    t = schema.data_tables[table]
    with store.engine.connect() as con:
        return sorted(tuple(r) for r in con.execute(sa.select(*(t.c[c] for c in columns))).all())


def store_state(store: Store) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """Every row of every ledger table and every file of the lake (with its bytes)."""
    with store.engine.connect() as con:
        tables = {t.name: sorted(repr(tuple(r)) for r in con.execute(sa.select(t)).all())
                  for t in schema.metadata.sorted_tables}
    files = {p.relative_to(store.root).as_posix(): p.read_bytes() for p in store.lake.rglob("*") if p.is_file()}
    return tables, files


# -- national code systems ------------------------------------------------------------------------------------
def test_credit_code_check_digit_and_length(store: Store, tmp_path: Path):
    bad_digit = A[:-1] + ("0" if A[-1] != "0" else "1")
    write_table(tmp_path, "enterprises", ENTERPRISES, [
        (A, "甲", "C3216", "632801", None, None),
        (bad_digit, "乙", "C3216", "632801", None, None),
        (A[:-1], "丙", "C3216", "632801", None, None),  # 17 characters
        (B + "0", "丁", "C3216", "632801", None, None),  # 19 characters
        ("91630000MA7XXXXXXX", "戊", "C3216", "632801", None, None),
    ])
    assert errors(refuse(store, tmp_path)) == {
        ("bad_credit_code", "enterprises", 3, "credit_code", bad_digit),
        ("bad_credit_code", "enterprises", 4, "credit_code", A[:-1]),
        ("bad_credit_code", "enterprises", 5, "credit_code", B + "0"),
        ("bad_credit_code", "enterprises", 6, "credit_code", "91630000MA7XXXXXXX"),
    }


def test_industry_code_division_must_exist(store: Store, tmp_path: Path):
    codes = ["C3216", "C99", "Z12", "C3", "3216", "C321678", "CC32", "C32", "D4430", "c3216"]
    write_table(tmp_path, "enterprises", ENTERPRISES,
                [(credit_code(i), f"企业{i}", code, "630100", None, None) for i, code in enumerate(codes, start=1)])
    assert errors(refuse(store, tmp_path)) == {
        ("bad_industry_code", "enterprises", row, "industry_code", code)
        for row, code in ((3, "C99"), (4, "Z12"), (5, "C3"), (6, "3216"), (7, "C321678"), (8, "CC32"))
    }


def test_finer_industry_code_under_valid_division_is_stored(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                       (B, "乙", "c32", "630000", None, None)])
    apply(store, tmp_path)
    assert rows(store, "enterprises", "credit_code", "industry_code", "region_code") == [
        (A, "C3216", "632801"), (B, "C32", "630000")]


def test_region_code_must_be_current(store: Store, tmp_path: Path):
    regions = ["632801", "630000", "630100", "632121", "999999", "63280", "6328011", "qinghai"]
    write_table(tmp_path, "enterprises", ENTERPRISES,
                [(credit_code(i), f"企业{i}", "C3216", r, None, None) for i, r in enumerate(regions, start=1)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("bad_region_code", "enterprises", row, "region_code", code)
                                for row, code in ((5, "632121"), (6, "999999"), (7, "63280"), (8, "6328011"),
                                                  (9, "qinghai"))}
    abolished = next(f for f in findings if f.value == "632121")
    assert "GB/T 2260" in abolished.message_en and "行政区划代码" in abolished.message_zh


# -- types, required cells, choices, ranges -------------------------------------------------------------------
def test_numbers_must_be_finite_plain_decimals(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    cells = ["12.5", "abc", "-5", "nan", "NaN", "inf", "-inf", "Infinity", "1,23", "", "  ", "1,234.5", "0"]
    write_table(tmp_path, "consumption_monthly", MONTHLY,
                [("M1", f"2023-{m:02d}", cell) for m, cell in enumerate(cells, start=1) if m <= 12]
                + [("M2", "2023-01", cells[12])])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("not_a_number", "consumption_monthly", 3, "kwh", "abc"),
        ("negative", "consumption_monthly", 4, "kwh", "-5"),
        ("not_a_number", "consumption_monthly", 5, "kwh", "nan"),
        ("not_a_number", "consumption_monthly", 6, "kwh", "NaN"),
        ("not_a_number", "consumption_monthly", 7, "kwh", "inf"),
        ("not_a_number", "consumption_monthly", 8, "kwh", "-inf"),  # not also "negative"
        ("not_a_number", "consumption_monthly", 9, "kwh", "Infinity"),
        ("not_a_number", "consumption_monthly", 10, "kwh", "1,23"),
        ("required", "consumption_monthly", 11, "kwh", ""),
        ("required", "consumption_monthly", 12, "kwh", ""),
    }
    negative = next(f for f in findings if f.code == "negative")
    assert "-5" in negative.message_en and "负" in negative.message_zh


def test_dates_months_and_years(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [
        (A, "甲", "C3216", "632801", "2023-02-30", "2023-13"),
        (B, "乙", "C3216", "632801", "2023/1/5", "2024-02-29"),
        (C, "丙", "C3216", "632801", "05/01/2023", None),
    ])
    write_table(tmp_path, "meters", METERS, [("M1", B, None, None)])
    write_table(tmp_path, "consumption_monthly", MONTHLY, [
        ("M1", "2023-13", 1), ("M1", "2023-00", 1), ("M1", "23-01", 1), ("M1", "2023-02-01", 1), ("M1", "", 1),
        ("M1", "2023-01", 1)])
    write_table(tmp_path, "economics", ECONOMICS, [
        (B, "20x3", 1, None), (B, "2023.5", 1, None), (B, "1800", 1, None), (B, "2201", 1, None), (B, "2023", 1, None)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("not_a_date", "enterprises", 2, "opened_on", "2023-02-30"),
        ("not_a_date", "enterprises", 2, "closed_on", "2023-13"),
        ("not_a_date", "enterprises", 4, "opened_on", "05/01/2023"),
        ("not_a_month", "consumption_monthly", 2, "month", "2023-13"),
        ("not_a_month", "consumption_monthly", 3, "month", "2023-00"),
        ("not_a_month", "consumption_monthly", 4, "month", "23-01"),
        ("not_a_month", "consumption_monthly", 5, "month", "2023-02-01"),
        ("required", "consumption_monthly", 6, "month", ""),
        ("not_a_year", "economics", 2, "year", "20x3"),
        ("not_a_year", "economics", 3, "year", "2023.5"),  # regression: was stored as 2024
        ("not_a_year", "economics", 4, "year", "1800"),
        ("not_a_year", "economics", 5, "year", "2201"),
    }
    # a month that is not one is reported once: never also as "held by no enterprise at None"
    assert not any("None" in f.message_en for f in findings)


def test_required_cells(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "", "C3216", "632801", None, None),
                                                       (B, "  ", " ", "630100", None, None),
                                                       ("", "丙", "C3216", "", None, None)])
    assert errors(refuse(store, tmp_path)) == {
        ("required", "enterprises", 2, "name", ""),
        ("required", "enterprises", 3, "name", ""),
        ("required", "enterprises", 3, "industry_code", ""),
        ("required", "enterprises", 4, "credit_code", ""),
        ("required", "enterprises", 4, "region_code", ""),
    }


def test_choices_and_booleans(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    write_table(tmp_path, "green_certificates", CERTIFICATES, [
        ("GEC1", A, "2023-05", 1, "coal", "2023-12-01", "maybe"),
        ("GEC2", A, "2023-05", 1, "Solar", "2023-12-01", "是"),
        ("GEC3", A, "2023-05", 1, "hydro", "2023-12-01", "TRUE"),
        ("GEC4", A, "2023-05", 1, "wind", "2023-12-01", "0"),
    ])
    write_table(tmp_path, "onsite_generation", ONSITE, [(A, "2023-01", 10, 5, "hydro"), (A, "2023-02", 10, 5, "wind")])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("bad_choice", "green_certificates", 2, "technology", "coal"),
        ("not_a_boolean", "green_certificates", 2, "bundled", "maybe"),
        ("bad_choice", "onsite_generation", 2, "technology", "hydro"),  # on-site: solar, wind or other only
    }
    onsite = next(f for f in findings if f.table == "onsite_generation")
    assert "solar, wind, other" in onsite.message_en and "solar, wind, other" in onsite.message_zh


def test_accepted_choices_and_booleans_are_stored_canonically(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    write_table(tmp_path, "green_certificates", CERTIFICATES, [
        ("GEC2", A, "2023-05", 1, "Solar", "2023-12-01", "是"),
        ("GEC3", A, "2023-05", 2.5, "HYDRO", "2023-12-01", "TRUE"),
        ("GEC4", A, "2023-05", 1, "wind", "2023-12-01", "0")])
    apply(store, tmp_path)
    assert rows(store, "green_certificates", "certificate_id", "technology", "bundled", "mwh") == [
        ("GEC2", "solar", True, 1.0), ("GEC3", "hydro", True, 2.5), ("GEC4", "wind", False, 1.0)]


def test_units_ranges_and_row_rules(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", "2023-05-01", "2023-01-31"),
                                                       (B, "乙", "C3011", "630100", "2023-05-01", "2023-05-01")])
    write_table(tmp_path, "meters", METERS, [("M1", B, "2023-06-01", "2023-05-31"),
                                             ("M2", B, "2023-06-01", "2023-06-01")])
    write_table(tmp_path, "onsite_generation", ONSITE, [(B, "2023-01", 10, 12, "solar"),
                                                        (B, "2023-02", 10, 10, "solar")])
    write_table(tmp_path, "economics", ECONOMICS + ["total_equity_plus_debt_cny"],
                [(B, 2023, None, None, 5e8), (B, 2022, None, 300, -1)])
    write_table(tmp_path, "loans", LOANS, [
        ("L1", "BK", B, 100, 50, "2023-12-31", "2023-01-01", "2022-12-31", 150),
        ("L2", "BK", B, -100, 50, "2023-12-31", "2023-01-01", "2024-01-01", -1),
        ("L3", "BK", B, 100, 50, "2023-12-31", "2023-01-01", "2024-01-01", 3.45)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("period_order", "enterprises", 2, "closed_on", "2023-01-31"),
        ("period_order", "meters", 2, "valid_to", "2023-05-31"),
        ("self_consumed_exceeds", "onsite_generation", 2, "kwh_self_consumed", "12"),
        ("economics_empty", "economics", 2, "value_added_10k_cny", ""),
        ("negative", "economics", 3, "total_equity_plus_debt_cny", "-1"),
        ("period_order", "loans", 2, "maturity_on", "2022-12-31"),
        ("out_of_range", "loans", 2, "base_rate_pct", "150"),
        ("negative", "loans", 3, "principal_cny", "-100"),
        ("negative", "loans", 3, "base_rate_pct", "-1"),
    }
    by_code = {(f.code, f.table): f for f in findings}
    exceeds = by_code["self_consumed_exceeds", "onsite_generation"]
    assert "12 is more than kwh_generated 10" in exceeds.message_en and "12 大于发电量 10" in exceeds.message_zh
    assert "closed_on 2023-01-31 is before opened_on 2023-05-01" in by_code["period_order", "enterprises"].message_en
    assert "valid_to 2023-05-31 早于 valid_from 2023-06-01" in by_code["period_order", "meters"].message_zh
    assert "100" in by_code["out_of_range", "loans"].message_zh


# -- references -----------------------------------------------------------------------------------------------
def test_references_unknown_and_to_rejected_rows(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                       (B, "乙", "C99", "630100", None, None)])  # B rejected
    write_table(tmp_path, "meters", METERS, [("M1", A, None, None), ("M2", B, None, None), ("M3", UNKNOWN, None, None)])
    write_table(tmp_path, "consumption_monthly", MONTHLY, [("M1", "2023-01", 1), ("M2", "2023-01", 1),
                                                           ("M3", "2023-01", 1), ("M9", "2023-01", 1)])
    write_table(tmp_path, "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 1), ("M9", "2023-01-01T00:00", 1)])
    write_table(tmp_path, "green_trades", TRADES, [("K1", A, "2023-01", 5, "wind"), ("K2", B, "2023-01", 5, "wind")])
    write_table(tmp_path, "green_trade_profiles", PROFILES, [("K1", "2023-01-01T10:00", 5),
                                                             ("K2", "2023-01-01T10:00", 5),
                                                             ("K9", "2023-01-01T10:00", 5)])
    write_table(tmp_path, "green_certificates", CERTIFICATES,
                [("GEC1", UNKNOWN, "2023-05", 1, "wind", "2023-12-01", "0")])
    write_table(tmp_path, "economics", ECONOMICS, [(A, 2023, 1, None), (UNKNOWN, 2023, 1, None)])
    write_table(tmp_path, "onsite_generation", ONSITE, [(B, "2023-01", 10, 5, "solar")])
    write_table(tmp_path, "loans", LOANS, [("L1", "BK", UNKNOWN, 100, 50, "2023-12-31", "2023-01-01", "2024-01-01", 3)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("bad_industry_code", "enterprises", 3, "industry_code", "C99"),
        ("rejected_reference", "meters", 3, "credit_code", B),
        ("unknown_reference", "meters", 4, "credit_code", UNKNOWN),
        ("rejected_reference", "consumption_monthly", 3, "meter_id", "M2"),
        ("rejected_reference", "consumption_monthly", 4, "meter_id", "M3"),
        ("unknown_reference", "consumption_monthly", 5, "meter_id", "M9"),
        ("unknown_reference", "interval_readings", 3, "meter_id", "M9"),
        ("rejected_reference", "green_trades", 3, "credit_code", B),
        ("rejected_reference", "green_trade_profiles", 3, "contract_id", "K2"),
        ("unknown_reference", "green_trade_profiles", 4, "contract_id", "K9"),
        ("unknown_reference", "green_certificates", 2, "credit_code", UNKNOWN),
        ("unknown_reference", "economics", 3, "credit_code", UNKNOWN),
        ("rejected_reference", "onsite_generation", 2, "credit_code", B),
    }
    # a bank's loan to a credit code without an account is its own record: a warning, never a refusal that would
    # tell a bank which codes have an account (issue 12)
    assert [(f.code, f.severity, f.row, f.value) for f in findings if f.table == "loans"] == [
        ("unknown_borrower", "warning", 2, UNKNOWN)]
    contract = next(f for f in findings if f.value == "K9")
    assert "green_trades" in contract.message_en and "绿电交易" in contract.message_zh


def test_references_resolve_against_the_store(store: Store, tmp_path: Path):
    apply(store, base_batch(tmp_path / "1"))
    write_table(tmp_path / "2", "consumption_monthly", MONTHLY, [("M1", "2023-01", 10), ("M2", "2023-01", 20)])
    write_table(tmp_path / "2", "green_trades", TRADES, [("K1", A, "2023-01", 5, "wind")])
    apply(store, tmp_path / "2")
    write_table(tmp_path / "3", "green_trade_profiles", PROFILES, [("K1", "2023-01-01T10:00", 5)])
    write_table(tmp_path / "3", "economics", ECONOMICS, [(B, 2023, None, 40)])
    result = apply(store, tmp_path / "3")
    assert result.counts["green_trade_profiles"].new == 1
    assert rows(store, "economics", "credit_code", "year", "revenue_10k_cny") == [(B, 2023, 40.0)]


# -- keys -----------------------------------------------------------------------------------------------------
def test_repeated_keys_refuse_every_copy_even_with_equal_values(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                       (B, "乙", "C3011", "630100", None, None),
                                                       (A, "甲", "C3216", "632801", None, None)])
    write_table(tmp_path, "meters", METERS, [("M1", A, "2023-01-01", None), ("M1", A, "2023-01-01", None),
                                             ("M2", B, None, "2022-12-31"), ("M2", B, None, None)])
    write_table(tmp_path, "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 1), ("M1", "2023-01-01T00:15", 1),
                                                          ("M1", "2022-12-31T16:00:00Z", 1)])  # = row 2 in CST
    findings = refuse(store, tmp_path)
    assert errors(findings) >= {
        ("duplicate_key", "enterprises", 2, "credit_code", A),
        ("duplicate_key", "enterprises", 4, "credit_code", A),
        ("duplicate_key", "meters", 2, "meter_id", "M1 / 2023-01-01"),
        ("duplicate_key", "meters", 3, "meter_id", "M1 / 2023-01-01"),
        ("duplicate_key", "meters", 4, "meter_id", "M2 / "),  # two rows with an empty valid_from
        ("duplicate_key", "meters", 5, "meter_id", "M2 / "),
        ("duplicate_key", "interval_readings", 2, "meter_id", "M1 / 2023-01-01 00:00:00"),
        ("duplicate_key", "interval_readings", 4, "meter_id", "M1 / 2023-01-01 00:00:00"),
    }
    first = next(f for f in findings if f.code == "duplicate_key" and f.table == "enterprises" and f.row == 2)
    assert "row 4" in first.message_en and "第 4 行" in first.message_zh


def test_meter_periods_must_not_overlap_in_the_batch(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                       (B, "乙", "C3011", "630100", None, None)])
    write_table(tmp_path, "meters", METERS, [
        ("M1", A, None, "2022-12-31"), ("M1", B, "2023-01-01", None),  # a clean move: fine
        ("M2", A, "2023-01-01", "2023-06-30"), ("M2", B, "2023-06-30", None),  # one shared day
        ("M3", A, None, None), ("M3", B, "2024-01-01", None)])  # open period overlaps
    findings = refuse(store, tmp_path)
    assert errors(findings) == {("meter_overlap", "meters", row, "valid_from", meter)
                                for row, meter in ((4, "M2"), (5, "M2"), (6, "M3"), (7, "M3"))}
    m2 = next(f for f in findings if f.row == 4)
    assert "row 5" in m2.message_en and "第 5 行" in m2.message_zh


def test_meter_periods_must_not_overlap_the_store(store: Store, tmp_path: Path):
    write_table(tmp_path / "1", "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                             (B, "乙", "C3011", "630100", None, None)])
    write_table(tmp_path / "1", "meters", METERS, [("M1", A, None, "2023-06-30")])
    apply(store, tmp_path / "1")
    write_table(tmp_path / "2", "meters", METERS, [("M1", B, "2023-06-01", None)])
    findings = refuse(store, tmp_path / "2")
    assert errors(findings) == {("meter_overlap", "meters", 2, "valid_from", "M1")}
    assert "store" in findings[0].message_en and "库中" in findings[0].message_zh
    # moving it on the day after is fine, and so is shortening the stored period in the same batch
    write_table(tmp_path / "3", "meters", METERS, [("M1", B, "2023-07-01", None)])
    apply(store, tmp_path / "3")
    write_table(tmp_path / "4", "meters", METERS, [("M1", A, None, "2023-03-31"),
                                                   ("M1", C, "2023-04-01", "2023-06-30")])
    write_table(tmp_path / "4", "enterprises", ENTERPRISES, [(C, "丙", "C3216", "632801", None, None)])
    apply(store, tmp_path / "4")
    assert rows(store, "meters", "meter_id", "credit_code", "valid_from", "valid_to") == sorted([
        ("M1", A, None, "2023-03-31"), ("M1", C, "2023-04-01", "2023-06-30"), ("M1", B, "2023-07-01", None)],
        key=lambda r: tuple("" if v is None else v for v in r))


def test_monthly_total_and_reading_need_a_holder(store: Store, tmp_path: Path):
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None)])
    write_table(tmp_path, "meters", METERS, [("M1", A, "2023-02-01", "2023-11-30")])
    write_table(tmp_path, "consumption_monthly", MONTHLY, [
        ("M1", "2023-01", 1), ("M1", "2023-02", 1), ("M1", "2023-11", 1), ("M1", "2023-12", 1), ("M1", "2023-13", 1)])
    write_table(tmp_path, "interval_readings", READINGS, [
        ("M1", "2023-01-31T23:45", 1), ("M1", "2023-02-01T00:00", 1), ("M1", "2023-11-30T23:45", 1),
        ("M1", "2023-12-01T00:00", 1), ("M1", "garbage", 1)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("monthly_unassigned", "consumption_monthly", 2, "meter_id", "M1"),
        ("monthly_unassigned", "consumption_monthly", 5, "meter_id", "M1"),
        ("not_a_month", "consumption_monthly", 6, "month", "2023-13"),
        ("meter_unassigned", "interval_readings", 2, "meter_id", "M1"),
        ("meter_unassigned", "interval_readings", 5, "meter_id", "M1"),
        ("not_a_timestamp", "interval_readings", 6, "ts", "garbage"),
    }
    january = next(f for f in findings
                   if f.code == "monthly_unassigned" and f.row == 2 and f.table == "consumption_monthly")
    # names the meter and the month, and says what to do
    assert "M1" in january.message_en and "2023-01" in january.message_en and "meters row" in january.message_en
    assert "M1" in january.message_zh and "2023-01" in january.message_zh and "meters 记录" in january.message_zh


def test_monthly_total_goes_to_the_holder_on_the_first_else_the_last_day(store: Store, tmp_path: Path):
    """METHODOLOGY.md §3: M1 is A's from 15 February to 10 March and B's from 15 March to 20 May. A monthly
    total with a holder on neither the first nor the last day of its month is refused (never dropped)."""
    write_table(tmp_path, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                       (B, "乙", "C3011", "630100", None, None)])
    write_table(tmp_path, "meters", METERS, [("M1", A, "2023-02-15", "2023-03-10"),
                                             ("M1", B, "2023-03-15", "2023-05-20")])
    write_table(tmp_path, "consumption_monthly", MONTHLY, [("M1", f"2023-{m:02d}", m) for m in range(1, 7)])
    findings = refuse(store, tmp_path)
    # January: held on neither 1 nor 31 Jan; February: not on 1 Feb but by A on 28 Feb -> A; March: A on 1 March;
    # April: B; May: B on 1 May; June: nobody on 1 or 30 June
    assert errors(findings) == {("monthly_unassigned", "consumption_monthly", 2, "meter_id", "M1"),
                                ("monthly_unassigned", "consumption_monthly", 7, "meter_id", "M1")}


def test_certificate_retired_for_another_enterprise(store: Store, tmp_path: Path):
    gec1_a, gec1_b, gec2_b = (("GEC1", A, "2023-05", 1, "wind", "2023-12-01", "0"),
                              ("GEC1", B, "2023-05", 1, "wind", "2023-12-01", "0"),
                              ("GEC2", B, "2023-05", 1, "wind", "2023-12-01", "0"))
    base_batch(tmp_path / "1")
    write_table(tmp_path / "1", "green_certificates", CERTIFICATES, [gec1_a])
    apply(store, tmp_path / "1")
    write_table(tmp_path / "2", "green_certificates", CERTIFICATES, [gec1_b, gec2_b])
    findings = refuse(store, tmp_path / "2")
    assert errors(findings) == {("certificate_elsewhere", "green_certificates", 2, "certificate_id", "GEC1")}
    assert A in findings[0].message_en and A in findings[0].message_zh
    # the same certificate for the same enterprise is a re-send, not double counting
    write_table(tmp_path / "3", "green_certificates", CERTIFICATES, [gec1_a])
    assert ingest_batch(store, tmp_path / "3").status == "unchanged"


# -- interval readings ----------------------------------------------------------------------------------------
def test_readings_on_quarter_hours_and_profiles_on_hours(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    write_table(tmp_path, "interval_readings", READINGS, [
        ("M1", "2023-01-01T00:00", 1), ("M1", "2023-01-01T00:10", 1), ("M1", "2023-01-01T00:15:30", 1),
        ("M1", "2023-01-01T00:45:00.5", 1), ("M1", "2023-01-01T01:00", 1)])
    write_table(tmp_path, "green_trades", TRADES, [("K1", A, "2023-01", 5, "wind")])
    write_table(tmp_path, "green_trade_profiles", PROFILES, [("K1", "2023-01-01T10:00", 5),
                                                             ("K1", "2023-01-01T10:30", 5)])
    findings = refuse(store, tmp_path)
    assert errors(findings) == {
        ("not_quarter_hour", "interval_readings", 3, "ts", "2023-01-01T00:10"),
        ("not_quarter_hour", "interval_readings", 4, "ts", "2023-01-01T00:15:30"),
        ("not_quarter_hour", "interval_readings", 5, "ts", "2023-01-01T00:45:00.5"),
        ("not_hour", "green_trade_profiles", 3, "ts", "2023-01-01T10:30"),
    }


def test_interval_gaps_are_warnings_with_count_and_share(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    write_table(tmp_path, "interval_readings", READINGS, [
        ("M1", "2023-01-01T00:00", 1), ("M1", "2023-01-01T00:15", 1), ("M1", "2023-01-01T01:00", 1),  # 2 of 5 missing
        ("M2", "2023-01-01T00:00", 1), ("M2", "2023-01-01T00:15", 1)])
    result = apply(store, tmp_path)
    assert result.status == "applied" and result.counts["interval_readings"].new == 5
    (gap,) = result.findings
    assert (gap.code, gap.severity, gap.table, gap.column, gap.value, gap.row) == (
        "interval_gap", "warning", "interval_readings", "ts", "M1", None)
    assert "2 missing" in gap.message_en and "40.00%" in gap.message_en
    assert "缺少 2 个" in gap.message_zh and "40.00%" in gap.message_zh


def test_monthly_and_interval_mismatch_over_two_percent_is_a_warning(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    write_table(tmp_path, "consumption_monthly", MONTHLY, [("M1", "2023-01", 100), ("M2", "2023-01", 100)])
    quarter = [f"2023-01-01T00:{m:02d}" for m in (0, 15, 30, 45)]
    write_table(tmp_path, "interval_readings", READINGS, [("M1", ts, 24.25) for ts in quarter]  # 97: 3 % off
                + [("M2", ts, 24.5) for ts in quarter])  # 98: exactly 2 %, fine
    result = apply(store, tmp_path)
    assert result.status == "applied"
    (mismatch,) = result.findings
    assert (mismatch.code, mismatch.severity, mismatch.value) == ("monthly_mismatch", "warning", "M1")
    assert "2023-01" in mismatch.message_en and "97.0" in mismatch.message_en and "100.0" in mismatch.message_en
    assert "97.0" in mismatch.message_zh and "100.0" in mismatch.message_zh and "vs" not in mismatch.message_zh


def test_mismatch_is_checked_against_monthly_totals_in_the_store(store: Store, tmp_path: Path):
    base_batch(tmp_path / "1")
    write_table(tmp_path / "1", "consumption_monthly", MONTHLY, [("M1", "2023-01", 100)])
    apply(store, tmp_path / "1")
    write_table(tmp_path / "2", "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 50)])
    result = apply(store, tmp_path / "2")
    assert [(f.code, f.value) for f in result.findings] == [("monthly_mismatch", "M1")]
    assert "50.0" in result.findings[0].message_en


def test_mismatch_counts_the_readings_already_in_the_store(store: Store, tmp_path: Path):
    base_batch(tmp_path / "1")
    write_table(tmp_path / "1", "consumption_monthly", MONTHLY, [("M1", "2023-01", 100)])
    write_table(tmp_path / "1", "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 25),
                                                                ("M1", "2023-01-01T00:15", 25)])
    assert [(f.code, f.value) for f in apply(store, tmp_path / "1").findings] == [("monthly_mismatch", "M1")]
    # the rest of the month arrives a day later: the month now sums to its total
    write_table(tmp_path / "2", "interval_readings", READINGS, [("M1", "2023-01-01T00:30", 25),
                                                                ("M1", "2023-01-01T00:45", 25)])
    assert apply(store, tmp_path / "2").findings == []
    # a corrected reading replaces the stored one in the sum: 35 + 25 + 25 + 25 = 110
    write_table(tmp_path / "3", "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 35)])
    (mismatch,) = apply(store, tmp_path / "3").findings
    assert mismatch.code == "monthly_mismatch" and "110.0" in mismatch.message_en and "110.0" in mismatch.message_zh


# -- a refused batch ------------------------------------------------------------------------------------------
def test_refused_batch_changes_nothing_and_lists_every_problem(store: Store, tmp_path: Path):
    base_batch(tmp_path / "1")
    write_table(tmp_path / "1", "consumption_monthly", MONTHLY, [("M1", "2023-01", 100)])
    write_table(tmp_path / "1", "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 25)])
    apply(store, tmp_path / "1")
    before = store_state(store)

    bad = tmp_path / "2"  # good new rows, corrections and several problems in several tables
    write_table(bad, "enterprises", ENTERPRISES, [(C, "丙", "C3216", "632801", None, None),
                                                  (A, "甲（更名）", "C3216", "632801", None, None)])
    write_table(bad, "meters", METERS, [("M3", C, None, None), ("M4", UNKNOWN, None, None)])
    write_table(bad, "consumption_monthly", MONTHLY, [("M1", "2023-01", 120), ("M3", "2023-01", "x"),
                                                      ("M1", "2023-02", -1)])
    write_table(bad, "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 30), ("M3", "2023-02-01T00:00", 1),
                                                     ("M1", "2023-01-01T00:05", 1)])
    write_table(bad, "economics", ECONOMICS, [(A, 2023, None, None)])
    findings = refuse(store, bad)
    assert errors(findings) == {
        ("unknown_reference", "meters", 3, "credit_code", UNKNOWN),
        ("not_a_number", "consumption_monthly", 3, "kwh", "x"),
        ("negative", "consumption_monthly", 4, "kwh", "-1"),
        ("not_quarter_hour", "interval_readings", 4, "ts", "2023-01-01T00:05"),
        ("economics_empty", "economics", 2, "value_added_10k_cny", ""),
    }
    assert all(f.file and f.file.endswith(".csv") for f in findings if f.severity == "error")
    assert store_state(store) == before
    with store.engine.connect() as con:
        assert con.execute(sa.select(sa.func.count()).select_from(schema.batches)).scalar() == 1


def test_many_rows_with_one_problem_are_summarised(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(validate, "LIMIT", 3)
    base_batch(tmp_path)
    write_table(tmp_path, "consumption_monthly", MONTHLY, [("M1", f"2023-{m:02d}", "x") for m in range(1, 8)])
    findings = refuse(store, tmp_path)
    assert [(f.code, f.row) for f in findings] == [("not_a_number", 2), ("not_a_number", 3), ("not_a_number", 4),
                                                   ("more_rows", None)]
    assert findings[-1].value == "4" and "4 more rows" in findings[-1].message_en


# -- --partial ------------------------------------------------------------------------------------------------
def partial_batch(folder: Path) -> Path:
    write_table(folder, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                     (B, "乙", "C99", "630100", None, None)])
    write_table(folder, "meters", METERS, [("M1", A, None, None), ("M2", B, None, None)])
    write_table(folder, "consumption_monthly", MONTHLY, [("M1", "2023-01", 100), ("M1", "2023-02", "1O0"),
                                                         ("M2", "2023-01", 50)])
    write_table(folder, "interval_readings", READINGS, [("M1", "2023-01-01T00:00", 1), ("M2", "2023-01-01T00:00", 2),
                                                        ("M1", "2023-01-01T00:10", 3)])
    return folder


def test_partial_applies_good_rows_and_quarantines_the_rest(store: Store, tmp_path: Path):
    result = apply(store, partial_batch(tmp_path / "b"), partial=True)
    assert result.status == "partial"
    assert {t: (c.new, c.quarantined) for t, c in result.counts.items()} == {
        "enterprises": (1, 1), "meters": (1, 1), "consumption_monthly": (1, 2), "interval_readings": (1, 2)}
    assert rows(store, "enterprises", "credit_code") == [(A,)]
    assert rows(store, "meters", "meter_id") == [("M1",)]
    assert rows(store, "consumption_monthly", "meter_id", "month", "kwh") == [("M1", "2023-01", 100.0)]
    with store.engine.connect() as con:
        assert con.execute(sa.select(schema.batches.c.status)).scalar() == "partial"

    entries = list_quarantine(store)
    ledger = {(e.table, e.row): [r["code"] for r in e.reasons] for e in entries if e.row is not None}  # type: ignore[index]
    assert ledger == {("enterprises", 3): ["bad_industry_code"], ("meters", 3): ["rejected_reference"],
                      ("consumption_monthly", 3): ["not_a_number"], ("consumption_monthly", 4): ["rejected_reference"]}
    (lake,) = [e for e in entries if e.row is None]
    assert (lake.table, lake.n_rows, lake.batch_id, lake.state) == ("interval_readings", 2, result.batch_id, "open")
    assert {r["code"] for r in lake.reasons} == {"not_quarter_hour", "rejected_reference"}  # type: ignore[index]
    assert all(CJK.search(r["zh"]) for e in entries for r in e.reasons)  # type: ignore[index]


def test_quarantine_is_exported_fixed_and_ingested_again(store: Store, tmp_path: Path):
    result = apply(store, partial_batch(tmp_path / "b"), partial=True)
    out = tmp_path / "again"
    assert result.batch_id is not None
    assert export_quarantine(store, result.batch_id, out) == {"enterprises": 1, "meters": 1, "consumption_monthly": 2,
                                                              "interval_readings": 2}
    assert list_quarantine(store) == []
    assert [e.state for e in list_quarantine(store, include_resubmitted=True)] == ["resubmitted"] * 5

    def read(table: str) -> list[dict[str, str]]:
        with (out / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f))

    assert read("enterprises") == [{"credit_code": B, "name": "乙", "industry_code": "C99", "region_code": "630100",
                                    "opened_on": "", "closed_on": ""}]
    assert [(r["meter_id"], r["month"], r["kwh"]) for r in read("consumption_monthly")] == [
        ("M1", "2023-02", "1O0"), ("M2", "2023-01", "50")]
    assert [(r["meter_id"], r["ts"], r["kwh"]) for r in read("interval_readings")] == [
        ("M2", "2023-01-01T00:00", "2"), ("M1", "2023-01-01T00:10", "3")]

    assert (out / "enterprises.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    # the operator fixes the three bad cells and sends the files back
    for table, old, new in (("enterprises", "C99", "C3011"), ("consumption_monthly", "1O0", "100"),
                            ("interval_readings", "00:10", "00:15")):
        path = out / f"{table}.csv"
        path.write_text(path.read_text(encoding="utf-8-sig").replace(old, new), encoding="utf-8-sig")
    again = apply(store, out)
    assert again.status == "applied"
    assert rows(store, "consumption_monthly", "meter_id", "month", "kwh") == [
        ("M1", "2023-01", 100.0), ("M1", "2023-02", 100.0), ("M2", "2023-01", 50.0)]
    assert rows(store, "enterprises", "credit_code", "industry_code") == [(A, "C3216"), (B, "C3011")]
    assert again.counts["interval_readings"].new == 2


def test_partial_still_refuses_unreadable_files(store: Store, tmp_path: Path):
    base_batch(tmp_path)
    write_table(tmp_path, "consumption_monthly", ["meter_id", "month", "kwh", "note"], [("M1", "2023-01", 1, "x")])
    findings = refuse(store, tmp_path, partial=True)
    assert errors(findings) == {("extra_column", "consumption_monthly", 1, "note", "note")}
    assert store_state(store)[0]["batches"] == []


def test_export_of_a_batch_without_quarantine_is_a_usage_error(store: Store, tmp_path: Path):
    result = apply(store, base_batch(tmp_path / "b"))
    with pytest.raises(UsageError):
        export_quarantine(store, result.batch_id or 0, tmp_path / "out")


# -- the command line -----------------------------------------------------------------------------------------
def dianta(*args: str | Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "dianta"
    env = {**os.environ, "COLUMNS": "400", "DIANTA_USER": "cli-tester"}
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def test_cli_exit_codes(tmp_path: Path):
    db = tmp_path / "store"
    bad = tmp_path / "bad"
    write_table(bad, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                  (B, "乙", "C99", "630100", None, None)])
    proc = dianta("--db", db, "ingest", bad)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    # one line of the findings table: file, row, column, value, then the reason in English and Chinese
    assert re.search(r"enterprises\.csv\W+3\W+industry_code\W+C99\W+'C99' is not a GB/T 4754-2017", out), out
    assert "行业代码" in out

    good = base_batch(tmp_path / "good")
    proc = dianta("--db", db, "ingest", good, "--reason", "first load")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "batch 1 applied" in proc.stdout
    with Store(db).engine.connect() as con:
        assert con.execute(sa.select(schema.batches.c.received_by, schema.batches.c.reason)).one() == (
            "cli-tester", "first load")

    proc = dianta("--db", db, "ingest", partial_batch(tmp_path / "partial"), "--partial")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "partial" in proc.stdout and "C99" in proc.stderr

    assert dianta("--db", db, "ingest").returncode == 2  # no folder
    missing = dianta("--db", db, "ingest", tmp_path / "nowhere")
    assert missing.returncode == 2 and "not a folder" in missing.stderr
    assert dianta("--db", db, "ingest", good, "--no-such-option").returncode == 2
