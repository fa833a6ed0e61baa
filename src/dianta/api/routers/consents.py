"""Consents: an enterprise decides which bank may see what, and until when."""

from __future__ import annotations

from fastapi import APIRouter

from dianta.api.deps import CreditCodeQuery, Id, PrincipalDep, StoreDep, errors, signed_in
from dianta.api.schemas import ConsentCreate, ConsentPublic
from dianta.errors import NotFound, UsageError
from dianta.security import audit, consents
from dianta.security.authz import authorize

router = APIRouter(prefix="/consents", tags=["consents"], responses=signed_in(404))


@router.post("", response_model=ConsentPublic, status_code=201, responses=errors(400, 413))
def grant(store: StoreDep, principal: PrincipalDep, body: ConsentCreate) -> ConsentPublic:
    """Grant a bank consent to see this enterprise's account summary, full data or reports, until a date; or a
    park organisation (`bank_org_id` names it) consent to see the enterprise's figures in its park."""
    code = principal.credit_code if principal.role == "enterprise" else body.credit_code
    if code is None:
        raise UsageError.of("consent_needs_enterprise")
    resource = f"consent:{code}:{body.bank_org_id}"
    authorize(store, principal, "consent.manage", resource=resource, credit_code=body.credit_code or code)
    with store.engine.begin() as con:  # the change and its audit entry commit together
        consent = consents.grant_consent(store, credit_code=code, bank_org_id=body.bank_org_id, scope=body.scope,
                                         expires_on=body.expires_on.isoformat(), granted_by=principal.actor,
                                         connection=con)
        audit.record(store, principal=principal, action="consent.grant", resource=resource, connection=con,
                     detail={"consent_id": consent["consent_id"], "scope": body.scope,
                             "expires_on": body.expires_on.isoformat()})
    return ConsentPublic.model_validate(consent)


@router.delete("/{consent_id}", response_model=ConsentPublic, responses=errors(409))
def revoke(store: StoreDep, principal: PrincipalDep, consent_id: Id) -> ConsentPublic:
    """Revoke a consent: the bank loses access at once. Another enterprise's consent answers 404, as an
    unknown id does."""
    authorize(store, principal, "consent.manage", resource=f"consent:{consent_id}")  # the role, before any look-up
    existing = consents.get_consent(store, consent_id)
    resource = f"consent:{existing['credit_code']}:{existing['bank_org_id']}"
    authorize(store, principal, "consent.manage", resource=resource, credit_code=str(existing["credit_code"]),
              hidden=NotFound.of("no_consent", consent_id=consent_id))
    with store.engine.begin() as con:
        consent = consents.revoke_consent(store, consent_id=consent_id, revoked_by=principal.actor, connection=con)
        audit.record(store, principal=principal, action="consent.revoke", resource=resource,
                     detail={"consent_id": consent_id}, connection=con)
    return ConsentPublic.model_validate(consent)


@router.get("", response_model=list[ConsentPublic])
def list_consents(store: StoreDep, principal: PrincipalDep, credit_code: CreditCodeQuery = None,
                  live_only: bool = False) -> list[ConsentPublic]:
    """An enterprise sees the consents it granted, a bank (or a park organisation) those granted to it, the
    operator all."""
    authorize(store, principal, "consent.read", resource="consents", credit_code=credit_code)
    if principal.role == "enterprise":
        found = consents.list_consents(store, credit_code=principal.credit_code, live_only=live_only)
    elif principal.role in ("bank", "park"):
        found = consents.list_consents(store, credit_code=credit_code, bank_org_id=principal.org_id,
                                       live_only=live_only)
    else:
        found = consents.list_consents(store, credit_code=credit_code, live_only=live_only)
    shown = principal.credit_code if principal.role == "enterprise" else credit_code
    audit.record(store, principal=principal, action="consent.read", resource=f"consents:{shown or 'all'}",
                 detail={"consent_ids": [c["consent_id"] for c in found], "live_only": live_only,
                         "credit_codes": sorted({str(c["credit_code"]) for c in found})})
    return [ConsentPublic.model_validate(c) for c in found]
