"""Rendering: the account report as HTML (Jinja2, one fixed template) and PDF (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import math

from dianta.accounts.peers import TREND_FIELDS, PeerFigure, Peers, Trend
from dianta.accounts.record import Account
from dianta.calc import evaluation
from dianta.glossary import OUTPUTS
from dianta.lang import Lang, check_lang
from dianta.reference.profile import Profile, shipped_profile
from dianta.reports import charts
from dianta.reports.content import AccountReport, region_name
from dianta.reports.i18n import Words, catalogue
from dianta.reports.labels import label_svg
from dianta.reports.templating import TEMPLATES, environment
from dianta.reports.typeface import font_faces_css

#: the six indicators of §5 in the report's order
INDICATORS = ("emissions_t", "intensity", "reduction_t", "kwh_green", "green_share", "green_reduction_t")
#: how the report shows a glossary unit: energy in MWh, fractions in per cent
SHOWN_AS = {"kWh": "MWh", "1": "%"}


def shown_unit(name: str) -> str:
    """The unit the report shows an output quantity in (its glossary unit, kWh as MWh, fractions as %)."""
    unit = OUTPUTS[name].unit
    return SHOWN_AS.get(unit, unit)


#: the traceability fields of an account (GREEN-POWER.md §9–§9b) and what an account published before them reads as
TRACEABILITY_DEFAULTS: dict[str, object] = {
    "emissions_market_hourly_t": None, "kwh_matched_hourly": None, "kwh_cert_monthly_matched": None,
    "kwh_outside_boundary": 0.0, "market_method": "annual", "market_boundary": "national", "instruments": [],
    "unbacked_trades": []}


def indicator_basis(record: Account) -> str:
    """Which figure indicator 1 (``emissions_t``, §5) is: ``market_hourly`` (GREEN-POWER.md §9b), ``market_annual``
    (C_mkt) or ``location`` (C_loc)."""
    hourly = record.get("emissions_market_hourly_t")
    if record.get("market_method") == "hourly" and hourly is not None and record["emissions_t"] == hourly:
        return "market_hourly"
    return "market_annual" if record["emissions_t"] == record["emissions_market_t"] else "location"


def area_name(area: object, w: Words) -> str:
    """A factor's area or a market boundary's area in words: 全国, a regional grid, a province (GB/T 2260)."""
    code = str(area)
    return w.word("areas", code) if code in catalogue()["areas"] else (region_name(code) or code)


def advice(record: Account, profile: Profile | None, w: Words) -> list[str]:
    """What would raise the account's score, aspect by aspect (§7b): the aspects below their top step; for
    the green aspect, the green MWh that reach the next step (trades or certificates)."""
    scores = record["aspect_scores"]
    aspects = {"intensity": scores["intensity"], "reduction": scores["reduction"], "green": scores["green"]}
    if profile is None:
        return []
    tops = {"intensity": max(s for _, s in profile.intensity_cuts),
            "reduction": max(s for _, s in profile.reduction_cuts), "green": max(s for _, s in profile.green_cuts)}
    out = []
    for aspect in ("intensity", "reduction"):
        value = aspects.get(aspect)
        if value is not None and value < tops[aspect]:
            out.append(w.advice(aspect))
    share, green = record.get("green_share"), aspects.get("green")
    if share is not None and green is not None and green < tops["green"]:
        target = float(evaluation.next_step_at_least(share, profile.green_cuts))
        if not math.isnan(target):
            kwh = float(evaluation.green_kwh_to_share(target, record["kwh_total"], record["kwh_green"]))
            out.append(w.advice("green", share=w.pct(share), target=w.pct(target, 0), mwh=w.num(kwh / 1000, 1)))
    return out or [w.advice("top")]


def _peer_value(f: PeerFigure, x: float | None, w: Words) -> str:
    """A compared figure as the report shows it: intensity with 4 decimals, score with 1, shares in per cent."""
    if f["metric"] == "green_share":
        return w.pct(x)
    return w.num(x, 4 if f["metric"] == "intensity" else 1)


def peer_lines(peers: Peers | None, w: Words) -> list[dict[str, object]]:
    """The account's intensity, score and green share among its peers, in words, with a strip of the distribution
    (issue 17; accounts/peers.py)."""
    out: list[dict[str, object]] = []
    for f in peers["figures"] if peers else []:
        assert peers is not None
        group = "" if f["group"] is None else w.t(f"peers_{f['group_level']}", group=f["group"],
                                                  name=f["group_name_zh"] or "")
        notes: list[str] = []
        strip = None
        if f["status"] in ("no_industry", "too_small"):
            text = w.t("peers_no_industry") if f["status"] == "no_industry" else \
                w.t("peers_too_small", min=peers["min_group_size"])
        else:
            pct = w.pct(f["percentile"], 0) if f["percentile"] is not None else w.t("not_available")
            text = w.t("peers_rank", value=_peer_value(f, f["value"], w), rank=f["rank"], size=f["size"], pct=pct) \
                if f["status"] == "ranked" else w.t("peers_no_value")
            if f["status"] == "ranked" and not f["member"]:
                notes.append(w.t("peers_placed"))
            if f["excluded"]:
                notes.append(w.t("peers_excluded", n=f["excluded"]))
            strip = charts.peer_strip(f["distribution"] or [], f["value"], higher_is_better=f["higher_is_better"],
                                      percent=f["metric"] == "green_share")
        out.append({"metric": f["metric"], "name": w.q(f["metric"]), "group": group.strip(), "text": text,
                    "notes": notes, "strip": strip,
                    "better": w.t("peers_higher_better" if f["higher_is_better"] else "peers_lower_better")})
    return out


def _change(field: str, c: float | None, w: Words) -> str:
    """A year-on-year change as the report shows it (the arrow, then the change), empty without one."""
    if c is None:
        return ""
    arrow = "▲" if c > 0 else "▼" if c < 0 else "＝"
    if field == "grade":
        text = w.t("trend_grade_change", v=f"{c:+.0f}")
    elif field in ("intensity", "emissions_t"):
        text = f"{c * 100:+.1f} %"
    elif field == "score":
        text = f"{c:+.1f}"
    else:
        text = w.t("trend_points", v=f"{c * 100:+.1f}")
    return f"{arrow} {text}"


def trend_rows(trend: Trend | None, w: Words) -> list[dict[str, object]]:
    """Every year on record with its figures and their changes against the year before (issue 17)."""
    shown = {"grade": lambda x: str(int(x)) if x is not None else w.t("not_rated"),
             "score": lambda x: w.num(x, 1), "intensity": lambda x: w.num(x, 4), "emissions_t": lambda x: w.num(x, 1),
             "green_share": lambda x: w.pct(x), "cfe_score": lambda x: w.pct(x)}
    return [{"year": y["year"], "cells": [(shown[f](y[f]), _change(f, y["changes"].get(f), w))  # type: ignore[literal-required]
                                          for f in TREND_FIELDS]}
            for y in (trend["years"] if trend else [])]


def account_report_html(report: AccountReport, lang: str, *, generated_at: dt.datetime | None = None) -> str:
    """The account report (the issue's fixed template) as one self-contained HTML page."""
    w = Words(check_lang(lang))
    r = report.record
    el = r["electricity"]
    assert isinstance(el, dict)
    profile = shipped_profile(str(r["profile_id"]))
    tou = el.get("time_of_use")
    traced = {**TRACEABILITY_DEFAULTS, **{k: r[k] for k in TRACEABILITY_DEFAULTS if k in r}}  # type: ignore[literal-required]
    area = report.boundary_area
    context = {
        "w": w, "lang": w.lang, "r": r, "el": el, "rep": report, "ent": report.enterprise,
        "generated_at": (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "label_svg": label_svg(r, name=str(r["name"])) if r.get("label") else None,
        "monthly_svg": charts.monthly_bars(el["monthly_kwh"], el["monthly_kwh_prev_year"]),
        "tou_svg": charts.tou_split([tou[p] for p in ("peak", "flat", "valley")]) if tou else None,
        "heatmap_svg": charts.matching_heatmap(r["hourly_matching"]) if r.get("hourly_matching") else None,  # type: ignore[arg-type]
        "indicators": [(key, *w.indicator(key), shown_unit(key)) for key in INDICATORS],
        "weights": None if profile is None else {"intensity": profile.weight_intensity,
                                                 "reduction": profile.weight_reduction,
                                                 "green": profile.weight_green},
        "advice": advice(r, profile, w), "tou_colours": charts.TOU_COLOURS,
        "tr": traced, "basis": indicator_basis(r), "area_name": lambda a: area_name(a, w),
        "boundary": w.word("boundaries", traced["market_boundary"]).format(
            area=area_name(area, w) if area else w.t("not_available")),
        "chart_colours": (charts.THIS_YEAR, charts.LAST_YEAR),
        "messages_version": catalogue()["version"],
        "peer_lines": peer_lines(report.peers, w), "min_group_size": report.peers["min_group_size"] if report.peers
        else None, "trend_rows": trend_rows(report.trend, w),
        "trend_fields": [(f, shown_unit(f) if f not in ("grade", "score") else "") for f in TREND_FIELDS],
    }
    return environment().get_template("account.html.j2").render(**context)


def html_to_pdf(html: str) -> bytes:
    """A PDF of a report page (WeasyPrint), its Chinese set in the font shipped with the package (fonts/)."""
    import weasyprint  # imported here: it loads pango, which the rest of Dianta never needs
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    shipped = weasyprint.CSS(string=font_faces_css(), font_config=fonts)
    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf(stylesheets=[shipped], font_config=fonts)


def render_account_report(report: AccountReport, *, fmt: str, lang: Lang | str) -> bytes:
    """``fmt``: ``html`` (UTF-8) or ``pdf``."""
    html = account_report_html(report, lang)
    return html.encode() if fmt == "html" else html_to_pdf(html)
