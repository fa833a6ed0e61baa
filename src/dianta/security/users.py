"""Organisations and users (the issue's roles: Operator, Bank (a tenant), Enterprise, Regulator; "password
login with argon2 hashes"; "an admin bootstrap command").

Every organisation has a kind (one of :data:`~dianta.security.principal.ROLES`) and every user belongs to
one organisation and has its kind as role. Enterprise organisations carry their unified social credit code,
park organisations (a park's management, issue 16) the id of their park; the others have neither. Functions
that change something take an optional ``connection`` so that the change and its audit entry
(:func:`dianta.security.audit.record`) commit together.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import sqlalchemy as sa
from stdnum.cn import uscc

from dianta.clock import now_iso
from dianta.errors import AuthError, Conflict, NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.messages import ERRORS
from dianta.security.audit import transaction
from dianta.security.passwords import (
    MIN_PASSWORD_LENGTH,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from dianta.security.principal import ROLES, Principal, Role

_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{3,64}")
_ORG_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: the organisation `bootstrap_admin` creates
OPERATOR_ORG_ID = "operator"
OPERATOR_ORG_NAME = "Platform operator 平台运营方"
#: the one answer to every failed login (unknown user, wrong or no password, deactivated)
#: the one answer to a failed login (existence is not revealed)
LOGIN_FAILED = ERRORS["login_failed"][0]


def check_username(username: str) -> str:
    """``username`` when it is 3–64 characters of ``A–Z a–z 0–9 _ . @ -``; UsageError otherwise."""
    if not _USERNAME.fullmatch(username):
        raise UsageError.of("bad_username", username=username)
    return username


def check_password(password: str) -> str:
    """``password`` when it has at least :data:`MIN_PASSWORD_LENGTH` characters; UsageError otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError.of("short_password", length=MIN_PASSWORD_LENGTH)
    return password


def _check_role(value: str, what: str) -> Role:
    if value not in ROLES:
        raise UsageError.of("bad_role", what=what, value=value, roles=", ".join(ROLES),
                           what_zh={"role": "角色", "organisation kind": "机构类别"}.get(what, what))
    return cast(Role, value)


def _org_public(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("org_id", "kind", "name", "credit_code", "park_id", "created_at")}


def _user_public(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A user without its password hash."""
    return {"user_id": row["user_id"], "username": row["username"], "role": row["role"],
            "org_id": row["org_id"], "active": bool(row["active"]), "created_at": row["created_at"]}


def user_select() -> sa.Select:
    """Users with their organisation's ``credit_code`` and ``park_id`` (what :func:`principal_for_user` needs)."""
    u, o = schema.users, schema.organisations
    return sa.select(u, o.c.credit_code, o.c.park_id).join(o, o.c.org_id == u.c.org_id)


def principal_for_user(row: Mapping[Any, Any], *, actor: str | None = None) -> Principal:
    """The principal of a user row as selected by :func:`user_select` (it must carry ``credit_code``, the
    credit code of the user's enterprise organisation, and ``park_id``, the park of a park organisation; None for
    other kinds). ``actor`` defaults to the user name (API keys act as ``key:<key_id>``)."""
    return Principal(actor=actor or row["username"], role=_check_role(row["role"], "role"), org_id=row["org_id"],
                     credit_code=row["credit_code"] if row["role"] == "enterprise" else None,
                     user_id=row["user_id"], park_id=row["park_id"] if row["role"] == "park" else None)


def active_user_principal(con: sa.Connection, user_id: int, *, actor: str | None = None) -> Principal | None:
    """The principal of user ``user_id`` as the users table says now, or None when the user is missing or
    deactivated (tokens and API keys re-check this on every request)."""
    row = con.execute(user_select().where(schema.users.c.user_id == user_id)).mappings().first()
    if row is None or not row["active"]:
        return None
    return principal_for_user(row, actor=actor)


def token_generation(con: sa.Connection, user_id: int) -> int | None:
    """The token generation of user ``user_id`` (None when there is no such user): tokens carry the one they
    were issued in as their ``gen`` claim and are refused once it has moved on (issue 12: a token issued before
    a user was deactivated worked again after reactivation). :func:`set_user_active` bumps it on deactivation;
    whatever else should void a user's tokens (a changed password or role) must bump it too."""
    u = schema.users
    value = con.execute(sa.select(u.c.token_generation).where(u.c.user_id == user_id)).scalar()
    return None if value is None else int(value)


# -- organisations ----------------------------------------------------------------------------------------


def create_organisation(store: Store, *, org_id: str, kind: str, name: str, credit_code: str | None = None,
                        park_id: str | None = None, connection: sa.Connection | None = None) -> dict[str, Any]:
    """Register an organisation: a bank (a tenant), an enterprise (with its credit code), a park's management
    (with the id of its park), the regulator or the operator. Enterprise organisations need a valid GB 32100
    ``credit_code`` and park organisations the ``park_id`` of a park defined in the ledger (the parks table:
    define the park first); the other kinds have neither. UsageError for a bad kind, id, name or code; NotFound
    for a park the ledger does not define; Conflict when ``org_id``, the credit code or the park is taken."""
    _check_role(kind, "organisation kind")
    if not _ORG_ID.fullmatch(org_id):
        raise UsageError.of("bad_org_id", org_id=org_id)
    if not name.strip():
        raise UsageError.of("org_needs_name")
    _check_identity(kind, credit_code, park_id)
    o = schema.organisations
    values = {"org_id": org_id, "kind": kind, "name": name.strip(), "credit_code": credit_code, "park_id": park_id,
              "created_at": now_iso()}
    with transaction(store, connection) as con:
        if con.execute(sa.select(o.c.org_id).where(o.c.org_id == org_id)).first() is not None:
            raise Conflict.of("org_exists", org_id=org_id)
        if credit_code is not None:
            holder = con.execute(sa.select(o.c.org_id).where(o.c.credit_code == credit_code)).scalar()
            if holder is not None:
                raise Conflict.of("credit_code_taken", credit_code=credit_code, holder=holder)
        if park_id is not None:
            _check_park(con, park_id)
        try:
            con.execute(o.insert().values(**values))
        except sa.exc.IntegrityError:
            raise Conflict.of("org_identity_taken", org_id=org_id, credit_code=credit_code, park_id=park_id) from None
    return values


def _check_identity(kind: str, credit_code: str | None, park_id: str | None) -> None:
    """An enterprise has a valid credit code, a park organisation a park id; no other kind has either."""
    if kind == "enterprise":
        if not credit_code:
            raise UsageError.of("enterprise_needs_code")
        if not (len(credit_code) == 18 and uscc.is_valid(credit_code)):
            raise UsageError.of("bad_org_credit_code", credit_code=credit_code)
    elif credit_code is not None:
        raise UsageError.of("code_for_enterprises", kind=kind)
    if kind == "park":
        if not park_id:
            raise UsageError("a park organisation needs the id of the park it manages (--park-id)",
                             zh="园区管理机构须注明其管理的园区编号（--park-id）")
    elif park_id is not None:
        raise UsageError(f"only park organisations have a park id, not a {kind}",
                         zh=f"只有园区管理机构（park）有园区编号，{kind} 类机构没有")


def _check_park(con: sa.Connection, park_id: str) -> None:
    """The park is defined in the ledger and no other organisation manages it."""
    p, o = schema.data_tables["parks"], schema.organisations
    if con.execute(sa.select(p.c.park_id).where(p.c.park_id == park_id)).first() is None:
        raise NotFound(f"no park {park_id} in the ledger: define the park first (a parks batch, or POST "
                       "/api/v1/parks), then its organisation",
                       zh=f"账本中没有园区 {park_id}：请先定义园区（园区数据批次或 POST /api/v1/parks），"
                          "再创建其管理机构")
    holder = con.execute(sa.select(o.c.org_id).where(o.c.park_id == park_id)).scalar()
    if holder is not None:
        raise Conflict(f"park {park_id} is managed by organisation {holder} already",
                       zh=f"园区 {park_id} 已由机构 {holder} 管理")


def list_organisations(store: Store, *, kind: str | None = None) -> list[dict[str, Any]]:
    """Organisations ordered by id, optionally only those of one kind."""
    o = schema.organisations
    query = sa.select(o).order_by(o.c.org_id)
    if kind is not None:
        query = query.where(o.c.kind == _check_role(kind, "organisation kind"))
    with store.engine.connect() as con:
        return [_org_public(r) for r in con.execute(query).mappings()]


def get_organisation(store: Store, org_id: str) -> dict[str, Any]:
    """One organisation; NotFound when there is none with this id."""
    o = schema.organisations
    with store.engine.connect() as con:
        row = con.execute(sa.select(o).where(o.c.org_id == org_id)).mappings().first()
    if row is None:
        raise NotFound.of("no_organisation", org_id=org_id)
    return _org_public(row)


# -- users ------------------------------------------------------------------------------------------------


def create_user(store: Store, *, username: str, password: str | None, role: str, org_id: str,
                connection: sa.Connection | None = None) -> dict[str, Any]:
    """Add an active user to organisation ``org_id``; ``role`` must be the organisation's kind. ``password``
    (at least 10 characters) is stored only as its argon2id hash; None makes a machine user that can only
    use API keys. UsageError for a bad name, role or password; NotFound for an unknown organisation;
    Conflict when the user name is taken. Returns the user without its hash."""
    check_username(username)
    _check_role(role, "role")
    pw_hash = hash_password(check_password(password)) if password is not None else None
    u, o = schema.users, schema.organisations
    with transaction(store, connection) as con:
        kind = con.execute(sa.select(o.c.kind).where(o.c.org_id == org_id)).scalar()
        if kind is None:
            raise NotFound.of("no_organisation", org_id=org_id)
        if kind != role:
            raise UsageError.of("role_of_org", org_id=org_id, kind=kind, role=role)
        if con.execute(sa.select(u.c.user_id).where(u.c.username == username)).first() is not None:
            raise Conflict.of("username_taken", username=username)
        values = {"username": username, "password_hash": pw_hash, "role": role, "org_id": org_id, "active": True,
                  "created_at": now_iso()}
        try:
            user_id = con.execute(u.insert().values(**values).returning(u.c.user_id)).scalar_one()
        except sa.exc.IntegrityError:
            raise Conflict.of("username_taken", username=username) from None
    return _user_public({**values, "user_id": user_id})


def list_users(store: Store, *, org_id: str | None = None) -> list[dict[str, Any]]:
    """Users ordered by id (without hashes), optionally only those of one organisation."""
    u = schema.users
    query = sa.select(u).order_by(u.c.user_id)
    if org_id is not None:
        query = query.where(u.c.org_id == org_id)
    with store.engine.connect() as con:
        return [_user_public(r) for r in con.execute(query).mappings()]


def get_user(store: Store, user_id: int) -> dict[str, Any]:
    """One user (without its hash); NotFound when there is none with this id."""
    u = schema.users
    with store.engine.connect() as con:
        row = con.execute(sa.select(u).where(u.c.user_id == user_id)).mappings().first()
    if row is None:
        raise NotFound.of("no_user", user_id=user_id)
    return _user_public(row)


def find_user(store: Store, *, username: str) -> dict[str, Any]:
    """The user called ``username`` (without its hash); NotFound when there is none."""
    u = schema.users
    with store.engine.connect() as con:
        row = con.execute(sa.select(u).where(u.c.username == username)).mappings().first()
    if row is None:
        raise NotFound.of("no_user", user_id=username)
    return _user_public(row)


def set_user_active(store: Store, *, user_id: int, active: bool,
                    connection: sa.Connection | None = None) -> dict[str, Any]:
    """Activate or deactivate a user. A deactivated user cannot log in, and its tokens and API keys stop
    working at once (they are checked against the users table on every use). Deactivating also bumps the
    user's token generation, so its tokens stay void when it is activated again (its API keys work again:
    revoke those explicitly). NotFound for an unknown user."""
    u = schema.users
    values: dict[str, Any] = {"active": active}
    if not active:
        values["token_generation"] = u.c.token_generation + 1
    with transaction(store, connection) as con:
        if con.execute(u.update().where(u.c.user_id == user_id).values(**values)).rowcount == 0:
            raise NotFound.of("no_user", user_id=user_id)
        row = con.execute(sa.select(u).where(u.c.user_id == user_id)).mappings().one()
    return _user_public(row)


def authenticate(store: Store, *, username: str, password: str) -> Principal:
    """The principal of ``username`` when ``password`` is right (the issue: "password login with argon2
    hashes"). One AuthError message for an unknown user, a wrong password, a machine user without password
    and a deactivated user; an unknown user costs the same argon2 verification as a known one, so neither
    the answer nor its time tells whether a user exists. A hash made with old parameters is renewed."""
    u = schema.users
    dummy = dummy_hash()  # made on the first call, whoever logs in
    with store.engine.connect() as con:
        row = con.execute(user_select().where(u.c.username == username)).mappings().first()
    stored = row["password_hash"] if row is not None else None
    matches = verify_password(stored if stored is not None else dummy, password)
    if row is None or stored is None or not matches or not row["active"]:
        raise AuthError.of("login_failed")
    if needs_rehash(stored):
        with store.engine.begin() as con:
            con.execute(u.update().where(u.c.user_id == row["user_id"], u.c.password_hash == stored)
                        .values(password_hash=hash_password(password)))
    return principal_for_user(row)


def bootstrap_admin(store: Store, *, username: str, password: str,
                    connection: sa.Connection | None = None) -> dict[str, Any]:
    """The first operator user (the issue: "an admin bootstrap command"): creates the organisation
    ``operator`` when absent and an operator user in it. Conflict when any operator user exists already
    (active or not), so bootstrapping cannot be used to take over a running platform."""
    check_username(username)
    check_password(password)
    u, o = schema.users, schema.organisations
    with transaction(store, connection) as con:
        existing = con.execute(sa.select(u.c.username).where(u.c.role == "operator").limit(1)).scalar()
        if existing is not None:
            raise Conflict.of("operator_exists", existing=existing)
        kind = con.execute(sa.select(o.c.kind).where(o.c.org_id == OPERATOR_ORG_ID)).scalar()
        if kind is None:
            create_organisation(store, org_id=OPERATOR_ORG_ID, kind="operator", name=OPERATOR_ORG_NAME,
                                connection=con)
        elif kind != "operator":
            raise Conflict.of("operator_org_kind", org_id=OPERATOR_ORG_ID, kind=kind)
        return create_user(store, username=username, password=password, role="operator", org_id=OPERATOR_ORG_ID,
                           connection=con)
