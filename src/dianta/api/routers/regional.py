"""The electricity-carbon map (电碳地图, issue 17): a province's prefectures or counties with emissions,
intensity, green share, accounts or loans, for the regulator (the whole programme; a region with fewer
enterprises than the profile's ``[disclosure] min_group_size`` shows counts only) and a bank (its consented portfolio,
each region listing its enterprises). Boundaries are static files at /app/maps/ (reference/maps/)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from dianta.api.deps import BankId, PrincipalDep, ProfileId, StoreDep, Year, requested_bank, signed_in
from dianta.api.schemas import MapPublic
from dianta.clock import today_cst
from dianta.reference.profile import load_profile
from dianta.reference.tables import map_provinces
from dianta.reports.portfolio import portfolio_codes
from dianta.reports.regional import region_map
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/map", tags=["programme"], responses=signed_in(404))

Province = Annotated[str | None, Query(pattern=r"^[1-9][0-9]0000$", description="a GB/T 2260 province code; "
                                       "default: the province with the most accounts")]


@router.get("", response_model=MapPublic)
def region_figures(store: StoreDep, principal: PrincipalDep, year: Year,
                   level: Annotated[Literal["prefecture", "county"], Query()] = "prefecture",
                   metric: Annotated[Literal["emissions", "intensity", "green_share", "accounts", "loans"],
                                     Query()] = "emissions",
                   province: Province = None, bank_id: BankId = None, profile: ProfileId = "default") -> MapPublic:
    """The map's regions with their sums: the regulator every enterprise's (figures of regions with fewer than
    `min_enterprises` enterprises withheld), a bank its consented portfolio and its own loans with each region's
    enterprises, the operator every account (or a bank's portfolio with `bank_id`)."""
    bank = requested_bank(principal, bank_id)
    resource = f"map:{bank or 'all'}:{year}:{level}"
    authorize(store, principal, "map.read", resource=resource, bank_id=bank)
    regulator = principal.role == "regulator"
    data = region_map(store, year=year, level=level, metric=metric, codes=None if regulator else
                      portfolio_codes(store, bank), bank_id=None if regulator else bank, today=today_cst(),
                      province=province, list_enterprises=not regulator, profile_id=profile,
                      min_enterprises=load_profile(profile).disclosure_min_group_size if regulator else None)
    data["map_file"] = map_provinces().get(data["province"] or "")
    detail: dict[str, object] = {"province": data["province"], "metric": metric, "regions": len(data["regions"])}
    if not regulator:
        detail["credit_codes"] = sorted({str(e["credit_code"]) for r in data["regions"]
                                         for e in r["enterprise_list"]})
    audit.record(store, principal=principal, action="map.read", resource=resource, detail=detail)
    return MapPublic.model_validate(data)
