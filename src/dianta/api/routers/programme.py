"""The programme as the regulator sees it: statistics of the accounts (aggregates only) and the green-finance
programme totals."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from dianta.accounts.statistics import programme_statistics
from dianta.api.deps import PrincipalDep, StoreDep, Year, signed_in
from dianta.api.schemas import ProgrammeTotalsPublic, StatisticsPublic
from dianta.clock import today_cst
from dianta.finance.interest import programme_totals
from dianta.security import audit
from dianta.security.authz import authorize

statistics_router = APIRouter(prefix="/statistics", tags=["programme"], responses=signed_in())
programme_router = APIRouter(prefix="/programme", tags=["programme"], responses=signed_in(404))


@statistics_router.get("", response_model=StatisticsPublic)
def statistics(store: StoreDep, principal: PrincipalDep, year: Year) -> StatisticsPublic:
    """Accounts by grade, industry and region, green share, loans by bank: aggregates only."""
    authorize(store, principal, "statistics.read", resource=f"statistics:{year}")
    audit.record(store, principal=principal, action="statistics.read", resource=f"statistics:{year}")
    return StatisticsPublic.model_validate(programme_statistics(store, year=year))


@programme_router.get("/totals", response_model=ProgrammeTotalsPublic)
def programme(store: StoreDep, principal: PrincipalDep, through: dt.date | None = None,
              records: bool = False) -> ProgrammeTotalsPublic:
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
    return ProgrammeTotalsPublic.model_validate(result)
