"""The park report (园区绿电报告) and the park label (园区绿电标识), GREEN-POWER.md §10 "report, label and API as for an
enterprise": HTML (Jinja2) and PDF (WeasyPrint) like the account report, the label as SVG and PNG like the carbon
label. Aggregates only: the park's pooled figures, its members' count and its supplier's name, never a member's
figures. Reads only; the caller authorises and audits.

``render_park_report(store, park_id, year, fmt, lang)`` and ``park_label_image(store, park_id, year, fmt, lang)``
are what the CLI (``dianta report --park``, ``dianta label --park``) and the API's park routes call.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import cairosvg
import sqlalchemy as sa

from dianta.accounts.record import ParkAccount
from dianta.errors import NotFound, UsageError
from dianta.glossary import HOUR_BANDS, OUTPUTS
from dianta.lang import check_lang
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reports import charts
from dianta.reports.content import region_name
from dianta.reports.i18n import Words, catalogue
from dianta.reports.render import html_to_pdf
from dianta.reports.templating import environment
from dianta.reports.typeface import register_with_fontconfig

#: the report's tables, in order (record fields; their names and units from the glossary)
POOLED = ("kwh_grid", "kwh_onsite", "kwh_supplier_green", "kwh_total", "kwh_contract", "kwh_contract_excess",
          "kwh_green", "emissions_location_t", "emissions_market_t", "emissions_t", "emissions_market_hourly_t",
          "value_10k_cny", "intensity")
PROGRESS = ("green_share", "target_green_share", "expected_green_share", "shortfall_mwh", "cfe_score",
            "kwh_matched_hourly", "hours_fully_green_share", "uncovered_load_share")
STORAGE = ("gap_storage.shortfall_mwh", "gap_storage.surplus_mwh", "gap_storage.round_trip_efficiency",
           "gap_storage.covered_mwh", "gap_storage.energy_mwh", "gap_storage.power_mw", "gap_storage.remaining_mwh")
#: digits shown per glossary unit (kWh are shown as MWh)
DIGITS = {"kWh": 1, "MWh": 3, "MW": 3, "tCO2": 3, "tCO2/10k CNY": 4, "10k CNY": 1}


@dataclass(slots=True)
class ParkReport:
    """Everything the park report shows: the published park account, its region's and supplier's names and the
    park's earlier published years (its trajectory so far)."""

    record: ParkAccount
    region_name: str
    supplier_name: str | None
    history: list[ParkAccount] = field(default_factory=list)


def _not_found(key: str, **fields: object) -> NotFound:
    return NotFound(Words("en").t(key, **fields), zh=Words("zh").t(key, **fields))


def park_account(store: Store, park_id: str, year: int, profile_id: str = "default") -> ParkAccount:
    """The published account of ``park_id`` for ``year`` (NotFound, in Chinese and English, for a park that is not
    defined or has no account that year)."""
    parks, pa_ = schema.data_tables["parks"], schema.park_accounts
    with store.engine.connect() as con:
        if con.execute(sa.select(parks.c.park_id).where(parks.c.park_id == park_id)).first() is None:
            raise _not_found("park_unknown", park=park_id)
        text = con.execute(sa.select(pa_.c.record_json).where(
            pa_.c.park_id == park_id, pa_.c.year == year, pa_.c.profile_id == profile_id)).scalar()
    if text is None:
        raise _not_found("park_no_account", park=park_id, year=year, profile=profile_id)
    record: ParkAccount = json.loads(text)
    return record


def gather_park_report(store: Store, *, park_id: str, year: int, profile_id: str = "default") -> ParkReport:
    """What the report of ``park_id``'s account for ``year`` shows."""
    record = park_account(store, park_id, year, profile_id)
    pa_, ent = schema.park_accounts, schema.data_tables["enterprises"]
    with store.engine.connect() as con:
        history = [json.loads(r) for r in con.execute(sa.select(pa_.c.record_json).where(
            pa_.c.park_id == park_id, pa_.c.profile_id == profile_id, pa_.c.year <= year).order_by(pa_.c.year)
        ).scalars()]
        supplier = record.get("supplier_credit_code")
        name = None if not supplier else con.execute(
            sa.select(ent.c.name).where(ent.c.credit_code == supplier)).scalar()
    return ParkReport(record=record, region_name=region_name(record["region_code"]) or record["region_code"],
                      supplier_name=name, history=history)


def _get(record: ParkAccount, dotted: str) -> object:
    node: object = record
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def shown(w: Words, name: str, value: object) -> str:
    """A record value for people, in the glossary unit of ``name`` (kWh shown as MWh, fractions as %)."""
    unit = OUTPUTS[name].unit
    if value is None:
        return "—"
    if unit == "1":
        return w.pct(value)
    if unit == "kWh":
        return f"{w.num(float(value) / 1000, 1)} MWh"  # type: ignore[arg-type]
    if unit in DIGITS:
        return f"{w.num(value, DIGITS[unit])} {OUTPUTS[name].zh_unit if w.lang == 'zh' else unit}"
    return str(value)


def _band_name(w: Words, code: str) -> str:
    zh, en = HOUR_BANDS.get(code, (code, code))
    return zh if w.lang == "zh" else en


def park_report_html(report: ParkReport, lang: str, *, generated_at: dt.datetime | None = None) -> str:
    """The park report as one self-contained HTML page."""
    w = Words(check_lang(lang))
    r = report.record
    bands = r.get("shortfall_by_band_mwh")
    hours = r.get("hour_bands") or {}
    context = {
        "w": w, "lang": w.lang, "r": r, "rep": report,
        "generated_at": (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "q": w.q, "show": lambda name, value: shown(w, name, value),
        "pooled": [(w.q(k), shown(w, k, r.get(k))) for k in POOLED],
        "progress": [(w.q(k), shown(w, k, r.get(k))) for k in PROGRESS],
        "history": [(h["year"], shown(w, "green_share", h["green_share"]),
                     shown(w, "expected_green_share", h.get("expected_green_share"))) for h in report.history],
        "headline": w.t("park_green_vs_target", share=w.pct(r["green_share"]),
                        target=w.pct(r["target_green_share"], 0)),
        "heatmap_svg": charts.shortfall_heatmap(grid) if (grid := r.get("shortfall_map_mwh")) else None,
        "bands": None if bands is None else [
            (_band_name(w, code), "{:02d}–{:02d}".format(*hours.get(code, ["", ""])) if code in hours else "—",
             shown(w, f"shortfall_by_band_mwh.{code}", mwh)) for code, mwh in bands.items()],
        "bands_total": None if not r.get("gap_storage") else shown(w, "gap_storage.shortfall_mwh",
                                                                    _get(r, "gap_storage.shortfall_mwh")),
        "storage": None if not r.get("gap_storage") else [(w.q(k), shown(w, k, _get(r, k))) for k in STORAGE],
        "alerts": [w.alert(a) for a in r["alerts"]],
        "label_svg": park_label_svg(r, w.lang) if r.get("verification_code") else None,
        "messages_version": catalogue()["version"],
    }
    return environment().get_template("park.html.j2").render(**context)


def park_label_svg(record: ParkAccount, lang: str = "zh") -> str:
    """The park label: green share against the target, hourly CFE, the year and the verification code; in ``lang``
    with the other language below (it is shown to anyone)."""
    w, other = Words(check_lang(lang)), Words("en" if lang == "zh" else "zh")
    share, target = record["green_share"], record["target_green_share"]
    name = record["park_name"]
    return environment().get_template("park_label.svg.j2").render(
        title=w.t("park_label_title"), subtitle=other.t("park_label_title"), name=name,
        name_size=20 if len(name) <= 14 else 14, park_id=record["park_id"], year=record["year"],
        share=w.pct(share, 0), share_label=w.q("green_share"), target_label=w.t("park_label_target"),
        target=w.pct(target, 0), cfe_label=w.q("cfe_score"), cfe=w.pct(record.get("cfe_score"), 0),
        bar=max(0.0, min(1.0, share / target if target > 0 else 1.0)), year_label=w.t("park_label_year"),
        profile_label=w.t("park_label_profile"), profile_id=record["profile_id"],
        code_label=w.q("verification_code"), code=record.get("verification_code") or "—",
        aria=f"{w.t('park_label_title')} {other.t('park_label_title')}: {name} {record['year']}")


def render_park_report(store: Store, park_id: str, year: int, fmt: str, lang: str, *,
                       profile_id: str = "default") -> bytes:
    """The park report of ``park_id`` for ``year`` as ``fmt`` ``pdf`` or ``html`` (UTF-8) in ``lang``."""
    if fmt not in ("pdf", "html"):
        raise UsageError(f"--format {fmt} is not one of pdf, html", zh=f"--format {fmt} 不是 pdf 或 html")
    html = park_report_html(gather_park_report(store, park_id=park_id, year=year, profile_id=profile_id), lang)
    return html.encode() if fmt == "html" else html_to_pdf(html)


def park_label_image(store: Store, park_id: str, year: int, fmt: str, lang: str, *, profile_id: str = "default",
                     scale: float = 2.0) -> bytes:
    """The park label of ``park_id`` for ``year`` as SVG text (UTF-8) or a PNG ``scale`` times its size (480 × 220)."""
    if fmt not in ("svg", "png"):
        raise UsageError(f"--format {fmt} is not one of svg, png", zh=f"--format {fmt} 不是 svg 或 png")
    svg = park_label_svg(park_account(store, park_id, year, profile_id), lang)
    if fmt == "svg":
        return svg.encode()
    register_with_fontconfig()  # Chinese on machines without CJK fonts
    return cairosvg.svg2png(bytestring=svg.encode(), scale=scale)
