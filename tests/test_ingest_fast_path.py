"""Large interval files (issue 6): a Parquet file of readings is read once and summarised per meter and day
(validate.py ``_summarise_readings``); when every row passes, nothing is copied and the lake gets one file
per run of months. These tests hold the fast path to the row-by-row checks it stands in for, and the lake's
multi-month files to the rule that a file is current or superseded as a whole."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import ENTERPRISES, METERS, MONTHLY, credit_code, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dianta.errors import InputRefused
from dianta.ingest import validate
from dianta.ingest.apply import IngestResult, ingest_batch
from dianta.ledger import schema
from dianta.ledger.lake import BatchFiles
from dianta.ledger.store import Store

A, B = credit_code(1), credit_code(2)
T0 = dt.datetime(2023, 1, 1)


def _setup(folder: Path) -> None:
    """A holds M1 all along; B holds M2 from 2 January 2023 (a reading of M2 on 1 January has no holder)."""
    write_table(folder, "enterprises", ENTERPRISES, [(A, "甲", "C3216", "632801", None, None),
                                                     (B, "乙", "C3011", "630100", None, None)])
    write_table(folder, "meters", METERS, [("M1", A, None, None), ("M2", B, "2023-01-02", None)])


def _readings(folder: Path, rows: list[tuple[object, object, object]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"meter_id": pa.array([r[0] for r in rows], pa.string()),
                             "ts": pa.array([r[1] for r in rows], pa.timestamp("us")),
                             "kwh": pa.array([r[2] for r in rows], pa.float64())}),
                   folder / "interval_readings.parquet")


def _row_by_row(self: validate.BatchCheck) -> bool:
    """The fast path switched off: the rows are copied (a CSV read whole) and every check runs row by row."""
    return False


def _lake(store: Store) -> list[tuple]:
    files = [str(p) for p in store.active_files("interval_readings")]
    if not files:
        return []
    with duckdb.connect() as con:
        return con.sql("SELECT meter_id, ts, kwh FROM read_parquet($f, hive_partitioning = false) ORDER BY ALL",
                       params={"f": files}).fetchall()


def _outcome(store: Store, folder: Path, partial: bool) -> tuple[object, ...]:
    try:
        result = ingest_batch(store, folder, partial=partial)
    except InputRefused as refused:
        return ("refused", sorted((f.code, f.row, f.column, f.value) for f in refused.findings))
    return (result.status, {k: v.as_dict() for k, v in result.counts.items()},
            sorted((f.code, f.severity, f.row, f.column, f.value, f.message_en) for f in result.findings), _lake(store))


quarter_hours = st.integers(0, 3 * 96 - 1).map(lambda k: T0 + dt.timedelta(minutes=15 * k))
odd_times = st.sampled_from([T0 + dt.timedelta(minutes=5), T0 + dt.timedelta(seconds=1),
                             T0 + dt.timedelta(microseconds=1), dt.datetime(1969, 12, 31, 23, 45), None])
reading = st.tuples(
    st.sampled_from(["M1", "M1", "M2", "M2", "M9", " M1 ", "", None, "M" * 501]),
    st.one_of(quarter_hours, quarter_hours, quarter_hours, odd_times),
    st.sampled_from([1.0, 2.5, 0.0, 1e6, -1.0, math.nan, math.inf, None]))


good_reading = st.tuples(st.sampled_from(["M1", "M2"]), quarter_hours, st.sampled_from([1.0, 2.5, 0.0]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.one_of(st.lists(good_reading, min_size=1, max_size=30), st.lists(reading, min_size=1, max_size=30)),
       repeat=st.booleans(), partial=st.booleans())
def test_the_summary_path_gives_what_the_row_by_row_checks_give(tmp_path_factory: pytest.TempPathFactory,
                                                                  monkeypatch: pytest.MonkeyPatch, rows: list,
                                                                  repeat: bool, partial: bool):
    """Property: whatever the rows (missing, off-grid, negative, non-finite, too long, unknown or unheld
    meters, repeated keys), a Parquet batch ends the same with and without the summary: refused with the
    same findings, or applied with the same counts, warnings and lake rows."""
    if repeat:
        rows = rows + rows[:1]  # a repeated key
    work = tmp_path_factory.mktemp("fast")
    _setup(work / "batch")
    _readings(work / "batch", rows)
    fast = _outcome(Store(work / "fast"), work / "batch", partial)
    with monkeypatch.context() as m:
        m.setattr(validate.BatchCheck, "_summarise_readings", _row_by_row)
        slow = _outcome(Store(work / "slow"), work / "batch", partial)
    assert fast == slow


def _year_of_readings(meters: list[str], year: int = 2023, step_hours: int = 6) -> list[tuple[str, dt.datetime, float]]:
    start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
    n = int((end - start).total_seconds() // 3600 // step_hours)
    return [(m, start + dt.timedelta(hours=step_hours * k), 1.0) for m in meters for k in range(n)]


def _files(store: Store) -> list[tuple[str, str, str | None, str]]:
    lf = schema.lake_files
    with store.engine.connect() as con:
        return [tuple(r) for r in con.execute(sa.select(lf.c.path, lf.c.month, lf.c.month_to, lf.c.state)
                                              .where(lf.c.table_name == "interval_readings").order_by(lf.c.path))]


def test_a_clean_year_is_read_once_and_kept_as_one_file(tmp_path: Path):
    _setup(tmp_path / "b1")
    rows = _year_of_readings(["M1"])
    _readings(tmp_path / "b1", rows)
    store = Store(tmp_path / "s")
    with duckdb.connect() as con:  # what BatchCheck decides, seen from outside
        from dianta.ingest.apply import snapshot
        from dianta.ingest.readers import read_batch
        tables, _ = read_batch(tmp_path / "b1")
        sources = {t.table: t for t in tables}
        check = validate.BatchCheck(con, sources, snapshot(store, sources))
        assert [f for f in check.run() if f.severity == "error"] == []
        assert check.lazy == {"interval_readings"}
        kinds = dict(con.sql("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        assert kinds["typed_interval_readings"] == "VIEW"  # the 1,460 rows were never copied
    result = ingest_batch(store, tmp_path / "b1")
    assert result.counts["interval_readings"].new == len(rows) == 1460
    assert _files(store) == [("interval_readings/month=2023-01/b000001-to-2023-12.parquet", "2023-01", "2023-12",
                              "active")]
    (path,) = store.active_files("interval_readings", ["2023-07"])
    assert pq.read_metadata(path).num_rows == 1460
    assert store.active_files("interval_readings", ["2022-12", "2024-01"]) == []


def test_new_months_go_to_one_file_per_run_of_consecutive_months_of_a_year(tmp_path: Path):
    _setup(tmp_path / "b")
    months = [(2023, 1), (2023, 2), (2023, 4), (2023, 12), (2024, 1)]
    _readings(tmp_path / "b", [("M1", dt.datetime(y, m, 3), 1.0) for y, m in months])
    store = Store(tmp_path / "s")
    ingest_batch(store, tmp_path / "b")
    assert [(p.split("/", 1)[1], a, b) for p, a, b, _ in _files(store)] == [
        ("month=2023-01/b000001-to-2023-02.parquet", "2023-01", "2023-02"),
        ("month=2023-04/b000001.parquet", "2023-04", "2023-04"),
        ("month=2023-12/b000001.parquet", "2023-12", "2023-12"),
        ("month=2024-01/b000001.parquet", "2024-01", "2024-01")]


def test_a_correction_to_one_month_rewrites_every_month_of_the_file_it_supersedes(tmp_path: Path):
    _setup(tmp_path / "b1")
    rows = _year_of_readings(["M1", "M2"])
    rows = [r for r in rows if not (r[0] == "M2" and r[1] < dt.datetime(2023, 1, 2))]
    _readings(tmp_path / "b1", rows)
    store = Store(tmp_path / "s")
    ingest_batch(store, tmp_path / "b1")
    (year_file,) = store.active_files("interval_readings")

    fix = [("M2", dt.datetime(2023, 3, 5, 6), 4.0), ("M2", dt.datetime(2023, 3, 5, 12), 1.0)]  # one changed
    _readings(tmp_path / "b2", fix)
    result = ingest_batch(store, tmp_path / "b2", reason="AMI re-read")
    counts = result.counts["interval_readings"]
    assert (counts.new, counts.unchanged, counts.corrected) == (0, 1, 1)
    files = _files(store)
    assert files[0] == (year_file.relative_to(store.lake).as_posix(), "2023-01", "2023-12", "superseded")
    assert [(p.split("/")[1:], a == b, s) for p, a, b, s in files[1:]] == [
        ([f"month=2023-{m:02d}", "b000002-corrected.parquet"], True, "active") for m in range(1, 13)]
    assert year_file.exists()  # nothing accepted is lost
    expected = sorted([(m, t, 4.0 if (m, t) == fix[0][:2] else k) for m, t, k in rows])
    assert _lake(store) == expected
    # a second correction in another month only touches that month now
    _readings(tmp_path / "b3", [("M1", dt.datetime(2023, 8, 1), 2.0)])
    ingest_batch(store, tmp_path / "b3", reason="again")
    assert [p for p, _, _, s in _files(store) if s == "superseded"] == [
        year_file.relative_to(store.lake).as_posix(), "interval_readings/month=2023-08/b000002-corrected.parquet"]


def test_a_correction_refused_for_one_row_changes_nothing_of_the_year_file(tmp_path: Path):
    _setup(tmp_path / "b1")
    _readings(tmp_path / "b1", _year_of_readings(["M1"]))
    store = Store(tmp_path / "s")
    ingest_batch(store, tmp_path / "b1")
    before = (_files(store), _lake(store))
    _readings(tmp_path / "b2", [("M1", dt.datetime(2023, 3, 5, 6), 4.0), ("M1", dt.datetime(2023, 3, 5, 6), 5.0)])
    with pytest.raises(InputRefused) as info:
        ingest_batch(store, tmp_path / "b2")
    assert [(f.code, f.row) for f in info.value.findings if f.severity == "error"] == [
        ("duplicate_key", 1), ("duplicate_key", 2)]
    assert (_files(store), _lake(store)) == before


def test_warnings_come_from_the_summary(tmp_path: Path):
    """M1 misses one quarter-hour on 1 January (gap) and its January sum is 3 kWh against a monthly 10 kWh."""
    _setup(tmp_path / "b")
    write_table(tmp_path / "b", "consumption_monthly", MONTHLY, [("M1", "2023-01", 10)])
    _readings(tmp_path / "b", [("M1", T0, 1.0), ("M1", T0 + dt.timedelta(minutes=30), 2.0)])
    result: IngestResult = ingest_batch(Store(tmp_path / "s"), tmp_path / "b")
    warnings = {f.code: f for f in result.findings if f.severity == "warning"}
    assert sorted(warnings) == ["interval_gap", "monthly_mismatch"]
    assert warnings["interval_gap"].value == "M1" and "33.33%" in warnings["interval_gap"].message_en
    mismatch = warnings["monthly_mismatch"]
    assert mismatch.value == "M1" and "3.0" in mismatch.message_en and "10.0" in mismatch.message_en


# -- CSV files of readings: streamed by DuckDB into Parquet when every line is in the common form -------------
ts_texts = st.one_of(
    quarter_hours.map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    quarter_hours.map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
    quarter_hours.map(lambda t: t.strftime("%Y-%m-%dT%H:%M")),
    quarter_hours.map(lambda t: f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"),
    quarter_hours.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S+08:00")),
    st.sampled_from(["", "2023-01-01 24:00:00", "2023-01-01 00:14:60", "2023-01-01", "x", " 2023-01-01 00:15:00"]))
kwh_texts = st.sampled_from(["1", "2.5", "0", "1,000", "1,00", "-1", "nan", "inf", "", " 3 ", "abc", "1e309"])
csv_line = st.tuples(st.sampled_from(["M1", "M1", "M2", "M9", " M1 ", ""]), ts_texts, kwh_texts)


def _csv_readings(folder: Path, lines: list[tuple[str, str, str]], ragged: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f'"{m}",{t},"{k}"\n' for m, t, k in lines)
    if ragged:
        body += "M1,2023-01-01 00:00:00,1,extra\n"
    (folder / "interval_readings.csv").write_text("meter_id,ts,kwh\n" + body, encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.one_of(
    st.lists(st.tuples(st.sampled_from(["M1"]), quarter_hours.map(lambda t: t.strftime("%Y-%m-%d %H:%M:%S")),
                       st.sampled_from(["1", "2.5", "0"])), min_size=1, max_size=30),
    st.lists(csv_line, min_size=1, max_size=30)), ragged=st.booleans(), partial=st.booleans())
def test_a_streamed_csv_ends_as_the_same_csv_read_whole(tmp_path_factory: pytest.TempPathFactory,
                                                         monkeypatch: pytest.MonkeyPatch, lines: list,
                                                         ragged: bool, partial: bool):
    """Property: whatever the spellings (ISO with a space or a T, slashes, offsets, thousands separators,
    empty cells, 24:00, ragged lines), a CSV of readings streamed by DuckDB ends as the same file read whole
    by the row-by-row path: the same refusal and findings (with the same row numbers), or the same counts,
    warnings and lake rows."""
    work = tmp_path_factory.mktemp("csv")
    _setup(work / "batch")
    _csv_readings(work / "batch", lines, ragged)
    streamed = _outcome(Store(work / "streamed"), work / "batch", partial)
    with monkeypatch.context() as m:
        m.setattr(validate.BatchCheck, "_stream_csv", lambda self, spec: False)
        whole = _outcome(Store(work / "whole"), work / "batch", partial)
    assert streamed == whole


def test_a_clean_csv_is_read_once_and_its_parquet_is_the_lake_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _setup(tmp_path / "b")
    rows = _year_of_readings(["M1"])
    _csv_readings(tmp_path / "b", [(m, t.strftime("%Y-%m-%d %H:%M:%S"), f"{k:g}") for m, t, k in rows], False)
    store = Store(tmp_path / "s")
    writes: list[tuple[str, bool]] = []
    original = BatchFiles.stage

    def spy(self, select, template, params=None, *, reuse=None, copy=None, digest=None):  # noqa: ANN001, ANN202
        writes.append((template, reuse is not None))
        return original(self, select, template, params, reuse=reuse, copy=copy, digest=digest)

    monkeypatch.setattr(BatchFiles, "stage", spy)
    result = ingest_batch(store, tmp_path / "b")
    assert result.counts["interval_readings"].new == 1460
    # the readings' lake file is the Parquet file the checks streamed the CSV into: not written again
    assert writes == [("interval_readings/month=2023-01/b{batch}-to-2023-12.parquet", True)]
    assert _files(store) == [("interval_readings/month=2023-01/b000001-to-2023-12.parquet", "2023-01", "2023-12",
                              "active")]
    assert _lake(store) == sorted(rows)
    (path,) = store.active_files("interval_readings")
    assert pq.read_schema(path).field("ts").type == pa.timestamp("us")
    assert list(store.temp_dir().glob("ingest-*")) == []  # the scratch folder went with the batch


@pytest.mark.parametrize("form", ["lake", "float32", "milliseconds", "refused row"])
def test_a_parquet_file_in_the_lake_form_is_stored_as_sent(tmp_path: Path, form: str):
    """Issue 18: a readings file in the lake's form (meter_id, ts in µs, kWh as double) whose every row passed is
    copied into the lake byte for byte; any other form, or a batch with a refused row, is written by the lake."""
    _setup(tmp_path / "b")
    rows = _year_of_readings(["M1"])
    kwh = pa.array([k for _, _, k in rows], pa.float32() if form == "float32" else pa.float64())
    if form == "refused row":
        kwh = pa.array([-1.0, *[k for _, _, k in rows][1:]], pa.float64())
    unit = "ms" if form == "milliseconds" else "us"
    table = pa.table({"meter_id": [m for m, _, _ in rows], "ts": pa.array([t for _, t, _ in rows], pa.timestamp(unit)),
                      "kwh": kwh})
    sent = tmp_path / "b" / "interval_readings.parquet"
    pq.write_table(table, sent)
    store = Store(tmp_path / "s")
    ingest_batch(store, tmp_path / "b", partial=form == "refused row")
    (path,) = store.active_files("interval_readings")
    assert (path.read_bytes() == sent.read_bytes()) is (form == "lake")
    assert sent.exists()  # the batch's file stays where it was
    stored = sorted(_lake(store))
    expected = sorted(rows)[1:] if form == "refused row" else sorted(rows)
    assert [(m, t) for m, t, _ in stored] == [(m, t) for m, t, _ in expected]
    assert [k for _, _, k in stored] == pytest.approx([k for _, _, k in expected], rel=1e-6)
