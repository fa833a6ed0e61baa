"""The aggregation script: written once, right on both engines (DuckDB, and Spark in local[2] mode), and the
engines agree to 1e-9 relative on a whole sample province."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
import sqlglot
from conftest import same_record
from numpy.testing import assert_allclose

from dianta.accounts.inputs import HOURLY_SCHEMA
from dianta.calc import matching
from dianta.engine.base import ParquetInput
from dianta.engine.choice import get_engine
from dianta.engine.queries import PREV_MATCHING, YEAR_SCRIPT, year_script
from dianta.errors import UsageError

TS = pa.timestamp("us")


@pytest.mark.parametrize("statement", [*YEAR_SCRIPT, *PREV_MATCHING], ids=lambda s: s.name)
def test_every_statement_parses_for_duckdb_and_spark(statement):
    """DESIGN.md: the SQL is kept to the subset DuckDB and Spark share; sqlglot must parse and translate it."""
    sqlglot.parse_one(statement.sql, read="duckdb")
    spark = sqlglot.transpile(statement.sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert spark and "SELECT" in spark[0].upper()


def test_unknown_engine_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown engine 'nope'"):
        get_engine("nope")


def _inputs(readings: pa.Table, profiles: pa.Table, trades: pa.Table, onsite: pa.Table, tmp_path) -> dict:
    import pyarrow.parquet as pq

    paths = {}
    for name, table in (("readings", readings), ("profiles", profiles), ("onsite_interval", onsite)):
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return {
        "readings": ParquetInput((paths["readings"],), readings.schema),
        "hourly": ParquetInput((), HOURLY_SCHEMA),
        "meters": pa.table({"meter_id": ["m1", "m2"], "credit_code": ["e1", "e1"],
                            "valid_from_ts": pa.array([dt.datetime(1900, 1, 1)] * 2, TS),
                            "valid_to_excl_ts": pa.array([dt.datetime(2300, 1, 1)] * 2, TS)}),
        "bounds": pa.table({"prev_start": pa.array([dt.datetime(2022, 1, 1)], TS),
                            "y_start": pa.array([dt.datetime(2023, 1, 1)], TS),
                            "y_end": pa.array([dt.datetime(2024, 1, 1)], TS)}),
        "tou": pa.table({"hour": pa.array(range(24), pa.int64()), "period": ["flat"] * 24}),
        "onsite_interval": ParquetInput((paths["onsite_interval"],), onsite.schema),
        "trades": trades,
        "profiles": ParquetInput((paths["profiles"],), profiles.schema),
    }


def test_matching_equals_the_pure_function(tmp_path, engine_name):
    """Σ_h min(L_h, G_h) from each engine equals calc.matching on the same hourly series (METHODOLOGY.md §7)."""
    rng = np.random.default_rng(3)
    start = dt.datetime(2023, 3, 1)
    quarters = [start + dt.timedelta(minutes=15 * i) for i in range(96 * 10)]
    kwh1, kwh2 = rng.uniform(0, 5, len(quarters)), rng.uniform(0, 5, len(quarters))
    readings = pa.table({"meter_id": ["m1"] * len(quarters) + ["m2"] * len(quarters),
                         "ts": pa.array(quarters * 2, TS), "kwh": np.concatenate([kwh1, kwh2])})
    hours = [start + dt.timedelta(hours=h) for h in range(240)]
    profile = rng.uniform(0, 40, len(hours))
    profiles = pa.table({"contract_id": ["k"] * len(hours), "ts": pa.array(hours, TS), "kwh": profile})
    # the contract is settled 300 to e1 and 100 to e2 in March: e1 gets 3/4 of the profile, whether or not the
    # contract lies inside e2's market boundary (GREEN-POWER.md §9: shares over all holders, then filtered)
    trades = pa.table({"contract_id": ["k", "k"], "credit_code": ["e1", "e2"],
                       "month_start": pa.array([dt.datetime(2023, 3, 1)] * 2, TS), "kwh": [300.0, 100.0],
                       "in_boundary": [True, False]})
    onsite_vals = rng.uniform(0, 3, len(hours))
    onsite = pa.table({"credit_code": ["e1"] * len(hours), "ts": pa.array(hours, TS), "kwh": onsite_vals})
    out = get_engine(engine_name).run(YEAR_SCRIPT, _inputs(readings, profiles, trades, onsite, tmp_path))

    load_h = (kwh1 + kwh2).reshape(-1, 4).sum(axis=1) + onsite_vals
    green_h = onsite_vals + profile * matching.share_of_contract(300, 400)
    rows = [r for r in out["matching"].to_pylist() if r["credit_code"] == "e1"]
    assert {(r["month"], r["hour_of_day"]) for r in rows} == {(3, h) for h in range(24)}
    assert_allclose(sum(r["matched_kwh"] for r in rows), matching.matched_kwh(load_h, green_h).sum(), rtol=1e-12)
    assert_allclose(sum(r["load_kwh"] for r in rows), load_h.sum(), rtol=1e-12)
    # the 07:00 cell holds the ten days' 07:00 hours
    seven = next(r for r in rows if r["hour_of_day"] == 7)
    assert_allclose(seven["matched_kwh"], matching.matched_kwh(load_h[7::24], green_h[7::24]).sum(), rtol=1e-12)
    stats = out["ent_stats"].to_pylist()[0]
    assert stats["n"] == len(quarters)
    assert_allclose(stats["peak_q"], (kwh1 + kwh2).max())
    months = out["meter_month"].to_pylist()
    assert_allclose(sorted(m["kwh"] for m in months), sorted([kwh1.sum(), kwh2.sum()]))


def test_previous_year_matching_runs_the_same_statements(tmp_path, engine_name):
    """Under the hourly market-based method the script matches Y−1 too (GREEN-POWER.md §9b): the same load and
    profile in March 2022 and March 2023 give the same load; the 2022 settlement lies outside the boundary, so
    nothing of 2022 is matched, while 2023 matches Σ min(L_h, G_h)."""
    rng = np.random.default_rng(5)
    quarters = [dt.datetime(2023, 3, 1) + dt.timedelta(minutes=15 * i) for i in range(96 * 3)]
    kwh = rng.uniform(0, 5, len(quarters))
    readings = pa.table({"meter_id": ["m1"] * 2 * len(quarters),
                         "ts": pa.array(quarters + [q.replace(year=2022) for q in quarters], TS),
                         "kwh": np.concatenate([kwh, kwh])})
    hours = [dt.datetime(2023, 3, 1) + dt.timedelta(hours=h) for h in range(72)]
    supply = rng.uniform(0, 15, len(hours))
    profiles = pa.table({"contract_id": ["k"] * 2 * len(hours),
                         "ts": pa.array(hours + [h.replace(year=2022) for h in hours], TS),
                         "kwh": np.concatenate([supply, supply])})
    trades = pa.table({"contract_id": ["k", "k"], "credit_code": ["e1", "e1"],
                       "month_start": pa.array([dt.datetime(2023, 3, 1), dt.datetime(2022, 3, 1)], TS),
                       "kwh": [1e6, 1e6], "in_boundary": [True, False]})
    onsite = pa.table({"credit_code": pa.array([], pa.string()), "ts": pa.array([], TS),
                       "kwh": pa.array([], pa.float64())})
    out = get_engine(engine_name).run(year_script(True), _inputs(readings, profiles, trades, onsite, tmp_path))
    assert "matching_prev" not in get_engine("duckdb").run(year_script(False), _inputs(
        readings, profiles, trades, onsite, tmp_path))
    load_h = kwh.reshape(-1, 4).sum(axis=1)
    this, prev = out["matching"].to_pylist(), out["matching_prev"].to_pylist()
    assert {(r["month"], r["hour_of_day"]) for r in prev} == {(3, h) for h in range(24)}
    assert_allclose(sum(r["load_kwh"] for r in prev), load_h.sum(), rtol=1e-12)
    assert_allclose(sum(r["load_kwh"] for r in this), load_h.sum(), rtol=1e-12)
    assert sum(r["matched_kwh"] for r in prev) == 0.0
    assert_allclose(sum(r["matched_kwh"] for r in this), matching.matched_kwh(load_h, supply).sum(), rtol=1e-12)


def _sorted(table: pa.Table) -> pa.Table:
    keys = [n for n in table.column_names if not pa.types.is_floating(table.schema.field(n).type)]
    return table.sort_by([(k, "ascending") for k in keys])


def test_the_engines_agree_on_a_sample_province(tmp_path, spark_engine_name):
    """The demo province's lake (15-minute readings, on-site curves, trade profiles) through both engines:
    every output table has the same rows; numbers agree to 1e-9 relative."""
    from dianta.accounts.inputs import load_year
    from dianta.demo.generate import write_demo_province
    from dianta.ingest.apply import ingest_batch
    from dianta.ledger.store import Store
    from dianta.reference.profile import load_profile

    store = Store(tmp_path / "store")
    for folder in write_demo_province(tmp_path / "batches", n_enterprises=30, years=(2023, 2024),
                                      interval_share=0.3, seed=5):
        ingest_batch(store, folder)
    profile = load_profile("default")
    duck = load_year(store, 2024, profile, get_engine("duckdb")).aggregates
    spark = load_year(store, 2024, profile, get_engine(spark_engine_name)).aggregates
    assert set(duck) == set(spark)
    for name in duck:
        d, s = _sorted(duck[name]), _sorted(spark[name])
        assert d.num_rows == s.num_rows > 0, name
        for column in d.column_names:
            a, b = d[column].to_pylist(), s[column].to_pylist()
            if pa.types.is_floating(d.schema.field(column).type) or pa.types.is_decimal(d.schema.field(column).type):
                assert_allclose(np.array(b, dtype=float), np.array(a, dtype=float), rtol=1e-9, err_msg=name)
            else:
                assert a == b, (name, column)
    store.close()


def test_accounts_computed_on_spark_equal_the_embedded_engines(tmp_path, spark_engine_name):
    from province import write_batch_2022, write_batch_2023

    from dianta.accounts.compute import compute_year
    from dianta.ingest.apply import ingest_batch
    from dianta.ledger.store import Store

    store = Store(tmp_path / "store")
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    duck = compute_year(store, 2023).records
    spark = compute_year(store, 2023, engine=spark_engine_name).records
    assert len(duck) == len(spark) == 8
    for a, b in zip(duck, spark, strict=True):
        same_record(a, b, path=str(a["credit_code"]))
    store.close()


@pytest.mark.parametrize(("master", "addresses"), [
    ("local", []), ("local[2]", []), ("local[*]", []), ("local[4,2]", []), ("local-cluster[2, 1, 1024]", []),
    ("yarn", []), ("k8s://https://10.0.0.1:6443", []),
    ("spark://127.0.0.1:7077", [("127.0.0.1", 7077)]),
    ("spark://m1.example:7077,m2.example:17077", [("m1.example", 7077), ("m2.example", 17077)]),
    ("spark://[::1]:7077", [("::1", 7077)]),
])
def test_spark_master_urls_name_the_addresses_to_check(master, addresses):
    from dianta.engine.spark_engine import master_addresses

    assert master_addresses(master) == addresses


@pytest.mark.parametrize("master", ["spark://127.0.0.1", "spark://:7077", "spark://h:99999", "spark://h:7077,",
                                    "local[0]", "local[two]", "127.0.0.1:7077", "sc://h:15002", "", "mesos://h:5050"])
def test_a_malformed_spark_master_is_a_usage_error_in_both_languages(master):
    from dianta.engine.spark_engine import master_addresses

    with pytest.raises(UsageError, match=r"is not a Spark master URL: give local\[2\]") as caught:
        master_addresses(master)
    assert caught.value.message_zh is not None and "不是有效的 Spark 主节点地址" in caught.value.message_zh


def test_a_closed_port_is_refused_before_spark_starts():
    """No JVM is started for a master nothing listens on: the check fails at once, in English and Chinese."""
    import socket

    from dianta.engine.spark_engine import check_master
    from dianta.errors import EngineUnavailable

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: a connection is refused
        with pytest.raises(EngineUnavailable, match=rf"cannot reach the Spark master spark://127.0.0.1:{port} "):
            check_master(f"spark://127.0.0.1:{port}", timeout_s=2)
