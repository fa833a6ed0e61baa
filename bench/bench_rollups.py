"""Issue 18's baselines, side by side in one run: Dianta's compute against the pandas script an analyst writes for
only the monthly and hourly sums per meter (``pandas-sums``) and against one plain DuckDB query doing the same
interval work as the engine (``ref-hours``: one scan into meter-hours, everything else from those); Dianta's
ingest against DuckDB's plain ``read_parquet`` load of the same file (``ref-ingest``).

Run (from the repository root, with the project's venv)::

    python bench/bench_rollups.py --enterprises 1000 --repeat 3             # ~6 min at N = 1,000
    python bench/bench_rollups.py --enterprises 50 --repeat 1               # smoke test
    python bench/bench_rollups.py --workdir /tmp/roll --reuse-data          # reuse a generated batch
    python bench/bench_rollups.py --enterprises 5000 --ingest-once          # ~15 min: the issue's N

Each round runs every step once, each in its own fresh process (``bench_scale.py``'s child steps, RSS of the
process tree sampled); the order of the steps is rotated from round to round ("alternated"), so drift on a
shared machine falls on all of them alike. Reported: the median seconds of each step over the rounds, and the
ratios of medians: how many times as long compute takes as each baseline (< 1: compute is faster), and ingest's
throughput as a fraction of ``ref-ingest``'s. The JSON goes to ``bench/out/rollups-<N>.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_pipeline as bp  # noqa: E402
import bench_scale as bs  # noqa: E402

STEPS = ("ingest", "compute-duckdb", "ref-ingest", "ref-hours", "pandas-sums", "incremental")
ROTATED = STEPS[1:5]  # after ingest, in another order each round; incremental last (it needs compute's accounts)


def _median(results: list[dict[str, object]], step: str) -> float | None:
    secs = [float(r["seconds"]) for r in results if r["step"] == step and r.get("status") == "ok"]  # type: ignore[arg-type]
    return statistics.median(secs) if secs else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--enterprises", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (default 3; the medians need at least 3)")
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--reuse-data", action="store_true")
    ap.add_argument("--label", default="", help="a label kept in the JSON (e.g. 'before', 'after')")
    ap.add_argument("--timeout", type=float, default=3600)
    ap.add_argument("--ingest-once", action="store_true",
                    help="ingest in the first round only (the store is kept for the later rounds; ingest's median "
                         "is then its one time): for N where one ingest takes minutes")
    args = ap.parse_args(argv)
    # bench_scale's run_watched reads these
    args.spark_master, args.ref_memory_limit, args.max_rss_gb = "local[2]", "8GB", 20.0
    top = bs._prepare_top(args.workdir)
    n = args.enterprises
    nd, reusable = bp._prepare_workdir(top / f"n{n}", args.reuse_data, {"enterprises": n, "year": args.year,
                                                                         "seed": args.seed})
    data = bs.run_watched("data", nd, args.year, 0, args, "--n", str(n), "--seed", str(args.seed),
                          *([] if reusable else ["--generate"]))
    if data.get("status") != "ok":
        print(f"generating the batch failed: {data.get('reason')}", file=sys.stderr)
        return 1
    if not reusable:
        (nd / bp.MARKER).write_text(json.dumps({"data": {"enterprises": n, "year": args.year, "seed": args.seed}}))
    rows = int(data["interval_rows"])  # type: ignore[arg-type]
    results: list[dict[str, object]] = []
    for k in range(args.repeat):
        # ingest first (compute needs its store), the rest rotated round by round
        rest = list(ROTATED)
        order = [*(["ingest"] if k == 0 or not args.ingest_once else []),
                 *rest[k % len(rest):], *rest[:k % len(rest)], "incremental"]
        for step in order:
            if step == "pandas-sums" and importlib.util.find_spec("pandas") is None:
                results.append({"n": n, "step": step, "rows": rows, "round": k, "status": "skipped",
                                "reason": "pandas not installed in this interpreter"})
                continue
            r = bs._finish_row({"n": n, "step": step, "rows": rows, "round": k,
                                **bs.run_watched(step, nd, args.year, rows, args)})
            results.append(r)
            status = f"{float(r['seconds']):.2f} s" if r["status"] == "ok" else f"FAILED: {r.get('reason')}"  # type: ignore[arg-type]
            print(f"round {k + 1}: {step:<15} {status}", file=sys.stderr, flush=True)
    med = {s: _median(results, s) for s in STEPS}
    ratios = {}
    if med["compute-duckdb"] and med["pandas-sums"]:
        ratios["compute_time_vs_pandas_sums"] = med["compute-duckdb"] / med["pandas-sums"]
    if med["compute-duckdb"] and med["ref-hours"]:
        ratios["compute_time_vs_ref_hours"] = med["compute-duckdb"] / med["ref-hours"]
    if med["ingest"] and med["ref-ingest"]:
        ratios["ingest_throughput_vs_ref_ingest"] = med["ref-ingest"] / med["ingest"]
    checks = {s: next((r.get("check") for r in results if r["step"] == s and r.get("check")), None) for s in STEPS}
    lines = [f"N = {n:,} ({rows:,} readings), {args.repeat} rounds, medians:"]
    for s in STEPS:
        peaks = [float(r["peak_mb"]) for r in results if r["step"] == s and r.get("status") == "ok"]  # type: ignore[arg-type]
        all_s = [round(float(r["seconds"]), 2) for r in results if r["step"] == s and r.get("status") == "ok"]  # type: ignore[arg-type]
        lines.append(f"  {s:<15} {med[s] or float('nan'):>8.2f} s  peak {max(peaks, default=0):>7,.0f} MB  "
                     f"runs {all_s}")
    for k, v in ratios.items():
        lines.append(f"  {k}: {v:.3f}")
    print("\n".join(lines))
    out = bp.OUT_DIR / f"rollups-{n}{'-' + args.label if args.label else ''}.json"
    bp.OUT_DIR.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "rollups", "label": args.label,
                               "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "n": n, "rows": rows,
                               "medians_s": med, "ratios": ratios, "checks": checks,
                               "results": results}, indent=2, default=str) + "\n")
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
