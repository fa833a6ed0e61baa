"""What goes wrong under the store, said to a user: the one mapping from operational failures to Dianta errors.

Issue 13: a SQLite lock held past the timeout, a full disk in staging or in the ledger, a PostgreSQL server that
went away or a lake file deleted or truncated reached users as tracebacks (138 lines of psycopg for the server,
DuckDB's "don't know what type" for a damaged footer, without the file). :func:`translate` turns each such
exception into an error of :mod:`dianta.errors` whose message, in English and Chinese, says what happened and
what to do:

========================================================  ==============================================
failure                                                   error (CLI exit status; HTTP status)
========================================================  ==============================================
SQLite ``database is locked`` (SQLITE_BUSY/LOCKED),       :class:`LedgerBusy` (3; 503 + Retry-After)
PostgreSQL lock/serialisation/deadlock, too many clients
PostgreSQL refused, closed or terminated the connection,  :class:`LedgerUnreachable` (3; 503 + Retry-After)
is shutting down or starting up (SQLSTATE 08, 57P0x)
no space left: SQLITE_FULL, ENOSPC/EDQUOT from any file,  :class:`DiskFull` (3; 503)
DuckDB's or PostgreSQL's (53100), an I/O error on a full
disk, a write refused by a store opened read-only for it
I/O error, read-only file system, permission denied       :class:`StorageFailure` (3; 503)
a damaged SQLite ledger (SQLITE_CORRUPT, NOTADB)          :class:`StorageFailure` (3; 503)
a lake file missing or unreadable (DuckDB IOException or  :class:`LakeCorrupt` naming the file (1; 503)
InvalidInputException, pyarrow ArrowInvalid, OSError)
========================================================  ==============================================

Anything else is not an operational failure: :func:`translate` returns None and the exception stays what it
is (a defect, to be reported with its traceback). The CLI's one runner (:mod:`dianta.cli._runner`) and the API's
handlers (:mod:`dianta.api.app`) both call :func:`translate`; so does opening the store. Only the standard
library and :mod:`dianta.errors` are imported at module level, so the store can import this module.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from dianta.errors import (
    DiantaError,
    DiskFull,
    LakeCorrupt,
    LedgerBusy,
    LedgerUnreachable,
    StorageFailure,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from dianta.ledger.store import Store

#: the environment variable of how long a SQLite writer waits for another process's write lock [s]
LOCK_TIMEOUT_ENV = "DIANTA_LOCK_TIMEOUT_S"
#: a writer waits this long by default [s]: a large batch holds the write lock while it is applied
DEFAULT_LOCK_TIMEOUT_S = 30.0
#: Retry-After [s] of the API's answer while the ledger is locked or unreachable
RETRY_AFTER_S = 5
#: a file system with less free space than this [bytes] counts as full when an I/O error does not say why
FULL_BELOW_BYTES = 1 << 20

#: the errno values of "no space left" (on the device, in the quota)
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
_NO_SPACE_TEXT = ("no space left on device", "disk quota exceeded", "database or disk is full")
# SQLite's primary result codes (the low byte of ``sqlite_errorcode``)
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26
_SQLITE_TEXT = (("database is locked", _SQLITE_BUSY), ("database table is locked", _SQLITE_LOCKED),
                ("database or disk is full", _SQLITE_FULL), ("disk i/o error", _SQLITE_IOERR),
                ("readonly database", _SQLITE_READONLY), ("unable to open database file", _SQLITE_CANTOPEN),
                ("database disk image is malformed", _SQLITE_CORRUPT), ("file is not a database", _SQLITE_NOTADB))
# what the server said when a PostgreSQL connection could not be made or was lost (no SQLSTATE then)
_PG_GONE_TEXT = ("connection refused", "server closed the connection", "could not connect", "connection failed",
                 "terminating connection", "connection timed out", "no route to host", "could not translate host",
                 "the connection is closed", "connection is lost", "consuming input failed", "sending query failed",
                 "the database system is", "connection reset", "broken pipe", "server conn crashed")
# DuckDB and Arrow on a Parquet file they cannot read (the footer, its Thrift metadata or a page)
_DAMAGED_TEXT = ("magic bytes", "too small to be a parquet file", "parquet file size is", "deserialize thrift",
                 "tprotocolexception", "don't know what type", "corrupt", "invalid parquet", "couldn't deserialize",
                 "no files found that match the pattern", "could not open parquet input source")
#: an absolute path in a library's message (quoted, or inside JSON with escaped quotes, as DuckDB's IO errors)
_ABS_PATH = re.compile(r"""(?<![\w.])(/[^\s"'\\,;()\[\]{}]+)""")


def lock_timeout_s() -> float:
    """How long a SQLite writer waits for another process's write lock [s]: ``$DIANTA_LOCK_TIMEOUT_S``, else
    30 (a value that is not a positive number is ignored)."""
    try:
        value = float(os.environ.get(LOCK_TIMEOUT_ENV, ""))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT_S
    return value if 0 < value < 1e6 else DEFAULT_LOCK_TIMEOUT_S


def translate(exc: BaseException, *, store: Store | None = None) -> DiantaError | None:
    """The Dianta error that tells a user what ``exc`` means and what to do, or None when ``exc`` is not an
    operational failure (a DiantaError is returned as it is). ``store``: the store the work used, if it is
    open (its folders name where a disk is full; its ledger says which lake files a failed read may mean)."""
    if isinstance(exc, DiantaError):
        return exc
    for cause in _chain(exc):
        found = _one(cause, store)
        if found is not None:
            return found
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what it was raised from or while handling (a few levels: an OSError inside a library's
    own error, a SQLite error behind a message without one)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _one(exc: BaseException, store: Store | None) -> DiantaError | None:
    if isinstance(exc, DiantaError):
        return exc
    module = type(exc).__module__ or ""
    if module.startswith("sqlalchemy"):
        orig = getattr(exc, "orig", None)
        return _one(orig, store) if isinstance(orig, BaseException) else None
    if isinstance(exc, sqlite3.Error):
        return _sqlite(exc, store)
    if module.startswith("psycopg"):
        return _postgresql(exc, store)
    if module.startswith(("duckdb", "_duckdb", "pyarrow")):
        return _lake_reader(exc, store)
    if isinstance(exc, OSError):  # (Arrow raises a plain OSError, no errno, for a file it cannot parse)
        return _os_error(exc, store) or (_lake_reader(exc, store) if exc.errno is None else None)
    return None


# -- SQLite ------------------------------------------------------------------------------------------------

def _sqlite(exc: sqlite3.Error, store: Store | None) -> DiantaError | None:
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc).lower()
    primary = code & 0xFF if isinstance(code, int) else next((c for t, c in _SQLITE_TEXT if t in text), None)
    where = _ledger_file(store)
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return ledger_busy(lock_timeout_s())
    if primary == _SQLITE_FULL or (primary == _SQLITE_IOERR and _no_space_at(where)):
        return disk_full(where, "the ledger", "账本")
    if primary == _SQLITE_READONLY:
        if getattr(store, "read_only", False):  # opened so for a full disk (Store._open_read_only)
            return disk_full(where, "the ledger", "账本", opened_read_only=True)
        return StorageFailure(
            f"the ledger {where} cannot be written (SQLite: {exc}): the disk may be mounted read-only, or the "
            "file or its folder belong to another user; remount the disk read-write or run Dianta as the store's "
            "owner, then run the command again",
            f"账本 {where} 无法写入（SQLite：{exc}）：磁盘可能以只读方式挂载，或该文件及其目录属于其他用户；"
            "请以读写方式重新挂载磁盘，或以存储所有者的身份运行 Dianta，然后重新运行该命令")
    if primary == _SQLITE_IOERR:
        return StorageFailure(
            f"the disk holding the ledger {where} reported an I/O error (SQLite: {exc}); nothing was changed. "
            "Check the disk (the system log, `dmesg`) and its free space; if it is failing, restore the store from "
            "its latest backup onto another disk (dianta restore), then run the command again",
            f"存放账本 {where} 的磁盘报告了输入/输出错误（SQLite：{exc}），未做任何更改。请检查磁盘（系统日志、"
            "dmesg）及其剩余空间；如磁盘正在损坏，请将存储的最新备份恢复到另一块磁盘（dianta restore），"
            "然后重新运行该命令")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageFailure(
            f"the ledger {where} is damaged (SQLite: {exc}); nothing was changed. Restore the store from its "
            "latest backup (dianta restore BACKUP --db NEW-FOLDER) and use the restored store",
            f"账本 {where} 已损坏（SQLite：{exc}），未做任何更改。请从最新备份恢复存储（dianta restore BACKUP "
            "--db 新目录）并改用恢复后的存储")
    if primary == _SQLITE_CANTOPEN:
        return StorageFailure(
            f"the ledger {where} cannot be opened (SQLite: {exc}): check that its folder exists, is on a mounted "
            "disk and may be written by the user running Dianta, then run the command again",
            f"无法打开账本 {where}（SQLite：{exc}）：请确认其目录存在、所在磁盘已挂载且运行 Dianta 的用户可以写入，"
            "然后重新运行该命令")
    return None


def ledger_busy(timeout_s: float) -> LedgerBusy:
    """Another process held the SQLite ledger's write lock for longer than ``timeout_s`` [s]."""
    return LedgerBusy(
        f"the ledger is locked by another process (a batch being applied, a computation being published, the "
        f"API server) for more than {timeout_s:g} s; nothing was changed. Wait for it to finish (`dianta status` "
        "lists the batches) and run the command again",
        f"账本被另一进程锁定超过 {timeout_s:g} 秒（正在导入的批次、正在发布的计算或 API 服务），未做任何更改。"
        "请等待其完成（`dianta status` 列出各批次）后重新运行该命令",
        retry_after=RETRY_AFTER_S)


# -- PostgreSQL ----------------------------------------------------------------------------------------------

def _postgresql(exc: BaseException, store: Store | None) -> DiantaError | None:
    sqlstate = getattr(exc, "sqlstate", None) or ""
    text = str(exc).strip()
    first = text.splitlines()[0].strip() if text else type(exc).__name__
    lower = text.lower()
    server = _pg_server(store)
    if sqlstate in ("40001", "40P01", "55P03", "53300", "57014"):
        return LedgerBusy(
            f"the ledger's PostgreSQL server {server} gave up this work because other work held what it needed "
            f"({first}); nothing was changed. Run the command again",
            f"账本的 PostgreSQL 服务器 {server} 因其他操作占用所需资源而放弃了本次操作（{first}），未做任何更改。"
            "请重新运行该命令",
            retry_after=RETRY_AFTER_S)
    if sqlstate == "53100" or any(t in lower for t in _NO_SPACE_TEXT):
        return DiskFull(
            f"the disk of the ledger's PostgreSQL server {server} is full ({first}); nothing was changed. Ask its "
            "administrator to free space there, then run the command again",
            f"账本的 PostgreSQL 服务器 {server} 的磁盘已满（{first}），未做任何更改。请联系其管理员释放磁盘空间，"
            "然后重新运行该命令")
    if sqlstate.startswith("28"):
        return StorageFailure(
            f"the ledger's PostgreSQL server {server} refused the login ({first}): check the user and password "
            "in --db or $DIANTA_DB, then run the command again",
            f"账本的 PostgreSQL 服务器 {server} 拒绝登录（{first}）：请检查 --db 或 $DIANTA_DB 中的用户名和密码，"
            "然后重新运行该命令")
    if sqlstate == "3D000":
        return StorageFailure(
            f"the ledger's database does not exist on the PostgreSQL server {server} ({first}): create it "
            "(createdb) or correct --db, then run the command again",
            f"PostgreSQL 服务器 {server} 上不存在账本的数据库（{first}）：请创建该数据库（createdb）或更正 --db，"
            "然后重新运行该命令")
    if sqlstate == "25006":
        return StorageFailure(
            f"the ledger's PostgreSQL server {server} only reads ({first}): it is a standby or in read-only mode; "
            "point --db at the primary server, then run the command again",
            f"账本的 PostgreSQL 服务器 {server} 处于只读状态（{first}）：它是备用服务器或处于只读模式；请将 --db "
            "指向主服务器，然后重新运行该命令")
    if sqlstate == "58030":
        return StorageFailure(
            f"the disk of the ledger's PostgreSQL server {server} reported an I/O error ({first}); ask its "
            "administrator to check the server's disk, then run the command again",
            f"账本的 PostgreSQL 服务器 {server} 的磁盘报告了输入/输出错误（{first}）；请联系其管理员检查服务器磁盘，"
            "然后重新运行该命令")
    gone = sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")
    if gone or (not sqlstate and type(exc).__name__ in ("OperationalError", "InterfaceError")
                and any(t in lower for t in _PG_GONE_TEXT)):
        host, port = _pg_host_port(store)
        return LedgerUnreachable(
            f"the ledger's PostgreSQL server {server} cannot be reached or closed the connection ({first}); "
            "nothing was changed. Check that the server is running and that this machine can reach it "
            f"(pg_isready -h {host} -p {port}), then run the command again",
            f"无法连接账本的 PostgreSQL 服务器 {server}，或连接已被关闭（{first}），未做任何更改。请确认服务器正在"
            f"运行且本机可以访问（pg_isready -h {host} -p {port}），然后重新运行该命令",
            retry_after=RETRY_AFTER_S)
    return None


def _pg_server(store: Store | None) -> str:
    display = getattr(store, "display", None)
    return str(display) if display else "(--db)"


def _pg_host_port(store: Store | None) -> tuple[str, str]:
    try:
        url = store.engine.url  # type: ignore[union-attr]
        return str(url.host or "localhost"), str(url.port or 5432)
    except AttributeError:
        return "HOST", "5432"


# -- files -----------------------------------------------------------------------------------------------

def _os_error(exc: OSError, store: Store | None) -> DiantaError | None:
    named = [Path(m.rstrip(".:")) for m in _ABS_PATH.findall(str(exc))]  # Arrow's carry the path in the text
    path = _path_of(exc.filename) or (named[0] if named else None) or _store_root(store)
    if exc.errno in NO_SPACE:
        return _full_at(path, store)
    missing = exc.errno == errno.ENOENT or isinstance(exc, FileNotFoundError)
    if missing and path is not None and _in_lake(path, store) and path.suffix == ".parquet":
        return lake_damaged(store, [(path, "missing")])
    if exc.errno == errno.EIO:
        return StorageFailure(
            f"the disk holding {path} reported an I/O error ({exc.strerror}); nothing was changed. Check the disk "
            "(the system log, `dmesg`); if it is failing, restore the store from its latest backup onto another "
            "disk (dianta restore), then run the command again",
            f"存放 {path} 的磁盘报告了输入/输出错误（{exc.strerror}），未做任何更改。请检查磁盘（系统日志、dmesg）；"
            "如磁盘正在损坏，请将存储的最新备份恢复到另一块磁盘（dianta restore），然后重新运行该命令")
    if exc.errno == errno.EROFS:
        return StorageFailure(
            f"{path} is on a read-only file system ({exc.strerror}); nothing was changed. Remount the disk "
            "read-write (or give a store on a writable disk), then run the command again",
            f"{path} 位于只读文件系统上（{exc.strerror}），未做任何更改。请以读写方式重新挂载该磁盘（或改用可写磁盘上的"
            "存储），然后重新运行该命令")
    if exc.errno in (errno.EACCES, errno.EPERM) and path is not None:
        return StorageFailure(
            f"Dianta may not use {path} ({exc.strerror}); nothing was changed. Run Dianta as the user who owns "
            f"the store, or give that user access to {path}, then run the command again",
            f"Dianta 无权使用 {path}（{exc.strerror}），未做任何更改。请以存储所有者的身份运行 Dianta，或授予该用户"
            f"对 {path} 的访问权限，然后重新运行该命令")
    return None


def disk_full(path: Path | None, what: str, what_zh: str, *, opened_read_only: bool = False) -> DiskFull:
    """No space left where ``what`` (``what_zh`` in Chinese) is written, at ``path``."""
    where = f" {path}" if path is not None else ""
    if opened_read_only:
        return DiskFull(
            f"the disk holding{where} is full, so the store was opened read-only and this command, which writes, "
            "cannot run; nothing was changed. Free space on that disk (or move the store to a larger one), then "
            "run the command again",
            f"存放{where} 的磁盘已满，存储已以只读方式打开，本命令需要写入，无法运行，未做任何更改。请释放该磁盘的"
            "空间（或将存储移到更大的磁盘），然后重新运行该命令")
    return DiskFull(
        f"no space left on the disk holding {what}{where}; nothing was changed. Free space on that disk (or move "
        "the store to a larger one), then run the command again",
        f"存放{what_zh}{where} 的磁盘空间已满，未做任何更改。请释放该磁盘的空间（或将存储移到更大的磁盘），"
        "然后重新运行该命令")


def no_space(exc: BaseException, path: Path | None = None) -> bool:
    """Whether ``exc`` (or what it was raised from) says no space is left, or is an I/O error where the file
    system of ``path`` has (almost) none left: SQLite reports a full disk while it opens a ledger as an I/O
    error on its shared-memory file."""
    for cause in _chain(exc):
        if isinstance(cause, OSError) and cause.errno in NO_SPACE:
            return True
        text = str(cause).lower()
        if any(t in text for t in _NO_SPACE_TEXT):
            return True
        code = getattr(cause, "sqlite_errorcode", None)
        if isinstance(code, int) and code & 0xFF == _SQLITE_IOERR and _no_space_at(path):
            return True
        if isinstance(cause, OSError) and cause.errno == errno.EIO and _no_space_at(path):
            return True
    return False


def _no_space_at(path: Path | None) -> bool:
    """Whether the file system of ``path`` (or of its nearest existing parent) has less than 1 MiB left for
    this user."""
    if path is None:
        return False
    for candidate in (path, *path.parents):
        try:
            st = os.statvfs(candidate)
        except OSError:
            continue
        free = st.f_bfree if os.geteuid() == 0 else st.f_bavail
        return free * st.f_frsize < FULL_BELOW_BYTES
    return False


def _path_of(name: object) -> Path | None:
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return Path(name) if isinstance(name, str) and name else None


def _store_root(store: Store | None) -> Path | None:
    root = getattr(store, "root", None)
    return root if isinstance(root, Path) else None


def _ledger_file(store: Store | None) -> Path | None:
    root = _store_root(store)
    return root / "ledger.sqlite" if root is not None and getattr(store, "lake", None) != root else root


def _in_lake(path: Path, store: Store | None) -> bool:
    lake = getattr(store, "lake", None)
    if not isinstance(lake, Path):
        return False
    try:
        return path.resolve().is_relative_to(lake.resolve())
    except OSError:
        return False


def _full_at(path: Path | None, store: Store | None) -> DiskFull:
    """No space left while writing ``path``: named by the store's folder it is in (the lake's staging folder,
    the temporary files' folder, the lake, the store), whose files of the failed work are gone already."""
    folders = ((getattr(store, "staging", None), "the lake's staging folder", "数据湖暂存目录"),
               (_temp_dir(store), "the store's temporary folder", "存储临时目录"),
               (getattr(store, "lake", None), "the lake", "数据湖"), (_store_root(store), "the store", "存储"))
    for folder, what, what_zh in folders:
        if isinstance(folder, Path) and path is not None and _under(path, folder):
            return disk_full(folder, what, what_zh)
    return disk_full(path, "the file", "文件")


def _temp_dir(store: Store | None) -> Path | None:
    try:
        return store.temp_dir()  # type: ignore[union-attr]
    except AttributeError:
        return None


def _under(path: Path, folder: Path) -> bool:
    try:
        return path.absolute().is_relative_to(folder.absolute())
    except (OSError, ValueError):
        return False


# -- the lake's Parquet files --------------------------------------------------------------------------------

def _lake_reader(exc: BaseException, store: Store | None) -> DiantaError | None:
    """DuckDB or Arrow failed: out of space (spilling, staging), or a lake file that is missing or damaged."""
    text = str(exc)
    lower = text.lower()
    named = [Path(m.rstrip(".:")) for m in _ABS_PATH.findall(text)]
    if any(t in lower for t in _NO_SPACE_TEXT):
        path = named[0] if named else _store_root(store)
        return _full_at(path, store)
    if isinstance(exc, OSError) and exc.errno is not None:
        mapped = _os_error(exc, store)
        if mapped is not None:
            return mapped
    reading = (isinstance(exc, OSError) or any(t in lower for t in _DAMAGED_TEXT)
               or type(exc).__name__ in ("IOException", "InvalidInputException", "Error", "ArrowInvalid"))
    if not reading:
        return None
    bad = _damaged_lake_files(store, named)
    if bad:
        return lake_damaged(store, bad, detail=text.splitlines()[0] if text else "")
    lake = [p for p in named if _in_lake(p, store)]
    if lake:  # named, but readable now: changed while it was read; say which
        return lake_damaged(store, [(p, "damaged") for p in lake], detail=text.splitlines()[0])
    return None


def _damaged_lake_files(store: Store | None, named: list[Path]) -> list[tuple[Path, str]]:
    """The lake files, among those the message names, else among every file the ledger refers to, that are
    missing or whose Parquet footer cannot be read."""
    if store is None:
        return []
    candidates = [p for p in named if _in_lake(p, store)]
    if not candidates:
        try:
            candidates = [store.lake / rel for rel in _referenced(store)]
        except Exception:  # noqa: BLE001 - the ledger may be what failed; then nothing is named
            return []
    bad: list[tuple[Path, str]] = []
    for path in candidates:
        state = _lake_file_state(path)
        if state is not None:
            bad.append((path, state))
    return bad


def _referenced(store: Store) -> list[str]:
    """Every lake file (relative path) the ledger refers to: current lake files and quarantined rows."""
    import sqlalchemy as sa

    from dianta.ledger import schema

    lf, qt = schema.lake_files, schema.quarantine
    with store.engine.connect() as con:
        paths = {r[0] for r in con.execute(sa.select(lf.c.path).where(lf.c.state == "active"))}
        paths |= {r[0] for r in con.execute(sa.select(qt.c.parquet_path).where(qt.c.parquet_path.is_not(None)))}
    return sorted(paths)


def _lake_file_state(path: Path) -> str | None:
    """``missing``, ``damaged`` (its Parquet footer cannot be read) or None (it reads)."""
    import pyarrow.parquet as pq

    if not path.exists():
        return "missing"
    try:
        pq.read_metadata(path)
    except (OSError, ValueError, Exception):  # noqa: BLE001 - Arrow raises ArrowInvalid, OSError and others
        return "damaged"
    return None


def lake_damaged(store: Store | None, bad: list[tuple[Path, str]], *, detail: str = "") -> LakeCorrupt:
    """A lake file the ledger refers to is missing or cannot be read: name each (relative to the lake)."""
    lake = getattr(store, "lake", None)

    def name(path: Path) -> str:
        if isinstance(lake, Path) and _in_lake(path, store):
            return path.resolve().relative_to(lake.resolve()).as_posix()
        return str(path)

    shown = bad[:5]
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    states = {"missing": ("missing (deleted or moved)", "缺失（已被删除或移动）"),
              "damaged": ("damaged (truncated or overwritten: it cannot be read as Parquet)",
                          "已损坏（被截断或覆盖，无法按 Parquet 读取）")}
    en = "; ".join(f"{name(p)} is {states[s][0]}" for p, s in shown)
    zh = "；".join(f"{name(p)} {states[s][1]}" for p, s in shown)
    where = f" in {lake}" if isinstance(lake, Path) else ""
    why = f" ({detail})" if detail else ""
    error = LakeCorrupt(
        f"a lake file{where} that the ledger refers to cannot be read: {en}{more}{why}; nothing was changed. "
        "Put the file back from a backup of the store (it is under lake/ in the backup folder) or restore the "
        "backup into a new store (dianta restore), then run the command again; `dianta lake verify` checks every "
        "lake file",
        [name(p) for p, _ in bad])
    error.message_zh = (f"账本引用的数据湖文件{where}无法读取：{zh}{'等' if more else ''}，未做任何更改。"
                        "请从存储的备份中取回该文件（位于备份目录的 lake/ 下），或将备份恢复为新的存储"
                        "（dianta restore），然后重新运行该命令；`dianta lake verify` 可检查所有数据湖文件")
    return error


def opening(error: DiantaError, display: str) -> DiantaError:
    """``error``, raised while the store ``display`` was being opened, with that said first."""
    if not isinstance(error, StoreUnavailable):
        return error
    return type(error)(f"cannot open the ledger of {display}: {error}",
                       f"无法打开 {display} 的账本：{error.message_zh}", retry_after=error.retry_after)
