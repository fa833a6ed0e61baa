"""Log in, log out, who am I, API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from dianta.api.deps import ClientDep, PrincipalDep, StoreDep, TokenDep
from dianta.api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, Message, PrincipalPublic, TokenPublic
from dianta.errors import AuthError, UsageError
from dianta.ledger.store import Store
from dianta.security import apikeys, audit, tokens, users
from dianta.security.authz import authorize
from dianta.security.principal import anonymous
from dianta.security.throttle import MAX_SUBJECT_CHARS, Throttle, TooManyAttempts

router = APIRouter(tags=["auth"])
ERRORS = {401: {"model": Message}, 403: {"model": Message}}


@router.post("/auth/token", response_model=TokenPublic, responses={401: {"model": Message},
                                                                   429: {"model": Message}})
def login(store: StoreDep, request: Request, client: ClientDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPublic:
    """Password login: a short-lived bearer token. Failed logins are counted per user name and address
    (5 in 15 minutes), per user name (20, then a growing wait) and per address (30): over a limit, logins are
    refused with 429 and Retry-After before the password is checked. A stranger's failures elsewhere do not
    stop the user from logging in. Every failed login and (at most once a minute per address) refusal is
    audited with the user name tried and the address, never the password."""
    throttle: Throttle = request.app.state.login_throttle
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


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def logout(store: StoreDep, principal: PrincipalDep, token: TokenDep) -> None:
    """Revoke the bearer token used for this request."""
    if token:
        tokens.revoke_token(store, token)
    audit.record(store, principal=principal, action="auth.logout", resource=f"user:{principal.actor}")


@router.get("/me", response_model=PrincipalPublic, responses=ERRORS)
def me(principal: PrincipalDep) -> PrincipalPublic:
    return PrincipalPublic(actor=principal.actor, role=principal.role, org_id=principal.org_id,
                           credit_code=principal.credit_code)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201, responses=ERRORS)
def create_api_key(store: StoreDep, principal: PrincipalDep, body: ApiKeyCreate) -> ApiKeyCreated:
    """An API key for a machine client (for yourself; the operator may create one for another user)."""
    user_id = body.user_id if body.user_id is not None else principal.user_id
    authorize(store, principal, "apikey.manage", resource=f"user:{user_id}", user_id=user_id)
    if user_id is None:
        raise UsageError("an API key belongs to a user: name one with user_id")
    users.get_user(store, user_id)
    with store.engine.begin() as con:
        key = apikeys.create_api_key(store, user_id=user_id, label=body.label, connection=con)
        key_id = key.split("_")[1]
        audit.record(store, principal=principal, action="apikey.create", resource=f"api-key:{key_id}",
                     detail={"user_id": user_id, "label": body.label}, connection=con)
    return ApiKeyCreated(key=key, key_id=key_id, label=body.label)


@router.get("/api-keys", response_model=list[ApiKeyPublic], responses=ERRORS)
def list_api_keys(store: StoreDep, principal: PrincipalDep) -> list[ApiKeyPublic]:
    """Your API keys (never their secrets)."""
    if principal.user_id is None:
        return []
    return [ApiKeyPublic(**k) for k in apikeys.list_api_keys(store, user_id=principal.user_id)]


@router.delete("/api-keys/{key_id}", status_code=204, responses={**ERRORS, 404: {"model": Message}})
def revoke_api_key(store: StoreDep, principal: PrincipalDep, key_id: str) -> None:
    own = {k["key_id"] for k in apikeys.list_api_keys(store, user_id=principal.user_id)} \
        if principal.user_id is not None else set()
    not_yours = -1  # the key is another user's, or no one's: only the operator may go on (to a 404)
    authorize(store, principal, "apikey.manage", resource=f"api-key:{key_id}",
              user_id=principal.user_id if key_id in own else not_yours)
    with store.engine.begin() as con:
        apikeys.revoke_api_key(store, key_id=key_id, connection=con)
        audit.record(store, principal=principal, action="apikey.revoke", resource=f"api-key:{key_id}",
                     connection=con)
