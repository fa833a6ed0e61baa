"""The embedded engine: DuckDB, in process, spilling to disk under a memory limit."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from dianta.engine.base import Input, ParquetInput, Statement


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, *, temp_dir: Path | None = None, memory_limit: str | None = None, threads: int | None = None,
                 meters_per_part: int | None = None):
        self.temp_dir = temp_dir
        # DuckDB's own memory (it spills beyond); with Dianta's Python side, compute for 5,000 enterprises ×
        # 35,040 readings peaked at 2.4 GB with 2 GB here, 4.4 GB with 4 GB (bench/bench_scale.py)
        self.memory_limit = memory_limit or os.environ.get("DIANTA_DUCKDB_MEMORY", "2GB")
        self.threads = threads
        # a year's meter-hours of this many meters (8.8 M, 17.5 M with Y-1) stay within the 2 GB above; beyond,
        # DuckDB spills its hourly tables and compute grew faster than the enterprises (bench/README.md: province)
        self.meters_per_part: int | None = meters_per_part or int(os.environ.get("DIANTA_METERS_PER_PART", "1000"))

    def connect(self) -> duckdb.DuckDBPyConnection:
        config: dict[str, str | bool | int | float | list[str]] = {"memory_limit": self.memory_limit}
        if self.temp_dir is not None:
            config["temp_directory"] = str(self.temp_dir)
        if self.threads:
            config["threads"] = self.threads
        con = duckdb.connect(config=config)
        con.execute("SET TimeZone = 'UTC'")  # timestamps are naive China Standard Time; never shifted
        return con

    def run(self, script: list[Statement], inputs: dict[str, Input]) -> dict[str, pa.Table]:
        con = self.connect()
        try:
            for name, source in inputs.items():
                if isinstance(source, ParquetInput):
                    if source.paths:
                        rel = con.read_parquet([str(p) for p in source.paths])
                        if source.between is not None:
                            column, low, high = source.between
                            rel = rel.filter(duckdb.ColumnExpression(column).between(
                                duckdb.ConstantExpression(low), duckdb.ConstantExpression(high)))
                    else:
                        rel = con.from_arrow(source.schema.empty_table())
                    rel.create_view(name, replace=True)
                else:  # a table of its own: DuckDB plans the joins with its statistics (an Arrow view has
                    # none, and the year's script took 4-5x longer at 1,000 enterprises on one lake file)
                    con.register(f"arrow_{name}", source)
                    con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM "arrow_{name}"')
                    con.unregister(f"arrow_{name}")
            out: dict[str, pa.Table] = {}
            for st in script:
                if st.output:
                    out[st.name] = con.sql(st.sql).to_arrow_table()
                elif st.materialise:
                    con.execute(f'CREATE OR REPLACE TEMP TABLE "{st.name}" AS {st.sql}')
                else:
                    con.execute(f'CREATE OR REPLACE TEMP VIEW "{st.name}" AS {st.sql}')
            return out
        finally:
            con.close()
