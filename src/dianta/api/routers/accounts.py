"""Accounts and enterprise data: what each role may read, every read audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from dianta.accounts import query
from dianta.accounts.compute import stale_accounts
from dianta.accounts.export import render
from dianta.api.deps import PrincipalDep, StoreDep
from dianta.api.schemas import (
    CREDIT_CODE,
    AccountList,
    AccountPublic,
    EnterpriseFinding,
    EnterprisePublic,
    Message,
    MonthlyPublic,
    StaleAccount,
)
from dianta.security import audit
from dianta.security.authz import authorize, visible_codes

router = APIRouter(tags=["accounts"])
ERRORS = {401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message}}
Year = Annotated[int, Query(ge=1901, le=2199)]
Code = Annotated[str, Path(pattern=CREDIT_CODE)]
ProfileId = Annotated[str, Query(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
MEDIA = {"json": "application/json", "csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/accounts", response_model=AccountList, responses=ERRORS)
def list_accounts(store: StoreDep, principal: PrincipalDep, year: Year,
                  grade: Annotated[int | None, Query(ge=1, le=5)] = None,
                  industry: Annotated[str | None, Query(pattern=r"^[A-Za-z]\d{0,4}$")] = None,
                  region: Annotated[str | None, Query(pattern=r"^\d{1,6}$")] = None,
                  q: Annotated[str | None, Query(max_length=100)] = None,
                  profile: ProfileId = "default",
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                  size: Annotated[int, Query(ge=1, le=500)] = 50) -> AccountList:
    """Accounts of a year the caller may see: the operator all; a bank those with a live consent to it; an
    enterprise its own. Filters: grade, industry code prefix, region code prefix, name or code fragment."""
    authorize(store, principal, "account.list", resource=f"accounts:{year}")
    page_ = query.list_accounts(store, year=year, visible=visible_codes(store, principal), profile_id=profile,
                                grade=grade, industry=industry, region=region, q=q, page=page, size=size)
    audit.record(store, principal=principal, action="account.list", resource=f"accounts:{year}",
                 detail={"credit_codes": [r["credit_code"] for r in page_.items], "page": page})
    return AccountList(items=[AccountPublic(**r) for r in page_.items], total=page_.total, page=page, size=size)  # type: ignore[arg-type]


@router.get("/years", response_model=list[int], responses=ERRORS)
def years(store: StoreDep, principal: PrincipalDep, profile: ProfileId = "default") -> list[int]:
    """The years with published accounts, newest first (whether an account exists for a given enterprise is
    another question: ask for it)."""
    return query.published_years(store, profile_id=profile)


@router.get("/accounts/stale", response_model=list[StaleAccount], responses=ERRORS)
def stale(store: StoreDep, principal: PrincipalDep) -> list[StaleAccount]:
    """Accounts marked for recalculation by corrections since they were computed (operator)."""
    authorize(store, principal, "batch.read", resource="stale-accounts")
    found = stale_accounts(store)
    audit.record(store, principal=principal, action="batch.read", resource="stale-accounts",
                 detail={"credit_codes": sorted({code for code, _ in found})})
    return [StaleAccount(credit_code=code, year=year) for code, year in found]


@router.get("/accounts/{credit_code}/{year}", response_model=AccountPublic, responses=ERRORS)
def get_account(store: StoreDep, principal: PrincipalDep, credit_code: Code,
                year: Annotated[int, Path(ge=1901, le=2199)], profile: ProfileId = "default") -> AccountPublic:
    """One account (a bank needs a live consent of any scope)."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource)
    return AccountPublic(**record)  # type: ignore[arg-type]


@router.get("/exports/accounts", responses={**ERRORS, 200: {"content": {m: {} for m in MEDIA.values()}}},
            response_class=Response)
def export_accounts(store: StoreDep, principal: PrincipalDep, year: Year,
                    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",  # noqa: A002
                    profile: ProfileId = "default") -> Response:
    """The visible accounts of a year with INTERFACE.md's field names, as json, csv or xlsx."""
    authorize(store, principal, "account.list", resource=f"export:{year}")
    records = query.list_accounts(store, year=year, visible=visible_codes(store, principal), profile_id=profile,
                                  size=1_000_000).items
    audit.record(store, principal=principal, action="account.export", resource=f"export:{year}",
                 detail={"format": format, "credit_codes": [r["credit_code"] for r in records]})
    return Response(render(records, format), media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="accounts-{year}.{format}"'})


@router.get("/enterprises/{credit_code}", response_model=EnterprisePublic, responses=ERRORS)
def get_enterprise(store: StoreDep, principal: PrincipalDep, credit_code: Code) -> EnterprisePublic:
    """An enterprise and its meters (a bank needs a live consent of any scope)."""
    resource = f"enterprise:{credit_code}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    enterprise = query.get_enterprise(store, credit_code)
    audit.record(store, principal=principal, action="enterprise.read", resource=resource)
    return EnterprisePublic(**enterprise)  # type: ignore[arg-type]


@router.get("/enterprises/{credit_code}/monthly", response_model=list[MonthlyPublic], responses=ERRORS)
def enterprise_monthly(store: StoreDep, principal: PrincipalDep, credit_code: Code, year: Year
                       ) -> list[MonthlyPublic]:
    """The enterprise's monthly meter data (raw data: a bank needs a live consent of scope ``full``)."""
    resource = f"data:{credit_code}:{year}"
    authorize(store, principal, "data.read", resource=resource, credit_code=credit_code)
    query.get_enterprise(store, credit_code)
    rows = query.enterprise_monthly(store, credit_code=credit_code, year=year)
    audit.record(store, principal=principal, action="data.read", resource=resource)
    return [MonthlyPublic(**r) for r in rows]  # type: ignore[arg-type]


@router.get("/enterprises/{credit_code}/findings", response_model=list[EnterpriseFinding], responses=ERRORS)
def enterprise_findings(store: StoreDep, principal: PrincipalDep, credit_code: Code) -> list[EnterpriseFinding]:
    """Data-quality findings about the enterprise's data (gaps, monthly/15-minute mismatches, rejected rows)."""
    resource = f"findings:{credit_code}"
    authorize(store, principal, "data.read", resource=resource, credit_code=credit_code)
    found = query.enterprise_findings(store, credit_code=credit_code)
    audit.record(store, principal=principal, action="data.read", resource=resource)
    return [EnterpriseFinding(**f) for f in found]  # type: ignore[arg-type]
