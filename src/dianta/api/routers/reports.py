"""Reports, labels and the portfolio: what each role may read, every read audited.

The account report needs a consent of scope ``reports`` or ``full`` (a bank); the label goes with the account
(any live consent). Label verification is public: it answers only what the label itself prints.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from dianta.accounts import query
from dianta.accounts.labels import CODE_PATTERN, verify_label
from dianta.api.deps import PrincipalDep, StoreDep
from dianta.api.schemas import CREDIT_CODE, Advice, LabelVerification, Message, PortfolioPublic
from dianta.finance.pcaf import financed_emissions, pcaf_json, pcaf_xlsx
from dianta.finance.risk import with_transition_risk
from dianta.reference.profile import shipped_profile
from dianta.reports.content import gather_account_report
from dianta.reports.i18n import Words
from dianta.reports.labels import label_image
from dianta.reports.portfolio import bank_portfolio, portfolio_codes, render_portfolio
from dianta.reports.render import advice, render_account_report
from dianta.reports.requirements import XLSX_NAME, requirements_html, requirements_xlsx
from dianta.security import audit
from dianta.security.authz import authorize, visible_codes
from dianta.security.principal import anonymous

router = APIRouter(tags=["reports"])
ERRORS = {401: {"model": Message}, 403: {"model": Message}, 404: {"model": Message}}
Code = Annotated[str, Path(pattern=CREDIT_CODE)]
YearPath = Annotated[int, Path(ge=1901, le=2199)]
Year = Annotated[int, Query(ge=1901, le=2199)]
Lang = Annotated[Literal["zh", "en"], Query()]
ProfileId = Annotated[str, Query(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
BankId = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "svg": "image/svg+xml",
         "png": "image/png", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: a report page carries its own styles and inline SVG charts, and nothing else
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def _file(data: bytes, fmt: str, name: str) -> Response:
    inline = fmt in ("html", "svg", "png")
    headers = {"Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}.{fmt}"'}
    if fmt in ("html", "svg"):
        headers["Content-Security-Policy"] = REPORT_CSP
    return Response(data, media_type=MEDIA[fmt], headers=headers)


@router.get("/accounts/{credit_code}/{year}/report", response_class=Response,
            responses={**ERRORS, 200: {"content": {MEDIA["pdf"]: {}, MEDIA["html"]: {}}}})
def account_report(store: StoreDep, principal: PrincipalDep, credit_code: Code, year: YearPath,
                   format: Annotated[Literal["pdf", "html"], Query()] = "pdf",  # noqa: A002
                   lang: Lang = "zh", profile: ProfileId = "default") -> Response:
    """The carbon account report (碳账户报告) as PDF or HTML, in Chinese or English (a bank needs a live
    consent of scope `reports` or `full`)."""
    resource = f"report:{credit_code}:{year}"
    authorize(store, principal, "report.read", resource=resource, credit_code=credit_code)
    data = render_account_report(gather_account_report(store, credit_code=credit_code, year=year, profile_id=profile),
                                 fmt=format, lang=lang)
    audit.record(store, principal=principal, action="report.read", resource=resource,
                 detail={"format": format, "lang": lang})
    return _file(data, format, f"carbon-account-{credit_code}-{year}-{lang}")


@router.get("/accounts/{credit_code}/{year}/label", response_class=Response,
            responses={**ERRORS, 200: {"content": {MEDIA["svg"]: {}, MEDIA["png"]: {}}}})
def account_label(store: StoreDep, principal: PrincipalDep, credit_code: Code, year: YearPath,
                  format: Annotated[Literal["svg", "png"], Query()] = "svg",  # noqa: A002
                  profile: ProfileId = "default") -> Response:
    """The carbon evaluation label (碳评价标识) of a rated account, as SVG or PNG, with its verification code."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile)
    data = label_image(record, name=str(record["name"]), fmt=format)
    audit.record(store, principal=principal, action="label.read", resource=resource, detail={"format": format})
    return _file(data, format, f"carbon-label-{credit_code}-{year}")


@router.get("/accounts/{credit_code}/{year}/advice", response_model=Advice, responses=ERRORS)
def account_advice(store: StoreDep, principal: PrincipalDep, credit_code: Code, year: YearPath, lang: Lang = "zh",
                   profile: ProfileId = "default") -> Advice:
    """What would raise the account's score: the aspects below their top step and, for green power, the
    MWh of trades or certificates that reach the next step (METHODOLOGY.md §7b)."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource, detail={"advice": True})
    return Advice(credit_code=credit_code, year=year, lang=lang,
                  advice=advice(record, shipped_profile(str(record["profile_id"])), Words(lang)))


@router.get("/labels/{code}", response_model=LabelVerification, responses={404: {"model": Message}})
def check_label(store: StoreDep, request: Request, code: Annotated[str, Path(pattern=CODE_PATTERN)]
                ) -> LabelVerification:
    """Verify a label's code (public: anyone holding a label may check it). `valid` while the published
    account still states the label; `superseded` when a later computation changed it; 404 when never issued."""
    result = verify_label(store, code)
    audit.record(store, principal=anonymous(request.client.host if request.client else None),
                 action="label.verify", resource=f"label:{result['code']}", detail={"status": result["status"]})
    return LabelVerification(**result)  # type: ignore[arg-type]


def _portfolio(store: StoreDep, principal: PrincipalDep, year: int, bank_id: str | None, profile: str
               ) -> dict[str, object]:
    bank = principal.org_id if principal.role == "bank" and bank_id is None else bank_id
    authorize(store, principal, "portfolio.read", resource=f"portfolio:{bank or 'all'}:{year}", bank_id=bank)
    return bank_portfolio(store, year=year, codes=portfolio_codes(store, bank), bank_id=bank, profile_id=profile)


def _audit_read(store: StoreDep, principal: PrincipalDep, data: dict[str, object], **detail: object) -> None:
    codes = [r["credit_code"] for r in data["enterprises"]]  # type: ignore[attr-defined]
    audit.record(store, principal=principal, action="portfolio.read",
                 resource=f"portfolio:{data['bank_id'] or 'all'}:{data['year']}",
                 detail={**detail, "credit_codes": codes})


@router.get("/portfolio", response_model=PortfolioPublic, responses=ERRORS)
def portfolio(store: StoreDep, principal: PrincipalDep, year: Year, bank_id: BankId = None,
              profile: ProfileId = "default", scenarios: ProfileId = "default") -> PortfolioPublic:
    """A bank's portfolio: its consented enterprises' accounts by grade, industry and region, with each
    borrower's carbon cost under the carbon-price `scenarios` (a shipped set) as a share of its value added,
    flagged above the set's threshold (a bank sees its own; the operator any bank's with `bank_id`, or every
    account without)."""
    data = with_transition_risk(_portfolio(store, principal, year, bank_id, profile), scenarios)
    _audit_read(store, principal, data)
    return PortfolioPublic(**data)  # type: ignore[arg-type]


@router.get("/financed-emissions", response_class=Response,
            responses={**ERRORS, 200: {"content": {"application/json": {}, MEDIA["xlsx"]: {}}}})
def financed(store: StoreDep, principal: PrincipalDep, year: Year, bank_id: BankId = None,
             format: Annotated[Literal["json", "xlsx"], Query()] = "json",  # noqa: A002
             lang: Lang = "zh", profile: ProfileId = "default") -> Response:
    """Financed emissions (PCAF business loans) of a bank's loans on 31 December of `year`: attribution,
    financed emissions, data quality score, totals, economic intensity, WACI, coverage (a bank its own; the
    operator one bank's or every bank's)."""
    bank = principal.org_id if principal.role == "bank" and bank_id is None else bank_id
    resource = f"financed-emissions:{bank or 'all'}:{year}"
    authorize(store, principal, "finance.read", resource=resource, bank_id=bank)
    # a borrower's figures only under a live consent that shows its account (issue 12): the others are listed
    # as "not covered: no consent" with the bank's own loan record and nothing of the borrower
    result = financed_emissions(store, bank_id=bank, year=year, profile_id=profile,
                                visible=visible_codes(store, principal, "account.read"))
    loans: list[dict[str, object]] = result["loans"]  # type: ignore[assignment]
    shown = sorted({str(r["credit_code"]) for r in loans if not _no_consent(r)})
    withheld = sorted({str(r["credit_code"]) for r in loans if _no_consent(r)})
    audit.record(store, principal=principal, action="finance.read", resource=resource,
                 detail={"format": format, "credit_codes": shown, "no_consent": withheld})
    if format == "json":
        return Response(pcaf_json(result), media_type="application/json")
    return _file(pcaf_xlsx(result, lang), "xlsx", f"financed-emissions-{bank or 'all'}-{year}")


def _no_consent(row: dict[str, object]) -> bool:
    return any(r["code"] == "no_consent" for r in row["not_covered"])  # type: ignore[attr-defined, index]


@router.get("/portfolio/report", response_class=Response,
            responses={**ERRORS, 200: {"content": {MEDIA[f]: {} for f in ("pdf", "html", "xlsx")}}})
def portfolio_report(store: StoreDep, principal: PrincipalDep, year: Year,
                     format: Annotated[Literal["pdf", "html", "xlsx"], Query()] = "pdf",  # noqa: A002
                     lang: Lang = "zh", bank_id: BankId = None, profile: ProfileId = "default") -> Response:
    """The portfolio report as PDF, HTML or xlsx."""
    data = _portfolio(store, principal, year, bank_id, profile)
    _audit_read(store, principal, data, format=format, lang=lang)
    return _file(render_portfolio(data, fmt=format, lang=lang), format, f"portfolio-{data['bank_id'] or 'all'}-{year}")


@router.get("/reference/data-requirements", response_class=Response,
            responses={200: {"content": {MEDIA["html"]: {}}}})
def data_requirements_page(lang: Lang = "zh") -> Response:
    """The data requirement table (数据需求表) as a page: every table, column, unit and an example row
    (public: it is what data providers need before they have an account)."""
    return _file(requirements_html(lang).encode(), "html", "data-requirements")


@router.get(f"/reference/{XLSX_NAME}", response_class=Response, responses={200: {"content": {MEDIA["xlsx"]: {}}}})
def data_requirements_template() -> Response:
    """The data requirement table as an .xlsx template: one sheet per table, column notes, an example row;
    filled in, it ingests as it is."""
    return Response(requirements_xlsx(), media_type=MEDIA["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{XLSX_NAME}"'})
