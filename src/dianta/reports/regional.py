"""The electricity-carbon map (电碳地图, issue 17): accounts and loans of one province summed by prefecture or
county (GB/T 2260), for the regulator's programme and a bank's portfolio.

Region figures are the group figures of the programme statistics and portfolios (calc/groups.py, METHODOLOGY.md
§8): emissions Σ C [tCO2]; intensity Σ C / Σ V over the enterprises with a positive value V [tCO2 / 10k CNY];
green share Σ E_green / Σ E_total [fraction]; accounts: the number of accounts of the year; loans: the amount
outstanding [CNY] on the as-of day (31 December of the year, or today if earlier) summed over the loans to the
region's enterprises (one definition: `Loan.outstanding_on`, as the programme totals use it).

A region with fewer enterprises (accounts or borrowers) than ``min_enterprises`` shows its counts only (the
regulator's view, profile ``[disclosure] min_group_size``): its figures are None and ``suppressed`` is true.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any, Literal

import numpy as np
import sqlalchemy as sa

from dianta.accounts import query
from dianta.calc import groups, regions
from dianta.calc.missing import none_if_nan
from dianta.finance.loans import load_loans
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import map_regions, region_codes

Level = Literal["prefecture", "county"]
Metric = Literal["emissions", "intensity", "green_share", "accounts", "loans"]
#: each metric's region field and its unit (the dashboard shows tCO2 in 万吨, CNY in 万元/亿元, fractions in %)
METRICS: dict[str, tuple[str, str]] = {"emissions": ("emissions_t", "tCO2"), "intensity": ("intensity", "tCO2/10k CNY"),
                                       "green_share": ("green_share", "1"), "accounts": ("accounts", ""),
                                       "loans": ("outstanding_cny", "CNY")}
#: the figures a suppressed region does not show
FIGURES = ("emissions_t", "intensity", "green_share", "outstanding_cny", "kwh_total", "kwh_green")


def as_of_day(year: int, today: dt.date) -> dt.date:
    """The day loans are taken outstanding on for ``year``: its 31 December, or ``today`` if that is earlier."""
    return min(dt.date(year, 12, 31), today)


def region_key(region_code: str, level: Level) -> str:
    """The map region of an enterprise: its prefecture (``630102`` → ``630100``) or its own county code."""
    return regions.prefecture_code(region_code) if level == "prefecture" else region_code


def _column(rows: list[dict[str, Any]], key: str, missing: float = 0.0) -> np.ndarray:
    return np.array([missing if r.get(key) is None else float(r[key]) for r in rows], dtype=float)


def _enterprises(store: Store, codes: set[str]) -> dict[str, tuple[str, str]]:
    """The region code and name of each enterprise of ``codes`` (the borrowers: some have no account)."""
    ent = schema.data_tables["enterprises"]
    with store.engine.connect() as con:
        return {c: (r, n) for c, r, n in con.execute(sa.select(ent.c.credit_code, ent.c.region_code, ent.c.name)
                                                     .where(ent.c.credit_code.in_(sorted(codes))))}


def _account_groups(records: list[dict[str, Any]], keys: list[str]) -> dict[str, dict[str, Any]]:
    """The accounts' figures per region key (vectorised group sums, §8)."""
    labels, index = groups.group_index(keys)
    n = len(labels)
    count, emissions, kwh_total, kwh_green = (groups.group_sum(index, n, x) for x in (
        np.ones(len(records)), _column(records, "emissions_t"), _column(records, "kwh_total"),
        _column(records, "kwh_green")))
    intensity = groups.group_intensity(index, n, _column(records, "emissions_t", np.nan),
                                       _column(records, "value_10k_cny"))
    share = groups.group_green_share(index, n, _column(records, "kwh_green"), _column(records, "kwh_total"))
    out: dict[str, dict[str, Any]] = {}
    for i, k in enumerate(labels):
        out[k] = {"accounts": int(count[i]), "emissions_t": float(emissions[i]), "kwh_total": float(kwh_total[i]),
                  "kwh_green": float(kwh_green[i]), "intensity": none_if_nan(intensity[i]),
                  "green_share": none_if_nan(share[i]), "grades": {}}
    for r, k in zip(records, keys, strict=True):
        grade = str(r.get("grade") or "not_rated")
        out[k]["grades"][grade] = out[k]["grades"].get(grade, 0) + 1
    return out


def region_map(store: Store, *, year: int, level: Level, metric: Metric, codes: set[str] | None,
               bank_id: str | None, today: dt.date, province: str | None = None, min_enterprises: int | None = None,
               list_enterprises: bool = False, profile_id: str = "default") -> dict[str, Any]:
    """The regions of ``province`` (default: the one with the most accounts) at ``level`` with their figures.

    ``codes``: the enterprises counted (None: all); ``bank_id``: only this bank's loans (None: every bank's);
    ``min_enterprises``: suppress the figures of smaller regions (None: never); ``list_enterprises``: each region
    lists its enterprises (a bank's portfolio: the bank may see each of them)."""
    as_of = as_of_day(year, today)
    records: list[dict[str, Any]] = [dict(r) for r in query.list_accounts(
        store, year=year, visible=codes, profile_id=profile_id, size=10_000_000).items]
    loans = [ln for ln in load_loans(store, bank_id=bank_id, credit_codes=codes) if ln.drawn_on <= as_of]
    borrowers = _enterprises(store, {ln.credit_code for ln in loans})
    where = {c: region for c, (region, _name) in borrowers.items()}
    where.update({str(r["credit_code"]): str(r["region_code"]) for r in records})

    def key(credit_code: str) -> str:
        return region_key(where.get(credit_code, "000000"), level)

    counts = Counter(regions.province_code(str(r["region_code"])) for r in records)
    for ln in loans:
        counts[regions.province_code(where.get(ln.credit_code, "000000"))] += 0
    provinces = sorted(p for p in counts if p != "000000")
    chosen = province or (min(provinces, key=lambda p: (-counts[p], p)) if provinces else None)
    prefix = chosen[:2] if chosen else ""
    records = [r for r in records if str(r["region_code"]).startswith(prefix)] if chosen else []
    loans = [ln for ln in loans if where.get(ln.credit_code, "").startswith(prefix)] if chosen else []

    keys = [key(str(r["credit_code"])) for r in records]
    accounts = _account_groups(records, keys) if records else {}
    lent: dict[str, dict[str, Any]] = defaultdict(lambda: {"loans": 0, "outstanding_cny": 0.0, "borrowers": set()})
    for ln in loans:
        g = lent[key(ln.credit_code)]
        g["loans"] += 1
        g["outstanding_cny"] += ln.outstanding_on(as_of)
        g["borrowers"].add(ln.credit_code)
    members: dict[str, set[str]] = defaultdict(set)
    for r, k in zip(records, keys, strict=True):
        members[k].add(str(r["credit_code"]))
    for k, g in lent.items():
        members[k] |= g["borrowers"]

    names = region_codes()
    shapes = {f["code"]: f for f in map_regions(chosen) if f["level"] == level} if chosen else {}
    field = METRICS[metric][0]
    out = []
    for k in sorted(members):
        a = accounts.get(k, {"accounts": 0, "emissions_t": 0.0, "kwh_total": 0.0, "kwh_green": 0.0,
                             "intensity": None, "green_share": None, "grades": {}})
        g = lent.get(k, {"loans": 0, "outstanding_cny": 0.0, "borrowers": set()})
        row: dict[str, Any] = {
            "code": k, "name": names.get(k) or shapes.get(k, {}).get("name") or "", "on_map": k in shapes,
            "enterprises": len(members[k]), "accounts": a["accounts"], "borrowers": len(g["borrowers"]),
            "loans": g["loans"], "emissions_t": a["emissions_t"], "kwh_total": a["kwh_total"],
            "kwh_green": a["kwh_green"], "intensity": a["intensity"], "green_share": a["green_share"],
            "outstanding_cny": g["outstanding_cny"], "grades": a["grades"], "suppressed": False}
        if min_enterprises is not None and len(members[k]) < min_enterprises:
            row.update({f: None for f in FIGURES}, grades=None, suppressed=True)
        row["value"] = row[field]
        if list_enterprises:
            row["enterprise_list"] = _enterprise_list(records, keys, loans, k, as_of, key, borrowers)
        out.append(row)
    return {"year": year, "level": level, "metric": metric, "unit": METRICS[metric][1], "province": chosen,
            "province_name": names.get(chosen or "", ""), "provinces": [{"code": p, "name": names.get(p, "")}
                                                                        for p in provinces],
            "as_of": as_of.isoformat(), "min_enterprises": min_enterprises, "bank_id": bank_id, "regions": out}


def _enterprise_list(records: list[dict[str, Any]], keys: list[str], loans: list[Any], region: str,
                     as_of: dt.date, key: Any, borrowers: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The enterprises of one region: each with its account's figures and the loans outstanding to it."""
    outstanding: dict[str, float] = defaultdict(float)
    for ln in loans:
        if key(ln.credit_code) == region:
            outstanding[ln.credit_code] += ln.outstanding_on(as_of)
    rows = [{"credit_code": r["credit_code"], "name": r["name"], "region_code": r["region_code"],
             "grade": r["grade"], "colour": (r.get("label") or {}).get("colour"), "emissions_t": r["emissions_t"],
             "intensity": r["intensity"], "green_share": r["green_share"],
             "outstanding_cny": outstanding.pop(str(r["credit_code"]), 0.0)}
            for r, k in zip(records, keys, strict=True) if k == region]
    rows += [{"credit_code": c, "name": borrowers[c][1], "region_code": borrowers[c][0], "grade": None, "colour": None,
              "emissions_t": None, "intensity": None, "green_share": None, "outstanding_cny": amount}
             for c, amount in sorted(outstanding.items())]
    return sorted(rows, key=lambda r: (-float(r["emissions_t"] or 0), str(r["credit_code"])))
