"""GREEN-POWER.md §9c through the real ledger, lake and engines: ``storage_interval`` ingested (CSV and Parquet),
its rules, corrections, the storage script on DuckDB and Spark, and each owner's hourly green supply."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import sqlglot
from conftest import ENTERPRISES, credit_code, write_table
from numpy.testing import assert_allclose

from dianta.accounts.storage import storage_green_supply, storage_inputs
from dianta.engine.base import ParquetInput
from dianta.engine.choice import get_engine
from dianta.engine.queries import STORAGE_SCRIPT
from dianta.errors import InputRefused
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store

A, B, C, D = credit_code(1), credit_code(2), credit_code(3), credit_code(4)
STORAGE = ["credit_code", "ts", "kwh_charged", "kwh_discharged"]
ONSITE_INTERVAL = ["credit_code", "ts", "kwh"]
TS = pa.timestamp("us")
CJK = re.compile(r"[\u4e00-\u9fff]")
MARCH_1 = (31 + 28) * 24  # index of 2023-03-01 00:00 among the hours of 2023


def _enterprises(folder: Path) -> None:
    write_table(folder, "enterprises", ENTERPRISES, [
        (A, "园区能源公司", "D4416", "630100", None, None),  # generation and storage
        (B, "储能电站公司", "D4420", "630100", None, None),  # storage, no generation
        (C, "光伏企业", "C3216", "630100", None, None),  # generation, no storage
        (D, "储能数据有误公司", "D4420", "630100", None, None),  # discharges more than it charges
    ])


STORAGE_ROWS = [
    (A, "2023-03-01 10:00", 3, 0), (A, "2023-03-01 10:15", 3, 0), (A, "2023-03-01 11:00", 4, 0),
    (A, "2023-03-01 19:00", 0, 4), (A, "2023-03-01 19:30", 0, 2), (A, "2023-03-01 20:00", 0, 3),
    (A, "2024-01-01 00:00", 0, 100),  # next year: not in 2023's pools
    (B, "2023-03-01 02:00", 5, 0), (B, "2023-03-01 08:00", 0, 5),
    (D, "2023-03-01 12:00", 2, 0), (D, "2023-03-01 13:00", 0, 3),
]
GENERATION_ROWS = [
    *[(A, f"2023-03-01 10:{m:02d}", 2.5) for m in (0, 15, 30, 45)], (A, "2023-03-01 11:00", 2),
    (C, "2023-03-01 10:00", 10),
]


def _batch(folder: Path, fmt: str) -> Path:
    _enterprises(folder)
    write_table(folder, "onsite_generation_interval", ONSITE_INTERVAL, GENERATION_ROWS)
    if fmt == "csv":
        write_table(folder, "storage_interval", STORAGE, STORAGE_ROWS)
    else:
        pq.write_table(pa.table({
            "credit_code": [r[0] for r in STORAGE_ROWS],
            "ts": pa.array([dt.datetime.fromisoformat(r[1]) for r in STORAGE_ROWS], TS),
            "kwh_charged": pa.array([float(r[2]) for r in STORAGE_ROWS]),
            "kwh_discharged": pa.array([float(r[3]) for r in STORAGE_ROWS])}), folder / "storage_interval.parquet")
    return folder


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_green_supply_of_each_storage_owner_worked_by_hand(store: Store, tmp_path: Path, fmt: str):
    """2023-03-01, hours by hand (GREEN-POWER.md §9c):

    A: generation 10 kWh at 10:00 (4 × 2.5) and 2 at 11:00; charge 6 at 10:00 (3 + 3), 4 at 11:00; discharge 6
       at 19:00 (4 + 2), 3 at 20:00. η = 9 / 10 = 0.9 (the 100 kWh of 2024-01-01 belong to 2024).
       10:00 charge 6 ≤ generation 10: all green; green pool 6 × 0.9 = 5.4; supply 10 − 6 = 4.
       11:00 charge 4 > generation 2: 2 green, 2 grid; pools 5.4 + 1.8 = 7.2 and 1.8; supply 2 − 2 = 0.
       19:00 pools 7.2 + 1.8 = 9.0, green share 0.8: discharge 6 → 4.8 green, 1.2 grid; pools 2.4 and 0.6;
             supply 4.8.
       20:00 pools 3.0, share 0.8: discharge 3 → 2.4 green, 0.6 grid; pools empty; supply 2.4.
       Σ supply 11.2 = generation 12 − green charged 8 + green discharged 0.9 × 8.
    B: no generation: charge 5 at 02:00 is grid (η = 1); discharge 5 at 08:00 all grid; supply 0.
    C: generation only, no storage: not a storage owner.
    D: charge 2 at 12:00, discharge 3 at 13:00: the data say η = 1.5 → 1, with a warning; no generation, so
       its pools are grid: 2 from the grid pool and 1 beyond it, all grid; supply 0.
    """
    ingest_batch(store, _batch(tmp_path / "b", fmt))
    got = storage_green_supply(store, 2023)
    assert got.credit_codes == tuple(sorted((A, B, D)))
    assert len(got.hours) == 8760 and str(got.hours[MARCH_1]) == "2023-03-01T00"
    a, b, d = (got.credit_codes.index(x) for x in (A, B, D))
    f = got.flows
    assert_allclose(f.efficiency[[a, b, d]], [0.9, 1.0, 1.0])
    assert f.efficiency_capped[[a, b, d]].tolist() == [False, False, True]

    supply_a = np.zeros(8760)
    supply_a[MARCH_1 + np.array([10, 19, 20])] = [4.0, 4.8, 2.4]
    assert_allclose(got.green_supply_kwh(A), supply_a, atol=1e-12)
    assert_allclose(f.kwh_green_discharged[a, MARCH_1 + 19], 4.8)
    assert_allclose(f.kwh_grid_discharged[a, MARCH_1 + 19], 1.2)
    assert_allclose(f.kwh_green_pool[a, MARCH_1 + np.array([10, 11, 19, 20])], [5.4, 7.2, 2.4, 0.0], atol=1e-12)
    assert_allclose(f.kwh_grid_pool[a, MARCH_1 + np.array([10, 11, 19, 20])], [0.0, 1.8, 0.6, 0.0], atol=1e-12)
    assert_allclose(got.kwh_generated[a].sum(), 12.0)
    assert got.green_supply_kwh(A).sum() == pytest.approx(11.2)

    assert_allclose(got.green_supply_kwh(B), 0.0)
    assert_allclose(f.kwh_grid_discharged[b, MARCH_1 + 8], 5.0)
    assert_allclose(got.green_supply_kwh(C), 0.0)  # no storage: nothing of its own here
    assert_allclose(f.kwh_grid_discharged[d, MARCH_1 + 13], 3.0)
    assert_allclose(got.green_supply_kwh(D), 0.0)

    (warning,) = got.findings
    assert (warning.code, warning.severity, warning.table, warning.value) == (
        "storage_efficiency_capped", "warning", "storage_interval", D)
    assert "3.0 kWh" in warning.message_en and "2.0 kWh" in warning.message_en and "2023" in warning.message_en
    assert CJK.search(warning.message_zh) and "充放电效率按 1 计" in warning.message_zh

    # 2024: A's one discharge, with nothing stored (pools start each year empty): η = 1 (nothing charged), grid
    next_year = storage_green_supply(store, 2024)
    assert next_year.credit_codes == (A,) and len(next_year.hours) == 8784
    assert_allclose(next_year.flows.kwh_grid_discharged.sum(), 100.0)
    assert next_year.green_supply_kwh(A).sum() == 0.0


def test_a_corrected_storage_row_changes_the_pools_and_keeps_its_old_values(tmp_path: Path):
    """A's 19:00 discharge re-sent as 4 → 6 (Σ discharge 11 > Σ charge 10: η capped at 1): the lake holds the new
    row, the batch's history file the old values of both value columns, and the pools follow."""
    store = Store(tmp_path / "store")
    ingest_batch(store, _batch(tmp_path / "b1", "csv"))
    write_table(tmp_path / "b2", "storage_interval", STORAGE, [(A, "2023-03-01 19:00", 0, 6)])
    result = ingest_batch(store, tmp_path / "b2")
    assert result.counts["storage_interval"].corrected == 1
    with store.engine.connect() as con:
        h = schema.history.c
        (key,) = con.execute(sa.select(h.row_key).where(h.table_name == "storage_interval")).scalars().all()
    old = pq.read_table(store.lake / key.removeprefix("lake:")).to_pylist()
    assert [(r["credit_code"], r["kwh_discharged"], r["old_kwh_charged"], r["old_kwh_discharged"]) for r in old] == [
        (A, 6.0, 0.0, 4.0)]
    got = storage_green_supply(store, 2023)
    a = got.credit_codes.index(A)
    # η = 1: pools 6 green at 10:00, 8 green + 2 grid at 11:00; 19:00 discharge 8 → share 0.8: 6.4 green, 1.6 grid;
    # pools 1.6 and 0.4; 20:00 discharge 3 → 2.0 from the pools (1.6 green, 0.4 grid) and 1 beyond, grid
    assert_allclose(got.flows.kwh_green_discharged[a, MARCH_1 + np.array([19, 20])], [6.4, 1.6])
    assert_allclose(got.flows.kwh_grid_discharged[a, MARCH_1 + np.array([19, 20])], [1.6, 1.4])
    assert {f.value for f in got.findings} == {A, D}
    store.close()


# -- ingest rules (DATA-REQUIREMENTS.md: storage_interval) -------------------------------------------------------
def test_bad_storage_rows_are_named_in_chinese_and_english(store: Store, tmp_path: Path):
    _enterprises(tmp_path)
    unknown = credit_code(99)
    write_table(tmp_path, "storage_interval", STORAGE, [
        (A, "2023-03-01 10:00", 3, 0),
        (A, "2023-03-01 10:05", 3, 0),  # not on a 15-minute boundary
        (A, "2023-03-01 10:30", -1, 0),  # negative
        (A, "2023-03-01 10:45", 0, "abc"),  # not a number
        (unknown, "2023-03-01 10:00", 1, 0),  # no such enterprise
        (A, "2023-03-01 10:00", 2, 0),  # the key again
    ])
    with pytest.raises(InputRefused) as info:
        ingest_batch(store, tmp_path)
    found = info.value.findings
    for f in found:
        assert f.message_en.strip() and CJK.search(f.message_zh) and "{" not in f.message_en + f.message_zh, f
    assert {(f.code, f.row, f.column, f.value) for f in found if f.severity == "error"} >= {
        ("not_quarter_hour", 3, "ts", "2023-03-01 10:05"),
        ("negative", 4, "kwh_charged", "-1"),
        ("not_a_number", 5, "kwh_discharged", "abc"),
        ("unknown_reference", 6, "credit_code", unknown),
    }
    assert {f.table for f in found} == {"storage_interval"} and {f.file for f in found} == {"storage_interval.csv"}
    assert any(f.code == "duplicate_key" and f.row in (2, 7) for f in found)
    negative = next(f for f in found if f.code == "negative")
    assert negative.message_en == "-1 is negative; energy and money are never negative"
    assert negative.message_zh == "-1 为负数；电量和金额不能为负"
    with store.engine.connect() as con:  # refused: nothing applied
        assert con.execute(sa.select(sa.func.count()).select_from(schema.batches)).scalar() == 0


def test_a_partial_batch_quarantines_the_bad_storage_row(tmp_path: Path):
    store = Store(tmp_path / "store")
    _enterprises(tmp_path / "b")
    write_table(tmp_path / "b", "storage_interval", STORAGE, [(A, "2023-03-01 10:00", 3, 0),
                                                                (A, "2023-03-01 10:30", -1, 0)])
    result = ingest_batch(store, tmp_path / "b", partial=True)
    assert result.counts["storage_interval"].new == 1 and result.counts["storage_interval"].quarantined == 1
    with store.engine.connect() as con:
        (reasons,) = con.execute(sa.select(schema.quarantine.c.reasons_json)
                                 .where(schema.quarantine.c.table_name == "storage_interval")).scalars().all()
    assert [(r["code"], r["column"]) for r in json.loads(reasons)] == [("negative", "kwh_charged")]
    assert_allclose(storage_green_supply(store, 2023).kwh_charged.sum(), 3.0)
    store.close()


# -- the storage script on each engine ---------------------------------------------------------------------------
@pytest.mark.parametrize("statement", STORAGE_SCRIPT, ids=lambda s: s.name)
def test_every_storage_statement_parses_for_duckdb_and_spark(statement):
    """DESIGN.md: kept to the SQL subset DuckDB and Spark share, as YEAR_SCRIPT."""
    sqlglot.parse_one(statement.sql, read="duckdb")
    spark = sqlglot.transpile(statement.sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert spark and "SELECT" in spark[0].upper()


def _random_inputs(tmp_path: Path) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """Three owners' 15-minute storage rows and generation over ten days of 2023 (some in 2022 and 2024, out of
    the year), and a generator without storage; the expected hourly sums of the owners in 2023."""
    rng = np.random.default_rng(15)
    start = dt.datetime(2022, 12, 31, 20)
    quarters = [start + dt.timedelta(minutes=15 * i) for i in range(96 * 10)]
    owners = ["e1", "e2", "e3"]
    charged, discharged = rng.uniform(0, 4, (3, len(quarters))), rng.uniform(0, 4, (3, len(quarters)))
    charged[rng.random(charged.shape) < 0.5] = 0.0
    generated = rng.uniform(0, 6, (4, len(quarters)))
    storage = pa.table({"credit_code": np.repeat(owners, len(quarters)), "ts": pa.array(quarters * 3, TS),
                        "kwh_charged": charged.ravel(), "kwh_discharged": discharged.ravel()})
    onsite = pa.table({"credit_code": np.repeat([*owners, "plain"], len(quarters)),
                       "ts": pa.array(quarters * 4, TS), "kwh": generated.ravel()})
    files = {}
    for name, table in (("storage_interval", storage), ("onsite_interval", onsite)):
        files[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, files[name])
    inputs = {
        "storage_interval": ParquetInput((files["storage_interval"],), storage.schema),
        "onsite_interval": ParquetInput((files["onsite_interval"],), onsite.schema),
        "bounds": pa.table({"prev_start": pa.array([dt.datetime(2022, 1, 1)], TS),
                            "y_start": pa.array([dt.datetime(2023, 1, 1)], TS),
                            "y_end": pa.array([dt.datetime(2024, 1, 1)], TS)}),
    }
    in_year = 16  # 2022-12-31 20:00 + 16 quarters = 2023-01-01 00:00; ten days end on 2023-01-10 20:00
    hourly = [a[:3, in_year:].reshape(3, -1, 4).sum(axis=2) for a in (generated, charged, discharged)]
    return inputs, *hourly


def test_storage_script_sums_the_owners_hours(tmp_path: Path, engine_name: str):
    """Each engine gives the owners' hourly sums within the year, the generator without storage left out."""
    inputs, gen, charged, discharged = _random_inputs(tmp_path)
    out = get_engine(engine_name).run(STORAGE_SCRIPT, inputs)["storage_hour"].sort_by([("credit_code", "ascending"),
                                                                                        ("hour", "ascending")])
    assert set(out.column("credit_code").to_pylist()) == {"e1", "e2", "e3"}
    hours = out.column("hour").to_pylist()
    assert min(hours) == dt.datetime(2023, 1, 1) and max(hours) < dt.datetime(2024, 1, 1)
    n = gen.shape[1]
    assert out.num_rows == 3 * n
    assert_allclose(np.asarray(out.column("kwh_generated")).reshape(3, n), gen, rtol=1e-12)
    assert_allclose(np.asarray(out.column("kwh_charged")).reshape(3, n), charged, rtol=1e-12)
    assert_allclose(np.asarray(out.column("kwh_discharged")).reshape(3, n), discharged, rtol=1e-12)


def test_the_engines_agree_on_the_storage_script(tmp_path: Path, spark_engine_name: str):
    """The storage script on a store's lake, DuckDB against Spark: the same rows, numbers to 1e-9 relative."""
    store = Store(tmp_path / "store")
    ingest_batch(store, _batch(tmp_path / "b", "parquet"))
    with store.snapshot() as view:
        inputs = storage_inputs(view, store, 2023)
    keys = [("credit_code", "ascending"), ("hour", "ascending")]
    duck = get_engine("duckdb").run(STORAGE_SCRIPT, inputs)["storage_hour"].sort_by(keys)
    spark = get_engine(spark_engine_name).run(STORAGE_SCRIPT, inputs)["storage_hour"].sort_by(keys)
    assert duck.num_rows == spark.num_rows > 0
    assert duck.column("credit_code").to_pylist() == spark.column("credit_code").to_pylist()
    assert duck.column("hour").to_pylist() == spark.column("hour").to_pylist()
    for column in ("kwh_generated", "kwh_charged", "kwh_discharged"):
        assert_allclose(np.asarray(spark.column(column)), np.asarray(duck.column(column)), rtol=1e-9)
    a = storage_green_supply(store, 2023, engine=spark_engine_name)
    assert a.green_supply_kwh(A).sum() == pytest.approx(11.2)
    store.close()
