"""The store's secrets (the token signing key, the label-code key): their one home, outside the ledger.

Issue 12: they were rows of the ledger's ``meta`` table, in a SQLite file (and its WAL) that every user of the
machine could read, so anyone with a shell could forge an operator token or a label. Now they are a JSON
object ``{name: value}`` in a file only its owner can read or write (0600, in a 0700 folder):

* a folder store: ``<store>/secrets.json``;
* a PostgreSQL store: ``<lake>/secrets.json`` in the lake's root (``--lake``, ``$DIANTA_LAKE``), which every
  process of one deployment shares already, since it holds the files the ledger refers to;
* either kind, when ``$DIANTA_SECRETS_FILE`` is set: that file (one the deployment provisions, or kept apart
  from a lake on shared storage). Like ssh with a private key, a file named there that group or others may
  read is refused: its secrets may have leaked.

A secret is made on first use (``token_hex(32)``). Making one takes an exclusive lock (``flock`` on
``<file>.lock``), reads the file again and replaces it atomically (a new 0600 file in the same folder, fsync,
rename), so processes that race agree on one value and a reader never sees half a file. A store made before
keeps its values: the secrets found in ``meta`` are moved into the file when the store is opened, then deleted
from ``meta`` (in SQLite with ``secure_delete`` and a truncating WAL checkpoint, so their bytes leave the
ledger's files too), and tokens and label codes issued before stay valid.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from secrets import token_hex
from typing import TYPE_CHECKING

import sqlalchemy as sa

from dianta.errors import StoreError
from dianta.ledger import schema

if TYPE_CHECKING:
    from dianta.ledger.store import Store

#: the environment variable naming a secrets file chosen by the operator
ENV = "DIANTA_SECRETS_FILE"
#: the secrets file's name in a store folder or a lake's root
FILE_NAME = "secrets.json"
#: the ``meta`` keys under which stores kept their secrets before issue 12 (moved out when opened)
META_KEYS = ("token_secret", "label_secret")


def locate(root: Path) -> tuple[Path, bool]:
    """The secrets file of the store whose folder (or PostgreSQL lake root) is ``root``, and whether the
    operator named it (``$DIANTA_SECRETS_FILE``)."""
    given = os.environ.get(ENV, "").strip()
    return (Path(given), True) if given else (root / FILE_NAME, False)


def lock_path(path: Path) -> Path:
    """The lock file beside the secrets file ``path`` (it stays; it holds nothing)."""
    return path.with_name(path.name + ".lock")


def check_given(path: Path) -> None:
    """Refuse a secrets file named by the operator that is not a file or that group or others may use."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return  # made, 0600, when the first secret is
    except OSError as exc:
        raise StoreError(f"cannot read the secrets file {path} (${ENV}): {exc.strerror}",
                         zh=f"无法读取密钥文件 {path}（${ENV}）：{exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise StoreError(f"${ENV} names {path}, which is not a file; name the file that holds the store's secrets",
                         zh=f"${ENV} 指向的 {path} 不是文件；请指定存放存储密钥的文件")
    if mode & 0o077:
        raise StoreError(f"the secrets file {path} (${ENV}) can be read by other users (mode "
                         f"{stat.S_IMODE(mode):04o}), so its secrets may have leaked; Dianta refuses it. Make it "
                         f"readable by its owner only (chmod 600 {path}), or, if others may have read it, name "
                         "a new file (everyone then logs in again)",
                         zh=f"密钥文件 {path}（${ENV}）可被其他用户读取（权限 {stat.S_IMODE(mode):04o}），"
                            "其中的密钥可能已泄露；Dianta 拒绝使用。"
                            f"请将其设为仅所有者可读（chmod 600 {path}），"
                            "如其他人可能已读取，请指定新文件（所有人需重新登录）")


def read_secrets(path: Path) -> dict[str, str]:
    """The secrets in the file ``path`` (none while it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"cannot read the store's secrets file {path}: {exc.strerror}",
                         zh=f"无法读取存储的密钥文件 {path}：{exc.strerror}") from None
    try:
        values = json.loads(text)
    except ValueError:
        values = None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise StoreError(f"the store's secrets file {path} is damaged (not a JSON object of texts); "
                         "restore it from a backup of the store",
                         zh=f"存储的密钥文件 {path} 已损坏（不是由文本组成的 JSON 对象）；请从存储的备份中恢复")
    return values


def write_secrets(path: Path, values: dict[str, str]) -> None:
    """Replace the file ``path`` by one (0600) holding ``values``, atomically: a reader sees the old file or
    the new one, and a crash leaves one of them."""
    tmp = path.with_name(f"{path.name}.{token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(values, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    except OSError as exc:
        raise StoreError(f"cannot write the store's secrets file {path}: {exc.strerror}; Dianta needs to write "
                         "in its folder (or give it a file that already holds every secret)",
                         zh=f"无法写入存储的密钥文件 {path}：{exc.strerror}；Dianta 需要在其所在文件夹中写入"
                            f"（或提供已包含全部密钥的文件）") from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of the secrets file ``path`` (released by the kernel if the process ends)."""
    try:
        fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot lock the store's secrets file {path}: {exc.strerror}; Dianta needs to write "
                         "in its folder",
                         zh=f"无法锁定存储的密钥文件 {path}：{exc.strerror}；Dianta 需要在其所在文件夹中写入") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def store_secret(store: Store, key: str) -> str:
    """The store's random secret ``key`` (64 hex digits), made on first use. Read without a lock; made under
    the lock after reading again, so two processes that race get the same value."""
    value = read_secrets(store.secrets_file).get(key)
    if value is None:
        with _locked(store.secrets_file):
            values = read_secrets(store.secrets_file)
            value = values.get(key)
            if value is None:
                values[key] = value = token_hex(32)
                write_secrets(store.secrets_file, values)
    return value


def store_secrets(store: Store) -> dict[str, str]:
    """Every secret of the store (for a backup)."""
    return read_secrets(store.secrets_file)


def put_secrets(store: Store, values: dict[str, str]) -> None:
    """Set the store's secrets ``values`` (a restore), replacing the values those names had."""
    with _locked(store.secrets_file):
        current = read_secrets(store.secrets_file)
        if any(current.get(k) != v for k, v in values.items()):
            write_secrets(store.secrets_file, {**current, **values})


def move_from_meta(store: Store) -> None:
    """Move the secrets that a store made before issue 12 keeps in ``meta`` into its secrets file, with the
    same values, and delete them from ``meta``. Safe to repeat and when several processes open the store at
    once (the file is written under its lock before ``meta`` loses a row, and only rows equal to the file's are
    deleted). A file that holds other values for those names belongs to another store: refused."""
    m = schema.meta
    with store.engine.connect() as con:
        found = {str(k): str(v) for k, v in con.execute(sa.select(m.c.key, m.c.value).where(m.c.key.in_(META_KEYS)))}
    if not found:
        return
    with _locked(store.secrets_file):
        before = read_secrets(store.secrets_file)
        values = dict(before)
        for key, value in found.items():
            if values.setdefault(key, value) != value:
                raise StoreError(f"the ledger of {store.display} holds a {key} that differs from the one in the "
                                 f"secrets file {store.secrets_file}, which must belong to another store: give each "
                                 f"store its own secrets file (${ENV})",
                                 zh=f"{store.display} 的账本中的 {key} 与密钥文件 {store.secrets_file} 中的不同，"
                                    f"该文件必定属于另一个存储：请为每个存储指定各自的密钥文件（${ENV}）")
        if values != before:
            write_secrets(store.secrets_file, values)
        _delete_from_meta(store, found)


def _delete_from_meta(store: Store, found: dict[str, str]) -> None:
    """Delete the rows ``found`` from ``meta``; in SQLite overwrite their bytes (``secure_delete``) and empty the
    WAL (a checkpoint that truncates it), so the secrets are not left in the ledger's files either."""
    m = schema.meta
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as con:
        try:
            if sqlite:  # a PRAGMA does not begin pysqlite's transaction
                con.exec_driver_sql("PRAGMA secure_delete = ON")
            for key, value in found.items():
                con.execute(m.delete().where(m.c.key == key, m.c.value == value))
            con.commit()
            if sqlite:  # best effort: a reader in another process may keep the WAL's frames a while longer
                con.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                con.commit()
        finally:
            if sqlite:  # its secure_delete setting is not for the pool's other users
                con.invalidate()
