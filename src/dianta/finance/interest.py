"""Interest saved by the account's rate discounts (METHODOLOGY.md §8), loan by loan and month by month, and
the programme totals the regulator publishes, all summed from those records.

A loan's time is cut at every day something changes: draw-down, each reported outstanding amount, each
pricing (its discount holds from its ``effective_on`` until the next pricing of the loan), each month's first
day and the day after maturity. In each piece [a, b) the amount outstanding on ``a`` and the discount in
force on ``a`` stand for ``(b − a)`` days: interest saved = outstanding × discount × days / 360. Pieces are
summed by loan and calendar month (China Standard Time dates), up to and including the ``through`` day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from typing import Any

import numpy as np
import sqlalchemy as sa

from dianta.calc import pricing, regions
from dianta.finance.loans import Loan, load_loans
from dianta.finance.pricing import list_pricings
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_sections, region_codes


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], dt.date(start.year, start.month, 1)
    while day < end:
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        out.append(day)
    return out


def interest_saved_records(loans: list[Loan], pricings: list[dict[str, Any]], *, through: dt.date
                           ) -> list[dict[str, Any]]:
    """One record per loan and month with a discount in force: days, Σ outstanding × days [CNY·day] and the
    interest saved [CNY] (see the module for how a loan's time is cut)."""
    by_loan: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    for p in pricings:
        by_loan[p["loan_id"]].append((dt.date.fromisoformat(p["effective_on"]), float(p["discount_bp"])))
    end = through + dt.timedelta(days=1)
    records = []
    for loan in loans:
        steps = sorted(by_loan.get(loan.loan_id, []))  # a later pricing on the same day comes later: it wins
        if not steps:
            continue
        start = max(loan.drawn_on, steps[0][0])
        stop = min(end, loan.maturity_on + dt.timedelta(days=1))
        if start >= stop:
            continue
        inner = [*loan.change_days(), *(d for d, _ in steps), *_month_starts(start, stop)]
        cuts = sorted({start, stop, *(d for d in inner if start < d < stop)})
        a = np.array(cuts[:-1])
        days = np.array([(b - x).days for x, b in zip(cuts[:-1], cuts[1:], strict=True)], dtype=float)
        outstanding = np.array([loan.outstanding_on(x) for x in a], dtype=float)
        discount = np.array([next(bp for d, bp in reversed(steps) if d <= x) for x in a], dtype=float)
        saved = pricing.interest_saved_cny(outstanding, discount, days)
        months: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for x, n, o, d, s in zip(a, days, outstanding, discount, saved, strict=True):
            if o > 0 and d > 0:
                m = months[x.strftime("%Y-%m")]
                m[0] += n
                m[1] += o * n
                m[2] += s
        records += [{"loan_id": loan.loan_id, "bank_id": loan.bank_id, "credit_code": loan.credit_code, "month": m,
                     "days": int(v[0]), "outstanding_cny_days": v[1], "interest_saved_cny": v[2]}
                    for m, v in sorted(months.items())]
    return records


def programme_totals(store: Store, *, through: dt.date, profile_id: str = "default") -> dict[str, Any]:
    """What the regulator publishes (§8): enterprises with accounts, loans and amounts, interest saved; by
    bank, industry section, prefecture and month. Every figure is a sum over the loan records returned with
    it (``loans`` and ``interest``), so anyone can reproduce it."""
    loans = load_loans(store)
    records = interest_saved_records(loans, list_pricings(store), through=through)
    ent, acc = schema.data_tables["enterprises"], schema.accounts
    with store.engine.connect() as con:
        where = {r[0]: (r[1], r[2]) for r in con.execute(sa.select(ent.c.credit_code, ent.c.industry_code,
                                                                     ent.c.region_code))}
        with_accounts = set(con.execute(sa.select(acc.c.credit_code).distinct()
                                        .where(acc.c.profile_id == profile_id)).scalars())
    sections, region_names = industry_sections(), region_codes()
    loan_rows = [{"loan_id": ln.loan_id, "bank_id": ln.bank_id, "credit_code": ln.credit_code,
                  "industry": where.get(ln.credit_code, ("?", ""))[0][:1],
                  "region": regions.prefecture_code(where.get(ln.credit_code, ("", "000000"))[1]),
                  "drawn_month": ln.drawn_on.strftime("%Y-%m"), "principal_cny": ln.principal_cny,
                  "outstanding_cny": ln.outstanding_on(through)} for ln in loans if ln.drawn_on <= through]
    saved_by_loan: dict[str, float] = defaultdict(float)
    for r in records:
        saved_by_loan[r["loan_id"]] += r["interest_saved_cny"]
    for r in loan_rows:
        r["interest_saved_cny"] = saved_by_loan.get(str(r["loan_id"]), 0.0)

    def group(key: str, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
        sums: dict[str, dict[str, Any]] = {}
        for r in loan_rows:
            s = sums.setdefault(str(r[key]), {"group": str(r[key]), "loans": 0, "principal_cny": 0.0,
                                              "outstanding_cny": 0.0, "interest_saved_cny": 0.0,
                                              "borrowers": set()})
            s["loans"] += 1
            s["principal_cny"] += r["principal_cny"]
            s["outstanding_cny"] += r["outstanding_cny"]
            s["interest_saved_cny"] += r["interest_saved_cny"]
            s["borrowers"].add(r["credit_code"])
        out = []
        for k in sorted(sums):
            s = sums[k]
            borrowers = s.pop("borrowers")
            s["borrowers"] = len(borrowers)
            s["borrowers_with_accounts"] = len(borrowers & with_accounts)
            if names is not None:
                s["name"] = names.get(k, "")
            out.append(s)
        return out

    by_month: dict[str, dict[str, float]] = defaultdict(lambda: {"loans_drawn": 0, "principal_drawn_cny": 0.0,
                                                                 "interest_saved_cny": 0.0})
    for r in loan_rows:
        by_month[str(r["drawn_month"])]["loans_drawn"] += 1
        by_month[str(r["drawn_month"])]["principal_drawn_cny"] += float(r["principal_cny"])
    for r in records:
        by_month[r["month"]]["interest_saved_cny"] += r["interest_saved_cny"]
    fingerprint = hashlib.sha256(json.dumps([loan_rows, records], sort_keys=True, default=str).encode()).hexdigest()
    return {
        "through": through.isoformat(), "profile_id": profile_id,
        "enterprises_with_accounts": len(with_accounts),
        "totals": {"loans": len(loan_rows), "principal_cny": sum(r["principal_cny"] for r in loan_rows),
                   "outstanding_cny": sum(r["outstanding_cny"] for r in loan_rows),
                   "interest_saved_cny": sum(r["interest_saved_cny"] for r in records),
                   "borrowers": len({r["credit_code"] for r in loan_rows}),
                   "borrowers_with_accounts": len({r["credit_code"] for r in loan_rows} & with_accounts)},
        "by_bank": group("bank_id"), "by_industry": group("industry", sections),
        "by_region": group("region", region_names),
        "by_month": [{"month": m, **v} for m, v in sorted(by_month.items())],
        "loans": loan_rows, "interest": records, "fingerprint": fingerprint,
    }
