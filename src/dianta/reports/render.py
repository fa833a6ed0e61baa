"""Rendering: the account report as HTML (Jinja2, one fixed template) and PDF (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import math

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
