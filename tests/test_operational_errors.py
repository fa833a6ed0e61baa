"""Issue 13: operational errors reach users as messages, never as tracebacks.

A SQLite lock held past the timeout, a PostgreSQL server unreachable or gone mid-command, a full disk in the
lake's staging or in the ledger, a deleted or truncated lake file: each is run through the real CLI (``python -m
dianta`` in a subprocess) on a real store, and must end with the exit status of INTERFACE.md (3: the store
cannot be used now; 1: the stored data must be put right), no traceback, and a message that says what happened
and what to do in English and Chinese. ``status`` and ``audit verify`` still answer on a full disk. Full disks
are small tmpfs mounts (root only: skipped with the reason elsewhere); PostgreSQL is the suite's throwaway
server (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import BACKENDS, _free_port, credit_code, new_pg_database, write_table
from province import write_batch_2022, write_batch_2023
from service import start_service, stop_service

from dianta.engine.base import ParquetInput, Statement
from dianta.engine.duckdb_engine import DuckDBEngine
from dianta.errors import LakeCorrupt
from dianta.ingest.apply import ingest_batch
from dianta.ledger import failures
from dianta.ledger.store import Store


@dataclass(frozen=True)
class Target:
    """Where the CLI finds a store: ``--db`` (a folder or a postgresql:// URL) and, for PostgreSQL, ``--lake``."""

    db: str
    lake: Path | None = None

    @property
    def args(self) -> list[str]:
        return ["--db", self.db, *(["--lake", str(self.lake)] if self.lake else [])]

    @property
    def lake_root(self) -> Path:
        return self.lake if self.lake is not None else Path(self.db) / "lake"


def target(backend: str, folder: Path, request: pytest.FixtureRequest) -> Target:
    """A new store of ``backend`` with everything the CLI writes in ``folder``."""
    if backend == "sqlite":
        return Target(str(folder / "store"))
    return Target(new_pg_database(request.getfixturevalue("pg_server")), folder / "lake")


def dianta(where: Target, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dianta", *where.args, *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def assert_told(proc: subprocess.CompletedProcess[str], exit_code: int, en: list[str], zh: list[str]) -> None:
    """The command ended with ``exit_code``, no traceback, and says each phrase (English and Chinese)."""
    output = proc.stdout + proc.stderr
    assert proc.returncode == exit_code, output
    assert "Traceback" not in output, output
    for phrase in en + zh:
        assert phrase in proc.stderr, f"{phrase!r} not in:\n{proc.stderr}"


@contextmanager
def tmpfs(folder: Path, size: str, mode: str = "0700") -> Iterator[Path]:
    """``folder`` on a file system of its own of ``size`` (tmpfs), to fill up; skipped where it cannot be."""
    folder.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode={mode}", "tmpfs", str(folder)],
                             capture_output=True, text=True) if shutil.which("mount") else None
    if mounted is None or mounted.returncode != 0:
        why = mounted.stderr.strip() if mounted else "no mount command"
        pytest.skip(f"a small file system cannot be mounted here (mount -t tmpfs needs root): {why}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of its own, 4 MiB."""
    with tmpfs(tmp_path / "disk", "4m") as folder:
        yield folder


def fill(disk: Path, *, leave_bytes: int = 0) -> Path:
    """Fill the file system of ``disk`` until about ``leave_bytes`` are free; the filler file."""
    filler = disk / "filler"
    st = os.statvfs(disk)
    todo = max(st.f_bavail * st.f_frsize - leave_bytes, 0)
    block = b"\0" * 65536
    with filler.open("ab") as f:
        try:
            while todo > 0:
                todo -= f.write(block[:min(len(block), todo)])
                f.flush()
        except OSError:
            pass  # full
    return filler


def interval_batch(folder: Path) -> Path:
    """A batch whose 15-minute readings (random, so they do not compress) make a lake file of about 1 MB."""
    codes = [credit_code(i) for i in range(1, 5)]
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(c, f"测试企业{i}", "C3216", "630100", "2022-01-01") for i, c in enumerate(codes)])
    write_table(folder, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [(f"M{c[-3:]}", c, None, None) for c in codes])
    n = 96 * 365
    ts = pa.array(np.arange(np.datetime64("2023-01-01T00:00"), np.datetime64("2023-01-01T00:00") + n * 15,
                            np.timedelta64(15, "m")).astype("datetime64[us]"))
    pq.write_table(pa.table({"meter_id": pa.array(np.repeat([f"M{c[-3:]}" for c in codes], n)),
                             "ts": pa.concat_arrays([ts] * len(codes)),
                             "kwh": np.random.default_rng(13).random(n * len(codes)) * 100}),
                   folder / "interval_readings.parquet")
    return folder


def enterprises_batch(folder: Path, n: int = 20_000) -> Path:
    """A batch of ``n`` enterprises: rows of the ledger (about 1 MB of CSV), nothing for the lake."""
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(credit_code(1000 + i), f"企业{i}", "C3216", "630100", "2022-01-01") for i in range(n)])
    return folder


def batches_in_ledger(where: Target) -> int:
    store = Store(where.db, lake=where.lake)
    try:
        with store.engine.connect() as con:
            return int(con.exec_driver_sql("SELECT count(*) FROM batches").scalar_one())
    finally:
        store.close()


# -- a ledger locked by another process -------------------------------------------------------------------

def test_sqlite_ledger_locked_past_the_timeout(tmp_path: Path) -> None:
    """SQLite only: a PostgreSQL writer waits for the lock it needs (the other writer ends, or is ended)."""
    where = Target(str(tmp_path / "store"))
    ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
    batch = write_batch_2023(tmp_path / "2023")
    holder = sqlite3.connect(Path(where.db) / "ledger.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        started = time.monotonic()
        proc = dianta(where, "ingest", str(batch), env={"DIANTA_LOCK_TIMEOUT_S": "1"})
        waited = time.monotonic() - started
    finally:
        holder.close()
    assert_told(proc, 3, ["failed: the ledger is locked by another process", "for more than 1 s",
                          "nothing was changed", "Wait for it to finish (`dianta status`", "run the command again"],
                ["账本被另一进程锁定超过 1 秒", "未做任何更改", "后重新运行该命令"])
    assert waited < 25  # the configured timeout, not the default 30 s
    assert batches_in_ledger(where) == 1
    ok(dianta(where, "ingest", str(batch)))  # once the lock is gone the batch applies


def test_api_answers_503_with_retry_after_while_the_ledger_is_locked(tmp_path: Path, request: pytest.FixtureRequest,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The API uses the same mapping: a locked ledger is 503 with Retry-After (as before), in both languages."""
    monkeypatch.setenv("DIANTA_LOCK_TIMEOUT_S", "1")
    service = start_service("sqlite", tmp_path, request)
    try:
        holder = sqlite3.connect(Path(service.db) / "ledger.sqlite", isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            started = time.monotonic()
            with service.client("operator") as client:
                response = client.post("/api/v1/organisations",
                                       json={"org_id": "BANK-C", "kind": "bank", "name": "丙银行"})
            waited = time.monotonic() - started
        finally:
            holder.close()
    finally:
        stop_service(service)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.json() == {"code": "ledger_busy",
                               "detail": "the ledger is busy or unreachable; try again shortly",
                               "detail_zh": "账本繁忙或暂时无法连接，请稍后重试"}
    assert waited < 25


# -- PostgreSQL unreachable, or gone mid-command ------------------------------------------------------------

def test_postgresql_server_unreachable(tmp_path: Path) -> None:
    port = _free_port()  # nothing listens there
    where = Target(f"postgresql://dianta:s3cret-pw@127.0.0.1:{port}/ledger", tmp_path / "lake")
    proc = dianta(where, "status")
    assert_told(proc, 3, [f"failed: cannot open the ledger of 127.0.0.1:{port}/ledger",
                          "PostgreSQL server", "cannot be reached", f"pg_isready -h 127.0.0.1 -p {port}",
                          "run the command again"],
                ["无法连接账本的 PostgreSQL 服务器", "然后重新运行该命令"])
    assert "s3cret-pw" not in proc.stdout + proc.stderr


def test_postgresql_connection_lost_mid_command(tmp_path: Path, pg_server: str) -> None:
    """The server ends the command's connection (as a restart or an administrator would) while it waits."""
    where = Target(new_pg_database(pg_server), tmp_path / "lake")
    ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
    batch = write_batch_2023(tmp_path / "2023")
    engine = sa.create_engine(where.db.replace("postgresql://", "postgresql+psycopg://"))
    admin = sa.create_engine(where.db.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as holder, admin.connect() as watcher:
            holder.exec_driver_sql("LOCK TABLE batches IN ACCESS EXCLUSIVE MODE")
            mine = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            proc = subprocess.Popen([sys.executable, "-m", "dianta", *where.args, "ingest", str(batch)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 120
            waiting: list[int] = []
            while not waiting and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
                waiting = list(watcher.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %(mine)s "
                    "AND wait_event_type = 'Lock'", {"mine": mine}).scalars())
            assert waiting, "the command never waited for the table lock"
            for pid in waiting:
                watcher.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s)", {"pid": pid})
            out, err = proc.communicate(timeout=120)
            holder.rollback()
    finally:
        engine.dispose()
        admin.dispose()
    assert_told(subprocess.CompletedProcess(proc.args, proc.returncode, out, err), 3,
                ["failed: the ledger's PostgreSQL server", "cannot be reached or closed the connection",
                 "nothing was changed", "pg_isready -h 127.0.0.1", "run the command again"],
                ["无法连接账本的 PostgreSQL 服务器", "连接已被关闭", "未做任何更改"])
    assert batches_in_ledger(where) == 1


# -- a full disk ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_disk_full_in_staging(backend: str, small_disk: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    where = target(backend, small_disk, request)
    ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
    batch = interval_batch(tmp_path / "readings")
    filler = fill(small_disk, leave_bytes=400 * 1024)
    proc = dianta(where, "ingest", str(batch))
    # the readings' roll-up is written while they are checked, in the store's temporary folder; the lake's files
    # are staged after: the first write that fails is named (both folders are on the full disk here)
    temp = where.lake_root / "_tmp" if backend == "postgresql" else Path(where.db) / "tmp"  # Store.temp_dir
    if "the store's temporary folder" in proc.stderr:
        assert_told(proc, 3, ["failed: no space left on the disk holding the store's temporary folder", str(temp),
                              "nothing was changed", "Free space on that disk", "run the command again"],
                    ["存放存储临时目录", "磁盘空间已满", "请释放该磁盘的空间"])
    else:
        assert_told(proc, 3, ["failed: no space left on the disk holding the lake's staging folder",
                              str(where.lake_root / "_staging"), "nothing was changed", "Free space on that disk",
                              "run the command again"],
                    ["存放数据湖暂存目录", "磁盘空间已满", "请释放该磁盘的空间"])
    assert list((where.lake_root / "_staging").iterdir()) == []  # nothing left behind
    assert not temp.exists() or list(temp.iterdir()) == []
    assert batches_in_ledger(where) == 1
    filler.unlink()
    ok(dianta(where, "ingest", str(batch)))


def test_disk_full_in_the_sqlite_ledger(small_disk: Path, tmp_path: Path) -> None:
    where = Target(str(small_disk / "store"))
    ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
    batch = enterprises_batch(tmp_path / "enterprises")
    filler = fill(small_disk, leave_bytes=300 * 1024)
    proc = dianta(where, "ingest", str(batch))
    assert_told(proc, 3, ["failed: no space left on the disk holding the ledger",
                          str(small_disk / "store" / "ledger.sqlite"), "nothing was changed",
                          "Free space on that disk"],
                ["存放账本", "磁盘空间已满", "请释放该磁盘的空间"])
    filler.unlink()
    assert batches_in_ledger(where) == 1
    ok(dianta(where, "ingest", str(batch)))


def test_disk_full_in_the_postgresql_ledger(tmp_path: Path, pg_server: str) -> None:
    """The ledger's database in a tablespace on a small disk (the server's own files and its WAL elsewhere)."""
    work = Path(tempfile.mkdtemp(prefix="dianta-space-"))
    work.chmod(0o755)  # the server (user postgres when the tests run as root) reaches the tablespace through it
    name = "t_" + uuid.uuid4().hex[:12]
    server = sa.create_engine(pg_server.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT")
    try:
        with tmpfs(work / "disk", "16m", mode="0755") as disk:
            os.chown(disk, *_postgres_ids())
            with server.connect() as con:
                con.exec_driver_sql(f"CREATE TABLESPACE {name} LOCATION '{disk}'")
                con.exec_driver_sql(f"CREATE DATABASE {name} TABLESPACE {name}")
            try:
                where = Target(f"{pg_server}/{name}", tmp_path / "lake")
                ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
                batch = enterprises_batch(tmp_path / "enterprises")
                filler = fill(disk, leave_bytes=300 * 1024)
                proc = dianta(where, "ingest", str(batch))
                assert_told(proc, 3, ["failed: the disk of the ledger's PostgreSQL server", "is full",
                                      "nothing was changed", "free space there"],
                            ["PostgreSQL 服务器", "的磁盘已满", "未做任何更改"])
                filler.unlink()
                assert batches_in_ledger(where) == 1
                ok(dianta(where, "ingest", str(batch)))
            finally:
                with server.connect() as con:
                    con.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                    con.exec_driver_sql(f"DROP TABLESPACE IF EXISTS {name}")
    finally:
        server.dispose()
        shutil.rmtree(work, ignore_errors=True)


def _postgres_ids() -> tuple[int, int]:
    """The user the test server runs as (conftest runs it as ``postgres`` when the tests run as root)."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    import pwd

    entry = pwd.getpwnam("postgres")
    return entry.pw_uid, entry.pw_gid


@pytest.mark.parametrize("backend", BACKENDS)
def test_status_and_audit_verify_answer_on_a_full_disk(backend: str, small_disk: Path, tmp_path: Path,
                                                       request: pytest.FixtureRequest) -> None:
    where = target(backend, small_disk, request)
    ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
    ok(dianta(where, "admin", "org-add", "BANK-1", "--kind", "bank", "--name", "一号银行"))
    batch = write_batch_2023(tmp_path / "2023")
    fill(small_disk)
    status = ok(dianta(where, "status"))
    assert "applied" in status.stdout and "accounts marked for recalculation" in status.stdout
    verify = ok(dianta(where, "audit", "verify"))
    assert "audit chain intact: 2 entries" in verify.stdout
    if backend == "sqlite":  # the ledger is on the full disk: read-only, and said so
        for proc in (status, verify):
            assert "warning: the disk of the store" in proc.stderr and "opened read-only" in proc.stderr
            assert "所在磁盘已满：已以只读方式打开" in proc.stderr
    proc = dianta(where, "ingest", str(batch))  # a write is refused, with what to do
    assert_told(proc, 3, ["failed:", "nothing was changed", "Free space on that disk"],
                ["磁盘", "已满", "请释放该磁盘的空间"])
    # where it stops first (the readings' roll-up, staging them, or the ledger opened read-only) is the ingest's
    assert ("no space left on the disk holding the lake's staging folder" in proc.stderr
            or "no space left on the disk holding the store's temporary folder" in proc.stderr
            or "is full, so the store was opened read-only and this command, which writes, cannot run" in proc.stderr)


# -- a lake file deleted or truncated ---------------------------------------------------------------------------

def _lake_file(store: Store, table: str = "interval_readings") -> tuple[Path, str]:
    path = store.active_files(table, verify=False)[0]
    return path, path.relative_to(store.lake).as_posix()


def _truncate_footer(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:-20])  # the footer's end: its length and the magic bytes are gone


@pytest.mark.parametrize("damage", ["deleted", "truncated"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_damaged_lake_file_is_named(backend: str, damage: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    where = target(backend, tmp_path, request)
    ok(dianta(where, "ingest", str(write_batch_2022(tmp_path / "2022"))))
    ok(dianta(where, "ingest", str(write_batch_2023(tmp_path / "2023"))))
    store = Store(where.db, lake=where.lake)
    path, rel = _lake_file(store)
    store.close()
    path.unlink() if damage == "deleted" else _truncate_footer(path)
    proc = dianta(where, "compute", "--year", "2023")
    assert_told(proc, 1, ["refused:", rel, "backup"], ["数据湖", "备份"])


def test_duckdb_and_arrow_failures_on_lake_files_name_the_file(store: Store, tmp_path: Path) -> None:
    """Where DuckDB or Arrow meet a damaged lake file (whatever checked it before), the one mapping names it,
    also when the library's message does not (DuckDB's "don't know what type" on a damaged footer)."""
    ingest_batch(store, write_batch_2022(tmp_path / "2022"))
    ingest_batch(store, write_batch_2023(tmp_path / "2023"))
    path, rel = _lake_file(store)
    good = path.read_bytes()
    engine = DuckDBEngine()
    script = [Statement("n", "SELECT count(*) AS n FROM readings", output=True)]
    inputs = {"readings": ParquetInput((path,), pa.schema([]))}

    def duckdb_failure() -> BaseException:
        with pytest.raises(duckdb.Error) as caught:
            engine.run(script, inputs)
        return caught.value

    def arrow_failure() -> BaseException:
        with pytest.raises((pa.ArrowException, OSError)) as caught:
            pq.read_table(path)
        return caught.value

    damages = {"damaged": [lambda: path.write_bytes(good[:-20]),  # footer cut (DuckDB and Arrow name the file)
                           lambda: path.write_bytes(good[:len(good) // 2] + good[-8:])],  # footer garbled: unnamed
               "missing": [path.unlink]}
    for state, ways in damages.items():
        for damage in ways:
            damage()
            for failure in (duckdb_failure(), arrow_failure()):
                found = failures.translate(failure, store=store)
                assert isinstance(found, LakeCorrupt), (failure, found)
                assert f"{rel} is {state}" in str(found) and found.paths == [rel]
                zh = found.message_zh or ""
                assert rel in zh and ("缺失" if state == "missing" else "已损坏") in zh
            path.write_bytes(good)
    assert engine.run(script, inputs)["n"].column("n").to_pylist()[0] > 0  # restored, it reads again
    with pytest.raises(duckdb.Error) as caught:  # a failure that is not the lake's stays what it is
        engine.run([Statement("x", "SELECT no_such_column FROM readings", output=True)], inputs)
    assert failures.translate(caught.value, store=store) is None


def test_api_answers_a_full_disk_with_503_and_what_to_do(small_disk: Path, request: pytest.FixtureRequest) -> None:
    """A write on a full disk was a 500 with a traceback in the server log; now 503 with the mapping's message."""
    service = start_service("sqlite", small_disk, request)
    try:
        fill(small_disk)
        with service.client("operator") as client:
            response = client.post("/api/v1/organisations", json={"org_id": "BANK-C", "kind": "bank", "name": "丙银行"})
    finally:
        stop_service(service)
    assert response.status_code == 503, response.text
    body = response.json()
    assert "no space left on the disk holding the ledger ledger.sqlite" in body["detail"]
    assert "磁盘空间已满" in body["detail_zh"] and str(small_disk) not in response.text
    assert "Retry-After" not in response.headers  # trying again does not help until space is freed
