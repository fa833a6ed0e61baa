"""The programme as the regulator sees it: statistics of the accounts (aggregates only) and the green-finance
programme totals."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from dianta.accounts.statistics import programme_statistics
from dianta.api.deps import PrincipalDep, StoreDep, Year, signed_in
from dianta.api.schemas import ProgrammeHeadlinePublic, ProgrammeTotalsPublic, StatisticsPublic
from dianta.clock import today_cst
from dianta.finance.interest import programme_totals
from dianta.finance.programme import programme_headline
from dianta.security import audit
from dianta.security.authz import authorize

statistics_router = APIRouter(prefix="/statistics", tags=["programme"], responses=signed_in())
programme_router = APIRouter(prefix="/programme", tags=["programme"], responses=signed_in(404))


@statistics_router.get("", response_model=StatisticsPublic)
def statistics(store: StoreDep, principal: PrincipalDep, year: Year, on: dt.date | None = None) -> StatisticsPublic:
    """Accounts by grade, industry and region, green share; loans by bank with their balance (贷款余额) as of
    ``on`` (default today, China Standard Time), the figure the programme totals show under the same name:
    aggregates only."""
    authorize(store, principal, "statistics.read", resource=f"statistics:{year}")
    day = on or today_cst()
    loans = programme_totals(store, through=day)
    audit.record(store, principal=principal, action="statistics.read", resource=f"statistics:{year}",
                 detail={"loans_as_of": day.isoformat()})
    by_bank = [{"bank_id": g["group"], **{k: g[k] for k in ("loans", "principal_cny", "outstanding_cny",
                                                            "interest_saved_cny")}} for g in loans["by_bank"]]
    return StatisticsPublic.model_validate({**programme_statistics(store, year=year), "loans_as_of": day.isoformat(),
                                            "loans_by_bank": by_bank})


@programme_router.get("/headline", response_model=ProgrammeHeadlinePublic)
def headline(store: StoreDep, principal: PrincipalDep, on: dt.date | None = None) -> ProgrammeHeadlinePublic:
    """The programme's headline as of ``on`` (default today, China Standard Time): accounts opened, carbon-account
    loans issued and their amount and balance, interest saved, the balance of all loans; then the same by bank,
    industry division, prefecture and park, each with its yearly trend. Aggregates only: a cell with fewer
    enterprises than the profile's `disclosure.min_group_size` is pooled into `other`."""
    authorize(store, principal, "statistics.read", resource="programme-headline")
    result = programme_headline(store, on=on or today_cst())
    audit.record(store, principal=principal, action="statistics.read", resource="programme-headline",
                 detail={"as_of": result["as_of"]})
    return ProgrammeHeadlinePublic.model_validate(result)


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
