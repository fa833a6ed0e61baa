"""REST API benchmark: account reads against a running ``dianta serve`` at increasing concurrency.

Run (from the repository root, with the project's venv)::

    . .venv/bin/activate
    python bench/bench_api.py                                  # SQLite, 500 enterprises, 1,4,16,64 x 10 s
    python bench/bench_api.py --backend postgresql             # a throwaway PostgreSQL cluster (initdb)
    python bench/bench_api.py --backend postgresql --pg-url postgresql://user@host:5432/emptydb
    python bench/bench_api.py --enterprises 50 --duration 2 --concurrency 1,8   # smoke test, ~30 s

What it does
------------
1. Prepares a store in a work directory (default: a new temporary directory, removed at the end unless
   ``--keep``): the demo province (``dianta.demo.generate.write_demo_province``, N enterprises, batches
   2022-2024) ingested with ``ingest_batch`` and every year computed with ``compute_year``; an operator
   (``bootstrap_admin``), a bank organisation ``BANK-BENCH`` with a user, and a live ``summary`` consent
   from every enterprise in the ledger to that bank. Not timed.
2. Starts ``python -m dianta --db STORE serve --host 127.0.0.1 --port P`` as a separate process (a free
   port; its output goes to ``server.log`` in the work directory) and waits for its OpenAPI document.
3. From this process, for each concurrency level C: logs in (bank and operator), then C asyncio workers
   sharing one ``httpx.AsyncClient`` (keep-alive, at most C connections) send requests back to back
   (closed loop) for ``--duration`` seconds or until ``--max-requests`` were started, whichever comes
   first; each request has a ``--timeout`` and the level is cut hard ``--timeout`` + 5 s after its end.
   The mix: ``--list-share`` (default 20 %) list pages ``GET /api/v1/accounts?year=Y&page=P&size=S``
   (a random computed year, a random page within that year's accounts), the rest single-account reads
   ``GET /api/v1/accounts/{credit_code}/{year}`` of a random (enterprise, year) with a published account;
   all as the bank, so every request checks the bank's consents. A short warm-up at concurrency 4 runs
   first and is not counted. Only 127.0.0.1 is contacted.
4. Every served (2xx) or refused (403) read appends an audit-log entry, so reads are writes to the ledger:
   after each level the audit head (``GET /api/v1/audit?limit=1`` as operator) is read and the number of
   entries the level added is compared with the requests served or refused (a 5xx rolls its entry back).
   At the end ``GET /api/v1/audit/verify`` (as operator) recomputes the whole hash chain.
5. Prints a table, scans the server's log for tracebacks / ``database is locked`` / pool timeouts, writes
   ``bench/out/api-<backend>.json`` or ``--out`` (and, if the server logged anything, ``<name>-server.log``),
   and always stops the server (and a PostgreSQL cluster it started).

Numbers
-------
``requests``  requests completed in the level (answered or failed), warm-up excluded.
``errors``    non-2xx answers plus exceptions (timeouts, connection errors, requests cut at the hard stop).
``req/s``     requests / wall time of the level (from its start until the last request finished).
``p50/p99``   latency percentiles [ms] of all requests, measured in this process from sending the request
              to having read the whole answer (nearest rank); per kind (read/list) in the second table.
``srv CPU``   CPU seconds the server process used in the level, per request [ms] and as cores busy.
``cli CPU``   the same for this load generator (it shares the machine's cores with the server).
``audit +``   audit entries the level appended (should equal the requests served or refused).
``pg cores``  CPU of the PostgreSQL cluster per wall second (throwaway cluster only: the postmaster, its live
              children and, through its cutime/cstime, children that exited); ``pg conns`` new connections
              (backends forked) in the level, from the cluster's ``log_connections`` lines.
``other``     the machine's busy cores (/proc/stat) minus server, generator and PostgreSQL: other work on
              the machine competing for the same cores (should be ~0 for clean numbers).

The load generator and the server run on the same machine, so at high concurrency they compete for
cores; ``cli CPU`` shows how much the generator took.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "out"
MARKER = ".dianta-bench-api"
PASSWORD = "bench password 123"
BANK_ORG, BANK_USER, OPERATOR_USER = "BANK-BENCH", "bench_bank", "operator"
HOST = "127.0.0.1"
#: patterns looked for in the server's log (counted, first lines kept)
LOG_PATTERNS = {
    "traceback": re.compile(r"^Traceback \(most recent call last\)"),
    "database is locked": re.compile(r"database is locked"),
    "QueuePool timeout": re.compile(r"QueuePool limit .* reached"),
    "OperationalError": re.compile(r"OperationalError"),
    "IntegrityError": re.compile(r"IntegrityError"),
    "exception in ASGI": re.compile(r"Exception in ASGI application"),
}


class BenchError(Exception):
    """A problem the user can act on; printed without a traceback."""


#: the workers of the level being run (a stop signal cancels them) and the name of a stop signal received
_LEVEL_TASKS: list[asyncio.Task] = []
_STOP: list[str] = []


def _interrupted(signum: int, _frame: object) -> None:
    """SIGINT/SIGTERM/SIGHUP: during a level cancel its workers (the level then raises KeyboardInterrupt once
    its client is closed), otherwise raise KeyboardInterrupt at once; either way the `finally` blocks stop
    the server and the PostgreSQL cluster."""
    name = signal.Signals(signum).name
    if _LEVEL_TASKS:
        _STOP.append(name)
        for task in _LEVEL_TASKS:
            task.cancel()
        return
    raise KeyboardInterrupt(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -------------------------------------------------------------------------------------------------------
# a throwaway PostgreSQL cluster (the logic of tests/conftest.py's pg_server fixture)


@dataclass
class PgCluster:
    url: str  # postgresql://dianta@127.0.0.1:PORT (no database)
    work: Path
    bindir: Path
    as_user: list[str]
    version: str

    def cpu_seconds(self) -> float:
        """CPU seconds of the whole cluster so far [s]: the postmaster, its live children (backends, background
        workers) and, through the postmaster's cutime/cstime, its children that have exited."""
        try:
            postmaster = int((self.work / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0.0
        tick, total = os.sysconf("SC_CLK_TCK"), 0.0
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                with open(stat) as f:
                    pid, rest = f.read().split(" ", 1)
                fields = rest.rsplit(")", 1)[1].split()
                if int(pid) == postmaster:
                    total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
                elif int(fields[1]) == postmaster:
                    total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, ValueError, IndexError):
                continue
        return total

    def connections(self) -> int:
        """Connections the cluster has accepted so far (``log_connections`` lines in its log)."""
        try:
            return (self.work / "log").read_text(errors="replace").count("connection authorized")
        except OSError:
            return 0

    def stop(self) -> None:
        subprocess.run([*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.work / "data"), "-m", "fast",
                        "-w", "-t", "30", "stop"], capture_output=True)
        shutil.rmtree(self.work, ignore_errors=True)


def start_pg_cluster(fsync: bool) -> PgCluster:
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    if found is None:
        raise BenchError("PostgreSQL server binaries (initdb) are not installed: install Debian's postgresql "
                         "or give --pg-url")
    bindir = Path(found).resolve().parent
    work = Path(tempfile.mkdtemp(prefix="dianta-bench-pg-"))
    work.chmod(0o755)
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        shutil.chown(work, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = work / "data", _free_port()
    try:
        subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "dianta", "-E",
                        "UTF8"], check=True, capture_output=True)
        options = (f"-p {port} -k {work} -c listen_addresses={HOST} -c fsync={'on' if fsync else 'off'}"
                   " -c log_connections=on")
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(work / "log"), "-w", "-o",
                        options, "start"], check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log = (work / "log").read_text(errors="replace")[-2000:] if (work / "log").exists() else ""
        shutil.rmtree(work, ignore_errors=True)
        raise BenchError(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[-2000:]}{log}") from None
    version = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    return PgCluster(f"postgresql://dianta@{HOST}:{port}", work, bindir, as_user, version)


def _create_database(server_url: str, name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(server_url.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as con:
        con.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return f"{server_url}/{name}"


def _check_empty_database(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url))
    try:
        with engine.connect() as con:
            tables = sa.inspect(con).get_table_names()
    except sa.exc.OperationalError as exc:
        raise BenchError(f"cannot connect to --pg-url: {str(exc.orig).strip()}") from None
    finally:
        engine.dispose()
    if tables:
        raise BenchError(f"the database of --pg-url has tables ({', '.join(sorted(tables)[:5])}, ...): the "
                         "benchmark needs an empty database (it ingests a demo province into it)")


# -------------------------------------------------------------------------------------------------------
# the store


def prepare_store(db: str, lake: Path | None, workdir: Path, n: int, seed: int) -> dict[str, Any]:
    """Demo province ingested, every year computed, operator + bank user, consents from every enterprise."""
    import datetime as dt

    import sqlalchemy as sa

    from dianta.accounts.compute import compute_year
    from dianta.demo.generate import write_demo_province
    from dianta.ingest.apply import ingest_batch
    from dianta.ledger import schema
    from dianta.ledger.store import Store
    from dianta.security import consents, users

    t0 = time.perf_counter()
    batches = write_demo_province(workdir / "batches", n_enterprises=n, seed=seed)
    store = Store(db, lake=lake)
    try:
        for folder in batches:
            result = ingest_batch(store, folder, reason="bench_api", user="bench")
            if result.status not in ("applied", "partial"):
                raise BenchError(f"ingest of {folder.name}: status {result.status}")
        years = sorted(int(b.name) for b in batches)
        for year in years:
            compute_year(store, year, user="bench")
        users.bootstrap_admin(store, username=OPERATOR_USER, password=PASSWORD)
        users.create_organisation(store, org_id=BANK_ORG, kind="bank", name="基准测试银行 Bench Bank")
        users.create_user(store, username=BANK_USER, password=PASSWORD, role="bank", org_id=BANK_ORG)
        ent, acc = schema.data_tables["enterprises"], schema.accounts
        expires = (dt.date.today() + dt.timedelta(days=365)).isoformat()
        with store.engine.begin() as con:
            codes = sorted(con.execute(sa.select(ent.c.credit_code).distinct()).scalars())
            for code in codes:
                consents.grant_consent(store, credit_code=code, bank_org_id=BANK_ORG, scope="summary",
                                       expires_on=expires, granted_by="bench", connection=con)
        with store.engine.connect() as con:
            published = [(r.credit_code, r.year) for r in con.execute(
                sa.select(acc.c.credit_code, acc.c.year).where(acc.c.profile_id == "default")
                .order_by(acc.c.year, acc.c.credit_code))]
    finally:
        store.close()
    per_year = Counter(y for _, y in published)
    return {"enterprises": n, "enterprises_in_ledger": len(codes), "consents": len(codes), "years": years,
            "accounts_per_year": {str(y): per_year[y] for y in years}, "published": published,
            "prepare_seconds": round(time.perf_counter() - t0, 2)}


# -------------------------------------------------------------------------------------------------------
# the server


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log_path: Path
    log_file: object

    def cpu_seconds(self) -> float:
        """utime + stime of the server process (all its threads) [s] (Linux /proc; 0 elsewhere)."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log_file.close()  # type: ignore[attr-defined]
        return self.process.returncode


def start_server(db: str, lake: Path | None, workdir: Path) -> Server:
    port = _free_port()
    args = [sys.executable, "-m", "dianta", "--db", db]
    if lake is not None:
        args += ["--lake", str(lake)]
    args += ["serve", "--host", HOST, "--port", str(port)]
    log_path = workdir / "server.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                               env={**os.environ, "DIANTA_USER": "bench-server"}, start_new_session=True)
    server = Server(process, f"http://{HOST}:{port}", log_path, log_file)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(server.url + "/api/v1/openapi.json", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise BenchError("dianta serve did not start:\n" + log_path.read_text(errors="replace")[-3000:])
        time.sleep(0.2)


def login(url: str, username: str) -> str:
    r = httpx.post(url + "/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=60)
    if r.status_code != 200:
        raise BenchError(f"login of {username} failed: {r.status_code} {r.text[:300]}")
    return r.json()["access_token"]


def audit_head(url: str, operator_token: str) -> int:
    r = httpx.get(url + "/api/v1/audit", params={"limit": 1},
                  headers={"Authorization": f"Bearer {operator_token}"}, timeout=120)
    r.raise_for_status()
    rows = r.json()
    return int(rows[0]["entry_id"]) if rows else 0


def scan_log(path: Path) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    exceptions: Counter[str] = Counter()
    lines = path.read_text(errors="replace").splitlines() if path.exists() else []
    for line in lines:
        for name, pattern in LOG_PATTERNS.items():
            if pattern.search(line):
                counts[name] += 1
                first.setdefault(name, line.strip()[:300])
        # the last line of a traceback: "module.Error: message"
        m = re.match(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)): (.*)", line)
        if m:
            exceptions[f"{m.group(1)}: {m.group(2)[:160]}"] += 1
    return {"lines": len(lines), "counts": dict(counts), "first": first,
            "exceptions": dict(exceptions.most_common(10))}


# -------------------------------------------------------------------------------------------------------
# the load


@dataclass
class Plan:
    published: list[tuple[str, int]]
    pages: dict[int, int]  # year -> number of pages at `size`
    size: int
    list_share: float

    def pick(self, rng: random.Random) -> tuple[str, str, dict[str, Any] | None]:
        if rng.random() < self.list_share:
            year = rng.choice(sorted(self.pages))
            return "list", "/api/v1/accounts", {"year": year, "page": rng.randint(1, self.pages[year]),
                                                "size": self.size}
        code, year = rng.choice(self.published)
        return "read", f"/api/v1/accounts/{code}/{year}", None


@dataclass
class Level:
    concurrency: int
    samples: list[tuple[str, float, int | None, str | None]] = field(default_factory=list)
    error_bodies: list[str] = field(default_factory=list)
    wall: float = 0.0
    started: int = 0


async def _run_level(url: str, token: str, plan: Plan, concurrency: int, duration: float, max_requests: int,
                     timeout: float, keepalive_expiry: float, seed: int) -> Level:
    level = Level(concurrency)
    # keepalive_expiry below uvicorn's timeout_keep_alive (5 s): httpx's default is also 5 s, and reusing a
    # connection just as the server closes it fails the request (RemoteProtocolError / ReadError)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency,
                          keepalive_expiry=keepalive_expiry)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits,
                                 timeout=httpx.Timeout(timeout, pool=timeout), http2=False) as client:
        start = time.perf_counter()
        end = start + duration

        async def worker(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            while time.perf_counter() < end and level.started < max_requests:
                level.started += 1
                kind, path, params = plan.pick(rng)
                t0 = time.perf_counter()
                status: int | None = None
                error: str | None = None
                try:
                    response = await client.get(path, params=params)
                    status = response.status_code
                    if not 200 <= status < 300 and len(level.error_bodies) < 10:
                        level.error_bodies.append(f"{status} {kind} {path}: {response.text[:300]}")
                except httpx.HTTPError as exc:
                    error = type(exc).__name__
                    if len(level.error_bodies) < 10:
                        cause = exc.__cause__ or exc.__context__
                        level.error_bodies.append(
                            f"{error} {kind} {path} at +{t0 - start:.2f} s after {time.perf_counter() - t0:.3f} s: "
                            f"{str(exc)[:200]!r} (cause: {cause!r})"[:500])
                level.samples.append((kind, time.perf_counter() - t0, status, error))

        tasks = [asyncio.create_task(worker(i)) for i in range(concurrency)]
        _LEVEL_TASKS[:] = tasks
        try:
            done, pending = await asyncio.wait(tasks, timeout=duration + timeout + 5)
        finally:
            _LEVEL_TASKS.clear()
        if _STOP:
            await asyncio.gather(*tasks, return_exceptions=True)
            raise KeyboardInterrupt(_STOP[0])
        for task in pending:  # the hard stop: requests still running count as errors
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            cut = level.started - len(level.samples)
            level.samples += [("cut", float("nan"), None, "CutAtHardStop")] * cut
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        level.wall = time.perf_counter() - start
    return level


def _percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted values (None when empty)."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def _latency(values: list[float]) -> dict[str, float | None]:
    v = sorted(x * 1000 for x in values if not math.isnan(x))
    return {"n": len(v), "mean_ms": sum(v) / len(v) if v else None, "p50_ms": _percentile(v, 50),
            "p90_ms": _percentile(v, 90), "p99_ms": _percentile(v, 99), "max_ms": v[-1] if v else None}


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs from /proc/stat (0, 0 elsewhere)."""
    try:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
        idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
        return sum(parts) - idle, sum(parts)
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0


def measure_level(server: Server, plan: Plan, concurrency: int, args: argparse.Namespace, seed: int,
                  cluster: PgCluster | None = None, warmup: bool = False) -> dict[str, Any]:
    bank = login(server.url, BANK_USER)
    operator = login(server.url, OPERATOR_USER)
    head0 = audit_head(server.url, operator)
    pg0 = cluster.cpu_seconds() if cluster is not None else 0.0
    conn0 = cluster.connections() if cluster is not None else 0
    srv0, cli0, (busy0, total0) = server.cpu_seconds(), time.process_time(), _machine_busy()
    level = asyncio.run(_run_level(server.url, bank, plan, concurrency, args.warmup if warmup else args.duration,
                                   args.max_requests, args.timeout, args.keepalive_expiry, seed))
    srv1, cli1, (busy1, total1) = server.cpu_seconds(), time.process_time(), _machine_busy()
    pg1 = cluster.cpu_seconds() if cluster is not None else 0.0
    conn1 = cluster.connections() if cluster is not None else 0
    head1 = audit_head(server.url, operator)
    statuses = Counter(str(s) if s is not None else e for _, _, s, e in level.samples)
    answered = sum(1 for _, _, s, _ in level.samples if s is not None)
    ok = sum(1 for _, _, s, _ in level.samples if s is not None and 200 <= s < 300)
    denied = sum(1 for _, _, s, _ in level.samples if s == 403)
    n = len(level.samples)
    cores = os.cpu_count() or 1
    machine_busy = (busy1 - busy0) / (total1 - total0) if total1 > total0 else None
    # busy cores of the whole machine minus server, load generator and PostgreSQL: other work on the machine
    other = (machine_busy * cores - (srv1 - srv0 + cli1 - cli0 + pg1 - pg0) / level.wall
             if machine_busy is not None and level.wall else None)
    return {
        "concurrency": concurrency, "requests": n, "ok": ok, "errors": n - ok, "answered": answered,
        # requests that must have left an audit entry: served (2xx) and refused (403, audited as denied); a 5xx
        # rolls its entry back, a 404 is not audited
        "audit_expected": ok + denied,
        "statuses": dict(statuses), "wall_seconds": level.wall,
        "throughput_rps": n / level.wall if level.wall else None,
        "ok_throughput_rps": ok / level.wall if level.wall else None,
        "latency": _latency([lat for _, lat, _, _ in level.samples]),
        "latency_read": _latency([lat for k, lat, _, _ in level.samples if k == "read"]),
        "latency_list": _latency([lat for k, lat, _, _ in level.samples if k == "list"]),
        "mix": dict(Counter(k for k, _, _, _ in level.samples)),
        "server_cpu_seconds": srv1 - srv0, "client_cpu_seconds": cli1 - cli0,
        "postgres_cpu_seconds": pg1 - pg0 if cluster is not None else None,
        # new PostgreSQL connections (backend processes forked) during the level, incl. the logins' and audit heads'
        "postgres_connections_opened": conn1 - conn0 if cluster is not None else None,
        "machine_cpu_busy": machine_busy, "machine_cores": cores, "other_busy_cores": other,
        # the operator's audit-head reads append nothing
        "audit_entries_added": head1 - head0, "audit_head_before": head0, "audit_head_after": head1,
        "error_samples": level.error_bodies,
    }


# -------------------------------------------------------------------------------------------------------
# output


def _fmt(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``; "-" right-aligned to the spec's width when there is no value."""
    if value is None:
        width = re.match(r"\d*", spec).group()  # type: ignore[union-attr]
        return "-".rjust(int(width) if width else 1)
    return format(value, spec)


def print_table(backend: str, levels: list[dict[str, Any]], list_share: float) -> None:
    print(f"\nDianta REST API, {backend}: account reads ({1 - list_share:.0%} one account, {list_share:.0%} list "
          "pages) as a bank\n")
    print(f"{'conc':>5} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
          f"  {'srv CPU ms/req':>14} {'srv cores':>9} {'cli cores':>9} {'audit +':>8}")
    for lv in levels:
        lat = lv["latency"]
        n, wall = lv["requests"], lv["wall_seconds"]
        print(f"{lv['concurrency']:>5} {n:>9,} {lv['errors']:>7,} {_fmt(lv['throughput_rps'], '8.1f')} "
              f"{_fmt(lat['p50_ms'], '8.1f')} {_fmt(lat['p99_ms'], '8.1f')} {_fmt(lat['max_ms'], '8.1f')}  "
              f"{_fmt(1000 * lv['server_cpu_seconds'] / n if n else None, '14.2f')} "
              f"{_fmt(lv['server_cpu_seconds'] / wall if wall else None, '9.2f')} "
              f"{_fmt(lv['client_cpu_seconds'] / wall if wall else None, '9.2f')} {lv['audit_entries_added']:>8,}")
    print(f"\n{'conc':>5} {'reads':>7} {'read p50':>9} {'read p99':>9} {'lists':>7} {'list p50':>9} {'list p99':>9}"
          f"  {'pg cores':>8} {'pg conns':>8} {'other cores':>11}  statuses")
    for lv in levels:
        r, li = lv["latency_read"], lv["latency_list"]
        pg = lv["postgres_cpu_seconds"]
        print(f"{lv['concurrency']:>5} {r['n']:>7,} {_fmt(r['p50_ms'], '9.1f')} {_fmt(r['p99_ms'], '9.1f')} "
              f"{li['n']:>7,} {_fmt(li['p50_ms'], '9.1f')} {_fmt(li['p99_ms'], '9.1f')}  "
              f"{_fmt(None if pg is None else pg / lv['wall_seconds'], '8.2f')} "
              f"{_fmt(lv['postgres_connections_opened'], '8,')} "
              f"{_fmt(lv['other_busy_cores'], '11.2f')}  "
              + ", ".join(f"{k}: {v:,}" for k, v in sorted(lv["statuses"].items())))


def _versions() -> dict[str, str]:
    import importlib.metadata as md
    import sqlite3

    out = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    for dist in ("dianta", "fastapi", "starlette", "uvicorn", "anyio", "sqlalchemy", "psycopg", "httpx", "h11"):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            pass
    return out


# -------------------------------------------------------------------------------------------------------
# main


def _workdir(path: Path | None) -> tuple[Path, bool]:
    """The work directory and whether this script created it (then it may remove it)."""
    if path is None:
        return Path(tempfile.mkdtemp(prefix="dianta-bench-api-")), True
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        raise BenchError(f"--workdir {path} is not empty and was not made by this script")
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by bench/bench_api.py; emptied by its next run\n")
    return path, False


def run(args: argparse.Namespace) -> int:
    levels_wanted = [int(x) for x in args.concurrency.split(",") if x.strip()]
    if not levels_wanted or min(levels_wanted) < 1 or max(levels_wanted) > 1024:
        raise BenchError("--concurrency: a comma-separated list of numbers 1..1024")
    if not 0 < args.duration <= 600:
        raise BenchError("--duration: 0 < seconds <= 600 (login tokens live 15 minutes)")
    if not 0 <= args.list_share <= 1:
        raise BenchError("--list-share: between 0 and 1")
    if args.pg_url and args.backend != "postgresql":
        raise BenchError("--pg-url needs --backend postgresql")
    workdir, created = _workdir(args.workdir)
    load_at_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load_at_start and load_at_start[0] > 0.5:
        print(f"note: the machine is busy already (load average {load_at_start[0]:.2f}); other processes compete "
              "with the server for cores (see 'other cores')", flush=True)
    cluster: PgCluster | None = None
    server: Server | None = None
    failed_run: BaseException | None = None
    try:
        lake: Path | None = None
        if args.backend == "sqlite":
            db = str(workdir / "store")
            backend_info: dict[str, Any] = {"store": db, "journal_mode": "WAL", "synchronous": "FULL"}
        else:
            lake = workdir / "lake"
            if args.pg_url:
                _check_empty_database(args.pg_url)
                db = args.pg_url
                backend_info = {"server": "given by --pg-url", "database": urlsplit(db).path.lstrip("/")}
            else:
                print("starting a throwaway PostgreSQL cluster ...", flush=True)
                cluster = start_pg_cluster(fsync=args.pg_fsync == "on")
                db = _create_database(cluster.url, "dianta_bench")
                backend_info = {"server": cluster.version, "fsync": args.pg_fsync, "throwaway_cluster": True}
        print(f"preparing the store ({args.enterprises} enterprises, {args.backend}) in {workdir} ...", flush=True)
        data = prepare_store(db, lake, workdir, args.enterprises, args.seed)
        published: list[tuple[str, int]] = data.pop("published")
        if not published:
            raise BenchError("the demo province has no published accounts")
        per_year: dict[str, int] = data["accounts_per_year"]
        plan = Plan(published, {int(y): max(1, math.ceil(c / args.page_size)) for y, c in per_year.items() if c},
                    args.page_size, args.list_share)
        print(f"  {data['enterprises_in_ledger']} enterprises, accounts per year {per_year}, "
              f"{data['consents']} consents to {BANK_ORG}; {data['prepare_seconds']} s", flush=True)
        server = start_server(db, lake, workdir)
        print(f"server: pid {server.process.pid} at {server.url}", flush=True)
        if args.warmup > 0:
            measure_level(server, plan, 4, args, seed=args.seed + 999, cluster=cluster, warmup=True)
        levels = []
        for i, c in enumerate(levels_wanted):
            print(f"concurrency {c}: {args.duration:g} s ...", flush=True)
            lv = measure_level(server, plan, c, args, seed=args.seed + i, cluster=cluster)
            levels.append(lv)
            lat = lv["latency"]
            print(f"  {lv['requests']:,} requests, {lv['errors']:,} errors, {lv['throughput_rps']:.1f} req/s, "
                  f"p50 {_fmt(lat['p50_ms'], '.1f')} ms, p99 {_fmt(lat['p99_ms'], '.1f')} ms", flush=True)
            if server.process.poll() is not None:
                raise BenchError(f"the server exited (code {server.process.returncode}) during concurrency {c}")
        operator = login(server.url, OPERATOR_USER)
        t0 = time.perf_counter()
        r = httpx.get(server.url + "/api/v1/audit/verify", headers={"Authorization": f"Bearer {operator}"},
                      timeout=600)
        verify = {"status": r.status_code, "seconds": round(time.perf_counter() - t0, 2),
                  **(r.json() if r.status_code == 200 else {"body": r.text[:500]})}
    except BaseException as exc:
        failed_run = exc
        raise
    finally:
        code = server.stop() if server is not None else None
        if cluster is not None:
            cluster.stop()
        if failed_run is not None:
            if isinstance(failed_run, KeyboardInterrupt) and created and not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                print(f"work directory kept for inspection: {workdir}", file=sys.stderr)
    log = scan_log(server.log_path) if server is not None else {}
    print_table(args.backend, levels, args.list_share)
    ok = verify.get("ok") is True
    print(f"\naudit chain (GET /api/v1/audit/verify as operator, {verify['seconds']} s): "
          + (f"ok, {verify['entries']:,} entries" if ok else f"NOT OK: {verify}"))
    expected = sum(lv["audit_expected"] for lv in levels)
    added = sum(lv["audit_entries_added"] for lv in levels)
    print(f"audit entries appended during the levels: {added:,} for {expected:,} requests served or refused"
          + ("" if added == expected else f"  (MISMATCH: {added - expected:+,})"))
    problems = {k: v for k, v in log.get("counts", {}).items()}
    print(f"server log: {log.get('lines', 0)} lines" + (f"; {problems}" if problems else ", no errors")
          + f"; server exit code {code}")
    for message, count in log.get("exceptions", {}).items():
        print(f"  {count:>6} x {message}")
    for lv in levels:
        for sample in lv["error_samples"][:3]:
            print(f"  error sample (concurrency {lv['concurrency']}): {sample}")
    report = {
        "benchmark": "api", "backend": args.backend, "backend_info": backend_info,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "pg_url"},
        "data": data, "levels": levels, "audit_verify": verify,
        "audit_entries_added": added, "audit_entries_expected": expected, "server_log": log,
        "server_exit_code": code, "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                                              "loadavg_at_start": load_at_start, "versions": _versions()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = args.out or OUT_DIR / f"api-{args.backend}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nwrote {out}")
    if log.get("lines"):
        log_copy = out.with_name(out.stem + "-server.log")
        shutil.copyfile(server.log_path, log_copy)
        print(f"wrote {log_copy}")
    if created and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"work directory kept: {workdir}")
    failed = not ok or added != expected or any(lv["errors"] for lv in levels)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="See the module docstring / bench/README.md for what the numbers mean.")
    ap.add_argument("--enterprises", type=int, default=500, help="enterprises of the demo province (default 500)")
    ap.add_argument("--duration", type=float, default=10, help="seconds per concurrency level (default 10)")
    ap.add_argument("--concurrency", default="1,4,16,64", help="comma-separated levels (default 1,4,16,64)")
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--pg-url", help="postgresql://user@host:port/db of an EMPTY database (default: start a "
                                     "throwaway cluster with initdb/pg_ctl)")
    ap.add_argument("--pg-fsync", choices=("on", "off"), default="on",
                    help="fsync of the throwaway cluster (default on, like a production server)")
    ap.add_argument("--list-share", type=float, default=0.2, help="share of list-page requests (default 0.2)")
    ap.add_argument("--page-size", type=int, default=50, help="size of a list page (default 50)")
    ap.add_argument("--max-requests", type=int, default=200_000, help="at most this many requests per level")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per request (default 30)")
    ap.add_argument("--keepalive-expiry", type=float, default=2.0,
                    help="seconds an idle client connection is reused (default 2; uvicorn closes idle ones after 5)")
    ap.add_argument("--warmup", type=float, default=2, help="seconds of uncounted warm-up (default 2; 0: none)")
    ap.add_argument("--seed", type=int, default=20240601, help="seed of the data and of the request mix")
    ap.add_argument("--out", type=Path, help="the JSON file (default bench/out/api-<backend>.json)")
    ap.add_argument("--workdir", type=Path, help="work directory (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    args = ap.parse_args(argv)
    # SIGTERM/SIGHUP, and SIGINT even when started in the background (where it would be ignored), unwind
    # through the `finally` blocks that stop the server and the PostgreSQL cluster
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupted)
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench_api: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"bench_api: interrupted ({exc or 'SIGINT'}); the server and any PostgreSQL cluster were stopped",
              file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
