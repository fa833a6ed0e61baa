"""The emission-factor table in use (METHODOLOGY.md §2): reference data, the same rows as `dianta factors --format
json`. Any signed-in caller may read it; it holds no enterprise's data, so no tenant or consent applies."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from dianta.api.deps import PrincipalDep, ProfileId, YearOptional, signed_in
from dianta.api.schemas import FactorPublic
from dianta.errors import NotFound
from dianta.reference.profile import load_profile, shipped_profile_ids

router = APIRouter(prefix="/factors", tags=["reference"], responses=signed_in(404))

Kind = Annotated[Literal["average", "excl_market_nonfossil", "fossil_only", "footprint"] | None, Query()]
#: national, a regional grid or a 6-digit GB/T 2260 province code
Area = Annotated[str | None, Query(pattern=r"^(national|north|northeast|east|central|northwest|south|southwest|"
                                           r"[0-9]{6})$")]


@router.get("", response_model=list[FactorPublic])
def factors(_principal: PrincipalDep, year: YearOptional = None, kind: Kind = None, area: Area = None,
            profile: ProfileId = "default") -> list[FactorPublic]:
    """The factors of the table a shipped methodology profile uses, each with its announcement, number, date,
    source and status; filtered by year, kind and area when given."""
    if profile not in shipped_profile_ids():
        raise NotFound(f"no shipped methodology profile '{profile}': {', '.join(shipped_profile_ids())}",
                       zh=f"没有随附的方法学配置“{profile}”：{'、'.join(shipped_profile_ids())}")
    table = load_profile(profile).factor_table
    return [FactorPublic.model_validate(f.public()) for f in table.matching(year=year, kind=kind, area=area)]
