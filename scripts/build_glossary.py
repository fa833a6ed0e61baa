"""Write docs/glossary.md from the glossary module (the canonical names, types and units; STYLE.md 2).

Run:  python scripts/build_glossary.py      (tests/test_tooling.py checks the page is up to date)
"""

from __future__ import annotations

from pathlib import Path

from dianta.accounts.export import FIELDS
from dianta.glossary import TABLES

OUT = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"


def render() -> str:
    lines = ["# Glossary (术语表)", "",
             "Generated from `src/dianta/glossary.py` and `src/dianta/accounts/export.py` by "
             "`scripts/build_glossary.py`; every column, field and argument name in Dianta comes from here.", ""]
    for spec in TABLES.values():
        where = "lake (Parquet)" if spec.lake else "ledger"
        lines += [f"## `{spec.name}` — {spec.zh}", "", f"Key: {', '.join(spec.key)}; stored in the {where}.", "",
                  "| column | type | unit | required | meaning | 含义 |", "|---|---|---|---|---|---|"]
        for c in spec.columns:
            kind = c.type + (f" ({'/'.join(c.choices)})" if c.choices else "")
            lines.append(f"| `{c.name}` | {kind} | {c.unit} | {'yes' if c.required else 'no'} | {c.en} | {c.zh} |")
        lines.append("")
    lines += ["## Account fields (exports, API)", "", "| field | 含义 |", "|---|---|"]
    lines += [f"| `{name}` | {zh} |" for name, zh in FIELDS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
