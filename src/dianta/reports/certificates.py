"""The green-computing certificate (绿电绿算溯源证书, GREEN-POWER.md §11) as HTML and PDF, in Chinese or English:
the certificate's figures with their glossary names (:data:`dianta.glossary.CERTIFICATE_FIELDS`), its trace by
source and its verification code (:mod:`dianta.accounts.computing`)."""

from __future__ import annotations

import datetime as dt

from dianta.accounts.record import ComputingCertificate
from dianta.glossary import CERTIFICATE_FIELDS
from dianta.lang import Lang, check_lang
from dianta.reports.i18n import Words
from dianta.reports.render import SHOWN_AS, html_to_pdf
from dianta.reports.templating import environment

#: the figures of the certificate's table, in order
FIGURES = ("level", "kwh_load", "green_share", "cfe_score", "kwh_matched_hourly", "kwh_cert_monthly_matched", "pue")


def certificate_html(cert: ComputingCertificate, lang: str, *, name: str = "",
                     generated_at: dt.datetime | None = None) -> str:
    """The certificate as one self-contained HTML page."""
    w = Words(check_lang(lang))

    def field(key: str) -> str:
        q = CERTIFICATE_FIELDS[key]
        text = q.zh if w.lang == "zh" else q.en
        unit = SHOWN_AS.get(q.unit, q.unit)
        return f"{text} ({unit})" if unit else text

    def shown(key: str, value: object) -> str:
        if key == "level":
            return w.word("computing_levels", value) if value else w.t("certificate_none")
        unit = CERTIFICATE_FIELDS[key].unit
        if unit == "1":
            return w.pct(value)
        if unit == "kWh":
            return "—" if value is None else w.num(float(value) / 1000, 3)  # type: ignore[arg-type]
        return w.num(value, 3)

    traced = sum(t["kwh"] for t in cert["trace"])
    return environment().get_template("certificate.html.j2").render(
        w=w, lang=w.lang, c=cert, name=name, field=field,
        figures=[(field(k), shown(k, cert[k])) for k in FIGURES],  # type: ignore[literal-required]
        trace_total=w.num(traced / 1000, 3),
        generated_at=(generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"))


def render_certificate(cert: ComputingCertificate, *, fmt: str, lang: Lang | str, name: str = "") -> bytes:
    """``fmt``: ``html`` (UTF-8) or ``pdf`` (WeasyPrint, the shipped font)."""
    html = certificate_html(cert, lang, name=name)
    return html.encode() if fmt == "html" else html_to_pdf(html)
