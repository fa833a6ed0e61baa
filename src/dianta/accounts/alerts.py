"""Credit-risk alerts (METHODOLOGY.md §6) as events: when each first appeared in a published account, so a
bank's daily digest lists what is new that day for the enterprises that gave it a live consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from dianta.accounts.record import Account
from dianta.clock import CHINA_STANDARD_TIME
from dianta.errors import NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.store import Store, insert_if_absent


def record_alert_events(tx: sa.Connection, records: Sequence[Account], *, run_id: int, profile_id: str,
                        at: str) -> None:
    """In the publishing transaction: each alert of ``records`` not seen before (same enterprise, year,
    profile, code and month) becomes an event first seen ``at`` (UTC ISO time)."""
    insert_if_absent(tx, schema.alert_events, [
        {"credit_code": r["credit_code"], "year": r["year"], "profile_id": profile_id, "code": a["code"],
         "month": a["month"], "run_id": run_id, "first_seen_at": at} for r in records for a in r["alerts"]])


def _cst_day_bounds(day: dt.date) -> tuple[str, str]:
    """A China Standard Time day as [start, end) in the UTC ISO form the ledger stores."""
    start = dt.datetime.combine(day, dt.time(), CHINA_STANDARD_TIME).astimezone(dt.UTC)
    return start.isoformat(timespec="seconds"), (start + dt.timedelta(days=1)).isoformat(timespec="seconds")


def alert_events(store: Store, *, codes: set[str] | None, since: dt.date | None = None, until: dt.date | None = None,
                 year: int | None = None, profile_id: str = "default", bank_id: str | None = None
                 ) -> list[dict[str, Any]]:
    """The alert events of the enterprises ``codes`` (None: all) first seen from ``since`` to ``until`` (CST
    days, inclusive), newest first, with the enterprise's name and the day seen (CST); with ``bank_id``, how that
    bank handles each (:func:`alert_handling`)."""
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
    handling = alert_handling(store, bank_id=bank_id, codes=codes, profile_id=profile_id) if bank_id else {}
    for r in rows:
        r["seen_on"] = dt.datetime.fromisoformat(r["first_seen_at"]).astimezone(CHINA_STANDARD_TIME).date().isoformat()
        r.update(handling.get(_key(r), {}))
    return rows


ACTIONS = ("acknowledge", "assign")


def _event_exists(con: sa.Connection, key: dict[str, Any]) -> bool:
    ev = schema.alert_events
    return con.execute(sa.select(sa.literal(1)).where(*(ev.c[k] == v for k, v in key.items()))).first() is not None


def _bank_user(con: sa.Connection, bank_id: str, username: str) -> bool:
    u = schema.users
    return con.execute(sa.select(u.c.user_id).where(u.c.username == username, u.c.org_id == bank_id,
                                                    u.c.role == "bank", u.c.active.is_(True))).first() is not None


def act_on_alert(store: Store, *, bank_id: str, credit_code: str, year: int, code: str, month: str, action: str,
                 actor: str, assignee: str | None = None, profile_id: str = "default", at: str) -> dict[str, Any]:
    """Record that bank ``bank_id`` acknowledged an alert event, or assigned it to ``assignee`` (an active user of
    the same bank); returns how the bank now handles the event (:func:`alert_handling`)."""
    if action not in ACTIONS:
        raise UsageError(f"alert action {action!r}: choose acknowledge or assign",
                         zh=f"预警操作{action!r}：请选择确认或指派")
    key = {"credit_code": credit_code, "year": year, "profile_id": profile_id, "code": code, "month": month}
    with store.engine.begin() as con:
        if not _event_exists(con, key):
            raise NotFound(f"no alert {code} of {credit_code} for {month} in the accounts of {year}",
                           zh=f"{credit_code}在{year}年账户中没有{month}的预警{code}")
        if action == "assign":
            if not assignee:
                raise UsageError("name the user to assign the alert to: assignee=…",
                                 zh="请指定预警的跟进人（assignee）")
            if not _bank_user(con, bank_id, assignee):
                raise UsageError(f"{assignee} is not an active user of bank {bank_id}: an alert is assigned to a "
                                 "colleague of the same bank",
                                 zh=f"{assignee}不是{bank_id}的在用用户：预警只能指派给本行用户")
        con.execute(schema.alert_actions.insert().values(bank_id=bank_id, **key, action=action,
                                                         assignee=assignee if action == "assign" else None, at=at,
                                                         actor=actor))
    return alert_handling(store, bank_id=bank_id, codes={credit_code}, profile_id=profile_id).get(_key(key), {})


def _key(row: Mapping[str, Any] | sa.RowMapping) -> tuple[str, int, str, str]:
    return str(row["credit_code"]), int(row["year"]), str(row["code"]), str(row["month"])


def alert_handling(store: Store, *, bank_id: str, codes: set[str] | None, profile_id: str = "default"
                   ) -> dict[tuple[str, int, str, str], dict[str, Any]]:
    """How bank ``bank_id`` handles the alerts of ``codes`` (None: all): by (credit code, year, code, month), the
    first acknowledgement (at, by) and the newest assignee."""
    aa = schema.alert_actions
    query = sa.select(aa).where(aa.c.bank_id == bank_id, aa.c.profile_id == profile_id).order_by(aa.c.action_id)
    if codes is not None:
        if not codes:
            return {}
        query = query.where(aa.c.credit_code.in_(sorted(codes)))
    out: dict[tuple[str, int, str, str], dict[str, Any]] = {}
    with store.engine.connect() as con:
        for r in con.execute(query).mappings():
            state = out.setdefault(_key(r), {"acknowledged_at": None, "acknowledged_by": None, "assignee": None})
            if r["action"] == "acknowledge" and state["acknowledged_at"] is None:
                state["acknowledged_at"], state["acknowledged_by"] = r["at"], r["actor"]
            elif r["action"] == "assign":
                state["assignee"] = r["assignee"]
    return out
