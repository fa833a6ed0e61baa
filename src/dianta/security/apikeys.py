"""API keys for machine clients (the issue: "API keys for machine clients"; "nothing secret in the repo").

A key is ``dk_<key_id>_<secret>``: ``key_id`` is 12 hex characters, stored as is and shown in the audit
log (actor ``key:<key_id>``); ``secret`` is 32 URL-safe characters of which only an argon2id hash is stored.
The full key is shown once, when it is made. A key acts as its user, with the user's role and organisation
as the users table says at the time of use.

A key is looked up by its public ``key_id`` first: an unknown or revoked one is refused without any argon2
work (issue 12: every random key cost an argon2id check, so a flood of them took the server's CPU). The key
id is no secret (it is in the audit log), so answering faster for an unknown one tells nothing worth hiding.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, NoReturn

import sqlalchemy as sa

from dianta.clock import now_iso
from dianta.errors import AuthError, Conflict, NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.messages import ERRORS
from dianta.security import audit
from dianta.security.audit import transaction
from dianta.security.passwords import hash_password, verify_password
from dianta.security.principal import Principal, anonymous
from dianta.security.throttle import Throttle, TooManyAttempts
from dianta.security.users import active_user_principal

_KEY = re.compile(r"dk_([0-9a-f]{12})_([A-Za-z0-9_-]{32})")
INVALID_KEY = ERRORS["invalid_api_key"][0]


def parse_api_key(key: str) -> tuple[str, str]:
    """``(key_id, secret)`` of a key of the form ``dk_<12 hex>_<32 URL-safe characters>``; AuthError for
    anything else."""
    match = _KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        raise AuthError.of("invalid_api_key")
    return match.group(1), match.group(2)


def create_api_key(store: Store, *, user_id: int, label: str, connection: sa.Connection | None = None) -> str:
    """Make a key for user ``user_id`` and return it in full (it cannot be shown again). ``label`` says
    what uses it (1–200 characters). NotFound for an unknown user, Conflict for a deactivated one."""
    label = label.strip()
    if not 1 <= len(label) <= 200:
        raise UsageError.of("key_label")
    secret = secrets.token_urlsafe(24)  # 24 bytes: exactly 32 characters
    secret_hash = hash_password(secret)
    u, k = schema.users, schema.api_keys
    with transaction(store, connection) as con:
        active = con.execute(sa.select(u.c.active).where(u.c.user_id == user_id)).first()
        if active is None:
            raise NotFound.of("no_user", user_id=user_id)
        if not active[0]:
            raise Conflict.of("user_deactivated", user_id=user_id)
        while True:
            key_id = secrets.token_hex(6)
            if con.execute(sa.select(k.c.key_id).where(k.c.key_id == key_id)).first() is None:
                break
        con.execute(k.insert().values(key_id=key_id, user_id=user_id, secret_hash=secret_hash, label=label,
                                      created_at=now_iso()))
    return f"dk_{key_id}_{secret}"


def principal_from_api_key(store: Store, key: str, *, client: str = "unknown",
                           throttle: Throttle | None = None) -> Principal:
    """Who a key acts for (actor ``key:<key_id>``). One AuthError for a malformed, unknown, revoked or
    wrong key and for a deactivated user. Only a known, unrevoked key id costs an argon2 verification.

    With ``throttle`` (the server's; ``client`` is the caller's address) failures are counted per key id and
    address and over a limit refused with TooManyAttempts before any lookup; failures and refusals are
    audited as ``apikey.use`` denied, at most one entry of each per address per minute (the entry says how
    many were not written), so that a flood of keys cannot flood the audit log."""
    try:
        key_id: str | None
        key_id, secret = parse_api_key(key)
    except AuthError:
        key_id = None  # only the address is counted
    if throttle is not None:
        try:
            throttle.check(key_id, client)
        except TooManyAttempts as exc:
            _refuse(store, throttle, key_id, client, exc)
    if key_id is None:
        _refuse(store, throttle, None, client, AuthError.of("invalid_api_key"))
    k = schema.api_keys
    with store.engine.connect() as con:
        row = con.execute(sa.select(k.c.user_id, k.c.secret_hash, k.c.revoked_at).where(k.c.key_id == key_id)).first()
    if row is None or row.revoked_at is not None:  # no argon2 for a key that cannot match
        _refuse(store, throttle, None, client, AuthError.of("invalid_api_key"), key_id=key_id)
    # verified with no connection held: argon2 takes ~0.1 s
    if not verify_password(row.secret_hash, secret):
        _refuse(store, throttle, key_id, client, AuthError.of("invalid_api_key"))
    with store.engine.connect() as con:
        principal = active_user_principal(con, row.user_id, actor=f"key:{key_id}")
    if principal is None:
        _refuse(store, throttle, key_id, client, AuthError.of("invalid_api_key"))
    if throttle is not None:
        throttle.succeeded(key_id, client)
    return principal


def _refuse(store: Store, throttle: Throttle | None, subject: str | None, client: str, error: AuthError |
            TooManyAttempts, *, key_id: str | None = None) -> NoReturn:
    """Count a failed key (``subject``: the key id its throttle counts, None when the id is malformed or
    unknown and only the address counts), audit it when due, and raise ``error``."""
    if throttle is not None:
        refused = isinstance(error, TooManyAttempts)
        if not refused:
            throttle.failed(subject, client)
        suppressed = throttle.audit_due("apikey.refused" if refused else "apikey.failed", client)
        if suppressed is not None:
            shown = subject or key_id
            audit.record(store, principal=anonymous(client), action="apikey.use",
                         resource=f"api-key:{shown}" if shown else "api-key", outcome="denied", why=str(error),
                         detail={"address": client, "status": 429 if refused else 401, "suppressed": suppressed})
    raise error


def revoke_api_key(store: Store, *, key_id: str, connection: sa.Connection | None = None) -> None:
    """Revoke a key; it stops working at once. NotFound when unknown, Conflict when revoked already."""
    k = schema.api_keys
    with transaction(store, connection) as con:
        done = con.execute(k.update().where(k.c.key_id == key_id, k.c.revoked_at.is_(None))
                           .values(revoked_at=now_iso())).rowcount
        if done == 0:
            if con.execute(sa.select(k.c.key_id).where(k.c.key_id == key_id)).first() is None:
                raise NotFound.of("no_api_key", key_id=key_id)
            raise Conflict.of("key_revoked_already", key_id=key_id)


def list_api_keys(store: Store, *, user_id: int) -> list[dict[str, Any]]:
    """A user's keys, oldest first: key_id, user_id, label, created_at, revoked_at (never a secret or hash)."""
    k = schema.api_keys
    query = (sa.select(k.c.key_id, k.c.user_id, k.c.label, k.c.created_at, k.c.revoked_at)
             .where(k.c.user_id == user_id).order_by(k.c.created_at, k.c.key_id))
    with store.engine.connect() as con:
        return [dict(r) for r in con.execute(query).mappings()]
