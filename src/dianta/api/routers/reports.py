"""Reports and labels: an account's report, label and advice, the public check of a label's code, and the data
requirement table; what each role may read, every read audited.

The account report needs a consent of scope ``reports`` or ``full`` (a bank); the label goes with the account
(any live consent). Label verification is public: it answers only what the label itself prints; so is the check of
a green-computing certificate (GREEN-POWER.md §11), which answers only what the certificate states.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from dianta.accounts import query
from dianta.accounts.computing import verify_certificate
from dianta.accounts.labels import CODE_PATTERN, verify_label
from dianta.api.deps import PUBLIC, CreditCode, Lang, PrincipalDep, ProfileId, StoreDep, YearPath, errors, signed_in
from dianta.api.files import MEDIA, file_formats, file_response
from dianta.api.schemas import (
    AdvicePublic,
    CertificateVerificationPublic,
    LabelCheckPublic,
)
from dianta.reference.profile import shipped_profile
from dianta.reports.content import gather_account_report
from dianta.reports.i18n import Words
from dianta.reports.labels import label_image
from dianta.reports.render import advice, render_account_report
from dianta.reports.requirements import XLSX_NAME, requirements_html, requirements_xlsx
from dianta.security import audit
from dianta.security.authz import authorize
from dianta.security.principal import anonymous

account_router = APIRouter(prefix="/accounts/{credit_code}/{year}", tags=["reports"], responses=signed_in(404))
labels_router = APIRouter(prefix="/labels", tags=["reports"], responses={**PUBLIC, **errors(404)})
certificates_router = APIRouter(prefix="/certificates", tags=["reports"], responses={**PUBLIC, **errors(404)})
reference_router = APIRouter(prefix="/reference", tags=["reports"])


@account_router.get("/report", response_class=Response, responses=file_formats("pdf", "html"))
def account_report(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: YearPath,
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
    return file_response(data, format, f"carbon-account-{credit_code}-{year}-{lang}")


@account_router.get("/label", response_class=Response, responses=file_formats("svg", "png"))
def account_label(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: YearPath,
                  format: Annotated[Literal["svg", "png"], Query()] = "svg",  # noqa: A002
                  profile: ProfileId = "default") -> Response:
    """The carbon evaluation label (碳评价标识) of a rated account, as SVG or PNG, with its verification code."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile)
    data = label_image(record, name=str(record["name"]), fmt=format)
    audit.record(store, principal=principal, action="label.read", resource=resource, detail={"format": format})
    return file_response(data, format, f"carbon-label-{credit_code}-{year}")


@account_router.get("/advice", response_model=AdvicePublic)
def account_advice(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, year: YearPath,
                   lang: Lang = "zh", profile: ProfileId = "default") -> AdvicePublic:
    """What would raise the account's score: the aspects below their top step and, for green power, the
    MWh of trades or certificates that reach the next step (METHODOLOGY.md §7b)."""
    resource = f"account:{credit_code}:{year}"
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource, detail={"advice": True})
    return AdvicePublic(credit_code=credit_code, year=year, lang=lang,
                        advice=advice(record, shipped_profile(str(record["profile_id"])), Words(lang)))


@labels_router.get("/{code}", response_model=LabelCheckPublic)
def check_label(store: StoreDep, request: Request, code: Annotated[str, Path(pattern=CODE_PATTERN)]
                ) -> LabelCheckPublic:
    """Verify a label's code (public: anyone holding a label may check it): an enterprise's carbon evaluation label
    (`kind` enterprise) or a park label (`kind` park, GREEN-POWER.md §10). `valid` while the published account
    still states the label; `superseded` when a later computation changed it; 404 when never issued."""
    result = verify_label(store, code)
    audit.record(store, principal=anonymous(request.client.host if request.client else None),
                 action="label.verify", resource=f"label:{result['code']}", detail={"status": result["status"]})
    return LabelCheckPublic.model_validate(result)


@certificates_router.get("/{code}", response_model=CertificateVerificationPublic)
def check_certificate(store: StoreDep, request: Request, code: Annotated[str, Path(pattern=CODE_PATTERN)]
                      ) -> CertificateVerificationPublic:
    """Verify a green-computing certificate's code (public: anyone holding the certificate may check it): its
    period, level, CFE and green share, `valid` while the latest computation states the same figures,
    `superseded` once one states others; 404 when never issued."""
    result = verify_certificate(store, code)
    audit.record(store, principal=anonymous(request.client.host if request.client else None),
                 action="certificate.verify", resource=f"certificate:{result['code']}",
                 detail={"status": result["status"]})
    return CertificateVerificationPublic.model_validate(result)


@reference_router.get("/data-requirements", response_class=Response,
                      responses={**file_formats("html"), **errors(422)})
def data_requirements_page(lang: Lang = "zh") -> Response:
    """The data requirement table (数据需求表) as a page: every table, column, unit and an example row
    (public: it is what data providers need before they have an account)."""
    return file_response(requirements_html(lang).encode(), "html", "data-requirements")


@reference_router.get(f"/{XLSX_NAME}", response_class=Response, responses=file_formats("xlsx"))
def data_requirements_template() -> Response:
    """The data requirement table as an .xlsx template: one sheet per table, column notes, an example row;
    filled in, it ingests as it is."""
    return Response(requirements_xlsx(), media_type=MEDIA["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{XLSX_NAME}"'})
