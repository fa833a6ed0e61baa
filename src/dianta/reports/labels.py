"""The carbon evaluation label (碳评价标识) as an image: SVG, and PNG rendered from it with CairoSVG (in the
shipped CJK typeface, reports/typeface.py).

The label is bilingual (it is shown to anyone, whatever their language) and carries the grade, its colour,
the year, the profile id, the verification code that ``dianta verify-label`` checks (accounts/labels.py) and
every flag that qualifies the grade (METHODOLOGY.md §7b).
"""

from __future__ import annotations

from typing import Literal

import cairosvg

from dianta.accounts.record import Account
from dianta.errors import NotFound
from dianta.glossary import FLAGS, qualifying_flags
from dianta.reports.i18n import colours
from dianta.reports.templating import environment
from dianta.reports.typeface import register_with_fontconfig

LabelFormat = Literal["svg", "png"]


def label_svg(record: Account, *, name: str) -> str:
    """The label of a published account record (NotFound when the account is not rated)."""
    label, score = record.get("label"), record["score"]
    if label is None or score is None:
        raise NotFound.of("not_rated", credit_code=record["credit_code"], year=record["year"])
    fill, ink = colours(label["colour"])
    # §7b: the flags that qualify the grade, one line each in both languages, below the label's body
    flags = [(FLAGS[f].zh, FLAGS[f].en) if f in FLAGS else (f, f) for f in qualifying_flags(record["flags"])]
    return environment().get_template("label.svg.j2").render(
        flags=flags, height=200 + (16 + 20 * len(flags) if flags else 0),
        fill=fill, ink=ink, grade=label["grade"], year=label["year"], profile_id=label["profile_id"],
        code=label.get("verification_code", ""), name=name, name_size=20 if len(name) <= 14 else 14,
        credit_code=record["credit_code"], score=f"{score:.1f}",
        aria=f"碳评价标识 Carbon evaluation label: {name} {label['year']} grade {label['grade']}")


def label_image(record: Account, *, name: str, fmt: LabelFormat, scale: float = 2.0) -> bytes:
    """The label as SVG text (UTF-8) or as a PNG ``scale`` times its size (480 × 200, and 20 px more per flag
    that qualifies the grade)."""
    svg = label_svg(record, name=name)
    if fmt == "svg":
        return svg.encode()
    register_with_fontconfig()  # Chinese on machines without CJK fonts
    return cairosvg.svg2png(bytestring=svg.encode(), scale=scale)
