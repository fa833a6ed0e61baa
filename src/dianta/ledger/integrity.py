"""Integrity of the lake (issue 13): a changed bit in a lake file must never become a published number.

Every lake file the ledger refers to (a lake table's Parquet file in ``lake_files``, the rows of a ``--partial``
batch kept as Parquet in ``quarantine``, the old values of corrected lake rows in a ``lake:`` history row) has
its size and SHA-256 recorded when it is staged, in the transaction that commits the row referring to it.
Before lake files are read (compute on either engine, a batch's checks and corrections, the quarantine
export) :func:`check` compares each with its record and raises :class:`LakeCorrupt` naming every file that is
missing, of another size or another digest; nothing is read from the lake then. ``dianta lake verify`` checks
every file of a store (:func:`verify_store`); backups carry the same SHA-256 in their manifest
(dianta.ledger.backup refuses to back up, or to restore, a file that differs from its record).

The cost: a file is hashed once per process. The digest is kept for (path, device, inode, size, modification
and change time), which a write, a copy back or a rename changes, so a second use of an unchanged file in the
same run (the API server computing again) costs a ``stat``. Files are hashed on up to four threads (hashlib
releases the GIL). SHA-256, as the backup manifest, so the two digests of a file are the same value.

Files published before digests were recorded (migration 0009) have none: a read of one is refused until
``dianta lake verify --record`` records them as they are now (the migration does not read the lake, which may
be large, and on a PostgreSQL ledger is not known to it).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from dianta.errors import LakeCorrupt
from dianta.ledger import schema

if TYPE_CHECKING:
    from dianta.ledger.store import Store

BLOCK = 1 << 20
#: files named in a refusal (the exception's ``paths`` holds them all)
SHOWN = 5
_THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True, slots=True)
class Digest:
    """What a file is: its size [bytes] and SHA-256 (hex)."""

    size_bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class LakeFile:
    """A lake file the ledger refers to: ``rel``, its path relative to the lake root (how it is named to the
    user), and the size and SHA-256 recorded when it was published (None: published before they were)."""

    rel: str
    size_bytes: int | None
    sha256: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a lake file cannot be used: ``kind`` is missing, unreadable, size, digest, unrecorded or
    unreferenced."""

    rel: str
    kind: str
    text: str


@dataclass(slots=True)
class LakeReport:
    """What :func:`verify_store` found: ``files`` checked (``size_bytes`` in all), each problem, and the files
    whose digests ``--record`` recorded now (they had none)."""

    files: int
    size_bytes: int
    problems: list[Problem] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _blocks(path: Path) -> Iterator[memoryview]:
    """``path`` read once, a block at a time (each block valid until the next is read)."""
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as f:
        while n := f.readinto(buffer):
            yield view[:n]


def file_digest(path: Path) -> Digest:
    """Read ``path`` once: its size and SHA-256."""
    h = hashlib.sha256()
    size = 0
    for block in _blocks(path):
        h.update(block)
        size += len(block)
    return Digest(size, h.hexdigest())


class HashingFile(io.RawIOBase):
    """A file written once, hashed as it is written (:attr:`digest` once closed): a file Dianta writes itself need
    not be read back to be recorded (ledger/lake.py ``BatchFiles.stage``)."""

    def __init__(self, path: Path):
        super().__init__()
        self._file = path.open("wb")
        self._sha256 = hashlib.sha256()
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._sha256.update(data)
        self._size += len(data)
        return self._file.write(data)

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()

    @property
    def digest(self) -> Digest:
        """The size and SHA-256 of what was written."""
        return Digest(self._size, self._sha256.hexdigest())


def copy_digest(source: Path, target: Path) -> Digest:
    """Copy ``source`` to ``target``, reading it once: the copy's size and SHA-256."""
    with HashingFile(target) as out:
        for block in _blocks(source):
            out.write(block)
    return out.digest


#: path -> (what ``stat`` said of the file when it was hashed, its SHA-256): one entry per path
_seen: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}
_seen_lock = threading.Lock()


def _key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class DigestMemory:
    """What this store's processes hashed (or wrote) lately, kept across processes (issue 18: a compute in a new
    process need not hash again the files its ingest just wrote and hashed): per lake file, what ``stat`` said of
    it then and its SHA-256, signed with a secret of the store kept outside the lake (an entry cannot be made
    for a file changed since: its change time moved, and the signature needs the secret). Trusted for
    :data:`MEMORY_HOURS`; ``dianta lake verify`` hashes every file whatever it holds. A cache: when it cannot be
    read or written, the files are hashed (nothing else changes)."""

    def __init__(self, path: Path, secret: str):
        self.path, self._key = path, secret.encode()
        self._lock = threading.Lock()

    def _sign(self, rel: str, key: tuple[int, ...], sha256: str, at: float) -> str:
        return hmac.new(self._key, json.dumps([rel, list(key), sha256, at]).encode(), hashlib.sha256).hexdigest()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=5)
        os.chmod(self.path, 0o600)  # (in the store's private temporary folder, and private itself)
        con.execute("CREATE TABLE IF NOT EXISTS seen (rel TEXT PRIMARY KEY, stat TEXT NOT NULL, "
                    "sha256 TEXT NOT NULL, at REAL NOT NULL, mac TEXT NOT NULL)")
        return con

    def recall(self, rel: str, key: tuple[int, ...]) -> str | None:
        """The SHA-256 remembered for ``rel`` while ``stat`` still says ``key``, within the time trusted."""
        try:
            with self._lock, closing(self._connect()) as con:
                row = con.execute("SELECT stat, sha256, at, mac FROM seen WHERE rel = ?", (rel,)).fetchone()
        except (OSError, sqlite3.Error):
            return None
        if row is None or row[0] != json.dumps(list(key)) or time.time() - row[2] > MEMORY_HOURS * 3600:
            return None
        return row[1] if hmac.compare_digest(row[3], self._sign(rel, key, row[1], row[2])) else None

    def remember(self, entries: Sequence[tuple[str, tuple[int, ...], str]]) -> None:
        """Remember (lake path, ``stat`` key, SHA-256) of files just hashed or written."""
        if not entries:
            return
        at = time.time()
        rows = [(rel, json.dumps(list(key)), sha, at, self._sign(rel, key, sha, at)) for rel, key, sha in entries]
        try:
            with self._lock, closing(self._connect()) as con, con:
                con.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)", rows)
        except (OSError, sqlite3.Error):
            pass  # a cache: the files are hashed again next time


#: hours a :class:`DigestMemory` entry is trusted (after that the file is hashed again)
MEMORY_HOURS = 24


def stat_key(path: Path) -> tuple[int, int, int, int, int]:
    """What ``stat`` says of ``path`` that any change to it moves (the change time cannot be set back)."""
    return _key(path.stat())


def current_digest(path: Path, *, fresh: bool = False, memory: DigestMemory | None = None, rel: str = ""
                   ) -> Digest:
    """The size and SHA-256 of ``path`` now, hashed once per process while the file stays as it is, or once
    across processes with the store's ``memory`` (``rel``: its path in the lake) (``fresh``: hashed again whatever
    was seen before). Raises OSError when it cannot be read."""
    st = path.stat()
    key = _key(st)
    if not fresh:
        with _seen_lock:
            seen = _seen.get(str(path))
        if seen is not None and seen[0] == key:
            return Digest(st.st_size, seen[1])
        remembered = memory.recall(rel, key) if memory is not None else None
        if remembered is not None:
            with _seen_lock:
                _seen[str(path)] = (key, remembered)
            return Digest(st.st_size, remembered)
    digest = file_digest(path)
    if digest.size_bytes == st.st_size and _key(path.stat()) == key:  # not changed while it was read
        with _seen_lock:
            _seen[str(path)] = (key, digest.sha256)
        if memory is not None:
            memory.remember([(rel, key, digest.sha256)])
    return digest


def _problem(path: Path, record: LakeFile, fresh: bool, memory: DigestMemory | None = None) -> Problem | None:
    rel = record.rel
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            return Problem(rel, "unreadable", f"{rel} is not a file")
        if record.size_bytes is None or record.sha256 is None:
            return Problem(rel, "unrecorded", f"{rel} has no digest recorded (it was published before Dianta "
                                              "recorded them)")
        if st.st_size != record.size_bytes:
            return Problem(rel, "size", f"{rel} has {st.st_size:,} bytes where {record.size_bytes:,} were "
                                        "published")
        digest = current_digest(path, fresh=fresh, memory=memory, rel=rel)
    except FileNotFoundError:
        return Problem(rel, "missing", f"{rel} is missing")
    except OSError as exc:
        return Problem(rel, "unreadable", f"{rel} cannot be read ({exc.strerror})")
    if digest.sha256 != record.sha256:
        return Problem(rel, "digest", f"{rel} has changed since it was published (SHA-256 {digest.sha256[:16]}…, "
                                      f"recorded {record.sha256[:16]}…)")
    return None


def problems(lake: Path, files: Iterable[LakeFile], *, fresh: bool = False, memory: DigestMemory | None = None
             ) -> list[Problem]:
    """Each of ``files`` (under the lake root ``lake``) that is missing, unreadable, of another size or
    SHA-256 than recorded, or has no record; in the order given (``memory``: the store's :class:`DigestMemory`)."""
    unique = list(dict.fromkeys(files))
    if len(unique) <= 1:
        found = [_problem(lake / f.rel, f, fresh, memory) for f in unique]
    else:
        with ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="lake-digest") as pool:
            found = list(pool.map(lambda f: _problem(lake / f.rel, f, fresh, memory), unique))
    return [p for p in found if p is not None]


def refusal(found: list[Problem], *, outcome: str = "Nothing was read from the lake") -> LakeCorrupt:
    """The error for lake files that cannot be used: names them, says ``outcome`` and what to do."""
    named = "; ".join(p.text for p in found[:SHOWN]) + (f"; and {len(found) - SHOWN} more" if len(found) > SHOWN
                                                         else "")
    todo = []
    if any(p.kind != "unrecorded" for p in found):
        todo.append("restore the file from a backup (copy it from the backup folder's lake/ into the store's lake, "
                    "or `dianta restore` the backup into a new store)")
    if any(p.kind == "unrecorded" for p in found):
        todo.append("record the digests of such files as they are now with `dianta lake verify --record` "
                    "(compare them with a backup first if in doubt)")
    return LakeCorrupt(f"a lake file cannot be used: {named}. {outcome}; "
                       f"{' and '.join(todo)}, then check the whole lake with `dianta lake verify`",
                       [p.rel for p in found])


def check(lake: Path, files: Iterable[LakeFile], *, memory: DigestMemory | None = None) -> None:
    """Raise :class:`LakeCorrupt` unless every one of ``files`` is as recorded when it was published."""
    found = problems(lake, files, memory=memory)
    if found:
        raise refusal(found)


def referenced(con: sa.Connection) -> list[LakeFile]:
    """Every lake file the ledger refers to, with its record: lake table files (current and superseded),
    quarantined rows kept as Parquet and the old values of corrected lake rows; sorted by path."""
    lf, qt, h = schema.lake_files, schema.quarantine, schema.history
    out = [LakeFile(*r) for r in con.execute(sa.select(lf.c.path, lf.c.size_bytes, lf.c.sha256))]
    out += [LakeFile(*r) for r in con.execute(sa.select(qt.c.parquet_path, qt.c.size_bytes, qt.c.sha256)
                                              .where(qt.c.parquet_path.is_not(None)))]
    for key, old in con.execute(sa.select(h.c.row_key, h.c.old_json).where(h.c.row_key.like("lake:%"))):
        meta = json.loads(old)
        out.append(LakeFile(key[len("lake:"):], meta.get("size_bytes"), meta.get("sha256")))
    return sorted(set(out), key=lambda f: f.rel)


def check_paths(store: Store, paths: Iterable[Path | str]) -> None:
    """:func:`check` for lake files named by their paths (absolute, under ``store.lake``), with the records
    the ledger holds of them; a path the ledger does not refer to is refused as well."""
    wanted = {Path(p).relative_to(store.lake).as_posix() for p in paths}
    if not wanted:
        return
    with store.engine.connect() as con:
        known = {f.rel: f for f in referenced(con) if f.rel in wanted}
    missing = sorted(wanted - set(known))
    found = [Problem(rel, "unreferenced", f"{rel} is not a file the ledger refers to") for rel in missing]
    found += problems(store.lake, [known[rel] for rel in sorted(known)])
    if found:
        raise refusal(found)


def verify_store(store: Store, *, record: bool = False) -> LakeReport:
    """Check every lake file the ledger refers to (hashed again, whatever this process saw before). With
    ``record``, the files that have no digest yet (published before migration 0009) get theirs recorded as
    they are now, and are reported in ``recorded``."""
    with store.engine.connect() as con:
        files = referenced(con)
    recorded: list[str] = []
    if record:
        files, recorded = _record(store, files)
    found = problems(store.lake, files, fresh=True)
    return LakeReport(len(files), sum(f.size_bytes or 0 for f in files), found, recorded)


def _record(store: Store, files: list[LakeFile]) -> tuple[list[LakeFile], list[str]]:
    """Record the size and SHA-256 of each of ``files`` that has none and exists, in one transaction (a row
    recorded meanwhile by another process keeps its record)."""
    lf, qt, h = schema.lake_files, schema.quarantine, schema.history
    now: dict[str, Digest] = {}
    for f in files:
        if f.sha256 is None and (store.lake / f.rel).is_file():
            now[f.rel] = current_digest(store.lake / f.rel, fresh=True)
    if not now:
        return files, []
    with store.engine.begin() as tx:
        for rel, d in now.items():
            values = {"size_bytes": d.size_bytes, "sha256": d.sha256}
            tx.execute(lf.update().where(lf.c.path == rel, lf.c.sha256.is_(None)).values(**values))
            tx.execute(qt.update().where(qt.c.parquet_path == rel, qt.c.sha256.is_(None)).values(**values))
            for history_id, old in tx.execute(sa.select(h.c.history_id, h.c.old_json)
                                              .where(h.c.row_key == f"lake:{rel}")).all():
                meta = json.loads(old)
                if meta.get("sha256") is None:
                    tx.execute(h.update().where(h.c.history_id == history_id)
                               .values(old_json=json.dumps({**meta, **values})))
    updated = [LakeFile(f.rel, now[f.rel].size_bytes, now[f.rel].sha256) if f.rel in now else f for f in files]
    return updated, sorted(now)
