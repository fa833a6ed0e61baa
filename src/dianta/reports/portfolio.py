"""A bank's portfolio of consented enterprises: accounts by grade, industry and region with emissions,
intensity and green share (the issue's portfolio report), as data, PDF and xlsx.

Group figures are sums over the enterprises of the group: emissions Σ C [tCO2]; intensity Σ C / Σ V over the
enterprises with a positive value V [tCO2 / 10k CNY] (the group's own intensity, not a mean of ratios); green share
Σ E_green / Σ E_total [fraction], as in the programme statistics.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa
from openpyxl import Workbook

from dianta.accounts import query
from dianta.accounts.export import safe_text, workbook_bytes
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


def _group_rows(records: list[dict[str, object]], key_of: Callable[[dict[str, object]], str]
                ) -> list[dict[str, object]]:
    sums: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in records:
        s = sums[key_of(r)]
        s["enterprises"] += 1
        s["emissions_t"] += float(r["emissions_t"] or 0)  # type: ignore[arg-type]
        s["kwh_total"] += float(r["kwh_total"] or 0)  # type: ignore[arg-type]
        s["kwh_green"] += float(r["kwh_green"] or 0)  # type: ignore[arg-type]
        s["outstanding_cny"] += float(r.get("outstanding_cny") or 0)  # type: ignore[arg-type]
        if float(r.get("value_10k_cny") or 0) > 0 and r.get("emissions_t") is not None:  # type: ignore[arg-type]
            s["emissions_with_value_t"] += float(r["emissions_t"])  # type: ignore[arg-type]
            s["value_10k_cny"] += float(r["value_10k_cny"])  # type: ignore[arg-type]
    return [{"group": k, "name": "", "enterprises": int(v["enterprises"]), "emissions_t": v["emissions_t"],
             "kwh_total": v["kwh_total"], "kwh_green": v["kwh_green"], "outstanding_cny": v["outstanding_cny"],
             "intensity": v["emissions_with_value_t"] / v["value_10k_cny"] if v["value_10k_cny"] else None,
             "green_share": v["kwh_green"] / v["kwh_total"] if v["kwh_total"] else None}
            for k, v in sorted(sums.items())]


def portfolio_codes(store: Store, bank_id: str | None) -> set[str] | None:
    """The enterprises in a bank's portfolio: those with a live consent to it of a scope that shows the
    account (what the bank may list); None (every account) without a bank, for the operator."""
    if bank_id is None:
        return None
    return consented_codes(store, bank_org_id=bank_id, scopes=set(SUMMARY_SCOPES))


def bank_portfolio(store: Store, *, year: int, codes: set[str] | None, bank_id: str | None,
                   profile_id: str = "default") -> dict[str, object]:
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
    sections, regions = industry_sections(), region_codes()
    rows = [{"credit_code": r["credit_code"], "name": r["name"], "industry_code": r["industry_code"],
             "region_code": r["region_code"], "grade": r["grade"], "score": r["score"],
             "emissions_t": r["emissions_t"], "intensity": r["intensity"], "green_share": r["green_share"],
             "kwh_total": r["kwh_total"], "kwh_green": r["kwh_green"], "value_10k_cny": r.get("value_10k_cny"),
             "value_basis": r.get("value_basis"),
             "alerts": len(r["alerts"]), "outstanding_cny": outstanding.get(str(r["credit_code"]), 0.0)}  # type: ignore[arg-type]
            for r in records]
    by_industry = _group_rows(rows, lambda r: str(r["industry_code"])[:1])
    for g in by_industry:
        g["name"] = sections.get(str(g["group"]), "")
    by_region = _group_rows(rows, lambda r: str(r["region_code"])[:4] + "00")
    for g in by_region:
        g["name"] = regions.get(str(g["group"]), "")
    totals = _group_rows(rows, lambda _r: "all") or [{"group": "all", "name": "", "enterprises": 0,
                                                       "emissions_t": 0.0, "kwh_total": 0.0, "kwh_green": 0.0,
                                                       "outstanding_cny": 0.0, "intensity": None,
                                                       "green_share": None}]
    return {"year": year, "bank_id": bank_id, "profile_id": profile_id, "totals": totals[0],
            "by_grade": _group_rows(rows, lambda r: str(r["grade"] or "-")),
            "by_industry": by_industry, "by_region": by_region, "enterprises": rows}


#: enterprises listed in the PDF/HTML portfolio report (largest emitters first); the xlsx lists all
MAX_LISTED = 100


def portfolio_html(portfolio: dict[str, object], lang: str) -> str:
    """The portfolio report page: totals, the three groupings with charts, and the largest emitters."""
    w = Words(check_lang(lang))
    rows: list[dict[str, object]] = portfolio["enterprises"]  # type: ignore[assignment]
    listed = sorted(rows, key=lambda r: (-float(r["emissions_t"] or 0), str(r["credit_code"])))[:MAX_LISTED]  # type: ignore[arg-type]
    groups = {name: portfolio[f"by_{name}"] for name in GROUPINGS}
    bars = {name: charts.share_bars([str(g["group"]) for g in rows], [float(g["emissions_t"]) for g in rows])  # type: ignore[union-attr]
            for name, rows in groups.items() if rows}
    return environment().get_template("portfolio.html.j2").render(
        w=w, lang=w.lang, p=portfolio, groups=groups, bars=bars, listed=listed, unlisted=len(rows) - len(listed),
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def portfolio_xlsx(portfolio: dict[str, object], lang: str) -> bytes:
    """Sheets: the enterprises, then one per grouping; headers in the chosen language with units."""
    w = Words(check_lang(lang))
    book = Workbook()
    sheet = book.active
    sheet.title = w.t("portfolio_list")[:31]
    head = [w.t("credit_code"), w.t("enterprise_name"), w.t("industry"), w.t("region"), w.t("grade"), w.t("score"),
            f"{w.t('emissions_t')} (tCO2)", f"{w.t('intensity')} (tCO2/10k CNY)", f"{w.t('green_share')} (0–1)",
            w.t("alerts_n"), f"{w.t('outstanding')} (CNY)"]
    sheet.append(head)
    for r in portfolio["enterprises"]:  # type: ignore[attr-defined]
        sheet.append([safe_text(r["credit_code"]), safe_text(r["name"]), r["industry_code"], r["region_code"],
                      r["grade"], r["score"], r["emissions_t"], r["intensity"], r["green_share"], r["alerts"],
                      r["outstanding_cny"]])
    for name in GROUPINGS:
        ws = book.create_sheet(w.t(f"by_{name}")[:31])
        ws.append([w.t("group"), w.t("enterprises"), f"{w.t('emissions_t')} (tCO2)",
                   f"{w.t('intensity')} (tCO2/10k CNY)", f"{w.t('green_share')} (0–1)", f"{w.t('outstanding')} (CNY)"])
        for g in portfolio[f"by_{name}"]:  # type: ignore[attr-defined]
            label = f"{g['group']} {g.get('name', '')}".strip()
            ws.append([safe_text(label), g["enterprises"], g["emissions_t"], g["intensity"], g["green_share"],
                       g["outstanding_cny"]])
    return workbook_bytes(book)


def render_portfolio(portfolio: dict[str, object], *, fmt: str, lang: str) -> bytes:
    """``fmt``: ``pdf``, ``html`` or ``xlsx``."""
    if fmt == "xlsx":
        return portfolio_xlsx(portfolio, lang)
    html = portfolio_html(portfolio, lang)
    return html.encode() if fmt == "html" else html_to_pdf(html)
