"""Green finance (METHODOLOGY.md §8): pricing policies, quotes, loan pricings, interest saved, programme
totals, what-if and credit-risk alerts. Each bank sees its own; every read and change is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from dianta.accounts.alerts import alert_events
from dianta.accounts.export import safe_text
from dianta.api.deps import PrincipalDep, StoreDep
from dianta.api.schemas import (
    CREDIT_CODE,
    AlertEvent,
    InterestRecord,
    Message,
    PolicyIn,
    PolicyPublic,
    PricingIn,
    PricingPublic,
    ProgrammeTotals,
    QuoteIn,
    QuotePublic,
    WhatIfPublic,
)
from dianta.clock import today_cst
from dianta.errors import UsageError
from dianta.finance.interest import interest_saved_records, programme_totals
from dianta.finance.loans import load_loans, loan_owner
from dianta.finance.pricing import list_policies, list_pricings, make_quote, price_loan, save_policy
from dianta.finance.whatif import what_if
from dianta.security import audit
from dianta.security.authz import authorize, visible_codes
from dianta.security.principal import Principal

router = APIRouter(tags=["finance"])
ERRORS = {401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message}}
BankId = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_.\-]{1,64}$", description="the operator names a bank; "
                                     "a bank is always itself")]
LoanId = Annotated[str, Path(min_length=1, max_length=64)]


def _bank(store: StoreDep, principal: Principal, bank_id: str | None, action: str, what: str) -> str:
    """The bank a request is about, once ``action`` is allowed on it: a bank's own tenant (another bank's id
    is refused by the policy), or the one the operator names."""
    bank = bank_id or (str(principal.org_id) if principal.role == "bank" else None)
    authorize(store, principal, action, resource=f"{what}:{bank or '?'}", bank_id=bank)
    if bank is None:
        raise UsageError("name the bank: bank_id=…")
    return bank


@router.post("/pricing-policies", response_model=PolicyPublic, status_code=201, responses=ERRORS)
def create_policy(store: StoreDep, principal: PrincipalDep, body: PolicyIn, bank_id: BankId = None) -> PolicyPublic:
    """Save the bank's pricing policy as its next version (versions are never changed)."""
    bank = _bank(store, principal, bank_id, "policy.manage", "policy")
    policy = save_policy(store, bank_id=bank, body=body.model_dump(mode="json", exclude_none=True),
                         actor=principal.actor)
    audit.record(store, principal=principal, action="policy.manage", resource=f"policy:{bank}:v{policy.version}")
    return PolicyPublic(bank_id=bank, version=policy.version, **policy.body())


@router.get("/pricing-policies", response_model=list[PolicyPublic], responses=ERRORS)
def get_policies(store: StoreDep, principal: PrincipalDep, bank_id: BankId = None) -> list[PolicyPublic]:
    """The bank's policy versions, oldest first."""
    bank = _bank(store, principal, bank_id, "policy.read", "policy")
    audit.record(store, principal=principal, action="policy.read", resource=f"policy:{bank}")
    return [PolicyPublic(bank_id=bank, version=p.version, **p.body()) for p in list_policies(store, bank_id=bank)]


@router.post("/quotes", response_model=QuotePublic, responses=ERRORS)
def create_quote(store: StoreDep, principal: PrincipalDep, body: QuoteIn, bank_id: BankId = None) -> QuotePublic:
    """The rate a loan to this enterprise would get under the bank's policy, and why (a bank needs the
    enterprise's live consent: the quote shows its grade)."""
    bank = _bank(store, principal, bank_id, "quote.create", "quote")
    resource = f"quote:{bank}:{body.credit_code}"
    authorize(store, principal, "quote.create", resource=resource, bank_id=bank, credit_code=body.credit_code)
    q = make_quote(store, bank_id=bank, credit_code=body.credit_code, base_rate_pct=body.base_rate_pct, on=body.on,
                   version=body.policy_version)
    audit.record(store, principal=principal, action="quote.create", resource=resource,
                 detail={"discount_bp": q.discount_bp, "policy_version": q.policy_version})
    return QuotePublic(**q.as_dict())


@router.post("/loans/{loan_id}/pricing", response_model=PricingPublic, status_code=201, responses=ERRORS)
def create_pricing(store: StoreDep, principal: PrincipalDep, loan_id: LoanId, body: PricingIn) -> PricingPublic:
    """Price one of the bank's loans with the borrower's account under its policy, and record it: the
    discount holds from `on` until the loan is priced again."""
    authorize(store, principal, "loan.price", resource=f"loan:{loan_id}")  # the role, before any look-up
    owner, borrower = loan_owner(store, loan_id)
    authorize(store, principal, "loan.price", resource=f"loan:{loan_id}", bank_id=owner, credit_code=borrower,
              hidden=f"no loan {loan_id}")
    record = price_loan(store, bank_id=owner, loan_id=loan_id, actor=principal.actor, on=body.on,
                        version=body.policy_version)
    audit.record(store, principal=principal, action="loan.price", resource=f"loan:{loan_id}",
                 detail={"discount_bp": record["discount_bp"], "policy_version": record["policy_version"]})
    return PricingPublic(**record)


@router.get("/loans/{loan_id}/pricing", response_model=list[PricingPublic], responses=ERRORS)
def get_pricings(store: StoreDep, principal: PrincipalDep, loan_id: LoanId) -> list[PricingPublic]:
    """How a loan was priced, oldest first (its bank, or the operator; another bank's loan answers 404, as an
    unknown id does)."""
    authorize(store, principal, "finance.read", resource=f"loan:{loan_id}")  # the role, before any look-up
    owner, _ = loan_owner(store, loan_id)
    authorize(store, principal, "finance.read", resource=f"loan:{loan_id}", bank_id=owner, hidden=f"no loan {loan_id}")
    rows = list_pricings(store, loan_id=loan_id)
    audit.record(store, principal=principal, action="finance.read", resource=f"loan:{loan_id}:pricing")
    return [PricingPublic(**r) for r in rows]


@router.get("/interest-saved", response_model=list[InterestRecord], responses=ERRORS)
def interest_saved(store: StoreDep, principal: PrincipalDep, through: dt.date | None = None,
                   bank_id: BankId = None) -> list[InterestRecord]:
    """Interest saved by loan and month up to `through` (default today, CST): a bank its own loans, the
    operator one bank's or every bank's."""
    bank = bank_id if principal.role != "bank" else (bank_id or str(principal.org_id))
    authorize(store, principal, "finance.read", resource=f"interest:{bank or 'all'}", bank_id=bank)
    day = through or today_cst()
    records = interest_saved_records(load_loans(store, bank_id=bank), list_pricings(store, bank_id=bank), through=day)
    audit.record(store, principal=principal, action="finance.read", resource=f"interest:{bank or 'all'}",
                 detail={"through": day.isoformat(), "records": len(records),
                         "credit_codes": sorted({str(r["credit_code"]) for r in records})})
    return [InterestRecord(**r) for r in records]


@router.get("/programme/totals", response_model=ProgrammeTotals, responses=ERRORS)
def programme(store: StoreDep, principal: PrincipalDep, through: dt.date | None = None,
              records: bool = False) -> ProgrammeTotals:
    """What the regulator publishes: enterprises with accounts, loans and amounts, interest saved, by bank,
    industry, region and month, summed from the loan records (`records=true`, operator only: the records)."""
    authorize(store, principal, "statistics.read", resource="programme-totals")
    if records and principal.role != "operator":
        authorize(store, principal, "finance.read", resource="programme-records")
    result = programme_totals(store, through=through or today_cst())
    audit.record(store, principal=principal, action="statistics.read", resource="programme-totals",
                 detail={"through": result["through"], "records": records})
    if not records:
        result = {**result, "loans": None, "interest": None}
    return ProgrammeTotals(**result)


@router.get("/accounts/{credit_code}/{year}/what-if", response_model=WhatIfPublic, responses=ERRORS)
def get_what_if(store: StoreDep, principal: PrincipalDep, credit_code: Annotated[str, Path(pattern=CREDIT_CODE)],
                year: Annotated[int, Path(ge=1901, le=2199)], bank_id: BankId = None,
                base_rate_pct: Annotated[float, Query(ge=0, le=100)] = 0.0,
                on: Annotated[dt.date | None, Query(description="pricing day (default today, CST)")] = None
                ) -> WhatIfPublic:
    """The green power (MWh) or intensity cut that reaches the next grade, and with a bank (a bank: itself)
    the discount that would follow under its policy on the pricing day."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    bank = str(principal.org_id) if principal.role == "bank" else bank_id
    result = what_if(store, credit_code=credit_code, year=year, bank_id=bank, base_rate_pct=base_rate_pct, on=on)
    audit.record(store, principal=principal, action="account.read", resource=resource,
                 detail={"what_if": True, "bank_id": bank})
    return WhatIfPublic(**result)


@router.get("/alerts", response_model=list[AlertEvent], responses=ERRORS)
def get_alerts(store: StoreDep, principal: PrincipalDep, since: dt.date | None = None, until: dt.date | None = None,
               year: Annotated[int | None, Query(ge=1901, le=2199)] = None) -> list[AlertEvent]:
    """§6 credit-risk alerts as they first appeared, newest first: a bank those of the enterprises with a
    live consent to it, an enterprise its own, the operator all."""
    authorize(store, principal, "alerts.read", resource="alerts")
    events = alert_events(store, codes=visible_codes(store, principal, "alerts.read"), since=since, until=until,
                          year=year)
    audit.record(store, principal=principal, action="alerts.read", resource="alerts",
                 detail={"credit_codes": sorted({e["credit_code"] for e in events})})
    return [AlertEvent(**e) for e in events]


@router.get("/alerts/digest", response_class=Response, responses={**ERRORS, 200: {"content": {
    "application/json": {}, "text/csv": {}}}})
def alerts_digest(store: StoreDep, principal: PrincipalDep, day: Annotated[dt.date | None, Query(alias="date")] = None,
                  format: Annotated[Literal["json", "csv"], Query()] = "csv") -> Response:  # noqa: A002
    """The daily digest: the alerts first seen on `date` (default today, CST) for the caller's enterprises."""
    events = get_alerts(store, principal, since=day or today_cst(), until=day or today_cst())
    name = f"alerts-{(day or today_cst()).isoformat()}"
    if format == "json":
        body = "[" + ",".join(e.model_dump_json() for e in events) + "]"
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}.json"'})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(list(AlertEvent.model_fields))
    for e in events:
        values = [getattr(e, f) for f in AlertEvent.model_fields]
        writer.writerow(["" if v is None else safe_text(v) for v in values])
    return Response(buf.getvalue().encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
