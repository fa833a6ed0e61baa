"""Build the CJK font shipped with the package (issue 14): Noto Sans CJK SC, subset.

Reports must render Chinese on any machine, so the package ships its own font instead of relying on the
system's. Source: Debian's ``fonts-noto-cjk`` (Noto Sans CJK SC, version 2.004, SIL Open Font License 1.1, no
reserved font names; the licence ships beside the font as ``OFL.txt``). The whole font is 16 MB per weight, so it is
subset to what the reports can print:

- every Chinese character of GB 2312 (the 6,763 hanzi of everyday text: enterprise names, addresses);
- every character in the package's own text (templates, message catalogues, code tables such as GB/T 2260 region
  names and GB/T 4754 industry names, the dashboard's catalogue), so rare characters of place names are included;
- ASCII, Latin-1, general punctuation, CJK symbols and punctuation, full-width forms, arrows and the few math signs
  the reports use.

A character outside the subset falls back to the system's fonts (as before). Regenerate after adding text with
new characters:  ``apt-get install fonts-noto-cjk && python scripts/build_font.py``
(tests/test_tooling.py checks that every Chinese character of the package's text is in the shipped font).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "dianta"
OUT = PACKAGE / "reports" / "fonts"
SOURCE = Path("/usr/share/fonts/opentype/noto")
WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}
SC_INDEX = 2  # the collection's "Noto Sans CJK SC" member
TEXT_SUFFIXES = {".j2", ".css", ".toml", ".csv", ".md", ".js", ".html", ".py", ".svg", ".json"}


def gb2312_hanzi() -> set[str]:
    """The 6,763 hanzi of GB 2312 (rows 16–87 of the code table)."""
    out: set[str] = set()
    for hi in range(0xB0, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                out.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def package_text() -> set[str]:
    """Every character in the package's own text files (templates, catalogues, code tables, dashboard)."""
    chars: set[str] = set()
    for path in PACKAGE.rglob("*"):
        skipped = "vendor" in path.parts or "static" in path.parts
        if path.is_file() and path.suffix in TEXT_SUFFIXES and not skipped:
            chars |= set(path.read_text(encoding="utf-8", errors="ignore"))
    return chars


def wanted() -> set[str]:
    ranges = [(0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF),
              (0x2500, 0x257F), (0x25A0, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x2070, 0x209F),
              (0x2100, 0x214F)]
    chars = {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}
    return chars | gb2312_hanzi() | {c for c in package_text() if ord(c) >= 0x20}


def build(weight: str, text: set[str]) -> Path:
    font = TTCollection(str(SOURCE / WEIGHTS[weight])).fonts[SC_INDEX]
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx"]
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(text)))
    sub.subset(font)
    font.flavor = "woff2"  # WeasyPrint reads WOFF2 (brotli comes with its fontTools); a third of the OTF's size
    out = OUT / f"NotoSansSC-{weight}.woff2"
    font.save(str(out))
    return out


def main() -> int:
    if not SOURCE.is_dir():
        print("needs Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    text = wanted()
    for weight in WEIGHTS:
        path = build(weight, text)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.1f} MB, {len(text)} characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
