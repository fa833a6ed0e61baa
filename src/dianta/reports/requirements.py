"""The data requirement table (数据需求表) published as a page and as a downloadable ``.xlsx`` template.

Everything comes from the glossary (:data:`dianta.glossary.TABLES`): one sheet per table in
``TABLE_ORDER``, named as the ingest reader expects (``ingest/readers.py``: the sheet name is the table
name, the header is row 1, each cell ``中文名 (column_name)``), each header cell with a note on its column,
and one example row from the versioned file ``requirements_examples.toml`` (one coherent, valid enterprise).

The reader passes over a sheet named ``README…`` with a warning (it holds notes, not data), so the workbook
as downloaded and filled in ingests as it is.
"""

from __future__ import annotations

import io
import tomllib
from functools import cache
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from dianta.errors import ReferenceDataError, UsageError
from dianta.glossary import TABLE_ORDER, TABLES, Column, ColumnType, TableSpec
from dianta.reference.profile import load_profile
from dianta.reference.tables import certificate_numbering
from dianta.reports.templating import environment

HERE = Path(__file__).parent
EXAMPLES_FILE = HERE / "requirements_examples.toml"
#: the template's file name, as the page links it (relative: served beside the page)
XLSX_NAME = "data_requirements.xlsx"  # a name the upload route accepts as is
README_SHEET = "README 说明"
LANGS = ("zh", "en")

Value = str | int | float | bool | None

#: what a value of each column type looks like: (Chinese, English)
TYPE_TEXT: dict[ColumnType, tuple[str, str]] = {
    "text": ("文本", "text"),
    "credit_code": ("18 位统一社会信用代码，须通过 GB 32100 校验位", "18 characters, GB 32100 check digit"),
    "industry_code": ("GB/T 4754-2017 行业代码：字母加 2–4 位数字，如 C3252",
                      "GB/T 4754-2017 code: a letter and 2–4 digits, e.g. C3252"),
    "region_code": ("现行 GB/T 2260 六位代码（省、市或县级），如 630106",
                    "current GB/T 2260 code, 6 digits (province, city or county), e.g. 630106"),
    "date": ("日期 YYYY-MM-DD", "date YYYY-MM-DD"),
    "month": ("月份 YYYY-MM", "month YYYY-MM"),
    "year": ("年份，四位数字", "year, four digits"),
    "kwh": ("电量，数值 ≥ 0", "energy, a number ≥ 0"),
    "mwh": ("电量，数值 ≥ 0", "energy, a number ≥ 0"),
    "mw": ("功率（兆瓦），数值 ≥ 0", "power in MW, a number ≥ 0"),
    "money_cny": ("金额（元），数值 ≥ 0", "amount in CNY, a number ≥ 0"),
    "money_10k_cny": ("金额（万元），数值 ≥ 0", "amount in 10,000 CNY, a number ≥ 0"),
    "percent": ("百分数 0–100（3.1 表示 3.1 %）", "percent, 0–100 (3.1 means 3.1 %)"),
    "share": ("比例 0–1（1 表示 100 %）", "fraction 0–1 (1 means 100 %)"),
    "bool": ("是否：true 或 false", "yes/no: true or false"),
    "choice": ("取值之一（见可选值）", "one of the allowed values"),
    "ts_quarter_hour": ("时间 ISO 8601，15 分钟的开始时刻（:00、:15、:30、:45），不带时区即北京时间",
                        "ISO 8601 timestamp, start of the 15 minutes (:00, :15, :30, :45); "
                        "China Standard Time unless an offset is given"),
    "ts_hour": ("时间 ISO 8601，整点，不带时区即北京时间",
                "ISO 8601 timestamp on the hour; China Standard Time unless an offset is given"),
}

#: column types kept as text in the workbook (Excel would drop leading zeros or turn months into dates)
_TEXT_TYPES = ("text", "credit_code", "industry_code", "region_code", "date", "month", "choice",
               "ts_quarter_hour", "ts_hour")

STORAGE_TEXT = {False: ("台账（关系库）", "ledger (relational)"),
                True: ("数据湖（Parquet 区间数据）", "lake (Parquet interval data)")}
REQUIRED_TEXT = {True: ("必填", "required"), False: ("选填", "optional")}

#: the green_power values ingest applies (the default profile's, GREEN-POWER.md §9), as the rules state them
_VALIDITY = load_profile("default").certificate_validity_months
_TOLERANCE = f"{load_profile('default').bundled_certificate_tolerance:.0%}"
#: the national certificate numbering's lengths (reference/codes/green-certificate-numbering.toml)
_ID, _FILING = certificate_numbering().length, certificate_numbering().filing_code_length

#: rules across a table's columns or rows (DATA-REQUIREMENTS.md, ingest/validate.py): (Chinese, English)
TABLE_RULES: dict[str, tuple[str, str]] = {
    "enterprises": ("销户日期不早于开户日期；已销户企业保留历史。",
                    "closed_on is not before opened_on; a closed account keeps its history."),
    "meters": ("同一户号的各期间不得重叠，valid_from 为空的行至多一行；户号可在企业之间转移。",
               "a meter's periods must not overlap, at most one row with an empty valid_from; a meter may move "
               "between enterprises."),
    "consumption_monthly": ("月度电量属于该月 1 日持有户号的企业。",
                            "a monthly total belongs to the enterprise holding the meter on the month's first day."),
    "interval_readings": ("读数属于其时刻持有户号的企业；缺数和与月度电量相差超过 2 % 只作提示。",
                          "a reading belongs to the enterprise holding the meter at its time; gaps and a month more "
                          "than 2 % off its monthly total are warnings only."),
    "onsite_generation": ("自发自用电量不大于发电量。", "kwh_self_consumed is not more than kwh_generated."),
    "plants": ("绿电交易和绿证所指明的电站：region_code 为电站发电所在地的现行 GB/T 2260 代码"
               "（决定其所属省份和区域电网，用于市场边界）；"
               f"有国家建档立卡编码（{_FILING} 位）的电站请以其作为 plant_id。",
               "the plants green trades and certificates name: region_code is the current GB/T 2260 code of where "
               "it generates (its province and regional grid, for the market boundary); a plant with a national "
               f"filing code (建档立卡编码, {_FILING} characters) takes it as its plant_id."),
    "green_trades": ("plant_id 须在电站表（本批次或库中）中存在，库中尚无任何电站时暂予接受并提示 plant_unknown；"
                     "每家企业每月每个电站的结算电量应有同一企业、同一生产月份、同一电站的随交易绿证（证电合一）对应，"
                     f"缺口超过 {_TOLERANCE} 时提示 trade_not_backed_by_certificates（仅提示，不拒绝）。",
                     "plant_id must exist in plants (this batch or the store); before any plant is stored it is "
                     "accepted with the warning plant_unknown. Each enterprise's settled kWh of a month and plant "
                     "are expected to be backed by bundled certificates (证电合一) of the same enterprise, "
                     f"production month and plant: more than {_TOLERANCE} short raises the warning "
                     "trade_not_backed_by_certificates (never a refusal)."),
    "green_certificates": ("已为其他企业注销的绿证会被拒绝（不重复计算）；注销日期须在生产月份开始之后、有效期之内"
                           f"（生产月份之后第 {_VALIDITY} 个月的最后一天），否则拒绝；"
                           f"{_ID} 位的国家绿证编号须全为数字和大写字母，"
                           f"其前 {_FILING} 位（项目建档立卡编码）须与作为建档立卡编码填写的 plant_id 一致；"
                           "plant_id 规则同绿电交易表。",
                           "a certificate already retired for another enterprise is refused (no double counting); "
                           "retired_on must fall after its production month began and within its validity (the "
                           f"last day of month {_VALIDITY} after the production month), else it is refused; a "
                           f"{_ID}-character national certificate number holds only digits and capital letters, and "
                           f"its first {_FILING} characters (the project filing code) must equal a plant_id given as "
                           "a filing code; plant_id as for green_trades."),
    "storage_interval": ("为他人供电的储能（如园区能源公司）每个时段的充电量和放电量；企业电表后的储能无需填写"
                         "（电表已计量其充放电）。",
                         "charge and discharge in each interval of storage that supplies others (a park's energy "
                         "company); storage behind an enterprise's own meter needs no rows (the meter sees it)."),
    "economics": ("工业增加值和营业收入至少填一项。", "at least one of value_added_10k_cny and revenue_10k_cny."),
    "loans": ("到期日期不早于放款日期。", "maturity_on is not before drawn_on."),
    "data_centres": ("用电负荷为数据中心的企业；it_meter_id 为站点内部计量 IT 负载的分表，须是该企业自己的户号，"
                     "其电量用于计算 PUE，不计入企业电网用电量。",
                     "enterprises whose load is a data centre; it_meter_id is the sub-meter of the IT load inside the "
                     "site, a meter of the same enterprise: its kWh give the PUE and are not added to the "
                     "enterprise's grid kWh."),
}

#: the page's own words: (Chinese, English)
PAGE_WORDS: dict[str, tuple[str, str]] = {
    "title": ("碳测算数据需求表", "Carbon-calculation data requirement table"),
    "intro": ("平台开立和测算企业电碳账户所需的数据：每张表的列、类型、单位和是否必填，以及一行示例。",
              "What an operator supplies so that the platform can open and calculate electricity-carbon accounts: "
              "every table's columns with type, unit and whether required, and an example row."),
    "download": ("下载 Excel 模板（每张表一个工作表，表头带列说明，含示例行）",
                 "Download the Excel template (one sheet per table, column notes on the header, an example row)"),
    "how_to": ("填写与发送", "How to fill and send"),
    "tables": ("数据表", "Tables"),
    "key": ("键（批次内唯一）", "Key (unique in a batch)"),
    "storage": ("存储", "Storage"),
    "rules": ("规则", "Rules"),
    "lake_note": ("数据量大时请以 CSV 或 Parquet 文件发送", "send long data as a CSV or Parquet file"),
    "column": ("列名", "Column"),
    "meaning": ("含义", "Meaning"),
    "type": ("类型", "Type"),
    "unit": ("单位", "Unit"),
    "required": ("必填", "Required"),
    "choices": ("可选值", "Allowed values"),
    "references": ("引用", "References"),
    "example": ("示例行", "Example row"),
    "examples_version": ("示例数据版本", "Example rows version"),
}

#: how to fill and send the template: (Chinese, English), one point each
HOW_TO: tuple[tuple[str, str], ...] = (
    ("本工作簿每张表一个工作表，工作表名就是表名（如 enterprises），请勿改名，也不要增加其他工作表。",
     "One sheet per table; the sheet name is the table name (e.g. enterprises): do not rename the sheets or add other "
     "sheets."),
    (f"“{README_SHEET}”工作表只是说明，导入时不读取，可保留也可删除。",
     f"The '{README_SHEET}' sheet holds these notes: ingest passes over it, keep or delete it."),
    ("第 1 行是表头，每列写作“中文名 (英文列名)”，如“月用电量 (kwh)”；不要在其上方插入行；鼠标移到表头单元格上可看到该"
     "列的说明（中英文含义、单位、类型、是否必填、可选值、引用的表）。橙色表头为必填列，灰色为选填列；选填列可以整列删除"
     "，但不能增加列。",
     "Row 1 is the header, each column written as 'Chinese name (column name)', e.g. '月用电量 (kwh)'; insert nothing "
     "above it; hover over a header cell for the column's note (meaning, unit, type, required or optional, allowed "
     "values, referenced table). Orange headers are required columns, grey ones optional; an optional column may be "
     "deleted, no column may be added."),
    ("表头也可以只写中文名（如“月用电量”）或只写英文列名（如 kwh），或写作“kwh (月用电量)”（平台导出的 Excel 即如此）"
     "，并可在括号中注明该列的单位（如“月用电量（kWh）”）；全角括号、大小写和空格不影响识别。CSV 和 Parquet 文件的表头"
     "同样如此。同一列只能出现一次：既写“kwh”又写“月用电量”会被拒绝；单位与该列不符（如“月用电量 (MWh)”）也会被拒绝。",
     "A header may also be the Chinese name alone (e.g. '月用电量') or the column name alone (e.g. kwh), or "
     "'kwh (月用电量)' as the platform's Excel exports write it, and may give the column's unit in brackets (e.g. "
     "'月用电量（kWh）'); full-width brackets, case and blanks do not matter. The same holds for the headers of CSV "
     "and Parquet files. A column may appear once: 'kwh' and '月用电量' side by side are refused, and so is a unit "
     "other than the column's (e.g. '月用电量 (MWh)')."),
    ("第 2 行是一家虚构企业的示例，请用贵方数据覆盖或删除；从第 2 行起每行一条记录，空行会被忽略。",
     "Row 2 is an example (a fictional enterprise): overwrite or delete it. From row 2 on, one record per row; empty "
     "rows are ignored."),
    ("必填列不能为空，选填列可以留空。重新发送时，工作表中没有的选填列保留已导入的值，留空的单元格则清空该值。",
     "Required columns must not be empty; optional ones may be. On a re-send, an optional column left out keeps its "
     "stored value, while an empty cell clears it."),
    ("数值列只填数字，不带单位或文字：电量为 kWh（绿证为 MWh），金额为元（列名以 _10k_cny 结尾的为万元），利率为百分数"
     "（3.1 表示 3.1 %）；电量和金额不能为负；千分位逗号须三位一组。",
     "Numeric columns hold numbers only, no units or words: energy in kWh (certificates in MWh), money in CNY (columns "
     "ending in _10k_cny in 10,000 CNY), rates in percent (3.1 means 3.1 %); energy and money are never negative; "
     "thousands separators only in groups of three."),
    ("日期写作 YYYY-MM-DD（如 2025-06-30），月份写作 YYYY-MM（如 2025-06），年份写四位数字。模板中这些列已设为文本格式"
     "，Excel 会保留所填内容；填成 Excel 日期单元格也能识别。",
     "Dates as YYYY-MM-DD (e.g. 2025-06-30), months as YYYY-MM (e.g. 2025-06), years as four digits. These columns are "
     "formatted as text in the template, so Excel keeps what is typed; Excel date cells are read too."),
    ("时间按 ISO 8601 书写，如 2025-06-15T12:00:00（或 2025-06-15 12:00）；不带时区即为北京时间（UTC+8），也可带 "
     "+08:00 或 Z。15 分钟数据记在该 15 分钟的开始时刻（:00、:15、:30、:45），小时数据记在整点。",
     "Timestamps in ISO 8601, e.g. 2025-06-15T12:00:00 (or 2025-06-15 12:00); without an offset they are China "
     "Standard Time (UTC+8), +08:00 or Z may be added. A 15-minute value is stamped with the start of its 15 minutes "
     "(:00, :15, :30, :45), an hourly value with its hour."),
    ("统一社会信用代码 18 位且须通过 GB 32100 校验；行业代码为 GB/T 4754-2017 代码（字母加 2–4 位数字，如 C3252）；行"
     "政区划代码为现行 GB/T 2260 六位代码（省、市或县级）。",
     "Unified social credit codes have 18 characters and pass the GB 32100 check digit; industry codes are GB/T "
     "4754-2017 codes (a letter and 2–4 digits, e.g. C3252); region codes are current 6-digit GB/T 2260 codes "
     "(province, city or county)."),
    ("有可选值的列（如 technology）只能填下拉列表中的值；是否列填 true 或 false（也接受 是/否、1/0）。",
     "Columns with allowed values (e.g. technology) take one of the values of their drop-down list; yes/no columns "
     "take true or false (是/否 and 1/0 are accepted too)."),
    ("引用须对得上：credit_code、meter_id、contract_id 必须在本批次或已导入的数据中存在（先有企业，再有户号和其他数据"
     "）。绿电交易和绿证的 plant_id 须在电站表（plants）中存在；尚未导入任何电站时暂予接受并给出提示。",
     "References must resolve: every credit_code, meter_id and contract_id must exist in this batch or in data already "
     "ingested (the enterprise first, then its meters and the rest). The plant_id of a green trade or certificate "
     "must exist in plants; before any plant has been sent it is accepted with a warning."),
    (f"绿证：注销日期须在有效期内（生产月份之后第 {_VALIDITY} 个月的最后一天前），过期或早于生产月份的会被拒绝；"
     f"绿证编号按国家绿证核发交易系统显示的填写（{_ID} 位）。随绿电交易的绿证（证电合一，bundled 为 true）"
     "按企业、生产月份和电站与结算电量核对，缺口只作提示。",
     f"Certificates: retired_on must fall within the validity (by the last day of month {_VALIDITY} after the "
     "production month); an expired one, or one retired before its production month, is refused; write the "
     f"certificate number as the national green certificate system shows it ({_ID} characters). Bundled "
     "certificates (证电合一, bundled true) are compared with the settled trades by enterprise, production month "
     "and plant; a shortfall is a warning only."),
    ("每张表的键在同一批次中不得重复；再次发送相同的行不会改变任何数据，值不同的行作为更正保存（保留历史）。",
     "A table's key may appear only once in a batch; sending the same row again changes nothing, a row with different "
     "values is stored as a correction (history is kept)."),
    ("区间数据表（数据湖表）interval_readings、onsite_generation_interval、green_trade_profiles 行数很多：超过几千行时"
     "请不要放在工作簿中，改为单独的 CSV 文件（UTF-8 或 GBK，逗号分隔，首行为表头）或 Parquet 文件，并从工作簿中删除对"
     "应工作表（同一张表既有工作表又有文件会被拒绝）。",
     "The interval (lake) tables interval_readings, onsite_generation_interval and green_trade_profiles are long: "
     "beyond a few thousand rows send them as separate CSV files (UTF-8 or GBK, comma, header row) or Parquet files "
     "instead, and delete their sheets from the workbook (a table given both as a sheet and as a file is refused)."),
    ("一个文件夹为一个批次：放入本工作簿（文件名任意，以 .xlsx 结尾；通过网页或接口上传时只能用小写字母和下划线，如 "
     "batch.xlsx），以及按表名命名的文件，如 interval_readings.csv 或 interval_readings.parquet（Parquet 仅限区间数据"
     "表）。以“.”或“~$”开头的文件会被忽略。",
     "One folder is one batch: put this workbook in it (any name ending in .xlsx; when uploaded through the web page "
     "or the API, lowercase letters and underscores only, e.g. batch.xlsx) and the files named after their table, e.g. "
     "interval_readings.csv or interval_readings.parquet (Parquet for the interval tables only). Files starting with "
     "'.' or '~$' are ignored."),
    ("整批要么全部导入，要么全部不导入；被拒绝的每一行都会列出表、行号（与 Excel 显示一致，表头为第 1 行）、列、值和原"
     "因（中英文）。",
     "A batch is applied whole or not at all; every rejected row is reported with its table, row number (as Excel "
     "shows it, the header is row 1), column, value and reason (in Chinese and English)."),
)


# -- example rows -----------------------------------------------------------------------------------------
@cache
def _load_examples() -> tuple[dict[str, object], dict[str, tuple[tuple[str, Value], ...]]]:
    """The TOML checked against the glossary: every table, every column, nothing else."""
    try:
        with EXAMPLES_FILE.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReferenceDataError(f"example rows {EXAMPLES_FILE.name} cannot be read: {exc}",
                                 zh=f"示例行文件 {EXAMPLES_FILE.name} 无法读取：{exc}") from exc
    meta = data.pop("meta", {})
    if set(data) != set(TABLES):
        missing, unknown = sorted(set(TABLES) - set(data)), sorted(set(data) - set(TABLES))
        raise ReferenceDataError(f"{EXAMPLES_FILE.name} must have one table per data table: missing {missing}, "
                                 f"unknown {unknown}",
                                 zh=f"{EXAMPLES_FILE.name} 须为每张数据表提供一张表：缺少 {missing}，多出 {unknown}")
    rows = {}
    for name in TABLE_ORDER:
        spec, given = TABLES[name], data[name]
        if set(given) != set(spec.column_names):
            raise ReferenceDataError(f"{EXAMPLES_FILE.name} [{name}] must list the columns {list(spec.column_names)}"
                                     f" (\"\" for an empty cell), not {list(given)}",
                                     zh=f"{EXAMPLES_FILE.name} [{name}] 须列出以下各列 {list(spec.column_names)}"
                                        f"（空单元格写 \"\"），而不是 {list(given)}")
        row = []
        for col in spec.columns:
            value = given[col.name]
            if not isinstance(value, str | int | float | bool):
                raise ReferenceDataError(f"{EXAMPLES_FILE.name} [{name}] {col.name}: write {value!r} as text",
                                         zh=f"{EXAMPLES_FILE.name} [{name}] {col.name}：请将 {value!r} 写成文本")
            if value == "" and col.required:
                raise ReferenceDataError(f"{EXAMPLES_FILE.name} [{name}] {col.name} is required: give a value",
                                         zh=f"{EXAMPLES_FILE.name} [{name}] {col.name} 为必填：请给出取值")
            row.append((col.name, None if value == "" else value))
        rows[name] = tuple(row)
    return meta, rows


def examples() -> dict[str, dict[str, Value]]:
    """The example row of every table, ``{table: {column: value}}`` in glossary order; ``None`` is empty."""
    return {name: dict(row) for name, row in _load_examples()[1].items()}


def examples_version() -> str:
    """Version and date of the example rows, as the workbook and the page cite them."""
    meta = _load_examples()[0]
    return f"{meta.get('version', '?')} ({meta.get('date', '?')})"


# -- notes on a column ------------------------------------------------------------------------------------
def _reference(spec: TableSpec, col: Column) -> str | None:
    ref = spec.references.get(col.name)
    return f"{ref[0]}.{ref[1]}" if ref else None


def column_note(spec: TableSpec, col: Column) -> str:
    """The note of a header cell, in Chinese and English: meaning, unit, type, required, choices, reference."""
    zh_req, en_req = REQUIRED_TEXT[col.required]
    zh_type, en_type = TYPE_TEXT[col.type]
    lines = [f"{col.name}（{zh_req} {en_req}）",
             f"含义 meaning: {col.zh} / {col.en}",
             f"单位 unit: {col.unit or '无 none'}",
             f"类型 type: {col.type} — {zh_type} / {en_type}"]
    if col.choices:
        lines.append(f"可选值 choices: {', '.join(col.choices)}")
    ref = _reference(spec, col)
    if ref and col.name in spec.provisional_references:
        lines.append(f"引用 references: {ref}（库中有任何电站后须已存在 must exist once any row is stored）")
    elif ref:
        lines.append(f"引用 references: {ref}（须已存在 must exist）")
    if col.name in spec.key:
        lines.append(f"键 key: {', '.join(spec.key)}（批次内不重复 unique in a batch）")
    return "\n".join(lines)


# -- the workbook -----------------------------------------------------------------------------------------
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_OPTIONAL_FILL = PatternFill("solid", fgColor="EDEDED")
_WRAP = Alignment(wrap_text=True, vertical="top")
_LAST_ROW = 1_048_576


def _display_width(text: str) -> int:
    """Width in Excel's character units: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _readme_sheet(sheet: Worksheet) -> None:
    sheet.append(["碳测算数据需求表 · 模板", "Carbon-calculation data requirement table · template"])
    for cell in sheet[1]:
        cell.font = _TITLE
    sheet.append(["填写与发送说明", "How to fill and send"])
    for zh, en in HOW_TO:
        sheet.append([zh, en])
    sheet.append([])
    start = sheet.max_row + 1
    sheet.append(["表 table", "中文名 · 键 key · 存储 storage", "必填列 required columns", "选填列 optional columns",
                  "规则 rules"])
    for name in TABLE_ORDER:
        spec = TABLES[name]
        zh_store, en_store = STORAGE_TEXT[spec.lake]
        sheet.append([name, f"{spec.zh} · {', '.join(spec.key)} · {zh_store} {en_store}",
                      ", ".join(c.name for c in spec.columns if c.required),
                      ", ".join(c.name for c in spec.columns if not c.required),
                      " / ".join(TABLE_RULES.get(name, ()))])
    sheet.append([])
    sheet.append([f"示例数据版本 {examples_version()}：虚构企业，所有代码均有效且相互一致。",
                  f"Example rows version {examples_version()}: a fictional enterprise, every code valid and "
                  "consistent."])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = _WRAP
    for cell in (*sheet[2], *sheet[start]):
        cell.font = _BOLD
    for letter, width in zip("ABCDE", (70, 80, 40, 40, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def header_cell(col: Column) -> str:
    """A column's header in the template: its Chinese name, then its column name, e.g. ``月用电量 (kwh)`` (ingest
    reads either name alone too: ingest/headers.py)."""
    return f"{col.zh} ({col.name})"


def _table_sheet(sheet: Worksheet, spec: TableSpec, example: dict[str, Value]) -> None:
    sheet.append([header_cell(c) for c in spec.columns])
    sheet.append([example[c] for c in spec.column_names])
    for i, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        head = sheet.cell(row=1, column=i)
        head.font = _BOLD
        head.fill = _REQUIRED_FILL if col.required else _OPTIONAL_FILL
        note = column_note(spec, col)
        head.comment = Comment(note, "Dianta", width=420, height=24 * (note.count("\n") + 2))
        dim = sheet.column_dimensions[letter]
        value = example[col.name]
        dim.width = min(max(_display_width(header_cell(col)), _display_width("" if value is None else str(value)), 8)
                        + 3, 40)
        if col.type in _TEXT_TYPES:  # typed entries stay text: leading zeros, months, timestamps
            dim.number_format = "@"
            sheet.cell(row=2, column=i).number_format = "@"
        if col.choices:
            rule = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"', allow_blank=True,
                                  showErrorMessage=True, errorTitle="取值 value",
                                  error=f"请从列表中选择 / choose one of: {', '.join(col.choices)}",
                                  showInputMessage=True, promptTitle=col.name, prompt=f"{col.zh} / {col.en}")
            rule.add(f"{letter}2:{letter}{_LAST_ROW}")
            sheet.add_data_validation(rule)
    sheet.freeze_panes = "A2"


def requirements_xlsx(*, readme: bool = True) -> bytes:
    """The template workbook: a README sheet (unless ``readme`` is false), then one sheet per table in
    ``TABLE_ORDER`` named as the table, its header row each column's Chinese and canonical name
    (:func:`header_cell`, with a note on the column) and one example row. It ingests as it is (the reader
    passes over the README sheet)."""
    book = Workbook()
    book.properties.title = "碳测算数据需求表 Carbon-calculation data requirement table"
    book.properties.creator = "Dianta"
    rows = examples()
    first = book.active
    assert first is not None
    if readme:
        first.title = README_SHEET
        _readme_sheet(first)
    else:
        book.remove(first)
    for name in TABLE_ORDER:
        _table_sheet(book.create_sheet(name), TABLES[name], rows[name])
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- the page ---------------------------------------------------------------------------------------------
def _pair(pair: tuple[str, str], lang: str) -> tuple[str, str]:
    """(text in ``lang``, text in the other language)."""
    return pair if lang == "zh" else (pair[1], pair[0])


def _shown(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def requirements_html(lang: str) -> str:
    """The data requirement table as a standalone HTML page in ``lang`` ("zh" or "en"): every table with its
    key, storage and columns, its example row and a link to the ``.xlsx`` template (``XLSX_NAME``)."""
    if lang not in LANGS:
        raise UsageError.of("bad_lang", what="language", lang=lang)
    rows = examples()
    tables = []
    for name in TABLE_ORDER:
        spec = TABLES[name]
        tables.append({
            "name": name, "zh": spec.zh, "key": spec.key, "storage": _pair(STORAGE_TEXT[spec.lake], lang),
            "lake": spec.lake, "rule": _pair(TABLE_RULES[name], lang)[0] if name in TABLE_RULES else None,
            "columns": [{
                "name": c.name, "meaning": _pair((c.zh, c.en), lang), "type": c.type,
                "type_text": _pair(TYPE_TEXT[c.type], lang)[0], "unit": c.unit,
                "required": c.required, "required_text": _pair(REQUIRED_TEXT[c.required], lang)[0],
                "choices": c.choices, "reference": _reference(spec, c), "key": c.name in spec.key,
            } for c in spec.columns],
            "example": [(c, _shown(rows[name][c])) for c in spec.column_names],
        })
    return environment().get_template("requirements.html.j2").render(
        lang=lang, words={k: _pair(v, lang) for k, v in PAGE_WORDS.items()}, tables=tables,
        how_to=[_pair(p, lang)[0] for p in HOW_TO], xlsx=XLSX_NAME, version=examples_version())
