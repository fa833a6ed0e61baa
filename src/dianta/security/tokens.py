"""Short-lived login tokens (the issue: "password login with argon2 hashes and short-lived tokens";
"nothing secret in the repo").

Tokens are JWTs signed with HS256. The signing secret is made once per store (``secrets.token_hex(32)``)
and kept in the ledger's ``meta`` table under ``token_secret``; it is never in the code, the repository or
the configuration. Claims: ``sub`` (user id, as text), ``name`` (user name), ``role``, ``org``, ``cc``
(credit code of an enterprise user), ``jti`` (random id, for revocation), ``iat`` and ``exp``. The claims
about the user are informational: every use re-reads the user, so a deactivated user or a changed role
takes effect at once.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dianta.errors import AuthError, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.security.audit import transaction
from dianta.security.principal import Principal
from dianta.security.users import active_user_principal

ALGORITHM = "HS256"
#: the ``meta`` key of the signing secret
SECRET_KEY = "token_secret"
#: default lifetime [s] (15 minutes)
DEFAULT_TTL_SECONDS = 900


def insert_if_absent(con: sa.Connection, table: sa.Table, values: dict[str, Any]) -> None:
    """``INSERT … ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL (safe when two processes race)."""
    insert = postgresql.insert if con.dialect.name == "postgresql" else sqlite.insert
    con.execute(insert(table).values(**values).on_conflict_do_nothing())


def store_secret(store: Store, key: str) -> str:
    """A random secret kept in the ledger's ``meta`` under ``key``, made on first use: insert-if-absent,
    then read whatever won (two processes may race)."""
    m = schema.meta
    query = sa.select(m.c.value).where(m.c.key == key)
    with store.engine.connect() as con:
        value = con.execute(query).scalar()
    if value is None:
        with store.engine.begin() as con:
            insert_if_absent(con, m, {"key": key, "value": secrets.token_hex(32)})
            value = con.execute(query).scalar_one()
    return str(value)


def issue_token(store: Store, principal: Principal, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> tuple[str, int]:
    """A signed token for a logged-in user and when it expires (unix time [s]). ``principal`` must be a
    user's (``user_id`` set, as :func:`dianta.security.users.authenticate` returns); ``ttl_seconds`` [s] > 0."""
    if principal.user_id is None:
        raise UsageError("tokens are issued to users; this principal has no user id")
    if ttl_seconds <= 0:
        raise UsageError("a token's lifetime must be positive")
    now = int(time.time())
    expires_at = now + ttl_seconds
    claims = {"sub": str(principal.user_id), "name": principal.actor, "role": principal.role,
              "org": principal.org_id, "cc": principal.credit_code, "jti": secrets.token_urlsafe(16),
              "iat": now, "exp": expires_at}
    return jwt.encode(claims, store_secret(store, SECRET_KEY), algorithm=ALGORITHM), expires_at


def _decode(store: Store, token: str, *, verify_exp: bool = True) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise AuthError("no token")
    try:
        claims = jwt.decode(token, store_secret(store, SECRET_KEY), algorithms=[ALGORITHM],
                            options={"require": ["sub", "jti", "iat", "exp"], "verify_exp": verify_exp})
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired; log in again") from None
    except jwt.InvalidTokenError:
        raise AuthError("invalid token") from None
    if not str(claims["sub"]).isdigit() or not isinstance(claims["jti"], str) or not isinstance(claims["exp"], int):
        raise AuthError("invalid token")
    return claims


def principal_from_token(store: Store, token: str) -> Principal:
    """Who a token acts for. AuthError when it is malformed, wrongly signed, expired, revoked, or its user
    is deactivated or gone; role, organisation and credit code come from the users table as it is now."""
    claims = _decode(store, token)
    rt = schema.revoked_tokens
    with store.engine.connect() as con:
        if con.execute(sa.select(rt.c.jti).where(rt.c.jti == claims["jti"])).first() is not None:
            raise AuthError("the token has been revoked; log in again")
        principal = active_user_principal(con, int(claims["sub"]))
    if principal is None:
        raise AuthError("the token's user is deactivated or no longer exists")
    return principal


def revoke_token(store: Store, token: str, *, connection: sa.Connection | None = None) -> None:
    """Revoke a token (log out): its ``jti`` is kept with its expiry until then; rows of tokens that have
    expired anyway are purged. AuthError for a token that is not ours; revoking twice is harmless."""
    claims = _decode(store, token, verify_exp=False)
    now = int(time.time())
    rt = schema.revoked_tokens
    with transaction(store, connection) as con:
        con.execute(rt.delete().where(rt.c.expires_at < now))
        if claims["exp"] >= now:
            insert_if_absent(con, rt, {"jti": claims["jti"], "expires_at": claims["exp"]})
