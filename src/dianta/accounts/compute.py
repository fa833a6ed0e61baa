"""``dianta compute``: load → aggregate → calculate → evaluate → publish, for one activity year.

The inputs are read as one snapshot of the ledger (:meth:`Store.snapshot`), holding every batch up to the
newest one in it (``runs.last_batch_id``). Publishing replaces the year's accounts under the profile in one
transaction, serialised with batches and other publications (:func:`lock_writes`), records the run (profile
id, version and fingerprint, factor ids, inputs fingerprint) and clears the year's recalculation marks that
batches up to that one set: a batch committed while the run computed keeps its marks for the next
(incremental) run (issue 13). A missing factor or profile value raises before anything is published.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from dianta.accounts.alerts import record_alert_events
from dianta.accounts.build import build_accounts, evaluate_accounts, measure_accounts
from dianta.accounts.computing import refresh_certificates
from dianta.accounts.inputs import YearInputs, aggregate_year, read_year
from dianta.accounts.labels import issue_labels, label_secret
from dianta.accounts.park_labels import issue_park_labels
from dianta.accounts.parks import compute_parks, publish_parks, read_parks
from dianta.accounts.record import Account, ParkAccount, record_json, record_of
from dianta.clock import now_iso
from dianta.engine.choice import get_engine
from dianta.errors import Conflict, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store, crash_point, current_user, duplicates_refused, lock_writes
from dianta.reference.profile import Profile, load_profile


@dataclass(slots=True)
class RunResult:
    run_id: int
    year: int
    profile_id: str
    records: list[Account]
    mode: str = "full"
    recomputed: int = 0  # enterprises whose data went through the engine (incremental) or accounts (full)
    parks: list[ParkAccount] = field(default_factory=list)  # GREEN-POWER.md §10

    @property
    def grades(self) -> Counter[int | None]:
        return Counter(r["grade"] for r in self.records)


def compute_year(store: Store, year: int, *, profile: str | Path | Profile = "default", engine: str = "duckdb",
                 user: str | None = None, progress: Callable[[str], None] | None = None,
                 incremental: bool = False,
                 in_transaction: Callable[[sa.Connection, int, str], None] | None = None) -> RunResult:
    """Compute and publish every account of ``year`` (METHODOLOGY.md), using Y−1's data where it exists.

    ``incremental``: recompute only the accounts marked for recalculation since the year's last run (their
    interval data alone goes through the engine), keep the others as published, and evaluate every account
    again (§7b benchmarks depend on the whole group). The result equals a full run's. It falls back to a full
    run, saying why through ``progress``, when the last run is unknown or a batch since added new rows (new
    rows are not corrections, so they set no marks). ``in_transaction(tx, run_id, mode)`` (e.g. the audit
    entry) runs in the publishing transaction. Raises :class:`Conflict` (nothing published) when accounts of
    the year computed from newer data were published while this run computed."""
    step = progress or (lambda _msg: None)
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    started = now_iso()
    c = _compute(store, year, prof, engine, incremental, step)
    inputs, records, parks, mode, todo = c.inputs, c.records, c.parks, c.mode, c.todo
    step("publishing")
    factor_ids = sorted({f"{r['factors'][role]['kind']}:{r['factors'][role]['area']}:{r['factors'][role]['year']}"
                         for r in records for role in ("location", "residual")})
    acc = schema.accounts
    secret = label_secret(store)
    with duplicates_refused(Conflict.of("computed_same_moment", year=year)), store.engine.begin() as tx:
        lock_writes(tx)  # first: one batch or publication at a time
        _refuse_if_overtaken(tx, year, prof.profile_id, inputs.last_batch_id)
        inserted = tx.execute(schema.runs.insert().values(
            year=year, profile_id=prof.profile_id, profile_version=prof.version,
            profile_fingerprint=prof.fingerprint, factor_ids_json=json.dumps(factor_ids),
            inputs_fingerprint=inputs.fingerprint, started_at=started, finished_at=now_iso(),
            run_by=user or current_user(), n_accounts=len(records), last_batch_id=inputs.last_batch_id,
            mode=mode)).inserted_primary_key
        assert inserted is not None  # a one-row insert always has its key
        run_id = int(inserted[0])
        tx.execute(acc.delete().where(acc.c.year == year, acc.c.profile_id == prof.profile_id))
        for r in records:
            r["run_id"] = run_id
            r["inputs_fingerprint"] = inputs.fingerprint
        issue_labels(tx, secret, records, run_id)
        record_alert_events(tx, records, run_id=run_id, profile_id=prof.profile_id, at=now_iso())
        if records:
            tx.execute(acc.insert(), [{"credit_code": r["credit_code"], "year": year, "profile_id": prof.profile_id,
                                       "run_id": run_id, "grade": r["grade"], "score": r["score"],
                                       "record_json": record_json(r)} for r in records])
        _clear_marks(tx, year, prof.profile_id, through_batch=inputs.last_batch_id)
        issue_park_labels(tx, secret, parks, run_id, year=year, profile_id=prof.profile_id)  # before: in the records
        publish_parks(tx, year, prof.profile_id, parks, run_id, inputs.fingerprint, through_batch=inputs.last_batch_id)
        if in_transaction is not None:
            in_transaction(tx, run_id, mode)
        crash_point("compute.before_commit")
    # GREEN-POWER.md §11: the year's valid green-computing certificates, computed again from what was published;
    # one whose figures a correction changed is superseded
    superseded = refresh_certificates(store, year, prof, engine=engine)
    if superseded:
        step(f"{superseded} green-computing certificate(s) of {year} superseded by changed figures")
    return RunResult(run_id, year, prof.profile_id, records, mode, len(records) if todo is None else len(todo[0]),
                     parks)


@dataclass(slots=True)
class _Computed:
    inputs: YearInputs
    records: list[Account]
    parks: list[ParkAccount]
    mode: str
    todo: tuple[set[str], list[Account]] | None


def _compute(store: Store, year: int, prof: Profile, engine: str, incremental: bool, step: Callable[[str], None]
             ) -> _Computed:
    """Load → aggregate → calculate → evaluate a year's accounts (and its parks' accounts), publishing nothing."""
    if not 1900 < year < 2200:
        raise UsageError(f"--year {year} is not a calendar year", zh=f"--year {year} 不是公历年份")
    with store.snapshot() as view:  # the plan and every input as of one moment
        todo = _incremental_plan(view, year, prof.profile_id, step) if incremental else None
        inputs = read_year(view, store, year, prof, only=None if todo is None else todo[0])
        park_inputs = read_parks(view, store, year, prof)
    mode = "full" if todo is None else "incremental"
    step("aggregating interval data" if todo is None else f"aggregating the interval data of {len(todo[0])} "
         "enterprise(s)")
    runner = get_engine(engine, temp_dir=store.temp_dir())
    aggregate_year(inputs, runner, progress=lambda done, parts: step(
        f"aggregating interval data: {done:,} of {parts:,} parts of the enterprises done"))
    crash_point("compute.aggregated")
    step("calculating accounts")
    if todo is None:
        records = build_accounts(inputs, prof)
    else:
        codes, published = todo
        kept = [r for r in published if r["credit_code"] not in codes]
        fresh = measure_accounts(inputs, prof, only=codes)
        records = evaluate_accounts(sorted(kept + fresh, key=lambda r: str(r["credit_code"])), prof)
    step("calculating park accounts")  # GREEN-POWER.md §10: every park of the year, from the accounts above
    parks = compute_parks(park_inputs, records, prof, runner)
    return _Computed(inputs, records, parks, mode, todo)


@dataclass(frozen=True, slots=True)
class AccountChange:
    """One enterprise whose published account a computation would change: grade and score before (None: no
    account published) and after (None: no account computed)."""

    credit_code: str
    name: str | None
    old_grade: int | None
    new_grade: int | None
    old_score: float | None
    new_score: float | None
    published: bool
    computed: bool

    @property
    def grade_changed(self) -> bool:
        return self.old_grade != self.new_grade or self.published != self.computed


@dataclass(slots=True)
class DryRun:
    """A year computed and not published (:func:`dry_run_year`): what publishing it would change."""

    year: int
    profile_id: str
    accounts: int  # the accounts computed
    unchanged: int  # computed with the published grade and score
    changes: list[AccountChange]
    last_batch_id: int  # the newest batch in the inputs
    by_grade: Counter[int | None] = field(default_factory=Counter)


def _changes(published: list[Account], computed: list[Account]) -> tuple[list[AccountChange], int]:
    """The enterprises whose grade or score differs (or whose account appears or goes), by credit code; and the
    number of accounts computed with the published grade and score (scores compared to 1e-9)."""
    old = {str(r["credit_code"]): r for r in published}
    new = {str(r["credit_code"]): r for r in computed}
    out, same = [], 0
    for code in sorted(old.keys() | new.keys()):
        o, n = old.get(code), new.get(code)
        og, ng = (o["grade"] if o else None), (n["grade"] if n else None)
        os_, ns = (o["score"] if o else None), (n["score"] if n else None)
        score_same = (os_ is None and ns is None) or (os_ is not None and ns is not None
                                                       and abs(float(os_) - float(ns)) <= 1e-9)
        if o is not None and n is not None and og == ng and score_same:
            same += 1
            continue
        either = n or o
        name = either["name"] if either else None
        out.append(AccountChange(code, None if name is None else str(name), og, ng,
                                 None if os_ is None else float(os_), None if ns is None else float(ns),
                                 o is not None, n is not None))
    return out, same


def dry_run_year(store: Store, year: int, *, profile: str | Path | Profile = "default", engine: str = "duckdb",
                 incremental: bool = False) -> DryRun:
    """Compute ``year`` exactly as :func:`compute_year` would and publish nothing: which enterprises' grades
    and scores would change (old → new) against the accounts published now. Nothing is written: no run, no
    label, no alert, no mark is touched."""
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    c = _compute(store, year, prof, engine, incremental, lambda _msg: None)
    changes, same = _changes(read_accounts(store, year, prof.profile_id), c.records)
    return DryRun(year, prof.profile_id, len(c.records), same, changes, c.inputs.last_batch_id,
                  Counter(r["grade"] for r in c.records))


def published_changes(before: list[Account], after: list[Account]) -> list[AccountChange]:
    """What a publication changed: the accounts of a year before and after it (the same comparison as a dry
    run's, so that a dry run can be checked against the real run)."""
    return _changes(before, after)[0]


#: key of the PostgreSQL advisory lock held while a computation of the service runs ("dianta" + 0x0003)
PG_COMPUTE_LOCK = 0x6469616E74610003


@contextmanager
def one_computation(store: Store, *, what: str, user: str) -> Iterator[None]:
    """Hold the store's computation slot while a computation (or its dry run) of the service runs; a second one
    asked for meanwhile is refused at once with :class:`Conflict`, naming the one running. A file lock in the
    store's temp folder (one host), and on PostgreSQL also a session advisory lock (every host of the ledger).
    Commands run from the shell are not held back: their publications are still serialised by the write lock."""
    folder = store.temp_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "compute.lock", os.O_RDWR | os.O_CREAT, 0o600)
    pg: sa.Connection | None = None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(os.pread(fd, 4096, 0)) from None
        if store.engine.dialect.name == "postgresql":
            pg = store.engine.connect()
            if not pg.execute(sa.select(sa.func.pg_try_advisory_lock(PG_COMPUTE_LOCK))).scalar():
                raise _busy(b"")
        holder = json.dumps({"what": what, "user": user, "since": now_iso()}).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder, 0)
        yield
    finally:
        if pg is not None:
            pg.execute(sa.select(sa.func.pg_advisory_unlock(PG_COMPUTE_LOCK)))
            pg.close()
        os.close(fd)  # releases the flock


def _busy(holder: bytes) -> Conflict:
    try:
        info = json.loads(holder.decode() or "{}")
    except ValueError:
        info = {}
    what, user, since = info.get("what", "?"), info.get("user", "?"), info.get("since", "?")
    if not info:
        return Conflict("another computation is running; nothing was started: wait for it to finish and ask again",
                        zh="另一项计算正在运行，本次未启动：请等待其完成后再试")
    return Conflict(f"a computation is running ({what}, started by {user} at {since}); nothing was started: wait "
                    "for it to finish and ask again",
                    zh=f"一项计算正在运行（{what}，由 {user} 于 {since} 开始），本次未启动：请等待其完成后再试")


def _refuse_if_overtaken(tx: sa.Connection, year: int, profile_id: str, last_batch_id: int) -> None:
    """Refuse to publish accounts older than the published ones: a run of the same year and profile from
    newer data (a later batch) was published while this one computed."""
    runs = schema.runs
    newest = tx.execute(sa.select(sa.func.max(runs.c.last_batch_id)).where(
        runs.c.year == year, runs.c.profile_id == profile_id)).scalar()
    if newest is not None and newest > last_batch_id:
        raise Conflict.of("newer_accounts", year=year, newest=newest, last_batch_id=last_batch_id)


def _incremental_plan(con: sa.Connection, year: int, profile_id: str, step: Callable[[str], None]
                      ) -> tuple[set[str], list[Account]] | None:
    """(the enterprises to recompute, the published accounts) for an incremental run, or None for a full one;
    read in ``con`` (the run's snapshot)."""
    runs, b = schema.runs, schema.batches
    last = con.execute(sa.select(runs.c.last_batch_id).where(runs.c.year == year, runs.c.profile_id == profile_id)
                       .order_by(runs.c.run_id.desc()).limit(1)).first()
    if last is None or last[0] is None:
        step(f"no earlier run of {year} to start from: computing in full")
        return None
    for batch_id, summary in con.execute(sa.select(b.c.batch_id, b.c.summary_json).where(b.c.batch_id > last[0])):
        counts = json.loads(summary).get("counts", {})
        added = sorted(t for t, c in counts.items() if t != "loans" and c.get("new", 0))
        if added:
            step(f"batch {batch_id} added new rows to {', '.join(added)} since the last run: computing in full")
            return None
    rm = schema.recalc_marks
    codes = set(con.execute(sa.select(rm.c.credit_code).where(rm.c.year.in_([0, year]))).scalars())
    # a green-trade contract's hourly profile is shared in proportion to every holder's kWh (§7): its
    # other holders that year are affected too
    trades = schema.data_tables["green_trades"]
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    contracts = set(con.execute(sa.select(trades.c.contract_id).where(trades.c.credit_code.in_(sorted(codes)),
                                                                      trades.c.month.in_(months))).scalars())
    if contracts:
        codes |= set(con.execute(sa.select(trades.c.credit_code).where(
            trades.c.contract_id.in_(sorted(contracts)), trades.c.month.in_(months))).scalars())
    return codes, _published(con, year, profile_id)


def _clear_marks(tx: sa.Connection, year: int, profile_id: str, *, through_batch: int) -> None:
    """The year's marks set by batches up to ``through_batch`` (the newest batch the run's inputs hold) are
    settled by this run; marks a later batch set (or set again) while the run computed stay for the next run.
    A settled mark for every year (year 0, set by a correction of the enterprise or its meters) becomes a mark
    on each of the enterprise's other published years."""
    rm, acc, bm = schema.recalc_marks, schema.accounts, schema.benchmark_marks
    settled = rm.c.batch_id <= through_batch
    for code, batch_id in tx.execute(sa.select(rm.c.credit_code, rm.c.batch_id).where(rm.c.year == 0,
                                                                                       settled)).all():
        other_years = tx.execute(sa.select(acc.c.year).distinct().where(
            acc.c.credit_code == code, acc.c.year != year, acc.c.profile_id == profile_id)).scalars().all()
        for other in other_years:
            if tx.execute(sa.select(rm.c.year).where(rm.c.credit_code == code, rm.c.year == other)).first() is None:
                tx.execute(rm.insert().values(credit_code=code, year=other, batch_id=batch_id))
    tx.execute(rm.delete().where(rm.c.year.in_([0, year]), settled))
    tx.execute(bm.delete().where(bm.c.year.in_([0, year]), bm.c.batch_id <= through_batch))


def read_accounts(store: Store, year: int, profile_id: str = "default") -> list[Account]:
    """The published accounts of a year, ordered by credit code."""
    with store.engine.connect() as con:
        return _published(con, year, profile_id)


def _published(con: sa.Connection, year: int, profile_id: str) -> list[Account]:
    acc = schema.accounts
    rows = con.execute(sa.select(acc.c.record_json).where(acc.c.year == year, acc.c.profile_id == profile_id)
                       .order_by(acc.c.credit_code)).all()
    # a year's records are a million small objects: the cyclic collector's passes over them while they are made
    # took a third of the reading (none of them can be garbage yet)
    paused = gc.isenabled()
    gc.disable()
    try:
        return [record_of(r[0]) for r in rows]
    finally:
        if paused:
            gc.enable()


def stale_accounts(store: Store) -> list[tuple[str, int]]:
    """Accounts marked for recalculation by corrections since they were computed."""
    rm = schema.recalc_marks
    with store.engine.connect() as con:
        return [(r[0], r[1]) for r in con.execute(sa.select(rm.c.credit_code, rm.c.year).order_by(rm.c.year,
                                                                                                  rm.c.credit_code))]
