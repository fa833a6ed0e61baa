"""Consents (the issue: "Enterprise … grants and revokes consent to named banks, with scope summary / full /
reports and expiry"; a bank "reads accounts of enterprises that granted this bank consent").

A consent is live on a day when it is not revoked and that day is on or before ``expires_on`` (inclusive).
Days are calendar days in China Standard Time (UTC+8, no daylight saving), the enterprises' and banks' day.
Consents are never deleted: a revoked one keeps who revoked it and when.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from dianta.clock import now_iso, today_cst
from dianta.errors import Conflict, NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.security.audit import transaction

#: what a consent lets a bank read: the account summary, the full account, or reports
SCOPES = ("summary", "full", "reports")
#: the organisations consents are granted to: banks, and parks' management organisations (issue 16: "with members'
#: consent as for banks"), with the same scopes; ``bank_org_id`` names either
GRANTEE_KINDS = ("bank", "park")


def is_live(*, revoked_at: str | None, expires_on: str | dt.date, on: dt.date) -> bool:
    """Whether a consent counts on day ``on``: not revoked, and ``on`` ≤ ``expires_on`` (inclusive)."""
    expiry = expires_on if isinstance(expires_on, dt.date) else dt.date.fromisoformat(expires_on)
    return revoked_at is None and on <= expiry


def _public(row: Mapping[Any, Any], on: dt.date) -> dict[str, Any]:
    out = {k: row[k] for k in ("consent_id", "credit_code", "bank_org_id", "scope", "granted_at", "granted_by",
                               "expires_on", "revoked_at", "revoked_by")}
    out["live"] = is_live(revoked_at=row["revoked_at"], expires_on=row["expires_on"], on=on)
    return out


def _check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise UsageError.of("bad_scope", scope=scope, scopes=", ".join(SCOPES))
    return scope


def grant_consent(store: Store, *, credit_code: str, bank_org_id: str, scope: str, expires_on: str,
                  granted_by: str, connection: sa.Connection | None = None) -> dict[str, Any]:
    """Record that enterprise ``credit_code`` lets bank ``bank_org_id`` read ``scope`` until ``expires_on``
    (ISO date, inclusive, not before today in China Standard Time). ``granted_by``: the actor who granted.
    UsageError for a bad scope or date or an organisation that is not a bank or a park organisation (a park's
    management is granted consents as a bank is); NotFound for an unknown organisation or an enterprise not in
    the ledger. Granting again adds a consent (the live ones count together)."""
    _check_scope(scope)
    try:
        expiry = dt.date.fromisoformat(expires_on)
    except (TypeError, ValueError):
        raise UsageError.of("bad_expiry", expires_on=expires_on) from None
    if expiry < today_cst():
        raise UsageError.of("expiry_past", expires_on=expiry.isoformat())
    o, c, ent = schema.organisations, schema.consents, schema.data_tables["enterprises"]
    with transaction(store, connection) as con:
        kind = con.execute(sa.select(o.c.kind).where(o.c.org_id == bank_org_id)).scalar()
        if kind is None:
            raise NotFound.of("no_organisation", org_id=bank_org_id)
        if kind not in GRANTEE_KINDS:
            raise UsageError(f"organisation {bank_org_id} is a {kind}, not a bank or a park: consents are granted to "
                             "banks and to parks' management organisations",
                             zh=f"机构 {bank_org_id} 是 {kind} 类机构，不是银行或园区管理机构："
                                "授权只能授予银行和园区管理机构")
        if con.execute(sa.select(ent.c.credit_code).where(ent.c.credit_code == credit_code)).first() is None:
            raise NotFound.of("no_enterprise_in_ledger", credit_code=credit_code)
        values = {"credit_code": credit_code, "bank_org_id": bank_org_id, "scope": scope, "granted_at": now_iso(),
                  "granted_by": granted_by, "expires_on": expiry.isoformat(), "revoked_at": None,
                  "revoked_by": None}
        consent_id = con.execute(c.insert().values(**values).returning(c.c.consent_id)).scalar_one()
    return _public({**values, "consent_id": consent_id}, today_cst())


def revoke_consent(store: Store, *, consent_id: int, revoked_by: str,
                   connection: sa.Connection | None = None) -> dict[str, Any]:
    """Revoke a consent from now on (the issue: enterprises "revoke consent"). NotFound when unknown,
    Conflict when revoked already. Returns the revoked consent."""
    c = schema.consents
    with transaction(store, connection) as con:
        done = con.execute(c.update().where(c.c.consent_id == consent_id, c.c.revoked_at.is_(None))
                           .values(revoked_at=now_iso(), revoked_by=revoked_by)).rowcount
        row = con.execute(sa.select(c).where(c.c.consent_id == consent_id)).mappings().first()
    if row is None:
        raise NotFound.of("no_consent", consent_id=consent_id)
    if done == 0:
        raise Conflict.of("consent_revoked_already", consent_id=consent_id, revoked_at=row["revoked_at"],
                          revoked_by=row["revoked_by"])
    return _public(row, today_cst())


def get_consent(store: Store, consent_id: int) -> dict[str, Any]:
    """One consent, with ``live`` as of today (CST); NotFound when unknown."""
    c = schema.consents
    with store.engine.connect() as con:
        row = con.execute(sa.select(c).where(c.c.consent_id == consent_id)).mappings().first()
    if row is None:
        raise NotFound.of("no_consent", consent_id=consent_id)
    return _public(row, today_cst())


def list_consents(store: Store, *, credit_code: str | None = None, bank_org_id: str | None = None,
                  live_only: bool = False, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Consents ordered by id, optionally of one enterprise and/or one bank, or only those live on ``on``
    (default today, CST). Each has ``live`` as of ``on``."""
    day = on or today_cst()
    c = schema.consents
    query = sa.select(c).order_by(c.c.consent_id)
    if credit_code is not None:
        query = query.where(c.c.credit_code == credit_code)
    if bank_org_id is not None:
        query = query.where(c.c.bank_org_id == bank_org_id)
    if live_only:
        query = query.where(c.c.revoked_at.is_(None), c.c.expires_on >= day.isoformat())
    with store.engine.connect() as con:
        return [_public(r, day) for r in con.execute(query).mappings()]


def live_scopes(store: Store, *, credit_code: str, bank_org_id: str, on: dt.date | None = None) -> set[str]:
    """The scopes enterprise ``credit_code`` has granted bank ``bank_org_id`` that are live on ``on``
    (default today, CST); empty when none (then the bank may read nothing of the enterprise)."""
    day = on or today_cst()
    c = schema.consents
    query = sa.select(c.c.scope).distinct().where(c.c.credit_code == credit_code, c.c.bank_org_id == bank_org_id,
                                                  c.c.revoked_at.is_(None), c.c.expires_on >= day.isoformat())
    with store.engine.connect() as con:
        return set(con.execute(query).scalars())


def consented_codes(store: Store, *, bank_org_id: str, scopes: set[str], on: dt.date | None = None) -> set[str]:
    """The enterprises (credit codes) with a consent to bank ``bank_org_id`` of any of ``scopes`` live on
    ``on`` (default today, CST): what that bank may list. Only this bank's consents count (tenant isolation)."""
    for scope in scopes:
        _check_scope(scope)
    if not scopes:
        return set()
    day = on or today_cst()
    c = schema.consents
    query = sa.select(c.c.credit_code).distinct().where(c.c.bank_org_id == bank_org_id, c.c.scope.in_(sorted(scopes)),
                                                        c.c.revoked_at.is_(None), c.c.expires_on >= day.isoformat())
    with store.engine.connect() as con:
        return set(con.execute(query).scalars())
