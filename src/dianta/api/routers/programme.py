"""Programme statistics (the regulator), loans (each bank its own), the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query

from dianta.accounts.statistics import programme_statistics
from dianta.api.deps import PrincipalDep, StoreDep
from dianta.api.schemas import AuditEntryPublic, AuditReport, LoanCreate, LoanPublic, Message, Refusal, StatisticsPublic
from dianta.ingest.upload import record_loan
from dianta.ledger import schema
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(tags=["programme"])
ERRORS = {401: {"model": Message}, 403: {"model": Message}}


@router.get("/statistics", response_model=StatisticsPublic, responses=ERRORS)
def statistics(store: StoreDep, principal: PrincipalDep, year: Annotated[int, Query(ge=1901, le=2199)]
               ) -> StatisticsPublic:
    """Accounts by grade, industry and region, green share, loans by bank: aggregates only."""
    authorize(store, principal, "statistics.read", resource=f"statistics:{year}")
    audit.record(store, principal=principal, action="statistics.read", resource=f"statistics:{year}")
    return StatisticsPublic(**programme_statistics(store, year=year))  # type: ignore[arg-type]


@router.post("/loans", response_model=LoanPublic, status_code=201,
             responses={**ERRORS, 409: {"model": Message}, 422: {"model": Refusal}})
def create_loan(store: StoreDep, principal: PrincipalDep, body: LoanCreate) -> LoanPublic:
    """Record (or correct) one of the bank's own loans, with the checks of the `loans` table."""
    bank_id = str(principal.org_id)
    resource = f"loan:{body.loan_id}"
    loans = schema.data_tables["loans"]
    with store.engine.connect() as con:
        owner = con.execute(sa.select(loans.c.bank_id).where(loans.c.loan_id == body.loan_id)).scalar()
    # a new loan is the caller's; an existing one is its owner's, which another bank may not overwrite
    authorize(store, principal, "loan.write", resource=resource, bank_id=owner or bank_id)
    loan = {**body.model_dump(mode="json"), "bank_id": bank_id}

    def audited(tx: sa.Connection, _batch_id: int, _status: str) -> None:  # the entry commits with the loan
        audit.record(store, principal=principal, action="loan.write", resource=resource, connection=tx)

    result = record_loan(store, loan, user=principal.actor, reason="recorded through the API", in_transaction=audited)
    if result.batch_id is None:  # re-sent unchanged: nothing to commit, still a write request to record
        audit.record(store, principal=principal, action="loan.write", resource=resource, detail={"unchanged": True})
    return LoanPublic(**loan)


@router.get("/loans", response_model=list[LoanPublic], responses=ERRORS)
def list_loans(store: StoreDep, principal: PrincipalDep,
               credit_code: Annotated[str | None, Query(pattern=r"^[0-9A-Z]{18}$")] = None) -> list[LoanPublic]:
    """A bank's own loans (the operator sees every bank's)."""
    authorize(store, principal, "loan.read", resource="loans")
    loans = schema.data_tables["loans"]
    query = sa.select(loans).order_by(loans.c.loan_id)
    if principal.role == "bank":
        query = query.where(loans.c.bank_id == principal.org_id)
    if credit_code:
        query = query.where(loans.c.credit_code == credit_code)
    with store.engine.connect() as con:
        rows = con.execute(query).mappings().all()
    audit.record(store, principal=principal, action="loan.read", resource="loans", detail={"count": len(rows)})
    return [LoanPublic(**{k: (dt.date.fromisoformat(v) if k in ("as_of", "drawn_on", "maturity_on") else v)
                          for k, v in r.items() if k in LoanPublic.model_fields}) for r in rows]


@router.get("/audit/verify", response_model=AuditReport, responses={**ERRORS, 400: {"model": Message}})
def verify_audit(store: StoreDep, principal: PrincipalDep,
                 expect_head: Annotated[str | None, Query(max_length=100, description=(
                     "N:HASH, a head recorded earlier outside the ledger: the log must still hold N entries, "
                     "the N-th with this hash"))] = None) -> AuditReport:
    """Recompute the audit log's hash chain: any changed or removed entry is found, and with ``expect_head``
    a log cut back to fewer entries (or rewritten) since that head was recorded."""
    authorize(store, principal, "audit.read", resource="audit")
    expected = [audit.parse_head(expect_head, source="expect_head")] if expect_head is not None else []
    report = audit.verify_chain(store, expect=expected)
    return AuditReport(ok=report.ok, entries=report.entries, first_bad_entry=report.first_bad_entry,
                       problem=report.problem, head_entry=report.head_entry, head_hash=report.head_hash)


@router.get("/audit", response_model=list[AuditEntryPublic], responses=ERRORS)
def list_audit(store: StoreDep, principal: PrincipalDep,
               actor: Annotated[str | None, Query(max_length=100)] = None,
               action: Annotated[str | None, Query(max_length=100)] = None,
               resource: Annotated[str | None, Query(max_length=200)] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100,
               offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[AuditEntryPublic]:
    """Who read or changed what, when and why."""
    authorize(store, principal, "audit.read", resource="audit")
    entries = audit.list_entries(store, actor=actor, action=action, resource_prefix=resource, limit=limit,
                                 offset=offset)
    return [AuditEntryPublic(**e) for e in entries]
