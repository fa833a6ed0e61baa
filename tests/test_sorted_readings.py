"""Readings in meter and time order summed in one streaming pass (ingest/sorted_readings.py, issue 18): the roll-up
and day summary it writes are the ones DuckDB's hash aggregates give (ledger/lake.py ROLLUPS, validate.py
``_summarise_in_duckdb``), whatever the gaps, the row groups and the cuts between tasks and batches; a file it
cannot serve (out of order, a repeated key, a value a check refuses) gets None and no file; and a batch ingests
to the same store with and without it."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ENTERPRISES, METERS, credit_code, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dianta.ingest import sorted_readings, validate
from dianta.ingest.apply import ingest_batch
from dianta.ledger import integrity
from dianta.ledger.lake import ROLLUPS
from dianta.ledger.store import Store

T0 = np.datetime64("2023-03-31T22:00", "us")  # a month and a day boundary within the first hours
QUARTER = np.timedelta64(15, "m")


def _file(path: Path, meters: list[str], steps: list[list[int]], kwh_seed: int, row_group: int) -> pa.Table:
    """Each meter's readings at the quarter-hours ``steps`` after T0, meters in the order given."""
    rng = np.random.default_rng(kwh_seed)
    ids = [m for m, s in zip(meters, steps, strict=True) for _ in s]
    ts = np.concatenate([T0 + np.asarray(s, dtype=np.int64) * QUARTER for s in steps]).astype("datetime64[us]")
    table = pa.table({"meter_id": pa.array(ids, pa.string()), "ts": pa.array(ts, pa.timestamp("us")),
                      "kwh": pa.array(rng.uniform(0, 50, len(ids)).round(3), pa.float64())})
    pq.write_table(table, path, row_group_size=row_group)
    return table


def _duckdb_rollup(path: Path) -> list[tuple]:
    with duckdb.connect() as con:
        return con.sql(ROLLUPS["interval_readings"][1], params={"file": str(path)}).fetchall()


def _duckdb_days(path: Path) -> list[tuple]:
    with duckdb.connect() as con:
        return con.sql(
            "SELECT meter_id, epoch_us(ts) // 86400000000 AS day, count(*) AS n, sum(kwh), min(epoch_us(ts)), "
            "max(epoch_us(ts)) FROM read_parquet($f) GROUP BY ALL ORDER BY ALL", params={"f": str(path)}).fetchall()


def _days(summary: sorted_readings.SortedSummary) -> list[tuple]:
    """The day summary with a (meter, day) that a cut split summed, as validate.py does."""
    with duckdb.connect() as con:
        con.register("d", summary.days)
        return con.sql("SELECT CAST(meter_id AS VARCHAR), day, sum(n), sum(kwh), min(first_us), max(last_us) FROM d "
                       "GROUP BY ALL ORDER BY ALL").fetchall()


def _close(a: list[tuple], b: list[tuple]) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(u == v or (isinstance(u, float) and isinstance(v, float) and math.isclose(
            u, v, rel_tol=1e-12, abs_tol=1e-9)) for u, v in zip(x, y, strict=True)) for x, y in zip(a, b, strict=True))


steps = st.lists(st.integers(0, 200), min_size=1, max_size=60, unique=True).map(sorted)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n_meters=st.integers(1, 4), data=st.data(), row_group=st.sampled_from([3, 7, 50, 10_000]),
       task_rows=st.sampled_from([1, 5, 64, 10_000]), batch_rows=st.sampled_from([2, 9, 1 << 20]),
       shuffled=st.booleans(), seed=st.integers(0, 99))
def test_the_streaming_sums_are_duckdbs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                                        n_meters: int, data: st.DataObject, row_group: int, task_rows: int,
                                        batch_rows: int, shuffled: bool, seed: int):
    """Property: for any gaps (hours with one to four readings), row groups, tasks and batches cutting an hour
    anywhere, the roll-up file equals DuckDB's ROLLUPS query on the same file, row for row in meter and hour
    order (floats to 1e-12), and the day summary equals DuckDB's per meter and day; ``in_meter_order`` says
    whether meters came in id order."""
    work = tmp_path_factory.mktemp("sorted")
    meters = [f"M{i}" for i in range(n_meters)]
    if shuffled:
        meters = meters[::-1]
    path = work / "r.parquet"
    _file(path, meters, [data.draw(steps) for _ in meters], seed, row_group)
    monkeypatch.setattr(sorted_readings, "_TASK_ROWS", task_rows)
    monkeypatch.setattr(sorted_readings, "_BATCH_ROWS", batch_rows)
    summary = sorted_readings.summarise_sorted(path, work / "h.parquet", max_text=500)
    assert summary is not None
    assert summary.in_meter_order == (not shuffled or n_meters == 1)
    rollup = [tuple(r.values()) for r in pq.read_table(work / "h.parquet").to_pylist()]
    expected = _duckdb_rollup(path)
    if not summary.in_meter_order:  # written in the file's order of meters: validate.py sorts it
        rollup = sorted(rollup, key=lambda r: (r[0], r[1]))
    assert _close(rollup, expected)
    assert _close(_days(summary), _duckdb_days(path))
    assert pq.read_schema(work / "h.parquet") == sorted_readings.ROLLUP_SCHEMA


def test_a_worked_hour_cut_between_tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """By hand: M1's hour 2023-03-31 22:00 has readings at :00, :15 and :45 (1.5, 2.25, 4.0 kWh), cut after the
    second row into two tasks: one roll-up row, 7.75 kWh, peak 4.0, 3 readings, quarter-hours 1.5, 2.25, —, 4.0."""
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"meter_id": ["M1"] * 4, "ts": pa.array(
        [T0, T0 + QUARTER, T0 + 3 * QUARTER, T0 + 4 * QUARTER], pa.timestamp("us")),
        "kwh": [1.5, 2.25, 4.0, 0.5]}), path, row_group_size=2)
    monkeypatch.setattr(sorted_readings, "_TASK_ROWS", 1)
    summary = sorted_readings.summarise_sorted(path, tmp_path / "h.parquet", max_text=500)
    assert summary is not None
    rows = pq.read_table(tmp_path / "h.parquet").to_pylist()
    assert rows == [
        {"meter_id": "M1", "hour": dt.datetime(2023, 3, 31, 22), "kwh": 7.75, "peak_kwh": 4.0, "n": 3,
         "q1_kwh": 1.5, "q2_kwh": 2.25, "q3_kwh": None, "q4_kwh": 4.0},
        {"meter_id": "M1", "hour": dt.datetime(2023, 3, 31, 23), "kwh": 0.5, "peak_kwh": 0.5, "n": 1,
         "q1_kwh": 0.5, "q2_kwh": None, "q3_kwh": None, "q4_kwh": None}]
    assert _days(summary) == [("M1", 19447, 4, 8.25, int(T0.astype(np.int64)), int((T0 + 4 * QUARTER).astype(
        np.int64)))]


def _write(path: Path, ids: list[object], ts: list[object], kwh: list[object], **kw: object) -> None:
    pq.write_table(pa.table({"meter_id": pa.array(ids, pa.string()), "ts": pa.array(ts, pa.timestamp("us")),
                             "kwh": pa.array(kwh, pa.float64())}), path, **kw)


T = [dt.datetime(2023, 1, 1, 0, 15 * i) for i in range(3)]


@pytest.mark.parametrize(("ids", "ts", "kwh", "why"), [
    (["M1", "M1", "M1"], [T[0], T[2], T[1]], [1.0, 1.0, 1.0], "time out of order"),
    (["M1", "M1", "M1"], [T[0], T[1], T[1]], [1.0, 1.0, 1.0], "a repeated key"),
    (["M1", "M2", "M1"], [T[0], T[0], T[1]], [1.0, 1.0, 1.0], "a meter in two runs"),
    (["M1", "M1", "M1"], [T[0], T[1], T[2]], [1.0, -1.0, 1.0], "a negative reading"),
    (["M1", "M1", "M1"], [T[0], T[1], T[2]], [1.0, math.nan, 1.0], "not a number"),
    (["M1", "M1", "M1"], [T[0], T[1], T[2]], [1.0, math.inf, 1.0], "infinite"),
    (["M1", "M1", "M1"], [T[0], T[1], T[2]], [1.0, None, 1.0], "missing kWh"),
    (["M1", "M1", "M1"], [T[0], None, T[2]], [1.0, 1.0, 1.0], "missing time"),
    (["M1", "M1", "M1"], [T[0], T[1] + dt.timedelta(minutes=1), T[2]], [1.0, 1.0, 1.0], "off the grid"),
    (["M1", "M1", "M1"], [dt.datetime(1969, 12, 31, 23, 45), T[0], T[1]], [1.0, 1.0, 1.0], "before 1970"),
    (["M1", None, "M1"], T, [1.0, 1.0, 1.0], "missing meter"),
    ([" M1", " M1", " M1"], T, [1.0, 1.0, 1.0], "untrimmed meter"),
    (["", "", ""], T, [1.0, 1.0, 1.0], "empty meter"),
    (["M" * 501] * 3, T, [1.0, 1.0, 1.0], "meter id too long"),
])
def test_what_the_pass_cannot_serve_goes_to_duckdb(tmp_path: Path, ids: list, ts: list, kwh: list, why: str):
    path = tmp_path / "r.parquet"
    _write(path, ids, ts, kwh)
    for row_group in (None, 1):  # within a batch, and across tasks
        if row_group:
            _write(path, ids, ts, kwh, row_group_size=row_group)
        assert sorted_readings.summarise_sorted(path, tmp_path / "h.parquet", max_text=500) is None, why
        assert not (tmp_path / "h.parquet").exists()


def test_other_column_types_go_to_duckdb(tmp_path: Path):
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"meter_id": ["M1"], "ts": pa.array([T[0]], pa.timestamp("ms")), "kwh": [1.0]}), path)
    assert sorted_readings.summarise_sorted(path, tmp_path / "h.parquet", max_text=500) is None


A, B = credit_code(1), credit_code(2)


@pytest.mark.parametrize("order", ["by meter", "meters reversed"])
def test_a_batch_ingests_alike_with_and_without_the_streaming_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   order: str):
    """The same batch (two meters, a year's gappy readings, a monthly total off by more than 2 %) ingested by the
    streaming pass and by DuckDB's summary: the same counts, warnings, lake rows and roll-ups; the roll-up in meter
    and hour order either way."""
    folder = tmp_path / "batch"
    write_table(folder, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                     (B, "乙", "C3011", "630100", None, None)])
    write_table(folder, "meters", METERS, [("M1", A, None, None), ("M2", B, None, None)])
    rng = np.random.default_rng(3)
    steps_of = [np.flatnonzero(rng.random(4 * 24 * 40) < 0.9), np.arange(4 * 24 * 40)]
    meters = ["M1", "M2"] if order == "by meter" else ["M2", "M1"]
    table = _file(folder / "interval_readings.parquet", meters, [list(s) for s in steps_of], 5, 1000)
    march = sum(k for m, t, k in zip(*(table.column(c).to_pylist() for c in ("meter_id", "ts", "kwh")), strict=True)
                if m == "M2" and t.month == 3)
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("M2", "2023-03", round(march * 1.1))])
    monkeypatch.setattr(sorted_readings, "_TASK_ROWS", 500)
    monkeypatch.setattr(sorted_readings, "_BATCH_ROWS", 700)
    called = []
    real = sorted_readings.summarise_sorted

    def spy(*a: object, **kw: object) -> object:
        called.append(result := real(*a, **kw))  # type: ignore[arg-type]
        return result
    monkeypatch.setattr(validate, "summarise_sorted", spy)
    fast = Store(tmp_path / "fast")
    r_fast = ingest_batch(fast, folder)
    assert called and called[0] is not None  # the pass served it
    monkeypatch.setattr(validate, "summarise_sorted", lambda *a, **kw: None)
    slow = Store(tmp_path / "slow")
    r_slow = ingest_batch(slow, folder)
    assert {k: v.as_dict() for k, v in r_fast.counts.items()} == {k: v.as_dict() for k, v in r_slow.counts.items()}
    assert sorted((f.code, f.value, f.message_en) for f in r_fast.findings) == \
        sorted((f.code, f.value, f.message_en) for f in r_slow.findings)
    assert any(f.code == "monthly_mismatch" for f in r_fast.findings)
    assert any(f.code == "interval_gap" and f.value == meters[0] for f in r_fast.findings)  # the gappy one
    for table_name in ("interval_readings", "interval_hourly"):
        a = [pq.read_table(p).to_pylist() for p in fast.active_files(table_name)]
        b = [pq.read_table(p).to_pylist() for p in slow.active_files(table_name)]
        assert len(a) == len(b) == 1
        assert [tuple(r.values()) for r in a[0]] == [tuple(r.values()) for r in b[0]] if table_name == \
            "interval_readings" else _close([tuple(r.values()) for r in a[0]], [tuple(r.values()) for r in b[0]])
    # the roll-up's digest, taken as it was written, is the file's (and every other one recorded)
    assert integrity.verify_store(fast).ok and integrity.verify_store(slow).ok
    hourly = pq.read_table(fast.active_files("interval_hourly")[0])
    keys = list(zip(hourly.column("meter_id").to_pylist(), hourly.column("hour").to_pylist(), strict=True))
    assert keys == sorted(keys)
    fast.close()
    slow.close()
