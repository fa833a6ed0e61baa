"""The distributed engine: Apache Spark (PySpark 4), reading the Parquet lake, running the same script.

The script is written once in the SQL subset DuckDB and Spark share (engine/queries.py); sqlglot translates
each statement from DuckDB's dialect to Spark's, so the text stays one. Timestamps are naive China Standard
Time in the lake; Spark reads them as ``TIMESTAMP_NTZ`` and the session time zone is UTC, so no value is ever
shifted. Where it runs is configuration: ``master`` (``local[2]``, ``local[*]``, ``spark://host:7077``, …)
from the argument or ``$DIANTA_SPARK_MASTER``; any other Spark setting from ``$DIANTA_SPARK_CONF``
(``key=value;key=value``). On a cluster the lake must be on storage every executor reads (HDFS, S3, a shared
file system) at the same path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa

from dianta.engine.base import Input, ParquetInput, Statement
from dianta.errors import UsageError

DEFAULT_MASTER = "local[2]"


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


class SparkEngine:
    name = "spark"

    def __init__(self, *, master: str | None = None, temp_dir: Path | None = None, shuffle_partitions: int = 8):
        self.master = master or os.environ.get("DIANTA_SPARK_MASTER") or DEFAULT_MASTER
        self.temp_dir = temp_dir
        self.shuffle_partitions = shuffle_partitions

    def session(self) -> Any:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise UsageError("the spark engine needs PySpark: pip install 'dianta[spark]' (and a Java 17 runtime)"
                             ) from None
        if self.master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # else Spark binds the machine's address
        builder = (SparkSession.builder.master(self.master).appName("dianta")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.timestampType", "TIMESTAMP_NTZ")
                   .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
                   .config("spark.sql.shuffle.partitions", str(self.shuffle_partitions))
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false"))
        if self.temp_dir is not None:
            builder = builder.config("spark.local.dir", str(self.temp_dir))
        for item in filter(None, os.environ.get("DIANTA_SPARK_CONF", "").split(";")):
            key, _, value = item.partition("=")
            builder = builder.config(key.strip(), value.strip())
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        return spark

    def run(self, script: list[Statement], inputs: dict[str, Input]) -> dict[str, pa.Table]:
        spark = self.session()
        cached = []
        try:
            for name, source in inputs.items():
                if isinstance(source, ParquetInput):
                    table = source.schema.empty_table() if not source.paths else None
                    df = (spark.read.parquet(*[str(p) for p in source.paths]) if table is None
                          else spark.createDataFrame(table))
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
