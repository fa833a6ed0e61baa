"""The batches the ledger received: each with who sent it, when and why, its status and its summary (row counts
by table, warnings, and the findings that warned or quarantined rows)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dianta.errors import NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store


@dataclass(frozen=True, slots=True)
class BatchRecord:
    batch_id: int
    received_at: str
    received_by: str
    reason: str | None
    source: str
    status: str  # applied | partial | refused (dianta.ingest.refused)
    summary: dict[str, Any]

    @property
    def counts(self) -> dict[str, dict[str, int]]:
        """Rows by table: new, unchanged, corrected, quarantined."""
        counts: dict[str, dict[str, int]] = self.summary.get("counts", {})
        return counts

    @property
    def warnings(self) -> int:
        return int(self.summary.get("warnings", 0))

    @property
    def errors(self) -> int:
        return int(self.summary.get("errors", 0))

    @property
    def files(self) -> list[dict[str, Any]]:
        """A refused batch's files: name, size_bytes, sha256 and where it is kept (``kept``, when it is)."""
        files: list[dict[str, Any]] = self.summary.get("files", [])
        return files

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The warnings of the batch and the reasons its quarantined rows were rejected (as finding dicts)."""
        findings: list[dict[str, Any]] = self.summary.get("findings", [])
        return findings


def _record(row: sa.Row[Any]) -> BatchRecord:
    return BatchRecord(batch_id=row.batch_id, received_at=row.received_at, received_by=row.received_by,
                       reason=row.reason, source=row.source, status=row.status, summary=json.loads(row.summary_json))


#: the fields a batch list may be sorted by (``-`` first for descending)
SORT_FIELDS = ("batch_id", "received_at", "received_by", "status")


def list_batches(store: Store, *, limit: int | None = None, status: str | None = None, offset: int = 0,
                 sort: str | None = None) -> list[BatchRecord]:
    """The batches received, newest first or in ``sort`` order (a field of :data:`SORT_FIELDS`, ``-`` first for
    descending, then the batch number); the ``limit`` from ``offset``; only those of ``status`` when given."""
    b = schema.batches
    field = (sort or "-batch_id").lstrip("-")
    column = b.c[field] if field in SORT_FIELDS else b.c.batch_id
    descending = (sort or "-batch_id").startswith("-")
    query = sa.select(b).order_by(column.desc() if descending else column.asc(), b.c.batch_id.desc())
    query = query.limit(limit).offset(offset)
    if status is not None:
        query = query.where(b.c.status == status)
    with store.engine.connect() as con:
        rows = con.execute(query).all()
    return [_record(r) for r in rows]


def count_batches(store: Store, *, status: str | None = None) -> int:
    """How many batches were received (of ``status`` when given)."""
    b = schema.batches
    query = sa.select(sa.func.count()).select_from(b)
    if status is not None:
        query = query.where(b.c.status == status)
    with store.engine.connect() as con:
        return int(con.execute(query).scalar_one())


def get_batch(store: Store, batch_id: int) -> BatchRecord:
    """One batch; :class:`NotFound` when the ledger never received it."""
    b = schema.batches
    with store.engine.connect() as con:
        row = con.execute(sa.select(b).where(b.c.batch_id == batch_id)).first()
    if row is None:
        raise NotFound.of("no_batch", batch_id=batch_id)
    return _record(row)
