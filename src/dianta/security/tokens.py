"""Short-lived login tokens (the issue: "password login with argon2 hashes and short-lived tokens";
"nothing secret in the repo").

Tokens are JWTs signed with HS256. The signing secret is made once per store (``secrets.token_hex(32)``)
and kept in the store's secrets file under ``token_secret`` (:mod:`dianta.ledger.secrets`, readable by its
owner only); it is never in the ledger, the code, the repository or the configuration. Claims: ``sub`` (user
id, as text), ``name`` (user name), ``role``, ``org``, ``cc`` (credit code of an enterprise user), ``park``
(park of a park organisation's user), ``jti`` (random id, for revocation), ``gen`` (the user's token generation),
``iat`` and ``exp``. The claims about
the user are informational: every use re-reads the user, so a deactivated user or a changed role takes effect
at once; a token whose ``gen`` is not the user's generation now (deactivation bumps it) is refused for good.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
import sqlalchemy as sa

from dianta.errors import AuthError, UsageError
from dianta.ledger import schema
from dianta.ledger.secrets import store_secret
from dianta.ledger.store import Store, insert_if_absent
from dianta.security.audit import transaction
from dianta.security.principal import Principal
from dianta.security.users import active_user_principal, token_generation

ALGORITHM = "HS256"
#: the name of the signing secret in the store's secrets file
SECRET_KEY = "token_secret"
#: default lifetime [s] (15 minutes)
DEFAULT_TTL_SECONDS = 900


def issue_token(store: Store, principal: Principal, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> tuple[str, int]:
    """A signed token for a logged-in user and when it expires (unix time [s]). ``principal`` must be a
    user's (``user_id`` set, as :func:`dianta.security.users.authenticate` returns); ``ttl_seconds`` [s] > 0."""
    if principal.user_id is None:
        raise UsageError.of("token_needs_user")
    if ttl_seconds <= 0:
        raise UsageError.of("token_lifetime")
    with store.engine.connect() as con:
        generation = token_generation(con, principal.user_id)
    if generation is None:
        raise AuthError.of("user_gone")
    now = int(time.time())
    expires_at = now + ttl_seconds
    claims = {"sub": str(principal.user_id), "name": principal.actor, "role": principal.role,
              "org": principal.org_id, "cc": principal.credit_code, "park": principal.park_id,
              "jti": secrets.token_urlsafe(16), "gen": generation, "iat": now, "exp": expires_at}
    return jwt.encode(claims, store_secret(store, SECRET_KEY), algorithm=ALGORITHM), expires_at


#: the largest database integer: a user id (``sub``) or a time (``iat``, ``exp``) above it is no claim of ours
MAX_CLAIM_INT = 2**31 - 1
#: the longest ``jti`` accepted [characters] (ours have 22)
MAX_JTI_CHARS = 64


def _plausible(claims: dict[str, Any]) -> bool:
    """Whether the claims a signed token carries are ones we could have issued: ``sub`` a user id in ASCII digits
    within a database integer, ``jti`` short text, ``iat`` and ``exp`` integers within a database integer. Issue
    12: a ``sub`` of thousands of digits reached ``int()`` and SQL and answered 500; anything else is a 401."""
    sub, jti = claims["sub"], claims["jti"]
    return (isinstance(sub, str) and sub.isascii() and sub.isdigit() and len(sub) <= len(str(MAX_CLAIM_INT))
            and 0 < int(sub) <= MAX_CLAIM_INT and isinstance(jti, str) and 0 < len(jti) <= MAX_JTI_CHARS
            and all(type(claims[k]) is int and 0 <= claims[k] <= MAX_CLAIM_INT for k in ("iat", "exp")))


def _decode(store: Store, token: str, *, verify_exp: bool = True) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        raise AuthError.of("no_token")
    try:
        claims = jwt.decode(token, store_secret(store, SECRET_KEY), algorithms=[ALGORITHM],
                            options={"require": ["sub", "jti", "iat", "exp"], "verify_exp": verify_exp})
    except jwt.ExpiredSignatureError:
        raise AuthError.of("token_expired") from None
    except jwt.InvalidTokenError:
        raise AuthError.of("invalid_token") from None
    if not _plausible(claims):
        raise AuthError.of("invalid_token")
    return claims


def principal_from_token(store: Store, token: str) -> Principal:
    """Who a token acts for. AuthError when it is malformed, wrongly signed, expired, revoked, its user
    is deactivated or gone, or it was issued in an older token generation of its user (before a deactivation;
    a token without ``gen``, issued before generations existed, counts as generation 0); role, organisation
    and credit code come from the users table as it is now."""
    claims = _decode(store, token)
    gen = claims.get("gen", 0)
    if type(gen) is not int:
        raise AuthError.of("invalid_token")
    rt = schema.revoked_tokens
    with store.engine.connect() as con:
        if con.execute(sa.select(rt.c.jti).where(rt.c.jti == claims["jti"])).first() is not None:
            raise AuthError.of("token_revoked")
        principal = active_user_principal(con, int(claims["sub"]))
        current = token_generation(con, int(claims["sub"])) if principal is not None else None
    if principal is None:
        raise AuthError.of("token_user_gone")
    if gen != current:
        raise AuthError.of("token_before_deactivation")
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
