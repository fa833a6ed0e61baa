"""Opening the store: ``<root>/ledger.sqlite`` (the ledger) and ``<root>/lake/`` (Parquet).

A batch is applied across ledger and lake at once (DESIGN.md): lake files are written to
``lake/_staging/<token>/``, the ledger transaction that references them commits, then the files are
published by rename. On open, staging debris of uncommitted batches is removed and committed files still
in staging are published.
"""

from __future__ import annotations

import getpass
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from dianta.errors import StoreError
from dianta.ledger import schema


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_user() -> str:
    """Who runs the command (recorded with every batch, correction and run)."""
    try:
        return os.environ.get("DIANTA_USER") or getpass.getuser()
    except OSError:
        return "unknown"


class Store:
    """The embedded store under ``root`` (created when new)."""

    def __init__(self, root: Path | str):
        root_text = str(root)
        if root_text.startswith(("postgresql://", "postgres://")):
            raise StoreError("PostgreSQL stores arrive with the multi-user service; use a folder path for --db")
        self.root = Path(root_text)
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"--db {self.root} is a file; give a folder (it is created when new)")
        self.lake = self.root / "lake"
        self.staging = self.lake / "_staging"
        self.staging.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        self.engine = sa.create_engine(f"sqlite:///{self.root / 'ledger.sqlite'}")
        sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        schema.metadata.create_all(self.engine)
        with self.engine.begin() as con:
            version = con.execute(sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
                                  ).scalar()
            if version is None:
                con.execute(schema.meta.insert().values(key="schema_version", value=str(schema.SCHEMA_VERSION)))
            elif int(version) != schema.SCHEMA_VERSION:
                raise StoreError(f"store {self.root} has schema version {version}; this Dianta reads "
                                 f"{schema.SCHEMA_VERSION}")
        self.recover()

    def recover(self) -> None:
        """Publish committed lake files left in staging; remove staging debris of uncommitted work."""
        with self.engine.connect() as con:
            known = {r[0] for r in con.execute(sa.select(schema.lake_files.c.path))}
        for token_dir in self.staging.iterdir():
            for f in token_dir.rglob("*.parquet"):
                rel = f.relative_to(token_dir).as_posix()
                if rel in known and not (self.lake / rel).exists():
                    (self.lake / rel).parent.mkdir(parents=True, exist_ok=True)
                    os.replace(f, self.lake / rel)
            shutil.rmtree(token_dir, ignore_errors=True)

    def active_files(self, table: str, months: list[str] | None = None) -> list[Path]:
        """The committed, current lake files of a table (optionally of some months)."""
        lf = schema.lake_files
        query = sa.select(lf.c.path).where(lf.c.table_name == table, lf.c.state == "active").order_by(lf.c.path)
        if months is not None:
            query = query.where(lf.c.month.in_(months))
        with self.engine.connect() as con:
            return [self.lake / r[0] for r in con.execute(query)]

    def temp_dir(self) -> Path:
        return self.root / "tmp"


def _sqlite_pragmas(dbapi_con, _record) -> None:  # noqa: ANN001 - DB-API connection
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
