"""Chinese text uses full-width punctuation (issue 17, item 5: "full-width punctuation in Chinese").

Every Chinese string the user reads from a catalogue — the dashboard's (web/i18n.js and the views' own zh blocks),
the reports' (reports/messages.toml), the glossary's names, flags and alerts — has no half-width , ; : ! ? ( ) next
to a Chinese character: "登录已过期，请重新登录。", "停产（当月用电为零）". Formulas keep mathematical notation
(``min(负荷, 绿电)``): they are named below, one by one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dianta import glossary

SRC = Path(__file__).resolve().parents[1] / "src" / "dianta"
#: a half-width mark touching a CJK character or a full-width mark
WIDE = r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]"
HALF_WIDTH = re.compile(rf"{WIDE}[,;:!?()]|[,;:!?()]{WIDE}")
CJK = re.compile(r"[\u3400-\u9fff]")
#: formulas written in mathematical notation (messages.toml keys)
FORMULAS = {"text.cfe_def", "text.park_method_1", "text.park_method_2", "indicators.reduction_t"}


def _zh_block(source: str) -> str:
    """The ``zh: { … }`` block of a catalogue object, up to its ``en: {``."""
    start = source.index("  zh: {")
    return source[start:source.index("  en: {", start)]


def _dashboard_strings() -> list[tuple[str, str]]:
    out = []
    for path in sorted((SRC / "web").glob("*.js")):
        source = path.read_text(encoding="utf-8")
        if "  zh: {" not in source or path.name == "glossary.js":
            continue
        out += [(path.name, s) for s in re.findall(r'"([^"\n]*)"', _zh_block(source)) if CJK.search(s)]
    return out


def _report_strings() -> list[tuple[str, str]]:
    messages = tomllib.loads((SRC / "reports" / "messages.toml").read_text(encoding="utf-8"))
    out = []

    def walk(node: object, key: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{key}.{k}" if key else k)
        elif isinstance(node, list) and node and isinstance(node[0], str) and key not in FORMULAS:
            out.append((key, node[0]))

    walk(messages, "")
    return out


def _glossary_strings() -> list[tuple[str, str]]:
    out = [(q.name, q.zh) for q in glossary.OUTPUTS.values()]
    out += [(f"{t.name}.{c.name}", c.zh) for t in glossary.TABLES.values() for c in t.columns]
    out += [(f.code, f.zh) for f in glossary.FLAGS.values()] + [(a.code, a.zh) for a in glossary.ALERTS.values()]
    return out


@pytest.mark.parametrize("source", [_dashboard_strings, _report_strings, _glossary_strings],
                         ids=["dashboard", "reports", "glossary"])
def test_chinese_strings_use_full_width_punctuation(source):
    strings = source()
    assert len(strings) > 20  # the catalogue was found
    assert [(where, s) for where, s in strings if HALF_WIDTH.search(s)] == []


def test_the_check_catches_half_width_marks():
    assert HALF_WIDTH.search("登录已过期,请重新登录。") and HALF_WIDTH.search("停产(当月用电为零)")
    assert not HALF_WIDTH.search("登录已过期，请重新登录。") and not HALF_WIDTH.search("kgCO₂/kWh (2023)")
