"""A Spark standalone cluster on localhost for the session (issue 18): one master and one worker (1 core,
1 GB), started with PySpark's own launcher. The wheel ships no ``sbin/start-master.sh``, so the master and the
worker are ``bin/spark-class org.apache.spark.deploy.master.Master`` / ``...worker.Worker`` run as processes of
their own groups; their logs go to a temporary folder, never the console; every wait has a deadline, and both
groups (the worker's executors with it) are stopped at teardown however the tests ended."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from conftest import _free_port, _need_spark

START_TIMEOUT_S = 180.0  # two JVMs on a shared 2-core machine: ~5 s idle, far more under load
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SparkCluster:
    url: str  # spark://127.0.0.1:PORT
    ui: str  # the master's web UI (its state as JSON at /json/)
    logs: Path  # master.log, worker.log and the worker's application folders
    start_s: float  # from launching the master to the worker registered with it

    def state(self) -> dict:
        return httpx.get(f"{self.ui}/json/", timeout=5).json()


def _start(cls: str, args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    with log.open("wb") as out:  # the child keeps its own descriptor
        return subprocess.Popen([str(spark_class), cls, *args], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _wait_for_worker(ui: str, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        try:
            if httpx.get(f"{ui}/json/", timeout=2).json().get("aliveworkers", 0) >= 1:
                return
        except (httpx.HTTPError, ValueError):
            pass  # the master's UI is not up yet
        time.sleep(0.5)
    tails = {name: (logs / name).read_text(errors="replace")[-2000:] for name in ("master.log", "worker.log")}
    pytest.fail(f"the Spark standalone cluster did not come up within {START_TIMEOUT_S:.0f} s: {tails}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process group: TERM, then KILL after STOP_TIMEOUT_S."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def spark_cluster() -> Iterator[SparkCluster]:
    _need_spark()
    import pyspark

    logs = Path(tempfile.mkdtemp(prefix="dianta-spark-cluster-"))
    port, ui_port, worker_ui_port = _free_port(), _free_port(), _free_port()
    url, ui = f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}"
    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOCAL_IP": "127.0.0.1",
           "SPARK_WORKER_DIR": str(logs / "work")}
    processes: list[subprocess.Popen[bytes]] = []
    started = time.monotonic()
    try:
        processes.append(_start("org.apache.spark.deploy.master.Master",
                                ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(ui_port)],
                                logs / "master.log", env))
        processes.append(_start("org.apache.spark.deploy.worker.Worker",
                                ["--host", "127.0.0.1", "--webui-port", str(worker_ui_port), "--cores", "1",
                                 "--memory", "1g", "--work-dir", str(logs / "work"), url],
                                logs / "worker.log", env))
        _wait_for_worker(ui, processes, logs)
        yield SparkCluster(url=url, ui=ui, logs=logs, start_s=time.monotonic() - started)
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(logs, ignore_errors=True)
