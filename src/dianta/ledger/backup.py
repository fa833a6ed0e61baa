"""Backup and restore: a consistent snapshot of the ledger and the lake, portable between backends.

A backup is a folder (0700): ``ledger/<table>.parquet`` (every ledger table, read in one snapshot transaction),
``secrets.json`` (the store's secrets, 0600: restored stores keep tokens and label codes valid), ``lake/…``
(the lake's files) and ``manifest.json`` (schema revision, row counts, and the SHA-256 of every file). Lake
files are immutable once published and never deleted, so copying the lake after the ledger's snapshot gives
every file the snapshot refers to (a file published meanwhile is copied too and simply not referenced).
Restore goes into a new, empty store (SQLite folder or PostgreSQL, whichever the backup came from), checks
every file against the manifest first, writes the secrets into the store's secrets file (a version 1 backup's
from its ``meta`` table: they never enter the new ledger) and inserts the tables in foreign-key order.

A lake file's SHA-256 in the manifest is the one its ledger row records (issue 13, dianta.ledger.integrity):
each lake file is hashed as it is copied, and a file the snapshot refers to that is missing or differs from its
record refuses the backup (a backup of a damaged file would look sound), naming it. Restore refuses a backup
whose ledger records another digest for a lake file than its manifest, or lacks a file its ledger refers to;
rows without a digest (a store not yet ``dianta lake verify --record``-ed) get the manifest's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from dianta.clock import now_iso
from dianta.errors import Conflict, StoreError, UsageError
from dianta.ledger import integrity, migrate, schema
from dianta.ledger import secrets as store_secrets
from dianta.ledger.store import Store

#: version 2 carries the secrets in ``secrets.json``; version 1 (before issue 12) in the ``meta`` table
FORMAT = "dianta-backup/2"
READABLE = {"dianta-backup/1", FORMAT}
SKIP_LAKE = {"_staging", "_tmp", "tmp"}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _copy_hashed(source: Path, target: Path) -> integrity.Digest:
    """Copy ``source`` to ``target`` (with its times, as ``shutil.copy2``), reading it once: the size and
    SHA-256 of the bytes written."""
    h = hashlib.sha256()
    size = 0
    with source.open("rb") as src, target.open("wb") as dst:
        for block in iter(lambda: src.read(1 << 20), b""):
            h.update(block)
            dst.write(block)
            size += len(block)
    shutil.copystat(source, target)
    return integrity.Digest(size, h.hexdigest())


def _arrow_type(column: sa.Column) -> pa.DataType:
    t = column.type
    if isinstance(t, sa.Boolean):
        return pa.bool_()
    if isinstance(t, sa.Integer):
        return pa.int64()
    if isinstance(t, sa.Float):
        return pa.float64()
    return pa.string()


def backup(store: Store, dest: Path) -> dict[str, Any]:
    """Write a backup of ``store`` to the new folder ``dest``; returns its manifest (``lake_unrecorded``: the
    lake files copied without a digest to check them against, published before digests were recorded).
    Raises :class:`LakeCorrupt` naming every lake file the snapshot refers to that is missing or differs from
    its record; nothing is left in ``dest`` then."""
    existed = dest.exists()
    if existed and any(dest.iterdir()):
        raise UsageError(f"{dest} exists and is not empty; give a new folder for the backup",
                         zh=f"{dest} 已存在且不为空；请为备份指定一个新文件夹")
    dest.mkdir(parents=True, exist_ok=True)
    dest.chmod(0o700)  # it holds the store's secrets (token and label keys) and everyone's data
    try:
        revision, counts, records = _ledger_snapshot(store, dest)
        store_secrets.write_secrets(dest / store_secrets.FILE_NAME, store_secrets.store_secrets(store))
        lake_files, unrecorded = _copy_lake(store, dest, records)
    except BaseException:  # nothing half-written is left to be taken for a backup
        for path in [dest] if not existed else list(dest.iterdir()):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        raise
    files = {path.relative_to(dest).as_posix(): _sha256(path) for path in sorted(dest.rglob("*"))
             if path.is_file() and path.relative_to(dest).parts[0] != "lake"}
    files.update(lake_files)  # hashed as they were copied: each equals the digest its ledger row records
    manifest = {"format": FORMAT, "created_at": now_iso(), "source": store.display, "revision": revision,
                "rows": counts, "files": dict(sorted(files.items())), "lake_unrecorded": unrecorded}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def _ledger_snapshot(store: Store, dest: Path) -> tuple[str, dict[str, int], dict[str, integrity.LakeFile]]:
    """Every ledger table into ``dest/ledger``, read in one snapshot transaction: (schema revision, rows per
    table, the lake files the snapshot refers to with their records)."""
    (dest / "ledger").mkdir(exist_ok=True)
    counts: dict[str, int] = {}
    with store.engine.connect() as con:
        if con.dialect.name == "postgresql":
            con = con.execution_options(isolation_level="REPEATABLE READ")
        with con.begin():  # one snapshot for every table
            if con.dialect.name == "sqlite":  # pysqlite begins only before writes: begin the read here
                con.exec_driver_sql("BEGIN")
            revision = con.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            for table in schema.metadata.sorted_tables:
                rows = con.execute(sa.select(table)).mappings().all()
                arrow_schema = pa.schema([(c.name, _arrow_type(c)) for c in table.columns])
                data = pa.Table.from_pylist([dict(r) for r in rows], schema=arrow_schema)
                path = dest / "ledger" / f"{table.name}.parquet"
                pq.write_table(data, path, compression="zstd")
                counts[table.name] = len(rows)
            records = {f.rel: f for f in integrity.referenced(con)}
    return str(revision), counts, records


def _copy_lake(store: Store, dest: Path, records: dict[str, integrity.LakeFile]
               ) -> tuple[dict[str, str], list[str]]:
    """Copy the lake into ``dest/lake``, hashing each file as it is copied: (``lake/<path>`` -> SHA-256, the
    referenced files that have no record). Raises :class:`LakeCorrupt` when a file the snapshot refers to is
    missing or differs from its record."""
    private = {p.absolute() for p in (store.secrets_file, store_secrets.lock_path(store.secrets_file))}
    files: dict[str, str] = {}
    found: list[integrity.Problem] = []
    for source in sorted(store.lake.rglob("*")):
        rel = source.relative_to(store.lake)
        if (source.is_file() and rel.parts[0] not in SKIP_LAKE and source.absolute() not in private
                and not rel.parts[0].startswith(store_secrets.FILE_NAME)):  # a PostgreSQL store's, in the lake
            target = dest / "lake" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = _copy_hashed(source, target)
            files[f"lake/{rel.as_posix()}"] = digest.sha256
            record = records.get(rel.as_posix())
            if record is not None and record.sha256 is not None and (record.sha256, record.size_bytes) != (
                    digest.sha256, digest.size_bytes):
                found.append(integrity.Problem(record.rel, "digest", f"{record.rel} has changed since it was "
                                               f"published (SHA-256 {digest.sha256[:16]}…, recorded "
                                               f"{record.sha256[:16]}…)"))
    found += [integrity.Problem(rel, "missing", f"{rel} is missing") for rel in sorted(records)
              if f"lake/{rel}" not in files]
    if found:
        raise integrity.refusal(found, outcome="No backup was made")
    return files, sorted(rel for rel, f in records.items() if f.sha256 is None)


def _manifest(src: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{src} is not a Dianta backup (manifest.json: {exc})",
                         zh=f"{src} 不是 Dianta 备份（manifest.json：{exc}）") from None
    if manifest.get("format") not in READABLE:
        raise UsageError(f"{src}: unknown backup format {manifest.get('format')!r}",
                         zh=f"{src}：未知的备份格式 {manifest.get('format')!r}")
    for rel, digest in manifest["files"].items():
        path = src / rel
        if not path.is_file() or _sha256(path) != digest:
            raise StoreError(f"the backup is damaged: {rel} is missing or changed since the backup was made; "
                             "nothing was restored",
                             zh=f"备份已损坏：{rel} 缺失或在备份后被改动；未恢复任何内容")
    return manifest


def restore(src: Path, store: Store) -> dict[str, int]:
    """Restore the backup ``src`` into ``store``, which must be new (no batch, no user). Returns the rows
    restored per table. Raises :class:`LakeCorrupt` (nothing restored) when the backup's ledger refers to a lake
    file the backup lacks or records another digest for it than the manifest."""
    manifest = _manifest(src)
    if int(manifest["revision"]) > int(migrate.head()):
        raise UsageError(f"the backup's schema revision {manifest['revision']} is newer than this Dianta's "
                         f"({migrate.head()}): restore it with the version that made it",
                         zh=f"备份的数据库结构版本 {manifest['revision']} 比当前 Dianta 的版本（{migrate.head()}）新："
                            f"请用生成该备份的版本恢复")
    _refuse_unless_new(store)
    settled = _lake_rows(src, manifest)
    store_secrets.put_secrets(store, _backup_secrets(src, manifest))
    restored = _restore_ledger(src, store, settled)
    _restore_lake(src, store, manifest)
    if restored != {k: v for k, v in manifest["rows"].items() if k in restored}:
        raise StoreError("the restored row counts differ from the backup's manifest",
                         zh="恢复后的行数与备份清单不符")
    return restored


def _refuse_unless_new(store: Store) -> None:
    with store.engine.connect() as con:
        used = con.execute(sa.select(sa.func.count()).select_from(schema.batches)).scalar() \
            or con.execute(sa.select(sa.func.count()).select_from(schema.users)).scalar()
    if used:
        raise Conflict(f"{store.display} already holds data; restore into a new store (a new --db)",
                       zh=f"{store.display} 中已有数据；请恢复到新的存储（新的 --db）")


def _restore_ledger(src: Path, store: Store, settled: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """The backup's ledger tables into the store's, in one transaction (``settled``: the rows that refer to lake
    files, checked); the rows restored per table."""
    restored: dict[str, int] = {}
    with store.engine.begin() as con:
        for table in schema.metadata.sorted_tables:
            path = src / "ledger" / f"{table.name}.parquet"
            if not path.exists():  # a table newer than the backup
                continue
            rows = settled.get(table.name) or _rows(path, table)
            restored[table.name] = len(rows)
            if table is schema.meta:  # secrets of a version 1 backup went to the secrets file
                rows = [r for r in rows if r["key"] not in store_secrets.META_KEYS]
            con.execute(table.delete())  # e.g. meta rows the new store made on opening
            if rows:
                con.execute(table.insert(), rows)
        if con.dialect.name == "postgresql":  # identity columns continue after the restored ids
            _continue_identities(con)
    return restored


def _continue_identities(con: sa.Connection) -> None:
    for table in schema.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for column in keys if len(keys) == 1 and isinstance(keys[0].type, sa.Integer) else []:
            con.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                f"coalesce((SELECT max({column.name}) FROM {table.name}), 0) + 1, false)"))


def _restore_lake(src: Path, store: Store, manifest: dict[str, Any]) -> None:
    """The backup's lake files into the store's lake, each checked against the manifest as it is copied."""
    for rel, digest in manifest["files"].items():
        if rel.startswith("lake/"):
            target = store.lake / rel[len("lake/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            if _copy_hashed(src / rel, target).sha256 != digest:
                raise StoreError(f"{rel} changed while it was copied into the store's lake (a failing disk?); "
                                 "restore into a new store again",
                                 zh=f"{rel} 在复制到存储的数据湖时发生了变化（磁盘故障？）；请重新恢复到新的存储")


def _rows(path: Path, table: sa.Table) -> list[dict[str, Any]]:
    """The rows of a backed-up ledger table, with the columns ``table`` has."""
    names = {c.name for c in table.columns}
    return [{k: v for k, v in r.items() if k in names} for r in pq.read_table(path).to_pylist()]


def _lake_rows(src: Path, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The backup's rows of the tables that refer to lake files (``lake_files``, ``quarantine``, ``lake:``
    history rows), each file's record checked against the manifest; a row without one (made before digests
    were recorded) gets the manifest's. Raises :class:`LakeCorrupt` naming each file the backup lacks or
    whose record and manifest differ."""
    found: list[integrity.Problem] = []

    def settle(rel: str, size_bytes: int | None, sha256: str | None) -> dict[str, Any]:
        digest = manifest["files"].get(f"lake/{rel}")
        if digest is None:
            found.append(integrity.Problem(rel, "missing", f"{rel} is missing from the backup"))
            return {}
        size = (src / "lake" / rel).stat().st_size
        if sha256 is not None and (sha256, size_bytes) != (digest, size):
            found.append(integrity.Problem(rel, "digest", f"{rel} differs from what the backup's ledger records "
                                           f"(SHA-256 {digest[:16]}…, recorded {sha256[:16]}…)"))
        return {"size_bytes": size, "sha256": digest}

    out: dict[str, list[dict[str, Any]]] = {}
    for table in (schema.lake_files, schema.quarantine, schema.history):
        path = src / "ledger" / f"{table.name}.parquet"
        rows = _rows(path, table) if path.exists() else []
        for r in rows:
            if table is schema.lake_files:
                r.update(settle(r["path"], r.get("size_bytes"), r.get("sha256")))
            elif table is schema.quarantine and r["parquet_path"]:
                r.update(settle(r["parquet_path"], r.get("size_bytes"), r.get("sha256")))
            elif table is schema.history and r["row_key"].startswith("lake:"):
                meta = json.loads(r["old_json"])
                now = settle(r["row_key"][len("lake:"):], meta.get("size_bytes"), meta.get("sha256"))
                if now and meta.get("sha256") is None:
                    r["old_json"] = json.dumps({**meta, **now})
        out[table.name] = rows
    if found:
        raise integrity.refusal(found, outcome="Nothing was restored")
    return out


def _backup_secrets(src: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """The secrets a backup carries: its ``secrets.json`` (checked against the manifest), or in a version 1
    backup the secret rows of its ``meta`` table."""
    if store_secrets.FILE_NAME in manifest["files"]:
        return store_secrets.read_secrets(src / store_secrets.FILE_NAME)
    meta = src / "ledger" / f"{schema.meta.name}.parquet"
    rows = pq.read_table(meta).to_pylist() if meta.exists() else []
    return {str(r["key"]): str(r["value"]) for r in rows if r["key"] in store_secrets.META_KEYS}
