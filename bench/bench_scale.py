"""Scale benchmark: ingest and compute at N = 1,000 and 5,000 enterprises, each engine, against bare DuckDB
and a plain pandas implementation, with the issue's targets checked.

Run (from the repository root, with the project's venv)::

    . .venv/bin/activate
    python bench/bench_scale.py                                   # N = 1000 and 5000, both engines, 12-22 min
    python bench/bench_scale.py --enterprises 50                  # smoke test, ~1 min
    python bench/bench_scale.py --enterprises 1000 --engines duckdb --skip pandas
    python bench/bench_scale.py --workdir /tmp/scale --keep       # keep the data; then --reuse-data

For each N a batch is generated (``write_interval_benchmark``: N enterprises, one meter each, one year of
15-minute readings = N x 35,040 rows; not timed), then every step runs in its **own fresh Python process**
(``python bench/bench_scale.py --step ...``) and the parent samples the RSS of that process **and all its
descendants** (the Spark JVM) from /proc every 0.2 s:

``ingest``          ``ingest_batch(store, folder)`` into a new store (DuckDB validation; ingest has no engine
                    choice) -- as ``bench_pipeline.py``'s ingest step.              reference: ref-ingest
``compute-duckdb``  ``compute_year(store, year, engine="duckdb")`` on that store.   reference: ref-script
``compute-spark``   ``compute_year(store, year, engine="spark")``, Spark ``local[2]`` (``--spark-master``); the
                    Spark session (JVM start) is created before the clock and reused by the engine.
                                                                                    reference: ref-script
``ref-ingest``      DuckDB ``CREATE TABLE t AS SELECT * FROM read_parquet(<original file>)`` + CHECKPOINT into
                    a new database file -- as ``bench_pipeline.py``.
``ingest-csv``      ``ingest_batch`` of the same batch with its readings as CSV (``batch-csv``, written from the
                    Parquet file by the data step, not timed) into a new store.   reference: ref-ingest-csv
``ref-ingest-csv``  DuckDB ``CREATE TABLE t AS SELECT * FROM read_csv(<the CSV>)`` (types detected) + CHECKPOINT.
``incremental``     on a copy of the store compute-duckdb published: one reading corrected, then
                    ``compute --incremental`` (information: seconds, against compute-duckdb's full run).
``ref-script``      bare DuckDB (no Dianta; every core; ``memory_limit`` 8GB, ``--ref-memory-limit``; spilling
                    to the work directory) running the statements of ``dianta.engine.queries.YEAR_SCRIPT`` with
                    ``readings`` a view on the original Parquet file and meters/bounds/tou/trades built from the
                    batch's CSV files as DuckDB tables ("the bare DuckDB aggregation queries on the same Parquet
                    data").
``ref-script-lake`` (information) the same on the lake files Dianta's ingest wrote (the files compute reads):
                    separates the cost of the file layout from Dianta's own overhead.
``ref-monthly``     DuckDB monthly kWh per meter on the original file -- as ``bench_pipeline.py`` (information).
``pandas``          pandas + pyarrow, the way an analyst would write it: read the Parquet file, assign each
                    reading to the meter's holder (meters.csv, validity periods), monthly kWh per meter and
                    holder, hourly load per enterprise (quarter-hour load summed over meters where an
                    enterprise has several), daily kWh, time-of-use split, peak quarter-hour and load factor.
                    Not covered: on-site generation, green trades and hourly matching (the generated batch has
                    none of those). Skipped when its estimated peak exceeds ``--pandas-max-gb``.

Steps that fail (error, timeout, the memory guard ``--max-rss-gb``, the OOM killer) are recorded in the table
with the reason; the run goes on. The table and every number go to ``bench/out/scale.json``.
See bench/README.md for the columns and the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_pipeline as bp  # noqa: E402  (imports only the standard library at module level)

OUT_FILE = bp.OUT_DIR / "scale.json"
MARKER = ".dianta-bench-scale"
RESULT_PREFIX = bp.RESULT_PREFIX
STEPS = ("ingest", "compute-duckdb", "compute-spark", "ref-ingest", "ingest-csv", "ref-ingest-csv", "ref-script",
         "ref-script-lake", "ref-monthly", "pandas", "incremental", "pandas-sums", "ref-hours")
REFERENCE_OF = {"ingest": "ref-ingest", "ingest-csv": "ref-ingest-csv", "compute-duckdb": "ref-script",
                "compute-spark": "ref-script", "pandas": "ref-script"}
TARGET_N = 5000
TARGET_PEAK_MB = 4096.0  # 4 GiB
TARGET_RATIO = 0.5
SAMPLE_S = 0.2
PANDAS_COVERS = ("read Parquet, holder of each reading (meters with validity), monthly kWh per meter+holder, "
                 "hourly load per enterprise, daily kWh, time-of-use split, peak quarter-hour, load factor; "
                 "not covered: on-site generation, green trades, hourly matching (no such data in the batch)")
# pandas peak estimate before a measurement exists: bytes per reading above the interpreter (measured at
# N = 1000 and 5000: 70-80 B, see README) and the interpreter with pandas/pyarrow imported
PANDAS_BYTES_PER_ROW = 75.0
PANDAS_BASE_MB = 250.0


class BenchError(Exception):
    """A problem the user can act on; printed without a traceback."""


# -------------------------------------------------------------------------------------------------------
# /proc: the process tree of a step


def _proc_table() -> dict[int, tuple[int, str, int, int]]:
    """pid -> (ppid, comm, rss pages, CPU ticks user + system) of every process (Linux /proc/<pid>/stat)."""
    out: dict[int, tuple[int, str, int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                raw = f.read().decode(errors="replace")
        except OSError:
            continue
        lp, rp = raw.find("("), raw.rfind(")")
        fields = raw[rp + 2:].split()
        try:
            out[int(entry.name)] = (int(fields[1]), raw[lp + 1:rp], int(fields[21]), int(fields[11]) + int(fields[12]))
        except (IndexError, ValueError):
            continue
    return out


def _descendants(root: int, table: dict[int, tuple[int, str, int, int]]) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20


def _tree_rss_mb(root: int, cpu: dict[int, int] | None = None) -> tuple[float, float]:
    """(RSS of root and all its descendants, RSS of the java processes among them) [MB]; records each
    process's CPU ticks so far in ``cpu``."""
    table = _proc_table()
    total = jvm = 0.0
    for pid in _descendants(root, table):
        if pid in table:
            _, comm, rss, ticks = table[pid]
            total += rss * PAGE_MB
            if comm == "java":
                jvm += rss * PAGE_MB
            if cpu is not None:
                cpu[pid] = ticks
    return total, jvm


def _machine_busy_ticks() -> int:
    """CPU ticks the whole machine has spent busy (/proc/stat: user, nice, system, irq, softirq, steal)."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)
    except (OSError, ValueError, IndexError):
        return 0


def _hwm_mb(pid: int) -> float:
    """VmHWM (the RSS high-water mark) of a process [MB], 0 when unreadable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


# -------------------------------------------------------------------------------------------------------
# the child: one measured step


def _compute(step: str, nd: Path, year: int, rows: int, spark_master: str) -> dict[str, object]:
    from dianta.accounts.compute import compute_year
    from dianta.ledger.store import Store

    if not (nd / "store" / "ledger.sqlite").exists():
        raise BenchError(f"no store at {nd / 'store'}: compute needs the ingest step first")
    store = Store(nd / "store")
    engine = step.removeprefix("compute-")
    extra: dict[str, object] = {}
    spark = None
    if engine == "spark":
        os.environ["DIANTA_SPARK_MASTER"] = spark_master
        from dianta.engine.spark_engine import SparkEngine

        t = time.perf_counter()
        spark = SparkEngine(temp_dir=store.temp_dir()).session()  # compute_year's engine reuses this session
        extra["spark_startup_s"] = time.perf_counter() - t
        extra["spark_master"] = spark_master
        extra["spark_version"] = spark.version
    phases: list[tuple[str, float]] = []
    base = bp._rss_mb()
    t0 = time.perf_counter()
    result = compute_year(store, year, engine=engine, progress=lambda m: phases.append((m, time.perf_counter() - t0)))
    seconds = time.perf_counter() - t0
    if not result.records:
        raise BenchError("compute_year published no accounts")
    if spark is not None:
        table = _proc_table()
        jvms = [p for p in _descendants(os.getpid(), table) if p in table and table[p][1] == "java"]
        extra["jvm_hwm_mb"] = sum(_hwm_mb(p) for p in jvms)
        spark.stop()
    lfs = [r["electricity"]["load_factor"] for r in result.records]  # type: ignore[index]
    peaks = [r["electricity"]["peak_kw"] for r in result.records]  # type: ignore[index]
    check = {"enterprises_with_load_factor": sum(x is not None for x in lfs),
             "load_factor_sum": sum(x for x in lfs if x is not None),
             "peak_kw_sum": sum(x for x in peaks if x is not None)}
    return {"step": step, "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(), "base_rss_mb": base,
            "phases": phases, "accounts": len(result.records), "check": check, **extra}


def _small_inputs(batch: Path, year: int) -> dict[str, object]:
    """meters / bounds / tou / trades / empty onsite and profiles, as Arrow tables built from the batch's
    CSV files the way the accounts' load stage builds them from the ledger."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from dianta.calc.electricity import time_of_use_period
    from dianta.reference.profile import load_profile

    ts = pa.timestamp("us")
    text = pacsv.ConvertOptions(column_types={"meter_id": pa.string(), "credit_code": pa.string(),
                                              "valid_from": pa.string(), "valid_to": pa.string(),
                                              "contract_id": pa.string(), "month": pa.string()},
                                strings_can_be_null=True)
    meters = pacsv.read_csv(batch / "meters.csv", convert_options=text).to_pylist()

    def day(value: str | None, default: dt.datetime, plus: int = 0) -> dt.datetime:
        return default if not value else dt.datetime.fromisoformat(value) + dt.timedelta(days=plus)

    trades: list[dict[str, object]] = []
    if (batch / "green_trades.csv").exists():
        trades = [r for r in pacsv.read_csv(batch / "green_trades.csv", convert_options=text).to_pylist()
                  if str(r["month"]).startswith(str(year))]
    prof = load_profile("default")
    empty = {k: pa.schema([(k2, pa.string()), ("ts", ts), ("kwh", pa.float64())]).empty_table()
             for k, k2 in (("onsite_interval", "credit_code"), ("profiles", "contract_id"))}
    return {
        "meters": pa.table({
            "meter_id": pa.array([r["meter_id"] for r in meters], pa.string()),
            "credit_code": pa.array([r["credit_code"] for r in meters], pa.string()),
            "valid_from_ts": pa.array([day(r["valid_from"], dt.datetime(1900, 1, 1)) for r in meters], ts),
            "valid_to_excl_ts": pa.array([day(r["valid_to"], dt.datetime(2300, 1, 1), 1) for r in meters], ts)}),
        "bounds": pa.table({"prev_start": pa.array([dt.datetime(year - 1, 1, 1)], ts),
                            "y_start": pa.array([dt.datetime(year, 1, 1)], ts),
                            "y_end": pa.array([dt.datetime(year + 1, 1, 1)], ts)}),
        "tou": pa.table({"hour": pa.array(range(24), pa.int64()),
                         "period": pa.array(time_of_use_period(list(range(24)), valley_hours=prof.tou_valley_hours,
                                                               peak_hours=prof.tou_peak_hours).tolist())}),
        "trades": pa.table({
            "contract_id": pa.array([r["contract_id"] for r in trades], pa.string()),
            "credit_code": pa.array([r["credit_code"] for r in trades], pa.string()),
            "month_start": pa.array([dt.datetime.fromisoformat(str(r["month"]) + "-01") for r in trades], ts),
            "kwh": pa.array([float(r["kwh"]) for r in trades], pa.float64()),
            "in_boundary": pa.array([True] * len(trades), pa.bool_())}),  # the default profile's national boundary
        **empty,
    }


def _checksums(meter_month_kwh: float, meter_month_rows: int, stats: dict[str, list], day_rows: int,
               day_kwh: float, tou: dict[str, float]) -> dict[str, object]:
    """What ref-script and pandas both compute, to tell that they computed the same thing."""
    stats = {k: [None if x is None else float(x) for x in stats[k]] for k in ("kwh", "peak_q", "n")}
    lf = [(k / (n * 0.25)) / (p * 4.0) for k, p, n in zip(stats["kwh"], stats["peak_q"], stats["n"], strict=True)
          if n and p]
    return {"meter_month_kwh": meter_month_kwh, "meter_month_rows": meter_month_rows,
            "enterprises_with_load_factor": len(lf), "load_factor_sum": sum(lf),
            "peak_kw_sum": 4.0 * sum(p for p in stats["peak_q"] if p is not None),
            "ent_kwh": sum(x for x in stats["kwh"] if x is not None), "ent_day_rows": day_rows, "ent_day_kwh": day_kwh,
            "tou_kwh": {k: tou[k] for k in sorted(tou)}}


def _ref_script(step: str, nd: Path, year: int, rows: int, memory_limit: str) -> dict[str, object]:
    import duckdb
    import pyarrow as pa
    import pyarrow.compute as pc

    from dianta.engine.queries import YEAR_SCRIPT

    batch = nd / "batch"
    inputs = _small_inputs(batch, year)
    from dianta.accounts.inputs import HOURLY_SCHEMA

    files, hourly = [str(batch / "interval_readings.parquet")], []
    if step == "ref-script-lake":  # the lake's roll-ups, as compute reads them (issue 18)
        files, hourly = [], bp._lake_files(nd / "store", year, "interval_hourly")
        if not hourly:
            raise BenchError(f"no roll-up files in the lake of {nd / 'store'}: run the ingest step first")
    # DuckDB's defaults (every core) except the memory limit and where it spills (the work directory)
    config = {"temp_directory": str(nd / "ref-tmp")}
    if memory_limit != "default":
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    try:
        con.execute("SET TimeZone = 'UTC'")
        for name, paths, schema in (("readings", files, pa.schema([("meter_id", pa.string()),
                                                                  ("ts", pa.timestamp("us")), ("kwh", pa.float64())])),
                                    ("hourly", hourly, HOURLY_SCHEMA)):
            (con.read_parquet(paths) if paths else con.from_arrow(schema.empty_table())).create_view(name)
        for name, table in inputs.items():  # DuckDB tables (with statistics), as the engine does
            con.register(f"arrow_{name}", table)
            con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM "arrow_{name}"')
        base = bp._rss_mb()
        t0 = time.perf_counter()
        out = {}
        for st in YEAR_SCRIPT:
            if st.output:
                out[st.name] = con.sql(st.sql).to_arrow_table()
            elif st.materialise:
                con.execute(f'CREATE OR REPLACE TEMP TABLE "{st.name}" AS {st.sql}')
            else:
                con.execute(f'CREATE OR REPLACE TEMP VIEW "{st.name}" AS {st.sql}')
        seconds = time.perf_counter() - t0
        n = con.sql("SELECT count(*) FROM readings").fetchall()[0][0]
    finally:
        con.close()
    if n != rows:
        raise BenchError(f"{step}: {n:,} rows, expected {rows:,}")
    tou = out["ent_tou"].to_pydict()
    tou_kwh: dict[str, float] = {}
    for p, k in zip(tou["period"], tou["kwh"], strict=True):
        tou_kwh[p] = tou_kwh.get(p, 0.0) + k
    check = _checksums(pc.sum(out["meter_month"]["kwh"]).as_py(), out["meter_month"].num_rows,
                       out["ent_stats"].to_pydict(), out["ent_day"].num_rows, pc.sum(out["ent_day"]["kwh"]).as_py(),
                       tou_kwh)
    return {"step": step, "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(),
            "base_rss_mb": base, "outputs": {k: v.num_rows for k, v in out.items()}, "check": check,
            "files": len(files), "memory_limit": memory_limit}


def _incremental(nd: Path, year: int, rows: int) -> dict[str, object]:
    """``incremental``: on a copy of the store compute-duckdb published (copied before the clock), one
    reading of one meter corrected (``correction_s``), then ``compute --incremental`` (``seconds``)."""
    import duckdb

    from dianta.accounts.compute import compute_year
    from dianta.ingest.apply import ingest_batch
    from dianta.ledger.store import Store

    source, target = nd / "store", nd / "store-incremental"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    store = Store(target)
    with duckdb.connect() as con:
        meter, ts, kwh = con.sql("SELECT meter_id, ts, kwh FROM read_parquet($f) WHERE ts >= $t LIMIT 1",
                                 params={"f": str(nd / "batch" / "interval_readings.parquet"),
                                         "t": f"{year}-03-05"}).fetchall()[0]
    fix = nd / "correction"
    shutil.rmtree(fix, ignore_errors=True)
    fix.mkdir()
    (fix / "interval_readings.csv").write_text(f"meter_id,ts,kwh\n{meter},{ts:%Y-%m-%d %H:%M:%S},{kwh + 1}\n")
    base = bp._rss_mb()
    t0 = time.perf_counter()
    ingest_batch(store, fix, reason="bench: one reading re-read")
    correction_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = compute_year(store, year, incremental=True)
    seconds = time.perf_counter() - t0
    if result.mode != "incremental":
        raise BenchError(f"compute --incremental ran as {result.mode}")
    shutil.rmtree(target, ignore_errors=True)
    return {"step": "incremental", "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(),
            "base_rss_mb": base, "correction_s": correction_s, "accounts": len(result.records),
            "recomputed": result.recomputed}


def _csv_batch(nd: Path) -> int:
    """``batch-csv``: the batch with its readings as CSV (``YYYY-MM-DD HH:MM:SS``, as DuckDB writes numbers),
    written from the Parquet file once (not timed); returns the CSV's size in bytes."""
    import duckdb

    batch, target = nd / "batch", nd / "batch-csv"
    csv_file = target / "interval_readings.csv"
    if not csv_file.exists():
        target.mkdir(exist_ok=True)
        for f in batch.glob("*.csv"):
            shutil.copyfile(f, target / f.name)
        with duckdb.connect(config={"temp_directory": str(nd / "ref-tmp")}) as con:
            con.execute("COPY (SELECT meter_id, strftime(ts, '%Y-%m-%d %H:%M:%S') AS ts, kwh "
                        "FROM read_parquet($f)) TO '" + str(csv_file).replace("'", "''") + ".part' (HEADER)",
                        {"f": str(batch / "interval_readings.parquet")})
        os.replace(f"{csv_file}.part", csv_file)
    return csv_file.stat().st_size


def _csv_step(step: str, nd: Path, year: int, rows: int) -> dict[str, object]:
    """``ingest-csv``: the ingest step on the CSV batch into a new store; ``ref-ingest-csv``: DuckDB's own
    ``CREATE TABLE t AS SELECT * FROM read_csv(<file>)`` (types detected) + ``CHECKPOINT`` into a new file."""
    csv_file = nd / "batch-csv" / "interval_readings.csv"
    if step == "ingest-csv":
        out = bp.run_step("ingest", nd, year, rows, batch_name="batch-csv", store_name="store-csv")
        return {**out, "step": step, "csv_bytes": csv_file.stat().st_size}
    import duckdb

    db = nd / "ref-csv.duckdb"
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        base = bp._rss_mb()
        t0 = time.perf_counter()
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv($f)", {"f": str(csv_file)})
        con.execute("CHECKPOINT")
        seconds = time.perf_counter() - t0
        n = con.sql("SELECT count(*) FROM t").fetchall()[0][0]
    db.unlink(missing_ok=True)
    if n != rows:
        raise BenchError(f"{step}: {n:,} rows, expected {rows:,}")
    return {"step": step, "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(), "base_rss_mb": base,
            "csv_bytes": csv_file.stat().st_size}


def _pandas(nd: Path, year: int, rows: int) -> dict[str, object]:
    import numpy as np
    import pandas as pd

    from dianta.calc.electricity import time_of_use_period
    from dianta.reference.profile import load_profile

    batch = nd / "batch"
    prof = load_profile("default")  # the same time-of-use hours as the script's tou table (setup, not timed)
    tou_of_hour = time_of_use_period(np.arange(24), valley_hours=prof.tou_valley_hours,
                                     peak_hours=prof.tou_peak_hours)
    prev_start, y_start, y_end = (pd.Timestamp(year - 1, 1, 1), pd.Timestamp(year, 1, 1), pd.Timestamp(year + 1, 1, 1))
    base = bp._rss_mb()
    marks: list[tuple[str, float]] = []
    t0 = time.perf_counter()

    def mark(what: str) -> None:
        marks.append((what, time.perf_counter() - t0))

    # --- what an analyst writes: load, join the meters, group by ------------------------------------------
    mark("read")
    meters = pd.read_csv(batch / "meters.csv", dtype=str)
    meters["vf"] = pd.to_datetime(meters["valid_from"]).fillna(pd.Timestamp(1900, 1, 1))
    meters["vt"] = (pd.to_datetime(meters["valid_to"]) + pd.Timedelta(days=1)).fillna(pd.Timestamp(2300, 1, 1))
    df = pd.read_parquet(batch / "interval_readings.parquet", columns=["meter_id", "ts", "kwh"],
                         read_dictionary=["meter_id"])  # meter_id as a categorical
    mark("holder")
    if meters["meter_id"].is_unique:  # one holder period per meter: look it up through the categorical's codes
        m = meters.set_index("meter_id").reindex(df["meter_id"].cat.categories)
        codes = df["meter_id"].cat.codes.to_numpy()
        ts = df["ts"].to_numpy()
        keep = ((ts >= m["vf"].to_numpy()[codes]) & (ts < m["vt"].to_numpy()[codes])
                & (ts >= prev_start.to_datetime64()) & (ts < y_end.to_datetime64()))
        ents = pd.Index(m["credit_code"].dropna().unique())
        df["credit_code"] = pd.Categorical.from_codes(ents.get_indexer(m["credit_code"].to_numpy())[codes],
                                                      categories=ents)
        del ts, codes
        if not keep.all():
            df = df[keep]
        del keep
    else:  # meters that changed hands: a plain merge and a filter on the validity period
        df = df.merge(meters[["meter_id", "credit_code", "vf", "vt"]], on="meter_id")
        df = df[(df["ts"] >= df["vf"]) & (df["ts"] < df["vt"]) & (df["ts"] >= prev_start) & (df["ts"] < y_end)]
        df = df.drop(columns=["vf", "vt"])
        df["credit_code"] = df["credit_code"].astype("category")
    mark("monthly")
    meter_month = df.groupby([df["meter_id"], df["credit_code"], df["ts"].dt.to_period("M")],
                             observed=True)["kwh"].agg(["sum", "count"])
    mark("hourly")
    cur = df[df["ts"] >= y_start] if (df["ts"] < y_start).any() else df
    multi = meters.loc[meters["credit_code"].duplicated(), "credit_code"].unique()
    if len(multi):  # enterprises with several meters: their quarter-hour load is the sum over the meters
        several = cur["credit_code"].isin(multi)
        q = pd.concat([cur.loc[~several, ["credit_code", "ts", "kwh"]],
                       cur[several].groupby(["credit_code", "ts"], observed=True)["kwh"].sum().reset_index()])
    else:
        q = cur
    ent_hour = q.groupby([q["credit_code"], q["ts"].dt.floor("h")], observed=True)["kwh"].agg(
        kwh="sum", peak_q="max", n="count").reset_index()
    del q, cur, df
    mark("daily, tou, load factor")
    ent_stats = ent_hour.groupby("credit_code", observed=True).agg(kwh=("kwh", "sum"), peak_q=("peak_q", "max"),
                                                                   n=("n", "sum"))
    ent_stats["load_factor"] = (ent_stats["kwh"] / (ent_stats["n"] * 0.25)) / (ent_stats["peak_q"] * 4.0)
    ent_day = ent_hour.groupby([ent_hour["credit_code"], ent_hour["ts"].dt.floor("D")], observed=True)["kwh"].sum()
    periods = sorted(set(tou_of_hour.tolist()))
    period = pd.Categorical.from_codes(np.searchsorted(periods, tou_of_hour)[ent_hour["ts"].dt.hour.to_numpy()],
                                       categories=periods)
    ent_tou = ent_hour.groupby([ent_hour["credit_code"], period], observed=True)["kwh"].sum()
    seconds = time.perf_counter() - t0
    # --- not timed: the checksums -------------------------------------------------------------------------
    tou_kwh = {str(k): float(v) for k, v in ent_tou.groupby(level=1).sum().items()}
    check = _checksums(float(meter_month["sum"].sum()), len(meter_month),
                       {"kwh": ent_stats["kwh"].tolist(), "peak_q": ent_stats["peak_q"].tolist(),
                        "n": ent_stats["n"].tolist()}, len(ent_day), float(ent_day.sum()), tou_kwh)
    ends = [t for _, t in marks[1:]] + [seconds]
    return {"step": "pandas", "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(), "base_rss_mb": base,
            "phases_seconds": {w: e - s for (w, s), e in zip(marks, ends, strict=True)}, "check": check,
            "covers": PANDAS_COVERS, "pandas_version": pd.__version__}


def _pandas_sums(nd: Path, year: int, rows: int) -> dict[str, object]:
    """``pandas-sums`` (issue 18's pandas baseline): what an analyst writes for only the monthly and the hourly
    kWh per meter: read the Parquet file, two group-bys. No holders, no enterprise load, no peaks."""
    import pandas as pd

    batch = nd / "batch"
    base = bp._rss_mb()
    t0 = time.perf_counter()
    df = pd.read_parquet(batch / "interval_readings.parquet", columns=["meter_id", "ts", "kwh"],
                         read_dictionary=["meter_id"])
    df = df[(df["ts"] >= pd.Timestamp(year - 1, 1, 1)) & (df["ts"] < pd.Timestamp(year + 1, 1, 1))]
    monthly = df.groupby([df["meter_id"], df["ts"].dt.to_period("M")], observed=True)["kwh"].sum()
    hourly = df.groupby([df["meter_id"], df["ts"].dt.floor("h")], observed=True)["kwh"].sum()
    seconds = time.perf_counter() - t0
    return {"step": "pandas-sums", "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(),
            "base_rss_mb": base, "check": {"meter_month_kwh": float(monthly.sum()), "meter_month_rows": len(monthly),
                                           "meter_hour_rows": len(hourly)}, "pandas_version": pd.__version__}


#: ``ref-hours``: the interval work of the engine's year script as plain DuckDB SQL written by hand: one scan of
#: the readings into meter-hours (kWh, largest quarter-hour, readings), everything else from those (holders by
#: the meters' validity, monthly kWh per meter and holder, the enterprise's hours, totals, days, time of use).
#: Every enterprise of the generated batch holds one meter, so the meter-hour is the enterprise-hour.
REF_HOURS_SQL = [
    ("meter_hour", """SELECT meter_id, date_trunc('hour', ts) AS hour, sum(kwh) AS kwh, max(kwh) AS peak_q,
                              count(*) AS n FROM readings, bounds b WHERE ts >= b.prev_start AND ts < b.y_end
                       GROUP BY ALL"""),
    ("assigned_hour", """SELECT h.meter_id, m.credit_code, h.hour, h.kwh, h.peak_q, h.n FROM meter_hour h
                         JOIN meters m ON h.meter_id = m.meter_id AND h.hour >= m.valid_from_ts
                          AND h.hour < m.valid_to_excl_ts"""),
    ("meter_month", """SELECT meter_id, credit_code, date_trunc('month', hour) AS month, sum(kwh) AS kwh,
                              sum(n) AS n FROM assigned_hour GROUP BY ALL"""),
    ("ent_hour", """SELECT credit_code, hour, sum(kwh) AS kwh, max(peak_q) AS peak_q, sum(n) AS n
                    FROM assigned_hour, bounds b WHERE hour >= b.y_start GROUP BY credit_code, hour"""),
    ("ent_stats", "SELECT credit_code, sum(kwh) AS kwh, max(peak_q) AS peak_q, sum(n) AS n FROM ent_hour GROUP BY ALL"),
    ("ent_day", "SELECT credit_code, date_trunc('day', hour) AS day, sum(kwh) AS kwh FROM ent_hour GROUP BY ALL"),
    ("ent_tou", """SELECT h.credit_code, t.period, sum(h.kwh) AS kwh FROM ent_hour h JOIN tou t
                   ON hour(h.hour) = t.hour GROUP BY ALL"""),
]
REF_HOURS_TABLES = ("meter_hour", "assigned_hour", "ent_hour")


def _ref_hours(nd: Path, year: int, rows: int, memory_limit: str) -> dict[str, object]:
    import duckdb
    import pyarrow.compute as pc

    batch = nd / "batch"
    inputs = _small_inputs(batch, year)
    config = {"temp_directory": str(nd / "ref-tmp")}
    if memory_limit != "default":
        config["memory_limit"] = memory_limit
    con = duckdb.connect(config=config)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.read_parquet([str(batch / "interval_readings.parquet")]).create_view("readings")
        for name in ("meters", "bounds", "tou"):
            con.register(f"arrow_{name}", inputs[name])
            con.execute(f'CREATE TEMP TABLE "{name}" AS SELECT * FROM "arrow_{name}"')
        base = bp._rss_mb()
        t0 = time.perf_counter()
        out = {}
        for name, sql in REF_HOURS_SQL:
            if name in REF_HOURS_TABLES:
                con.execute(f'CREATE TEMP TABLE "{name}" AS {sql}')
            else:
                out[name] = con.sql(sql).to_arrow_table()
        seconds = time.perf_counter() - t0
    finally:
        con.close()
    tou = out["ent_tou"].to_pydict()
    tou_kwh: dict[str, float] = {}
    for p, k in zip(tou["period"], tou["kwh"], strict=True):
        tou_kwh[p] = tou_kwh.get(p, 0.0) + k
    check = _checksums(pc.sum(out["meter_month"]["kwh"]).as_py(), out["meter_month"].num_rows,
                       out["ent_stats"].to_pydict(), out["ent_day"].num_rows, pc.sum(out["ent_day"]["kwh"]).as_py(),
                       tou_kwh)
    return {"step": "ref-hours", "rows": rows, "seconds": seconds, "peak_rss_mb": bp._peak_rss_mb(),
            "base_rss_mb": base, "check": check, "memory_limit": memory_limit}


def child_main(args: argparse.Namespace) -> int:
    nd = Path(args.workdir)
    try:
        if args.step == "data":
            out = bp.data_step(nd, args.n, args.year, args.seed, args.generate)
            out["csv_bytes"] = _csv_batch(nd)
        elif args.step in ("ingest-csv", "ref-ingest-csv"):
            out = _csv_step(args.step, nd, args.year, args.rows)
        elif args.step == "incremental":
            out = _incremental(nd, args.year, args.rows)
        elif args.step in ("ingest", "ref-ingest", "ref-monthly"):
            out = bp.run_step(args.step, nd, args.year, args.rows)
        elif args.step.startswith("compute-"):
            out = _compute(args.step, nd, args.year, args.rows, args.spark_master)
        elif args.step in ("ref-script", "ref-script-lake"):
            out = _ref_script(args.step, nd, args.year, args.rows, args.ref_memory_limit)
        elif args.step == "pandas":
            out = _pandas(nd, args.year, args.rows)
        elif args.step == "pandas-sums":
            out = _pandas_sums(nd, args.year, args.rows)
        elif args.step == "ref-hours":
            out = _ref_hours(nd, args.year, args.rows, args.ref_memory_limit)
        else:
            raise BenchError(f"unknown step {args.step}")
    except (BenchError, bp.BenchError) as exc:
        print(f"bench step {args.step}: {exc}", file=sys.stderr)
        return 3
    print(RESULT_PREFIX + json.dumps(out), flush=True)
    return 0


# -------------------------------------------------------------------------------------------------------
# the parent: data, children under watch, table


def _reason_from(stderr: str, returncode: int) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    for key in ("MemoryError", "OutOfMemoryError", "Out of Memory", "OutOfMemoryException", "bench step"):
        hit = [ln for ln in lines if key in ln]
        if hit:
            return hit[-1][:300]
    if returncode < 0:
        sig = signal.Signals(-returncode).name
        return f"killed by {sig}" + (" (out of memory? see dmesg)" if sig == "SIGKILL" else "")
    return (lines[-1][:300] if lines else f"exit status {returncode}")


def run_watched(step: str, nd: Path, year: int, rows: int, args: argparse.Namespace, *more: str
                ) -> dict[str, object]:
    """Run one step in a child process, sampling the RSS of its process tree; never raises for the step's
    own failure: returns {"status": "failed", "reason": ...} instead."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--workdir", str(nd), "--year", str(year),
           "--rows", str(rows), "--spark-master", args.spark_master, "--ref-memory-limit", args.ref_memory_limit, *more]
    logs = nd / "logs"
    logs.mkdir(exist_ok=True)
    out_path, err_path = logs / f"{step}.out", logs / f"{step}.err"
    guard_mb = args.max_rss_gb * 1024
    peak = jvm_peak = 0.0
    samples = 0
    killed = None
    cpu: dict[int, int] = {}
    busy0 = _machine_busy_ticks()
    t0 = time.monotonic()
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            while proc.poll() is None:
                total, jvm = _tree_rss_mb(proc.pid, cpu)
                samples += 1
                peak, jvm_peak = max(peak, total), max(jvm_peak, jvm)
                if total > guard_mb:
                    killed = f"killed by the benchmark: the step's processes reached {total:,.0f} MB (--max-rss-gb)"
                elif time.monotonic() - t0 > args.timeout:
                    killed = f"did not finish within {args.timeout:g} s (--timeout)"
                if killed:
                    _kill_group(proc)
                    break
                time.sleep(SAMPLE_S)
        except BaseException:
            _kill_group(proc)
            raise
        proc.wait()
    wall = time.monotonic() - t0
    tick = os.sysconf("SC_CLK_TCK")
    step_cores = sum(cpu.values()) / tick / wall if wall > 0 else 0.0
    busy = (_machine_busy_ticks() - busy0) / tick / wall if wall > 0 else 0.0
    watch = {"tree_peak_sampled_mb": peak, "jvm_peak_sampled_mb": jvm_peak, "samples": samples,
             "process_wall_s": wall, "returncode": proc.returncode, "step_cores": step_cores,
             "other_cores": max(busy - step_cores, 0.0), "loadavg_end": os.getloadavg()[0]}
    stdout = out_path.read_text(errors="replace")
    lines = [ln for ln in stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if killed or proc.returncode != 0 or not lines:
        reason = killed or _reason_from(err_path.read_text(errors="replace"), proc.returncode)
        return {"step": step, "status": "failed", "reason": reason, "rows": rows, **watch, "log": str(err_path)}
    result = json.loads(lines[-1][len(RESULT_PREFIX):])
    return {**result, "status": "ok", **watch}


def _kill_group(proc: subprocess.Popen) -> None:
    """End the child we started and its descendants (its own process group: the JVM included)."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _prepare_top(workdir: Path | None) -> Path:
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="dianta-scale-", dir="/tmp" if Path("/tmp").is_dir() else None))
    path = workdir.resolve()
    if path.exists() and not path.is_dir():
        raise BenchError(f"--workdir {path} is a file")
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        raise BenchError(f"--workdir {path} is not empty and was not made by this script; give a new or empty folder")
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("bench_scale.py work directory\n")
    return path


def _finish_row(r: dict[str, object]) -> dict[str, object]:
    """Derived numbers of one step's result: rows/s, the peak of the process tree, the JVM's part."""
    if r.get("status") == "ok":
        s = float(r["seconds"])  # type: ignore[arg-type]
        r["rows_per_s"] = int(r["rows"]) / s if s > 0 else None  # type: ignore[arg-type]
        py = float(r.get("peak_rss_mb") or 0.0)  # type: ignore[arg-type]
        jvm = max(float(r.get("jvm_hwm_mb") or 0.0), float(r.get("jvm_peak_sampled_mb") or 0.0))  # type: ignore[arg-type]
        r["py_peak_mb"] = py
        r["jvm_peak_mb"] = jvm or None
        # the child's own high-water mark is exact; with a JVM the sampled sum over the tree is the measure
        r["peak_mb"] = max(py, float(r.get("tree_peak_sampled_mb") or 0.0))  # type: ignore[arg-type]
    return r


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)


def _check(r: dict[str, object], ref: dict[str, object] | None) -> str | None:
    """Does a compute step / pandas give the reference script's numbers? ('ok', 'DIFF: ...', or None)."""
    mine, theirs = r.get("check"), (ref or {}).get("check")
    if not isinstance(mine, dict) or not isinstance(theirs, dict):
        return None
    bad = []
    for k, v in mine.items():
        w = theirs.get(k)
        if isinstance(v, dict) and isinstance(w, dict):
            if set(v) != set(w) or not all(_close(v[x], w[x]) for x in v):
                bad.append(k)
        elif isinstance(v, (int, float)) and isinstance(w, (int, float)) and not _close(float(v), float(w)):
            bad.append(k)
    return "ok" if not bad else "DIFF: " + ", ".join(bad)


def _target(r: dict[str, object]) -> tuple[str | None, str | None]:
    """(met / MISSED / None, why) for the issue's targets (compute-duckdb and ingest, judged at N = 5000)."""
    step = r["step"]
    if step not in ("compute-duckdb", "ingest", "ingest-csv"):
        return None, None
    if r.get("status") != "ok":
        return "MISSED", f"{step} failed: {r.get('reason')}"
    ratio = r.get("ratio")
    why = []
    if ratio is not None and ratio < TARGET_RATIO:  # type: ignore[operator]
        why.append(f"throughput {ratio:.3f} of the reference < {TARGET_RATIO}")
    if step == "compute-duckdb" and float(r["peak_mb"]) >= TARGET_PEAK_MB:  # type: ignore[arg-type]
        why.append(f"peak {float(r['peak_mb']):,.0f} MB >= 4 GiB")  # type: ignore[arg-type]
    if why:
        return "MISSED", "; ".join(why)
    if ratio is None:
        return None, f"no throughput of {REFERENCE_OF[str(step)]} to compare with (skipped or failed)"
    return "met", None


def _summarise(results: list[dict[str, object]]) -> None:
    by = {(r["n"], r["step"]): r for r in results}
    for r in results:
        ref = by.get((r["n"], REFERENCE_OF.get(str(r["step"]), "")))
        r["reference"] = ref["step"] if ref else None
        ok = r.get("status") == "ok" and ref is not None and ref.get("status") == "ok"
        r["ratio"] = (float(r["rows_per_s"]) / float(ref["rows_per_s"])  # type: ignore[arg-type, index]
                      if ok and r.get("rows_per_s") and ref.get("rows_per_s") else None)  # type: ignore[union-attr]
        r["check_vs_ref"] = _check(r, ref) if ok else None
        r["target"], r["target_why"] = _target(r)
        r["target_applies"] = r["n"] == TARGET_N


def _fmt_rate(x: object) -> str:
    if not x:
        return "-"
    v = float(x)  # type: ignore[arg-type]
    return f"{v / 1e6:,.2f} M" if v >= 1e5 else f"{v:,.0f}"


def _table(results: list[dict[str, object]]) -> str:
    head = (f"{'step':<15}{'N':>6}{'rows':>13}{'seconds':>9}{'rows/s':>10}{'peak MB':>9}{'JVM MB':>8}"
            f"{'vs ref':>8}{'other':>6}  {'check':<6}{'target':<9}")
    lines = [head, "-" * len(head)]
    notes = []
    for r in results:
        step, n = str(r["step"]), int(r["n"])  # type: ignore[arg-type]
        if r.get("status") != "ok":
            what = "SKIPPED" if r.get("status") == "skipped" else "FAILED"
            lines.append(f"{step:<15}{n:>6,}{int(r['rows']):>13,}  {what}: {r.get('reason')}")  # type: ignore[arg-type]
            if r.get("target"):
                lines[-1] += f"  [target {r['target']}]"
            continue
        ratio = r.get("ratio")
        target = r.get("target") or ""
        if target and not r.get("target_applies"):
            target = f"({target})"
        jvm = f"{float(r['jvm_peak_mb']):,.0f}" if r.get("jvm_peak_mb") else "-"  # type: ignore[arg-type]
        lines.append(f"{step:<15}{n:>6,}{int(r['rows']):>13,}{float(r['seconds']):>9.2f}"  # type: ignore[arg-type]
                     f"{_fmt_rate(r.get('rows_per_s')):>10}{float(r['peak_mb']):>9,.0f}{jvm:>8}"  # type: ignore[arg-type]
                     f"{(f'{ratio:.3f}' if ratio else '-'):>8}{float(r.get('other_cores') or 0.0):>6.2f}"  # type: ignore[arg-type]
                     f"  {str(r.get('check_vs_ref') or '-')[:5]:<6}{target:<9}")
        if r.get("target_why") and r.get("target_applies"):
            verdict = "target missed" if r.get("target") == "MISSED" else "target not judged"
            notes.append(f"  {step} at N = {n:,}: {verdict}: {r['target_why']}")
        if str(r.get("check_vs_ref") or "").startswith("DIFF"):
            notes.append(f"  {step} at N = {n:,}: results differ from ref-script in {r['check_vs_ref'][6:]}")  # type: ignore[index]
        if r.get("spark_startup_s") is not None:
            notes.append(f"  {step} at N = {n:,}: Spark session start (not timed) {float(r['spark_startup_s']):.1f} s, "  # type: ignore[arg-type]
                         f"python process peak {float(r['py_peak_mb']):,.0f} MB")  # type: ignore[arg-type]
        if r.get("correction_s") is not None:
            full = next((x for x in results if x["n"] == n and x["step"] == "compute-duckdb"
                         and x.get("status") == "ok"), None)
            fix_s, inc_s = float(r["correction_s"]), float(r["seconds"])  # type: ignore[arg-type]
            notes.append(f"  incremental at N = {n:,}: one reading corrected (ingest {fix_s:.1f} s), then compute "
                         f"--incremental {inc_s:.1f} s for {r['recomputed']} enterprise(s)"
                         + (f" (full compute {float(full['seconds']):.1f} s)" if full else ""))  # type: ignore[arg-type]
    by = {(r["n"], r["step"]): r for r in results}
    for (n, step), r in by.items():
        lake = by.get((n, "ref-script-lake"))
        if step.startswith("compute-") and r.get("rows_per_s") and lake and lake.get("rows_per_s"):
            notes.append(f"  {step} at N = {n:,}: {float(r['rows_per_s']) / float(lake['rows_per_s']):.3f} of "  # type: ignore[arg-type]
                         "ref-script-lake's throughput (the same script on the lake files compute reads)")
    return "\n".join(lines + notes)


def _pandas_estimate_mb(rows: int, results: list[dict[str, object]]) -> tuple[float, str]:
    """Estimated peak RSS of the pandas step at ``rows`` readings: scaled from the largest pandas run of this
    invocation, else from the constants above."""
    done = [r for r in results if r["step"] == "pandas" and r.get("status") == "ok" and int(r["rows"]) >= 1_000_000]  # type: ignore[arg-type]
    if done:
        r = max(done, key=lambda x: int(x["rows"]))  # type: ignore[arg-type]
        per_row = (float(r["peak_mb"]) - float(r["base_rss_mb"])) * 2**20 / int(r["rows"])  # type: ignore[arg-type]
        base = float(r["base_rss_mb"])  # type: ignore[arg-type]
        how = f"scaled from the N = {r['n']:,} run ({per_row:.0f} B/reading)"
    else:
        per_row, base, how = PANDAS_BYTES_PER_ROW, PANDAS_BASE_MB, f"{PANDAS_BYTES_PER_ROW:.0f} B/reading (default)"
    return base + per_row * rows / 2**20, how


def parent_main(args: argparse.Namespace) -> int:
    import importlib.util

    for module in ("dianta", "duckdb", "pyarrow"):
        if importlib.util.find_spec(module) is None:
            raise BenchError(f"cannot import {module} with {sys.executable}; activate the project's venv")
    if any(n < 1 for n in args.enterprises):
        raise BenchError("--enterprises must be at least 1")
    skip = set(args.skip)
    steps = [s for s in STEPS if s not in skip and not (s.startswith("compute-") and s[8:] not in args.engines)]
    has_pandas = importlib.util.find_spec("pandas") is not None
    has_spark = importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None
    top = _prepare_top(args.workdir)
    keep = args.keep or args.reuse_data
    results: list[dict[str, object]] = []
    data_by_n: dict[int, dict[str, object]] = {}
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    try:
        print(f"work directory: {top}", file=sys.stderr)
        for n in args.enterprises:
            nd = top / f"n{n}"
            params = {"enterprises": n, "year": args.year, "seed": args.seed}
            nd, reusable = bp._prepare_workdir(nd, args.reuse_data, params)
            free_gb = shutil.disk_usage(nd).free / 2**30
            # Parquet ~0.18 MB per enterprise (batch, lake, reference db, spills), the CSV batch ~1.5 MB, its
            # store and reference db ~0.4 MB
            need_gb = n * (0.18e-3 * 6 + 1.9e-3)
            print(f"N = {n:,}: {free_gb:,.0f} GB free in {nd} (about {need_gb:,.1f} GB needed)", file=sys.stderr)
            if free_gb < need_gb:
                raise BenchError(f"not enough free disk in {nd}: {free_gb:.1f} GB, need about {need_gb:.1f} GB")
            print("  reusing the generated batch" if reusable else f"  generating {n:,} enterprises x one year ...",
                  file=sys.stderr)
            data = run_watched("data", nd, args.year, 0, args, "--n", str(n), "--seed", str(args.seed),
                               *([] if reusable else ["--generate"]))
            if data.get("status") != "ok":
                raise BenchError(f"generating the batch for N = {n} failed: {data.get('reason')}")
            if not reusable:
                (nd / bp.MARKER).write_text(json.dumps({"data": params}))
                print(f"  generated in {float(data['generate_seconds']):.1f} s (not timed)", file=sys.stderr)  # type: ignore[arg-type]
            data_by_n[n] = {k: data[k] for k in ("interval_rows", "parquet_bytes", "row_groups", "generate_seconds",
                                                 "versions")}
            rows = int(data["interval_rows"])  # type: ignore[arg-type]
            for step in steps:
                base_row: dict[str, object] = {"n": n, "step": step, "rows": rows}
                reason = None
                if (step.startswith("compute-") or step == "ref-script-lake") and not any(
                        r["n"] == n and r["step"] == "ingest" and r.get("status") == "ok" for r in results):
                    reason = "needs the ingest step (skipped or failed)"
                elif step == "compute-spark" and not has_spark:
                    reason = "PySpark or java not installed"
                elif step == "pandas":
                    est, how = _pandas_estimate_mb(rows, results)
                    base_row["estimate_mb"] = est
                    if not has_pandas:
                        reason = "pandas not installed (pip install pandas)"
                    elif est > args.pandas_max_gb * 1024:
                        reason = (f"estimated peak {est / 1024:,.1f} GB > --pandas-max-gb {args.pandas_max_gb:g} "
                                  f"({how})")
                if reason:
                    results.append({**base_row, "status": "skipped", "reason": reason})
                    print(f"  {step}: skipped ({reason})", file=sys.stderr)
                    continue
                print(f"  {step} ...", file=sys.stderr, end=" ", flush=True)
                r = _finish_row({**base_row, **run_watched(step, nd, args.year, rows, args)})
                r["n"] = n
                results.append(r)
                if r["status"] == "ok":
                    print(f"{float(r['seconds']):.2f} s, peak {float(r['peak_mb']):,.0f} MB", file=sys.stderr)  # type: ignore[arg-type]
                else:
                    print(f"FAILED: {r['reason']}", file=sys.stderr)
            if not keep:
                for sub in ("store", "ref.duckdb", "ref.duckdb.wal", "ref-tmp"):
                    p = nd / sub
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        _summarise(results)
        table = _table(results)
        title = (f"Dianta scale benchmark: {', '.join(f'N = {n:,}' for n in args.enterprises)} enterprises x "
                 f"{args.year} (15-minute readings), engines {', '.join(args.engines)}, {os.cpu_count()} cores")
        print()
        print(title)
        print(table)
        print(f"\npandas covers: {PANDAS_COVERS}")
        print(f"targets (issue, judged at N = {TARGET_N:,}): compute-duckdb peak < 4 GiB and >= {TARGET_RATIO} x "
              f"ref-script rows/s; ingest >= {TARGET_RATIO} x ref-ingest rows/s; in parentheses the same test at "
              "other N, for information")
        versions = next(iter(data_by_n.values()))["versions"] if data_by_n else {}
        report = {
            "benchmark": "scale", "created": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "args": {"enterprises": args.enterprises, "engines": args.engines, "year": args.year, "seed": args.seed,
                     "skip": sorted(skip), "timeout": args.timeout, "spark_master": args.spark_master,
                     "pandas_max_gb": args.pandas_max_gb, "max_rss_gb": args.max_rss_gb,
                     "ref_memory_limit": args.ref_memory_limit},
            "data": {str(k): {kk: vv for kk, vv in v.items() if kk != "versions"} for k, v in data_by_n.items()},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "mem_total_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
                        **versions},  # type: ignore[dict-item]
            "pandas_covers": PANDAS_COVERS, "results": results, "title": title, "table": table,
        }
        bp.OUT_DIR.mkdir(parents=True, exist_ok=True)
        OUT_FILE.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"\nwritten to {OUT_FILE}")
    except BaseException:
        keep = keep or args.workdir is not None
        raise
    finally:
        if keep:
            print(f"work directory kept: {top}", file=sys.stderr)
        else:
            shutil.rmtree(top, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring / bench/README.md for what the numbers mean.")
    ap.add_argument("--enterprises", type=int, nargs="+", default=[1000, 5000],
                    help="enterprise counts (= meters); rows = N x 35,040 each (default: 1000 5000)")
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    ap.add_argument("--workdir", type=Path, help="work directory (default: a new one under /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    ap.add_argument("--reuse-data", action="store_true",
                    help="with --workdir: reuse batches generated there earlier with the same N/year/seed (implies "
                         "--keep)")
    ap.add_argument("--skip", nargs="*", default=[], choices=STEPS, help="steps to leave out")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed per step (default 3600)")
    ap.add_argument("--spark-master", default="local[2]", help="Spark master of compute-spark (default local[2])")
    ap.add_argument("--ref-memory-limit", default="8GB",
                    help="DuckDB memory_limit of ref-script and ref-script-lake (default 8GB; with Dianta's 4GB the "
                         "script on the original file ran out of memory at N = 5000), or 'default' for DuckDB's own "
                         "(80%% of RAM)")
    ap.add_argument("--pandas-max-gb", type=float, default=16,
                    help="skip the pandas step where its estimated peak RSS exceeds this (default 16)")
    ap.add_argument("--max-rss-gb", type=float, default=20,
                    help="kill a step whose processes together exceed this RSS (default 20)")
    # internal: one step in a child process
    ap.add_argument("--step", choices=(*STEPS, "data"), help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        if args.step:
            if args.workdir is None or args.rows is None:
                ap.error("--step needs --workdir and --rows")
            return child_main(args)
        return parent_main(args)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except bp.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
