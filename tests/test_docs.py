"""The clone is self-sufficient (issue 14): every link in the project's Markdown and every clause the code cites
("METHODOLOGY.md §7b", "STYLE.md 2") resolves to a file, and a section, inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
DOCS = {p.name: p for p in (*(ROOT / "docs" / "spec").glob("*.md"), *(ROOT / "docs").glob("*.md"))}
CITATION = re.compile(
    r"\b(METHODOLOGY|GREEN-POWER|DATA-REQUIREMENTS|INTERFACE|DESIGN|STYLE)\.md(?:,? ?§ ?(\d+[a-z]?))?")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _texts() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md")),
            *sorted((ROOT / "src").rglob("*.py")), *sorted((ROOT / "src").rglob("*.toml")),
            *sorted((ROOT / "tests").glob("*.py")), *sorted((ROOT / "bench").glob("*"))]


def test_the_spec_and_design_notes_are_in_the_repository():
    for name in ("METHODOLOGY.md", "GREEN-POWER.md", "DATA-REQUIREMENTS.md", "INTERFACE.md"):
        assert (ROOT / "docs" / "spec" / name).is_file(), name
    for name in ("DESIGN.md", "STYLE.md", "glossary.md"):
        assert (ROOT / "docs" / name).is_file(), name


def test_every_cited_clause_resolves_inside_the_repository():
    sections = {name: set(re.findall(r"^#+ (?:§ ?)?(\d+[a-z]?)\.", path.read_text(encoding="utf-8"), flags=re.M))
                for name, path in DOCS.items()}
    styles = set(re.findall(r"^(\d+)\. ", DOCS["STYLE.md"].read_text(encoding="utf-8"), flags=re.M))
    unresolved = []
    for path in _texts():
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for m in CITATION.finditer(text):
            name, clause = f"{m.group(1)}.md", m.group(2)
            if name not in DOCS:
                unresolved.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
            elif clause and clause not in sections[name]:
                unresolved.append(f"{path.relative_to(ROOT)}: {m.group(0)} (no such section)")
        for m in re.finditer(r"\bSTYLE\.md (\d+)\b", text):
            if m.group(1) not in styles:
                unresolved.append(f"{path.relative_to(ROOT)}: {m.group(0)} (no such item)")
    assert unresolved == []


def test_every_markdown_link_resolves():
    broken = []
    for page in (ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md")),
                 *sorted((ROOT / "bench").glob("*.md"))):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []
