"""Quarantined rows of ``--partial`` batches: list them and write them back out as a batch to re-submit."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlalchemy as sa

from dianta.errors import UsageError
from dianta.glossary import TABLES
from dianta.ledger import integrity, schema
from dianta.ledger.store import Store


@dataclass(slots=True)
class QuarantineEntry:
    quarantine_id: int
    batch_id: int
    table: str
    row: int | None
    file: str | None
    n_rows: int
    reasons: list[object]
    state: str


def list_quarantine(store: Store, *, batch_id: int | None = None, include_resubmitted: bool = False
                    ) -> list[QuarantineEntry]:
    qt = schema.quarantine
    query = sa.select(qt).order_by(qt.c.batch_id, qt.c.table_name, qt.c.row)
    if batch_id is not None:
        query = query.where(qt.c.batch_id == batch_id)
    if not include_resubmitted:
        query = query.where(qt.c.state == "open")
    with store.engine.connect() as con:
        return [QuarantineEntry(r.quarantine_id, r.batch_id, r.table_name, r.row, r.file, r.n_rows,
                                json.loads(r.reasons_json), r.state) for r in con.execute(query)]


def export_quarantine(store: Store, batch_id: int, folder: Path) -> dict[str, int]:
    """Write a batch's open quarantined rows, as sent, into ``folder`` (one CSV per table) so that they can
    be corrected and ingested again; marks them ``resubmitted``. Returns rows written per table."""
    qt = schema.quarantine
    with store.engine.connect() as con:
        rows = con.execute(sa.select(qt).where(qt.c.batch_id == batch_id, qt.c.state == "open")
                           .order_by(qt.c.table_name, qt.c.row)).all()
    if not rows:
        raise UsageError(f"batch {batch_id} has no open quarantined rows; `dianta quarantine list` shows them")
    # the rows kept as Parquet are checked against their records before anything is written
    integrity.check_paths(store, [store.lake / r.parquet_path for r in rows if r.parquet_path])
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    by_table: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        if r.parquet_path:
            with duckdb.connect() as reader:
                rel = reader.read_parquet(str(store.lake / r.parquet_path))
                names = [c for c in rel.columns if c != "_row"]
                by_table.setdefault(r.table_name, []).extend(dict(zip(names, v, strict=True))
                                                             for v in rel.select(*names).fetchall())
        else:
            by_table.setdefault(r.table_name, []).append(json.loads(r.values_json))
    for table, records in by_table.items():
        columns = list(TABLES[table].column_names)
        # with a BOM, so that Excel on Chinese Windows opens the names correctly; ingest reads it back
        with (folder / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for rec in records:
                w.writerow(["" if rec.get(c) is None else rec.get(c) for c in columns])
        written[table] = len(records)
    with store.engine.begin() as tx:
        tx.execute(qt.update().where(qt.c.batch_id == batch_id, qt.c.state == "open").values(state="resubmitted"))
    return written
