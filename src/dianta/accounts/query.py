"""Reading published accounts and an enterprise's data: filters, pagination, one account, monthly data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dianta.accounts.inputs import MeterPeriods
from dianta.accounts.record import Account
from dianta.errors import NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store


@dataclass(slots=True)
class Page:
    items: list[Account]
    total: int
    page: int
    size: int


#: the fields an account list may be sorted by (``sort=score``, ``sort=-score`` for descending)
SORT_FIELDS = ("credit_code", "name", "industry_code", "region_code", "grade", "score")


def _order(sort: str | None) -> list[sa.ColumnElement[Any]]:
    """ORDER BY of ``sort`` (a field of :data:`SORT_FIELDS`, ``-`` first for descending; blanks last either way),
    then the credit code so that pages never overlap."""
    acc, ent = schema.accounts, schema.data_tables["enterprises"]
    columns = {"credit_code": acc.c.credit_code, "name": ent.c.name, "industry_code": ent.c.industry_code,
               "region_code": ent.c.region_code, "grade": acc.c.grade, "score": acc.c.score}
    if not sort or sort.lstrip("-") not in columns or sort.lstrip("-") == "credit_code":
        return [acc.c.credit_code.desc() if sort == "-credit_code" else acc.c.credit_code]
    column = columns[sort.lstrip("-")]
    return [column.is_(None), column.desc() if sort.startswith("-") else column.asc(), acc.c.credit_code]


def list_accounts(store: Store, *, year: int, visible: set[str] | None, profile_id: str = "default",
                  grade: int | None = None, industry: str | None = None, region: str | None = None,
                  q: str | None = None, page: int = 1, size: int = 50, sort: str | None = None) -> Page:
    """Published accounts of a year among ``visible`` enterprises (None: all), filtered by grade, industry
    code prefix (``C32``), region code prefix (``6301``) and a name or code fragment; ordered by ``sort`` (see
    :func:`_order`; by credit code without it)."""
    acc, ent = schema.accounts, schema.data_tables["enterprises"]
    where = [acc.c.year == year, acc.c.profile_id == profile_id]
    if visible is not None:
        if not visible:
            return Page([], 0, page, size)
        where.append(acc.c.credit_code.in_(sorted(visible)))
    if grade is not None:
        where.append(acc.c.grade == grade)
    if industry:
        where.append(ent.c.industry_code.startswith(industry.upper(), autoescape=True))
    if region:
        where.append(ent.c.region_code.startswith(region, autoescape=True))
    if q:
        where.append(sa.or_(ent.c.name.contains(q, autoescape=True), acc.c.credit_code.contains(q.upper(),
                                                                                             autoescape=True)))
    joined = acc.join(ent, ent.c.credit_code == acc.c.credit_code)
    with store.engine.connect() as con:
        total = con.execute(sa.select(sa.func.count()).select_from(joined).where(*where)).scalar_one()
        rows = con.execute(sa.select(acc.c.record_json).select_from(joined).where(*where)
                           .order_by(*_order(sort)).limit(size).offset((page - 1) * size)).scalars().all()
    return Page([json.loads(r) for r in rows], total, page, size)


def get_account(store: Store, *, credit_code: str, year: int, profile_id: str = "default") -> Account:
    acc = schema.accounts
    with store.engine.connect() as con:
        row = con.execute(sa.select(acc.c.record_json).where(acc.c.credit_code == credit_code, acc.c.year == year,
                                                             acc.c.profile_id == profile_id)).scalar()
    if row is None:
        raise NotFound.of("no_account", credit_code=credit_code, year=year, profile_id=profile_id)
    return json.loads(row)


def get_enterprise(store: Store, credit_code: str) -> dict[str, object]:
    """An enterprise with its meters (DATA-REQUIREMENTS: enterprises, meters)."""
    ent, met = schema.data_tables["enterprises"], schema.data_tables["meters"]
    with store.engine.connect() as con:
        row = con.execute(sa.select(ent.c.credit_code, ent.c.name, ent.c.industry_code, ent.c.region_code,
                                    ent.c.opened_on, ent.c.closed_on).where(ent.c.credit_code == credit_code)
                          ).mappings().first()
        if row is None:
            raise NotFound.of("no_enterprise", credit_code=credit_code)
        meters = con.execute(sa.select(met.c.meter_id, met.c.valid_from, met.c.valid_to)
                             .where(met.c.credit_code == credit_code).order_by(met.c.meter_id, met.c.valid_from)
                             ).mappings().all()
    return {**row, "meters": [dict(m) for m in meters]}


def enterprise_monthly(store: Store, *, credit_code: str, year: int) -> list[dict[str, object]]:
    """The enterprise's monthly meter data of a year: the monthly totals that belong to it (METHODOLOGY.md §3,
    :meth:`MeterPeriods.month_holder`)."""
    met, mon = schema.data_tables["meters"], schema.data_tables["consumption_monthly"]
    with store.engine.connect() as con:
        held = sa.select(met.c.meter_id).where(met.c.credit_code == credit_code)
        periods = MeterPeriods()
        for r in con.execute(sa.select(met.c.meter_id, met.c.credit_code, met.c.valid_from, met.c.valid_to)
                             .where(met.c.meter_id.in_(held))):
            periods.add(*r)
        periods.finish()
        rows = con.execute(sa.select(mon.c.meter_id, mon.c.month, mon.c.kwh, mon.c.kwh_peak, mon.c.kwh_flat,
                                     mon.c.kwh_valley)
                           .where(mon.c.meter_id.in_(held), mon.c.month.startswith(str(year)))).mappings().all()
    out = [dict(r) for r in rows if periods.month_holder(str(r["meter_id"]), str(r["month"])) == credit_code]
    return sorted(out, key=lambda r: (str(r["month"]), str(r["meter_id"])))


def enterprise_findings(store: Store, *, credit_code: str) -> list[dict[str, object]]:
    """Data-quality findings about an enterprise's data: the warnings and rejections of the batches that
    name its credit code or one of its meters (as kept with each batch), newest batch first."""
    enterprise = get_enterprise(store, credit_code)
    meters = enterprise["meters"]
    names = {credit_code} | {str(m["meter_id"]) for m in (meters if isinstance(meters, list) else [])}
    b = schema.batches
    out: list[dict[str, object]] = []
    with store.engine.connect() as con:
        for batch_id, received_at, summary in con.execute(  # a refused batch changed nothing of the enterprise's
                sa.select(b.c.batch_id, b.c.received_at, b.c.summary_json).where(b.c.status != "refused")
                .order_by(b.c.batch_id.desc())):
            for f in json.loads(summary).get("findings", []):
                if f.get("value") in names:
                    out.append({**f, "batch_id": batch_id, "received_at": received_at})
    return out


def published_years(store: Store, *, profile_id: str = "default") -> list[int]:
    """The years with published accounts under a profile, newest first."""
    acc = schema.accounts
    with store.engine.connect() as con:
        return [int(y) for y in con.execute(sa.select(acc.c.year).distinct().where(acc.c.profile_id == profile_id)
                                            .order_by(acc.c.year.desc())).scalars()]
