"""Parks (园区, GREEN-POWER.md §10; issue 16): the park accounts, a park's members, and the operator's definition of
parks and memberships; every route authenticated, authorised (``park.read``, ``park.define``) and audited.

"The regulator sees park accounts (aggregates only, never a member's figures), the operator defines parks" (§10);
a park's management (an organisation of kind ``park``) sees its own park, and a member's figures only while that
member's consent to it is live (:func:`dianta.security.authz.visible_park_members`). Parks and memberships are
written as one-row batches of the ``parks`` and ``park_members`` tables: the same checks as any batch, the batch
kept and listed with the others, and they take effect at the next computation.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from dianta.accounts import park_directory as parks
from dianta.accounts.record import ParkAccount
from dianta.api.deps import Lang, PrincipalDep, ProfileId, StoreDep, Year, YearOptional, errors, signed_in
from dianta.api.files import file_formats, file_response
from dianta.api.schemas import (
    PARK_ID,
    FindingPublic,
    ParkAccountPublic,
    ParkBatchPublic,
    ParkCreate,
    ParkDefinition,
    ParkDetailPublic,
    ParkList,
    ParkMember,
    ParkMemberCreate,
    ParkMemberFigures,
    ParkPublic,
    ParkYearsPublic,
)
from dianta.errors import InputRefused, NotFound
from dianta.ingest.apply import IngestResult
from dianta.ingest.upload import record_row
from dianta.ledger.store import Store
from dianta.reports.parks import park_label_image, render_park_report
from dianta.security import audit
from dianta.security.authz import authorize, visible_park_members
from dianta.security.principal import Principal

router = APIRouter(prefix="/parks", tags=["parks"], responses=signed_in())
ParkId = Annotated[str, Path(pattern=PARK_ID)]


def _visible_parks(principal: Principal, defined: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parks a caller allowed ``park.read`` lists: every one, or a park organisation's own."""
    return [p for p in defined if principal.role != "park" or p["park_id"] == principal.park_id]


@router.get("", response_model=ParkList)
def list_parks(store: StoreDep, principal: PrincipalDep, year: Year, profile: ProfileId = "default") -> ParkList:
    """The parks with their accounts of a year (aggregates only): the operator and the regulator see every park,
    a park organisation its own."""
    authorize(store, principal, "park.read", resource=f"parks:{year}")
    shown = _visible_parks(principal, parks.park_definitions(store))
    counts = parks.member_counts(store, year)
    items = [ParkPublic(**p, members=counts.get(p["park_id"], 0), account=_account(
        parks.park_account(store, park_id=p["park_id"], year=year, profile_id=profile))) for p in shown]
    audit.record(store, principal=principal, action="park.read", resource=f"parks:{year}",
                 detail={"park_ids": [p["park_id"] for p in shown], "profile": profile})
    return ParkList(year=year, items=items)


@router.get("/years", response_model=ParkYearsPublic)
def park_years(store: StoreDep, principal: PrincipalDep, profile: ProfileId = "default") -> ParkYearsPublic:
    """The years with any published park account, oldest first."""
    authorize(store, principal, "park.read", resource="parks:years")
    return ParkYearsPublic(years=parks.park_account_years(store, profile_id=profile))


@router.get("/{park_id}", response_model=ParkDetailPublic, response_model_exclude_unset=True, responses=errors(404))
def get_park(store: StoreDep, principal: PrincipalDep, park_id: ParkId, year: YearOptional = None,
             profile: ProfileId = "default") -> ParkDetailPublic:
    """One park: its definition, its account of ``year`` (default: its latest), the years it has accounts and
    its members. The regulator gets no ``members`` (aggregates only); a park organisation sees every member's
    name and membership but a member's figures only with that member's live consent; another park answers 404."""
    resource = f"park:{park_id}"
    _authorize_park(store, principal, park_id, resource)
    [definition] = parks.park_definitions(store, park_id=park_id)
    years = parks.park_account_years(store, park_id=park_id, profile_id=profile)
    year = year if year is not None else (years[-1] if years else None)
    account = None if year is None else parks.park_account(store, park_id=park_id, year=year, profile_id=profile)
    count = parks.member_counts(store, year).get(park_id, 0) if year is not None else 0
    detail = ParkDetailPublic(year=year, park=ParkDefinition(**definition, members=count), account=_account(account),
                              years=years)
    shown: list[str] = []
    if principal.role != "regulator":
        allowed = visible_park_members(store, principal, park_id)
        figures = parks.member_figures(store, credit_codes=allowed, year=year, profile_id=profile) \
            if year is not None else {}
        detail.members = [_member(m, m["credit_code"] in allowed, figures.get(m["credit_code"]))
                          for m in parks.memberships(store, park_id=park_id)]
        shown = sorted(figures)
    audit.record(store, principal=principal, action="park.read", resource=resource,
                 detail={"year": year, "profile": profile, "member_figures": shown})
    return detail


def _account(record: ParkAccount | None) -> ParkAccountPublic | None:
    return None if record is None else ParkAccountPublic.model_validate(record)


def _member(m: dict[str, Any], consent: bool, figures: dict[str, Any] | None) -> ParkMember:
    return ParkMember(credit_code=m["credit_code"], name=m["name"], region_code=m["region_code"],
                      industry_code=m["industry_code"], valid_from=m["valid_from"], valid_to=m["valid_to"],
                      consent=consent, account=ParkMemberFigures(**figures) if consent and figures else None)


def _write(store: Store, principal: Principal, table: str, row: dict[str, Any], action: str,
           resource: str) -> ParkBatchPublic:
    """``row`` ingested as a one-row batch of ``table`` (refused: 422 with the findings); the batch and its audit
    entry commit together, as an upload's do."""

    def audited(tx: sa.Connection, batch_id: int, status: str) -> None:
        audit.record(store, principal=principal, action=action, resource=resource, connection=tx,
                     detail={"batch_id": batch_id, "status": status, "table": table, "row": row})

    try:
        result: IngestResult = record_row(store, table, row, user=principal.actor,
                                          reason="recorded through the API", in_transaction=audited)
    except InputRefused as refused:  # named for what was sent, not for the batch folder it was written to
        what = {"parks": ("the park", "园区"), "park_members": ("the membership", "园区成员记录")}[table]
        raise InputRefused(f"{what[0]} was refused: nothing was applied; correct what the findings name",
                           refused.findings, zh=f"{what[1]}被拒绝，未写入任何数据；请按各条问题说明更正") from None
    if result.batch_id is None:  # re-sent unchanged: nothing to commit, still a write request to record
        audit.record(store, principal=principal, action=action, resource=resource,
                     detail={"unchanged": True, "table": table, "row": row})
    return ParkBatchPublic(batch_id=result.batch_id, status=result.status,
                           findings=[FindingPublic.model_validate(f.as_dict()) for f in result.findings])


@router.post("", response_model=ParkBatchPublic, status_code=201, responses=errors(409, 413))
def define_park(store: StoreDep, principal: PrincipalDep, body: ParkCreate) -> ParkBatchPublic:
    """Define (or correct) a park: one row of the `parks` table ingested as a batch with that table's checks
    (an unknown region code or supplier is refused, 422 with the findings). It takes effect at the next
    computation."""
    authorize(store, principal, "park.define", resource=f"park:{body.park_id}")
    return _write(store, principal, "parks", body.model_dump(mode="json"), "park.define", f"park:{body.park_id}")


@router.post("/{park_id}/members", response_model=ParkBatchPublic, status_code=201, responses=errors(409, 413))
def add_member(store: StoreDep, principal: PrincipalDep, park_id: ParkId, body: ParkMemberCreate
               ) -> ParkBatchPublic:
    """Add (or correct) a membership: one row of the `park_members` table ingested as a batch with that table's
    checks (an unknown park or enterprise, or a membership overlapping one in another park, is refused: 422 with
    the findings). It takes effect at the next computation."""
    resource = f"park:{park_id}:member:{body.credit_code}"
    authorize(store, principal, "park.define", resource=resource)
    return _write(store, principal, "park_members", {"park_id": park_id, **body.model_dump(mode="json")},
                  "park.define", resource)


def _authorize_park(store: Store, principal: Principal, park_id: str, resource: str) -> None:
    authorize(store, principal, "park.read", resource=resource)  # the role, before any look-up
    authorize(store, principal, "park.read", resource=resource, park_id=park_id,
              hidden=NotFound.of("no_park", park_id=park_id))


@router.get("/{park_id}/report", response_class=Response, responses={**file_formats("pdf", "html"), **errors(404)})
def park_report(store: StoreDep, principal: PrincipalDep, park_id: ParkId, year: Year,
                format: Annotated[Literal["pdf", "html"], Query()] = "pdf",  # noqa: A002
                lang: Lang = "zh", profile: ProfileId = "default") -> Response:
    """The park report (园区绿电报告, GREEN-POWER.md §10) as PDF or HTML, in Chinese or English: aggregates only,
    so the regulator may read it as the operator and the park's own organisation do."""
    resource = f"park-report:{park_id}:{year}"
    _authorize_park(store, principal, park_id, resource)
    data = render_park_report(store, park_id, year, format, lang, profile_id=profile)
    audit.record(store, principal=principal, action="park.read", resource=resource,
                 detail={"format": format, "lang": lang, "profile": profile})
    return file_response(data, format, f"park-report-{park_id}-{year}-{lang}")


@router.get("/{park_id}/label", response_class=Response, responses={**file_formats("svg", "png"), **errors(404)})
def park_label(store: StoreDep, principal: PrincipalDep, park_id: ParkId, year: Year,
               format: Annotated[Literal["svg", "png"], Query()] = "svg",  # noqa: A002
               lang: Lang = "zh", profile: ProfileId = "default") -> Response:
    """The park label (园区绿电标识) as SVG or PNG, with its verification code (checked at `/labels/{code}`)."""
    resource = f"park-label:{park_id}:{year}"
    _authorize_park(store, principal, park_id, resource)
    data = park_label_image(store, park_id, year, format, lang, profile_id=profile)
    audit.record(store, principal=principal, action="park.read", resource=resource,
                 detail={"format": format, "lang": lang, "profile": profile})
    return file_response(data, format, f"park-label-{park_id}-{year}")
