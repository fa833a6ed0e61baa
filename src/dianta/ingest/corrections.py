"""The history of corrections: what a re-sent row changed, and who changed it, when and why."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from dianta.ledger import schema
from dianta.ledger.store import Store


@dataclass(slots=True)
class Correction:
    batch_id: int
    received_at: str
    received_by: str
    reason: str | None
    table: str
    row_key: str
    old: dict[str, object]
    new: dict[str, object]
    note: str = ""

    @property
    def changed(self) -> list[str]:
        return [k for k in self.new if self.old.get(k) != self.new.get(k)]


def list_corrections(store: Store, *, table: str | None = None, key: str | None = None) -> list[Correction]:
    """Every correction in the order it was made (interval tables: one entry per batch, pointing at the
    Parquet file that keeps the old values)."""
    h, b = schema.history, schema.batches
    query = (sa.select(h.c.batch_id, b.c.received_at, b.c.received_by, b.c.reason, h.c.table_name, h.c.row_key,
                       h.c.old_json, h.c.new_json)
             .join(b, b.c.batch_id == h.c.batch_id).order_by(h.c.history_id))
    if table is not None:
        query = query.where(h.c.table_name == table)
    if key is not None:
        query = query.where(h.c.row_key.contains(key, autoescape=True))
    out = []
    with store.engine.connect() as con:
        for r in con.execute(query):
            old, new = json.loads(r.old_json), json.loads(r.new_json)
            lake = r.row_key.startswith("lake:")
            note = f"{old.get('rows')} rows; old values in lake/{old.get('file')}" if lake else ""
            out.append(Correction(r.batch_id, r.received_at, r.received_by, r.reason, r.table_name, r.row_key,
                                  {} if note else old, new, note))
    return out
