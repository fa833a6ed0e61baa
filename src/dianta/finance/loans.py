"""Loans as the ledger keeps them (DATA-REQUIREMENTS.md ``loans``), with the history of their outstanding
amounts.

A bank reports each loan under its ``loan_id``; a later report with a new ``as_of`` date and outstanding
amount is a correction of that row, so the ledger's history holds the earlier reports. Together they are the
loan's snapshots: the outstanding amount reported on each ``as_of`` date (a later report for the same date
corrects the earlier one). Between reports the last reported amount stands; before the first report the
principal stands from the draw-down date; nothing is outstanding before draw-down or after maturity.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from dianta.errors import NotFound
from dianta.ledger import schema
from dianta.ledger.store import Store


@dataclass(frozen=True, slots=True)
class Snapshot:
    as_of: dt.date
    outstanding_cny: float


@dataclass(slots=True)
class Loan:
    loan_id: str
    bank_id: str
    credit_code: str
    principal_cny: float
    drawn_on: dt.date
    maturity_on: dt.date
    base_rate_pct: float
    product: str | None
    snapshots: list[Snapshot] = field(default_factory=list)  # by as_of, one per date

    def outstanding_on(self, day: dt.date) -> float:
        """The amount outstanding [CNY] on ``day`` (see the module's rules)."""
        if day < self.drawn_on or day > self.maturity_on:
            return 0.0
        amount = self.principal_cny
        for s in self.snapshots:
            if s.as_of > day:
                break
            amount = s.outstanding_cny
        return amount

    def change_days(self) -> list[dt.date]:
        """The days the outstanding amount may change: draw-down, each report, the day after maturity."""
        reports = (s.as_of for s in self.snapshots if self.drawn_on <= s.as_of <= self.maturity_on)
        return sorted({self.drawn_on, *reports, self.maturity_on + dt.timedelta(days=1)})


def _date(text: object) -> dt.date:
    return dt.date.fromisoformat(str(text))


def load_loans(store: Store, *, bank_id: str | None = None, credit_codes: set[str] | None = None) -> list[Loan]:
    """The loans (of one bank, of some borrowers), each with its snapshots, ordered by loan id."""
    loans, hist = schema.data_tables["loans"], schema.history
    query = sa.select(loans).order_by(loans.c.loan_id)
    if bank_id is not None:
        query = query.where(loans.c.bank_id == bank_id)
    with store.engine.connect() as con:
        rows = [dict(r) for r in con.execute(query).mappings()]
        if credit_codes is not None:
            rows = [r for r in rows if r["credit_code"] in credit_codes]
        versions: dict[str, list[dict[str, object]]] = defaultdict(list)
        keys = [r["row_key"] for r in rows]
        for i in range(0, len(keys), 500):
            for key, old in con.execute(sa.select(hist.c.row_key, hist.c.old_json).where(
                    hist.c.table_name == "loans", hist.c.row_key.in_(keys[i:i + 500])).order_by(hist.c.history_id)):
                versions[key].append(json.loads(old))
    out = []
    for r in rows:
        by_day: dict[dt.date, float] = {}
        for v in [*versions[r["row_key"]], r]:  # oldest first: a later report for the same day corrects it
            if v.get("as_of") and v.get("outstanding_cny") is not None:
                by_day[_date(v["as_of"])] = float(v["outstanding_cny"])  # type: ignore[arg-type]
        out.append(Loan(loan_id=r["loan_id"], bank_id=r["bank_id"], credit_code=r["credit_code"],
                        principal_cny=float(r["principal_cny"]), drawn_on=_date(r["drawn_on"]),
                        maturity_on=_date(r["maturity_on"]), base_rate_pct=float(r["base_rate_pct"]),
                        product=r.get("product"),
                        snapshots=[Snapshot(d, by_day[d]) for d in sorted(by_day)]))
    return out


def loan_owner(store: Store, loan_id: str) -> tuple[str, str]:
    """(bank id, borrower's credit code) of a loan; NotFound when no bank reported it."""
    loans = schema.data_tables["loans"]
    with store.engine.connect() as con:
        row = con.execute(sa.select(loans.c.bank_id, loans.c.credit_code).where(loans.c.loan_id == loan_id)).first()
    if row is None:
        raise NotFound.of("no_loan", loan_id=loan_id)
    return str(row[0]), str(row[1])


def loan_bank(store: Store, loan_id: str) -> str | None:
    """The bank that reported a loan, or None for a loan id no bank has reported."""
    loans = schema.data_tables["loans"]
    with store.engine.connect() as con:
        bank = con.execute(sa.select(loans.c.bank_id).where(loans.c.loan_id == loan_id)).scalar()
    return None if bank is None else str(bank)


def loan_rows(store: Store, *, bank_id: str | None = None, credit_code: str | None = None
              ) -> list[dict[str, object]]:
    """The loans as last reported (one bank's, one borrower's), each a row of the ledger's ``loans`` table,
    ordered by loan id."""
    loans = schema.data_tables["loans"]
    query = sa.select(loans).order_by(loans.c.loan_id)
    if bank_id is not None:
        query = query.where(loans.c.bank_id == bank_id)
    if credit_code is not None:
        query = query.where(loans.c.credit_code == credit_code)
    with store.engine.connect() as con:
        return [dict(r) for r in con.execute(query).mappings()]
