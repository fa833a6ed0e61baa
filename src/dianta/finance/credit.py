"""A bank officer's one-page credit view of an enterprise (issue 17): should this firm get a discount, and why.

The decision is the quote under the bank's pricing policy in effect on the day (METHODOLOGY.md §8) with the
enterprise's newest published account, on the base rate the officer gives, else the base rate of the bank's newest
live loan to the firm (with neither, the discount in bp without a final rate). Then the bank's loans to the firm:
outstanding on the day, the pricing in force and the interest saved up to the day (finance/interest.py, the same
records the regulator's totals sum); and the firm's §6 alerts with how the bank handles them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from dianta.accounts.alerts import alert_events
from dianta.errors import NotFound
from dianta.finance.interest import interest_saved_records
from dianta.finance.loans import Loan, load_loans
from dianta.finance.pricing import current_account, list_pricings, make_quote, policy_in_effect, reason
from dianta.glossary import qualifying_flags
from dianta.ledger import schema
from dianta.ledger.store import Store


def _in_force(pricings: list[dict[str, Any]], day: dt.date) -> dict[str, Any] | None:
    """The loan's pricing in force on ``day``: the latest effective on or before it (a later pricing wins a tie)."""
    live = [p for p in pricings if p["effective_on"] <= day.isoformat()]
    return max(live, key=lambda p: (p["effective_on"], p["pricing_id"])) if live else None


def _loan_row(loan: Loan, pricings: list[dict[str, Any]], saved: float, day: dt.date) -> dict[str, Any]:
    p = _in_force(pricings, day)
    return {"loan_id": loan.loan_id, "product": loan.product, "principal_cny": loan.principal_cny,
            "outstanding_cny": loan.outstanding_on(day), "drawn_on": loan.drawn_on.isoformat(),
            "maturity_on": loan.maturity_on.isoformat(), "matured": day > loan.maturity_on,
            "base_rate_pct": loan.base_rate_pct, "discount_bp": p["discount_bp"] if p else None,
            "final_rate_pct": p["final_rate_pct"] if p else None, "priced_on": p["effective_on"] if p else None,
            "policy_version": p["policy_version"] if p else None, "interest_saved_cny": saved}


def credit_view(store: Store, *, bank_id: str, credit_code: str, on: dt.date, base_rate_pct: float | None = None,
                profile_id: str = "default") -> dict[str, Any]:
    """The credit view of ``credit_code`` for bank ``bank_id`` on day ``on`` (see the module)."""
    account = current_account(store, credit_code=credit_code, on=on, profile_id=profile_id)
    ent = schema.data_tables["enterprises"]
    with store.engine.connect() as con:
        who = con.execute(sa.select(ent.c.name, ent.c.industry_code, ent.c.region_code)
                          .where(ent.c.credit_code == credit_code)).mappings().first()
    if who is None and account is None:
        raise NotFound(f"no enterprise {credit_code}", zh=f"没有企业{credit_code}")
    loans = load_loans(store, bank_id=bank_id, credit_codes={credit_code})
    pricings = [p for p in list_pricings(store, bank_id=bank_id) if p["credit_code"] == credit_code]
    saved: dict[str, float] = {}
    for r in interest_saved_records(loans, pricings, through=on):
        saved[r["loan_id"]] = saved.get(r["loan_id"], 0.0) + r["interest_saved_cny"]
    rows = [_loan_row(ln, [p for p in pricings if p["loan_id"] == ln.loan_id], saved.get(ln.loan_id, 0.0), on)
            for ln in loans]
    live = sorted((ln for ln in loans if ln.drawn_on <= on <= ln.maturity_on), key=lambda ln: (ln.drawn_on, ln.loan_id))
    source = "given" if base_rate_pct is not None else "loan" if live else "none"
    base = base_rate_pct if base_rate_pct is not None else live[-1].base_rate_pct if live else 0.0
    quote, no_policy = None, None
    try:
        policy_in_effect(store, bank_id=bank_id, on=on)
    except NotFound:
        no_policy = reason("no_policy", day=on.isoformat())
    else:
        quote = make_quote(store, bank_id=bank_id, credit_code=credit_code, base_rate_pct=base, on=on,
                           profile_id=profile_id).as_dict()
        if source == "none":  # the discount in bp only: no rate to take it from
            quote["explained"] = [r for r in quote["explained"] if r["code"] != "rate"]
            quote["reasons"] = [r["message_en"] for r in quote["explained"]]
            quote["base_rate_pct"] = quote["final_rate_pct"] = None
    with store.engine.connect() as con:
        u = schema.users
        colleagues = con.execute(sa.select(u.c.username).where(u.c.org_id == bank_id, u.c.role == "bank",
                                                                u.c.active.is_(True)).order_by(u.c.username)).scalars()
        assignees = [{"username": name} for name in colleagues]
    label = (account or {}).get("label") or {}
    return {
        "credit_code": credit_code, "name": who["name"] if who else (account or {}).get("name"),
        "industry_code": who["industry_code"] if who else None, "region_code": who["region_code"] if who else None,
        "bank_id": bank_id, "on": on.isoformat(),
        "account_year": (account or {}).get("year"), "grade": (account or {}).get("grade"),
        "score": (account or {}).get("score"), "colour": label.get("colour"),
        "flags": qualifying_flags((account or {}).get("flags")), "base_rate_source": source,
        "quote": quote, "no_policy": no_policy, "loans": rows,
        "outstanding_cny": sum(r["outstanding_cny"] for r in rows),
        "interest_saved_cny": sum(r["interest_saved_cny"] for r in rows),
        "alerts": alert_events(store, codes={credit_code}, profile_id=profile_id, bank_id=bank_id),
        "assignees": assignees,
    }
