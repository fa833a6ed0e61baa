"""Crash safety: the real CLI is killed (SIGKILL) in the middle of an ingest, a correction, a compute and a
report run, at the crash points of ``dianta.ledger.store.crash_point`` (``DIANTA_CRASH_AT``); then the store
is opened again and checked: it opens (recover() runs), nothing accepted before the crash is lost, nothing
half-applied is visible, and running the interrupted command again completes it, with the state of a run
that never crashed. On the embedded store and on PostgreSQL.

Crash points: ``ingest.staged`` (lake files staged, no ledger transaction yet), ``ingest.before_commit``
(inside the ledger transaction: the database rolls it back), ``ingest.committed`` (committed, nothing
published: recover() publishes), ``ingest.renaming`` (half the staged files published), ``compute.aggregated``,
``compute.before_commit`` (inside the publishing transaction), ``report.rendered`` (before the output is
written) and ``report.writing`` (the output's temporary file written, not yet renamed into place).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import BACKENDS, new_pg_database, write_table
from province import A, H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, read_accounts
from dianta.ingest.apply import ingest_batch
from dianta.ledger import integrity, schema
from dianta.ledger.store import Store
from dianta.reports.content import gather_account_report
from dianta.reports.render import render_account_report
from dianta.security import audit

KILLED = -signal.SIGKILL


# -- stores the CLI can be pointed at --------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A store as the CLI names it: a folder, or a postgresql:// URL and its lake."""

    backend: str
    db: str
    lake: Path | None = None

    def args(self) -> list[str]:
        return ["--db", self.db] + (["--lake", str(self.lake)] if self.lake else [])

    @property
    def staging(self) -> Path:
        return (self.lake if self.lake else Path(self.db) / "lake") / "_staging"

    @contextmanager
    def open(self) -> Iterator[Store]:
        """The store, opened in this process (recover() runs) and closed again before any CLI run."""
        store = Store(self.db, lake=self.lake)
        try:
            yield store
        finally:
            store.close()


def target_of(store: Store) -> Target:
    if store.engine.dialect.name == "sqlite":
        return Target("sqlite", str(store.root))
    url = store.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
    return Target("postgresql", url, store.lake)


def clone(template: Target, folder: Path) -> Target:
    """A copy of a closed store: the folder, or a PostgreSQL database made from it (CREATE DATABASE …
    TEMPLATE) and a copy of its lake."""
    if template.backend == "sqlite":
        shutil.copytree(template.db, folder / "store")
        return Target("sqlite", str(folder / "store"))
    server, source = template.db.rsplit("/", 1)
    name = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(100):  # the template's last connections may take a moment to end
            try:
                with engine.connect() as con:
                    con.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {source}")
                break
            except sa.exc.OperationalError:
                if attempt == 99:
                    raise
                time.sleep(0.1)
    finally:
        engine.dispose()
    assert template.lake is not None
    shutil.copytree(template.lake, folder / "lake")
    return Target("postgresql", f"{server}/{name}", folder / "lake")


# -- the CLI ------------------------------------------------------------------------------------------------
def dianta(target: Target, *args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DIANTA_CRASH_AT"}
    env["DIANTA_USER"] = "crash-test"
    if crash_at:
        env["DIANTA_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "dianta", *target.args(), *args], capture_output=True, env=env,
                          timeout=600)


def crash(target: Target, *args: str, at: str) -> None:
    """Run a command that must die by SIGKILL at the crash point ``at``."""
    result = dianta(target, *args, crash_at=at)
    assert result.returncode == KILLED, (f"{args} with DIANTA_CRASH_AT={at} ended with {result.returncode}, not "
                                         f"SIGKILL:\n{result.stdout.decode()}\n{result.stderr.decode()[-3000:]}")


def complete(target: Target, *args: str) -> str:
    """Run a command (no crash point) that must succeed; its standard output."""
    result = dianta(target, *args)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout.decode()}\n{result.stderr.decode()[-3000:]}"
    return result.stdout.decode()


# -- what a store holds -------------------------------------------------------------------------------------
def _norm(text: object) -> object:
    """Batch ids in lake paths differ between stores (a PostgreSQL sequence is not rolled back)."""
    return re.sub(r"b\d{6}", "b######", text) if isinstance(text, str) else text


def _rows(con: sa.Connection, table: sa.Table, *, drop: tuple[str, ...] = ("batch_id",)) -> list[tuple]:
    cols = [c for c in table.c if c.name not in drop]
    return sorted((tuple(_norm(v) for v in r) for r in con.execute(sa.select(*cols))), key=repr)


def lake_content(store: Store) -> dict[str, tuple[int, str]]:
    """Per lake table, the rows of its active files (count and digest, in any file order). Every active file
    exists and holds the rows the ledger says."""
    lf = schema.lake_files
    with store.engine.connect() as con:
        rows = con.execute(sa.select(lf.c.table_name, lf.c.path, lf.c.n_rows).where(lf.c.state == "active")).all()
    parts: dict[str, list[pa.Table]] = defaultdict(list)
    for table, path, n_rows in rows:
        file = store.lake / path
        assert file.is_file(), f"active lake file {path} is missing"
        data = pq.ParquetFile(file).read()
        assert data.num_rows == n_rows, path
        parts[table].append(data)
    out = {}
    for table, tables in sorted(parts.items()):
        data = pa.concat_tables([t.cast(tables[0].schema) for t in tables])
        data = data.sort_by([(c, "ascending") for c in data.column_names])
        out[table] = (data.num_rows, hashlib.sha256(repr(data.to_pydict()).encode()).hexdigest())
    return out


def ledger_state(store: Store) -> dict[str, object]:
    """The ledger's batches, data, history, lake files, quarantine and marks, comparable between stores."""
    state: dict[str, object] = {}
    b = schema.batches
    with store.engine.connect() as con:
        query = sa.select(b.c.status, b.c.reason, b.c.source, b.c.summary_json).order_by(b.c.batch_id)
        state["batches"] = [tuple(r) for r in con.execute(query)]
        for name, table in schema.data_tables.items():
            state[name] = _rows(con, table)
        state["history"] = _rows(con, schema.history, drop=("history_id", "batch_id"))
        state["lake_files"] = _rows(con, schema.lake_files, drop=("batch_id", "superseded_by"))
        state["quarantine"] = _rows(con, schema.quarantine, drop=("quarantine_id", "batch_id"))
        state["recalc_marks"] = _rows(con, schema.recalc_marks)
        state["benchmark_marks"] = _rows(con, schema.benchmark_marks)
        state["runs"] = con.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one()
    state["lake"] = lake_content(store)
    return state


def accounts(store: Store, year: int = 2023) -> list[dict[str, object]]:
    """The published accounts as exported, without the run id (a PostgreSQL sequence is not rolled back)."""
    return [{k: v for k, v in r.items() if k != "run_id"} for r in read_accounts(store, year)]


def _ingest_entries(store: Store) -> list[str]:
    """The audited batch ingests after the template's own (the 2022 batch was ingested in-process)."""
    log = schema.audit_log
    with store.engine.connect() as con:
        return list(con.execute(sa.select(log.c.resource).where(log.c.action == "batch.ingest")
                                .order_by(log.c.entry_id)).scalars())


def check_opened(store: Store) -> None:
    """After a crash and a new open: no staging leftovers, every lake file the ledger refers to exists, reads
    and is the file whose size and SHA-256 the ledger recorded (issue 13), the audit chain holds."""
    assert sorted(p.name for p in store.staging.iterdir()) == []
    with store.engine.connect() as con:
        paths = list(con.execute(sa.select(schema.lake_files.c.path)).scalars())
        paths += [p for p in con.execute(sa.select(schema.quarantine.c.parquet_path)).scalars() if p]
        paths += [k[len("lake:"):] for k in con.execute(sa.select(schema.history.c.row_key)).scalars()
                  if k.startswith("lake:")]
    for path in paths:
        assert (store.lake / path).is_file(), f"{path} is referenced by the ledger but missing from the lake"
        pq.ParquetFile(store.lake / path).read()
    assert integrity.verify_store(store).problems == []
    assert audit.verify_chain(store).ok


def monthly_kwh(store: Store, meter: str, month: str) -> float:
    m = schema.data_tables["consumption_monthly"].c
    with store.engine.connect() as con:
        return con.execute(sa.select(m.kwh).where(m.meter_id == meter, m.month == month)).scalar_one()


def interval_kwh(store: Store, meter: str, day: dt.date) -> list[float]:
    """The active quarter-hour readings of a meter on a day."""
    out = []
    for file in store.active_files("interval_readings", [day.strftime("%Y-%m")]):
        t = pq.ParquetFile(file).read().to_pylist()
        out += [r["kwh"] for r in t if r["meter_id"] == meter and r["ts"].date() == day]
    return sorted(out)


def history_of(store: Store, table: str) -> list[tuple[str, str]]:
    h = schema.history
    with store.engine.connect() as con:
        return [tuple(r) for r in con.execute(sa.select(h.c.row_key, h.c.old_json).where(h.c.table_name == table)
                                              .order_by(h.c.history_id))]


# -- the province, built once per backend and copied for each test ---------------------------------------
@dataclass(frozen=True)
class Templates:
    y2022: Target  # the 2022 batch
    ingested: Target  # and the 2023 batch
    province: Target  # and 2023 computed
    corrected: Target  # and A's June 2023 corrected (not computed again)


MONTHLY_FIX = "monthly-fix"  # A's June 2023: 90,000 kWh, not 40,000
INTERVAL_FIX = "interval-fix"  # H's meter read 20 kWh, not 10, in every quarter hour of 1 March 2023
PARTIAL = "partial"  # H's 2 March 2023 again, 20 kWh, one reading negative (quarantined with --partial)
MARCH_1, MARCH_2 = dt.date(2023, 3, 1), dt.date(2023, 3, 2)


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("batches")
    write_table(root / MONTHLY_FIX, "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{A[-3:]}", "2023-06", 90_000)])
    for name, day, kwh in ((INTERVAL_FIX, MARCH_1, [20.0] * 96), (PARTIAL, MARCH_2, [-1.0] + [20.0] * 95)):
        ts = [dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=15 * i) for i in range(96)]
        (root / name).mkdir()
        pq.write_table(pa.table({"meter_id": [f"M{H[-3:]}"] * 96, "ts": pa.array(ts, pa.timestamp("us")),
                                 "kwh": kwh}), root / name / "interval_readings.parquet")
    return {"2022": write_batch_2022(root / "2022"), "2023": write_batch_2023(root / "2023"),
            MONTHLY_FIX: root / MONTHLY_FIX, INTERVAL_FIX: root / INTERVAL_FIX, PARTIAL: root / PARTIAL}


@pytest.fixture(scope="module")
def templates(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              batches: dict[str, Path]) -> Callable[[str], Templates]:
    made: dict[str, Templates] = {}

    def step(template: Target, work: Callable[[Store], object]) -> Target:
        target = clone(template, tmp_path_factory.mktemp(f"template-{template.backend}"))
        with target.open() as store:
            work(store)
        return target

    def get(backend: str) -> Templates:
        if backend not in made:
            folder = tmp_path_factory.mktemp(f"template-{backend}")
            if backend == "sqlite":
                first = Target("sqlite", str(folder / "store"))
            else:
                first = Target("postgresql", new_pg_database(request.getfixturevalue("pg_server")), folder / "lake")
            with first.open() as store:
                ingest_batch(store, batches["2022"])
            ingested = step(first, lambda s: ingest_batch(s, batches["2023"]))
            province = step(ingested, lambda s: compute_year(s, 2023))
            corrected = step(province, lambda s: ingest_batch(s, batches[MONTHLY_FIX], reason="June re-read"))
            made[backend] = Templates(first, ingested, province, corrected)
        return made[backend]

    return get


# -- the tests ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_an_interrupted_ingest_loses_nothing_and_completes_when_run_again(
        backend: str, templates: Callable[[str], Templates], batches: dict[str, Path], tmp_path: Path):
    t = templates(backend)
    target = clone(t.y2022, tmp_path)
    with target.open() as store:
        before = ledger_state(store)
    assert before["lake"] == {}  # the 2022 batch is monthly data only: the 2023 batch brings the lake files

    for point in ("ingest.staged", "ingest.before_commit"):
        crash(target, "ingest", str(batches["2023"]), at=point)
        assert any(target.staging.rglob("*.parquet")), "the staged lake files were left behind"
        with target.open() as store:
            check_opened(store)  # the debris is gone
            assert ledger_state(store) == before, f"a batch killed at {point} left something behind"

    with target.open() as store:  # no audit entry for a batch that was never applied
        assert _ingest_entries(store) == []
    crash(target, "ingest", str(batches["2023"]), at="ingest.committed")
    assert any(target.staging.rglob("*.parquet")), "committed files wait in staging for recover()"
    with target.open() as store:  # recover() publishes them
        check_opened(store)
        after = ledger_state(store)
        # the audit entry committed with the batch, though the process died before it could say so
        with store.engine.connect() as con:
            newest = con.execute(sa.select(sa.func.max(schema.batches.c.batch_id))).scalar()
        assert _ingest_entries(store) == [f"batch:{newest}"]
    with t.ingested.open() as store:
        clean = ledger_state(store)
    assert after == clean
    assert after["lake"]["interval_readings"][0] == 365 * 96  # type: ignore[index]

    # the batch was accepted: sending it again changes nothing
    assert "nothing changed" in complete(target, "ingest", str(batches["2023"]))
    with target.open() as store:
        check_opened(store)
        assert ledger_state(store) == clean


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_ingest_killed_while_publishing_is_published_at_the_next_open(
        backend: str, templates: Callable[[str], Templates], batches: dict[str, Path], tmp_path: Path):
    target = clone(templates(backend).y2022, tmp_path)
    # two files of the year (readings, trade profiles): the first published, then the kill
    crash(target, "ingest", str(batches["2023"]), at="ingest.renaming")
    lake = target.lake if target.lake else Path(target.db) / "lake"
    published = list((lake / "interval_readings").rglob("*.parquet")) + list(
        (lake / "green_trade_profiles").rglob("*.parquet"))
    assert len(published) == 1
    with target.open() as store:
        check_opened(store)
        state = ledger_state(store)
    with templates(backend).ingested.open() as store:
        assert state == ledger_state(store)

    # a partial batch: its quarantined interval rows are a lake file too, published at the next open
    crash(target, "ingest", "--partial", str(batches[PARTIAL]), at="ingest.committed")
    with target.open() as store:
        check_opened(store)
        qt = schema.quarantine
        with store.engine.connect() as con:
            (path, n_rows), = con.execute(sa.select(qt.c.parquet_path, qt.c.n_rows)).all()
        assert n_rows == 1 and pq.ParquetFile(store.lake / path).read().num_rows == 1
        assert interval_kwh(store, f"M{H[-3:]}", MARCH_2) == [10.0] + [20.0] * 95


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_interrupted_correction_keeps_the_old_values_until_it_is_run_again(
        backend: str, templates: Callable[[str], Templates], batches: dict[str, Path], tmp_path: Path):
    t = templates(backend)
    target = clone(t.province, tmp_path / "crashed")
    with target.open() as store:
        before, published = ledger_state(store), accounts(store)
    assert before["recalc_marks"] == []

    # a monthly value (a ledger table): old until committed; then the history holds the old value once
    monthly = ("ingest", str(batches[MONTHLY_FIX]), "--reason", "June re-read")
    crash(target, *monthly, at="ingest.before_commit")  # (ingest.staged: as for the interval correction below)
    with target.open() as store:
        check_opened(store)
        assert monthly_kwh(store, f"M{A[-3:]}", "2023-06") == 40_000
        assert ledger_state(store) == before
    crash(target, *monthly, at="ingest.committed")
    with target.open() as store:
        check_opened(store)
        assert monthly_kwh(store, f"M{A[-3:]}", "2023-06") == 90_000
        assert [json.loads(old)["kwh"] for _, old in history_of(store, "consumption_monthly")] == [40_000]
        assert ledger_state(store)["recalc_marks"] == [(A, 2023), (A, 2024)]  # the year and the next
        assert accounts(store) == published  # accounts change only when computed again
    assert "nothing changed" in complete(target, *monthly)
    with target.open() as store:
        corrected = ledger_state(store)
    assert len(corrected["batches"]) == len(before["batches"]) + 1  # type: ignore[arg-type]

    # interval readings (the lake): the old file stays active until the correcting batch commits
    interval = ("ingest", str(batches[INTERVAL_FIX]), "--reason", "meter replaced")
    for point in ("ingest.staged", "ingest.before_commit"):
        crash(target, *interval, at=point)
        with target.open() as store:
            check_opened(store)
            assert interval_kwh(store, f"M{H[-3:]}", MARCH_1) == [10.0] * 96
            assert ledger_state(store) == corrected
    crash(target, *interval, at="ingest.renaming")  # the month's new file published, not its history file
    with target.open() as store:
        check_opened(store)  # the history file of the old readings is published too, not thrown away
        assert interval_kwh(store, f"M{H[-3:]}", MARCH_1) == [20.0] * 96
        (key, old), = history_of(store, "interval_readings")
        old_rows = pq.ParquetFile(store.lake / key[len("lake:"):]).read().to_pylist()
        assert len(old_rows) == json.loads(old)["rows"] == 96 and {r["old_kwh"] for r in old_rows} == {10.0}
        assert accounts(store) == published
    assert "nothing changed" in complete(target, *interval)

    # the same as a store that applied both corrections without a crash
    clean = clone(t.province, tmp_path / "clean")
    with clean.open() as store:
        ingest_batch(store, batches[MONTHLY_FIX], reason="June re-read")
        ingest_batch(store, batches[INTERVAL_FIX], reason="meter replaced")
        expected = ledger_state(store)
    with target.open() as store:
        check_opened(store)
        final = ledger_state(store)
        assert len(history_of(store, "interval_readings")) == len(history_of(store, "consumption_monthly")) == 1
    for state in (final, expected):
        for batch in state["batches"]:  # type: ignore[attr-defined]
            assert batch[0] == "applied"
    assert [b[:3] for b in final["batches"]] == [b[:3] for b in expected["batches"]]  # type: ignore[attr-defined]
    assert final == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_interrupted_compute_publishes_nothing_and_completes_when_run_again(
        backend: str, templates: Callable[[str], Templates], tmp_path: Path):
    t = templates(backend)
    target = clone(t.corrected, tmp_path / "crashed")
    with target.open() as store:
        before, published = ledger_state(store), read_accounts(store, 2023)
    assert before["recalc_marks"] == [(A, 2023), (A, 2024)]

    for point in ("compute.aggregated", "compute.before_commit"):
        crash(target, "compute", "--year", "2023", at=point)
        with target.open() as store:
            check_opened(store)
            assert read_accounts(store, 2023) == published  # the run ids too: no new run is visible
            assert ledger_state(store) == before  # no new row in runs, the marks still there

    complete(target, "compute", "--year", "2023")
    exported = json.loads(complete(target, "export", "accounts", "--year", "2023", "--format", "json"))
    clean = clone(t.corrected, tmp_path / "clean")
    with clean.open() as store:
        compute_year(store, 2023)
        expected = accounts(store)
    assert [{k: v for k, v in r.items() if k != "run_id"} for r in exported] == expected
    a_before = next(r for r in published if r["credit_code"] == A)
    a_after = next(r for r in exported if r["credit_code"] == A)
    assert a_after["kwh_grid"] == a_before["kwh_grid"] + 50_000
    with target.open() as store:
        after = ledger_state(store)
        check_opened(store)
    assert after["runs"] == before["runs"] + 1  # type: ignore[operator]
    assert after["recalc_marks"] == [(A, 2024)]  # 2023's mark settled by the run


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_interrupted_report_leaves_no_partial_file(backend: str, templates: Callable[[str], Templates],
                                                     tmp_path: Path):
    target = clone(templates(backend).province, tmp_path)
    out = tmp_path / "reports" / "report.html"
    report = ("report", A, "--year", "2023", "--format", "html", "--lang", "en", "--out", str(out))
    with target.open() as store:
        before = ledger_state(store)
        expected = render_account_report(gather_account_report(store, credit_code=A, year=2023), fmt="html",
                                         lang="en").decode()
    minute = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")

    crash(target, *report, at="report.rendered")
    assert not out.exists()
    complete(target, *report)
    written = out.read_bytes()
    assert minute.sub("…", written.decode()) == minute.sub("…", expected)

    crash(target, *report, at="report.writing")  # its temporary file is written, not yet renamed
    assert out.read_bytes() == written  # the earlier report, whole
    leftovers = [p.name for p in out.parent.iterdir() if p != out]  # SIGKILL leaves the hidden temporary file
    assert all(n.startswith(".report.html.") and n.endswith(".tmp") for n in leftovers), leftovers
    with target.open() as store:
        check_opened(store)
        assert ledger_state(store) == before


def test_a_staging_folder_in_use_is_left_alone_when_another_process_opens_the_store(tmp_path: Path):
    """recover() runs at every open (every command, the API server): it must not take the staged files of a
    batch another process is applying for debris. A staging folder in use is locked; one left by a process
    that ended (SIGKILL releases the lock) is cleaned."""
    store = Store(tmp_path / "store")
    with store.stage() as stage:
        (stage / "pending").mkdir()
        pq.write_table(pa.table({"x": [1]}), stage / "pending" / "0.parquet")
        Store(tmp_path / "store").close()  # another process opens the store meanwhile
        assert (stage / "pending" / "0.parquet").is_file()
    assert list(store.staging.iterdir()) == []
    (store.staging / "0123456789abcdef" / "pending").mkdir(parents=True)  # debris of a killed process
    (store.staging / "fedcba9876543210.lock").touch()  # killed before its folder was made
    store.close()
    Store(tmp_path / "store").close()
    assert list(store.staging.iterdir()) == []
