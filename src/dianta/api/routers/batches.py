"""Batches (upload with the same checks as `dianta ingest`), quarantine, corrections, compute."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, File, Form, Query, UploadFile

from dianta.accounts.compute import compute_year
from dianta.api.deps import Id, IdQuery, Limit, PrincipalDep, StoreDep, errors, signed_in
from dianta.api.schemas import (
    BatchList,
    BatchPublic,
    BatchUploadPublic,
    ComputeRunCreate,
    ComputeRunPublic,
    CorrectionPublic,
    FindingPublic,
    QuarantinePublic,
    TableCounts,
)
from dianta.ingest import batches
from dianta.ingest.batches import BatchRecord
from dianta.ingest.corrections import list_corrections
from dianta.ingest.quarantine import list_quarantine
from dianta.ingest.upload import ingest_upload
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/batches", tags=["batches and computation"], responses=signed_in())
quarantine_router = APIRouter(prefix="/quarantine", tags=["batches and computation"], responses=signed_in())
corrections_router = APIRouter(prefix="/corrections", tags=["batches and computation"], responses=signed_in())
compute_router = APIRouter(prefix="/compute", tags=["batches and computation"], responses=signed_in())


@router.post("", response_model=BatchUploadPublic, status_code=201, responses=errors(400, 409, 413))
def upload_batch(store: StoreDep, principal: PrincipalDep, files: Annotated[list[UploadFile], File()],
                 partial: Annotated[bool, Form()] = False,
                 reason: Annotated[str | None, Form(max_length=500)] = None) -> BatchUploadPublic:
    """Upload one batch (the files of DATA-REQUIREMENTS.md): refused as a whole (422, every finding listed)
    unless every row passes, or applied with the rejected rows quarantined when ``partial``; 409 when another
    batch changed what this one was checked against while it was applied (nothing applied: send it again)."""
    authorize(store, principal, "batch.upload", resource="batches")

    def audited(tx: sa.Connection, batch_id: int, status: str) -> None:  # the entry commits with the batch
        audit.record(store, principal=principal, action="batch.upload", resource=f"batch:{batch_id}", why=reason,
                     detail={"status": status, "files": [f.filename for f in files]}, connection=tx)

    result = ingest_upload(store, ((f.filename or "", f.file) for f in files), partial=partial, reason=reason,
                           user=principal.actor, in_transaction=audited)
    return BatchUploadPublic.model_validate({
        "status": result.status, "batch_id": result.batch_id, "marked_accounts": result.marked_accounts,
        "counts": {k: TableCounts(**v.as_dict()) for k, v in result.counts.items()},
        "findings": [FindingPublic.model_validate(f.as_dict()) for f in result.findings]})


def _batch(batch: BatchRecord) -> BatchPublic:
    return BatchPublic(batch_id=batch.batch_id, received_at=batch.received_at, received_by=batch.received_by,
                       reason=batch.reason, status=batch.status, warnings=batch.warnings,
                       counts={table: TableCounts(**n) for table, n in batch.counts.items()})


@router.get("", response_model=BatchList)
def list_batches(store: StoreDep, principal: PrincipalDep, limit: Limit = 100) -> BatchList:
    authorize(store, principal, "batch.read", resource="batches")
    found = batches.list_batches(store, limit=limit)
    audit.record(store, principal=principal, action="batch.read", resource="batches",
                 detail={"batch_ids": [b.batch_id for b in found]})
    return BatchList(items=[_batch(b) for b in found])


@router.get("/{batch_id}", response_model=BatchPublic, responses=errors(404))
def get_batch(store: StoreDep, principal: PrincipalDep, batch_id: Id) -> BatchPublic:
    authorize(store, principal, "batch.read", resource=f"batch:{batch_id}")
    batch = batches.get_batch(store, batch_id)
    audit.record(store, principal=principal, action="batch.read", resource=f"batch:{batch_id}")
    return _batch(batch)


@router.get("/{batch_id}/findings", response_model=list[FindingPublic], responses=errors(404))
def batch_findings(store: StoreDep, principal: PrincipalDep, batch_id: Id) -> list[FindingPublic]:
    """The warnings of an applied batch and the reasons its quarantined rows were rejected."""
    authorize(store, principal, "batch.read", resource=f"batch:{batch_id}")
    findings = batches.get_batch(store, batch_id).findings
    audit.record(store, principal=principal, action="batch.read", resource=f"batch:{batch_id}:findings",
                 detail={"findings": len(findings)})
    return [FindingPublic.model_validate(f) for f in findings]


@quarantine_router.get("", response_model=list[QuarantinePublic])
def quarantine(store: StoreDep, principal: PrincipalDep, batch_id: IdQuery = None) -> list[QuarantinePublic]:
    authorize(store, principal, "batch.read", resource="quarantine")
    entries = list_quarantine(store, batch_id=batch_id)
    audit.record(store, principal=principal, action="batch.read", resource=f"quarantine:{batch_id or 'all'}",
                 detail={"quarantine_ids": [e.quarantine_id for e in entries],
                         "rows": sum(e.n_rows for e in entries)})
    return [QuarantinePublic(quarantine_id=e.quarantine_id, batch_id=e.batch_id, table=e.table, row=e.row,
                             file=e.file, n_rows=e.n_rows, reasons=e.reasons, state=e.state)
            for e in entries]


@corrections_router.get("", response_model=list[CorrectionPublic])
def corrections(store: StoreDep, principal: PrincipalDep,
                table: Annotated[str | None, Query(max_length=64)] = None,
                key: Annotated[str | None, Query(max_length=200)] = None) -> list[CorrectionPublic]:
    """Every correction with its old and new values, and who made it, when and why."""
    authorize(store, principal, "corrections.read", resource="corrections")
    found = list_corrections(store, table=table, key=key)
    audit.record(store, principal=principal, action="corrections.read", resource=f"corrections:{table or 'all'}",
                 detail={"key": key, "row_keys": [c.row_key for c in found],
                         "batch_ids": sorted({c.batch_id for c in found})})
    return [CorrectionPublic(batch_id=c.batch_id, received_at=c.received_at, received_by=c.received_by,
                             reason=c.reason, table=c.table, row_key=c.row_key, old=c.old, new=c.new, note=c.note)
            for c in found]


@compute_router.post("", response_model=ComputeRunPublic, responses=errors(409, 413))
def compute(store: StoreDep, principal: PrincipalDep, body: ComputeRunCreate) -> ComputeRunPublic:
    """Compute and publish every account of a year (METHODOLOGY.md). Computations and batches are published one
    at a time; 409 when accounts of the year from newer data were published while this one computed."""
    authorize(store, principal, "compute.run", resource=f"accounts:{body.year}")

    def audited(tx: sa.Connection, run_id: int, mode: str) -> None:  # the entry commits with the run
        audit.record(store, principal=principal, action="compute.run", resource=f"accounts:{body.year}",
                     detail={"run_id": run_id, "profile": body.profile, "mode": mode}, connection=tx)

    result = compute_year(store, body.year, profile=body.profile, user=principal.actor, incremental=body.incremental,
                          in_transaction=audited)
    return ComputeRunPublic(run_id=result.run_id, year=body.year, profile_id=result.profile_id,
                         accounts=len(result.records), mode=result.mode, recomputed=result.recomputed,
                         by_grade={str(g or "not rated"): n for g, n in sorted(result.grades.items(),
                                                                               key=lambda x: x[0] or 9)})
