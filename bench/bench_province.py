"""Province benchmark (issue 18): N enterprises x a year of 15-minute readings ingested region by region into
one store and computed, with the time and memory curve at several N.

Run (from the repository root, with the project's venv)::

    . .venv/bin/activate
    python bench/bench_province.py --workdir /data/province --reuse-data     # N = 1k 5k 20k 50k (hours)
    python bench/bench_province.py --enterprises 200 400 --chunk 200        # smoke test, ~2 min
    python bench/bench_province.py --workdir /data/province --generate-only  # the regions only (then --reuse-data)

The province is generated as regions ("chunks") of ``--chunk`` enterprises (default 1,000), each one batch folder
written by ``write_interval_benchmark(..., first_enterprise=..., seed=...)``: one meter per enterprise, one year of
15-minute readings (35,040 per meter), credit codes and meter ids from ranges reserved for the region, so no two
regions share an identifier. Generation is not timed; it streams (a few hundred meters at a time), runs
``--jobs`` regions at once, and with ``--reuse-data`` keeps the regions an earlier run generated in the same
``--workdir`` with the same year and seed.

The curve is cumulative, in one store: the regions up to the first N are ingested, the year is computed, then
the regions up to the next N are added to the same store and the year computed again, and so on -- one ingest
of the largest N plus one compute per N. Every step runs in a fresh child process (``--step ...``) whose
process tree's RSS the parent samples from /proc every 0.2 s (bench_scale.py's helpers):

``ingest``   ``ingest_batch(store, region)`` for each region added since the previous N, one after another in
             ONE child (the realistic peak of a long ingest series); seconds per region are recorded.
``compute``  ``compute_year(store, year, engine="duckdb")`` on the whole store; the sizes of the Arrow tables
             the engine hands back to Python (``ent_day``, ``matching``, ...) are recorded too.

For each N: readings, ingest seconds (the regions added, and cumulative), compute seconds, the peak RSS of
each step (the process tree's sampled peak, or the child's VmHWM when larger), seconds per million readings,
the size of the store (lake + ledger) on disk, the most extra disk the step used (free space before minus
its lowest during the step: DuckDB's spill files) and whether the peaks stayed below ``--target-gb``
(8 GiB). A step above ``--max-rss-gb`` or ``--timeout`` is killed and recorded; the curve stops there. The
table is printed and everything goes to ``bench/out/province.json``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_pipeline as bp  # noqa: E402  (both import only the standard library at module level)
import bench_scale as bs  # noqa: E402

OUT_FILE = bp.OUT_DIR / "province.json"
MARKER = ".dianta-bench-province"
RESULT_PREFIX = bp.RESULT_PREFIX
CHUNK_PREFIX = "BENCH-CHUNK "  # the ingest child's line per region, kept even when the child dies later
READINGS_PER_METER = 35_040  # a non-leap year of 15-minute readings
SAMPLE_S = 0.2
DISK_SAMPLE_S = 2.0
# disk per enterprise: the region's Parquet (0.19 MB) and the store (0.4 MB, measured at N = 1,000-4,000); not
# counted: DuckDB's spill while a step runs (see README) -- a rough figure for the check before the run
DISK_MB_PER_ENTERPRISE = 0.6


class BenchError(Exception):
    """A problem the user can act on; printed without a traceback."""


# -------------------------------------------------------------------------------------------------------
# regions


def _regions(ns: list[int], chunk: int) -> list[tuple[int, int]]:
    """(first enterprise, enterprises) of each region: every ``chunk`` enterprises, and cut at every N."""
    cuts = sorted(set(range(0, max(ns), chunk)) | set(ns) | {0})
    return [(a, b - a) for a, b in zip(cuts, cuts[1:], strict=False)]


def _region_dir(top: Path, first: int) -> Path:
    return top / "data" / f"r{first:07d}"


def _region_seed(seed: int, first: int) -> int:
    return seed * 1_000_003 + first


def _region_params(first: int, n: int, year: int, seed: int) -> dict[str, int]:
    return {"first_enterprise": first, "enterprises": n, "year": year, "seed": _region_seed(seed, first)}


def _region_ready(top: Path, first: int, params: dict[str, int]) -> dict[str, object] | None:
    """The description a finished generation left (``done.json``) when it matches ``params``, else None."""
    done = _region_dir(top, first) / "done.json"
    try:
        meta = json.loads(done.read_text())
    except (OSError, ValueError):
        return None
    if meta.get("params") != params or not (_region_dir(top, first) / "interval_readings.parquet").exists():
        return None
    return meta


# -------------------------------------------------------------------------------------------------------
# the children


def _data_child(top: Path, year: int, seed: int, regions: list[tuple[int, int]]) -> dict[str, object]:
    import pyarrow.parquet as pq

    from dianta.demo.generate import write_interval_benchmark

    out = []
    for first, n in regions:
        folder = _region_dir(top, first)
        (folder / "done.json").unlink(missing_ok=True)
        params = _region_params(first, n, year, seed)
        t0 = time.perf_counter()
        write_interval_benchmark(folder, n_enterprises=n, year=year, seed=params["seed"], first_enterprise=first)
        seconds = time.perf_counter() - t0
        parquet = folder / "interval_readings.parquet"
        meta = {"params": params, "rows": pq.ParquetFile(parquet).metadata.num_rows, "generate_seconds": seconds,
                "bytes": sum(p.stat().st_size for p in folder.iterdir() if p.is_file())}
        (folder / "done.json").write_text(json.dumps(meta))
        print(f"region {first:,}+{n:,}: {seconds:.1f} s", file=sys.stderr, flush=True)
        out.append(meta)
    return {"step": "data", "regions": out, "peak_rss_mb": bp._peak_rss_mb()}


def _ingest_child(top: Path, regions: list[tuple[int, int]]) -> dict[str, object]:
    from dianta.ingest.apply import ingest_batch
    from dianta.ledger.store import Store

    store = Store(top / "store")
    base = bp._rss_mb()
    chunks = []
    total = 0.0
    for first, n in regions:
        folder = _region_dir(top, first)
        expected = int(json.loads((folder / "done.json").read_text())["rows"])
        phases: list[tuple[str, float]] = []
        t0 = time.perf_counter()
        result = ingest_batch(store, folder,
                              progress=lambda m, t0=t0, ph=phases: ph.append((m, time.perf_counter() - t0)))
        seconds = time.perf_counter() - t0
        total += seconds
        new = result.counts["interval_readings"].new if "interval_readings" in result.counts else 0
        if result.status != "applied" or new != expected:
            raise BenchError(f"region {first}: ingest status {result.status}, {new:,} new interval rows of "
                             f"{expected:,}; findings {[f'{f.code} {f.table}' for f in result.findings][:10]}")
        chunk = {"first": first, "enterprises": n, "rows": expected, "seconds": seconds,
                 "rss_after_mb": bp._rss_mb(), "hwm_mb": bp._peak_rss_mb(), "phases": phases}
        print(CHUNK_PREFIX + json.dumps(chunk), flush=True)
        chunks.append(chunk)
    return {"step": "ingest", "seconds": total, "rows": sum(int(c["rows"]) for c in chunks), "chunks": chunks,
            "peak_rss_mb": bp._peak_rss_mb(), "base_rss_mb": base}


def _compute_child(top: Path, year: int, expected_accounts: int) -> dict[str, object]:
    import pyarrow as pa

    from dianta.accounts.compute import compute_year
    from dianta.engine import duckdb_engine
    from dianta.ledger.store import Store

    outputs: dict[str, dict[str, int]] = {}
    engine_runs: list[dict[str, float]] = []
    run = duckdb_engine.DuckDBEngine.run

    def recording_run(self, script, inputs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202
        hwm_before = bp._peak_rss_mb()
        out: dict[str, pa.Table] = run(self, script, inputs)
        engine_runs.append({"statements": len(script), "rss_after_mb": bp._rss_mb(), "hwm_before_mb": hwm_before,
                            "hwm_after_mb": bp._peak_rss_mb(), "out_mb": sum(t.nbytes for t in out.values()) / 2**20})
        for name, table in out.items():
            seen = outputs.setdefault(name, {"rows": 0, "bytes": 0, "calls": 0})
            seen["rows"] += table.num_rows
            seen["bytes"] += table.nbytes
            seen["calls"] += 1
        return out

    duckdb_engine.DuckDBEngine.run = recording_run  # type: ignore[method-assign]
    store = Store(top / "store")
    phases: list[tuple[str, float]] = []
    base = bp._rss_mb()
    t0 = time.perf_counter()
    # each phase's start: (message, seconds, RSS then, high-water mark so far)
    result = compute_year(store, year, engine="duckdb", progress=lambda m: phases.append(
        (m, time.perf_counter() - t0, bp._rss_mb(), bp._peak_rss_mb())))
    seconds = time.perf_counter() - t0
    if len(result.records) != expected_accounts:
        raise BenchError(f"compute_year published {len(result.records):,} accounts, expected {expected_accounts:,}")
    lfs = [r["electricity"]["load_factor"] for r in result.records]  # type: ignore[index]
    return {"step": "compute", "seconds": seconds, "accounts": len(result.records), "phases": phases,
            "engine_outputs": outputs, "engine_runs": engine_runs, "peak_rss_mb": bp._peak_rss_mb(),
            "base_rss_mb": base, "rss_end_mb": bp._rss_mb(),
            "enterprises_with_load_factor": sum(x is not None for x in lfs)}


def child_main(args: argparse.Namespace) -> int:
    top = Path(args.workdir)
    regions = [(int(a), int(b)) for a, b in (r.split("+") for r in args.regions or [])]
    try:
        if args.step == "data":
            out = _data_child(top, args.year, args.seed, regions)
        elif args.step == "ingest":
            out = _ingest_child(top, regions)
        elif args.step == "compute":
            out = _compute_child(top, args.year, args.accounts)
        else:
            raise BenchError(f"unknown step {args.step}")
    except BenchError as exc:
        print(f"bench step {args.step}: {exc}", file=sys.stderr)
        return 3
    print(RESULT_PREFIX + json.dumps(out), flush=True)
    return 0


# -------------------------------------------------------------------------------------------------------
# the parent


def _dir_bytes(path: Path) -> int:
    """Bytes on disk of every file under ``path`` (allocated blocks)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                continue
    return total


def _start(cmd: list[str], log: Path) -> tuple[subprocess.Popen, object, object]:
    out, err = open(log.with_suffix(".out"), "w"), open(log.with_suffix(".err"), "w")  # noqa: SIM115
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    return proc, out, err


def _child_cmd(step: str, top: Path, args: argparse.Namespace, *more: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--step", step, "--workdir", str(top),
            "--year", str(args.year), "--seed", str(args.seed), *more]


def _parse(log: Path, returncode: int | None, killed: str | None) -> dict[str, object]:
    stdout = log.with_suffix(".out").read_text(errors="replace")
    lines = [ln for ln in stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    chunks = [json.loads(ln[len(CHUNK_PREFIX):]) for ln in stdout.splitlines() if ln.startswith(CHUNK_PREFIX)]
    if killed or returncode != 0 or not lines:
        reason = killed or bs._reason_from(log.with_suffix(".err").read_text(errors="replace"), returncode or 0)
        return {"status": "failed", "reason": reason, "chunks": chunks, "log": str(log.with_suffix(".err"))}
    return {**json.loads(lines[-1][len(RESULT_PREFIX):]), "status": "ok"}


def run_watched(step: str, top: Path, args: argparse.Namespace, label: str, *more: str) -> dict[str, object]:
    """One step in a child process, the RSS of its process tree and the free disk sampled; never raises for
    the step's own failure (returns status "failed" and the reason)."""
    logs = top / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / f"{label}.log"
    guard_mb = args.max_rss_gb * 1024
    peak = 0.0
    samples = 0
    killed = None
    free0 = free_min = shutil.disk_usage(top).free
    next_disk = 0.0
    t0 = time.monotonic()
    proc, out, err = _start(_child_cmd(step, top, args, *more), log)
    try:
        while proc.poll() is None:
            total, _jvm = bs._tree_rss_mb(proc.pid)
            samples += 1
            peak = max(peak, total)
            now = time.monotonic()
            if now >= next_disk:
                free_min = min(free_min, shutil.disk_usage(top).free)
                next_disk = now + DISK_SAMPLE_S
            if total > guard_mb:
                killed = f"killed by the benchmark: the step's processes reached {total:,.0f} MB (--max-rss-gb)"
            elif now - t0 > args.timeout:
                killed = f"did not finish within {args.timeout:g} s (--timeout)"
            if killed:
                bs._kill_group(proc)
                break
            time.sleep(SAMPLE_S)
    except BaseException:
        bs._kill_group(proc)
        raise
    finally:
        proc.wait()
        out.close()  # type: ignore[attr-defined]
        err.close()  # type: ignore[attr-defined]
    free_min = min(free_min, shutil.disk_usage(top).free)
    r = _parse(log, proc.returncode, killed)
    r.update({"process_wall_s": time.monotonic() - t0, "tree_peak_sampled_mb": peak, "samples": samples,
              "extra_disk_peak_gb": max(free0 - free_min, 0) / 2**30, "returncode": proc.returncode,
              "loadavg_end": os.getloadavg()[0]})
    r["peak_mb"] = max(float(r.get("peak_rss_mb") or 0.0), peak)  # type: ignore[arg-type]
    return r


def _generate(top: Path, regions: list[tuple[int, int]], args: argparse.Namespace) -> dict[int, dict[str, object]]:
    """Every region generated (``--jobs`` children at once) or reused; returns first -> its description."""
    ready: dict[int, dict[str, object]] = {}
    todo = []
    for first, n in regions:
        meta = _region_ready(top, first, _region_params(first, n, args.year, args.seed)) if args.reuse_data else None
        if meta is None:
            todo.append((first, n))
        else:
            ready[first] = meta
    if ready:
        print(f"reusing {len(ready)} generated region(s)", file=sys.stderr)
    if not todo:
        return ready
    free_gb = shutil.disk_usage(top).free / 2**30
    need_gb = sum(n for _, n in todo) * 0.18 / 1024
    print(f"generating {len(todo)} region(s), {sum(n for _, n in todo):,} enterprises (~{need_gb:,.1f} GB; "
          f"{free_gb:,.0f} GB free), {args.jobs} at once (not timed) ...", file=sys.stderr)
    t0 = time.monotonic()
    _run_generators(top, todo, args)
    print(f"  generated in {time.monotonic() - t0:,.0f} s", file=sys.stderr)
    for first, n in todo:
        meta = _region_ready(top, first, _region_params(first, n, args.year, args.seed))
        if meta is None:
            raise BenchError(f"region {first} was not generated")
        ready[first] = meta
    return ready


def _run_generators(top: Path, todo: list[tuple[int, int]], args: argparse.Namespace) -> None:
    """``todo`` generated by ``--jobs`` data children, each given every jobs-th region."""
    logs = top / "logs"
    logs.mkdir(exist_ok=True)
    jobs = max(1, min(args.jobs, len(todo)))
    running = []
    for j in range(jobs):
        mine = todo[j::jobs]
        log = logs / f"data-{j}.log"
        running.append((log, _start(_child_cmd("data", top, args, "--regions", *(f"{a}+{b}" for a, b in mine)), log)))
    failed = []
    try:
        for log, (proc, out, err) in running:
            proc.wait()
            out.close()  # type: ignore[attr-defined]
            err.close()  # type: ignore[attr-defined]
            r = _parse(log, proc.returncode, None)
            if r["status"] != "ok":
                failed.append(f"{log}: {r['reason']}")
    except BaseException:
        for _log, (proc, _o, _e) in running:
            bs._kill_group(proc)
        raise
    if failed:
        raise BenchError("generating the regions failed: " + "; ".join(failed))


def _prepare_top(workdir: Path | None) -> Path:
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="dianta-province-", dir="/tmp" if Path("/tmp").is_dir() else None))
    path = workdir.resolve()
    if path.exists() and not path.is_dir():
        raise BenchError(f"--workdir {path} is a file")
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        raise BenchError(f"--workdir {path} is not empty and was not made by this script; give a new or empty folder")
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("bench_province.py work directory\n")
    return path


def _f(x: object, fmt: str) -> str:
    return "-" if x is None else format(float(x), fmt)  # type: ignore[arg-type]


def _table(rows: list[dict[str, object]], target_gb: float) -> str:
    head = ("| N | readings | ingest s (added) | ingest s (cum.) | ingest s/M | ingest peak MB | compute s | "
            f"compute s/M | compute peak MB | store GB | spill GB | peak < {target_gb:g} GiB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        ok = r.get("below_target")
        lines.append(
            f"| {int(r['n']):,} | {int(r['readings']):,} | {_f(r.get('ingest_s'), ',.0f')} | "  # type: ignore[arg-type]
            f"{_f(r.get('ingest_s_cum'), ',.0f')} | {_f(r.get('ingest_s_per_m'), '.2f')} | "
            f"{_f(r.get('ingest_peak_mb'), ',.0f')} | {_f(r.get('compute_s'), ',.1f')} | "
            f"{_f(r.get('compute_s_per_m'), '.2f')} | {_f(r.get('compute_peak_mb'), ',.0f')} | "
            f"{_f(r.get('store_gb'), ',.2f')} | {_f(r.get('spill_gb'), ',.1f')} | "
            f"{'yes' if ok else 'NO' if ok is False else '-'} |")
    notes = []
    for r in rows:
        for what in ("ingest", "compute"):
            if r.get(f"{what}_failed"):
                notes.append(f"- N = {int(r['n']):,}: {what} FAILED: {r[f'{what}_failed']}")  # type: ignore[arg-type]
        secs = r.get("chunk_seconds") or []
        if secs:
            notes.append(f"- N = {int(r['n']):,}: ingest s per region added: "  # type: ignore[arg-type]
                         + ", ".join(f"{s:.0f}" for s in secs))  # type: ignore[union-attr]
        big = r.get("engine_outputs") or {}
        if big:
            top3 = sorted(big.items(), key=lambda kv: -int(kv[1]["bytes"]))[:3]  # type: ignore[index]
            notes.append(f"- N = {int(r['n']):,}: largest engine outputs (Arrow, handed to Python): "  # type: ignore[arg-type]
                         + ", ".join(f"{k} {int(v['rows']):,} rows {int(v['bytes']) / 2**20:,.0f} MB"  # type: ignore[index]
                                     for k, v in top3))
    return "\n".join(lines + ([""] + notes if notes else []))


def _linearity(rows: list[dict[str, object]]) -> list[str]:
    """Seconds and MB per million readings from the smallest to the largest N (1.0 = linear)."""
    ok = [r for r in rows if r.get("compute_s") is not None]
    out = []
    if len(ok) >= 2:
        a, b = ok[0], ok[-1]
        for key, what in (("compute_s_per_m", "compute s per M readings"),
                          ("chunk_s_per_m_last", "ingest s per M readings of the last region added")):
            if a.get(key) and b.get(key):
                out.append(f"{what}: {float(a[key]):.2f} at N = {int(a['n']):,} -> {float(b[key]):.2f} at "  # type: ignore[arg-type]
                           f"N = {int(b['n']):,} (x{float(b[key]) / float(a[key]):.2f}; 1.00 = linear)")  # type: ignore[arg-type]
        a = ok[-2]  # the peak's slope from the two largest N (the interpreter's base weighs less there)
        for what in ("compute", "ingest"):
            grow = (float(b[f"{what}_peak_mb"]) - float(a[f"{what}_peak_mb"])) / (int(b["n"]) - int(a["n"]))  # type: ignore[arg-type]
            line = (f"{what} peak grows {grow * 1000:,.0f} MB per 1,000 enterprises between N = {int(a['n']):,} and "  # type: ignore[arg-type]
                    f"{int(b['n']):,}")
            if 2_000 <= int(a["n"]) and int(b["n"]) < 50_000:  # type: ignore[arg-type]  # small N: the base dominates
                line += (f": {float(b[f'{what}_peak_mb']) + grow * (50_000 - int(b['n'])):,.0f} MB at N = 50,000 "  # type: ignore[arg-type]
                         "if it stays linear")
            out.append(line)
    return out


def _curve(top: Path, ns: list[int], regions: list[tuple[int, int]], meta: dict[int, dict[str, object]],
           rows: list[dict[str, object]], args: argparse.Namespace) -> None:
    """For each N: ingest the regions added (one child), compute (one child); a row per N appended to ``rows``;
    stops at the first failure."""
    done = 0  # enterprises ingested so far
    ingest_cum = 0.0
    ingest_peak = 0.0
    for n in ns:
        added = [(a, b) for a, b in regions if done <= a < n]
        readings = sum(int(meta[a]["rows"]) for a, _ in regions if a < n)  # type: ignore[arg-type]
        row: dict[str, object] = {"n": n, "readings": readings, "regions_added": len(added)}
        rows.append(row)
        print(f"N = {n:,}: ingesting {len(added)} region(s) ...", file=sys.stderr, end=" ", flush=True)
        ing = run_watched("ingest", top, args, f"ingest-{n}", "--regions", *(f"{a}+{b}" for a, b in added))
        chunks = ing.get("chunks") or []
        row["chunks"] = chunks
        row["chunk_seconds"] = [float(c["seconds"]) for c in chunks]  # type: ignore[index]
        row["ingest_peak_mb"] = ing["peak_mb"]
        row["ingest_spill_gb"] = ing["extra_disk_peak_gb"]
        if ing["status"] != "ok":
            row["ingest_failed"] = ing["reason"]
            print(f"FAILED: {ing['reason']}", file=sys.stderr)
            break
        ingest_cum += float(ing["seconds"])  # type: ignore[arg-type]
        ingest_peak = max(ingest_peak, float(ing["peak_mb"]))  # type: ignore[arg-type]
        added_rows = int(ing["rows"])  # type: ignore[arg-type]
        last = chunks[-1]
        row.update({"ingest_s": ing["seconds"], "ingest_s_cum": ingest_cum,
                    "ingest_s_per_m": float(ing["seconds"]) / (added_rows / 1e6),  # type: ignore[arg-type]
                    "chunk_s_per_m_last": float(last["seconds"]) / (int(last["rows"]) / 1e6),  # type: ignore[index, arg-type]
                    "ingest_peak_mb_so_far": ingest_peak, "store_gb": _dir_bytes(top / "store") / 2**30})
        print(f"{float(ing['seconds']):,.0f} s, peak {float(ing['peak_mb']):,.0f} MB", file=sys.stderr)  # type: ignore[arg-type]
        done = n
        print(f"N = {n:,}: computing ...", file=sys.stderr, end=" ", flush=True)
        comp = run_watched("compute", top, args, f"compute-{n}", "--accounts", str(n))
        row["compute_peak_mb"] = comp["peak_mb"]
        row["compute_spill_gb"] = comp["extra_disk_peak_gb"]
        row["spill_gb"] = max(float(ing["extra_disk_peak_gb"]), float(comp["extra_disk_peak_gb"]))  # type: ignore[arg-type]
        if comp["status"] != "ok":
            row["compute_failed"] = comp["reason"]
            print(f"FAILED: {comp['reason']}", file=sys.stderr)
            break
        row.update({"compute_s": comp["seconds"], "compute_s_per_m": float(comp["seconds"]) / (readings / 1e6),  # type: ignore[arg-type]
                    "compute_phases": comp["phases"], "engine_outputs": comp["engine_outputs"],
                    "engine_runs": comp.get("engine_runs"),
                    "compute_base_mb": comp["base_rss_mb"],
                    "below_target": max(ingest_peak, float(comp["peak_mb"])) < args.target_gb * 1024})  # type: ignore[arg-type]
        print(f"{float(comp['seconds']):,.1f} s, peak {float(comp['peak_mb']):,.0f} MB", file=sys.stderr)  # type: ignore[arg-type]


def parent_main(args: argparse.Namespace) -> int:
    import importlib.util

    for module in ("dianta", "duckdb", "pyarrow"):
        if importlib.util.find_spec(module) is None:
            raise BenchError(f"cannot import {module} with {sys.executable}; activate the project's venv")
    ns = sorted(set(args.enterprises))
    if ns[0] < 1 or args.chunk < 1:
        raise BenchError("--enterprises and --chunk must be at least 1")
    from dianta.demo.generate import MAX_BLOCK_ENTERPRISES

    if ns[-1] > MAX_BLOCK_ENTERPRISES:
        raise BenchError(f"at most {MAX_BLOCK_ENTERPRISES:,} enterprises")
    regions = _regions(ns, args.chunk)
    top = _prepare_top(args.workdir)
    keep = args.keep or args.reuse_data or args.generate_only
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    rows: list[dict[str, object]] = []
    try:
        print(f"work directory: {top}; {len(regions)} region(s) of up to {args.chunk:,} enterprises", file=sys.stderr)
        free_gb = shutil.disk_usage(top).free / 2**30
        need_gb = ns[-1] * DISK_MB_PER_ENTERPRISE / 1024
        print(f"{free_gb:,.0f} GB free, about {need_gb:,.0f} GB needed for N = {ns[-1]:,} (regions + store; "
              "plus ingest's spill)", file=sys.stderr)
        if free_gb < need_gb:
            raise BenchError(f"not enough free disk in {top}: {free_gb:.0f} GB, need about {need_gb:.0f} GB")
        meta = _generate(top, regions, args)
        if args.generate_only:
            print(f"generated; run again with --workdir {top} --reuse-data", file=sys.stderr)
            return 0
        for p in (top / "store", top / "logs"):
            shutil.rmtree(p, ignore_errors=True)
        _curve(top, ns, regions, meta, rows, args)
        table = _table(rows, args.target_gb)
        lin = _linearity(rows)
        title = (f"Dianta province benchmark: {', '.join(f'{n:,}' for n in ns)} enterprises x {args.year} "
                 f"(15-minute readings), regions of {args.chunk:,}, DuckDB engine, {os.cpu_count()} cores")
        print()
        print(title)
        print()
        print(table)
        if lin:
            print()
            print("\n".join(lin))
        report = {
            "benchmark": "province", "created": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "args": {"enterprises": ns, "chunk": args.chunk, "year": args.year, "seed": args.seed,
                     "timeout": args.timeout, "max_rss_gb": args.max_rss_gb, "target_gb": args.target_gb},
            "regions": [{"first": a, "enterprises": b, **{k: v for k, v in meta[a].items() if k != "params"}}
                        for a, b in regions],
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "mem_total_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30},
            "results": rows, "title": title, "table": table, "linearity": lin,
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
    ap.add_argument("--enterprises", type=int, nargs="+", default=[1000, 5000, 20000, 50000],
                    help="enterprise counts of the curve (one meter each, N x 35,040 readings; default 1000 5000 "
                         "20000 50000)")
    ap.add_argument("--chunk", type=int, default=1000, help="enterprises per region = per ingest batch (default 1000)")
    ap.add_argument("--year", type=int, default=2023)
    ap.add_argument("--seed", type=int, default=7, help="seed of the generated data (each region its own from it)")
    ap.add_argument("--workdir", type=Path, help="work directory (default: a new one under /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    ap.add_argument("--reuse-data", action="store_true",
                    help="with --workdir: reuse the regions generated there earlier with the same year and seed "
                         "(implies --keep); the store is always built again")
    ap.add_argument("--generate-only", action="store_true", help="generate the regions and stop (implies --keep)")
    ap.add_argument("--jobs", type=int, default=2, help="regions generated at once (default 2)")
    ap.add_argument("--timeout", type=float, default=12 * 3600,
                    help="seconds allowed per step (default 43200: one step ingests every region between two N)")
    ap.add_argument("--max-rss-gb", type=float, default=20,
                    help="kill a step whose processes together exceed this RSS (default 20)")
    ap.add_argument("--target-gb", type=float, default=8, help="the issue's peak RSS bound [GiB] (default 8)")
    # internal: one step in a child process
    ap.add_argument("--step", choices=("data", "ingest", "compute"), help=argparse.SUPPRESS)
    ap.add_argument("--regions", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--accounts", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        if args.step:
            if args.workdir is None:
                ap.error("--step needs --workdir")
            return child_main(args)
        return parent_main(args)
    except (BenchError, bp.BenchError, bs.BenchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
