"""Enterprises: master data and meters, monthly meter data, data-quality findings and a data centre's
green-computing certificate; what each role may read, every read audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dianta.accounts import query
from dianta.accounts.computing import compute_certificate, issue_certificate
from dianta.api.deps import CreditCode, PrincipalDep, ProfileId, StoreDep, Year, errors, signed_in
from dianta.api.schemas import (
    ComputingCertificatePublic,
    EnterpriseFindingPublic,
    EnterprisePublic,
    MonthlyPublic,
)
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/enterprises", tags=["enterprises"], responses=signed_in(404))


@router.get("/{credit_code}", response_model=EnterprisePublic)
def get_enterprise(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode) -> EnterprisePublic:
    """An enterprise and its meters (a bank needs a live consent of any scope)."""
    resource = f"enterprise:{credit_code}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    enterprise = query.get_enterprise(store, credit_code)
    audit.record(store, principal=principal, action="enterprise.read", resource=resource)
    return EnterprisePublic.model_validate(enterprise)


@router.get("/{credit_code}/monthly", response_model=list[MonthlyPublic])
def enterprise_monthly(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: Year
                       ) -> list[MonthlyPublic]:
    """The enterprise's monthly meter data (raw data: a bank needs a live consent of scope ``full``)."""
    resource = f"data:{credit_code}:{year}"
    authorize(store, principal, "data.read", resource=resource, credit_code=credit_code)
    query.get_enterprise(store, credit_code)
    rows = query.enterprise_monthly(store, credit_code=credit_code, year=year)
    audit.record(store, principal=principal, action="data.read", resource=resource)
    return [MonthlyPublic.model_validate(r) for r in rows]


@router.get("/{credit_code}/findings", response_model=list[EnterpriseFindingPublic])
def enterprise_findings(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode
                        ) -> list[EnterpriseFindingPublic]:
    """Data-quality findings about the enterprise's data (gaps, monthly/15-minute mismatches, rejected rows)."""
    resource = f"findings:{credit_code}"
    authorize(store, principal, "data.read", resource=resource, credit_code=credit_code)
    found = query.enterprise_findings(store, credit_code=credit_code)
    audit.record(store, principal=principal, action="data.read", resource=resource)
    return [EnterpriseFindingPublic.model_validate(f) for f in found]


@router.get("/{credit_code}/green-computing", response_model=ComputingCertificatePublic, responses=errors(400))
def green_computing(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: Year,
                    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$",
                                                       description="a month YYYY-MM of the year")] = None,
                    profile: ProfileId = "default") -> ComputingCertificatePublic:
    """The data centre's green-computing certificate (绿电绿算溯源证书, GREEN-POWER.md §11) of a year or one of
    its months, with its trace, as `dianta green-computing --format json` gives it: computed and issued (its
    verification code, when it reaches a level). As a report: the enterprise itself, a bank with a live consent
    of scope `reports` or `full`, the operator. 404 when the enterprise is not a data centre."""
    resource = f"certificate:{credit_code}:{month or year}"
    authorize(store, principal, "report.read", resource=resource, credit_code=credit_code)
    cert = issue_certificate(store, compute_certificate(store, credit_code=credit_code, year=year, month=month,
                                                        profile=profile))
    audit.record(store, principal=principal, action="report.read", resource=resource,
                 detail={"certificate": True, "level": cert["level"], "code": cert["verification_code"],
                         "profile": profile})
    return ComputingCertificatePublic.model_validate(cert)
