"""Green finance (METHODOLOGY.md §8): pricing policies, quotes, interest saved, financed emissions (PCAF),
what-if and credit-risk alerts. Each bank sees its own; every read and change is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query
from fastapi.responses import Response

from dianta.accounts.alerts import act_on_alert, alert_events
from dianta.accounts.export import safe_text
from dianta.api.deps import (
    BankId,
    CreditCode,
    Lang,
    PrincipalDep,
    ProfileId,
    StoreDep,
    Year,
    YearOptional,
    YearPath,
    errors,
    requested_bank,
    signed_in,
)
from dianta.api.files import file_formats, file_response
from dianta.api.schemas import (
    AlertActionCreate,
    AlertEventPublic,
    InterestRecordPublic,
    PolicyCreate,
    PolicyPublic,
    QuoteCreate,
    QuotePublic,
    WhatIfPublic,
)
from dianta.clock import now_iso, today_cst
from dianta.errors import UsageError
from dianta.finance.interest import interest_saved_records
from dianta.finance.loans import load_loans
from dianta.finance.pcaf import financed_emissions, pcaf_json, pcaf_xlsx
from dianta.finance.pricing import list_policies, list_pricings, make_quote, save_policy
from dianta.finance.whatif import what_if
from dianta.ledger.store import Store
from dianta.security import audit
from dianta.security.authz import authorize, visible_codes
from dianta.security.principal import Principal

#: a bank's request may name another bank (400 when the operator names none; 404 for a borrower not found)
RESPONSES = signed_in(400, 404)
policies_router = APIRouter(prefix="/pricing-policies", tags=["finance"], responses=RESPONSES)
quotes_router = APIRouter(prefix="/quotes", tags=["finance"], responses=RESPONSES)
interest_router = APIRouter(prefix="/interest-saved", tags=["finance"], responses=RESPONSES)
financed_router = APIRouter(prefix="/financed-emissions", tags=["finance"], responses=RESPONSES)
what_if_router = APIRouter(prefix="/accounts/{credit_code}/{year}", tags=["finance"], responses=RESPONSES)
alerts_router = APIRouter(prefix="/alerts", tags=["finance"], responses=RESPONSES)


def _bank(store: Store, principal: Principal, bank_id: str | None, action: str, what: str) -> str:
    """The bank a request is about, once ``action`` is allowed on it: a bank's own tenant (another bank's id
    is refused by the policy), or the one the operator names."""
    bank = bank_id or (str(principal.org_id) if principal.role == "bank" else None)
    authorize(store, principal, action, resource=f"{what}:{bank or '?'}", bank_id=bank)
    if bank is None:
        raise UsageError.of("name_the_bank")
    return bank


@policies_router.post("", response_model=PolicyPublic, status_code=201, responses=errors(413))
def create_policy(store: StoreDep, principal: PrincipalDep, body: PolicyCreate, bank_id: BankId = None
                  ) -> PolicyPublic:
    """Save the bank's pricing policy as its next version (versions are never changed)."""
    bank = _bank(store, principal, bank_id, "policy.manage", "policy")
    policy = save_policy(store, bank_id=bank, body=body.model_dump(mode="json", exclude_none=True),
                         actor=principal.actor)
    audit.record(store, principal=principal, action="policy.manage", resource=f"policy:{bank}:v{policy.version}")
    return PolicyPublic(bank_id=bank, version=policy.version, **policy.body())


@policies_router.get("", response_model=list[PolicyPublic])
def get_policies(store: StoreDep, principal: PrincipalDep, bank_id: BankId = None) -> list[PolicyPublic]:
    """The bank's policy versions, oldest first."""
    bank = _bank(store, principal, bank_id, "policy.read", "policy")
    audit.record(store, principal=principal, action="policy.read", resource=f"policy:{bank}")
    return [PolicyPublic(bank_id=bank, version=p.version, **p.body()) for p in list_policies(store, bank_id=bank)]


@quotes_router.post("", response_model=QuotePublic, responses=errors(413))
def create_quote(store: StoreDep, principal: PrincipalDep, body: QuoteCreate, bank_id: BankId = None
                 ) -> QuotePublic:
    """The rate a loan to this enterprise would get under the bank's policy, and why (a bank needs the
    enterprise's live consent: the quote shows its grade)."""
    bank = _bank(store, principal, bank_id, "quote.create", "quote")
    resource = f"quote:{bank}:{body.credit_code}"
    authorize(store, principal, "quote.create", resource=resource, bank_id=bank, credit_code=body.credit_code)
    q = make_quote(store, bank_id=bank, credit_code=body.credit_code, base_rate_pct=body.base_rate_pct, on=body.on,
                   version=body.policy_version)
    audit.record(store, principal=principal, action="quote.create", resource=resource,
                 detail={"discount_bp": q.discount_bp, "policy_version": q.policy_version})
    return QuotePublic.model_validate(q.as_dict())


@interest_router.get("", response_model=list[InterestRecordPublic])
def interest_saved(store: StoreDep, principal: PrincipalDep, through: dt.date | None = None,
                   bank_id: BankId = None) -> list[InterestRecordPublic]:
    """Interest saved by loan and month up to `through` (default today, CST): a bank its own loans, the
    operator one bank's or every bank's."""
    bank = bank_id if principal.role != "bank" else (bank_id or str(principal.org_id))
    authorize(store, principal, "finance.read", resource=f"interest:{bank or 'all'}", bank_id=bank)
    day = through or today_cst()
    records = interest_saved_records(load_loans(store, bank_id=bank), list_pricings(store, bank_id=bank), through=day)
    audit.record(store, principal=principal, action="finance.read", resource=f"interest:{bank or 'all'}",
                 detail={"through": day.isoformat(), "records": len(records),
                         "credit_codes": sorted({str(r["credit_code"]) for r in records})})
    return [InterestRecordPublic.model_validate(r) for r in records]


@financed_router.get("", response_class=Response, responses=file_formats("json", "xlsx"))
def financed(store: StoreDep, principal: PrincipalDep, year: Year, bank_id: BankId = None,
             format: Annotated[Literal["json", "xlsx"], Query()] = "json",  # noqa: A002
             lang: Lang = "zh", profile: ProfileId = "default") -> Response:
    """Financed emissions (PCAF business loans) of a bank's loans on 31 December of `year`: attribution,
    financed emissions, data quality score, totals, economic intensity, WACI, coverage (a bank its own; the
    operator one bank's or every bank's)."""
    bank = requested_bank(principal, bank_id)
    resource = f"financed-emissions:{bank or 'all'}:{year}"
    authorize(store, principal, "finance.read", resource=resource, bank_id=bank)
    # a borrower's figures only under a live consent that shows its account (issue 12): the others are listed
    # as "not covered: no consent" with the bank's own loan record and nothing of the borrower
    result = financed_emissions(store, bank_id=bank, year=year, profile_id=profile,
                                visible=visible_codes(store, principal, "account.read"))
    loans = cast(list[dict[str, object]], result["loans"])
    shown = sorted({str(r["credit_code"]) for r in loans if not _no_consent(r)})
    withheld = sorted({str(r["credit_code"]) for r in loans if _no_consent(r)})
    audit.record(store, principal=principal, action="finance.read", resource=resource,
                 detail={"format": format, "credit_codes": shown, "no_consent": withheld})
    if format == "json":
        return Response(pcaf_json(result), media_type="application/json")
    return file_response(pcaf_xlsx(result, lang), "xlsx", f"financed-emissions-{bank or 'all'}-{year}")


def _no_consent(row: dict[str, object]) -> bool:
    return any(r["code"] == "no_consent" for r in cast(list[dict[str, object]], row["not_covered"]))


@what_if_router.get("/what-if", response_model=WhatIfPublic)
def get_what_if(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: YearPath,
                bank_id: BankId = None, base_rate_pct: Annotated[float, Query(ge=0, le=100)] = 0.0,
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
    return WhatIfPublic.model_validate(result)


@alerts_router.get("", response_model=list[AlertEventPublic])
def get_alerts(store: StoreDep, principal: PrincipalDep, since: dt.date | None = None, until: dt.date | None = None,
               year: YearOptional = None) -> list[AlertEventPublic]:
    """§6 credit-risk alerts as they first appeared, newest first: a bank those of the enterprises with a
    live consent to it, an enterprise its own, the operator all."""
    authorize(store, principal, "alerts.read", resource="alerts")
    events = alert_events(store, codes=visible_codes(store, principal, "alerts.read"), since=since, until=until,
                          year=year, bank_id=str(principal.org_id) if principal.role == "bank" else None)
    audit.record(store, principal=principal, action="alerts.read", resource="alerts",
                 detail={"credit_codes": sorted({e["credit_code"] for e in events})})
    return [AlertEventPublic.model_validate(e) for e in events]


@alerts_router.get("/digest", response_class=Response, responses=file_formats("json", "csv"))
def alerts_digest(store: StoreDep, principal: PrincipalDep, day: Annotated[dt.date | None, Query(alias="date")] = None,
                  format: Annotated[Literal["json", "csv"], Query()] = "csv") -> Response:  # noqa: A002
    """The daily digest: the alerts first seen on `date` (default today, CST) for the caller's enterprises."""
    events = get_alerts(store, principal, since=day or today_cst(), until=day or today_cst())
    name = f"alerts-{(day or today_cst()).isoformat()}"
    if format == "json":
        return file_response("[" + ",".join(e.model_dump_json() for e in events) + "]", "json", name)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(list(AlertEventPublic.model_fields))
    for e in events:
        values = [getattr(e, f) for f in AlertEventPublic.model_fields]
        writer.writerow(["" if v is None else safe_text(v) for v in values])
    return file_response(buf.getvalue().encode("utf-8-sig"), "csv", name)


def _act(store: Store, principal: Principal, body: AlertActionCreate, action: str) -> AlertEventPublic:
    resource = f"alert:{body.credit_code}:{body.year}:{body.code}:{body.month}"
    authorize(store, principal, "alerts.handle", resource=resource, credit_code=body.credit_code)
    act_on_alert(store, bank_id=str(principal.org_id), credit_code=body.credit_code, year=body.year, code=body.code,
                 month=body.month, action=action, assignee=body.assignee, actor=principal.actor, at=now_iso())
    audit.record(store, principal=principal, action="alerts.handle", resource=resource,
                 detail={"action": action, "assignee": body.assignee if action == "assign" else None})
    events = alert_events(store, codes={body.credit_code}, year=body.year, bank_id=str(principal.org_id))
    return AlertEventPublic.model_validate(next(e for e in events
                                                if (e["code"], e["month"]) == (body.code, body.month)))


@alerts_router.post("/acknowledge", response_model=AlertEventPublic, responses=errors(413))
def acknowledge_alert(store: StoreDep, principal: PrincipalDep, body: AlertActionCreate) -> AlertEventPublic:
    """The bank acknowledges one alert of an enterprise that gave it a live consent (the first acknowledgement is
    the one shown: who and when)."""
    return _act(store, principal, body, "acknowledge")


@alerts_router.post("/assign", response_model=AlertEventPublic, responses=errors(413))
def assign_alert(store: StoreDep, principal: PrincipalDep, body: AlertActionCreate) -> AlertEventPublic:
    """The bank assigns one alert to one of its own active users (``assignee``, a username) to follow it up; the
    newest assignment holds."""
    return _act(store, principal, body, "assign")
