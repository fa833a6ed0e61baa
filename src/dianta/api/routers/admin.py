"""Organisations (tenants) and users, managed by the operator; API keys, each user's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dianta.api.deps import Id, PrincipalDep, StoreDep, errors, signed_in
from dianta.api.schemas import (
    ApiKeyCreate,
    ApiKeyPublic,
    ApiKeySecretPublic,
    OrganisationCreate,
    OrganisationPublic,
    Role,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from dianta.errors import UsageError
from dianta.security import apikeys, audit, users
from dianta.security.authz import authorize

organisations_router = APIRouter(prefix="/organisations", tags=["organisations and users"], responses=signed_in())
users_router = APIRouter(prefix="/users", tags=["organisations and users"], responses=signed_in())
api_keys_router = APIRouter(prefix="/api-keys", tags=["api keys"], responses=signed_in())


@organisations_router.post("", response_model=OrganisationPublic, status_code=201,
                           responses=errors(400, 404, 409, 413))
def create_organisation(store: StoreDep, principal: PrincipalDep, body: OrganisationCreate) -> OrganisationPublic:
    """A tenant: a bank, an enterprise (with its credit code), a park's management (with its park, defined in
    the ledger first: 404 otherwise), the regulator."""
    authorize(store, principal, "organisations.manage", resource=f"organisation:{body.org_id}")
    with store.engine.begin() as con:  # the change and its audit entry commit together
        org = users.create_organisation(store, org_id=body.org_id, kind=body.kind, name=body.name,
                                        credit_code=body.credit_code, park_id=body.park_id, connection=con)
        audit.record(store, principal=principal, action="organisation.create",
                     resource=f"organisation:{body.org_id}", detail=body.model_dump(), connection=con)
    return OrganisationPublic.model_validate(org)


@organisations_router.get("", response_model=list[OrganisationPublic])
def list_organisations(store: StoreDep, principal: PrincipalDep,
                       kind: Annotated[Role | None, Query()] = None) -> list[OrganisationPublic]:
    """Tenants. Other roles than the operator see the banks, the parks' organisations (to grant consent) and the
    regulator, and their own organisation; never other enterprises."""
    authorize(store, principal, "organisations.read", resource="organisations")
    orgs = users.list_organisations(store, kind=kind)
    if principal.role != "operator":
        orgs = [o for o in orgs if o["kind"] in ("bank", "park", "regulator") or o["org_id"] == principal.org_id]
    return [OrganisationPublic.model_validate(o) for o in orgs]


@users_router.post("", response_model=UserPublic, status_code=201, responses=errors(400, 404, 409, 413))
def create_user(store: StoreDep, principal: PrincipalDep, body: UserCreate) -> UserPublic:
    authorize(store, principal, "users.manage", resource=f"user:{body.username}")
    with store.engine.begin() as con:
        user = users.create_user(store, username=body.username, password=body.password, role=body.role,
                                 org_id=body.org_id, connection=con)
        audit.record(store, principal=principal, action="user.create", resource=f"user:{user['user_id']}",
                     detail={"username": body.username, "role": body.role, "org_id": body.org_id}, connection=con)
    return UserPublic.model_validate(user)


@users_router.get("", response_model=list[UserPublic])
def list_users(store: StoreDep, principal: PrincipalDep,
               org_id: Annotated[str | None, Query(max_length=64)] = None) -> list[UserPublic]:
    authorize(store, principal, "users.manage", resource="users")
    return [UserPublic.model_validate(u) for u in users.list_users(store, org_id=org_id)]


@users_router.patch("/{user_id}", response_model=UserPublic, responses=errors(404, 413))
def update_user(store: StoreDep, principal: PrincipalDep, user_id: Id, body: UserUpdate) -> UserPublic:
    """Deactivate (or reactivate) a user: its tokens and keys stop working at once."""
    authorize(store, principal, "users.manage", resource=f"user:{user_id}")
    with store.engine.begin() as con:
        user = users.set_user_active(store, user_id=user_id, active=body.active, connection=con)
        audit.record(store, principal=principal, action="user.update", resource=f"user:{user_id}",
                     detail={"active": body.active}, connection=con)
    return UserPublic.model_validate(user)


@api_keys_router.post("", response_model=ApiKeySecretPublic, status_code=201, responses=errors(400, 404, 413))
def create_api_key(store: StoreDep, principal: PrincipalDep, body: ApiKeyCreate) -> ApiKeySecretPublic:
    """An API key for a machine client (for yourself; the operator may create one for another user)."""
    user_id = body.user_id if body.user_id is not None else principal.user_id
    authorize(store, principal, "apikey.manage", resource=f"user:{user_id}", user_id=user_id)
    if user_id is None:
        raise UsageError.of("key_needs_user")
    users.get_user(store, user_id)
    with store.engine.begin() as con:
        key = apikeys.create_api_key(store, user_id=user_id, label=body.label, connection=con)
        key_id = key.split("_")[1]
        audit.record(store, principal=principal, action="apikey.create", resource=f"api-key:{key_id}",
                     detail={"user_id": user_id, "label": body.label}, connection=con)
    return ApiKeySecretPublic(key=key, key_id=key_id, label=body.label)


@api_keys_router.get("", response_model=list[ApiKeyPublic])
def list_api_keys(store: StoreDep, principal: PrincipalDep) -> list[ApiKeyPublic]:
    """Your API keys (never their secrets)."""
    if principal.user_id is None:
        return []
    return [ApiKeyPublic.model_validate(k) for k in apikeys.list_api_keys(store, user_id=principal.user_id)]


@api_keys_router.delete("/{key_id}", status_code=204, responses=errors(404))
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
