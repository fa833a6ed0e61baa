"""Spark as a cluster (issue 18): `dianta compute --engine spark --spark-master spark://…` on a standalone
master and worker on localhost gives the embedded engine's accounts; Spark's log stays off the console unless
asked; a master that is malformed or unreachable is a clear error within seconds, never a hang."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import _free_port, same_record
from province import write_batch_2022, write_batch_2023
from spark_cluster import SparkCluster

# what Spark and its JVM print when they are let onto the console: log4j lines ("26/12/03 10:48:50 WARN …"),
# Spark's start-up notes and the JVM's own warning
SPARK_OUTPUT = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d |\b(WARN|INFO|DEBUG)\b|log4j|SparkContext|"
                          r"Spark's default|setLogLevel|incubator|Exception", re.MULTILINE)


def dianta(db: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 600
           ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIANTA_SPARK_")}
    return subprocess.run([sys.executable, "-m", "dianta", "--db", str(db), *args], capture_output=True, text=True,
                          env={**clean, "COLUMNS": "200", **(env or {})}, timeout=timeout)


def accounts(db: Path) -> list[dict]:
    out = dianta(db, "export", "accounts", "--year", "2023", "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """The hand-computed province (tests/province.py) in a store, and its accounts computed by DuckDB."""
    root = tmp_path_factory.mktemp("cluster")
    db = root / "store"
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023")):
        assert dianta(db, "ingest", str(folder)).returncode == 0
    assert dianta(db, "compute", "--year", "2023").returncode == 0
    expected = accounts(db)
    assert len(expected) == 8
    return db, expected


def compute_on_spark(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    out = dianta(db, "compute", "--year", "2023", "--engine", "spark", *args, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "8 accounts of 2023 computed in full" in out.stdout
    return out


def test_a_standalone_cluster_computes_the_embedded_engines_accounts_with_a_quiet_console(
        province: tuple[Path, list[dict]], spark_cluster: SparkCluster):
    db, expected = province
    before = len(spark_cluster.state()["completedapps"])
    out = compute_on_spark(db, "--spark-master", spark_cluster.url)
    assert SPARK_OUTPUT.search(out.stdout + out.stderr) is None, out.stdout + out.stderr
    assert out.stderr.strip() == ""  # the console has Dianta's result line and nothing else
    finished = spark_cluster.state()["completedapps"]
    assert len(finished) == before + 1 and finished[-1]["name"] == "dianta"  # it ran on the cluster, not locally
    got = accounts(db)
    assert len(got) == len(expected) == 8
    for a, b in zip(expected, got, strict=True):
        same_record(a, b, path=a["credit_code"])
    log = next((db / "tmp").glob("spark-driver.log")).read_text(errors="replace")
    assert "Using Spark's default log4j profile" not in log  # Dianta's logging configuration was used


def test_local_spark_is_quiet_too_and_shows_its_log_when_asked(province: tuple[Path, list[dict]]):
    db, expected = province
    quiet = compute_on_spark(db, "--spark-master", "local[2]")
    assert SPARK_OUTPUT.search(quiet.stdout + quiet.stderr) is None, quiet.stdout + quiet.stderr
    asked = compute_on_spark(db, "--spark-log-level", "info")
    assert re.search(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d INFO SparkContext: ", asked.stderr, re.MULTILINE), asked.stderr
    assert SPARK_OUTPUT.search(asked.stdout) is None  # the log is on standard error: standard output stays data
    for a, b in zip(expected, accounts(db), strict=True):
        same_record(a, b, path=a["credit_code"])
    by_env = dianta(db, "compute", "--year", "2023", "--engine", "spark", env={"DIANTA_SPARK_LOG_LEVEL": "LOUD"})
    assert by_env.returncode == 2 and "'LOUD' is not one of OFF, FATAL, ERROR, WARN, INFO" in by_env.stderr
    assert "日志级别" in by_env.stderr


def test_an_unreachable_master_fails_within_seconds_naming_it(province: tuple[Path, list[dict]]):
    db, _ = province
    url = f"spark://127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    out = dianta(db, "compute", "--year", "2023", "--engine", "spark", "--spark-master", url, timeout=60)
    elapsed = time.monotonic() - started
    assert out.returncode == 3, out.stdout + out.stderr
    assert elapsed < 30  # the Python start and the store's opening; the refused connection itself is instant
    assert f"failed: cannot reach the Spark master {url} (127.0.0.1:" in out.stderr
    assert "start-worker.sh" in out.stderr and f"无法连接 Spark 主节点 {url}" in out.stderr
    assert "Traceback" not in out.stderr and SPARK_OUTPUT.search(out.stderr) is None


@pytest.mark.parametrize("url", ["spark://127.0.0.1", "spark//127.0.0.1:7077", "local[0]", "127.0.0.1:7077"])
def test_a_malformed_master_is_a_usage_error(province: tuple[Path, list[dict]], url: str):
    db, _ = province
    out = dianta(db, "compute", "--year", "2023", "--engine", "spark", "--spark-master", url, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert f"'{url}' is not a Spark master URL: give local[2], local[*], spark://HOST:PORT" in out.stderr
    assert "不是有效的 Spark 主节点地址" in out.stderr and "Traceback" not in out.stderr
