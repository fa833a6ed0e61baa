"""Interval readings sent in meter and time order, summarised in one streaming pass (issue 18: ingest at the speed
of a plain load, roll-ups included).

A grid export lists each meter's readings together, in time order, meters in the order of their ids. Such a file
needs no hash aggregate to be summed per meter and hour: an hour's readings are consecutive rows, so the hour
sums are segment sums over the rows as they come, row group by row group, on both cores. One pass over the
file gives the lake's roll-up (``interval_hourly``, ledger/lake.py ``ROLLUPS``: kWh, largest 15-minute kWh,
readings and the four quarter-hours' kWh per meter and hour), written straight to a Parquet file, and the day
summary the checks need (ingest/validate.py ``_summarise_readings``).

The pass only stands in for the DuckDB summary where the outcome is certain: every meter id present, trimmed,
non-empty and within the text limit, every timestamp on the quarter-hour grid at or after 1970, every kWh finite
and ≥ 0, each meter's readings in one run of rows in strictly increasing time (so no key repeats). Anything else
(or a file not in the lake's column types) returns None and the batch is summarised by DuckDB as before, which
names every failing row. Meters in ascending id order give the roll-up in the lake's order as it is written; in
another order it is sorted afterwards (ingest/validate.py: a quarter of the rows).

Measured (N = 1,000, 35 M readings, 2 cores): 2.0 s for the pass with the roll-up written, against 9.9 s for the
hash aggregate and 5.3 s for writing its roll-up in order. An earlier single-threaded NumPy pass over whole row
groups was slower than DuckDB: on this machine fresh memory costs page faults, so the batches of a million rows
(arrays the allocator reuses) and the two threads are what make it fast."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dianta.ledger.integrity import Digest, HashingFile, copy_digest

HOUR_US = 3_600_000_000
QUARTER_US = 900_000_000
#: the roll-up's columns and types: those DuckDB gives ledger/lake.py ROLLUPS' query
ROLLUP_SCHEMA = pa.schema([("meter_id", pa.string()), ("hour", pa.timestamp("us")), ("kwh", pa.float64()),
                           ("peak_kwh", pa.float64()), ("n", pa.int64()), ("q1_kwh", pa.float64()),
                           ("q2_kwh", pa.float64()), ("q3_kwh", pa.float64()), ("q4_kwh", pa.float64())])
#: the day summary handed to the checks (ingest/validate.py ``summary_interval_readings`` before its sums)
DAY_SCHEMA = pa.schema([("meter_id", pa.string()), ("day", pa.int64()), ("n", pa.int64()), ("kwh", pa.float64()),
                        ("first_us", pa.int64()), ("last_us", pa.int64())])
_READ = ("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("kwh", pa.float64())
#: rows read per task: a few million, so that two tasks keep both cores busy and memory stays ~0.3 GB per task
_TASK_ROWS = 4_000_000
#: the roll-up's encodings, as DuckDB's PARQUET_VERSION v2 chooses them (ledger/lake.py LAKE_PARQUET): ids and
#: reading counts by dictionary, hours as deltas, kWh split by byte (sums of 3-decimal kWh compress so; 40 % faster
#: to write than plain, a fifth smaller)
_ROLLUP_ENCODINGS: dict[str, object] = {
    "use_dictionary": ["meter_id", "n"],
    "column_encoding": {"hour": "DELTA_BINARY_PACKED",
                        **dict.fromkeys(("kwh", "peak_kwh", "q1_kwh", "q2_kwh", "q3_kwh", "q4_kwh"),
                                        "BYTE_STREAM_SPLIT")}}
#: rows summed at a time within a task
_BATCH_ROWS = 1 << 20
#: the roll-up's row groups: DuckDB's size, so that compute's meter-range pruning is as fine as for its files
_ROLLUP_ROW_GROUP = 122_880


class _NotSorted(Exception):
    """The file is not in the form this pass serves: DuckDB summarises it."""


@dataclass(slots=True)
class _Part:
    """Consecutive rows summarised: their roll-up (:data:`ROLLUP_SCHEMA`) and day summary; their first and last
    row (meter, µs) and their runs of meters, to be joined with the neighbouring rows'."""

    rollup: pa.Table
    days: pa.Table
    first: tuple[str, int]
    last: tuple[str, int]
    runs: list[str]  # the meter of each run of consecutive rows, in order


def _meter_codes(column: pa.ChunkedArray, max_text: int) -> tuple[list[str], np.ndarray]:
    """The meter ids of a column as a list and an int32 code per row into it; _NotSorted when an id could fail a
    check (missing, empty, not trimmed, too long: counted in bytes, never fewer than characters)."""
    chunks = [c if isinstance(c, pa.DictionaryArray) else c.dictionary_encode() for c in column.chunks]
    if column.null_count or any(c.dictionary.null_count for c in chunks):
        raise _NotSorted
    if len(chunks) == 1:  # one row group: its dictionary's codes as they are
        meters = chunks[0].dictionary.to_pylist()
        _check_ids(meters, max_text)
        return meters, chunks[0].indices.to_numpy()
    index: dict[str, int] = {}
    codes = []
    for chunk in chunks:
        values = chunk.dictionary.to_pylist()
        _check_ids(values, max_text)
        lut = np.fromiter((index.setdefault(v, len(index)) for v in values), np.int32, len(values))
        codes.append(lut[chunk.indices.to_numpy()])
    return list(index), (np.concatenate(codes) if codes else np.zeros(0, np.int32))


def _check_ids(values: list[str], max_text: int) -> None:
    for value in values:
        if not value or value != value.strip() or len(value.encode()) > max_text:
            raise _NotSorted


def _numbers(column: pa.ChunkedArray, dtype: type) -> np.ndarray:
    """A column without nulls as one array (not copied when it is one chunk: read-only then)."""
    if column.null_count:
        raise _NotSorted
    arrays = [c.to_numpy() for c in column.chunks]
    out = arrays[0] if len(arrays) == 1 else np.concatenate(arrays) if arrays else np.zeros(0, dtype)
    return out.view(dtype)


def _summarise(table: pa.Table, max_text: int) -> _Part:
    """One task's rows (meter_id, ts, kwh) per meter and hour and per meter and day; _NotSorted where they are not
    clean and in order."""
    meters, m = _meter_codes(table.column("meter_id"), max_text)
    t = _numbers(table.column("ts"), np.int64)
    k = _numbers(table.column("kwh"), np.float64)
    if not len(t):
        raise _NotSorted
    if not (k.min() >= 0 and k.max() < np.inf):  # (NaN fails both)
        raise _NotSorted
    quarter = t // QUARTER_US  # quarter-hours since 1970: one division gives grid, hour and quarter
    if t.min() < 0 or not np.array_equal(quarter * QUARTER_US, t):
        raise _NotSorted
    hour = quarter >> 2
    new_meter = m[1:] != m[:-1]
    if not ((t[1:] > t[:-1]) | new_meter).all():  # each meter's readings in strictly increasing time
        raise _NotSorted
    runs = np.flatnonzero(new_meter) + 1
    run_meters = [meters[c] for c in m[np.concatenate(([0], runs))]]
    new_group = np.empty(len(t), bool)
    new_group[0] = True
    np.logical_or(new_meter, hour[1:] != hour[:-1], out=new_group[1:])
    starts = np.flatnonzero(new_group)
    n = np.diff(np.append(starts, len(t)))
    kwh = np.add.reduceat(k, starts)
    peak = np.maximum.reduceat(k, starts)
    if (n == 4).all():  # whole hours (the usual case): the quarter-hours are the rows in order
        quarters = k.reshape(-1, 4)
    else:
        flat = np.full(len(starts) * 4, np.nan)
        flat[np.repeat(np.arange(len(starts)) * 4, n) + (quarter & 3)] = k
        quarters = flat.reshape(-1, 4)
    hour_meter, hours = m[starts], hour[starts]
    rollup = _rollup_table(meters, hour_meter, hours, kwh, peak, n, quarters, whole=len(quarters) * 4 == len(k))
    # per day: the hours' segments again (an hour's rows never straddle a day)
    day = hours // 24
    new_day = np.empty(len(starts), bool)
    new_day[0] = True
    np.logical_or(hour_meter[1:] != hour_meter[:-1], day[1:] != day[:-1], out=new_day[1:])
    day_starts = np.flatnonzero(new_day)
    day_ends = np.append(day_starts[1:], len(starts))
    row_ends = np.append(starts[1:], len(t))
    days = pa.table({
        "meter_id": pa.DictionaryArray.from_arrays(hour_meter[day_starts], pa.array(meters, pa.string())),
        "day": day[day_starts], "n": np.add.reduceat(n, day_starts), "kwh": np.add.reduceat(kwh, day_starts),
        "first_us": t[starts[day_starts]], "last_us": t[row_ends[day_ends - 1] - 1]})
    return _Part(rollup, days, (meters[m[0]], int(t[0])), (meters[m[-1]], int(t[-1])), run_meters)


def _tasks(meta: pq.FileMetaData) -> list[list[int]]:
    """The row groups in runs of about :data:`_TASK_ROWS` rows (a DuckDB file has 122,880-row groups)."""
    tasks: list[list[int]] = []
    rows = 0
    for g in range(meta.num_row_groups):
        if not tasks or rows >= _TASK_ROWS:
            tasks.append([])
            rows = 0
        tasks[-1].append(g)
        rows += meta.row_group(g).num_rows
    return tasks


def _rollup_table(meters: list[str], hour_meter: np.ndarray, hours: np.ndarray, kwh: np.ndarray, peak: np.ndarray,
                  n: np.ndarray, quarters: np.ndarray, *, whole: bool) -> pa.Table:
    """Roll-up rows (:data:`ROLLUP_SCHEMA`) from per-hour arrays; ``whole``: every hour has its four readings (no
    quarter-hour is missing: no mask to build)."""
    return pa.Table.from_arrays([
        pa.DictionaryArray.from_arrays(pa.array(hour_meter, pa.int32()), pa.array(meters, pa.string()))
        .cast(pa.string()),
        pa.array(hours * HOUR_US, pa.int64()).cast(pa.timestamp("us")), pa.array(kwh, pa.float64()),
        pa.array(peak, pa.float64()), pa.array(n, pa.int64()),
        *(pa.array(np.ascontiguousarray(quarters[:, i]), pa.float64(),
                   mask=None if whole else np.isnan(quarters[:, i])) for i in range(4))], schema=ROLLUP_SCHEMA)


def _join(before: _Part, after: _Part) -> None:
    """``after`` continuing ``before`` (the next rows of the file): checked for order; an hour the two share is
    counted once, in ``after`` (moved there from ``before``'s roll-up, so that it may go on into the next rows: a
    file's roll-up holds each meter and hour once)."""
    (m0, t0), (m1, t1) = before.last, after.first
    if m1 != m0:
        return
    if t1 <= t0:
        raise _NotSorted
    after.runs = after.runs[1:]  # the same run
    if t1 // HOUR_US != t0 // HOUR_US:
        return
    last = before.rollup.num_rows - 1
    a, b = before.rollup.slice(last).to_pylist()[0], after.rollup.slice(0, 1).to_pylist()[0]
    merged = {**a, "kwh": a["kwh"] + b["kwh"], "peak_kwh": max(a["peak_kwh"], b["peak_kwh"]), "n": a["n"] + b["n"],
              **{q: a[q] if b[q] is None else b[q] for q in ("q1_kwh", "q2_kwh", "q3_kwh", "q4_kwh")}}
    before.rollup = before.rollup.slice(0, last)
    after.rollup = pa.concat_tables([pa.Table.from_pylist([merged], schema=ROLLUP_SCHEMA), after.rollup.slice(1)])


@dataclass(frozen=True, slots=True)
class SortedSummary:
    """What :func:`summarise_sorted` gives: the day summary (:data:`DAY_SCHEMA`; a (meter, day) may appear twice
    where a task ended inside it: sum them) and whether the meters came in ascending id order (the roll-up is then
    in meter and hour order; otherwise in the file's order of meters, to be sorted)."""

    days: pa.Table
    in_meter_order: bool
    rollup_digest: Digest  # the roll-up file's size and SHA-256, as written


def summarise_sorted(path: Path, rollup: Path, *, max_text: int, workers: int | None = None) -> SortedSummary | None:
    """The day summary of the readings file ``path``, its roll-up written to ``rollup`` (:data:`ROLLUP_SCHEMA`,
    each meter's hours in order, snappy); None, and no file, when the file is not clean with each meter's readings
    in one run in time order (module doc)."""
    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    for name, kind in _READ:
        if schema.get_field_index(name) < 0 or schema.field(name).type != kind:
            return None
    tasks = _tasks(pf.metadata)
    if not tasks:
        return None
    run = _TaskReader(path, pf, max_text)
    days: list[pa.Table] = []
    runs = _Runs()
    try:
        with ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1)) as pool, \
                _Writer(rollup) as writer:
            held: _Part | None = None
            for part in _in_order(pool, run, tasks):
                if held is not None:
                    _join(held, part)
                    if held.rollup.num_rows:
                        writer.put(held.rollup)
                runs.add(part.runs)
                days.append(part.days)
                held = part
            assert held is not None
            writer.put(held.rollup)
        assert writer.digest is not None  # (written, or the error was raised)
    except _NotSorted:
        rollup.unlink(missing_ok=True)
        return None
    except BaseException:
        rollup.unlink(missing_ok=True)
        raise
    return SortedSummary(pa.concat_tables([d.cast(DAY_SCHEMA) for d in days]), runs.ascending, writer.digest)


class _TaskReader:
    """A task's row groups read and summed (called in the pool's threads, each with a reader of its own)."""

    def __init__(self, path: Path, pf: pq.ParquetFile, max_text: int):
        self.path, self.max_text = path, max_text
        self.local = threading.local()
        # meter ids read as dictionary codes where Arrow can (not from DELTA_* pages, as DuckDB writes strings)
        column = pf.schema_arrow.get_field_index("meter_id")
        self.coded = all(not any(e.startswith("DELTA") for e in pf.metadata.row_group(g).column(column).encodings)
                         for g in range(pf.metadata.num_row_groups))

    def __call__(self, groups: list[int]) -> _Part:
        reader = getattr(self.local, "reader", None)
        if reader is None:
            reader = self.local.reader = pq.ParquetFile(self.path,
                                                        read_dictionary=["meter_id"] if self.coded else None)
        # in batches of ~1 M rows: arrays of a few MB, reused by the allocator (on a VM, fresh memory costs more
        # in page faults than the sums themselves) and kept in the processor's cache
        parts = [_summarise(pa.Table.from_batches([b]), self.max_text) for b in reader.iter_batches(
            _BATCH_ROWS, row_groups=groups, columns=[n for n, _ in _READ], use_threads=False)]
        if not parts:  # (row groups without rows)
            raise _NotSorted
        for before, after in zip(parts, parts[1:], strict=False):
            _join(before, after)
        return _Part(pa.concat_tables([p.rollup for p in parts]), pa.concat_tables([p.days for p in parts]),
                     parts[0].first, parts[-1].last, [m for p in parts for m in p.runs])


class _Runs:
    """The runs of meters met so far: each meter in one run (a meter met again has readings elsewhere in the
    file), and whether they came in ascending id order."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.ascending = True
        self.previous = ""

    def add(self, meters: list[str]) -> None:
        for meter in meters:
            if meter in self.seen:
                raise _NotSorted
            self.seen.add(meter)
            self.ascending = self.ascending and meter > self.previous
            self.previous = meter


class CopyInBackground:
    """A file copied in a thread of its own, hashed as it is copied (the batch's readings file in the lake's form,
    copied while the pass reads it: the copy, its size and SHA-256 are ready when the pass is, ledger/lake.py
    stages it as it is)."""

    def __init__(self, source: Path, target: Path):
        self.source, self.target = source, target
        self._digest: Digest | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="copy-as-sent", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._digest = copy_digest(self.source, self.target)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            self._error = OSError(e.errno, e.strerror, str(self.target)) \
                if isinstance(e, OSError) and e.filename is None else e

    def result(self) -> Digest:
        """The copy's size and SHA-256, once it is made; the error that stopped it, raised here."""
        self._thread.join()
        if self._error is not None:
            self.target.unlink(missing_ok=True)
            raise self._error
        assert self._digest is not None
        return self._digest

    def discard(self) -> None:
        """Not wanted after all: waited for and removed (an error copying it no longer matters)."""
        self._thread.join()
        self.target.unlink(missing_ok=True)


class _Writer:
    """The roll-up's Parquet file written in a thread of its own (encoding a task's roll-up takes as long as
    summing it), tables handed over in order through a short queue; the writer's error is raised in the caller."""

    def __init__(self, path: Path):
        self.path = path
        self.queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.digest: Digest | None = None  # its size and SHA-256, once written
        self.thread = threading.Thread(target=self._run, name="rollup-writer", daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, table: pa.Table) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(table)

    def _run(self) -> None:
        try:
            with HashingFile(self.path) as sink, pq.ParquetWriter(
                    sink, ROLLUP_SCHEMA, compression="snappy", store_schema=False, **_ROLLUP_ENCODINGS) as writer:
                while (table := self.queue.get()) is not None:
                    writer.write_table(table, row_group_size=_ROLLUP_ROW_GROUP)
            self.digest = sink.digest
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            # Arrow's error names no file: the file it was writing is named (ledger/failures.py finds the disk)
            self.error = OSError(e.errno, e.strerror or str(e), str(self.path)) \
                if isinstance(e, OSError) and e.filename is None else e
            while self.queue.get() is not None:  # let the caller finish putting
                pass

    def __exit__(self, *exc: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc[0] is None:
            raise self.error


def _in_order(pool: ThreadPoolExecutor, run: _TaskReader, tasks: list[list[int]]) -> Iterator[_Part]:
    """The tasks' results in file order, at most two tasks ahead of the one consumed (bounded memory); the
    remaining tasks are cancelled when the consumer stops early."""
    ahead = 2
    pending: list[Future[_Part]] = [pool.submit(run, t) for t in tasks[:ahead]]
    following = iter(tasks[ahead:])
    try:
        while pending:
            part = pending.pop(0).result()
            nxt = next(following, None)
            if nxt is not None:
                pending.append(pool.submit(run, nxt))
            yield part
    finally:
        for f in pending:
            f.cancel()
