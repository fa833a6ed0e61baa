"""Shared test helpers: valid credit codes, a batch-folder writer and a fresh store."""

from __future__ import annotations

import csv
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc

from dianta.ledger import integrity
from dianta.ledger.store import Store

BACKENDS = ("sqlite", "postgresql")
pytest_plugins = ["service", "spark_cluster"]  # fixtures: a real API server per module; a Spark standalone cluster


# headers of the batch tables most tests write (the columns of DATA-REQUIREMENTS.md, optional ones included)
ENTERPRISES = ["credit_code", "name", "industry_code", "region_code", "opened_on", "closed_on"]
METERS = ["meter_id", "credit_code", "valid_from", "valid_to"]
MONTHLY = ["meter_id", "month", "kwh"]
READINGS = ["meter_id", "ts", "kwh"]
TRADES = ["contract_id", "credit_code", "month", "kwh", "technology"]
PROFILES = ["contract_id", "ts", "kwh"]
CERTIFICATES = ["certificate_id", "credit_code", "vintage_month", "mwh", "technology", "retired_on", "bundled"]
ECONOMICS = ["credit_code", "year", "value_added_10k_cny", "revenue_10k_cny"]


def credit_code(n: int, region: str = "630000") -> str:
    """A valid unified social credit code (GB 32100) numbered ``n``."""
    body = f"91{region}{n:09d}"
    return body + uscc.calc_check_digit(body)


def write_table(folder: Path, table: str, header: Sequence[str], rows: Iterable[Sequence[object]], *,
                encoding: str = "utf-8", newline: str = "\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table}.csv"
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator=newline)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on localhost for the session (Debian's postgresql; `.ci/run` installs
    it). Skipped where the server binaries are missing, unless DIANTA_REQUIRE_PG is set (CI sets it)."""
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    if found is None:
        if os.environ.get("DIANTA_REQUIRE_PG"):
            pytest.fail("PostgreSQL server binaries (initdb) are not installed")
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    bindir = Path(found).parent
    work = Path(tempfile.mkdtemp(prefix="dianta-pg-"))
    work.chmod(0o755)
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(work, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = work / "data", _free_port()
    run = {"check": True, "capture_output": True}
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "dianta", "-E", "UTF8"],
                   **run)
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(work / "log"), "-w", "-o",
                    f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], **run)
    try:
        yield f"postgresql://dianta@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def new_pg_database(server: str) -> str:
    """A new, empty database on the test server; its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{server}/{name}"


def open_store(backend: str, folder: Path, request: pytest.FixtureRequest) -> Store:
    """A new store of the given backend: an embedded folder, or a fresh PostgreSQL database with its lake."""
    if backend == "sqlite":
        return Store(folder / "store")
    return Store(new_pg_database(request.getfixturevalue("pg_server")), lake=folder / "lake")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store, once on each backend (the ledger tests run against SQLite and PostgreSQL)."""
    s = open_store(request.param, tmp_path, request)
    yield s
    s.close()


def _spark_ready() -> str | None:
    """Why the Spark engine cannot run here (None: it can)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install -e '.[test]')"
    if shutil.which("java") is None:
        return "no Java runtime (Debian's default-jre-headless)"
    return None


@pytest.fixture(params=["duckdb", "spark"])
def engine_name(request: pytest.FixtureRequest) -> str:
    """Each engine test runs on both engines; Spark in local[2] mode (DIANTA_REQUIRE_SPARK: never skipped)."""
    if request.param == "spark":
        _need_spark()
    return request.param


@pytest.fixture
def spark_engine_name() -> str:
    _need_spark()
    return "spark"


def _need_spark() -> None:
    why = _spark_ready()
    if why is not None:
        if os.environ.get("DIANTA_REQUIRE_SPARK"):
            pytest.fail(f"the Spark engine is required here: {why}")
        pytest.skip(why)



def same_record(a: object, b: object, path: str) -> None:
    """Equal records, numbers to 1e-9 relative (run ids and label codes aside: they differ by run)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            if key not in ("run_id", "verification_code"):
                same_record(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_record(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


# The `slow` marker (issue 14): a developer's inner loop runs `pytest -m "not slow"` (under a minute), CI runs
# everything. Slow are: the PostgreSQL and Spark variants of every test (the SQLite and DuckDB variants stay in the
# loop), every test of a real `dianta serve` or browser, and the modules of crash, load, fuzz and scale tests.
SLOW_PARAMS = {"postgresql", "spark"}
SLOW_FIXTURES = {"pg_server", "spark_engine_name", "spark_cluster", "service", "page", "browser"}
SLOW_MODULES = {"test_api_schemathesis", "test_crash_safety", "test_concurrency", "test_dashboard",
                "test_security_throttle", "test_operational_errors", "test_ingest_fast_path", "test_lake_integrity",
                "test_cli_errors", "test_security_secrets", "test_security_audit_chain", "test_properties",
                "test_architecture", "test_cli", "test_cli_finance", "test_reports", "test_demo_province",
                "test_security_cli", "test_backup", "test_requirements_template", "test_incremental", "test_recalc",
                "test_ingest_files", "test_cli_factors", "test_spark_cluster"}
SLOW_TESTS = {"test_mypy_is_clean_on_the_whole_package", "test_warnings_fail_the_suite_only_from_diantas_own_code",
              "test_cli_exit_codes", "test_password_hash_round_trip", "test_expired_token"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = {str(v) for v in callspec.params.values()} if callspec else set()
        if (params & SLOW_PARAMS or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                or item.module is not None and item.module.__name__ in SLOW_MODULES
                or getattr(item, "originalname", item.name) in SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


def count_hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every lake file hashed from now on (``integrity.file_digest``, the real one, counted), in order."""
    hashed: list[Path] = []
    real = integrity.file_digest

    def counted(path: Path) -> integrity.Digest:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(integrity, "file_digest", counted)
    return hashed
