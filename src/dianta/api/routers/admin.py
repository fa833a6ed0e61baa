"""Organisations (tenants) and users: managed by the operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dianta.api.deps import Id, PrincipalDep, StoreDep
from dianta.api.schemas import Message, OrganisationCreate, OrganisationPublic, Role, UserCreate, UserPublic, UserUpdate
from dianta.security import audit, users
from dianta.security.authz import authorize

router = APIRouter(tags=["organisations and users"])
ERRORS = {401: {"model": Message}, 403: {"model": Message}}


@router.post("/organisations", response_model=OrganisationPublic, status_code=201,
             responses={**ERRORS, 409: {"model": Message}, 400: {"model": Message}})
def create_organisation(store: StoreDep, principal: PrincipalDep, body: OrganisationCreate) -> OrganisationPublic:
    """A tenant: a bank, an enterprise (with its credit code), the regulator."""
    authorize(store, principal, "organisations.manage", resource=f"organisation:{body.org_id}")
    with store.engine.begin() as con:  # the change and its audit entry commit together
        org = users.create_organisation(store, org_id=body.org_id, kind=body.kind, name=body.name,
                                        credit_code=body.credit_code, connection=con)
        audit.record(store, principal=principal, action="organisation.create",
                     resource=f"organisation:{body.org_id}", detail=body.model_dump(), connection=con)
    return OrganisationPublic(**org)


@router.get("/organisations", response_model=list[OrganisationPublic], responses=ERRORS)
def list_organisations(store: StoreDep, principal: PrincipalDep,
                       kind: Annotated[Role | None, Query()] = None) -> list[OrganisationPublic]:
    """Tenants. Other roles than the operator see the banks and the regulator (to grant consent), and their
    own organisation; never other enterprises."""
    authorize(store, principal, "organisations.read", resource="organisations")
    orgs = users.list_organisations(store, kind=kind)
    if principal.role != "operator":
        orgs = [o for o in orgs if o["kind"] in ("bank", "regulator") or o["org_id"] == principal.org_id]
    return [OrganisationPublic(**o) for o in orgs]


@router.post("/users", response_model=UserPublic, status_code=201,
             responses={**ERRORS, 409: {"model": Message}, 400: {"model": Message}, 404: {"model": Message}})
def create_user(store: StoreDep, principal: PrincipalDep, body: UserCreate) -> UserPublic:
    authorize(store, principal, "users.manage", resource=f"user:{body.username}")
    with store.engine.begin() as con:
        user = users.create_user(store, username=body.username, password=body.password, role=body.role,
                                 org_id=body.org_id, connection=con)
        audit.record(store, principal=principal, action="user.create", resource=f"user:{user['user_id']}",
                     detail={"username": body.username, "role": body.role, "org_id": body.org_id}, connection=con)
    return UserPublic(**user)


@router.get("/users", response_model=list[UserPublic], responses=ERRORS)
def list_users(store: StoreDep, principal: PrincipalDep,
               org_id: Annotated[str | None, Query(max_length=64)] = None) -> list[UserPublic]:
    authorize(store, principal, "users.manage", resource="users")
    return [UserPublic(**u) for u in users.list_users(store, org_id=org_id)]


@router.patch("/users/{user_id}", response_model=UserPublic, responses={**ERRORS, 404: {"model": Message}})
def update_user(store: StoreDep, principal: PrincipalDep, user_id: Id, body: UserUpdate) -> UserPublic:
    """Deactivate (or reactivate) a user: its tokens and keys stop working at once."""
    authorize(store, principal, "users.manage", resource=f"user:{user_id}")
    with store.engine.begin() as con:
        user = users.set_user_active(store, user_id=user_id, active=body.active, connection=con)
        audit.record(store, principal=principal, action="user.update", resource=f"user:{user_id}",
                     detail={"active": body.active}, connection=con)
    return UserPublic(**user)
