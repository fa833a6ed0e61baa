"""Per-statement SQL timings of Dianta's ingest or compute: where the time of a slow step goes.

Wraps the DuckDB connection Dianta opens (``dianta.ingest.apply.connect_engine`` for ingest,
``DuckDBEngine.connect`` for compute) in a proxy that times every statement it runs, then prints the
slowest. Needs a work directory kept by ``bench_pipeline.py``::

    python bench/bench_pipeline.py --enterprises 1000 --workdir /tmp/bench1000 --keep
    python bench/sql_timings.py ingest  --workdir /tmp/bench1000   # ingests into <workdir>/store-timings
    python bench/sql_timings.py compute --workdir /tmp/bench1000   # computes on <workdir>/store

Times are wall time of the call that made DuckDB do the work (``execute``, ``fetchall``,
``write_parquet``, ...). A lazy relation is timed when it is fetched; views cost nothing until a later
statement reads them, and that statement carries their cost. The proxy adds microseconds per call.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import time
from pathlib import Path

LOG: list[tuple[float, str]] = []
_RUNS = {"fetchall", "fetchone", "create", "create_view", "write_parquet", "write_csv", "to_arrow_table", "df",
         "arrow", "execute", "insert_into"}


def _short(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


class _Rel:
    def __init__(self, rel: object, label: str):
        self._rel, self._label = rel, label

    def __getattr__(self, name: str) -> object:
        attr = getattr(self._rel, name)
        if not callable(attr):
            return attr

        def call(*args: object, **kwargs: object) -> object:
            t0 = time.perf_counter()
            out = attr(*args, **kwargs)
            if name in _RUNS:
                LOG.append((time.perf_counter() - t0, f"{name}: {self._label}"))
            return _Rel(out, f"{self._label} .{name}{args}") if type(out).__name__.endswith("Relation") else out

        return call


class _Con:
    def __init__(self, con: object):
        self._con = con

    def __getattr__(self, name: str) -> object:
        return getattr(self._con, name)

    def execute(self, sql: str, *args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        out = self._con.execute(sql, *args, **kwargs)  # type: ignore[attr-defined]
        LOG.append((time.perf_counter() - t0, "execute: " + _short(sql)))
        return out

    def sql(self, sql: str, *args: object, **kwargs: object) -> _Rel:
        return _Rel(self._con.sql(sql, *args, **kwargs), _short(sql))  # type: ignore[attr-defined]

    def read_parquet(self, *args: object, **kwargs: object) -> _Rel:
        return _Rel(self._con.read_parquet(*args, **kwargs), f"read_parquet{args}")  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("step", choices=("ingest", "compute"))
    ap.add_argument("--workdir", type=Path, required=True, help="a work directory kept by bench_pipeline.py")
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--top", type=int, default=30, help="statements to list (default 30)")
    ap.add_argument("--width", type=int, default=220, help="characters of SQL to show (default 220)")
    args = ap.parse_args(argv)

    from dianta.ledger.store import Store

    t0 = time.perf_counter()

    def progress(msg: str) -> None:
        print(f"{time.perf_counter() - t0:8.2f} s  {msg}", flush=True)

    if args.step == "ingest":
        import dianta.ingest.apply as apply

        batch = args.workdir / "batch"
        if not (batch / "interval_readings.parquet").exists():
            print(f"error: no generated batch in {batch}", file=sys.stderr)
            return 1
        original = apply.connect_engine
        apply.connect_engine = lambda store: _Con(original(store))  # type: ignore[assignment]
        target = args.workdir / "store-timings"
        shutil.rmtree(target, ignore_errors=True)
        store = Store(target)
        t0 = time.perf_counter()
        apply.ingest_batch(store, batch, progress=progress)
    else:
        from dianta.accounts.compute import compute_year
        from dianta.engine.duckdb_engine import DuckDBEngine

        if not (args.workdir / "store" / "ledger.sqlite").exists():
            print(f"error: no store in {args.workdir / 'store'} (run bench_pipeline.py with --keep)", file=sys.stderr)
            return 1
        original_connect = DuckDBEngine.connect
        DuckDBEngine.connect = lambda self: _Con(original_connect(self))  # type: ignore[assignment,method-assign]
        store = Store(args.workdir / "store")
        t0 = time.perf_counter()
        compute_year(store, args.year, progress=progress)
    total = time.perf_counter() - t0
    print(f"\n{len(LOG)} statements, {sum(d for d, _ in LOG):.2f} s in DuckDB calls of {total:.2f} s; "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    for seconds, what in sorted(LOG, key=lambda x: -x[0])[:args.top]:
        print(f"{seconds:8.2f}  {what[:args.width]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
