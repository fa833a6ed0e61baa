"""Write docs/glossary.md and the dashboard's field catalogue src/dianta/web/glossary.js from the glossary module
(the canonical names, types and units; STYLE.md 2).

Run:  python scripts/build_glossary.py      (tests/test_tooling.py checks both files are up to date)
"""

from __future__ import annotations

import json
from pathlib import Path

from dianta.accounts.record import EXPORT_FIELDS, record_fields
from dianta.glossary import FACTOR_COLUMNS, FLAGS, OUTPUTS, QUALIFYING_FLAGS, TABLES

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "glossary.md"
OUT_JS = ROOT / "src" / "dianta" / "web" / "glossary.js"


def render() -> str:
    lines = ["# Glossary (术语表)", "",
             "Generated from `src/dianta/glossary.py` and `src/dianta/accounts/record.py` by "
             "`scripts/build_glossary.py`; every column, field and argument name in Dianta comes from here.", ""]
    for spec in TABLES.values():
        where = "lake (Parquet)" if spec.lake else "ledger"
        lines += [f"## `{spec.name}` — {spec.zh}", "", f"Key: {', '.join(spec.key)}; stored in the {where}.", "",
                  "| column | type | unit | required | meaning | 含义 |", "|---|---|---|---|---|---|"]
        for c in spec.columns:
            kind = c.type + (f" ({'/'.join(c.choices)})" if c.choices else "")
            lines.append(f"| `{c.name}` | {kind} | {c.unit} | {'yes' if c.required else 'no'} | {c.en} | {c.zh} |")
        lines.append("")
    in_record, exported = set(record_fields()), set(EXPORT_FIELDS)
    lines += ["## Output quantities (account fields, exports, API, reports, dashboard)", "",
              "Unit `1`: a fraction from 0 to 1. *Account*: a field of the published account record; *export*: a "
              "column of `dianta export accounts`.", "",
              "| field | name | 名称 | unit | account | export | meaning |", "|---|---|---|---|---|---|---|"]
    for q in OUTPUTS.values():
        unit = q.unit + (f" ({q.unit_zh})" if q.unit_zh else "")
        lines.append(f"| `{q.name}` | {q.en} | {q.zh} | {unit} | {'yes' if q.name in in_record else ''} | "
                     f"{'yes' if q.name in exported else ''} | {q.description} |")
    lines += ["", "## Flags (account `flags`)", "",
              "*Qualifies the grade*: shown wherever the grade is shown (label, lists, portfolio, reports; "
              "METHODOLOGY.md §7b).", "",
              "| flag | text | 文字 | qualifies the grade | set when |", "|---|---|---|---|---|"]
    for f in FLAGS.values():
        lines.append(f"| `{f.code}` | {f.en} | {f.zh} | {'yes' if f.code in QUALIFYING_FLAGS else ''} | "
                     f"{f.description} |")
    lines += ["", "## Emission-factor table (`dianta factors`, `GET /api/v1/factors`; METHODOLOGY.md §2)", "",
              "| field | name | 名称 | unit | meaning |", "|---|---|---|---|---|"]
    for q in FACTOR_COLUMNS.values():
        unit = q.unit + (f" ({q.unit_zh})" if q.unit_zh else "")
        lines.append(f"| `{q.name}` | {q.en} | {q.zh} | {unit} | {q.description} |")
    return "\n".join(lines) + "\n"


def render_js() -> str:
    """The dashboard's field catalogue: each output quantity's names and units, and its ``field.<name>`` texts."""
    quantities = {q.name: {"zh": q.zh, "en": q.en, "unit": q.unit, "unitZh": q.zh_unit} for q in OUTPUTS.values()}
    body = json.dumps(quantities, ensure_ascii=False, indent=2)
    flags = {lang: {f"flag.{f.code}": getattr(f, lang) for f in FLAGS.values()} for lang in ("zh", "en")}
    inputs = {t.name: {"zh": t.zh, "columns": {c.name: c.zh for c in t.columns}} for t in TABLES.values()}
    return (
        "// Generated from src/dianta/glossary.py (OUTPUTS) by scripts/build_glossary.py: do not edit by hand.\n"
        "// tests/test_tooling.py checks it is current. Every output quantity's one Chinese and one English name\n"
        "// and unit (\"1\": a fraction 0–1); i18n.js takes the field.<name> texts from here.\n\n"
        f"export const QUANTITIES = {body};\n\n"
        "const fieldText = (lang) =>\n"
        "  Object.fromEntries(Object.entries(QUANTITIES).map(([name, q]) => [`field.${name}`, q[lang]]));\n\n"
        "export const FIELD_TEXT = { zh: fieldText(\"zh\"), en: fieldText(\"en\") };\n\n"
        "// Every account flag's text (flag.<code>), and the flags that qualify a grade: shown wherever it is.\n"
        f"export const FLAG_TEXT = {json.dumps(flags, ensure_ascii=False, indent=2)};\n\n"
        f"export const QUALIFYING_FLAGS = {json.dumps(list(QUALIFYING_FLAGS))};\n\n"
        "// The input tables of the data requirement table (TABLES): each table's and column's Chinese name (the\n"
        "// English name is the table's or column's own), for the operator's intake pages.\n"
        f"export const INPUT_TABLES = {json.dumps(inputs, ensure_ascii=False, indent=2)};\n"
    )


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    OUT_JS.write_text(render_js(), encoding="utf-8")
    print(f"wrote {OUT} and {OUT_JS}")
