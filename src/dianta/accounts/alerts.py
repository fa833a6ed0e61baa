"""Credit-risk alerts (METHODOLOGY.md §6) as events: when each first appeared in a published account, so a
bank's daily digest lists what is new that day for the enterprises that gave it a live consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from dianta.accounts.record import Account
from dianta.clock import CHINA_STANDARD_TIME
from dianta.ledger import schema
from dianta.ledger.store import Store, insert_if_absent


def record_alert_events(tx: sa.Connection, records: Sequence[Account], *, run_id: int, profile_id: str,
                        at: str) -> None:
    """In the publishing transaction: each alert of ``records`` not seen before (same enterprise, year,
    profile, code and month) becomes an event first seen ``at`` (UTC ISO time)."""
    for r in records:
        for a in r["alerts"]:
            insert_if_absent(tx, schema.alert_events, {
                "credit_code": r["credit_code"], "year": r["year"], "profile_id": profile_id, "code": a["code"],
                "month": a["month"], "run_id": run_id, "first_seen_at": at})


def _cst_day_bounds(day: dt.date) -> tuple[str, str]:
    """A China Standard Time day as [start, end) in the UTC ISO form the ledger stores."""
    start = dt.datetime.combine(day, dt.time(), CHINA_STANDARD_TIME).astimezone(dt.UTC)
    return start.isoformat(timespec="seconds"), (start + dt.timedelta(days=1)).isoformat(timespec="seconds")


def alert_events(store: Store, *, codes: set[str] | None, since: dt.date | None = None, until: dt.date | None = None,
                 year: int | None = None, profile_id: str = "default") -> list[dict[str, Any]]:
    """The alert events of the enterprises ``codes`` (None: all) first seen from ``since`` to ``until`` (CST
    days, inclusive), newest first, with the enterprise's name and the day seen (CST)."""
    ev, ent = schema.alert_events, schema.data_tables["enterprises"]
    where = [ev.c.profile_id == profile_id]
    if codes is not None:
        if not codes:
            return []
        where.append(ev.c.credit_code.in_(sorted(codes)))
    if since is not None:
        where.append(ev.c.first_seen_at >= _cst_day_bounds(since)[0])
    if until is not None:
        where.append(ev.c.first_seen_at < _cst_day_bounds(until)[1])
    if year is not None:
        where.append(ev.c.year == year)
    query = (sa.select(ev, ent.c.name).join(ent, ent.c.credit_code == ev.c.credit_code, isouter=True).where(*where)
             .order_by(ev.c.first_seen_at.desc(), ev.c.credit_code, ev.c.month, ev.c.code))
    with store.engine.connect() as con:
        rows = [dict(r) for r in con.execute(query).mappings()]
    for r in rows:
        r["seen_on"] = dt.datetime.fromisoformat(r["first_seen_at"]).astimezone(CHINA_STANDARD_TIME).date().isoformat()
    return rows
