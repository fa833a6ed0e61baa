"""``dianta compute``: load → aggregate → calculate → evaluate → publish, for one activity year.

The inputs are read as one snapshot of the ledger (:meth:`Store.snapshot`), holding every batch up to the
newest one in it (``runs.last_batch_id``). Publishing replaces the year's accounts under the profile in one
transaction, serialised with batches and other publications (:func:`lock_writes`), records the run (profile
id, version and fingerprint, factor ids, inputs fingerprint) and clears the year's recalculation marks that
batches up to that one set: a batch committed while the run computed keeps its marks for the next
(incremental) run (issue 13). A missing factor or profile value raises before anything is published.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from dianta.accounts.alerts import record_alert_events
from dianta.accounts.build import build_accounts, evaluate_accounts, measure_accounts
from dianta.accounts.computing import refresh_certificates
from dianta.accounts.inputs import aggregate_year, read_year
from dianta.accounts.labels import issue_labels, label_secret
from dianta.accounts.park_labels import issue_park_labels
from dianta.accounts.parks import compute_parks, publish_parks, read_parks
from dianta.accounts.record import Account, ParkAccount
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
    if not 1900 < year < 2200:
        raise UsageError(f"--year {year} is not a calendar year")
    step = progress or (lambda _msg: None)
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    started = now_iso()
    with store.snapshot() as view:  # the plan and every input as of one moment
        todo = _incremental_plan(view, year, prof.profile_id, step) if incremental else None
        inputs = read_year(view, store, year, prof, only=None if todo is None else todo[0])
        park_inputs = read_parks(view, store, year, prof)
    mode = "full" if todo is None else "incremental"
    step("aggregating interval data" if todo is None else f"aggregating the interval data of {len(todo[0])} "
         "enterprise(s)")
    runner = get_engine(engine, temp_dir=store.temp_dir())
    aggregate_year(inputs, runner)
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
    step("publishing")
    factor_ids = sorted({f"{r['factors'][role]['kind']}:{r['factors'][role]['area']}:{r['factors'][role]['year']}"
                         for r in records for role in ("location", "residual")})
    acc = schema.accounts
    secret = label_secret(store)
    with duplicates_refused(f"another computation of {year} was published at the same moment; nothing of this "
                            "one was published: run it again"), store.engine.begin() as tx:
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
                                       "record_json": json.dumps(r, ensure_ascii=False)} for r in records])
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


def _refuse_if_overtaken(tx: sa.Connection, year: int, profile_id: str, last_batch_id: int) -> None:
    """Refuse to publish accounts older than the published ones: a run of the same year and profile from
    newer data (a later batch) was published while this one computed."""
    runs = schema.runs
    newest = tx.execute(sa.select(sa.func.max(runs.c.last_batch_id)).where(
        runs.c.year == year, runs.c.profile_id == profile_id)).scalar()
    if newest is not None and newest > last_batch_id:
        raise Conflict(f"accounts of {year} computed from newer data (batches up to {newest}) were published while "
                       f"this computation ran on batches up to {last_batch_id}; nothing of it was published, the "
                       "newer accounts stand")


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
    return [json.loads(r[0]) for r in rows]


def stale_accounts(store: Store) -> list[tuple[str, int]]:
    """Accounts marked for recalculation by corrections since they were computed."""
    rm = schema.recalc_marks
    with store.engine.connect() as con:
        return [(r[0], r[1]) for r in con.execute(sa.select(rm.c.credit_code, rm.c.year).order_by(rm.c.year,
                                                                                                  rm.c.credit_code))]
