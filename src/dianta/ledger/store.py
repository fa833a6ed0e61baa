"""Opening the store: ``<root>/ledger.sqlite`` (the ledger) and ``<root>/lake/`` (Parquet).

A batch is applied across ledger and lake at once (DESIGN.md): lake files are written to
``lake/_staging/<token>/``, the ledger transaction that references them commits, then the files are
published by rename (:mod:`dianta.ledger.lake`). On open, staging debris of uncommitted batches is removed and
committed files still in staging are published. A staging folder in use is locked (``flock`` on
``<token>.lock``, released by the kernel when its process ends, even by SIGKILL), so another process opening
the store leaves it alone.

The store is private to the user who runs it (issue 12): its folder, the lake, staging and the temporary folder
are 0700, the ledger file (made 0600 before SQLite opens it, which gives its ``-wal`` and ``-shm`` the same
mode) and the secrets file (:mod:`dianta.ledger.secrets`) are 0600. Opening a store made before tightens what
group or others may use; where that is not allowed, the store is refused with the ``chmod`` to run. Files
below the private folders (lake files, staged batches) need no mode of their own.
"""

from __future__ import annotations

import getpass
import os
import signal
import sqlite3
import stat
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite

from dianta.errors import Conflict, StoreError
from dianta.ledger import failures, lake, migrate, schema
from dianta.ledger import secrets as store_secrets


def current_user() -> str:
    """Who runs the command (recorded with every batch, correction and run)."""
    try:
        return os.environ.get("DIANTA_USER") or getpass.getuser()
    except OSError:
        return "unknown"


def crash_point(name: str) -> None:
    """Test hook (tests/test_crash_safety.py): kill this process with SIGKILL here when the environment
    variable ``DIANTA_CRASH_AT`` equals ``name``. Also a pause (tests/test_concurrency.py): when
    ``DIANTA_PAUSE_AT`` equals ``name``, create ``<name>.reached`` in the folder ``DIANTA_PAUSE_DIR`` and wait
    until ``<name>.go`` appears there (at most 5 minutes), so a test can run another command at this point.
    Does nothing otherwise."""
    if os.environ.get("DIANTA_PAUSE_AT") == name and os.environ.get("DIANTA_PAUSE_DIR"):
        folder = Path(os.environ["DIANTA_PAUSE_DIR"])
        (folder / f"{name}.reached").touch()
        deadline = time.monotonic() + 300
        while not (folder / f"{name}.go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    if os.environ.get("DIANTA_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


#: key of the PostgreSQL advisory lock that serialises batches and the publication of computations ("dianta" +
#: 0x0002; the audit chain's is 0x0001, taken after this one where a transaction holds both)
PG_WRITE_LOCK = 0x6469616E74610002
#: ``meta`` key of the SQLite write-lock row (never needs to exist)
META_WRITE_LOCK_KEY = "write_lock"


def lock_writes(con: sa.Connection) -> None:
    """Serialise applying batches and publishing computations (issue 13) until ``con``'s transaction ends; the
    transaction's first statement. On PostgreSQL a transaction-level advisory lock; on SQLite a write statement
    (an UPDATE of the ``meta`` row ``write_lock``), which takes the database's single write lock as ``BEGIN
    IMMEDIATE`` would. Every read after it in the transaction sees what the writer before committed (READ
    COMMITTED, SQLite's write transaction), so the checks that decide what to write still hold at commit, and
    batch ids are given in commit order: a snapshot holding batch N holds every batch before it."""
    if con.dialect.name == "postgresql":
        con.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_WRITE_LOCK)))
    else:
        m = schema.meta
        con.execute(m.update().where(m.c.key == META_WRITE_LOCK_KEY).values(value=m.c.value))


@contextmanager
def duplicates_refused(conflict: Conflict) -> Iterator[None]:
    """Around a writing transaction: a unique or primary key violation raised in it (PostgreSQL SQLSTATE
    23505, SQLite "UNIQUE constraint failed": a writer outside :func:`lock_writes` inserted the same key
    first) becomes ``conflict`` (a :class:`Conflict` of the catalogue), never a traceback; the transaction has
    rolled back."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        if getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(exc.orig):
            raise conflict from None
        raise


def insert_if_absent(con: sa.Connection, table: sa.Table, values: dict[str, Any] | Sequence[dict[str, Any]]
                     ) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL (safe when two processes race) of one row, or
    of many in one statement executed for each (a run's 5,000 labels: one round trip, not 5,000)."""
    insert = postgresql.insert if con.dialect.name == "postgresql" else sqlite.insert
    if isinstance(values, dict):
        con.execute(insert(table).values(**values).on_conflict_do_nothing())
    elif values:
        con.execute(insert(table).on_conflict_do_nothing(), list(values))


def engine_url(db: str) -> str | None:
    """The SQLAlchemy URL of a ``postgresql://`` store, or None for an embedded (folder) store."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if db.startswith(scheme):
            return "postgresql+psycopg://" + db[len(scheme):]
    return None


class Store:
    """The store: an embedded one under the folder ``db`` (created when new: SQLite ledger and the lake), or
    a PostgreSQL ledger when ``db`` is a ``postgresql://`` URL, with its lake in ``lake`` (default
    ``$DIANTA_LAKE``, else ``./dianta-lake``). The ledger is migrated to the newest schema when opened. Its
    secrets are in ``secrets_file`` (:mod:`dianta.ledger.secrets`: in the folder, or the lake's root for a
    PostgreSQL ledger, unless ``$DIANTA_SECRETS_FILE`` names one).

    A store on a disk too full to write still opens for reading (issue 13): ``read_only`` is then True (a
    SQLite ledger opened without its shared-memory file, which cannot be made) and ``warning`` (English,
    Chinese) says why; work that writes is refused with :class:`~dianta.errors.DiskFull`. An operational
    failure while opening (the ledger locked, its server unreachable) is the error of
    :func:`dianta.ledger.failures.translate`."""

    def __init__(self, db: Path | str, *, lake: Path | str | None = None):
        db_text = str(db)
        self.read_only = False
        self.warning: tuple[str, str] | None = None
        url = engine_url(db_text)
        if url is not None:
            self.root = Path(lake or os.environ.get("DIANTA_LAKE") or "dianta-lake")
            self.lake = self.root
            _private_folder(self.root)
            self.display = db_text.split("@")[-1]  # never print a password
            self.engine = sa.create_engine(url, pool_pre_ping=True)
        else:
            self.root = Path(db_text)
            if self.root.exists() and not self.root.is_dir():
                raise StoreError(f"--db {self.root} is a file; give a folder (it is created when new)",
                                 zh=f"--db {self.root} 是一个文件；请给出文件夹（不存在时会自动创建）")
            _private_folder(self.root)
            self.lake = self.root / "lake"
            self.display = str(self.root)
            ledger = self.root / "ledger.sqlite"
            _private_file(ledger, create=True)
            for journal in ("-wal", "-shm", "-journal"):
                _private_file(Path(f"{ledger}{journal}"))
            # a writer waits up to 30 s ($DIANTA_LOCK_TIMEOUT_S) for another (a large batch holds the write lock
            # while it is applied), then gives up with LedgerBusy
            self.engine = sa.create_engine(f"sqlite:///{ledger}", connect_args={"timeout": failures.lock_timeout_s()})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.staging = self.lake / "_staging"
        for folder in (self.lake, self.staging, self.temp_dir()):
            _private_folder(folder)
        self.secrets_file, given = store_secrets.locate(self.root)
        if given:
            store_secrets.check_given(self.secrets_file)
        else:
            _private_file(self.secrets_file)
        _private_file(store_secrets.lock_path(self.secrets_file))
        try:
            self._open_ledger()
        except sa.exc.OperationalError as exc:
            self.engine.dispose()
            found = failures.translate(exc, store=self)
            if found is None:
                raise StoreError.of("cannot_open_ledger", display=self.display, reason=str(exc.orig).strip()) from None
            raise failures.opening(found, self.display) from None
        except BaseException:
            self.engine.dispose()  # a store that is refused keeps no connection
            raise

    def _open_ledger(self) -> None:
        """Migrate the ledger, move secrets of an old store out of it, recover staging. On a disk with no space
        left the store is still opened for reading (`status` and `audit verify` answer): a SQLite ledger whose
        shared-memory file cannot be made is opened read-only, and the tidying writes (secrets, staging) are
        left for the next open."""
        full = ("the disk of the store {root} is full: it is opened read-only ({what}); commands that only read "
                "work, those that write are refused until space is freed there")
        full_zh = "存储 {root} 所在磁盘已满：已以只读方式打开（{what}）；只读命令可用，写入命令在释放空间前会被拒绝"
        try:
            migrate.upgrade(self.engine)
        except sa.exc.OperationalError as exc:
            if not (failures.no_space(exc, self.root) and self._open_read_only()):
                raise
            self.warning = (full.format(root=self.display, what="the ledger read-only"),
                            full_zh.format(root=self.display, what="账本只读"))
            return
        for tidy in (lambda: store_secrets.move_from_meta(self), self.recover):
            try:
                tidy()
            except (OSError, StoreError, sa.exc.OperationalError) as exc:
                if not failures.no_space(exc, self.root):
                    raise
                self.warning = (full.format(root=self.display, what="staging not tidied"),
                                full_zh.format(root=self.display, what="暂存目录未整理"))

    def _open_read_only(self) -> bool:
        """Open the SQLite ledger read-only without a shared-memory file (SQLite's ``immutable``), for a disk
        too full to make that file. Not done (False) where it would miss commits (the write-ahead log is not
        empty: they are not in the main file yet) or the schema is not the newest (it cannot be migrated)."""
        if self.engine.dialect.name != "sqlite":
            return False
        ledger = self.root / "ledger.sqlite"
        try:
            wal = Path(f"{ledger}-wal")
            if wal.exists() and wal.stat().st_size > 0:
                return False
        except OSError:
            return False
        uri = f"file:{quote(str(ledger.absolute()))}?mode=ro&immutable=1"
        engine = sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True,
                                                                                check_same_thread=False))
        try:
            with engine.connect() as con:
                current = MigrationContext.configure(con).get_current_revision()
        except sa.exc.DBAPIError:
            current = None
        if current != migrate.head():
            engine.dispose()
            return False
        self.engine.dispose()
        self.engine = engine
        self.read_only = True
        return True

    def close(self) -> None:
        """Release the ledger's connections."""
        self.engine.dispose()

    @contextmanager
    def snapshot(self) -> Iterator[sa.Connection]:
        """A connection whose reads all see the ledger as it was at its first read, whatever commits meanwhile:
        on PostgreSQL a REPEATABLE READ, READ ONLY transaction; on SQLite a read transaction (in WAL mode it
        keeps its snapshot while others write, and blocks no writer). A computation reads its inputs in one,
        and a batch is checked and staged against one."""
        with self.engine.connect() as con:
            if con.dialect.name == "postgresql":
                con.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            else:  # the driver would run each SELECT outside any transaction
                con.exec_driver_sql("BEGIN")
            yield con

    def recover(self) -> None:
        """Publish committed lake files left in staging; remove staging debris (:func:`dianta.ledger.lake.recover`)."""
        lake.recover(self)

    def stage(self) -> AbstractContextManager[Path]:
        """A new staging folder for one batch's lake files, locked while in use and removed on exit
        (:func:`dianta.ledger.lake.staging_folder`)."""
        return lake.staging_folder(self.staging)

    def active_files(self, table: str, months: list[str] | None = None, *, verify: bool = True,
                     con: sa.Connection | None = None) -> list[Path]:
        """The committed, current lake files of a table (optionally those holding rows of some months: a
        file holds the months from its ``month`` to its ``month_to``). With ``verify`` (the default: the caller
        reads them) each is checked first against the size and SHA-256 recorded when it was published, once per
        file per process (:func:`dianta.ledger.integrity.check`): a missing or changed file raises
        :class:`~dianta.errors.LakeCorrupt` naming it. A caller that only lists or compares names passes
        ``verify=False``. With ``con`` the ledger is read in that connection's transaction (a batch's under the
        write lock, or a computation's snapshot), else in a new one."""
        return [path for path, _, _ in self.active_spans(table, months, verify=verify, con=con)]

    def active_spans(self, table: str, months: list[str] | None = None, *, verify: bool = True,
                     con: sa.Connection | None = None) -> list[tuple[Path, str, str]]:
        """(file, first month, last month) of the current lake files of a table, as :meth:`active_files`."""
        return lake.active_spans(self, table, months, verify=verify, con=con)

    def temp_dir(self) -> Path:
        return self.root / "_tmp" if self.lake == self.root else self.root / "tmp"


def _private_file(path: Path, *, create: bool = False) -> None:
    """Make the store's file ``path`` (when it exists, or made empty when ``create``) 0600 or tighter."""
    if create:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            if exc.errno in failures.NO_SPACE:
                raise failures.disk_full(path, "the store", "存储") from None
            raise StoreError(f"cannot make {path}: {exc.strerror}", zh=f"无法创建 {path}：{exc.strerror}") from None
    _tighten(path)


def _private_folder(path: Path) -> None:
    """Make the store's folder ``path`` (made when missing, with its parents) 0700 or tighter."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        if exc.errno in failures.NO_SPACE:
            raise failures.disk_full(path, "the store", "存储") from None
        raise StoreError(f"cannot make the folder {path}: {exc.strerror}",
                         zh=f"无法创建文件夹 {path}：{exc.strerror}") from None
    _tighten(path)


def _tighten(path: Path) -> None:
    """Take every permission of group and others from ``path`` (if it exists); refuse the store when that is
    not allowed (another user owns it)."""
    try:
        mode = path.stat().st_mode
        if mode & 0o077:
            path.chmod(stat.S_IMODE(mode) & 0o700)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"{path} is open to other users of this machine and Dianta cannot change that "
                         f"({exc.strerror}); its owner should run: chmod go-rwx {path}",
                         zh=f"{path} 对本机其他用户开放，Dianta 无法更改（{exc.strerror}）；请其所有者运行："
                            f"chmod go-rwx {path}") from None


def _sqlite_pragmas(dbapi_con, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
