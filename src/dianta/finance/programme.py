"""The programme's headline as the regulator publishes it (METHODOLOGY.md §8), to a day, and the same figures by
bank, industry division, prefecture and park, each with its yearly trend: aggregates only.

One definition per figure (each is a glossary quantity; every figure is "as of" the day ``on``, China Standard
Time):

- ``accounts_opened`` (累计开立碳账户): enterprises on the register whose account was opened on or before ``on``
  (an empty ``opened_on`` counts as opened: the enterprise is on the register); a closed account stays counted.
- ``carbon_loans`` / ``carbon_loan_amount_cny`` (碳账户贷款笔数 / 发放金额): the loans drawn on or before ``on``
  that a bank priced with the borrower's carbon account (a pricing record in force on or before ``on``,
  METHODOLOGY.md §8 "loan pricing"), and the sum of their principal.
- ``carbon_loan_outstanding_cny`` (碳账户贷款余额): what those loans have outstanding on ``on``
  (:meth:`dianta.finance.loans.Loan.outstanding_on`: the last report on or before the day stands).
- ``loan_outstanding_cny`` (贷款余额): what every reported loan has outstanding on ``on``, by the same rule (the
  figure the statistics page and the programme totals show under the same label).
- ``interest_saved_cny`` (节省利息): the interest saved by the discounts through ``on``
  (:func:`dianta.finance.interest.interest_saved_records`).

A breakdown cell counts the enterprises behind it (accounts opened and borrowers); a cell with fewer than the
profile's ``disclosure.min_group_size`` is pooled into one cell ``other`` with the next smallest cells while the
pool itself is smaller, so the cells sum to the headline and no one enterprise's figures can be read off. A park
cell shows the park account's aggregates (GREEN-POWER.md §10), never a member's figures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from dianta.accounts.park_directory import memberships, park_definitions
from dianta.accounts.parks import read_park_accounts
from dianta.calc import regions
from dianta.finance.interest import interest_saved_records
from dianta.finance.loans import Loan, load_loans
from dianta.finance.pricing import list_pricings
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.profile import load_profile
from dianta.reference.tables import industry_divisions, region_codes

#: the flows of a year (the trend) and the stocks at its end; the headline's figures
FLOWS = ("accounts_opened", "carbon_loans", "carbon_loan_amount_cny", "interest_saved_cny")
#: the park account's aggregates a park cell shows (GREEN-POWER.md §10)
PARK_FIGURES = ("members", "kwh_total", "emissions_t", "green_share")
OTHER = "other"


@dataclass(frozen=True, slots=True)
class _Account:
    credit_code: str
    opened_year: int


@dataclass(frozen=True, slots=True)
class _CarbonLoan:
    loan: Loan
    saved_by_year: dict[int, float]

    @property
    def year(self) -> int:
        return self.loan.drawn_on.year


def _end_of(year: int, on: dt.date) -> dt.date:
    return min(dt.date(year, 12, 31), on)


def _member_on(m: dict[str, Any], day: dt.date) -> bool:
    iso = day.isoformat()
    return str(m["valid_from"] or "") <= iso <= str(m["valid_to"] or "9999-12-31")


class _Facts:
    """What the programme's figures are summed from, as of ``on``."""

    def __init__(self, store: Store, on: dt.date, profile_id: str) -> None:
        ent, acc = schema.data_tables["enterprises"], schema.accounts
        with store.engine.connect() as con:
            self.enterprises = {r[0]: {"industry": str(r[1] or ""), "region": str(r[2] or ""), "opened": r[3]}
                                for r in con.execute(sa.select(ent.c.credit_code, ent.c.industry_code,
                                                               ent.c.region_code, ent.c.opened_on))}
            account_years = sorted({int(y) for y in con.execute(sa.select(acc.c.year).distinct().where(
                acc.c.profile_id == profile_id, acc.c.year <= on.year)).scalars()})
        loans = [ln for ln in load_loans(store) if ln.drawn_on <= on]
        pricings = [p for p in list_pricings(store) if dt.date.fromisoformat(p["effective_on"]) <= on]
        priced = {p["loan_id"] for p in pricings}
        saved: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for r in interest_saved_records(loans, pricings, through=on):
            saved[r["loan_id"]][int(r["month"][:4])] += r["interest_saved_cny"]
        self.on = on
        self.all_loans = loans
        self.carbon = [_CarbonLoan(ln, dict(saved[ln.loan_id])) for ln in loans if ln.loan_id in priced]
        first = min([*account_years, *(c.year for c in self.carbon),
                     *(y for c in self.carbon for y in c.saved_by_year)], default=on.year)
        self.years = list(range(first, on.year + 1))
        self.accounts = [_Account(code, self._opened_year(str(e["opened"] or ""), first))
                         for code, e in self.enterprises.items() if str(e["opened"] or "") <= on.isoformat()]

    @staticmethod
    def _opened_year(opened_on: str, first: int) -> int:
        """The year an account counts as opened in the trend: before the first year on record, in that year."""
        return max(int(opened_on[:4]), first) if opened_on else first

    def industry(self, code: str) -> str:
        """The GB/T 4754 division (letter + 2 digits) of an enterprise."""
        return self.enterprises.get(code, {}).get("industry", "")[:3] or "?"

    def region(self, code: str) -> str:
        """The prefecture (GB/T 2260, 4 digits + 00) of an enterprise."""
        return regions.prefecture_code(self.enterprises.get(code, {}).get("region", "") or "000000")


def _figures(facts: _Facts, accounts: list[_Account], loans: list[_CarbonLoan]) -> dict[str, Any]:
    """The headline's figures of some accounts and carbon-account loans, and their trend over the years."""
    trend = []
    for year in facts.years:
        end = _end_of(year, facts.on)
        trend.append({
            "year": year, "as_of": end.isoformat(),
            "accounts_opened": sum(a.opened_year == year for a in accounts),
            "accounts_opened_to_date": sum(a.opened_year <= year for a in accounts),
            "carbon_loans": sum(c.year == year for c in loans),
            "carbon_loan_amount_cny": sum(c.loan.principal_cny for c in loans if c.year == year),
            "carbon_loan_outstanding_cny": sum(c.loan.outstanding_on(end) for c in loans),
            "interest_saved_cny": sum(c.saved_by_year.get(year, 0.0) for c in loans),
        })
    return {
        "accounts_opened": len(accounts), "carbon_loans": len(loans),
        "carbon_loan_amount_cny": sum(c.loan.principal_cny for c in loans),
        "carbon_loan_outstanding_cny": sum(c.loan.outstanding_on(facts.on) for c in loans),
        "interest_saved_cny": sum(sum(c.saved_by_year.values()) for c in loans),
        "borrowers": len({c.loan.credit_code for c in loans}), "trend": trend,
    }


def _cells(facts: _Facts, min_group: int, accounts: dict[str, list[_Account]], loans: dict[str, list[_CarbonLoan]],
           name: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """One cell per group key, the cells with fewer than ``min_group`` enterprises pooled into ``other``."""
    keys = sorted(set(accounts) | set(loans))
    people = {k: {a.credit_code for a in accounts.get(k, [])} | {c.loan.credit_code for c in loans.get(k, [])}
              for k in keys}
    # a cell no enterprise stands behind shows its zeros: it reveals no one
    pooled = {k for k in keys if 0 < len(people[k]) < min_group}

    def size(k: str) -> tuple[int, float, str]:  # the order the cells join the pool in
        return len(people[k]), sum(c.loan.principal_cny for c in loans.get(k, [])), k

    while pooled and len(set().union(*(people[k] for k in pooled))) < min_group:
        rest = [k for k in keys if k not in pooled and people[k]]
        if not rest:
            break
        pooled.add(min(rest, key=size))
    out = []
    for k in keys:
        if k not in pooled:
            out.append({"group": k, "name": name(k), "enterprises": len(people[k]),
                        **_figures(facts, accounts.get(k, []), loans.get(k, []))})
    if pooled:
        members = sorted(pooled)
        out.append({"group": OTHER, "name": None, "groups": len(pooled),
                    "enterprises": len(set().union(*(people[k] for k in pooled))),
                    **_figures(facts, [a for k in members for a in accounts.get(k, [])],
                               [c for k in members for c in loans.get(k, [])])})
    return out


def _by(items: Iterable[Any], key: Callable[[Any], str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for item in items:
        out[key(item)].append(item)
    return dict(out)


def _park_figures(record: Mapping[str, Any]) -> dict[str, Any]:
    return {f: record[f] for f in PARK_FIGURES}


def _parks(store: Store, facts: _Facts, min_group: int, profile_id: str) -> list[dict[str, Any]]:
    """The park cells: members on ``on`` with an account opened, carbon-account loans to a member of the park on
    the day they were drawn; a visible park's account aggregates of each year on record."""
    defs = {p["park_id"]: p for p in park_definitions(store)}
    ms = memberships(store)
    opened = {a.credit_code: a for a in facts.accounts}
    accounts: dict[str, list[_Account]] = defaultdict(list)
    loans: dict[str, list[_CarbonLoan]] = defaultdict(list)
    for m in ms:
        if _member_on(m, facts.on) and m["credit_code"] in opened:
            accounts[m["park_id"]].append(opened[m["credit_code"]])
    for c in facts.carbon:
        for park in sorted({m["park_id"] for m in ms if m["credit_code"] == c.loan.credit_code
                            and _member_on(m, c.loan.drawn_on)}):
            loans[park].append(c)
    for park in defs:  # a park without members on the day still has a row (pooled: no one stands behind it)
        accounts.setdefault(park, [])
    cells = _cells(facts, min_group, dict(accounts), dict(loans), lambda k: defs.get(k, {}).get("name"))
    park_accounts = {(r["park_id"], y): r for y in facts.years for r in read_park_accounts(store, y, profile_id)}
    for cell in cells:
        if cell["group"] == OTHER:
            continue
        latest = next((park_accounts[(cell["group"], y)] for y in reversed(facts.years)
                       if (cell["group"], y) in park_accounts), None)
        cell["park_account"] = None if latest is None else {"year": latest["year"], **_park_figures(latest)}
        cell["region_name"] = defs.get(cell["group"], {}).get("region_name")
        for point in cell["trend"]:
            rec = park_accounts.get((cell["group"], point["year"]))
            point["park_account"] = None if rec is None else _park_figures(rec)
    return cells


def programme_headline(store: Store, *, on: dt.date, profile_id: str = "default") -> dict[str, Any]:
    """The programme's headline as of ``on`` (the module's definitions), its trend over the years on record, and
    the same figures by bank, industry division, prefecture and park (cells pooled below the profile's minimum
    group size)."""
    min_group = load_profile(profile_id).disclosure_min_group_size
    facts = _Facts(store, on, profile_id)
    divisions, region_names = industry_divisions(), region_codes()
    headline = _figures(facts, facts.accounts, facts.carbon)
    headline["loans"] = len(facts.all_loans)
    headline["loan_outstanding_cny"] = sum(ln.outstanding_on(on) for ln in facts.all_loans)
    reports = [s.as_of for ln in facts.all_loans for s in ln.snapshots if s.as_of <= on]
    return {
        "as_of": on.isoformat(), "profile_id": profile_id, "min_group_size": min_group, "years": facts.years,
        "latest_loan_report_on": max(reports).isoformat() if reports else None,
        "headline": headline,
        "by_bank": _cells(facts, min_group, {}, _by(facts.carbon, lambda c: c.loan.bank_id), lambda k: None),
        "by_industry": _cells(facts, min_group, _by(facts.accounts, lambda a: facts.industry(a.credit_code)),
                              _by(facts.carbon, lambda c: facts.industry(c.loan.credit_code)), divisions.get),
        "by_region": _cells(facts, min_group, _by(facts.accounts, lambda a: facts.region(a.credit_code)),
                            _by(facts.carbon, lambda c: facts.region(c.loan.credit_code)), region_names.get),
        "by_park": _parks(store, facts, min_group, profile_id),
    }
