"""End-to-end pipeline benchmark: Dianta ingest and compute against bare DuckDB on the same data.

Run (from the repository root, with the project's venv)::

    . .venv/bin/activate
    python bench/bench_pipeline.py --enterprises 1000 --year 2023            # 35 M readings, a few minutes
    python bench/bench_pipeline.py --enterprises 1000 --year 2023 --repeat 3 # median of 3 runs per step
    python bench/bench_pipeline.py --enterprises 50 --year 2023 --workdir /tmp/b --keep --reuse-data

What it does
------------
1. Generates one batch folder with ``dianta.demo.generate.write_interval_benchmark`` (N enterprises, one
   meter each, a full year of 15-minute readings: 35,040 per meter in a non-leap year). Not timed.
2. Times each step below in its **own fresh child process** (``python bench/bench_pipeline.py --step ...``),
   so that the peak RSS reported for a step is that step's own high-water mark and not left over from an
   earlier step (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` read at the end of the child):

   ``ingest``        ``dianta.ingest.apply.ingest_batch(store, folder)`` into a new, empty store: reads the
                     CSV files, validates every row set-wise in DuckDB, writes month-partitioned Parquet
                     to the lake and commits the ledger.
   ``compute``       ``dianta.accounts.compute.compute_year(store, year)`` on that store: the engine's
                     aggregation script (``dianta.engine.queries.YEAR_SCRIPT``) over the lake, the
                     calculation and the publication of the accounts.
   ``ref-ingest``    DuckDB's own ``CREATE TABLE t AS SELECT * FROM read_parquet(<original file>)`` into a
                     new DuckDB database file (persisted, like the lake) -- the ingest reference.
   ``ref-monthly``   the bare DuckDB query ``SELECT meter_id, date_trunc('month', ts), sum(kwh) FROM
                     read_parquet(<original file>) GROUP BY ALL`` (monthly kWh per meter, result fetched
                     as Arrow) -- the compute reference.
   ``ref-monthly-lake`` (informational) the same query on Dianta's lake files (the files compute reads),
                     to tell the cost of the lake's file layout from the cost of Dianta's script.

   Setup that is not the measured work (opening the store, creating the ledger schema, importing
   modules) happens before the clock starts. All steps run with the OS page cache warm (the data was
   just written), and DuckDB uses all cores (``os.cpu_count()``); Dianta's own connections set
   ``memory_limit = 4GB``, the references use DuckDB's defaults.
3. With ``--repeat K`` each step runs K times (interleaved: ingest, compute, references, then again; each
   ingest into a fresh store, each reference CTAS into a fresh database file) and the table shows the
   median time and the largest peak RSS; every run is kept in the JSON.

What the numbers mean
---------------------
``rows``      interval readings the step processes (the whole year of the batch: N x 35,040).
``seconds``   wall time of the measured call only (median over the runs).
``rows/s``    rows / seconds.
``peak MB``   peak resident set size of the child process (its high-water mark, includes the Python
              interpreter and imported modules); ``delta MB`` is that peak minus the RSS just before the
              measured call, i.e. what the step itself added.
``vs ref``    Dianta's throughput divided by the reference's (ingest vs ref-ingest, compute vs
              ref-monthly): 1.0 means as fast as bare DuckDB, 0.1 means ten times slower. Dianta does
              more than the reference (validation, partitioning, history; the whole accounts script), so
              a ratio below 1 is expected -- the point is to see how far below, and where the time goes.

The table is printed and written as JSON to ``bench/out/pipeline-<N>.json`` (git-ignored), together
with the per-run numbers, the phases Dianta reports through its progress callbacks and the machine.

The work directory (default: a new temporary directory, removed at the end unless ``--keep``) holds
``batch/`` (the generated folder), ``store/`` (the Dianta store) and ``ref.duckdb``. A ``--workdir``
given by the user must be empty, new, or one this script created earlier (it leaves a marker file);
its contents are removed first, except ``batch/`` with ``--reuse-data`` when it was generated with the
same arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
MARKER = ".dianta-bench"
RESULT_PREFIX = "BENCH-RESULT "  # the child's one line of JSON on stdout

DIANTA_STEPS = ("ingest", "compute")
REF_STEPS = ("ref-ingest", "ref-monthly", "ref-monthly-lake")
STEPS = DIANTA_STEPS + REF_STEPS
REFERENCE_OF = {"ingest": "ref-ingest", "compute": "ref-monthly"}
MONTHLY_SQL = ("SELECT meter_id, date_trunc('month', ts) AS month, sum(kwh) AS kwh "
               "FROM read_parquet($files) GROUP BY ALL")


class BenchError(Exception):
    """A problem the user can act on; printed without a traceback."""


# -------------------------------------------------------------------------------------------------------
# the child: one measured step


def _rss_mb() -> float:
    """Current resident set size of this process [MB] (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _maxrss_mb() -> float:
    """``getrusage(RUSAGE_SELF).ru_maxrss`` [MB] (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _peak_rss_mb() -> float:
    """High-water mark of this process's RSS [MB].

    On Linux this is ``VmHWM`` of /proc/self/status, the high-water mark of the process's own address
    space. ``ru_maxrss`` is not used there: Linux carries it across ``execve`` from the address space the
    child was forked from, so a child of a parent holding 500 MB reports at least 500 MB whatever it does.
    Elsewhere ``ru_maxrss`` (with that caveat)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 2**10
    except (OSError, ValueError, IndexError):
        pass
    return _maxrss_mb()


def _lake_files(store_dir: Path, year: int, table: str = "interval_readings") -> list[str]:
    from dianta.ledger.store import Store

    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    return [str(p) for p in Store(store_dir).active_files(table, months)]


def run_step(step: str, workdir: Path, year: int, expected_rows: int, *, batch_name: str = "batch",
             store_name: str = "store") -> dict[str, object]:
    """Run one measured step in this (fresh) process and return its numbers (``ingest``: the batch folder
    ``batch_name`` into a new store ``store_name`` of the work directory)."""
    batch = workdir / batch_name
    store_dir = workdir / store_name
    phases: list[tuple[str, float]] = []
    extra: dict[str, object] = {}

    def progress(start: float):  # noqa: ANN202 - a tiny closure factory
        return lambda msg: phases.append((msg, time.perf_counter() - start))

    if step == "ingest":
        from dianta.ingest.apply import ingest_batch
        from dianta.ledger.store import Store

        if store_dir.exists():
            shutil.rmtree(store_dir)
        store = Store(store_dir)
        base = _rss_mb()
        t0 = time.perf_counter()
        result = ingest_batch(store, batch, progress=progress(t0))
        seconds = time.perf_counter() - t0
        counts = {k: {"new": v.new, "unchanged": v.unchanged, "corrected": v.corrected, "quarantined": v.quarantined}
                  for k, v in result.counts.items()}
        new_rows = counts.get("interval_readings", {}).get("new", 0)
        if result.status != "applied" or new_rows != expected_rows:
            raise BenchError(f"ingest did not apply the batch cleanly: status {result.status}, "
                             f"{new_rows:,} new interval rows of {expected_rows:,}; counts {counts}")
        extra = {"status": result.status, "counts": counts,
                 "findings": [f"{f.severity}: {f.code} {f.table} {f.value}" for f in result.findings][:20]}
    elif step == "compute":
        from dianta.accounts.compute import compute_year
        from dianta.ledger.store import Store

        if not (store_dir / "ledger.sqlite").exists():
            raise BenchError(f"no store at {store_dir}: the compute step needs an ingest step first")
        store = Store(store_dir)
        base = _rss_mb()
        t0 = time.perf_counter()
        result = compute_year(store, year, progress=progress(t0))
        seconds = time.perf_counter() - t0
        if not result.records:
            raise BenchError("compute_year published no accounts")
        extra = {"accounts": len(result.records),
                 "grades": {str(k): v for k, v in sorted(result.grades.items(), key=lambda kv: str(kv[0]))}}
    elif step in REF_STEPS:
        import duckdb

        files = [str(batch / "interval_readings.parquet")]
        if step == "ref-monthly-lake":
            files = _lake_files(store_dir, year)
            if not files:
                raise BenchError(f"no interval files in the lake of {store_dir}: run the ingest step first")
        db = workdir / "ref.duckdb"
        if step == "ref-ingest":
            for p in (db, db.with_name(db.name + ".wal")):
                p.unlink(missing_ok=True)
        con = duckdb.connect(str(db) if step == "ref-ingest" else ":memory:")
        try:
            base = _rss_mb()
            t0 = time.perf_counter()
            if step == "ref-ingest":
                con.execute("CREATE TABLE t AS SELECT * FROM read_parquet($files)", {"files": files})
                con.execute("CHECKPOINT")
                seconds = time.perf_counter() - t0
                n = con.sql("SELECT count(*) FROM t").fetchall()[0][0]
            else:
                table = con.execute(MONTHLY_SQL, {"files": files}).to_arrow_table()
                seconds = time.perf_counter() - t0
                n = int(con.sql("SELECT sum(n) FROM (SELECT count(*) AS n FROM read_parquet($files))",
                                params={"files": files}).fetchall()[0][0])
                extra = {"groups": table.num_rows, "files": len(files)}
        finally:
            con.close()
        if n != expected_rows:
            raise BenchError(f"{step}: {n:,} rows, expected {expected_rows:,}")
    else:
        raise BenchError(f"unknown step {step!r}; choose one of {', '.join(STEPS)}")
    return {"step": step, "rows": expected_rows, "seconds": seconds, "peak_rss_mb": _peak_rss_mb(),
            "base_rss_mb": base, "ru_maxrss_mb": _maxrss_mb(), "phases": phases, **extra}


def data_step(workdir: Path, n: int, year: int, seed: int, generate: bool) -> dict[str, object]:
    """Generate the batch (unless reused) and describe it; run in a child so that the parent stays small."""
    import duckdb
    import pyarrow
    import pyarrow.parquet as pq

    seconds = None
    if generate:
        from dianta.demo.generate import write_interval_benchmark

        t0 = time.perf_counter()
        write_interval_benchmark(workdir / "batch", n_enterprises=n, year=year, seed=seed)
        seconds = time.perf_counter() - t0
    parquet = workdir / "batch" / "interval_readings.parquet"
    meta = pq.ParquetFile(parquet).metadata
    return {"interval_rows": meta.num_rows, "parquet_bytes": parquet.stat().st_size,
            "row_groups": meta.num_row_groups, "generate_seconds": seconds,
            "versions": {"duckdb": duckdb.__version__, "pyarrow": pyarrow.__version__}}


def child_main(args: argparse.Namespace) -> int:
    try:
        if args.step == "data":
            out = data_step(Path(args.workdir), args.enterprises, args.year, args.seed, args.generate)
        else:
            out = run_step(args.step, Path(args.workdir), args.year, args.rows)
    except BenchError as exc:
        print(f"bench step {args.step}: {exc}", file=sys.stderr)
        return 3
    print(RESULT_PREFIX + json.dumps(out), flush=True)
    return 0


# -------------------------------------------------------------------------------------------------------
# the parent: data, children, table


def _prepare_workdir(workdir: Path | None, reuse: bool, params: dict[str, object]) -> tuple[Path, bool]:
    """The work directory, emptied (keeping a reusable batch/); returns (path, batch_is_reusable)."""
    if workdir is None:
        path = Path(tempfile.mkdtemp(prefix="dianta-bench-"))
    else:
        path = workdir.resolve()
        if path.exists() and not path.is_dir():
            raise BenchError(f"--workdir {path} is a file")
        if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
            raise BenchError(f"--workdir {path} is not empty and was not made by this script; "
                             "give a new or empty folder")
        path.mkdir(parents=True, exist_ok=True)
    reusable = False
    marker = path / MARKER
    if reuse and marker.exists() and (path / "batch" / "interval_readings.parquet").exists():
        try:
            reusable = json.loads(marker.read_text()).get("data") == params
        except (OSError, ValueError):
            reusable = False
    for child in path.iterdir():
        if child.name == MARKER or (reusable and child.name == "batch"):
            continue
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    marker.write_text(json.dumps({"data": params if reusable else None}))
    return path, reusable


def _run_child(step: str, workdir: Path, year: int, rows: int, timeout: float | None, *more: str
               ) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--workdir", str(workdir),
           "--year", str(year), "--rows", str(rows), *more]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"step {step} did not finish within {timeout:g} s (--timeout)") from exc
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-25:])
        raise BenchError(f"step {step} failed (exit status {proc.returncode}):\n{tail}")
    return json.loads(lines[-1][len(RESULT_PREFIX):])


def _fmt_rate(r: float) -> str:
    return f"{r / 1e6:,.2f} M" if r >= 1e5 else f"{r:,.0f}"


def _phase_seconds(run: dict[str, object]) -> dict[str, float]:
    """Durations of the phases Dianta announced through its progress callback (start to next start)."""
    marks = list(run.get("phases") or [])  # type: ignore[call-overload]
    if not marks:
        return {}
    ends = [t for _, t in marks[1:]] + [float(run["seconds"])]  # type: ignore[arg-type]
    return {msg: end - start for (msg, start), end in zip(marks, ends, strict=True)}


def _summarise(runs: dict[str, list[dict[str, object]]]) -> list[dict[str, object]]:
    rows = []
    for step, rs in runs.items():
        per_run = [_phase_seconds(r) for r in rs]
        phases = {m: statistics.median(p.get(m, 0.0) for p in per_run) for m in per_run[0]} if per_run else {}
        seconds = statistics.median(float(r["seconds"]) for r in rs)  # type: ignore[arg-type]
        n = int(rs[0]["rows"])  # type: ignore[arg-type]
        rows.append({"step": step, "rows": n, "seconds": seconds, "rows_per_s": n / seconds if seconds else None,
                     "peak_rss_mb": max(float(r["peak_rss_mb"]) for r in rs),  # type: ignore[arg-type]
                     "delta_rss_mb": max(float(r["peak_rss_mb"]) - float(r["base_rss_mb"]) for r in rs),  # type: ignore[arg-type]
                     "runs": len(rs), "phases_seconds": phases})
    by_step = {r["step"]: r for r in rows}
    for r in rows:
        ref = by_step.get(REFERENCE_OF.get(str(r["step"]), ""))
        r["reference"] = ref["step"] if ref else None
        r["ratio_vs_ref"] = (r["rows_per_s"] / ref["rows_per_s"]) if ref and ref["rows_per_s"] else None
    return rows


def _table(rows: list[dict[str, object]]) -> str:
    head = f"{'step':<17}{'rows':>13}{'seconds':>10}{'rows/s':>13}{'peak MB':>10}{'delta MB':>10}  {'vs ref':<22}"
    lines = [head, "-" * len(head)]
    for r in rows:
        ratio = r["ratio_vs_ref"]
        vs = f"{ratio:.3f} ({1 / ratio:.1f}x slower)" if ratio else "-"  # type: ignore[operator]
        if ratio and ratio >= 1:
            vs = f"{ratio:.3f}"
        lines.append(f"{r['step']:<17}{r['rows']:>13,}{r['seconds']:>10.2f}{_fmt_rate(r['rows_per_s']):>13}"  # type: ignore[arg-type]
                     f"{r['peak_rss_mb']:>10,.0f}{r['delta_rss_mb']:>10,.0f}  {vs:<22}")
    for r in rows:
        if r["phases_seconds"]:
            parts = ", ".join(f"{m} {t:.2f} s" for m, t in r["phases_seconds"].items())  # type: ignore[attr-defined]
            lines.append(f"  {r['step']} phases (median): {parts}")
    return "\n".join(lines)


def parent_main(args: argparse.Namespace) -> int:
    # The parent imports neither dianta nor DuckDB nor PyArrow: it stays small, and the children it forks
    # start small (see _peak_rss_mb).
    import importlib.util

    for module in ("dianta", "duckdb", "pyarrow"):
        if importlib.util.find_spec(module) is None:
            raise BenchError(f"cannot import {module} with {sys.executable}; "
                             "activate the project's venv: . .venv/bin/activate")
    if args.enterprises < 1:
        raise BenchError("--enterprises must be at least 1")
    if args.repeat < 1:
        raise BenchError("--repeat must be at least 1")
    steps = [s for s in STEPS if s not in set(args.skip)]
    if "compute" in steps and "ingest" not in steps:
        raise BenchError("compute needs ingest (do not --skip ingest)")
    if "ref-monthly-lake" in steps and "ingest" not in steps:
        steps.remove("ref-monthly-lake")

    params = {"enterprises": args.enterprises, "year": args.year, "seed": args.seed}
    workdir, reusable = _prepare_workdir(args.workdir, args.reuse_data, params)
    keep = args.keep or args.reuse_data
    try:
        print(f"work directory: {workdir}", file=sys.stderr)
        print("reusing the generated batch" if reusable else
              f"generating {args.enterprises} enterprises x 1 year of 15-minute readings ...", file=sys.stderr)
        data = _run_child("data", workdir, args.year, 0, args.timeout, "--enterprises", str(args.enterprises),
                          "--seed", str(args.seed), *([] if reusable else ["--generate"]))
        if not reusable:
            (workdir / MARKER).write_text(json.dumps({"data": params}))
            print(f"  generated in {data['generate_seconds']:.1f} s (not timed)", file=sys.stderr)
        rows = int(data["interval_rows"])  # type: ignore[arg-type]
        if rows == 0:
            raise BenchError("the generated batch has no interval readings")
        runs: dict[str, list[dict[str, object]]] = {s: [] for s in steps}
        for k in range(args.repeat):
            for step in steps:
                print(f"run {k + 1}/{args.repeat}: {step} ...", file=sys.stderr, end=" ", flush=True)
                r = _run_child(step, workdir, args.year, rows, args.timeout)
                runs[step].append(r)
                print(f"{r['seconds']:.2f} s, peak {r['peak_rss_mb']:,.0f} MB", file=sys.stderr)
        summary = _summarise(runs)
        table = _table(summary)
        print()
        title = (f"Dianta pipeline benchmark: {args.enterprises} enterprises, {args.year}, {rows:,} interval "
                 f"readings ({int(data['parquet_bytes']) / 2**20:,.0f} MB Parquet, {data['row_groups']} row "  # type: ignore[arg-type]
                 f"groups); median of {args.repeat} run(s), {os.cpu_count()} cores")
        print(title)
        print(table)
        report = {
            "benchmark": "pipeline", "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "args": {**params, "repeat": args.repeat},
            "data": {k: v for k, v in data.items() if k != "versions"},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        **data["versions"]},  # type: ignore[dict-item]
            "summary": summary, "runs": runs, "title": title, "table": table,
        }
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        out = OUT_DIR / f"pipeline-{args.enterprises}.json"
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwritten to {out}")
    except BaseException:
        keep = keep or args.workdir is not None  # keep a user's folder for inspection after a failure
        raise
    finally:
        if keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring / bench/README.md for what the numbers mean.")
    ap.add_argument("--enterprises", type=int, default=1000, help="enterprises (= meters); rows = N x 35,040")
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    ap.add_argument("--workdir", type=Path, help="work directory (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    ap.add_argument("--reuse-data", action="store_true",
                    help="with --workdir: reuse a batch generated there earlier with the same arguments "
                         "(implies --keep)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per step; the table shows the median")
    ap.add_argument("--skip", nargs="*", default=[], choices=STEPS, help="steps to leave out")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed per step run (default 3600)")
    # internal: run one step in a child process
    ap.add_argument("--step", choices=(*STEPS, "data"), help=argparse.SUPPRESS)
    ap.add_argument("--rows", type=int, help=argparse.SUPPRESS)
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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
