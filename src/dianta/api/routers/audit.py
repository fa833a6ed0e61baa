"""The audit log: who read or changed what, when and why, and the check of its hash chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from dianta.api.deps import Limit, Offset, Page, PageSize, PrincipalDep, StoreDep, errors, signed_in
from dianta.api.schemas import AuditEntryPublic, AuditVerificationPublic
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/audit", tags=["audit"], responses=signed_in())


@router.get("/verify", response_model=AuditVerificationPublic, responses=errors(400))
def verify_audit(store: StoreDep, principal: PrincipalDep,
                 expect_head: Annotated[str | None, Query(max_length=100, description=(
                     "N:HASH, a head recorded earlier outside the ledger: the log must still hold N entries, "
                     "the N-th with this hash"))] = None) -> AuditVerificationPublic:
    """Recompute the audit log's hash chain: any changed or removed entry is found, and with ``expect_head``
    a log cut back to fewer entries (or rewritten) since that head was recorded."""
    authorize(store, principal, "audit.read", resource="audit")
    expected = [audit.parse_head(expect_head, source="expect_head")] if expect_head is not None else []
    report = audit.verify_chain(store, expect=expected)
    return AuditVerificationPublic(ok=report.ok, entries=report.entries, first_bad_entry=report.first_bad_entry,
                                   problem=report.problem, head_entry=report.head_entry, head_hash=report.head_hash)


@router.get("", response_model=list[AuditEntryPublic])
def list_audit(store: StoreDep, principal: PrincipalDep, response: Response,
               actor: Annotated[str | None, Query(max_length=100)] = None,
               action: Annotated[str | None, Query(max_length=100)] = None,
               resource: Annotated[str | None, Query(max_length=200)] = None,
               limit: Limit = 100, offset: Offset = 0, page: Page | None = None, page_size: PageSize | None = None,
               sort: Annotated[str | None, Query(pattern=rf"^-?({'|'.join(audit.SORT_FIELDS)})$", description=(
                   "the field to sort by (" + ", ".join(audit.SORT_FIELDS) + "), '-' first for descending; newest "
                   "first without it"))] = None) -> list[AuditEntryPublic]:
    """Who read or changed what, when and why: one page (``page`` and ``page_size``, at most 500, or ``limit``
    from ``offset``); the number of entries the filters find on every page is in the ``X-Total-Count`` header."""
    authorize(store, principal, "audit.read", resource="audit")
    if page is not None or page_size is not None:
        limit = page_size or limit
        offset = ((page or 1) - 1) * limit
    entries = audit.list_entries(store, actor=actor, action=action, resource_prefix=resource, limit=limit,
                                 offset=offset, sort=sort)
    response.headers["X-Total-Count"] = str(audit.count_entries(store, actor=actor, action=action,
                                                                resource_prefix=resource))
    return [AuditEntryPublic.model_validate(e) for e in entries]
