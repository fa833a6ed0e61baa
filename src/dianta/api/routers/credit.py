"""A bank officer's one-page credit view of an enterprise (issue 17): the decision first (grade, score, flags, the
discount under the bank's policy in effect and why, in English and Chinese), the bank's loans to the firm with their
pricing and interest saved, the firm's alerts and who handles them. A bank needs the firm's live consent; the
operator names the bank. Every read is audited."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from dianta.api.deps import BankId, CreditCode, PrincipalDep, ProfileId, StoreDep, errors, signed_in
from dianta.api.schemas import CreditViewPublic
from dianta.clock import today_cst
from dianta.errors import UsageError
from dianta.finance.credit import credit_view
from dianta.security import audit
from dianta.security.authz import authorize

router = APIRouter(prefix="/credit", tags=["finance"], responses=signed_in(400, 404))


@router.get("/{credit_code}", response_model=CreditViewPublic, responses=errors(400))
def get_credit_view(store: StoreDep, principal: PrincipalDep, credit_code: CreditCode, bank_id: BankId = None,
                    base_rate_pct: Annotated[float | None, Query(ge=0, le=100, description="the base rate [%] to "
                                                                 "quote on (default: the bank's newest live loan's)")]
                    = None,
                    on: Annotated[dt.date | None, Query(description="the day (default today, CST)")] = None,
                    profile: ProfileId = "default") -> CreditViewPublic:
    """Should this firm get a discount, and why: the bank's credit view of one enterprise on a day."""
    bank = bank_id or (str(principal.org_id) if principal.role == "bank" else None)
    resource = f"credit:{bank or '?'}:{credit_code}"
    authorize(store, principal, "finance.read", resource=resource, bank_id=bank)
    if bank is None:
        raise UsageError("name the bank: bank_id=…", zh="请指定银行：bank_id=…")
    authorize(store, principal, "account.read", resource=resource, credit_code=credit_code)
    view = credit_view(store, bank_id=bank, credit_code=credit_code, on=on or today_cst(), base_rate_pct=base_rate_pct,
                       profile_id=profile)
    audit.record(store, principal=principal, action="account.read", resource=resource,
                 detail={"credit_view": True, "bank_id": bank, "loans": [r["loan_id"] for r in view["loans"]]})
    return CreditViewPublic.model_validate(view)
