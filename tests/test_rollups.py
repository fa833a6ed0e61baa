"""Hourly roll-ups of interval readings (issue 18): written at ingest beside every readings file of the lake, with
its life (recorded, superseded on correction, checked against their digests), and read by compute where they serve;
a store written before roll-ups computes as before, and a store holding both computes the same numbers.

The province: X holds meter M1; Y holds M2 and M3 (its quarter-hour load is summed over both before its peak is
taken, so Y's hours are read from the readings); M4 passes from Z to W at midnight of 15 February. Three batches:
January 1 – February 20 10:15 (every meter), February 20 10:30 – March 31 (so the hour 2023-02-20 10:00 and the
month of February are split across two lake files), then a correction of one January reading of M1 and of M2
(January and February are written again, their roll-ups with them)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import credit_code, same_record, write_table

from dianta.accounts.compute import compute_year
from dianta.accounts.inputs import read_year
from dianta.errors import LakeCorrupt
from dianta.ingest.apply import ingest_batch
from dianta.ledger import integrity, schema
from dianta.ledger.store import Store
from dianta.reference.profile import load_profile

X, Y, Z, W = (credit_code(i) for i in (41, 42, 43, 44))
METERS = {"M1": X, "M2": Y, "M3": Y}
SPLIT = dt.datetime(2023, 2, 20, 10, 30)
START, END = dt.datetime(2023, 1, 1), dt.datetime(2023, 4, 1)


def _readings(seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    ts = np.arange(np.datetime64(START), np.datetime64(END), np.timedelta64(15, "m")).astype("datetime64[us]")
    meters = ["M1", "M2", "M3", "M4"]
    kwh = rng.uniform(0.0, 20.0, (len(meters), len(ts))).round(3)
    return pa.table({"meter_id": np.repeat(meters, len(ts)), "ts": pa.array(np.tile(ts, len(meters))),
                     "kwh": kwh.ravel()})


def _batches(root: Path) -> list[Path]:
    readings = _readings()
    ts = readings.column("ts").to_numpy()
    first, second, fix = root / "b1", root / "b2", root / "b3"
    write_table(first, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(c, f"卷积企业{i}", "C3216", "630100", "2020-01-01") for i, c in enumerate((X, Y, Z, W))])
    write_table(first, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [(m, c, None, None) for m, c in METERS.items()]
                + [("M4", Z, None, "2023-02-14"), ("M4", W, "2023-02-15", None)])
    split = np.datetime64(SPLIT, "us")
    pq.write_table(readings.filter(pa.array(ts < split)), first.joinpath("interval_readings.parquet"))
    second.mkdir()
    pq.write_table(readings.filter(pa.array(ts >= split)), second / "interval_readings.parquet")
    write_table(fix, "interval_readings", ["meter_id", "ts", "kwh"],
                [("M1", "2023-01-10 08:15:00", 99.5), ("M2", "2023-01-10 08:15:00", 77.25)])
    return [first, second, fix]


def _strip_rollups(store: Store) -> None:
    """Make ``store`` a store written before roll-ups: no roll-up file, no row referring to one."""
    with store.engine.begin() as tx:
        tx.execute(schema.lake_files.delete().where(schema.lake_files.c.table_name == "interval_hourly"))
    shutil.rmtree(store.lake / "interval_hourly")


def _rollups_read(store: Store) -> bool:
    with store.snapshot() as view:
        return read_year(view, store, 2023, load_profile("default")).rollups


@pytest.fixture
def stores(tmp_path):
    new, old = Store(tmp_path / "new"), Store(tmp_path / "old")
    yield new, old, _batches(tmp_path / "batches")
    new.close()
    old.close()


def test_rollups_are_written_beside_every_readings_file_and_superseded_with_it(stores):
    new, _, (first, second, fix) = stores
    ingest_batch(new, first)
    ingest_batch(new, second)
    # the hour 2023-02-20 10:00 of M1: two quarter-hours in the first batch's file, two in the second's
    split = [h for p in (new.lake / "interval_hourly").rglob("*.parquet") for h in pq.read_table(p).to_pylist()
             if h["meter_id"] == "M1" and h["hour"] == dt.datetime(2023, 2, 20, 10)]
    quarters = [r["kwh"] for r in _readings().to_pylist()
                if r["meter_id"] == "M1" and r["ts"].replace(minute=0) == SPLIT.replace(minute=0)]
    assert sorted(h["n"] for h in split) == [2, 2]
    assert sum(h["kwh"] for h in split) == pytest.approx(sum(quarters), rel=1e-12)
    assert max(h["peak_kwh"] for h in split) == max(quarters)
    ingest_batch(new, fix)
    lf = schema.lake_files.c
    with new.engine.connect() as con:
        rows = con.execute(sa.select(lf.path, lf.table_name, lf.month, lf.month_to, lf.state, lf.superseded_by)
                           .where(lf.table_name.in_(["interval_readings", "interval_hourly"]))).all()
    files = {r.path: r for r in rows}
    readings = [r for r in rows if r.table_name == "interval_readings"]
    # b1 (Jan–Feb) and b2 (Feb–Mar) superseded by the correction b3, which writes January again and carries
    # February and March (the other months of the files it supersedes), a file a month
    assert sorted((r.month, r.month_to, r.state) for r in readings) == [
        ("2023-01", "2023-01", "active"), ("2023-01", "2023-02", "superseded"), ("2023-02", "2023-02", "active"),
        ("2023-02", "2023-03", "superseded"), ("2023-03", "2023-03", "active")]
    for r in readings:  # each with its roll-up: the same months, the same state, superseded by the same batch
        twin = files["interval_hourly" + r.path.removeprefix("interval_readings")]
        assert (twin.month, twin.month_to, twin.state, twin.superseded_by) == (r.month, r.month_to, r.state,
                                                                               r.superseded_by)
    assert len(rows) == 2 * len(readings)
    report = integrity.verify_store(new)
    assert not report.problems and report.files == len(rows) + 1  # and the correction's history file
    hourly = pq.read_table([new.lake / p for p, r in files.items()
                            if r.table_name == "interval_hourly" and r.state == "active"]).to_pylist()
    raw = _readings().to_pylist()
    # the corrected hour: 99.5 in place of the quarter-hour's reading
    jan = next(h for h in hourly if h["meter_id"] == "M1" and h["hour"] == dt.datetime(2023, 1, 10, 8))
    eight = dt.datetime(2023, 1, 10, 8)
    others = [r["kwh"] for r in raw if r["meter_id"] == "M1" and r["ts"].replace(minute=0) == eight
              and r["ts"].minute != 15]
    assert jan["kwh"] == pytest.approx(sum(others) + 99.5, rel=1e-12) and jan["peak_kwh"] == 99.5 and jan["n"] == 4


def test_compute_from_rollups_equals_compute_from_readings(stores, engine_name):
    """The same accounts from roll-ups (new), from readings only (old: before roll-ups) and from both (the old
    store after new batches), after each batch."""
    new, old, (first, second, fix) = stores
    ingest_batch(new, first)
    ingest_batch(old, first)
    _strip_rollups(old)
    assert _rollups_read(new) and not _rollups_read(old)
    for batch in (None, second, fix):
        if batch is not None:
            ingest_batch(new, batch)
            ingest_batch(old, batch)
        a = compute_year(new, 2023, engine=engine_name).records
        b = compute_year(old, 2023, engine=engine_name).records
        assert len(a) == 4
        for x, y in zip(sorted(a, key=lambda r: r["credit_code"]), sorted(b, key=lambda r: r["credit_code"]),
                        strict=True):
            same_record(x, y, x["credit_code"])
    # after the second batch the old store holds b1 without a roll-up and b2 with one; after the correction
    # every current file of the old store has its roll-up again
    assert _rollups_read(old)


def test_multi_meter_peak_is_the_coincident_quarter_hour(stores):
    """Y holds M2 and M3: its peak is the largest quarter-hour of M2 + M3 (METHODOLOGY.md §6), not the sum of the
    meters' own largest quarter-hours (which the hourly roll-ups alone would give); X's is M1's largest."""
    new, _, (first, second, _fix) = stores
    ingest_batch(new, first)
    ingest_batch(new, second)
    records = {r["credit_code"]: r for r in compute_year(new, 2023).records}
    raw = _readings()
    kwh = {m: raw.filter(pc.equal(raw.column("meter_id"), m)).column("kwh").to_numpy() for m in METERS}
    # peak_kw = 4 × the largest quarter-hour kWh (15 minutes = 1/4 h)
    assert records[Y]["electricity"]["peak_kw"] == pytest.approx(4 * (kwh["M2"] + kwh["M3"]).max(), rel=1e-12)
    assert 4 * (kwh["M2"] + kwh["M3"]).max() < 4 * (kwh["M2"].max() + kwh["M3"].max())
    assert records[X]["electricity"]["peak_kw"] == pytest.approx(4 * kwh["M1"].max(), rel=1e-12)


def test_a_damaged_rollup_is_refused_by_compute(stores):
    new, _, (first, *_rest) = stores
    ingest_batch(new, first)
    rollup = next((new.lake / "interval_hourly").rglob("*.parquet"))
    data = bytearray(rollup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    rollup.write_bytes(bytes(data))
    with pytest.raises(LakeCorrupt, match="interval_hourly"):
        compute_year(new, 2023)
