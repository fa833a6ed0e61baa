"""A bank's portfolio of consented enterprises: accounts by grade, industry and region with emissions,
intensity and green share (the issue's portfolio report), as data, PDF and xlsx; each enterprise's grade with
the flags that qualify it (METHODOLOGY.md §7b).

Group figures are sums over the enterprises of the group: emissions Σ C [tCO2]; intensity Σ C / Σ V over the
enterprises with a positive value V [tCO2 / 10k CNY] (the group's own intensity, not a mean of ratios); green share
Σ E_green / Σ E_total [fraction], as in the programme statistics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
import sqlalchemy as sa
from openpyxl import Workbook

from dianta.accounts import query
from dianta.accounts.export import safe_text, workbook_bytes
from dianta.calc import groups, regions
from dianta.calc.missing import none_if_nan as _none
from dianta.glossary import qualifying_flags
from dianta.lang import check_lang
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_sections, region_codes
from dianta.reports import charts
from dianta.reports.i18n import Words
from dianta.reports.render import html_to_pdf
from dianta.reports.templating import environment
from dianta.security.authz import SUMMARY_SCOPES
from dianta.security.consents import consented_codes

GROUPINGS = ("grade", "industry", "region")


def _column(rows: list[dict[str, Any]], key: str, missing: float = 0.0) -> np.ndarray:
    return np.array([missing if r.get(key) is None else float(r[key]) for r in rows], dtype=float)


def _group_rows(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, object]]:
    """The rows' group figures (calc/groups.py) by ``keys`` (one per row), groups sorted by key."""
    labels, index = groups.group_index(keys)
    n = len(labels)
    count, emissions, kwh_total, kwh_green, outstanding = (
        groups.group_sum(index, n, x) for x in (np.ones(len(rows)), _column(rows, "emissions_t"),
                                                _column(rows, "kwh_total"), _column(rows, "kwh_green"),
                                                _column(rows, "outstanding_cny")))
    intensity = groups.group_intensity(index, n, _column(rows, "emissions_t", np.nan),
                                       _column(rows, "value_10k_cny"))
    share = groups.group_green_share(index, n, _column(rows, "kwh_green"), _column(rows, "kwh_total"))
    return [{"group": k, "name": "", "enterprises": int(count[i]), "emissions_t": float(emissions[i]),
             "kwh_total": float(kwh_total[i]), "kwh_green": float(kwh_green[i]),
             "outstanding_cny": float(outstanding[i]), "intensity": _none(intensity[i]),
             "green_share": _none(share[i])}
            for i, k in enumerate(labels)]


def portfolio_codes(store: Store, bank_id: str | None) -> set[str] | None:
    """The enterprises in a bank's portfolio: those with a live consent to it of a scope that shows the
    account (what the bank may list); None (every account) without a bank, for the operator."""
    if bank_id is None:
        return None
    return consented_codes(store, bank_org_id=bank_id, scopes=set(SUMMARY_SCOPES))


def bank_portfolio(store: Store, *, year: int, codes: set[str] | None, bank_id: str | None,
                   profile_id: str = "default") -> dict[str, Any]:
    """The accounts of ``year`` among ``codes`` (None: every account, for the operator) with the bank's
    outstanding loans to each enterprise (the newest ``as_of`` of each loan), grouped three ways."""
    records = query.list_accounts(store, year=year, visible=codes, profile_id=profile_id, size=1_000_000).items
    outstanding: dict[str, float] = defaultdict(float)
    if bank_id is not None:
        loans = schema.data_tables["loans"]
        with store.engine.connect() as con:
            for code, amount in con.execute(sa.select(loans.c.credit_code, loans.c.outstanding_cny)
                                            .where(loans.c.bank_id == bank_id)):
                outstanding[code] += float(amount or 0)
    sections, region_names = industry_sections(), region_codes()
    rows: list[dict[str, Any]] = [
            {"credit_code": r["credit_code"], "name": r["name"], "industry_code": r["industry_code"],
             "region_code": r["region_code"], "grade": r["grade"], "flags": qualifying_flags(r["flags"]),
             "score": r["score"],
             "emissions_t": r["emissions_t"], "intensity": r["intensity"], "green_share": r["green_share"],
             "kwh_total": r["kwh_total"], "kwh_green": r["kwh_green"], "value_10k_cny": r.get("value_10k_cny"),
             "value_basis": r.get("value_basis"),
             "alerts": len(r["alerts"]), "outstanding_cny": outstanding.get(r["credit_code"], 0.0)}
            for r in records]
    by_industry = _group_rows(rows, [str(r["industry_code"])[:1] for r in rows])
    for g in by_industry:
        g["name"] = sections.get(str(g["group"]), "")
    by_region = _group_rows(rows, [str(c) for c in regions.prefecture_code([str(r["region_code"]) for r in rows])])
    for g in by_region:
        g["name"] = region_names.get(str(g["group"]), "")
    totals = _group_rows(rows, ["all"] * len(rows)) or [{"group": "all", "name": "", "enterprises": 0,
                                                       "emissions_t": 0.0, "kwh_total": 0.0, "kwh_green": 0.0,
                                                       "outstanding_cny": 0.0, "intensity": None,
                                                       "green_share": None}]
    return {"year": year, "bank_id": bank_id, "profile_id": profile_id, "totals": totals[0],
            "by_grade": _group_rows(rows, [str(r["grade"] or "-") for r in rows]),
            "by_industry": by_industry, "by_region": by_region, "enterprises": rows}


#: enterprises listed in the PDF/HTML portfolio report (largest emitters first); the xlsx lists all
MAX_LISTED = 100


def portfolio_html(portfolio: dict[str, Any], lang: str) -> str:
    """The portfolio report page: totals, the three groupings with charts, and the largest emitters."""
    w = Words(check_lang(lang))
    rows: list[dict[str, Any]] = portfolio["enterprises"]
    listed = sorted(rows, key=lambda r: (-float(r["emissions_t"] or 0), str(r["credit_code"])))[:MAX_LISTED]
    grouped: dict[str, list[dict[str, Any]]] = {name: portfolio[f"by_{name}"] for name in GROUPINGS}
    bars = {name: charts.share_bars([str(g["group"]) for g in part], [float(g["emissions_t"]) for g in part])
            for name, part in grouped.items() if part}
    return environment().get_template("portfolio.html.j2").render(
        w=w, lang=w.lang, p=portfolio, groups=grouped, bars=bars, listed=listed, unlisted=len(rows) - len(listed),
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def portfolio_xlsx(portfolio: dict[str, Any], lang: str) -> bytes:
    """Sheets: the enterprises, then one per grouping; headers in the chosen language with units."""
    w = Words(check_lang(lang))
    book = Workbook()
    sheet = book.active
    sheet.title = w.t("portfolio_list")[:31]
    head = [w.q("credit_code"), w.q("name"), w.q("industry_code"), w.q("region_code"), w.q("grade"),
            w.q("label.flags"), w.q("score"),
            f"{w.q('emissions_t')} (tCO2)", f"{w.q('intensity')} (tCO2/10k CNY)", f"{w.q('green_share')} (0–1)",
            w.t("alerts_n"), f"{w.t('outstanding')} (CNY)"]
    sheet.append(head)
    for r in portfolio["enterprises"]:
        sheet.append([safe_text(r["credit_code"]), safe_text(r["name"]), r["industry_code"], r["region_code"],
                      r["grade"], "; ".join(w.flag(f) for f in r["flags"]), r["score"], r["emissions_t"],
                      r["intensity"], r["green_share"], r["alerts"], r["outstanding_cny"]])
    for name in GROUPINGS:
        ws = book.create_sheet(w.t(f"by_{name}")[:31])
        ws.append([w.q("group"), w.q("enterprises"), f"{w.q('emissions_t')} (tCO2)",
                   f"{w.q('intensity')} (tCO2/10k CNY)", f"{w.q('green_share')} (0–1)", f"{w.t('outstanding')} (CNY)"])
        for g in portfolio[f"by_{name}"]:
            label = f"{g['group']} {g.get('name', '')}".strip()
            ws.append([safe_text(label), g["enterprises"], g["emissions_t"], g["intensity"], g["green_share"],
                       g["outstanding_cny"]])
    return workbook_bytes(book)


def render_portfolio(portfolio: dict[str, Any], *, fmt: str, lang: str) -> bytes:
    """``fmt``: ``pdf``, ``html`` or ``xlsx``."""
    if fmt == "xlsx":
        return portfolio_xlsx(portfolio, lang)
    html = portfolio_html(portfolio, lang)
    return html.encode() if fmt == "html" else html_to_pdf(html)
