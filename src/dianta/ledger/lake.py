"""The lake: Parquet files of the interval tables under ``<store>/lake/``, referenced by the ledger.

Layout: ``<table>/month=<YYYY-MM>/b<batch>[-to-<YYYY-MM>].parquet`` (a file holds one month, or a run of
consecutive months of one year), ``_history/<table>/b<batch>.parquet`` (the old values of corrected rows) and
``_quarantine/b<batch>-<table>.parquet`` (the rows a ``--partial`` batch quarantined). Every file is written
with :data:`LAKE_PARQUET`; the ledger's ``lake_files`` row says which months it holds and whether it is
current (``active``) or ``superseded``; a file is current or superseded as a whole.

A batch's files go to the lake in three steps (DESIGN.md, "one batch, applied at once, across ledger and
lake"), each a part of :class:`BatchFiles`:

1. **stage**, before the ledger transaction: the files are written into a staging folder of their own
   (:func:`staging_folder`, ``lake/_staging/<token>/``, locked while in use) and their size and SHA-256 read
   back (:mod:`dianta.ledger.integrity`);
2. **record**, in the batch's ledger transaction under the write lock: refused when another batch changed the
   current files the batch read meanwhile; else the staged files get their names (the batch id is known now)
   and the rows that refer to them are written, and the files of months written again are superseded;
3. **publish**, after the commit: the files are renamed into the lake.

A crash before the commit leaves staging debris only; one after it leaves committed files in staging. The
next opening of the store (:func:`recover`) removes the first and publishes the second; readers see only
committed batches.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from dianta.errors import Conflict, DiantaError
from dianta.ledger import integrity, schema
from dianta.ledger.secrets import store_secret

if TYPE_CHECKING:
    import duckdb

    from dianta.ledger.store import Store

#: DuckDB ``COPY`` options of every lake file: Parquet format v2 (delta-encoded timestamps, byte-stream-split
#: kWh) with Snappy (Spark's default), written in under half the time of v1 with zstd, 12 % larger, and read by
#: DuckDB, Spark and Arrow (175 M readings: 5.6 s against 13 s)
LAKE_PARQUET = "FORMAT parquet, COMPRESSION snappy, PARQUET_VERSION v2"
#: roll-ups (issue 18): a lake table whose every file gets a file of another table beside it, written from it when it
#: is staged, holding the same months and sharing its life (recorded in the same transaction, superseded with it):
#: ``interval_hourly``, per meter and hour of an ``interval_readings`` file, the kWh, the largest 15-minute kWh, the
#: number of readings and the kWh of each of its four quarter-hours (for the coincident peak of an enterprise holding
#: several meters); compute reads these instead of the readings (engine/queries.py). Where the checks summed a
#: batch's rows already, the roll-up is written from their sums (ingest/apply.py), the same columns. In meter and
#: hour order: the same readings make the same file, byte for byte, however the batch got there.
ROLLUPS = {"interval_readings": ("interval_hourly", """
    SELECT meter_id, date_trunc('hour', ts) AS hour, sum(kwh) AS kwh, max(kwh) AS peak_kwh, count(*) AS n,
           sum(CASE WHEN minute(ts) < 15 THEN kwh END) AS q1_kwh,
           sum(CASE WHEN minute(ts) >= 15 AND minute(ts) < 30 THEN kwh END) AS q2_kwh,
           sum(CASE WHEN minute(ts) >= 30 AND minute(ts) < 45 THEN kwh END) AS q3_kwh,
           sum(CASE WHEN minute(ts) >= 45 THEN kwh END) AS q4_kwh
    FROM read_parquet($file) GROUP BY meter_id, date_trunc('hour', ts) ORDER BY meter_id, hour""")}
#: a readings file in the lake's form (columns and types): one sent so whose every row passed is kept as sent
LAKE_READINGS = pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("kwh", pa.float64())])
#: the Parquet codecs a lake file may use (every reader of the lake, DuckDB, Spark and Arrow, reads them)
LAKE_CODECS = frozenset({"SNAPPY", "ZSTD", "GZIP", "UNCOMPRESSED"})


def in_lake_form(path: Path) -> bool:
    """``path`` is a Parquet file of interval readings exactly in the lake's form (:data:`LAKE_READINGS`, codecs
    of :data:`LAKE_CODECS`): a batch's file so, once every row passed, is copied into the lake as it is instead
    of being decoded and written again (issue 18)."""
    meta = pq.ParquetFile(path).metadata
    return meta.schema.to_arrow_schema().remove_metadata() == LAKE_READINGS and all(
        meta.row_group(g).column(c).compression in LAKE_CODECS
        for g in range(meta.num_row_groups) for c in range(meta.num_columns))


#: ledger work that refers to a batch's staged files, run in its transaction with (transaction, batch id)
Recording = Callable[[sa.Connection, int], object]


# -- months and files ---------------------------------------------------------------------------------------
def span_months(first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` (YYYY-MM), both included."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_runs(months: list[str]) -> list[list[str]]:
    """Sorted months (YYYY-MM) cut into runs of consecutive months of one year: the months one lake file
    holds (compute reads a year's files; a run never makes a file hold a month it has no rows of)."""
    runs: list[list[str]] = []
    for month in sorted(months):
        if runs and runs[-1][-1][:4] == month[:4] and span_months(runs[-1][-1], month)[1:] == [month]:
            runs[-1].append(month)
        else:
            runs.append([month])
    return runs


def overlapping(months: list[str]) -> sa.ColumnElement[bool]:
    """Lake files (``lake_files`` rows) holding rows of any of ``months`` (YYYY-MM, which sort as text)."""
    lf = schema.lake_files
    last = sa.func.coalesce(lf.c.month_to, lf.c.month)
    return sa.or_(sa.false(), *(sa.and_(lf.c.month <= m, last >= m) for m in sorted(set(months))))


def active_spans(store: Store, table: str, months: list[str] | None = None, *, verify: bool = True,
                 con: sa.Connection | None = None) -> list[tuple[Path, str, str]]:
    """(file, first month, last month) of the committed, current lake files of ``table`` (those holding rows
    of ``months`` when given), as :meth:`Store.active_files` says."""
    lf = schema.lake_files
    query = (sa.select(lf.c.path, lf.c.month, sa.func.coalesce(lf.c.month_to, lf.c.month), lf.c.size_bytes,
                       lf.c.sha256)
             .where(lf.c.table_name == table, lf.c.state == "active").order_by(lf.c.path))
    if months is not None:
        query = query.where(overlapping(months))
    if con is not None:
        rows = con.execute(query).all()
    else:
        with store.engine.connect() as own:
            rows = own.execute(query).all()
    if verify:
        integrity.check(store.lake, [integrity.LakeFile(r[0], r[3], r[4]) for r in rows], memory=digest_memory(store))
    return [(store.lake / r[0], r[1], r[2]) for r in rows]


def check_listed(store: Store, paths: list[Path], *, con: sa.Connection) -> None:
    """Check ``paths`` (lake files listed with ``verify=False`` by :func:`active_spans` in ``con``) against the
    size and SHA-256 recorded for them, as :func:`active_spans` does with ``verify``: for a caller that reads
    only some of the files it lists."""
    lf = schema.lake_files
    rels = list(dict.fromkeys(p.relative_to(store.lake).as_posix() for p in paths))
    rows = {r[0]: r for i in range(0, len(rels), 500) for r in con.execute(
        sa.select(lf.c.path, lf.c.size_bytes, lf.c.sha256).where(lf.c.path.in_(rels[i:i + 500]))).all()}
    integrity.check(store.lake, [integrity.LakeFile(rel, rows[rel][1], rows[rel][2]) for rel in rels],  # in order
                    memory=digest_memory(store))


#: the name of the store's secret that signs its :class:`integrity.DigestMemory`
MEMORY_SECRET = "lake_digest_memory"


def digest_memory(store: Store) -> integrity.DigestMemory | None:
    """The store's memory of lake files hashed lately (in its temporary folder, signed with a secret of the store);
    None where the secret cannot be had (a store opened read-only on a full disk): the files are hashed."""
    try:
        return integrity.DigestMemory(store.temp_dir() / "lake-digests.sqlite", store_secret(store, MEMORY_SECRET))
    except (OSError, DiantaError):
        return None


def key_range(path: Path, column: str) -> tuple[Any, Any] | None:
    """The smallest and largest value of ``column`` in the lake file ``path``, from its footer's statistics (None:
    not recorded, or the footer unreadable: the caller then reads the file, and the digest check it passes first
    names the damage). Regions sent one after another hold meters whose ranges are apart."""
    try:
        meta = pq.ParquetFile(path).metadata
    except (OSError, pa.ArrowException):
        return None
    index = meta.schema.to_arrow_schema().get_field_index(column)
    lows, highs = [], []
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(index).statistics
        if stats is None or not stats.has_min_max:
            return None
        lows.append(stats.min)
        highs.append(stats.max)
    return (min(lows), max(highs)) if lows else None


def may_hold(path: Path, column: str, low: Any, high: Any) -> bool:
    """The lake file ``path`` may hold a value of ``column`` in ``[low, high]`` (its footer's range meets it, or
    records none)."""
    r = key_range(path, column)
    return r is None or (r[0] <= high and low <= r[1])


# -- staging ------------------------------------------------------------------------------------------------
@contextmanager
def staging_folder(staging: Path) -> Iterator[Path]:
    """A new folder under ``staging`` for one batch's lake files, removed on exit. It is locked (before it
    exists) while in use, so that :func:`recover` in another process does not take it for debris."""
    while True:
        token = secrets.token_hex(8)
        lock_path = staging / f"{token}.lock"
        lock = lock_path.open("a")
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:  # recover() elsewhere may have removed the file before it was locked: take another
            if os.stat(lock_path).st_ino == os.fstat(lock.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        lock.close()
    folder = staging / token
    try:
        folder.mkdir()
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        lock_path.unlink(missing_ok=True)
        lock.close()


def recover(store: Store) -> None:
    """Publish committed lake files left in staging by a process that ended before publishing them; remove
    staging debris of uncommitted work. Staging folders still in use by a live process (another command, the
    API server) are left alone."""
    staging = store.staging
    for lock_path in sorted(staging.glob("*.lock")):  # ended before its folder was made or removed
        if not (staging / lock_path.stem).exists():
            with _locked(lock_path) as free:
                if free:
                    lock_path.unlink(missing_ok=True)
    for token_dir in sorted(p for p in staging.iterdir() if p.is_dir()):
        lock_path = staging / f"{token_dir.name}.lock"
        with _locked(lock_path) as free:
            if not free:
                continue
            staged = sorted(token_dir.rglob("*.parquet"))
            if staged:  # read after taking the lock: the ledger is final for the process that staged them
                with store.engine.connect() as con:
                    known = {f.rel for f in integrity.referenced(con)}
                for f in staged:
                    rel = f.relative_to(token_dir).as_posix()
                    if rel in known and not (store.lake / rel).exists():
                        _move(f, store.lake / rel)
            shutil.rmtree(token_dir, ignore_errors=True)
            lock_path.unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """Try to lock ``path`` (created when missing) without waiting: yields whether the lock was taken."""
    with path.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


# -- one batch's files --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Staged:
    """A staged lake file: ``template``, its path under the lake with ``{batch}`` for the batch id (known only
    in the ledger transaction), and its size and SHA-256."""

    template: str
    digest: integrity.Digest

    def path(self, batch_id: int) -> str:
        """Its path under the lake, for batch ``batch_id``."""
        return self.template.format(batch=f"{batch_id:06d}")


class BatchFiles:
    """The lake files of one batch, from staging (``folder``, of :func:`staging_folder`) to the lake.

    Stage, with no ledger transaction open (on SQLite a transaction holds the write lock, and the API's reads
    wait for it), against ``view``, the snapshot of the ledger the batch was checked against:
    :meth:`current_meeting` (the current files of some months and keys, checked), :meth:`read_months` (the
    months whose current files the batch's work depends on), :meth:`stage` (a file of rows of a DuckDB query on
    ``con``), :meth:`add` (a lake table's file, recorded with the batch), :meth:`spans` (the months of current
    files), :meth:`rewrite` (current files holding corrected rows written again, corrected, superseding them
    with :meth:`supersede_files`) and :meth:`on_record` (other ledger rows that refer to a staged file). Then,
    in the batch's transaction: :meth:`check_unchanged` and :meth:`record`; after the commit, :meth:`publish`."""

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection, folder: Path, *, view: sa.Connection):
        self.store, self.con, self.folder, self.view = store, con, folder, view
        self._pending: list[tuple[Path, Staged]] = []  # staged file in the folder, what it is
        self._recordings: list[Recording] = []
        self._based_on: dict[tuple[str, str], set[str]] = {}  # (table, month) -> the current files then
        self.named: dict[str, str] = {}  # paths under the lake of the files recorded, to publish -> their SHA-256

    # -- stage ------------------------------------------------------------------------------------------
    def current_meeting(self, table: str, months: list[str], column: str, low: Any, high: Any) -> list[Path]:
        """The current files of ``table`` holding rows of ``months`` whose ``column`` may hold a value of
        ``[low, high]`` (:func:`key_range`), checked against their digests; the others are neither read nor hashed
        (a region's batch does not hash the province's lake)."""
        listed = self.store.active_files(table, months, con=self.view, verify=False)
        meeting = [p for p in listed if may_hold(p, column, low, high)]
        check_listed(self.store, meeting, con=self.view)
        return meeting

    def read_months(self, table: str, months: list[str]) -> None:
        """The batch's work on ``months`` of ``table`` depends on their current files: :meth:`check_unchanged`
        refuses the batch when another one changed them meanwhile."""
        spans = active_spans(self.store, table, months, verify=False, con=self.view)  # names only
        for month in months:
            self._based_on[(table, month)] = {str(f) for f, first, last in spans if first <= month <= last}

    def spans(self, table: str, paths: list[Path]) -> list[tuple[Path, str, str]]:
        """The current files ``paths`` of ``table`` with the first and last month each holds."""
        wanted = set(paths)
        if not wanted:
            return []
        return [span for span in active_spans(self.store, table, None, verify=False, con=self.view)
                if span[0] in wanted]

    def stage(self, select: str, template: str, params: dict[str, object] | None = None, *,
              reuse: Path | None = None, copy: Path | None = None, digest: integrity.Digest | None = None) -> Staged:
        """Stage the rows of ``select`` as a lake file (``template``: its path with ``{batch}``), in the lake's
        format; ``reuse``: a file already written in that format with exactly these rows, moved instead (``digest``:
        its size and SHA-256, taken as it was written); ``copy``: such a file that is not ours (a batch's file as
        sent), copied."""
        target = self.folder / "pending" / f"{len(self._pending)}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        if reuse is not None:
            shutil.move(reuse, target)
        elif copy is not None:
            try:
                shutil.copyfile(copy, target)
            except OSError as e:  # (shutil names the file copied: the disk that failed is the staging folder's)
                raise OSError(e.errno, e.strerror, str(target)) from e
        else:
            escaped = str(target).replace("'", "''")
            self.con.execute(f"COPY ({select}) TO '{escaped}' ({LAKE_PARQUET})", params or {})
        return self._staged(target, template, digest if reuse is not None else None)

    def _staged(self, staged: Path, template: str, digest: integrity.Digest | None = None) -> Staged:
        """Add a staged file to the batch. Its size and SHA-256 are read back now, before the ledger
        transaction (DuckDB cannot hash while it writes; the file is still in the page cache), unless ``digest``
        has them from when it was written (a file Dianta wrote itself through a hashing sink, of this size), and
        recorded with the row that refers to it (:mod:`dianta.ledger.integrity`)."""
        if digest is None or digest.size_bytes != staged.stat().st_size:
            digest = integrity.file_digest(staged)
        entry = Staged(template, digest)
        self._pending.append((staged, entry))
        return entry

    def add(self, table: str, select: str, months: list[str], n_rows: int, *, reuse: Path | None = None,
            reuse_digest: integrity.Digest | None = None, copy: Path | None = None,
            rolled_up: str | Path | None = None, rolled_digest: integrity.Digest | None = None) -> None:
        """Stage the rows of ``select`` as the file of ``table`` holding ``months`` (one month, or a run of
        consecutive months of a year), ``n_rows`` rows, and record it as current with the batch; ``rolled_up``:
        the rows of its roll-up (:data:`ROLLUPS`) where the caller has them already (SQL, or a file in the lake's
        form holding exactly them, moved; ``rolled_digest``: its size and SHA-256 where hashed as it was written),
        else they are read from the staged file."""
        suffix = f"-to-{months[-1]}" if len(months) > 1 else ""
        staged = self.stage(select, f"{table}/month={months[0]}/b{{batch}}{suffix}.parquet", reuse=reuse, copy=copy,
                            digest=reuse_digest)
        self._register(table, staged, months, n_rows)
        self._roll_up(table, self._pending[-1][0], staged, months, rolled_up, rolled_digest)

    def _roll_up(self, table: str, path: Path, staged: Staged, months: list[str], select: str | Path | None = None,
                 digest: integrity.Digest | None = None) -> None:
        """The roll-up of the staged file ``path`` of ``table`` (:data:`ROLLUPS`; the rows of ``select`` where
        given: the same rows, summed while the batch was checked), staged and recorded beside it: its path is the
        file's with the roll-up table's name, it holds the same months."""
        if table not in ROLLUPS:
            return
        rollup, from_file = ROLLUPS[table]
        target = self.folder / "pending" / f"{len(self._pending)}.parquet"
        if isinstance(select, Path):
            shutil.move(select, target)
            n_rows = pq.ParquetFile(target).metadata.num_rows
        else:
            escaped = str(target).replace("'", "''")
            n_rows = self.con.execute(f"COPY ({select or from_file}) TO '{escaped}' ({LAKE_PARQUET})",
                                      {} if select else {"file": str(path)}).fetchall()[0][0]
        template = rollup + staged.template.removeprefix(table)
        self._register(rollup, self._staged(target, template, digest if isinstance(select, Path) else None), months,
                       int(n_rows))

    def rewrite(self, table: str, files: list[Path], select: str) -> None:
        """Supersede the current files ``files`` of ``table`` (checked against their digests when they were
        read) and write the rows of ``select`` (SQL over ``$files``: their rows, corrected) in their place, a
        file per month, in one pass."""
        self.supersede_files(table, files)
        folder = self.folder / "pending" / f"part{len(self._pending)}"
        folder.parent.mkdir(parents=True, exist_ok=True)
        escaped = str(folder).replace("'", "''")
        self.con.execute(f"COPY (SELECT *, strftime(ts, '%Y-%m') AS month FROM ({select})) TO '{escaped}' "
                         f"({LAKE_PARQUET}, PARTITION_BY (month))", {"files": [str(f) for f in files]})
        for month_dir in sorted(folder.glob("month=*")):
            month = month_dir.name.removeprefix("month=")
            for i, path in enumerate(sorted(month_dir.glob("*.parquet"))):
                # (named apart from the batch's new rows of the month, which go to files of their own)
                staged = self._staged(path, f"{table}/month={month}/b{{batch}}-corrected"
                                            f"{'' if i == 0 else f'-{i}'}.parquet")
                self._register(table, staged, [month], pq.ParquetFile(path).metadata.num_rows)
                self._roll_up(table, path, staged, [month])

    def _register(self, table: str, staged: Staged, months: list[str], n_rows: int) -> None:
        lf, d = schema.lake_files, staged.digest
        self.on_record(lambda tx, batch_id: tx.execute(lf.insert().values(
            path=staged.path(batch_id), table_name=table, month=months[0], month_to=months[-1], batch_id=batch_id,
            n_rows=n_rows, state="active", size_bytes=d.size_bytes, sha256=d.sha256)))

    def supersede_files(self, table: str, files: list[Path]) -> None:
        """The current files ``files`` of ``table`` are superseded by the batch (and their roll-ups,
        :data:`ROLLUPS`, with them)."""
        lf = schema.lake_files
        if table in ROLLUPS:
            rollup = ROLLUPS[table][0]
            self.supersede_files(rollup, [self.store.lake / rollup / f.relative_to(self.store.lake / table)
                                          for f in files])
        rels = [f.relative_to(self.store.lake).as_posix() for f in files]
        self.on_record(lambda tx, batch_id: tx.execute(
            lf.update().where(lf.c.table_name == table, lf.c.state == "active", lf.c.path.in_(rels))
            .values(state="superseded", superseded_by=batch_id)))

    def on_record(self, work: Recording) -> None:
        """Run ``work`` (transaction, batch id) in :meth:`record`: a ledger row that refers to a staged file."""
        self._recordings.append(work)

    # -- record, in the batch's transaction ---------------------------------------------------------------
    def check_unchanged(self, tx: sa.Connection) -> None:
        """Refuse (:class:`Conflict`) when another batch changed, since the snapshot the batch was staged
        against, the current files of the months it read (``tx``: under the write lock)."""
        for (table, month), files in self._based_on.items():
            if {str(f) for f in self.store.active_files(table, [month], verify=False, con=tx)} != files:
                raise Conflict.of("lake_changed_meanwhile", table=table, month=month)

    def record(self, tx: sa.Connection, batch_id: int) -> None:
        """Give the staged files their names (under the staging folder, as in the lake) and write the ledger
        rows that refer to them, in the transaction ``tx`` of batch ``batch_id``."""
        for staged, entry in self._pending:
            rel_path = entry.path(batch_id)
            _move(staged, self.folder / rel_path)
            self.named[rel_path] = entry.digest.sha256
        for work in self._recordings:
            work(tx, batch_id)

    # -- publish, after the commit ------------------------------------------------------------------------
    def publish(self, *, midway: Callable[[], None] | None = None) -> None:
        """Rename the recorded files into the lake (after the ledger commit); ``midway`` runs when half are
        (a crash point for tests)."""
        for i, rel_path in enumerate(self.named):
            if i == len(self.named) // 2 and midway is not None:
                midway()
            _move(self.folder / rel_path, self.store.lake / rel_path)
        # hashed when staged: a compute in another process need not hash them again (integrity.DigestMemory)
        memory = digest_memory(self.store)
        if memory is not None:
            seen = []
            for rel_path, sha256 in self.named.items():
                try:
                    seen.append((rel_path, integrity.stat_key(self.store.lake / rel_path), sha256))
                except OSError:
                    continue  # (gone meanwhile: hashed when read, and found missing)
            memory.remember(seen)
