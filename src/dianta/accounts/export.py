"""``dianta export accounts`` and ``export parks``: JSON, CSV and xlsx with the field names of INTERFACE.md (adapter,
leaf)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dianta.accounts.record import EXPORT_FIELDS, PARK_EXPORT_FIELDS, quantity, zh_header
from dianta.atomic import write_atomically
from dianta.errors import UsageError

#: (dotted field, Chinese header) in export order: the record's export fields (accounts/record.py) with their
#: Chinese names and units from the glossary.
FIELDS: tuple[tuple[str, str], ...] = tuple((name, zh_header(quantity(name))) for name in EXPORT_FIELDS)
#: the same for park accounts (GREEN-POWER.md §10, INTERFACE.md ``export parks``)
PARK_FIELDS: tuple[tuple[str, str], ...] = tuple((name, zh_header(quantity(name))) for name in PARK_EXPORT_FIELDS)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _get(record: Mapping[str, object], dotted: str) -> object:
    node: object = record
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def flat_value(record: Mapping[str, object], dotted: str) -> object:
    """One cell: nested objects by dotted name, arrays joined with ';' (alerts as code@month)."""
    value = _get(record, dotted)
    if dotted == "alerts" and isinstance(value, list):  # an account's {code, month}; a park's codes
        return ";".join(f"{a['code']}@{a['month']}" if isinstance(a, Mapping) else str(a) for a in value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def safe_text(value: object) -> object:
    """Neutralise spreadsheet formula injection: text starting like a formula is written as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def render(records: Sequence[Mapping[str, object]], fmt: str,
           fields: tuple[tuple[str, str], ...] = FIELDS, sheet_name: str = "accounts") -> bytes:
    """The export as bytes in ``json`` (every field of each record), ``csv`` or ``xlsx`` (the ``fields``)."""
    if fmt == "json":
        first = [f for f, _ in fields if "." not in f]  # the listed fields first, in order, then the rest
        ordered = [{**{k: r[k] for k in first if k in r}, **r} for r in records]
        return (json.dumps(ordered, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow([f for f, _ in fields])
        for r in records:
            w.writerow(["" if (v := safe_text(flat_value(r, f))) is None else v for f, _ in fields])
        return text.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(sheet_name)
        sheet.append([f"{f} ({zh})" for f, zh in fields])
        for r in records:
            sheet.append([safe_text(flat_value(r, f)) for f, _ in fields])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    raise UsageError.of("export_format", fmt=fmt)


def write_export(records: Sequence[Mapping[str, object]], fmt: str, out: Path | None, *,
                 parks: bool = False) -> bytes:
    data = render(records, fmt, PARK_FIELDS, "parks") if parks else render(records, fmt)
    if out is not None:
        write_atomically(out, data)
    return data


def workbook_bytes(book: Any) -> bytes:
    """An openpyxl workbook as .xlsx bytes, each sheet's header row bold and frozen."""
    from openpyxl.styles import Font

    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
