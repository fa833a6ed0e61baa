"""``dianta export accounts``: JSON, CSV and xlsx with the field names of INTERFACE.md (adapter, leaf)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from dianta.atomic import write_atomically
from dianta.errors import UsageError

#: (dotted field, Chinese name) in export order: INTERFACE.md's fields, then the account's details.
FIELDS: tuple[tuple[str, str], ...] = (
    ("credit_code", "统一社会信用代码"), ("year", "年度"), ("name", "企业名称"), ("industry_code", "行业代码"),
    ("region_code", "行政区划代码"),
    ("kwh_grid", "电网用电量(kWh)"), ("kwh_onsite", "自发自用绿电(kWh)"), ("kwh_total", "总用电量(kWh)"),
    ("kwh_trade", "绿电交易电量(kWh)"), ("kwh_cert", "绿证电量(kWh)"),
    ("kwh_contract", "合同绿电(kWh)"), ("kwh_contract_excess", "超额绿电凭证(kWh)"),
    ("emissions_location_t", "基于位置的排放(tCO2)"), ("emissions_market_t", "基于市场的排放(tCO2)"),
    ("emissions_t", "碳排放量(tCO2)"), ("value_10k_cny", "增加值(万元)"), ("value_basis", "强度口径"),
    ("intensity", "碳排放强度(tCO2/万元)"), ("intensity_prev", "上年碳排放强度(tCO2/万元)"),
    ("reduction_t", "碳减排量(tCO2)"), ("kwh_green", "绿电消费量(kWh)"), ("green_share", "绿电占比"),
    ("green_reduction_t", "绿电减碳量(tCO2)"), ("cfe_score", "逐时匹配无碳电力得分"),
    ("benchmark.group", "基准组"), ("benchmark.size", "基准组规模"), ("benchmark.value", "行业基准强度"),
    ("k", "强度比K"), ("aspect_scores.intensity", "碳排放强度得分"), ("aspect_scores.reduction", "碳减排成效得分"),
    ("aspect_scores.green", "绿电碳中和进度得分"), ("score", "综合得分"), ("grade", "等级"),
    ("label.grade", "标识等级"), ("label.colour", "标识颜色"), ("label.year", "标识年度"),
    ("label.profile_id", "标识方法版本"), ("alerts", "预警"), ("profile_id", "方法版本"),
    ("factors.location.year", "位置因子年份"), ("factors.location.area", "位置因子区域"),
    ("factors.location.kind", "位置因子类型"), ("factors.location.value_kg_per_kwh", "位置因子(kgCO2/kWh)"),
    ("factors.residual.year", "剩余组合因子年份"), ("factors.residual.area", "剩余组合因子区域"),
    ("factors.residual.kind", "剩余组合因子类型"), ("factors.residual.value_kg_per_kwh", "剩余组合因子(kgCO2/kWh)"),
    ("flags", "标记"), ("electricity.load_factor", "负荷率"), ("electricity.operating_rate", "开工率"),
    ("electricity.year_on_year", "用电同比"), ("run_id", "计算批次"), ("inputs_fingerprint", "输入指纹"),
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _get(record: dict[str, object], dotted: str) -> object:
    node: object = record
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def flat_value(record: dict[str, object], dotted: str) -> object:
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


def render(records: list[dict[str, object]], fmt: str) -> bytes:
    """The export as bytes in ``json``, ``csv`` or ``xlsx``."""
    if fmt == "json":
        return (json.dumps(records, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([f for f, _ in FIELDS])
        for r in records:
            w.writerow(["" if (v := safe_text(flat_value(r, f))) is None else v for f, _ in FIELDS])
        return buf.getvalue().encode("utf-8-sig")
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


def write_export(records: list[dict[str, object]], fmt: str, out: Path | None) -> bytes:
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
