"""Broken and hostile files against ingest: always applied or refused with findings, never a crash, a hang or
a half-applied batch; what ends up in spreadsheets never runs as a formula."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import credit_code, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from dianta.accounts.export import render
from dianta.errors import InputRefused
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store

HEADER = "credit_code,name,industry_code,region_code\n"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(tmp_path_factory.mktemp("hostile") / "store")


def _batches(store: Store) -> int:
    with store.engine.connect() as con:
        return con.execute(sa.select(sa.func.count()).select_from(schema.batches)).scalar_one()


def _outcome(store: Store, folder: Path) -> str:
    """Ingest and say what happened; a refusal must leave the store as it was."""
    before = _batches(store)
    try:
        result = ingest_batch(store, folder)
    except InputRefused as refused:
        assert refused.findings, "a refusal names its reasons"
        for f in refused.findings:
            assert f.message_en and f.message_zh and f.file, f
        assert _batches(store) == before
        return "refused"
    return result.status


def _folder(root: Path, name: str, content: bytes) -> Path:
    import uuid

    folder = root / uuid.uuid4().hex
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    return folder


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(content=st.binary(max_size=2000))
def test_random_bytes_as_a_table_are_refused_or_applied(store: Store, tmp_path_factory, content: bytes):
    assert _outcome(store, _folder(tmp_path_factory.getbasetemp(), "enterprises.csv", content)) in (
        "refused", "applied", "unchanged")


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(cells=st.lists(st.lists(st.text(max_size=30), min_size=1, max_size=6), min_size=1, max_size=8))
def test_random_cells_are_refused_or_applied(store: Store, tmp_path_factory, cells: list[list[str]]):
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["meter_id", "month", "kwh"])
    writer.writerows(cells)
    outcome = _outcome(store, _folder(tmp_path_factory.getbasetemp(), "consumption_monthly.csv",
                                      buf.getvalue().encode("utf-8", "surrogatepass")))
    assert outcome in ("refused", "applied", "unchanged")


@pytest.mark.parametrize("value, code", [("NaN", "not_a_number"), ("Infinity", "not_a_number"),
                                         ("-Infinity", "not_a_number"), ("1e309", "not_a_number"),
                                         ("-5", "negative"), ("12abc", "not_a_number")])
def test_numbers_that_are_not(store: Store, tmp_path: Path, value: str, code: str):
    write_table(tmp_path, "meters", ["meter_id", "credit_code"], [("M-H1", credit_code(1))])
    write_table(tmp_path, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(credit_code(1), "甲", "C3216", "630100")])
    (tmp_path / "consumption_monthly.csv").write_text(f"meter_id,month,kwh\nM-H1,2023-01,{value}\n")
    with pytest.raises(InputRefused) as refused:
        ingest_batch(store, tmp_path)
    assert [(f.code, f.row, f.column) for f in refused.value.findings] == [(code, 2, "kwh")]


def test_1e308_is_a_number(store: Store, tmp_path: Path):
    """The largest finite doubles are numbers (absurd, but the checks are about form, not plausibility)."""
    write_table(tmp_path, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(credit_code(2), "乙", "C3216", "630100")])
    write_table(tmp_path, "meters", ["meter_id", "credit_code"], [("M-H2", credit_code(2))])
    (tmp_path / "consumption_monthly.csv").write_text("meter_id,month,kwh\nM-H2,2023-01,1e308\n")
    assert ingest_batch(store, tmp_path).status == "applied"


@pytest.mark.parametrize("name, content, expected", [
    ("enterprises.csv", HEADER.replace("name", "credit_code").encode() + b"x,y,z,w\n", "duplicate_column"),
    ("enterprises.csv", (HEADER + f"{credit_code(3)},{'x' * (20 * 2**20)},C3216,630100\n").encode(), "too_long"),
    ("enterprises.csv", (HEADER + f"{credit_code(3)},{'x' * 600},C3216,630100\n").encode(), "too_long"),
    ("interval_readings.parquet", b"PAR1 this is not really parquet", "unreadable"),
    ("batch.xlsx", b"PK\x03\x04 truncated", "unreadable"),
    ("enterprises.csv", b"\xff\xfe\x00\x00garbage\x00\x00", "encoding"),
])
def test_broken_files_are_refused_with_a_reason(store: Store, tmp_path: Path, name: str, content: bytes,
                                                 expected: str):
    folder = _folder(tmp_path, name, content)
    with pytest.raises(InputRefused) as refused:
        ingest_batch(store, folder)
    assert expected in {f.code for f in refused.value.findings}, refused.value.findings


def test_a_truncated_parquet_file_is_refused(store: Store, tmp_path: Path):
    buf = io.BytesIO()
    pq.write_table(pa.table({"meter_id": ["M1"] * 100, "ts": pa.array(range(100), pa.timestamp("s")),
                             "kwh": [1.0] * 100}), buf)
    folder = _folder(tmp_path, "interval_readings.parquet", buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(InputRefused) as refused:
        ingest_batch(store, folder)
    assert {f.code for f in refused.value.findings} == {"unreadable"}


def test_formulas_in_text_never_run_in_the_exports():
    record = {"credit_code": credit_code(4), "name": '=HYPERLINK("http://evil.example","点我")', "year": 2023}
    csv_text = render([record], "csv").decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text
    sheet = load_workbook(io.BytesIO(render([record], "xlsx"))).active
    names = [c.value for row in sheet.iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert names == ['\'=HYPERLINK("http://evil.example","点我")']
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]  # no formula cell at all
