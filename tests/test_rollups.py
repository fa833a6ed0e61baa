"""Hourly roll-ups of interval readings (issue 18): written at ingest beside every readings file of the lake, with
its life (recorded, superseded on correction, checked against their digests), and read by compute where they serve;
a store written before roll-ups computes as before, and a store holding both computes the same numbers.

The province: X holds meter M1; Y holds M2 and M3 (its quarter-hour load is summed over both before its peak is
taken, so Y's hours are read from the readings); M4 passes from Z to W at midnight of 15 February. Three batches:
January 1 – February 20 10:15 (every meter), February 20 10:30 – March 31 (so the hour 2023-02-20 10:00 and the
month of February are split across two lake files), then a correction of one January reading of M1 and of M2
(the first batch's file, which holds them, is written again, a file for January and one for February, their
roll-ups with them; the second batch's file stays)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import count_hashes, credit_code, same_record, write_table

from dianta.accounts.compute import compute_year
from dianta.accounts.inputs import read_year
from dianta.errors import LakeCorrupt
from dianta.ingest.apply import ingest_batch
from dianta.ledger import integrity, lake, schema
from dianta.ledger.lake import key_range
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
    # b1 (Jan–Feb), which holds the corrected January readings, superseded by the correction b3, which writes
    # its rows again, corrected, a file a month; b2 (Feb–Mar) holds none of them and stays current
    assert sorted((r.month, r.month_to, r.state) for r in readings) == [
        ("2023-01", "2023-01", "active"), ("2023-01", "2023-02", "superseded"), ("2023-02", "2023-02", "active"),
        ("2023-02", "2023-03", "active")]
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


def _grouped(path: Path) -> dict[tuple[str, dt.datetime], tuple[float, float, int]]:
    """The roll-up of one readings file, by pyarrow: (meter, hour) -> (kWh, largest 15-minute kWh, readings)."""
    t = pq.read_table(path)
    hour = pa.array([ts.replace(minute=0) for ts in t.column("ts").to_pylist()], pa.timestamp("us"))
    g = t.append_column("hour", hour).group_by(["meter_id", "hour"]).aggregate(
        [("kwh", "sum"), ("kwh", "max"), ("kwh", "count")])
    return {(r["meter_id"], r["hour"]): (r["kwh_sum"], r["kwh_max"], r["kwh_count"]) for r in g.to_pylist()}


def test_every_rollup_is_its_readings_file_grouped_by_meter_and_hour(stores, tmp_path):
    """Whichever way a roll-up is written (from the checks' summary for a batch of new rows that all passed, from
    the staged file for a file a correction writes again or a batch with a refused row), it is its readings file
    summed per meter and hour."""
    new, _, (first, second, fix) = stores
    bad = tmp_path / "bad"
    write_table(bad, "interval_readings", ["meter_id", "ts", "kwh"],
                [("M1", "2023-04-01 00:00:00", 1.5), ("M1", "2023-04-01 00:15:00", 2.25),
                 ("M1", "2023-04-01 00:30:00", -3.0)])  # a negative reading: quarantined, the others kept
    for batch in (first, second, fix):
        ingest_batch(new, batch)
    ingest_batch(new, bad, partial=True)
    lf = schema.lake_files.c
    with new.engine.connect() as con:
        paths = [r[0] for r in con.execute(sa.select(lf.path).where(lf.table_name == "interval_readings"))]
    assert len(paths) == 5  # b1 (superseded), b2, b3's January and February (b1 corrected), b4's April
    for path in paths:
        twin = pq.read_table(new.lake / ("interval_hourly" + path.removeprefix("interval_readings"))).to_pylist()
        rolled = {(h["meter_id"], h["hour"]): (h["kwh"], h["peak_kwh"], h["n"]) for h in twin}
        expected = _grouped(new.lake / path)
        assert rolled.keys() == expected.keys()
        for key, (kwh, peak, n) in expected.items():
            assert rolled[key][0] == pytest.approx(kwh, rel=1e-12, abs=1e-9) and rolled[key][1:] == (peak, n)
    april = [p for p in paths if "month=2023-04" in p]
    assert [sorted(_grouped(new.lake / p).values()) for p in april] == [[(3.75, 2.25, 2)]]


def _two_regions(root: Path) -> tuple[pa.Table, Path, Path]:
    """The test's readings and two regions' batches: ``a`` (X and Y holding M1 and M2, M1's readings), then ``b``
    (M2's readings)."""
    readings = _readings()
    meter = np.array(readings.column("meter_id").to_pylist())
    region_a, region_b = root / "a", root / "b"
    write_table(region_a, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(c, f"卷积企业{i}", "C3216", "630100", "2020-01-01") for i, c in enumerate((X, Y))])
    write_table(region_a, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [("M1", X, None, None), ("M2", Y, None, None)])
    pq.write_table(readings.filter(pa.array(meter == "M1")), region_a / "interval_readings.parquet")
    region_b.mkdir()
    pq.write_table(readings.filter(pa.array(meter == "M2")), region_b / "interval_readings.parquet")
    return readings, region_a, region_b


def _count(readings: pa.Table, meter: str) -> int:
    return sum(1 for m in readings.column("meter_id").to_pylist() if m == meter)


def test_a_region_is_compared_with_its_own_meters_and_a_correction_keeps_the_others(stores, tmp_path):
    """Issue 18: a batch is compared only with the stored rows of its own meters (a region sent after others),
    yet a correction that writes a month again writes every stored row of it, other regions' included."""
    new, _, _ = stores
    readings, region_a, region_b = _two_regions(tmp_path)
    fix = tmp_path / "fix"
    write_table(fix, "interval_readings", ["meter_id", "ts", "kwh"], [("M2", "2023-03-31 23:45:00", 5.5)])
    ingest_batch(new, region_a)
    assert ingest_batch(new, region_b).counts["interval_readings"].new == _count(readings, "M2")
    result = ingest_batch(new, fix)
    assert result.counts["interval_readings"].corrected == 1
    files = [str(p) for p in new.active_files("interval_readings")]
    with duckdb.connect() as con:
        stored = dict(con.sql("SELECT meter_id || ' ' || strftime(ts, '%Y-%m-%d %H:%M'), kwh FROM "
                              "read_parquet($f, hive_partitioning = false)", params={"f": files}).fetchall())
    raw = {f"{r['meter_id']} {r['ts']:%Y-%m-%d %H:%M}": r["kwh"] for r in readings.to_pylist()
           if r["meter_id"] in ("M1", "M2")}
    raw["M2 2023-03-31 23:45"] = 5.5
    assert stored == raw
    hourly = pq.read_table([new.lake / ("interval_hourly" + str(p.relative_to(new.lake)).removeprefix(
        "interval_readings")) for p in new.active_files("interval_readings")]).to_pylist()
    assert sum(h["n"] for h in hourly) == len(raw)
    assert sum(h["kwh"] for h in hourly) == pytest.approx(sum(raw.values()), rel=1e-12)


def test_files_of_one_month_with_meters_apart_hold_every_meter_hour_once(stores, tmp_path):
    """Two regions' files of the same months: their meter id ranges are apart, so the engine takes each meter's
    hours as they are; the test's first batches split meters' hours between files, so it may not."""
    new, _, (first, second, _fix) = stores
    region = tmp_path / "region"
    write_table(region, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(credit_code(45), "卷积企业9", "C3216", "630100", "2020-01-01")])
    write_table(region, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [("N1", credit_code(45), None, None)])
    readings = _readings(seed=3).filter(pa.array(np.array(_readings(seed=3).column("meter_id").to_pylist()) == "M1"))
    pq.write_table(readings.set_column(0, "meter_id", pa.array(["N1"] * len(readings))),
                   region / "interval_readings.parquet")
    ingest_batch(new, first)
    ingest_batch(new, region)
    with new.snapshot() as view:
        assert read_year(view, new, 2023, load_profile("default")).unique_hours  # M1–M4 and N1 are apart
    ingest_batch(new, second)
    with new.snapshot() as view:
        assert not read_year(view, new, 2023, load_profile("default")).unique_hours  # M1–M4 twice in Feb


def test_a_region_neither_reads_nor_hashes_the_other_regions_files(stores, tmp_path):
    """A batch reads (and checks against their digests) only the stored files whose meter range meets its own: a
    damaged file of another region does not stop it, while a batch of that region's meters is refused."""
    new, _, _ = stores
    readings, region_a, region_b = _two_regions(tmp_path)
    again = tmp_path / "again"
    write_table(again, "interval_readings", ["meter_id", "ts", "kwh"], [("M1", "2023-01-01 00:00:00", 1.25)])
    ingest_batch(new, region_a)
    (path,) = new.active_files("interval_readings")
    data = path.read_bytes()
    path.write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])  # a bit flipped in a page of M1
    assert ingest_batch(new, region_b).counts["interval_readings"].new == _count(readings, "M2")
    with pytest.raises(LakeCorrupt):
        ingest_batch(new, again)


def test_an_incremental_recompute_reads_and_hashes_only_its_enterprises_files(stores, tmp_path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    """Issue 18: recomputing the enterprise a correction marked reads (and checks against their digests) only the
    interval files whose meter range meets its meters': a damaged file of another region does not stop it, while a
    full compute, which reads every file, refuses it; once the file is restored, the full run equals the
    incremental one."""
    new, _, _ = stores
    _, region_a, region_b = _two_regions(tmp_path)
    fix = tmp_path / "fix"
    write_table(fix, "interval_readings", ["meter_id", "ts", "kwh"], [("M1", "2023-03-10 08:15:00", 99.5)])
    ingest_batch(new, region_a)
    ingest_batch(new, region_b)
    compute_year(new, 2023)
    assert ingest_batch(new, fix).counts["interval_readings"].corrected == 1
    (other,) = [p for p in new.active_files("interval_readings") if key_range(p, "meter_id") == ("M2", "M2")]
    good = other.read_bytes()
    other.write_bytes(good[:1000] + bytes([good[1000] ^ 0xFF]) + good[1001:])  # a bit flipped in a page of M2

    # what is checked, seen as what is hashed: nothing known from before (this process's digests, the store's
    # memory of those its batches wrote, integrity.DigestMemory)
    monkeypatch.setattr(integrity, "_seen", {})
    monkeypatch.setattr(lake, "digest_memory", lambda _store: None)
    hashed = count_hashes(monkeypatch)
    run = compute_year(new, 2023, incremental=True)
    monkeypatch.undo()
    assert run.mode == "incremental" and run.recomputed == 1
    assert other not in hashed and hashed  # the corrected file (and its roll-up) were checked, M2's not
    with pytest.raises(LakeCorrupt) as refused:
        compute_year(new, 2023)
    assert refused.value.paths == [other.relative_to(new.lake).as_posix()]
    other.write_bytes(good)
    full = compute_year(new, 2023)
    for a, b in zip(sorted(run.records, key=lambda r: r["credit_code"]),
                    sorted(full.records, key=lambda r: r["credit_code"]), strict=True):
        same_record(a, b, a["credit_code"])
