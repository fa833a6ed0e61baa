"""Mixed load against a running ``dianta serve``: readers, uploaders and recomputations at once for minutes,
then every write is read back (no lost writes) and the audit chain verified.

Run (from the repository root, with the project's venv)::

    python bench/bench_load.py                          # SQLite, 200 enterprises, 180 s, 6 readers, 2 writers
    python bench/bench_load.py --backend postgresql     # a throwaway PostgreSQL cluster
    python bench/bench_load.py --enterprises 40 --duration 20    # smoke test

Clients (asyncio + httpx, each its own closed loop, all on 127.0.0.1):
* ``--readers`` bank officers: a single account (60 %), a list page (25 %), the bank's portfolio (10 %), an
  account's label as SVG (5 %), of enterprises that consented to the bank (scope `summary`);
* ``--uploaders`` operators posting batches (``POST /api/v1/batches``): each a ``consumption_monthly.csv``
  correcting one random meter-month of the last year to a new value (so every batch is a correction with
  history and recalculation marks), and ``--lenders`` banks recording loans (``POST /api/v1/loans``) with
  unique ids;
* one operator recomputing the last year incrementally (``POST /api/v1/compute``) every ``--compute-every`` s.
Afterwards the server is stopped and the store is opened directly: each accepted correction's meter-month
holds the value of the last accepted batch that wrote it, each accepted loan exists with its amounts, the
recomputations published, and the audit chain verifies. The table gives, per kind, requests, errors,
throughput and p50/p99 latency; ``bench/out/load-<backend>.json`` keeps everything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
import bench_api as base  # noqa: E402 - the preparation, server and cluster helpers of the read benchmark


def _percentile(values: list[float], p: float) -> float | None:
    return base._percentile(sorted(values), p) if values else None


class Recorder:
    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = {}
        self.errors: dict[str, list[str]] = {}
        self.corrections: list[tuple[int, str, str, float]] = []  # batch id, meter, month, kWh
        self.loans: dict[str, dict[str, Any]] = {}
        self.computes: list[int] = []

    def done(self, kind: str, seconds: float, error: str | None = None) -> None:
        self.latency.setdefault(kind, []).append(seconds)
        if error:
            self.errors.setdefault(kind, []).append(error)


async def _call(rec: Recorder, kind: str, request) -> httpx.Response | None:  # noqa: ANN001 - a coroutine
    start = time.perf_counter()
    try:
        response = await request
    except httpx.HTTPError as exc:
        rec.done(kind, time.perf_counter() - start, f"{type(exc).__name__}: {exc}")
        return None
    ok = response.status_code < 300
    rec.done(kind, time.perf_counter() - start, None if ok else f"{response.status_code} {response.text[:200]}")
    return response if ok else None


async def reader(client: httpx.AsyncClient, rec: Recorder, published: list[tuple[str, int]], year: int,
                 stop: float, rng: random.Random) -> None:
    while time.monotonic() < stop:
        code, y = rng.choice(published)
        roll = rng.random()
        if roll < 0.60:
            await _call(rec, "read account", client.get(f"/api/v1/accounts/{code}/{y}"))
        elif roll < 0.85:
            await _call(rec, "list page", client.get("/api/v1/accounts", params={"year": year,
                                                                                "page": rng.randint(1, 3)}))
        elif roll < 0.95:
            await _call(rec, "portfolio", client.get("/api/v1/portfolio", params={"year": year}))
        else:
            await _call(rec, "label svg", client.get(f"/api/v1/accounts/{code}/{y}/label"))


async def uploader(client: httpx.AsyncClient, rec: Recorder, meters: list[tuple[str, str]], stop: float,
                   rng: random.Random) -> None:
    while time.monotonic() < stop:
        meter, month = rng.choice(meters)
        kwh = round(rng.uniform(10_000, 900_000), 1)
        body = f"meter_id,month,kwh\n{meter},{month},{kwh}\n".encode()
        response = await _call(rec, "upload batch", client.post(
            "/api/v1/batches", data={"reason": "bench_load"},
            files=[("files", ("consumption_monthly.csv", body, "text/csv"))]))
        if response is not None:
            rec.corrections.append((int(response.json()["batch_id"]), meter, month, kwh))


async def lender(client: httpx.AsyncClient, rec: Recorder, codes: list[str], stop: float, rng: random.Random,
                 prefix: str) -> None:
    n = 0
    while time.monotonic() < stop:
        n += 1
        loan = {"loan_id": f"{prefix}-{n:06d}", "credit_code": rng.choice(codes), "principal_cny": 1e6 * n,
                "outstanding_cny": 9e5 * n, "as_of": "2024-12-31", "drawn_on": "2024-01-15",
                "maturity_on": "2027-01-15", "base_rate_pct": 3.45}
        if await _call(rec, "record loan", client.post("/api/v1/loans", json=loan)) is not None:
            rec.loans[loan["loan_id"]] = loan


async def computer(client: httpx.AsyncClient, rec: Recorder, year: int, stop: float, every: float) -> None:
    while time.monotonic() < stop:
        response = await _call(rec, "compute", client.post("/api/v1/compute", json={"year": year,
                                                                                  "incremental": True},
                                                           timeout=600))
        if response is not None:
            rec.computes.append(int(response.json()["run_id"]))
        await asyncio.sleep(max(0.0, min(every, stop - time.monotonic())))


async def drive(url: str, tokens: dict[str, str], info: dict[str, Any], meters: list[tuple[str, str]],
                args: argparse.Namespace) -> Recorder:
    rec = Recorder()
    rng = random.Random(args.seed)
    year = max(info["years"])
    stop = time.monotonic() + args.duration
    limits = httpx.Limits(max_connections=args.readers + args.uploaders + args.lenders + 2)

    def client(who: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=120,
                                 limits=limits)

    async with client("bank") as bank, client("operator") as operator:
        codes = sorted({c for c, _ in info["published"]})
        tasks = [reader(bank, rec, info["published"], year, stop, random.Random(rng.random()))
                 for _ in range(args.readers)]
        tasks += [uploader(operator, rec, meters, stop, random.Random(rng.random())) for _ in range(args.uploaders)]
        tasks += [lender(bank, rec, codes, stop, random.Random(rng.random()), f"LOAD-{i}") for i in range(args.lenders)]
        tasks.append(computer(operator, rec, year, stop, args.compute_every))
        await asyncio.gather(*tasks)
    return rec


def verify(db: str, lake: Path | None, rec: Recorder) -> dict[str, Any]:
    """Read every accepted write back from the store; verify the audit chain."""
    from dianta.ledger import schema
    from dianta.ledger.store import Store
    from dianta.security.audit import verify_chain

    store = Store(db, lake=lake)
    last: dict[tuple[str, str], tuple[int, float]] = {}
    for batch_id, meter, month, kwh in rec.corrections:
        if (meter, month) not in last or batch_id > last[(meter, month)][0]:
            last[(meter, month)] = (batch_id, kwh)
    monthly, loans, runs = schema.data_tables["consumption_monthly"], schema.data_tables["loans"], schema.runs
    lost: list[str] = []
    with store.engine.connect() as con:
        for (meter, month), (_, kwh) in last.items():
            stored = con.execute(sa.select(monthly.c.kwh).where(monthly.c.meter_id == meter,
                                                                monthly.c.month == month)).scalar()
            if stored != kwh:
                lost.append(f"{meter} {month}: expected {kwh}, stored {stored}")
        for loan_id, loan in rec.loans.items():
            row = con.execute(sa.select(loans.c.outstanding_cny, loans.c.credit_code)
                              .where(loans.c.loan_id == loan_id)).first()
            if row is None or row[0] != loan["outstanding_cny"] or row[1] != loan["credit_code"]:
                lost.append(f"loan {loan_id}: {row}")
        published_runs = set(con.execute(sa.select(runs.c.run_id)).scalars())
    lost += [f"run {r} missing" for r in rec.computes if r not in published_runs]
    chain = verify_chain(store)
    store.close()
    return {"corrections_checked": len(last), "loans_checked": len(rec.loans), "computes": len(rec.computes),
            "lost_writes": lost, "audit_ok": chain.ok, "audit_entries": chain.entries}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--enterprises", type=int, default=200)
    ap.add_argument("--duration", type=float, default=180)
    ap.add_argument("--readers", type=int, default=6)
    ap.add_argument("--uploaders", type=int, default=1)
    ap.add_argument("--lenders", type=int, default=1)
    ap.add_argument("--compute-every", type=float, default=30)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dianta-load-"))
    cluster = None
    if args.backend == "postgresql":
        cluster = base.start_pg_cluster(fsync=True)
        db, lake = base._create_database(cluster.url, "load"), work / "lake"
    else:
        db, lake = str(work / "store"), None
    server = None
    try:
        info = base.prepare_store(db, lake, work, args.enterprises, args.seed)
        from dianta.ledger import schema
        from dianta.ledger.store import Store

        store = Store(db, lake=lake)
        year = max(info["years"])
        mon = schema.data_tables["consumption_monthly"]
        with store.engine.connect() as con:
            meters = [(m, mo) for m, mo in con.execute(sa.select(mon.c.meter_id, mon.c.month)
                                                       .where(mon.c.month.startswith(str(year))))]
        store.close()
        server = base.start_server(db, lake, work)
        tokens = {"bank": base.login(server.url, base.BANK_USER), "operator": base.login(server.url,
                                                                                        base.OPERATOR_USER)}
        started = time.perf_counter()
        rec = asyncio.run(drive(server.url, tokens, info, meters, args))
        wall = time.perf_counter() - started
        server.stop()
        log = base.scan_log(server.log_path)
        check = verify(db, lake, rec)
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.stop()
    rows = []
    print(f"\nmixed load, {args.backend}, {args.enterprises} enterprises, {wall:.0f} s: {args.readers} readers, "
          f"{args.uploaders} uploader(s), {args.lenders} lender(s), a recomputation every {args.compute_every:g} s")
    print(f"{'kind':<14}{'requests':>9}{'errors':>7}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for kind, values in sorted(rec.latency.items()):
        errors = len(rec.errors.get(kind, []))
        p50, p99 = _percentile(values, 50), _percentile(values, 99)
        rows.append({"kind": kind, "requests": len(values), "errors": errors, "req_per_s": len(values) / wall,
                     "p50_ms": p50 and p50 * 1000, "p99_ms": p99 and p99 * 1000,
                     "first_errors": rec.errors.get(kind, [])[:5]})
        print(f"{kind:<14}{len(values):>9}{errors:>7}{len(values) / wall:>8.1f}{(p50 or 0) * 1000:>9.0f}"
              f"{(p99 or 0) * 1000:>9.0f}")
    print(f"writes read back: {check['corrections_checked']} corrected meter-months, {check['loans_checked']} "
          f"loans, {check['computes']} recomputations; lost: {len(check['lost_writes'])}; audit chain "
          f"{'verifies' if check['audit_ok'] else 'BROKEN'} ({check['audit_entries']} entries); server log: {log}")
    out = args.out or Path(f"bench/out/load-{args.backend}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "wall_s": wall, "rows": rows,
                               "verify": check, "server_log": log}, indent=1, ensure_ascii=False))
    ok = not check["lost_writes"] and check["audit_ok"] and not any(r["errors"] for r in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
