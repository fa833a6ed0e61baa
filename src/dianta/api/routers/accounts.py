"""Accounts: the published accounts of a year, the years published, the accounts marked stale and the
export; what each role may read, every read audited."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from dianta.accounts import query
from dianta.accounts.compute import stale_accounts
from dianta.accounts.export import render
from dianta.accounts.peers import account_peers, account_trend
from dianta.api.deps import (
    CreditCode,
    Page,
    PageSize,
    PrincipalDep,
    ProfileId,
    StoreDep,
    Year,
    YearPath,
    signed_in,
)
from dianta.api.files import file_formats, file_response
from dianta.api.schemas import AccountList, AccountPublic, PeersPublic, StaleAccountPublic, TrendPublic
from dianta.reports.content import region_name
from dianta.security import audit
from dianta.security.authz import authorize, visible_codes

#: ``sort``: a field of query.SORT_FIELDS, ``-`` first for descending
Sort = Annotated[str | None, Query(pattern=rf"^-?({'|'.join(query.SORT_FIELDS)})$", description=(
    "the field to sort by (" + ", ".join(query.SORT_FIELDS) + "), '-' first for descending; blanks last"))]
Grade = Annotated[int | None, Query(ge=1, le=5)]
Industry = Annotated[str | None, Query(pattern=r"^[A-Za-z]\d{0,4}$")]
Region = Annotated[str | None, Query(pattern=r"^\d{1,6}$")]
Search = Annotated[str | None, Query(max_length=100)]

router = APIRouter(prefix="/accounts", tags=["accounts"], responses=signed_in(404))
years_router = APIRouter(prefix="/years", tags=["accounts"], responses=signed_in(404))
exports_router = APIRouter(prefix="/exports", tags=["accounts"], responses=signed_in(404))


@router.get("", response_model=AccountList)
def list_accounts(store: StoreDep, principal: PrincipalDep, year: Year, grade: Grade = None,
                  industry: Industry = None, region: Region = None, q: Search = None, sort: Sort = None,
                  profile: ProfileId = "default", page: Page = 1, size: PageSize = 50,
                  page_size: PageSize | None = None) -> AccountList:
    """Accounts of a year the caller may see: the operator all; a bank those with a live consent to it; an
    enterprise its own. Filters: grade, industry code prefix, region code prefix, name or code fragment; one
    page (``page_size``, or its older name ``size``, at most 500) of the rows in ``sort`` order, with the total."""
    authorize(store, principal, "account.list", resource=f"accounts:{year}")
    size = page_size or size
    page_ = query.list_accounts(store, year=year, visible=visible_codes(store, principal), profile_id=profile,
                                grade=grade, industry=industry, region=region, q=q, page=page, size=size, sort=sort)
    audit.record(store, principal=principal, action="account.list", resource=f"accounts:{year}",
                 detail={"credit_codes": [r["credit_code"] for r in page_.items], "page": page})
    codes = sorted({str(r["region_code"]) for r in page_.items if r.get("region_code")})
    return AccountList(items=[AccountPublic.model_validate(r) for r in page_.items], total=page_.total, page=page,
                       size=size, region_names={c: name for c in codes if (name := region_name(c))})


@years_router.get("", response_model=list[int])
def years(store: StoreDep, principal: PrincipalDep, profile: ProfileId = "default") -> list[int]:
    """The years with published accounts, newest first (whether an account exists for a given enterprise is
    another question: ask for it)."""
    return query.published_years(store, profile_id=profile)


@router.get("/stale", response_model=list[StaleAccountPublic])
def stale(store: StoreDep, principal: PrincipalDep) -> list[StaleAccountPublic]:
    """Accounts marked for recalculation by corrections since they were computed (operator)."""
    authorize(store, principal, "batch.read", resource="stale-accounts")
    found = stale_accounts(store)
    audit.record(store, principal=principal, action="batch.read", resource="stale-accounts",
                 detail={"credit_codes": sorted({code for code, _ in found})})
    return [StaleAccountPublic(credit_code=code, year=year) for code, year in found]


@router.get("/{credit_code}/trend", response_model=TrendPublic)
def get_trend(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode,
              profile: ProfileId = "default") -> TrendPublic:
    """The enterprise's grade, score, intensity, emissions, green share and hourly CFE in every year on record,
    with the change against the year before (the same rule as its account: a bank needs a live consent)."""
    resource = f"trend:{credit_code}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    trend = account_trend(store, credit_code=credit_code, profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource,
                 detail={"years": [y["year"] for y in trend["years"]]})
    return TrendPublic.model_validate(trend)


@router.get("/{credit_code}/{year}/peers", response_model=PeersPublic)
def get_peers(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: YearPath,
              profile: ProfileId = "default") -> PeersPublic:
    """The account's intensity, score and green share among its peers (the benchmark group of §7b): rank,
    percentile and the distribution as an anonymous sorted list; "too small" below the profile's minimum group
    size. Read as the account is (a bank needs a live consent)."""
    resource = f"peers:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    peers = account_peers(store, credit_code=credit_code, year=year, profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource,
                 detail={"groups": sorted({f["group"] for f in peers["figures"] if f["group"]})})
    return PeersPublic.model_validate(peers)


@router.get("/{credit_code}/{year}", response_model=AccountPublic)
def get_account(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: YearPath,
                profile: ProfileId = "default") -> AccountPublic:
    """One account (a bank needs a live consent of any scope)."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource)
    return AccountPublic.model_validate(record)


@exports_router.get("/accounts", response_class=Response, responses=file_formats("json", "csv", "xlsx"))
def export_accounts(store: StoreDep, principal: PrincipalDep, year: Year,
                    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",  # noqa: A002
                    grade: Grade = None, industry: Industry = None, region: Region = None, q: Search = None,
                    sort: Sort = None, profile: ProfileId = "default") -> Response:
    """The visible accounts of a year with INTERFACE.md's field names, as json, csv or xlsx: every row the list
    (GET /accounts) finds with the same filters, in the same ``sort`` order, not only one page."""
    authorize(store, principal, "account.list", resource=f"export:{year}")
    records = query.list_accounts(store, year=year, visible=visible_codes(store, principal), profile_id=profile,
                                  grade=grade, industry=industry, region=region, q=q, sort=sort,
                                  size=1_000_000).items
    audit.record(store, principal=principal, action="account.export", resource=f"export:{year}",
                 detail={"format": format, "credit_codes": [r["credit_code"] for r in records]})
    return file_response(render(records, format), format, f"accounts-{year}")

