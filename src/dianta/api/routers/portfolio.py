"""A bank's portfolio: its consented enterprises' accounts by grade, industry and region with their
transition risk, as JSON or a report; every read audited."""

from __future__ import annotations

from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query
from fastapi.responses import Response

from dianta.api.deps import BankId, Lang, PrincipalDep, ProfileId, StoreDep, Year, requested_bank, signed_in
from dianta.api.files import file_formats, file_response
from dianta.api.schemas import PortfolioPublic
from dianta.finance.risk import with_transition_risk
from dianta.ledger.store import Store
from dianta.reports.portfolio import bank_portfolio, portfolio_codes, render_portfolio
from dianta.security import audit
from dianta.security.authz import authorize
from dianta.security.principal import Principal

router = APIRouter(prefix="/portfolio", tags=["portfolio"], responses=signed_in(404))


def _portfolio(store: Store, principal: Principal, year: int, bank_id: str | None, profile: str
               ) -> dict[str, object]:
    bank = requested_bank(principal, bank_id)
    authorize(store, principal, "portfolio.read", resource=f"portfolio:{bank or 'all'}:{year}", bank_id=bank)
    return bank_portfolio(store, year=year, codes=portfolio_codes(store, bank), bank_id=bank, profile_id=profile)


def _audit_read(store: Store, principal: Principal, data: dict[str, object], **detail: object) -> None:
    enterprises = cast(list[dict[str, object]], data["enterprises"])
    audit.record(store, principal=principal, action="portfolio.read",
                 resource=f"portfolio:{data['bank_id'] or 'all'}:{data['year']}",
                 detail={**detail, "credit_codes": [r["credit_code"] for r in enterprises]})


@router.get("", response_model=PortfolioPublic)
def portfolio(store: StoreDep, principal: PrincipalDep, year: Year, bank_id: BankId = None,
              profile: ProfileId = "default", scenarios: ProfileId = "default") -> PortfolioPublic:
    """A bank's portfolio: its consented enterprises' accounts by grade, industry and region, with each
    borrower's carbon cost under the carbon-price `scenarios` (a shipped set) as a share of its value added,
    flagged above the set's threshold (a bank sees its own; the operator any bank's with `bank_id`, or every
    account without)."""
    data = with_transition_risk(_portfolio(store, principal, year, bank_id, profile), scenarios)
    _audit_read(store, principal, data)
    return PortfolioPublic.model_validate(data)


@router.get("/report", response_class=Response, responses=file_formats("pdf", "html", "xlsx"))
def portfolio_report(store: StoreDep, principal: PrincipalDep, year: Year,
                     format: Annotated[Literal["pdf", "html", "xlsx"], Query()] = "pdf",  # noqa: A002
                     lang: Lang = "zh", bank_id: BankId = None, profile: ProfileId = "default") -> Response:
    """The portfolio report as PDF, HTML or xlsx."""
    data = _portfolio(store, principal, year, bank_id, profile)
    _audit_read(store, principal, data, format=format, lang=lang)
    return file_response(render_portfolio(data, fmt=format, lang=lang), format,
                         f"portfolio-{data['bank_id'] or 'all'}-{year}")
