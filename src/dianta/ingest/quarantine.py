"""Quarantined rows of ``--partial`` batches: list them and write them back out as a batch to re-submit."""

from __future__ import annotations

import csv
import io
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


def _open_rows(store: Store, *, batch_id: int | None = None, table: str | None = None,
               ids: list[int] | None = None) -> dict[str, list[tuple[dict[str, object], list[object]]]]:
    """The open quarantined rows, as sent, by table: (the row's values, its reasons)."""
    qt = schema.quarantine
    query = sa.select(qt).where(qt.c.state == "open").order_by(qt.c.table_name, qt.c.batch_id, qt.c.row)
    if batch_id is not None:
        query = query.where(qt.c.batch_id == batch_id)
    if table is not None:
        query = query.where(qt.c.table_name == table)
    if ids is not None:
        query = query.where(qt.c.quarantine_id.in_(ids))
    with store.engine.connect() as con:
        rows = con.execute(query).all()
    # the rows kept as Parquet are checked against their records before anything is read
    integrity.check_paths(store, [store.lake / r.parquet_path for r in rows if r.parquet_path])
    by_table: dict[str, list[tuple[dict[str, object], list[object]]]] = {}
    for r in rows:
        reasons = json.loads(r.reasons_json)
        if r.parquet_path:
            with duckdb.connect() as reader:
                rel = reader.read_parquet(str(store.lake / r.parquet_path))
                names = [c for c in rel.columns if c != "_row"]
                by_table.setdefault(r.table_name, []).extend((dict(zip(names, v, strict=True)), reasons)
                                                             for v in rel.select(*names).fetchall())
        else:
            by_table.setdefault(r.table_name, []).append((json.loads(r.values_json), reasons))
    return by_table


def reason_text(reasons: list[object], lang: str) -> str:
    """A row's reasons as one cell: ``column: message`` in the language ``lang`` (zh or en), joined by ``; ``."""
    out = []
    for r in reasons:
        if isinstance(r, dict):
            where = r.get("header") or r.get("column")
            text = str(r.get("zh" if lang == "zh" else "en") or r.get("en") or r.get("code") or "")
            out.append(f"{where}{'：' if lang == 'zh' else ': '}{text}" if where else text)
        else:
            out.append(str(r))
    return ("；" if lang == "zh" else "; ").join(out)


def quarantine_csv(store: Store, table: str, *, batch_id: int | None = None, lang: str = "zh") -> str:
    """The open quarantined rows of ``table`` as CSV: the table's columns as sent, then the reasons column
    (``隔离原因`` or ``quarantine_reason``, in ``lang``), which an upload drops (ingest.upload.REASON_HEADERS): the
    file can be corrected and sent back as a batch as it is. With a BOM, for Excel on Chinese Windows."""
    if table not in TABLES:
        raise UsageError(f"'{table}' is not a table of the data requirement table",
                         zh=f"“{table}”不是数据需求表中的表")
    records = _open_rows(store, batch_id=batch_id, table=table).get(table, [])
    columns = list(TABLES[table].column_names)
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow([*columns, "隔离原因" if lang == "zh" else "quarantine_reason"])
    for rec, reasons in records:
        w.writerow([*("" if rec.get(c) is None else rec.get(c) for c in columns), reason_text(reasons, lang)])
    return out.getvalue()


def mark_resubmitted(tx: sa.Connection, quarantine_ids: list[int]) -> int:
    """Mark open quarantine entries ``resubmitted`` (their rows were corrected and sent again, in the batch whose
    transaction ``tx`` is); the number marked."""
    qt = schema.quarantine
    if not quarantine_ids:
        return 0
    return int(tx.execute(qt.update().where(qt.c.quarantine_id.in_(quarantine_ids), qt.c.state == "open")
                          .values(state="resubmitted")).rowcount)


def export_quarantine(store: Store, batch_id: int, folder: Path) -> dict[str, int]:
    """Write a batch's open quarantined rows, as sent, into ``folder`` (one CSV per table) so that they can
    be corrected and ingested again; marks them ``resubmitted``. Returns rows written per table."""
    by_table = _open_rows(store, batch_id=batch_id)
    if not by_table:
        raise UsageError.of("no_open_quarantine", batch_id=batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for table, records in by_table.items():
        columns = list(TABLES[table].column_names)
        # with a BOM, so that Excel on Chinese Windows opens the names correctly; ingest reads it back
        with (folder / f"{table}.csv").open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(columns)
            for rec, _reasons in records:
                w.writerow(["" if rec.get(c) is None else rec.get(c) for c in columns])
        written[table] = len(records)
    qt = schema.quarantine
    with store.engine.begin() as tx:
        tx.execute(qt.update().where(qt.c.batch_id == batch_id, qt.c.state == "open").values(state="resubmitted"))
    return written
