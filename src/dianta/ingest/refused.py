"""Refused batches, kept: a batch sent over HTTP that the checks refused is recorded in ``batches`` with status
``refused`` (it changed no data row, no mark, no lake file of a table) and its findings, and its files are kept
under ``lake/_refused/<token>/`` (up to :data:`KEEP_BYTES`) with their size and SHA-256, so that the operator can
list it, read why, download what was sent, correct it and send it again (issue 17).

Decisions: only uploads are kept (a batch refused by ``dianta ingest`` stays in the folder it was read from);
the row is written under :func:`lock_writes` like every batch, so batch ids stay in commit order; a refused
batch counts no rows (``counts`` is empty), so no check that reads the batches (a batch overtaken, the
incremental plan, enterprise findings) takes it for data. Files are copied before the row commits: a crash
between leaves an unreferenced folder, never a row naming a missing file.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from pathlib import Path

import sqlalchemy as sa

from dianta.clock import now_iso
from dianta.errors import LakeCorrupt, NotFound
from dianta.findings import Finding
from dianta.ingest.apply import MAX_KEPT_FINDINGS, InTransaction
from dianta.ingest.batches import get_batch
from dianta.ledger import schema
from dianta.ledger.store import Store, lock_writes

#: the files of a refused batch are kept when together they are no larger than this [bytes]; a larger batch is
#: listed with its findings and its files' names, sizes and SHA-256 only
KEEP_BYTES = 64 << 20
REFUSED_DIR = "_refused"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def keep_refused(store: Store, folder: Path, findings: list[Finding], *, reason: str | None, user: str,
                 in_transaction: InTransaction | None = None) -> int:
    """Record the refused batch in ``folder`` (its files as sent) with ``findings``; its batch id.
    ``in_transaction(tx, batch_id, "refused")`` (the audit entry) commits with the row."""
    sent = sorted(p for p in folder.iterdir() if p.is_file())
    total = sum(p.stat().st_size for p in sent)
    kept_dir = None
    if total <= KEEP_BYTES:
        kept_dir = store.lake / REFUSED_DIR / secrets.token_hex(8)
        kept_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for path in sent:
        entry: dict[str, object] = {"name": path.name, "size_bytes": path.stat().st_size, "sha256": _sha256(path)}
        if kept_dir is not None:
            shutil.copyfile(path, kept_dir / path.name)
            entry["kept"] = (kept_dir / path.name).relative_to(store.lake).as_posix()
        files.append(entry)
    summary = {"counts": {}, "warnings": sum(f.severity == "warning" for f in findings),
               "errors": sum(f.severity == "error" for f in findings), "marked_accounts": 0, "files": files,
               "findings": [f.as_dict() for f in findings[:MAX_KEPT_FINDINGS]]}
    with store.engine.begin() as tx:
        lock_writes(tx)
        key = tx.execute(schema.batches.insert().values(
            received_at=now_iso(), received_by=user, reason=reason, source="upload", status="refused",
            summary_json=json.dumps(summary, ensure_ascii=False))).inserted_primary_key
        assert key is not None
        batch_id = int(key[0])
        if in_transaction is not None:
            in_transaction(tx, batch_id, "refused")
    return batch_id


def refused_file(store: Store, batch_id: int, name: str) -> Path:
    """The kept file ``name`` of refused batch ``batch_id``, checked against the SHA-256 recorded with it;
    :class:`NotFound` when the batch was not refused, did not send that file or was too large to keep."""
    batch = get_batch(store, batch_id)
    if batch.status != "refused":
        raise NotFound(f"batch {batch_id} was not refused; its data is in the ledger",
                       zh=f"批次 {batch_id} 未被拒收，其数据已在账本中")
    entry = next((f for f in batch.summary.get("files", []) if f.get("name") == name), None)
    if entry is None or not entry.get("kept"):
        raise NotFound(f"batch {batch_id} has no kept file {name!r} (files over {KEEP_BYTES >> 20} MB are not kept)",
                       zh=f"批次 {batch_id} 没有保留文件“{name}”（超过 {KEEP_BYTES >> 20} MB 的文件不保留）")
    path = store.lake / str(entry["kept"])
    if not path.is_file() or _sha256(path) != entry["sha256"]:
        raise LakeCorrupt(f"{entry['kept']} is missing or has changed since batch {batch_id} was refused",
                          [str(entry["kept"])])
    return path


def refused_batches(store: Store, *, limit: int | None = None) -> list[int]:
    """The ids of the refused batches, newest first."""
    b = schema.batches
    with store.engine.connect() as con:
        return [int(i) for i in con.execute(sa.select(b.c.batch_id).where(b.c.status == "refused")
                                            .order_by(b.c.batch_id.desc()).limit(limit)).scalars()]
