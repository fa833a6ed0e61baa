"""Batches (upload with the same checks as `dianta ingest`), quarantine, corrections, compute."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

import sqlalchemy as sa
from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi import Path as FastApiPath

from dianta.accounts.compute import compute_year, dry_run_year, one_computation
from dianta.api.deps import Id, IdQuery, Limit, Page, PageSize, PrincipalDep, StoreDep, errors, signed_in
from dianta.api.files import file_formats, file_response
from dianta.api.schemas import (
    AccountChangePublic,
    BatchFilePublic,
    BatchList,
    BatchPreviewPublic,
    BatchPublic,
    BatchUploadPublic,
    ComputeRunCreate,
    ComputeRunPublic,
    CorrectionChangePublic,
    CorrectionPublic,
    DryRunPublic,
    FindingPublic,
    QuarantinePublic,
    TableCounts,
    TablePreviewPublic,
)
from dianta.glossary import TABLES
from dianta.ingest import batches
from dianta.ingest.batches import BatchRecord
from dianta.ingest.corrections import Correction, list_corrections
from dianta.ingest.quarantine import list_quarantine, mark_resubmitted, quarantine_csv
from dianta.ingest.refused import refused_file
from dianta.ingest.upload import ingest_upload, preview_upload
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/batches", tags=["batches and computation"], responses=signed_in())
quarantine_router = APIRouter(prefix="/quarantine", tags=["batches and computation"], responses=signed_in())
corrections_router = APIRouter(prefix="/corrections", tags=["batches and computation"], responses=signed_in())
compute_router = APIRouter(prefix="/compute", tags=["batches and computation"], responses=signed_in())


Files = Annotated[list[UploadFile], File(description="the batch's table files (.csv, .xlsx, .parquet), or a .zip "
                                         "of them")]


@router.post("", response_model=BatchUploadPublic, status_code=201, responses=errors(400, 409, 413, 422))
def upload_batch(store: StoreDep, principal: PrincipalDep, files: Files,
                 partial: Annotated[bool, Form()] = False,
                 reason: Annotated[str | None, Form(max_length=500)] = None,
                 resubmits: Annotated[list[int] | None, Form(description="the quarantine entries whose corrected "
                                                            "rows this batch sends again (marked resubmitted when "
                                                            "it is applied)")] = None) -> BatchUploadPublic:
    """Upload one batch (the files of DATA-REQUIREMENTS.md, or a zip of them): refused as a whole (422, every
    finding listed, the batch kept as ``refused`` with its files: its ``batch_id`` is in the answer) unless every
    row passes, or applied with the rejected rows quarantined when ``partial``; 409 when another batch changed
    what this one was checked against while it was applied (nothing applied: send it again). A CSV downloaded
    from the quarantine may be sent back as it is: its reasons column is dropped."""
    authorize(store, principal, "batch.upload", resource="batches")
    resent = sorted({i for i in resubmits or [] if 0 < i < 2**31})

    def audited(tx: sa.Connection, batch_id: int, status: str) -> None:  # the entry commits with the batch
        marked = mark_resubmitted(tx, resent) if status != "refused" else 0
        audit.record(store, principal=principal, action="batch.upload", resource=f"batch:{batch_id}", why=reason,
                     detail={"status": status, "files": [f.filename for f in files],
                             **({"resubmits": resent, "resubmitted": marked} if resent else {})}, connection=tx)

    result = ingest_upload(store, ((f.filename or "", f.file) for f in files), partial=partial, reason=reason,
                           user=principal.actor, in_transaction=audited, keep_refused=True)
    return BatchUploadPublic.model_validate({
        "status": result.status, "batch_id": result.batch_id, "marked_accounts": result.marked_accounts,
        "counts": {k: TableCounts(**v.as_dict()) for k, v in result.counts.items()},
        "findings": [FindingPublic.model_validate(f.as_dict()) for f in result.findings]})


@router.post("/preview", response_model=BatchPreviewPublic, responses=errors(400, 413))
def preview_batch(store: StoreDep, principal: PrincipalDep, files: Files,
                  partial: Annotated[bool, Form()] = False) -> BatchPreviewPublic:
    """Check a batch exactly as the upload would, and apply nothing: its findings and, table by table, the rows
    it would add, leave unchanged, correct or quarantine. Nothing is written but the audit entry."""
    authorize(store, principal, "batch.upload", resource="batches")
    found = preview_upload(store, ((f.filename or "", f.file) for f in files), partial=partial)
    audit.record(store, principal=principal, action="batch.preview", resource="batches",
                 detail={"status": found.status, "files": [f.filename for f in files], "errors": found.errors,
                         "warnings": found.warnings})
    return BatchPreviewPublic.model_validate({
        "status": found.status, "errors": found.errors, "warnings": found.warnings,
        "tables": {t: TablePreviewPublic.model_validate(p.as_dict()) for t, p in found.tables.items()},
        "findings": [FindingPublic.model_validate(f.as_dict()) for f in found.findings]})


def _batch(batch: BatchRecord) -> BatchPublic:
    return BatchPublic(batch_id=batch.batch_id, received_at=batch.received_at, received_by=batch.received_by,
                       reason=batch.reason, status=batch.status, warnings=batch.warnings, errors=batch.errors,
                       counts={table: TableCounts(**n) for table, n in batch.counts.items()},
                       files=[BatchFilePublic(name=f["name"], size_bytes=f["size_bytes"], sha256=f["sha256"],
                                              kept=bool(f.get("kept"))) for f in batch.files])


@router.get("", response_model=BatchList)
def list_batches(store: StoreDep, principal: PrincipalDep, limit: Limit | None = None,
                 status: Annotated[Literal["applied", "partial", "refused"] | None, Query()] = None,
                 page: Page = 1, page_size: PageSize | None = None,
                 sort: Annotated[str | None, Query(pattern=rf"^-?({'|'.join(batches.SORT_FIELDS)})$", description=(
                     "the field to sort by (" + ", ".join(batches.SORT_FIELDS) + "), '-' first for descending; "
                     "newest first without it"))] = None) -> BatchList:
    """The batches received, newest first (or in ``sort`` order); ``status=refused``: the refused uploads, kept
    with their findings. One page of ``page_size`` (at most 500; ``limit``: the first page of that size), with
    the total."""
    authorize(store, principal, "batch.read", resource="batches")
    size = page_size or limit or 100
    found = batches.list_batches(store, limit=size, offset=(page - 1) * size, status=status, sort=sort)
    total = batches.count_batches(store, status=status)
    audit.record(store, principal=principal, action="batch.read", resource="batches",
                 detail={"batch_ids": [b.batch_id for b in found], **({"status": status} if status else {})})
    return BatchList(items=[_batch(b) for b in found], total=total, page=page, page_size=size)


@router.get("/{batch_id}/files/{name}", response_class=Response, responses={**file_formats("csv"), **errors(404)})
def refused_batch_file(store: StoreDep, principal: PrincipalDep, batch_id: Id,
                       name: Annotated[str, FastApiPath(max_length=120)]) -> Response:
    """A file of a refused batch as it was sent (to correct it and send it again)."""
    authorize(store, principal, "batch.read", resource=f"batch:{batch_id}")
    path = refused_file(store, batch_id, name)
    audit.record(store, principal=principal, action="batch.read", resource=f"batch:{batch_id}:file",
                 detail={"name": name})
    media = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    return Response(path.read_bytes(), media_type=media.get(name.rsplit(".", 1)[-1], "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


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


@quarantine_router.get("/csv", response_class=Response, responses={**file_formats("csv"), **errors(400)})
def quarantine_download(store: StoreDep, principal: PrincipalDep,
                        table: Annotated[str, Query(max_length=64)], batch_id: IdQuery = None,
                        lang: Annotated[Literal["zh", "en"], Query()] = "zh") -> Response:
    """The open quarantined rows of ``table`` as CSV, with a reasons column (in ``lang``) last: correct the rows
    and upload the file again as it is (the reasons column is dropped), naming the entries in ``resubmits``."""
    authorize(store, principal, "batch.read", resource="quarantine")
    text = quarantine_csv(store, table, batch_id=batch_id, lang=lang)
    audit.record(store, principal=principal, action="batch.read", resource=f"quarantine:{batch_id or 'all'}:csv",
                 detail={"table": table})
    return file_response(text, "csv", f"quarantine-{table}" + (f"-b{batch_id}" if batch_id else ""))


def _changes(c: Correction) -> list[CorrectionChangePublic]:
    spec = TABLES.get(c.table)
    names = {col.name: col.zh for col in spec.columns} if spec else {}
    return [CorrectionChangePublic(column=k, column_zh=names.get(k, k), old=c.old.get(k), new=c.new.get(k))
            for k in c.changed if c.old]


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
                             reason=c.reason, table=c.table, row_key=c.row_key, old=c.old, new=c.new, note=c.note,
                             table_zh=TABLES[c.table].zh if c.table in TABLES else "", changes=_changes(c))
            for c in found]


@compute_router.post("", response_model=ComputeRunPublic, responses=errors(409, 413))
def compute(store: StoreDep, principal: PrincipalDep, body: ComputeRunCreate) -> ComputeRunPublic:
    """Compute and publish every account of a year (METHODOLOGY.md). Computations and batches are published one
    at a time; 409 when accounts of the year from newer data were published while this one computed, or when
    another computation (or dry run) of the service is running (nothing started)."""
    authorize(store, principal, "compute.run", resource=f"accounts:{body.year}")

    def audited(tx: sa.Connection, run_id: int, mode: str) -> None:  # the entry commits with the run
        audit.record(store, principal=principal, action="compute.run", resource=f"accounts:{body.year}",
                     detail={"run_id": run_id, "profile": body.profile, "mode": mode}, connection=tx)

    with one_computation(store, what=f"compute {body.year}", user=principal.actor):
        result = compute_year(store, body.year, profile=body.profile, user=principal.actor,
                              incremental=body.incremental, in_transaction=audited)
    return ComputeRunPublic(run_id=result.run_id, year=body.year, profile_id=result.profile_id,
                         accounts=len(result.records), mode=result.mode, recomputed=result.recomputed,
                         by_grade={str(g or "not rated"): n for g, n in sorted(result.grades.items(),
                                                                               key=lambda x: x[0] or 9)})


@compute_router.post("/dry-run", response_model=DryRunPublic, responses=errors(409, 413, 422))
def compute_dry_run(store: StoreDep, principal: PrincipalDep, body: ComputeRunCreate) -> DryRunPublic:
    """Compute a year exactly as ``POST /compute`` would, and publish nothing: the enterprises whose grade or
    score would change (old → new) against the accounts published now. Nothing is written but the audit entry;
    409 while another computation of the service is running."""
    authorize(store, principal, "compute.run", resource=f"accounts:{body.year}")
    with one_computation(store, what=f"dry run {body.year}", user=principal.actor):
        run = dry_run_year(store, body.year, profile=body.profile, incremental=body.incremental)
    audit.record(store, principal=principal, action="compute.dry_run", resource=f"accounts:{body.year}",
                 detail={"profile": run.profile_id, "last_batch_id": run.last_batch_id, "accounts": run.accounts,
                         "changes": [c.credit_code for c in run.changes]})
    return DryRunPublic(year=run.year, profile_id=run.profile_id, accounts=run.accounts, unchanged=run.unchanged,
                        last_batch_id=run.last_batch_id,
                        by_grade={str(g or "not rated"): n for g, n in sorted(run.by_grade.items(),
                                                                              key=lambda x: x[0] or 9)},
                        changes=[AccountChangePublic(**asdict(c), grade_changed=c.grade_changed)
                                 for c in run.changes])
