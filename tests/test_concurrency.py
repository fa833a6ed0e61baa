"""Issue 13, items 1 and 2: batches and computations at the same time, on the embedded store and on PostgreSQL.

Real separate processes (the CLI, `dianta serve`) are held at the test hooks of
``dianta.ledger.store.crash_point`` (``DIANTA_PAUSE_AT``: the process writes ``<point>.reached`` into
``DIANTA_PAUSE_DIR`` and waits for ``<point>.go``), so that another batch or computation runs at exactly that
moment:

- two overlapping batches (a year's readings, and the same readings with other tables): every reading is
  stored once, the second batch is applied after the first or refused with a clear message, never both;
- a batch checked against meter periods that another batch changed before it was applied is refused;
- a batch that commits while a computation runs keeps its recalculation marks, the computation publishes
  the accounts of the data it read (one snapshot), and ``compute --incremental`` then recomputes the account;
- a computation from older data is not published over accounts from newer data;
- two computations posted at once over HTTP: no 500, both published one after the other (or a 409).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import BACKENDS, write_table
from province import A, G, H, write_batch_2022, write_batch_2023
from service import Service, start_service, stop_service

from dianta.accounts.compute import compute_year, read_accounts, stale_accounts
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store

WAIT_S = 120  # the longest a step may take on a loaded machine


@pytest.fixture
def province(store: Store, tmp_path: Path) -> Store:
    """The hand-computed province, its 2023 accounts published (no marks left)."""
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    compute_year(store, 2023)
    assert stale_accounts(store) == []
    return store


def cli_args(store: Store) -> list[str]:
    """``--db`` (and ``--lake``) naming ``store`` for the CLI."""
    if store.engine.dialect.name == "sqlite":
        return ["--db", str(store.root)]
    url = store.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
    return ["--db", url, "--lake", str(store.lake)]


class Paused:
    """A CLI command run in its own process and held at the test hook ``point`` until :meth:`release`."""

    def __init__(self, store: Store, folder: Path, point: str, *args: str):
        self.point, self.folder = point, folder
        folder.mkdir(parents=True)
        env = {**os.environ, "DIANTA_USER": "concurrency-test", "DIANTA_PAUSE_AT": point,
               "DIANTA_PAUSE_DIR": str(folder)}
        self.process = subprocess.Popen([sys.executable, "-m", "dianta", *cli_args(store), *args], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_reached(self) -> None:
        deadline = time.monotonic() + WAIT_S
        while not (self.folder / f"{self.point}.reached").exists():
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"the command ended ({self.process.returncode}) before {self.point}:\n"
                            f"{out.decode()}\n{err.decode()[-3000:]}")
            assert time.monotonic() < deadline, f"the command did not reach {self.point}"
            time.sleep(0.05)

    def release(self) -> None:
        (self.folder / f"{self.point}.go").touch()

    def finish(self) -> tuple[int, str]:
        """The exit code and everything the command printed (its lines joined: the console wraps them)."""
        out, err = self.process.communicate(timeout=WAIT_S * 2)
        return self.process.returncode, " ".join((out.decode() + err.decode()).split())


def readings_of_2024(folder: Path, meters: list[str]) -> Path:
    """A year (2024) of 15-minute readings of ``meters``, 1 kWh each."""
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime(2024, 1, 1)
    ts = [start + dt.timedelta(minutes=15 * i) for i in range(366 * 96)]
    pq.write_table(pa.table({"meter_id": [m for m in meters for _ in ts],
                             "ts": pa.array(ts * len(meters), pa.timestamp("us")),
                             "kwh": [1.0] * (len(ts) * len(meters))}), folder / "interval_readings.parquet")
    return folder


def waiting_on_a_lock(store: Store) -> bool:
    """Whether some PostgreSQL session waits for a lock (an advisory lock, or a row another transaction holds)."""
    with store.engine.connect() as con:
        return bool(con.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                        "AND datname = current_database()")).scalar())


def let_it_queue(store: Store, seconds: float = 3.0) -> None:
    """Give a released command time to run into the lock the held one has (on PostgreSQL: until it waits)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if store.engine.dialect.name == "postgresql" and waiting_on_a_lock(store):
            return
        time.sleep(0.1)


# -- item 1: batches --------------------------------------------------------------------------------------
def test_two_overlapping_batches_store_each_reading_once(province: Store, tmp_path: Path):
    meters = [f"M{H[-3:]}", f"M{G[-3:]}"]
    year_file = readings_of_2024(tmp_path / "year", meters)
    with_more = readings_of_2024(tmp_path / "with-more", meters)  # the same file, with other tables
    write_table(with_more, "economics", ["credit_code", "year", "value_added_10k_cny"], [(A, 2024, 1100)])
    write_table(with_more, "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{A[-3:]}", f"2024-{m:02d}", 90_000) for m in range(1, 13)])

    first = Paused(province, tmp_path / "p1", "ingest.before_commit", "ingest", str(year_file))
    first.wait_reached()  # checked and written, not committed
    second = Paused(province, tmp_path / "p2", "ingest.staged", "ingest", str(with_more))
    second.wait_reached()  # checked and staged against the store without the first batch
    second.release()
    let_it_queue(province)
    first.release()
    code1, out1 = first.finish()
    code2, out2 = second.finish()

    assert code1 == 0, out1
    assert "Traceback" not in out2
    if code2 != 0:  # refused as a whole, saying why and what to do
        assert code2 == 1, out2
        assert "another batch changed interval_readings of 2024-" in out2 and "send it again" in out2, out2
    lf = schema.lake_files
    with province.engine.connect() as con:
        active = con.execute(sa.select(lf.c.path, lf.c.month, sa.func.coalesce(lf.c.month_to, lf.c.month))
                             .where(lf.c.table_name == "interval_readings", lf.c.state == "active",
                                    lf.c.month >= "2024-01")).all()
        summaries = con.execute(sa.select(schema.batches.c.summary_json)).scalars().all()
    for month in (f"2024-{m:02d}" for m in range(1, 13)):
        assert len([p for p, first_m, last_m in active if first_m <= month <= last_m]) == 1, (month, active)
    files = [str(province.lake / p) for p, _, _ in active]
    total, distinct = duckdb.sql("SELECT count(*), count(DISTINCT (meter_id, ts)) FROM read_parquet($f)",
                                 params={"f": files}).fetchall()[0]
    assert total == distinct == 2 * 366 * 96
    new_readings = [json.loads(s)["counts"].get("interval_readings", {}).get("new", 0) for s in summaries]
    assert sorted(n for n in new_readings if n) == [365 * 96, 2 * 366 * 96]  # the province's 2023, then 2024 once
    economics = schema.data_tables["economics"]
    with province.engine.connect() as con:
        stored = con.execute(sa.select(economics.c.value_added_10k_cny).where(economics.c.year == 2024)).all()
    assert stored == ([] if code2 else [(1100,)])


def test_a_batch_checked_against_meter_periods_another_batch_changed_is_refused(province: Store, tmp_path: Path):
    # H's meter stops being H's at the end of June 2024 (another batch), while readings of its September,
    # checked against the meter as it was (held with no end), wait to be applied
    september = tmp_path / "september"
    september.mkdir()
    ts = [dt.datetime(2024, 9, 1) + dt.timedelta(minutes=15 * i) for i in range(96)]
    pq.write_table(pa.table({"meter_id": [f"M{H[-3:]}"] * 96, "ts": pa.array(ts, pa.timestamp("us")),
                             "kwh": [5.0] * 96}), september / "interval_readings.parquet")
    late = Paused(province, tmp_path / "p", "ingest.staged", "ingest", str(september))
    late.wait_reached()
    write_table(tmp_path / "meter", "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [(f"M{H[-3:]}", H, None, "2024-06-30")])
    assert ingest_batch(province, tmp_path / "meter", reason="meter handed back").counts["meters"].corrected == 1
    late.release()
    code, out = late.finish()

    assert code == 1, out
    assert "changed meters while this one was checked against them" in out and "send it again" in out, out
    assert "Traceback" not in out
    assert province.active_files("interval_readings", ["2024-09"]) == []
    # sent again, it is checked against the meter as it is now: no enterprise holds it in September
    again = subprocess.run([sys.executable, "-m", "dianta", *cli_args(province), "ingest", str(september)],
                           capture_output=True, timeout=WAIT_S)
    assert again.returncode == 1
    assert province.active_files("interval_readings", ["2024-09"]) == []


# -- item 2: recalculation marks and the compute's snapshot ------------------------------------------------
@pytest.mark.parametrize("point", ["compute.reading", "compute.aggregated"])
def test_a_batch_committed_during_a_compute_keeps_its_marks(province: Store, tmp_path: Path, point: str):
    before = {r["credit_code"]: r for r in read_accounts(province, 2023)}
    with province.engine.connect() as con:
        last_batch = con.execute(sa.select(sa.func.max(schema.batches.c.batch_id))).scalar()
    run = Paused(province, tmp_path / "p", point, "compute", "--year", "2023")
    run.wait_reached()  # "reading": inside the snapshot of its inputs; "aggregated": every input read
    # A's June was 90,000 kWh, not 40,000
    write_table(tmp_path / "fix", "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{A[-3:]}", "2023-06", 90_000)])
    fix = ingest_batch(province, tmp_path / "fix", reason="June re-read")
    assert fix.counts["consumption_monthly"].corrected == 1
    run.release()
    code, out = run.finish()
    assert code == 0, out

    # the run published what it read, before the correction, and says so; the correction's marks survive
    published = {r["credit_code"]: r for r in read_accounts(province, 2023)}
    assert published[A]["kwh_grid"] == before[A]["kwh_grid"]
    runs = schema.runs
    with province.engine.connect() as con:
        assert con.execute(sa.select(runs.c.last_batch_id).order_by(runs.c.run_id.desc()).limit(1)).scalar() \
            == last_batch
    assert (A, 2023) in stale_accounts(province)
    inc = compute_year(province, 2023, incremental=True)
    assert inc.mode == "incremental" and inc.recomputed >= 1
    assert {r["credit_code"]: r for r in inc.records}[A]["kwh_grid"] == before[A]["kwh_grid"] + 50_000
    assert (A, 2023) not in stale_accounts(province)


def test_a_compute_from_older_data_is_not_published_over_newer_accounts(province: Store, tmp_path: Path):
    before = {r["credit_code"]: r for r in read_accounts(province, 2023)}
    old = Paused(province, tmp_path / "p", "compute.aggregated", "compute", "--year", "2023")
    old.wait_reached()
    write_table(tmp_path / "fix", "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{A[-3:]}", "2023-06", 90_000)])
    ingest_batch(province, tmp_path / "fix")
    newer = compute_year(province, 2023)  # publishes the corrected accounts, settles the correction's marks
    old.release()
    code, out = old.finish()

    assert code == 1, out
    assert "computed from newer data" in out and "nothing of it was published" in out, out
    published = {r["credit_code"]: r for r in read_accounts(province, 2023)}
    assert published[A]["kwh_grid"] == before[A]["kwh_grid"] + 50_000
    assert published[A]["run_id"] == newer.run_id
    assert stale_accounts(province) == [(A, 2024)]  # the correction's mark of the year after


# -- both, over HTTP ---------------------------------------------------------------------------------------
@pytest.fixture(params=BACKENDS)
def held_service(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                 ) -> Iterator[tuple[Service, Path]]:
    """A service whose computations wait, in their publishing transaction, for ``compute.before_commit.go``
    in the folder it comes with."""
    pause = tmp_path / "pause"
    pause.mkdir()
    (pause / "compute.before_commit.go").touch()  # the fixture's own computation, in this process, goes on
    monkeypatch.setenv("DIANTA_PAUSE_AT", "compute.before_commit")
    monkeypatch.setenv("DIANTA_PAUSE_DIR", str(pause))
    service = start_service(request.param, tmp_path / "service", request)
    for leftover in pause.iterdir():
        leftover.unlink()
    yield service, pause
    stop_service(service)


def test_two_computes_posted_at_once_are_published_one_after_the_other(held_service: tuple[Service, Path]):
    service, pause = held_service
    responses: list[httpx.Response] = []

    def post() -> None:
        with service.client("operator") as client:
            responses.append(client.post("/api/v1/compute", json={"year": 2023}))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WAIT_S
    while not (pause / "compute.before_commit.reached").exists():  # one is publishing, and waits there
        # issue 17: a computation asked for while another one of the service runs is refused at once (409)
        assert time.monotonic() < deadline and all(r.status_code == 409 for r in responses), [r.text for r in
                                                                                          responses]
        time.sleep(0.05)
    store = Store(service.db, lake=service.lake)
    try:
        let_it_queue(store, seconds=5)  # the other computes meanwhile and runs into the first's lock
        (pause / "compute.before_commit.go").touch()
        for t in threads:
            t.join(timeout=WAIT_S * 2)
        statuses = sorted(r.status_code for r in responses)
        assert len(statuses) == 2 and set(statuses) <= {200, 409}, [r.text for r in responses]
        assert 200 in statuses
        with store.engine.connect() as con:
            runs = con.execute(sa.select(schema.runs.c.run_id).where(schema.runs.c.year == 2023)
                               .order_by(schema.runs.c.run_id)).scalars().all()
            acc = schema.accounts
            published = con.execute(sa.select(acc.c.run_id, sa.func.count()).where(acc.c.year == 2023)
                                    .group_by(acc.c.run_id)).all()
        assert len(runs) == 1 + statuses.count(200)  # the fixture's run, and each one that was published
        assert published == [(runs[-1], 8)]  # the last run's eight accounts, nothing of another run
    finally:
        store.close()
