"""The aggregation script: written once for both engines, and right on the embedded engine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
import sqlglot
from numpy.testing import assert_allclose

from dianta.calc import matching
from dianta.engine.base import ParquetInput
from dianta.engine.choice import get_engine
from dianta.engine.queries import YEAR_SCRIPT
from dianta.errors import UsageError

TS = pa.timestamp("us")


@pytest.mark.parametrize("statement", YEAR_SCRIPT, ids=lambda s: s.name)
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


def test_duckdb_matching_equals_the_pure_function(tmp_path):
    """Σ_h min(L_h, G_h) from the engine equals calc.matching on the same hourly series (METHODOLOGY.md §7)."""
    rng = np.random.default_rng(3)
    start = dt.datetime(2023, 3, 1)
    quarters = [start + dt.timedelta(minutes=15 * i) for i in range(96 * 10)]
    kwh1, kwh2 = rng.uniform(0, 5, len(quarters)), rng.uniform(0, 5, len(quarters))
    readings = pa.table({"meter_id": ["m1"] * len(quarters) + ["m2"] * len(quarters),
                         "ts": pa.array(quarters * 2, TS), "kwh": np.concatenate([kwh1, kwh2])})
    hours = [start + dt.timedelta(hours=h) for h in range(240)]
    profile = rng.uniform(0, 40, len(hours))
    profiles = pa.table({"contract_id": ["k"] * len(hours), "ts": pa.array(hours, TS), "kwh": profile})
    # the contract is settled 300 to e1 and 100 to e2 in March: e1 gets 3/4 of the profile
    trades = pa.table({"contract_id": ["k", "k"], "credit_code": ["e1", "e2"],
                       "month_start": pa.array([dt.datetime(2023, 3, 1)] * 2, TS), "kwh": [300.0, 100.0]})
    onsite_vals = rng.uniform(0, 3, len(hours))
    onsite = pa.table({"credit_code": ["e1"] * len(hours), "ts": pa.array(hours, TS), "kwh": onsite_vals})
    out = get_engine("duckdb").run(YEAR_SCRIPT, _inputs(readings, profiles, trades, onsite, tmp_path))

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
