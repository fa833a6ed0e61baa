"""The session: log in, log out, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from dianta.api.deps import ClientDep, LoginThrottleDep, PrincipalDep, StoreDep, TokenDep, errors
from dianta.api.schemas import PrincipalPublic, TokenPublic
from dianta.errors import AuthError
from dianta.ledger.store import Store
from dianta.security import audit, tokens, users
from dianta.security.principal import anonymous
from dianta.security.throttle import MAX_SUBJECT_CHARS, TooManyAttempts

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/me", tags=["auth"], responses=errors(401, 403, 429, 503))


@router.post("/token", response_model=TokenPublic, responses=errors(401, 413, 422, 429, 503))
def login(store: StoreDep, throttle: LoginThrottleDep, client: ClientDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPublic:
    """Password login: a short-lived bearer token. Failed logins are counted per user name and address
    (5 in 15 minutes), per user name (20, then a growing wait) and per address (30): over a limit, logins are
    refused with 429 and Retry-After before the password is checked. A stranger's failures elsewhere do not
    stop the user from logging in. Every failed login and (at most once a minute per address) refusal is
    audited with the user name tried and the address, never the password."""
    try:
        throttle.check(form.username, client)
    except TooManyAttempts as exc:
        suppressed = throttle.audit_due("login.refused", client)
        if suppressed is not None:
            _audit_failed_login(store, form.username, client, why=str(exc),
                                detail={"status": 429, "suppressed": suppressed})
        raise
    try:
        principal = users.authenticate(store, username=form.username, password=form.password)
    except AuthError as exc:
        throttle.failed(form.username, client)
        _audit_failed_login(store, form.username, client, why=str(exc), detail={"status": 401})
        raise
    throttle.succeeded(form.username, client)
    token, expires_at = tokens.issue_token(store, principal)
    audit.record(store, principal=principal, action="auth.login", resource=f"user:{principal.actor}")
    return TokenPublic(access_token=token, expires_at=expires_at)


def _audit_failed_login(store: Store, username: str, client: str, *, why: str, detail: dict[str, object]) -> None:
    """A denied ``auth.login`` entry: the user name tried (its first characters, NULs shown as ``\\0``, which
    PostgreSQL text cannot hold) by ``anonymous:<address>``."""
    name = username[:MAX_SUBJECT_CHARS].replace("\x00", "\\0")
    audit.record(store, principal=anonymous(client), action="auth.login", resource=f"user:{name}",
                 outcome="denied", why=why, detail={"username": name, "address": client, **detail})


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 429, 503))
def logout(store: StoreDep, principal: PrincipalDep, token: TokenDep) -> None:
    """Revoke the bearer token used for this request."""
    if token:
        tokens.revoke_token(store, token)
    audit.record(store, principal=principal, action="auth.logout", resource=f"user:{principal.actor}")


@me_router.get("", response_model=PrincipalPublic)
def me(principal: PrincipalDep) -> PrincipalPublic:
    return PrincipalPublic.model_validate(principal, from_attributes=True)
