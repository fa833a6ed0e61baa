"""Header cells as users write them (issue 17, DATA-REQUIREMENTS.md "Column names"): the glossary's English
name (``kwh``), its Chinese name (含义, ``月用电量``), both (``kwh (月用电量)`` as the xlsx exports write, ``月用电量
(kwh)`` as the template writes), each with or without the column's unit in brackets (``月用电量（kWh）``).

Names are compared after Unicode NFKC (full-width letters and brackets become their ASCII forms), without case,
blanks, underscores or hyphens: ``KWH_Peak``, ``kwh peak`` and ``峰时 电量`` are the same name. Every part of a
header must name the same column or give its unit, so that a wrong unit (``月用电量 (MWh)``) is refused, never
read as kWh. Pure functions of the glossary; the readers (readers.py) turn their answers into findings.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from dianta.glossary import Column, TableSpec

#: a trailing bracketed part: ``(…)``, ``[…]`` or ``【…】`` (full-width round brackets are ASCII after NFKC)
_TRAILING = re.compile(r"^(?P<base>.*?)\s*[(\[【](?P<inner>[^()\[\]【】]*)[)\]】]\s*$", re.DOTALL)
_IGNORED = re.compile(r"[\s_\-]+")


def name_key(text: str) -> str:
    """The form two spellings of a name share: NFKC, case-folded, without blanks, ``_`` or ``-``."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).casefold())


def parts(header: str) -> list[str]:
    """A header cell split into its name and its bracketed parts, e.g. ``月用电量 (kwh)（kWh）`` into
    ``["月用电量", "kwh", "kWh"]`` (empty parts left out)."""
    text = unicodedata.normalize("NFKC", header).strip()
    inner: list[str] = []
    while (m := _TRAILING.match(text)) is not None and m["base"].strip():
        inner.insert(0, m["inner"].strip())
        text = m["base"].strip()
    return [p for p in (text, *inner) if p]


@dataclass(frozen=True, slots=True)
class Resolved:
    """What a header cell names: ``column`` (the canonical name) when every part names it or gives its unit;
    else ``named`` (the columns some part names: none, or several) and ``stray`` (the parts that name none)."""

    header: str
    column: str | None
    named: tuple[str, ...] = ()
    stray: tuple[str, ...] = ()


def _index(spec: TableSpec) -> dict[str, str]:
    """name key -> canonical column name, for the English and the Chinese name of every column of ``spec``."""
    index: dict[str, str] = {}
    for col in spec.columns:
        for name in (col.name, col.zh):
            index[name_key(name)] = col.name
    return index


def _fits(col: Column, part: str) -> bool:
    k = name_key(part)
    return k in (name_key(col.name), name_key(col.zh)) or (bool(col.unit) and k == name_key(col.unit))


def resolve(header: str, spec: TableSpec) -> Resolved:
    """The column of ``spec`` that ``header`` names (see the module's docstring)."""
    index = _index(spec)
    whole = index.get(name_key(header))
    if whole is not None:
        return Resolved(header, whole)
    pieces = parts(header)
    named = sorted({index[name_key(p)] for p in pieces if name_key(p) in index},
                   key=spec.column_names.index)
    full = [c for c in named if all(_fits(spec.column(c), p) for p in pieces)]
    if len(full) == 1:
        return Resolved(header, full[0])
    if len(named) == 1:
        col = spec.column(named[0])
        return Resolved(header, None, tuple(named), tuple(p for p in pieces if not _fits(col, p)))
    return Resolved(header, None, tuple(named))


def bilingual(col: Column) -> str:
    """``kwh（月用电量）``: how a message names a column in both languages."""
    return f"{col.name}（{col.zh}）"


def closest(header: str, spec: TableSpec, n: int = 3) -> list[str]:
    """The columns of ``spec`` whose English or Chinese name is nearest ``header`` (or its name part), at most
    ``n``, each as :func:`bilingual` names it."""
    index = _index(spec)
    found: list[str] = []
    for probe in dict.fromkeys((name_key(header), *(name_key(p) for p in parts(header)[:1]))):
        for k in difflib.get_close_matches(probe, list(index), n=n, cutoff=0.5):
            if index[k] not in found:
                found.append(index[k])
    return [bilingual(spec.column(c)) for c in found[:n]]
