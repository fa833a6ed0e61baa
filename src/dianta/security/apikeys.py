"""API keys for machine clients (the issue: "API keys for machine clients"; "nothing secret in the repo").

A key is ``dk_<key_id>_<secret>``: ``key_id`` is 12 hex characters, stored as is and shown in the audit
log (actor ``key:<key_id>``); ``secret`` is 32 URL-safe characters of which only an argon2id hash is stored.
The full key is shown once, when it is made. A key acts as its user, with the user's role and organisation
as the users table says at the time of use.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import sqlalchemy as sa

from dianta.errors import AuthError, Conflict, NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store, now_iso
from dianta.security.audit import transaction
from dianta.security.passwords import dummy_hash, hash_password, verify_password
from dianta.security.principal import Principal
from dianta.security.users import active_user_principal

_KEY = re.compile(r"dk_([0-9a-f]{12})_([A-Za-z0-9_-]{32})")
INVALID_KEY = "invalid or revoked API key"


def parse_api_key(key: str) -> tuple[str, str]:
    """``(key_id, secret)`` of a key of the form ``dk_<12 hex>_<32 URL-safe characters>``; AuthError for
    anything else."""
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise AuthError(INVALID_KEY)
    return match.group(1), match.group(2)


def create_api_key(store: Store, *, user_id: int, label: str, connection: sa.Connection | None = None) -> str:
    """Make a key for user ``user_id`` and return it in full (it cannot be shown again). ``label`` says
    what uses it (1–200 characters). NotFound for an unknown user, Conflict for a deactivated one."""
    label = label.strip()
    if not 1 <= len(label) <= 200:
        raise UsageError("an API key needs a label of 1–200 characters (what uses it)")
    secret = secrets.token_urlsafe(24)  # 24 bytes: exactly 32 characters
    secret_hash = hash_password(secret)
    u, k = schema.users, schema.api_keys
    with transaction(store, connection) as con:
        active = con.execute(sa.select(u.c.active).where(u.c.user_id == user_id)).first()
        if active is None:
            raise NotFound(f"no user {user_id}")
        if not active[0]:
            raise Conflict(f"user {user_id} is deactivated")
        while True:
            key_id = secrets.token_hex(6)
            if con.execute(sa.select(k.c.key_id).where(k.c.key_id == key_id)).first() is None:
                break
        con.execute(k.insert().values(key_id=key_id, user_id=user_id, secret_hash=secret_hash, label=label,
                                      created_at=now_iso()))
    return f"dk_{key_id}_{secret}"


def principal_from_api_key(store: Store, key: str) -> Principal:
    """Who a key acts for (actor ``key:<key_id>``). One AuthError for a malformed, unknown, revoked or
    wrong key and for a deactivated user; an unknown key costs the same argon2 verification as a known one."""
    key_id, secret = parse_api_key(key)
    k = schema.api_keys
    dummy = dummy_hash()  # made on the first call, whatever the key
    with store.engine.connect() as con:
        row = con.execute(sa.select(k.c.user_id, k.c.secret_hash, k.c.revoked_at).where(k.c.key_id == key_id)).first()
    # verified with no connection held: argon2 takes ~0.1 s
    matches = verify_password(row.secret_hash if row is not None else dummy, secret)
    if row is None or not matches or row.revoked_at is not None:
        raise AuthError(INVALID_KEY)
    with store.engine.connect() as con:
        principal = active_user_principal(con, row.user_id, actor=f"key:{key_id}")
    if principal is None:
        raise AuthError(INVALID_KEY)
    return principal


def revoke_api_key(store: Store, *, key_id: str, connection: sa.Connection | None = None) -> None:
    """Revoke a key; it stops working at once. NotFound when unknown, Conflict when revoked already."""
    k = schema.api_keys
    with transaction(store, connection) as con:
        done = con.execute(k.update().where(k.c.key_id == key_id, k.c.revoked_at.is_(None))
                           .values(revoked_at=now_iso())).rowcount
        if done == 0:
            if con.execute(sa.select(k.c.key_id).where(k.c.key_id == key_id)).first() is None:
                raise NotFound(f"no API key {key_id}")
            raise Conflict(f"API key {key_id} is revoked already")


def list_api_keys(store: Store, *, user_id: int) -> list[dict[str, Any]]:
    """A user's keys, oldest first: key_id, user_id, label, created_at, revoked_at (never a secret or hash)."""
    k = schema.api_keys
    query = (sa.select(k.c.key_id, k.c.user_id, k.c.label, k.c.created_at, k.c.revoked_at)
             .where(k.c.user_id == user_id).order_by(k.c.created_at, k.c.key_id))
    with store.engine.connect() as con:
        return [dict(r) for r in con.execute(query).mappings()]
