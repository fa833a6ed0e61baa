"""Loans: each bank records and reads its own (the operator sees every bank's), and prices them under its
policy (METHODOLOGY.md §8); every read and change is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Path

from dianta.api.deps import CreditCodeQuery, PrincipalDep, StoreDep, errors, signed_in
from dianta.api.schemas import LoanCreate, LoanPublic, PricingCreate, PricingPublic
from dianta.errors import NotFound
from dianta.finance.loans import loan_bank, loan_owner, loan_rows
from dianta.finance.pricing import list_pricings, price_loan
from dianta.ingest.upload import record_loan
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/loans", tags=["loans"], responses=signed_in())
LoanId = Annotated[str, Path(min_length=1, max_length=64)]
#: the loan fields held as ISO dates in the ledger
DATES = ("as_of", "drawn_on", "maturity_on")


@router.post("", response_model=LoanPublic, status_code=201, responses=errors(409, 413))
def create_loan(store: StoreDep, principal: PrincipalDep, body: LoanCreate) -> LoanPublic:
    """Record (or correct) one of the bank's own loans, with the checks of the `loans` table."""
    bank_id = str(principal.org_id)
    resource = f"loan:{body.loan_id}"
    owner = loan_bank(store, body.loan_id)
    # a new loan is the caller's; an existing one is its owner's, which another bank may not overwrite
    authorize(store, principal, "loan.write", resource=resource, bank_id=owner or bank_id)
    loan = {**body.model_dump(mode="json"), "bank_id": bank_id}

    def audited(tx: sa.Connection, _batch_id: int, _status: str) -> None:  # the entry commits with the loan
        audit.record(store, principal=principal, action="loan.write", resource=resource, connection=tx)

    result = record_loan(store, loan, user=principal.actor, reason="recorded through the API", in_transaction=audited)
    if result.batch_id is None:  # re-sent unchanged: nothing to commit, still a write request to record
        audit.record(store, principal=principal, action="loan.write", resource=resource, detail={"unchanged": True})
    return LoanPublic.model_validate(loan)


@router.get("", response_model=list[LoanPublic])
def list_loans(store: StoreDep, principal: PrincipalDep, credit_code: CreditCodeQuery = None) -> list[LoanPublic]:
    """A bank's own loans (the operator sees every bank's)."""
    authorize(store, principal, "loan.read", resource="loans")
    rows = loan_rows(store, bank_id=str(principal.org_id) if principal.role == "bank" else None,
                     credit_code=credit_code)
    audit.record(store, principal=principal, action="loan.read", resource="loans", detail={"count": len(rows)})
    return [LoanPublic.model_validate({k: (dt.date.fromisoformat(str(v)) if k in DATES else v)
                                       for k, v in r.items() if k in LoanPublic.model_fields}) for r in rows]


@router.post("/{loan_id}/pricing", response_model=PricingPublic, status_code=201, responses=errors(400, 404, 413))
def create_pricing(store: StoreDep, principal: PrincipalDep, loan_id: LoanId, body: PricingCreate) -> PricingPublic:
    """Price one of the bank's loans with the borrower's account under its policy, and record it: the
    discount holds from `on` until the loan is priced again."""
    authorize(store, principal, "loan.price", resource=f"loan:{loan_id}")  # the role, before any look-up
    owner, borrower = loan_owner(store, loan_id)
    authorize(store, principal, "loan.price", resource=f"loan:{loan_id}", bank_id=owner, credit_code=borrower,
              hidden=NotFound.of("no_loan", loan_id=loan_id))
    record = price_loan(store, bank_id=owner, loan_id=loan_id, actor=principal.actor, on=body.on,
                        version=body.policy_version)
    audit.record(store, principal=principal, action="loan.price", resource=f"loan:{loan_id}",
                 detail={"discount_bp": record["discount_bp"], "policy_version": record["policy_version"]})
    return PricingPublic.model_validate(record)


@router.get("/{loan_id}/pricing", response_model=list[PricingPublic], responses=errors(404))
def get_pricings(store: StoreDep, principal: PrincipalDep, loan_id: LoanId) -> list[PricingPublic]:
    """How a loan was priced, oldest first (its bank, or the operator; another bank's loan answers 404, as an
    unknown id does)."""
    authorize(store, principal, "finance.read", resource=f"loan:{loan_id}")  # the role, before any look-up
    owner, _ = loan_owner(store, loan_id)
    authorize(store, principal, "finance.read", resource=f"loan:{loan_id}", bank_id=owner,
              hidden=NotFound.of("no_loan", loan_id=loan_id))
    rows = list_pricings(store, loan_id=loan_id)
    audit.record(store, principal=principal, action="finance.read", resource=f"loan:{loan_id}:pricing")
    return [PricingPublic.model_validate(r) for r in rows]
