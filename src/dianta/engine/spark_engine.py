"""The distributed engine: Apache Spark (PySpark 4), reading the Parquet lake, running the same script.

The script is written once in the SQL subset DuckDB and Spark share (engine/queries.py); sqlglot translates
each statement from DuckDB's dialect to Spark's, so the text stays one. Timestamps are naive China Standard
Time in the lake; Spark reads them as ``TIMESTAMP_NTZ`` and the session time zone is UTC, so no value is ever
shifted. Where it runs is configuration: ``master`` (``local[2]``, ``local[*]``, ``spark://host:7077``, …)
from the argument or ``$DIANTA_SPARK_MASTER``; any other Spark setting from ``$DIANTA_SPARK_CONF``
(``key=value;key=value``). On a cluster the lake must be on storage every executor reads (HDFS, S3, a shared
file system) at the same path; the engine gives Spark absolute paths.

Spark's log is not the user's console: the driver JVM Dianta starts writes its standard output and error to
``spark-driver.log`` in the store's temporary folder (the file errors name), with the logging of
``spark-log4j2.properties`` (no start-up notes). ``$DIANTA_SPARK_LOG_LEVEL`` (``--spark-log-level``) asks for
it on the console at that level. A master is checked before anything starts: a malformed URL is a usage
error, an unreachable one fails within ``CONNECT_TIMEOUT_S``; an address that answers but never registers the
application fails after Spark's own retries (about a minute), a master that gives no executor within
``EXECUTOR_WAIT_S`` fails too (:class:`~dianta.errors.EngineUnavailable`, in English and Chinese).
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from dianta.engine.base import Input, ParquetInput, Statement
from dianta.errors import EngineUnavailable, UsageError

DEFAULT_MASTER = "local[2]"
LOG_LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")
LOG4J2_PROPERTIES = Path(__file__).with_name("spark-log4j2.properties")
CONNECT_TIMEOUT_S = 5.0  # per master address: a closed port is refused at once, a filtered one waits this long
EXECUTOR_WAIT_S = 90.0  # a reachable master must give the application an executor within this time
_LOCAL = re.compile(r"local(\[(\*|[1-9]\d*)(,\d+)?\])?|local-cluster\[\d+,\s*\d+,\s*\d+\]")
_HOST_PORT = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})")
MASTER_FORMS = "local[2], local[*], spark://HOST:PORT (7077 by default; HOST1:PORT1,HOST2:PORT2 with standby " \
               "masters), yarn or k8s://https://HOST:PORT"


def spark_sql(sql: str) -> str:
    """A statement of the shared script in Spark's dialect."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)[0]


def _as_duckdb_types(table: pa.Table) -> pa.Table:
    """Spark's Arrow output in the types the embedded engine gives: naive timestamps (the session is UTC, so
    the wall time is unchanged) and 64-bit integers."""
    fields = []
    for f in table.schema:
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            fields.append(pa.field(f.name, pa.timestamp("us")))
        elif pa.types.is_integer(f.type):
            fields.append(pa.field(f.name, pa.int64()))
        else:
            fields.append(f)
    return table.cast(pa.schema(fields))


def log_level() -> str | None:
    """The level of Spark's log the user asked to see on the console ($DIANTA_SPARK_LOG_LEVEL); None: quiet."""
    asked = os.environ.get("DIANTA_SPARK_LOG_LEVEL", "").strip().upper()
    if not asked:
        return None
    if asked not in LOG_LEVELS:
        raise UsageError(f"Spark log level '{asked}' is not one of {', '.join(LOG_LEVELS)} "
                         "(--spark-log-level or $DIANTA_SPARK_LOG_LEVEL)",
                         zh=f"Spark 日志级别 '{asked}' 无效：请从 {'、'.join(LOG_LEVELS)} 中选择"
                            "（--spark-log-level 或 $DIANTA_SPARK_LOG_LEVEL）")
    return asked


def master_addresses(master: str) -> list[tuple[str, int]]:
    """The (host, port) of every master a ``spark://`` URL names (none for local, yarn and Kubernetes
    masters, which need no check here); a malformed URL is a :class:`UsageError`."""
    if _LOCAL.fullmatch(master) or master == "yarn" or re.fullmatch(r"k8s://\S+", master):
        return []
    addresses: list[tuple[str, int]] = []
    if master.startswith("spark://"):
        for item in master.removeprefix("spark://").split(","):
            m = _HOST_PORT.fullmatch(item.strip())
            if m is None or not 0 < int(m["port"]) < 65536:
                addresses = []
                break
            addresses.append((m["host"].strip("[]"), int(m["port"])))
    if not addresses:
        raise UsageError(f"'{master}' is not a Spark master URL: give {MASTER_FORMS} "
                         "(--spark-master or $DIANTA_SPARK_MASTER)",
                         zh=f"'{master}' 不是有效的 Spark 主节点地址：请使用 local[2]、local[*]、spark://主机:端口"
                            "（默认端口 7077；有备用主节点时为 主机1:端口1,主机2:端口2）、yarn 或 k8s://https://主机:端口"
                            "（--spark-master 或 $DIANTA_SPARK_MASTER）")
    return addresses


def check_master(master: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """A malformed master URL is a usage error; a ``spark://`` master none of whose addresses accepts a
    connection within ``timeout_s`` [s] each fails (:class:`EngineUnavailable`) before Spark starts."""
    why = []
    for host, port in master_addresses(master):
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            return
        except OSError as exc:
            why.append(f"{host}:{port}: {exc.strerror or type(exc).__name__}")
    if why:
        raise EngineUnavailable(
            f"cannot reach the Spark master {master} ({'; '.join(why)}): start the master and its workers "
            f"(Spark's sbin/start-master.sh and start-worker.sh {master}), or correct --spark-master / "
            "$DIANTA_SPARK_MASTER; --engine duckdb computes without Spark",
            f"无法连接 Spark 主节点 {master}（{'；'.join(why)}）：请先启动主节点及其工作节点（Spark 的 "
            f"sbin/start-master.sh 与 start-worker.sh {master}），或更正 --spark-master / $DIANTA_SPARK_MASTER；"
            "使用 --engine duckdb 可不经 Spark 计算", retry_after=60)


class SparkEngine:
    name = "spark"
    meters_per_part: int | None = None  # a cluster partitions the work itself

    def __init__(self, *, master: str | None = None, temp_dir: Path | None = None, shuffle_partitions: int = 8):
        self.master = master or os.environ.get("DIANTA_SPARK_MASTER") or DEFAULT_MASTER
        self.temp_dir = temp_dir
        self.shuffle_partitions = shuffle_partitions
        self.log_path: Path | None = None  # where the driver JVM this engine started writes its output

    def settings(self, level: str | None) -> dict[str, str]:
        """The Spark configuration of a session: Dianta's, then $DIANTA_SPARK_CONF's (a user's
        spark.driver.extraJavaOptions is kept, after Dianta's logging options)."""
        java = (f"-Dlog4j2.configurationFile={LOG4J2_PROPERTIES.as_uri()} "
                f"-Ddianta.spark.logLevel={level or 'WARN'}")
        conf = {"spark.sql.session.timeZone": "UTC", "spark.sql.timestampType": "TIMESTAMP_NTZ",
                "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
                "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
                "spark.sql.execution.arrow.pyspark.enabled": "true", "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false", "spark.driver.extraJavaOptions": java}
        if self.temp_dir is not None and self.master.startswith("local"):  # a cluster's workers choose their own
            conf["spark.local.dir"] = str(self.temp_dir)
        for item in filter(None, os.environ.get("DIANTA_SPARK_CONF", "").split(";")):
            key, _, value = item.partition("=")
            key, value = key.strip(), value.strip()
            conf[key] = f"{java} {value}" if key == "spark.driver.extraJavaOptions" else value
        return conf

    @contextmanager
    def _jvm_output(self, level: str | None) -> Iterator[dict[str, Any]]:
        """Where the driver JVM's standard output and error go (Popen's arguments): the console's standard
        error when the user asked for Spark's log, else a log file (in the store's temporary folder), which the
        JVM keeps open once started."""
        if level is not None:
            yield {"stdout": 2}
            return
        if self.temp_dir is not None:
            self.temp_dir.mkdir(parents=True, exist_ok=True)
            self.log_path = self.temp_dir / "spark-driver.log"
        else:
            fd, name = tempfile.mkstemp(prefix="dianta-spark-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        with self.log_path.open("wb") as out:
            yield {"stdout": out, "stderr": out}

    def _log_hint(self) -> tuple[str, str]:
        if self.log_path is None:
            return "Spark's log is above", "Spark 日志见上文"
        return (f"Spark's log: {self.log_path} (--spark-log-level WARN shows it on the console)",
                f"Spark 日志：{self.log_path}（加 --spark-log-level WARN 可在控制台显示）")

    def session(self) -> Any:
        try:
            from pyspark import SparkConf, SparkContext
            from pyspark.java_gateway import launch_gateway
            from pyspark.sql import SparkSession
        except ImportError:
            raise UsageError("the spark engine needs PySpark: pip install 'dianta[spark]' (and a Java 17 runtime)",
                             zh="Spark 引擎需要 PySpark：pip install 'dianta[spark]'（以及 Java 17 运行环境）"
                             ) from None
        level = log_level()
        check_master(self.master)
        if self.master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # else Spark binds the machine's address
        active = SparkSession.getActiveSession()
        if active is not None and active.sparkContext.master != self.master:
            active.stop()  # one Spark context per process: another master's is stopped first
        conf = self.settings(level)
        try:
            if SparkContext._gateway is None:  # start the driver JVM with its output where it belongs
                with self._jvm_output(level) as output:
                    SparkContext._ensure_initialized(gateway=launch_gateway(
                        SparkConf(loadDefaults=False).setAll(list(conf.items())), popen_kwargs=output))
            builder = SparkSession.builder.master(self.master).appName("dianta")
            for key, value in conf.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
        except Exception as exc:  # whatever stopped Spark (no Java, a refused application), the log says
            raise self._did_not_start(exc) from None
        spark.sparkContext.setLogLevel(level or "WARN")
        if not self.master.startswith("local"):
            self._wait_for_executor(spark)
        return spark

    def _did_not_start(self, exc: Exception) -> EngineUnavailable:
        en, zh = self._log_hint()
        if self.master.startswith("spark://"):  # reachable (checked), yet it never registered the application
            return EngineUnavailable(
                f"the Spark master {self.master} accepted the connection but did not register the application "
                f"({type(exc).__name__}; Spark tries for about a minute): is a Spark master of the version of "
                f"the installed PySpark listening there? {en}",
                f"Spark 主节点 {self.master} 接受了连接，但未登记本应用（{type(exc).__name__}；Spark 约尝试一分钟）："
                f"请确认该地址上运行的是与已安装 PySpark 版本相同的 Spark 主节点。{zh}", retry_after=60)
        return EngineUnavailable(f"Spark did not start with master {self.master} ({type(exc).__name__}): {en}",
                                 f"Spark 未能以主节点 {self.master} 启动（{type(exc).__name__}）：{zh}")

    def _wait_for_executor(self, spark: Any, wait_s: float = EXECUTOR_WAIT_S) -> None:
        """Wait (at most ``wait_s`` [s]) until the master has given the application an executor."""
        sc = spark.sparkContext._jsc.sc()
        deadline = time.monotonic() + wait_s
        while len(sc.statusTracker().getExecutorInfos()) < 2:  # the driver is listed too
            if sc.isStopped() or time.monotonic() > deadline:
                spark.stop()
                en, zh = self._log_hint()
                raise EngineUnavailable(
                    f"the Spark master {self.master} gave no executor within {wait_s:.0f} s: are its workers "
                    "running, with a free core and the memory of spark.executor.memory (1g by default) each? "
                    f"{en}",
                    f"Spark 主节点 {self.master} 在 {wait_s:.0f} 秒内未分配任何执行器：请确认其工作节点正在运行，"
                    f"且有空闲的 CPU 核与 spark.executor.memory（默认 1g）所需的内存。{zh}", retry_after=60)
            time.sleep(0.2)

    def run(self, script: list[Statement], inputs: dict[str, Input]) -> dict[str, pa.Table]:
        spark = self.session()
        cached = []
        try:
            for name, source in inputs.items():
                if isinstance(source, ParquetInput):
                    table = source.schema.empty_table() if not source.paths else None
                    df = (spark.read.parquet(*[str(Path(p).absolute()) for p in source.paths]) if table is None
                          else spark.createDataFrame(table))
                    if table is None and source.between is not None:
                        column, low, high = source.between
                        df = df.filter(df[column].between(low, high))
                else:
                    df = spark.createDataFrame(source)
                df.createOrReplaceTempView(name)
            out: dict[str, pa.Table] = {}
            for st in script:
                df = spark.sql(spark_sql(st.sql))
                if st.output:
                    out[st.name] = _as_duckdb_types(df.toArrow())
                else:
                    if st.materialise:
                        df = df.cache()
                        cached.append(df)
                    df.createOrReplaceTempView(st.name)
            return out
        finally:
            for df in cached:
                df.unpersist()
            for name in [*inputs, *(st.name for st in script)]:
                spark.catalog.dropTempView(name)
