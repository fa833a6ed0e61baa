"""WCAG AA contrast of the grade colours (issue 17 item 9): the text of every grade badge of the dashboard
(app.css) and of every label colour of the reports (reports/messages.toml [colours]) has a contrast ratio of at
least 4.5:1 on its fill (WCAG 2.1 §1.4.3, normal text), and the dashboard's chart colours (ui.js GRADE_COLOURS)
are the badges' fills."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[1] / "src" / "dianta" / "web"
REPORTS = Path(__file__).resolve().parents[1] / "src" / "dianta" / "reports"


def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb: 0.2126 R + 0.7152 G + 0.0722 B of the linearised channels."""
    channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_on_known_pairs() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)  # (1 + 0.05) / (0 + 0.05)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic just-failing grey
    # white on the old grade-5 red #d64545: L = 0.2126·0.672 + 0.7152·0.0595 + 0.0722·0.0595 = 0.1897 → 1.05 / 0.2397
    assert contrast("#d64545", "#ffffff") == pytest.approx(4.38, abs=0.01)  # below 4.5: why grade 5 is darker now


def _badges() -> dict[int, tuple[str, str]]:
    """Grade → (fill, text) of the dashboard's .grade-N badges, the fills resolved from the --gN variables."""
    css = (WEB / "app.css").read_text()
    variables = dict(re.findall(r"--(g\d):\s*(#[0-9a-fA-F]{6})", css))
    out = {}
    for grade in range(6):
        rule = re.search(rf"\.grade-{grade} \{{([^}}]*)\}}", css)
        assert rule, f"no .grade-{grade} rule in app.css"
        body = rule.group(1)
        fill = re.search(r"background:\s*(var\(--(g\d)\)|#[0-9a-fA-F]{6})", body)
        assert fill
        colour = variables[fill.group(2)] if fill.group(2) else fill.group(1)
        text = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", body)
        out[grade] = (colour, text.group(1) if text else "#ffffff")  # .grade, .grade-big: white by default
    return out


def test_grade_badges_meet_aa() -> None:
    ratios = {grade: round(contrast(fill, text), 2) for grade, (fill, text) in _badges().items()}
    # measured: 0 grey/dark 5.80, 1 dark green/white 5.08, 2 light green/dark 6.30, 3 yellow/dark 6.80,
    # 4 orange/dark 6.13, 5 red #c53030/white 5.47
    assert ratios == {0: 5.80, 1: 5.08, 2: 6.30, 3: 6.80, 4: 6.13, 5: 5.47}
    assert min(ratios.values()) >= 4.5


def test_chart_grade_colours_are_the_badges() -> None:
    js = (WEB / "ui.js").read_text()
    colours = dict(re.findall(r'(\d): "(#[0-9a-fA-F]{6})"', re.search(r"GRADE_COLOURS = \{([^}]*)\}", js).group(1)))
    assert {int(g): c.lower() for g, c in colours.items()} == {g: f.lower() for g, (f, _) in _badges().items() if g}


def test_report_label_colours_meet_aa() -> None:
    colours = tomllib.loads((REPORTS / "messages.toml").read_text())["colours"]
    ratios = {name: round(contrast(fill, text), 2) for name, (fill, text) in colours.items()}
    # measured: dark green/white 5.40, light green/dark 5.86, yellow/#222 9.46, orange/dark 6.21, red/white 4.69
    assert ratios == {"dark_green": 5.4, "light_green": 5.86, "yellow": 9.46, "orange": 6.21, "red": 4.69}
    assert min(ratios.values()) >= 4.5
