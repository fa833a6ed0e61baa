"""``dianta export accounts``: JSON, CSV and xlsx with the field names of INTERFACE.md (adapter, leaf)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dianta.accounts.record import EXPORT_FIELDS, quantity, zh_header
from dianta.atomic import write_atomically
from dianta.errors import UsageError

#: (dotted field, Chinese header) in export order: the record's export fields (accounts/record.py) with their
#: Chinese names and units from the glossary.
FIELDS: tuple[tuple[str, str], ...] = tuple((name, zh_header(quantity(name))) for name in EXPORT_FIELDS)
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
    if dotted == "alerts" and isinstance(value, list):
        return ";".join(f"{a['code']}@{a['month']}" for a in value)
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def safe_text(value: object) -> object:
    """Neutralise spreadsheet formula injection: text starting like a formula is written as text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def render(records: Sequence[Mapping[str, object]], fmt: str) -> bytes:
    """The export as bytes in ``json``, ``csv`` or ``xlsx``."""
    if fmt == "json":
        return (json.dumps(records, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\r\n")
        w.writerow([f for f, _ in FIELDS])
        for r in records:
            w.writerow(["" if (v := safe_text(flat_value(r, f))) is None else v for f, _ in FIELDS])
        return text.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("accounts")
        sheet.append([f"{f} ({zh})" for f, zh in FIELDS])
        for r in records:
            sheet.append([safe_text(flat_value(r, f)) for f, _ in FIELDS])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    raise UsageError(f"--format {fmt} is not one of json, csv, xlsx")


def write_export(records: Sequence[Mapping[str, object]], fmt: str, out: Path | None) -> bytes:
    data = render(records, fmt)
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
