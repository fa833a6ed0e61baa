"""Structured data-quality findings: every rejection or warning is a record, never a log line.

Each finding has a stable ``code``, a severity (``error`` disqualifies the row, ``warning`` never
refuses a batch), the location (file, table, row as a spreadsheet shows it, column), the offending
value and a message in Chinese and English saying what to do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]

# code -> (English, Chinese) templates; {placeholders} are filled from ``detail``.
MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_file": (
        "'{value}' is not a table of the data requirement table; rename it to one of: {expected}",
        "文件“{value}”不是数据需求表中的表；请改名为以下之一：{expected}",
    ),
    "too_long": (
        "the text '{value}' is longer than {limit} characters; no column of the data requirement table needs "
        "that much: check the export",
        "文本“{value}”超过 {limit} 个字符；数据需求表中没有哪一列需要这么长：请检查导出的文件",
    ),
    "readme_sheet": (
        "sheet '{value}' holds notes, not data: it was not read (only sheets named after a table are)",
        "工作表“{value}”是说明而非数据，未导入（只导入以表名命名的工作表）",
    ),
    "no_tables": (
        "the folder holds no table file (.csv, .xlsx or interval .parquet); put the batch's files in it",
        "文件夹中没有数据表文件（.csv、.xlsx 或区间数据 .parquet）；请放入本批次的文件",
    ),
    "two_sources": (
        "table '{table}' is given twice ({value}); keep one file per table",
        "表“{table}”出现了两次（{value}）；每张表只保留一个文件",
    ),
    "unreadable": (
        "the file cannot be read: {reason}; save it again as {expected}",
        "文件无法读取：{reason}；请重新保存为 {expected}",
    ),
    "encoding": (
        "the file is neither UTF-8 nor GBK text; save it as 'CSV UTF-8' from Excel",
        "文件既不是 UTF-8 也不是 GBK 编码；请在 Excel 中另存为“CSV UTF-8”",
    ),
    "extra_column": (
        "column '{column}' is not part of table '{table}'; {suggest}remove it or rename it to one of (English or "
        "Chinese name): {expected}",
        "列“{column}”不属于表“{table}”；{suggest_zh}请删除或改名为以下之一（英文或中文列名均可）：{expected}",
    ),
    # a header may give a column's English name, its Chinese name, both, and its unit (ingest/headers.py)
    "column_named_twice": (
        "the headers '{first}' and '{second}' both name column '{column}' ({column_zh}); a column may be given "
        "once, in English or in Chinese: delete one of the two columns",
        "表头“{first}”和“{second}”指同一列“{column}”（{column_zh}）；每列只能出现一次（中文或英文列名均可）："
        "请删除其中一列",
    ),
    "header_two_columns": (
        "the header '{value}' names more than one column: {named}; write one column's name (English or Chinese)",
        "表头“{value}”同时指向多个列：{named}；请只写一个列名（中文或英文）",
    ),
    "header_words": (
        "the header '{value}' names column '{column}' ({column_zh}), but '{stray}' is neither its name nor its "
        "unit ({unit}); write the header as '{column}' or '{column_zh}' (the unit may follow in brackets), with "
        "the values in {unit}",
        "表头“{value}”指列“{column}”（{column_zh}），但“{stray}”既不是该列的名称也不是其单位（{unit_zh}）；"
        "请将表头写为“{column}”或“{column_zh}”（可在括号中注明单位），数值以 {unit_zh} 填写",
    ),
    "duplicate_column": (
        "column '{column}' appears more than once in the header; keep one",
        "表头中列“{column}”出现多次；只保留一列",
    ),
    "missing_column": (
        "required column '{column}' ({column_zh}) is missing from table '{table}'; add it to the header (as "
        "'{column}' or '{column_zh}')",
        "表“{table}”缺少必填列“{column}”（{column_zh}）；请在表头中加上该列（写作“{column_zh}”或“{column}”）",
    ),
    "ragged_row": (
        "the row has {value} cells but the header has {expected}; check for stray commas or quotes",
        "该行有 {value} 个单元格而表头有 {expected} 个；请检查多余的逗号或引号",
    ),
    "required": (
        "'{column}' is empty; fill in a value",
        "“{column}”为空；请填写",
    ),
    "not_a_number": (
        "'{value}' is not a number; write a plain decimal such as 1234.5",
        "“{value}”不是数字；请填写如 1234.5 的数值",
    ),
    "negative": (
        "{value} is negative; energy and money are never negative",
        "{value} 为负数；电量和金额不能为负",
    ),
    "out_of_range": (
        "{value} is out of range: {reason}",
        "{value} 超出范围：{reason_zh}",
    ),
    "not_a_date": (
        "'{value}' is not a date; write YYYY-MM-DD (e.g. 2024-01-05)",
        "“{value}”不是日期；请写成 YYYY-MM-DD（如 2024-01-05）",
    ),
    "not_a_month": (
        "'{value}' is not a month; write YYYY-MM (e.g. 2024-01)",
        "“{value}”不是月份；请写成 YYYY-MM（如 2024-01）",
    ),
    "not_a_year": (
        "'{value}' is not a year; write four digits such as 2024",
        "“{value}”不是年份；请写四位数字，如 2024",
    ),
    "not_a_timestamp": (
        "'{value}' is not a timestamp; write ISO 8601 such as 2024-01-05T13:15:00 (China Standard Time)",
        "“{value}”不是时间；请写成 ISO 8601 格式，如 2024-01-05T13:15:00（北京时间）",
    ),
    "not_quarter_hour": (
        "{value} is not on a 15-minute boundary; readings start at :00, :15, :30 or :45",
        "{value} 不在 15 分钟整点上；读数应从 :00、:15、:30 或 :45 开始",
    ),
    "not_hour": (
        "{value} is not on the hour; hourly rows start at :00",
        "{value} 不在整点；小时数据应从 :00 开始",
    ),
    "not_a_boolean": (
        "'{value}' is not true/false; write true or false",
        "“{value}”不是布尔值；请填写 true 或 false",
    ),
    "bad_choice": (
        "'{value}' is not allowed; use one of: {expected}",
        "“{value}”不是允许的取值；请使用：{expected}",
    ),
    "bad_credit_code": (
        "'{value}' is not a valid unified social credit code (18 characters, GB 32100 check digit); "
        "check it against the business licence",
        "“{value}”不是有效的统一社会信用代码（18 位，GB 32100 校验位）；请对照营业执照核对",
    ),
    "bad_industry_code": (
        "'{value}' is not a GB/T 4754-2017 industry code (letter + 2–4 digits with an existing division, "
        "e.g. C3216); look it up in the national industry classification",
        "“{value}”不是 GB/T 4754-2017 行业代码（字母加 2–4 位数字且大类存在，如 C3216）；请查国民经济行业分类",
    ),
    "bad_region_code": (
        "'{value}' is not a current GB/T 2260 region code (6 digits, e.g. 630000, 630100, 632801); "
        "use the current code of the province, city or county",
        "“{value}”不是现行 GB/T 2260 行政区划代码（6 位，如 630000、630100、632801）；请使用现行省、市或县级代码",
    ),
    "duplicate_key": (
        "key {value} appears more than once in this batch (also row {reason}); keep one row per key",
        "键 {value} 在本批次中重复出现（另见第 {reason} 行）；每个键只保留一行",
    ),
    "unknown_reference": (
        "{column} '{value}' does not exist in this batch or in the store; add its {reason} row first",
        "{column}“{value}”在本批次和库中都不存在；请先添加对应的{reason_zh}",
    ),
    "unknown_borrower": (
        "{column} '{value}' has no account on this platform; the loan is recorded and shows as not covered until "
        "the enterprise has an account and grants the bank consent",
        "{column}“{value}”在本平台没有电碳账户；贷款已记录，在该企业开立账户并向银行授权之前显示为未覆盖",
    ),
    "rejected_reference": (
        "{column} '{value}' refers to a row that was rejected in this batch; fix that row first",
        "{column}“{value}”引用了本批次中被拒绝的行；请先修正该行",
    ),
    "meter_unassigned": (
        "meter '{value}' is held by no enterprise at {reason}; add or extend its meters row",
        "户号“{value}”在 {reason} 不属于任何企业；请添加或延长其 meters 记录",
    ),
    "monthly_unassigned": (
        "the monthly total of meter '{value}' for {reason} belongs to no enterprise: no meters row holds the meter "
        "on the first or the last day of {reason}; add or extend the meters row of the enterprise that used it",
        "户号“{value}”{reason} 的月度电量不属于任何企业：meters 表中没有任何企业在 {reason} 的第一天或最后一天"
        "持有该户号；请为实际用电的企业添加或延长其 meters 记录",
    ),
    "it_meter_elsewhere": (
        "IT sub-meter '{value}' is not a meter of this data centre: no meters row gives it to the data centre's "
        "credit_code (GREEN-POWER.md §11: the IT load is metered inside the site); give the data centre's own "
        "sub-meter, or add its meters row",
        "IT 负载分表“{value}”不是该数据中心的户号：meters 表中没有该户号属于此数据中心统一社会信用代码的记录"
        "（IT 负载分表应位于站点内部）；请填写数据中心自己的分表户号，或补充其 meters 记录",
    ),
    "park_membership_overlap": (
        "enterprise '{value}' would be in two parks at once ({reason}); an enterprise belongs to at most one park at a "
        "time: end the earlier membership (valid_to) before the later one starts",
        "企业“{value}”将同时属于两个园区（{reason_zh}）；同一时间一家企业只能属于一个园区：请让前一段入园期间"
        "（valid_to）在后一段开始之前结束",
    ),
    "meter_overlap": (
        "meter '{value}' has periods that overlap ({reason}); a meter is held by one enterprise at a time",
        "户号“{value}”的归属期间重叠（{reason_zh}）；同一时间一个户号只能属于一家企业",
    ),
    "meter_open_twice": (
        "meter '{value}' has more than one row with an empty valid_from; give each row its start date",
        "户号“{value}”有多行 valid_from 为空；请为每行填写起始日期",
    ),
    "period_order": (
        "{column} {value} is before {reason}; swap or correct the dates",
        "{column} {value} 早于 {reason}；请更正日期",
    ),
    "self_consumed_exceeds": (
        "kwh_self_consumed {value} is more than kwh_generated {reason}; self-consumption cannot exceed generation",
        "自发自用电量 {value} 大于发电量 {reason}；自用电量不能超过发电量",
    ),
    "economics_empty": (
        "neither value_added_10k_cny nor revenue_10k_cny is given; fill in at least one",
        "工业增加值和营业收入均为空；请至少填写一项",
    ),
    "certificate_elsewhere": (
        "certificate '{value}' is already retired for enterprise {reason}; a certificate counts once",
        "绿证“{value}”已为企业 {reason} 注销；一张绿证只能计算一次",
    ),
    "certificate_expired": (
        "retired on {value}, after the certificate's validity ended on {reason} (the last day of the month "
        "{months} months after its production month, GREEN-POWER.md §9): an expired certificate cannot be claimed; "
        "check the retirement date or remove the certificate",
        "注销日期 {value} 晚于绿证有效期截止日 {reason}（生产月份之后第 {months} 个月的最后一天，GREEN-POWER.md §9）："
        "过期的绿证不能用于声明绿电消费；请核对注销日期或删除该绿证",
    ),
    "retired_before_production": (
        "retired on {value}, before its production month {reason} began: a certificate is issued after its "
        "electricity is produced; check retired_on and vintage_month",
        "注销日期 {value} 早于生产月份 {reason} 的开始：绿证在电量生产之后才核发；请核对 retired_on 和 vintage_month",
    ),
    "certificate_id_malformed": (
        "certificate '{value}' has the {length} characters of the national green certificate numbering but not only "
        "digits and capital letters; copy the number exactly as the national green certificate system shows it",
        "绿证编号“{value}”为国家绿证编码的 {length} 位，但不全是数字和大写字母；"
        "请按国家绿证核发交易系统显示的编号准确填写",
    ),
    "certificate_id_other_plant": (
        "plant_id '{value}' contradicts the certificate's number, whose first 17 characters (the project's national "
        "filing code) are {reason}; correct plant_id or certificate_id",
        "电站编号“{value}”与绿证编号不符：绿证编号前 17 位（项目建档立卡编码）为 {reason}；"
        "请更正 plant_id 或 certificate_id",
    ),
    "certificate_id_other_month": (
        "vintage_month '{value}' contradicts the certificate's number, which states the production month {reason}; "
        "correct vintage_month or certificate_id",
        "生产月份“{value}”与绿证编号不符：编号中的电量生产月份为 {reason}；请更正 vintage_month 或 certificate_id",
    ),
    "plant_unknown": (
        "{column} '{value}' names a plant, but no plant has been sent yet: accepted for now; send the plants table so "
        "that plants can be checked and the market boundary applied (once any plant is stored, an unknown plant is "
        "refused)",
        "{column}“{value}”指明了电站，但尚未导入任何电站：暂予接受；请导入电站表（plants），以便核对电站并按市场边界"
        "计算（库中一旦有电站，未知电站将被拒绝）",
    ),
    "trade_not_backed_by_certificates": (
        "enterprise {value}, {month}, plant {plant}: contracts {contracts} settled {settled} kWh, but the bundled "
        "certificates of that enterprise, production month and plant stand for {bundled} kWh, short by "
        "more than {tolerance}; the account flags the month (the annual figures are unchanged): send the bundled "
        "certificates",
        "企业 {value} {month} 电站 {plant_zh}：合同 {contracts} 结算绿电 {settled} kWh，"
        "而该企业同一生产月份、同一电站的随交易绿证（证电合一）仅对应 {bundled} kWh，缺口超过 {tolerance}；"
        "账户将标记该月（年度数据不变）：请补充随交易绿证",
    ),
    "more_rows": (
        "… and {value} more rows of table '{table}' with the same problem ({reason}); fix them the same way",
        "……表“{table}”另有 {value} 行存在同样的问题（{reason}）；请同样修正",
    ),
    "interval_gap": (
        "meter '{value}' has {reason} missing 15-minute readings ({expected} of its period in this batch)",
        "户号“{value}”在本批次期间缺少 {reason} 个 15 分钟读数（占 {expected}）",
    ),
    "monthly_mismatch": (
        "meter '{value}' month {reason}: the 15-minute readings sum to {interval_kwh} kWh but the monthly total is "
        "{monthly_kwh} kWh (more than 2 % apart); the account will flag meter_mismatch",
        "户号“{value}”{reason} 月：15 分钟数据合计 {interval_kwh} kWh，而月度用电量为 {monthly_kwh} kWh"
        "（相差超过 2%）；核算时将标记 meter_mismatch",
    ),
    "storage_efficiency_capped": (
        "the storage of '{value}' discharged {kwh_discharged} kWh in {year} but charged only {kwh_charged} kWh; "
        "its round-trip efficiency is taken as 1 (GREEN-POWER.md §9c): check the storage meter's "
        "kwh_charged and kwh_discharged",
        "“{value}”的储能在 {year} 年放电 {kwh_discharged} kWh，但仅充电 {kwh_charged} kWh；充放电效率按 1 计"
        "（GREEN-POWER.md §9c）：请核对储能电表的充电量和放电量",
    ),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One data-quality finding (STYLE.md 5). ``row`` counts as a spreadsheet does: header = row 1."""

    code: str
    severity: Severity
    table: str
    row: int | None
    column: str | None
    value: str | None
    message_en: str
    message_zh: str
    file: str | None = None
    #: the header cell as the file wrote it, where it differs from ``column`` (e.g. ``月用电量`` for ``kwh``)
    header: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def finding(
    code: str,
    *,
    table: str,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
    severity: Severity = "error",
    file: str | None = None,
    header: str | None = None,
    **detail: object,
) -> Finding:
    """Build a finding from the message catalogue, filling the templates from ``detail``."""
    en, zh = MESSAGES[code]
    fields = {"table": table, "column": column, "value": value, **detail}
    fields.setdefault("reason_zh", fields.get("reason"))
    text = None if value is None else str(value)
    return Finding(code, severity, table, row, column, text, en.format(**fields), zh.format(**fields), file,
                   None if header == column else header)
