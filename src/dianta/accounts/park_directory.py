"""Parks as defined and as published (GREEN-POWER.md §10): the parks and park_members tables, each park's
members with their enterprise's master data, its published accounts by year, and the members' own figures of a
year (from their published accounts). What the park routes and reports read; who may see which of it is decided
by :mod:`dianta.security.authz` (``park.read``, :func:`~dianta.security.authz.visible_park_members`)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from dianta.accounts.parks import _member_months as member_months
from dianta.accounts.record import ParkAccount
from dianta.errors import NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import region_codes

#: the figures of a member's own account shown in its park (INTERFACE.md park routes)
MEMBER_FIGURES = ("green_share", "cfe_score", "kwh_total", "emissions_location_t", "emissions_market_t",
                  "intensity", "grade", "score")


def park_definitions(store: Store, *, park_id: str | None = None) -> list[dict[str, Any]]:
    """The parks as the parks table defines them (``target_green_share`` 1 where it is empty, ``region_name`` the
    GB/T 2260 name of the region code), ordered by id;
    with ``park_id`` only that one (NotFound when the ledger does not define it)."""
    p = schema.data_tables["parks"]
    query = sa.select(p.c.park_id, p.c.name, p.c.region_code, p.c.supplier_credit_code, p.c.target_green_share,
                      p.c.target_year).order_by(p.c.park_id)
    if park_id is not None:
        query = query.where(p.c.park_id == park_id)
    with store.engine.connect() as con:
        rows = [dict(r) for r in con.execute(query).mappings()]
    if park_id is not None and not rows:
        raise NotFound(f"no park {park_id}", zh=f"没有园区 {park_id}")
    names = region_codes()
    for r in rows:
        r["target_green_share"] = 1.0 if r["target_green_share"] is None else float(r["target_green_share"])
        r["region_name"] = names.get(r["region_code"])  # the dashboard shows a region as words (GB/T 2260 name)
    return rows


def memberships(store: Store, *, park_id: str | None = None) -> list[dict[str, Any]]:
    """Every membership (of one park, with ``park_id``) with the member's name, region and industry (null for an
    enterprise the ledger lacks), ordered by park, credit code and start."""
    pm, ent = schema.data_tables["park_members"], schema.data_tables["enterprises"]
    query = (sa.select(pm.c.park_id, pm.c.credit_code, ent.c.name, ent.c.region_code, ent.c.industry_code,
                       pm.c.valid_from, pm.c.valid_to)
             .select_from(pm.outerjoin(ent, ent.c.credit_code == pm.c.credit_code))
             .order_by(pm.c.park_id, pm.c.credit_code, pm.c.valid_from))
    if park_id is not None:
        query = query.where(pm.c.park_id == park_id)
    with store.engine.connect() as con:
        return [dict(r) for r in con.execute(query).mappings()]


def member_counts(store: Store, year: int) -> dict[str, int]:
    """Park id -> the enterprises that are members on the first day of at least one month of ``year`` (the
    members a park account of the year counts, GREEN-POWER.md §10, when each has an account)."""
    members: dict[str, set[str]] = {}
    for m in memberships(store):
        if member_months(year, m["valid_from"], m["valid_to"]).any():
            members.setdefault(str(m["park_id"]), set()).add(str(m["credit_code"]))
    return {park: len(codes) for park, codes in members.items()}


def park_account(store: Store, *, park_id: str, year: int, profile_id: str = "default") -> ParkAccount | None:
    """The published account of a park for a year, or None when there is none."""
    pa_ = schema.park_accounts
    with store.engine.connect() as con:
        row = con.execute(sa.select(pa_.c.record_json).where(pa_.c.park_id == park_id, pa_.c.year == year,
                                                            pa_.c.profile_id == profile_id)).scalar()
    return None if row is None else json.loads(row)


def park_account_years(store: Store, *, park_id: str | None = None, profile_id: str = "default") -> list[int]:
    """The years with a published park account (of any park, or of ``park_id``), oldest first."""
    pa_ = schema.park_accounts
    query = sa.select(pa_.c.year).distinct().where(pa_.c.profile_id == profile_id).order_by(pa_.c.year)
    if park_id is not None:
        query = query.where(pa_.c.park_id == park_id)
    with store.engine.connect() as con:
        return [int(y) for y in con.execute(query).scalars()]


def member_figures(store: Store, *, credit_codes: set[str], year: int, profile_id: str = "default"
                   ) -> dict[str, dict[str, Any]]:
    """Credit code -> :data:`MEMBER_FIGURES` of its published account of ``year``, for those of ``credit_codes``
    that have one."""
    if not credit_codes:
        return {}
    acc = schema.accounts
    with store.engine.connect() as con:
        rows = con.execute(sa.select(acc.c.credit_code, acc.c.record_json).where(
            acc.c.year == year, acc.c.profile_id == profile_id, acc.c.credit_code.in_(sorted(credit_codes)))).all()
    out = {}
    for code, record_json in rows:
        record = json.loads(record_json)
        out[str(code)] = {k: record.get(k) for k in MEMBER_FIGURES}
    return out
