"""Canonical names, types and units of every table and column (the glossary, STYLE.md 2).

Every column name in ingest, the store, the engine, the calculation and the exports comes from here.
The tables are those of the data requirement table (DATA-REQUIREMENTS.md); ``lake`` tables hold
interval data as Parquet, the others live in the relational ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal[
    "text", "credit_code", "industry_code", "region_code", "date", "month", "year", "kwh", "mwh", "money_cny",
    "money_10k_cny", "percent", "bool", "choice", "ts_quarter_hour", "ts_hour",
]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    required: bool
    unit: str
    en: str
    zh: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    lake: bool = False
    # column -> (referenced table, referenced column)
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    zh: str = ""
    # referencing columns whose value may be unknown to the store: a warning, not a refusal (a bank's book holds
    # borrowers without an account; refusing them would tell a bank which credit codes have one, issue 12)
    soft_references: frozenset[str] = frozenset()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, type_: ColumnType, required: bool, unit: str, en: str, zh: str, choices: tuple[str, ...] = ()
       ) -> Column:
    return Column(name, type_, required, unit, en, zh, choices)


TECHNOLOGIES_ONSITE = ("solar", "wind", "other")
TECHNOLOGIES_GREEN = ("solar", "wind", "hydro", "biomass", "geothermal", "other")

CREDIT_CODE = _c("credit_code", "credit_code", True, "", "unified social credit code", "统一社会信用代码")
METER_ID = _c("meter_id", "text", True, "", "meter account number", "户号")
MONTH = _c("month", "month", True, "YYYY-MM", "calendar month", "月份")

TABLES: dict[str, TableSpec] = {t.name: t for t in (
    TableSpec("enterprises", ("credit_code",), (
        CREDIT_CODE,
        _c("name", "text", True, "", "enterprise name", "企业名称"),
        _c("industry_code", "industry_code", True, "", "GB/T 4754-2017 industry code", "行业代码"),
        _c("region_code", "region_code", True, "", "GB/T 2260 region code", "行政区划代码"),
        _c("opened_on", "date", False, "date", "account opened on", "开户日期"),
        _c("closed_on", "date", False, "date", "account closed on", "销户日期"),
    ), zh="企业"),
    TableSpec("meters", ("meter_id", "valid_from"), (
        METER_ID, CREDIT_CODE,
        _c("valid_from", "date", False, "date", "held from (inclusive)", "起始日期"),
        _c("valid_to", "date", False, "date", "held to (inclusive)", "截止日期"),
    ), references={"credit_code": ("enterprises", "credit_code")}, zh="户号"),
    TableSpec("consumption_monthly", ("meter_id", "month"), (
        METER_ID, MONTH,
        _c("kwh", "kwh", True, "kWh", "grid electricity of the month", "月用电量"),
        _c("kwh_peak", "kwh", False, "kWh", "peak-period electricity", "峰时电量"),
        _c("kwh_flat", "kwh", False, "kWh", "flat-period electricity", "平时电量"),
        _c("kwh_valley", "kwh", False, "kWh", "valley-period electricity", "谷时电量"),
    ), references={"meter_id": ("meters", "meter_id")}, zh="月度用电"),
    TableSpec("interval_readings", ("meter_id", "ts"), (
        METER_ID,
        _c("ts", "ts_quarter_hour", True, "China Standard Time", "start of the 15 minutes", "时间"),
        _c("kwh", "kwh", True, "kWh", "energy in the 15 minutes", "15 分钟电量"),
    ), lake=True, references={"meter_id": ("meters", "meter_id")}, zh="15 分钟用电"),
    TableSpec("onsite_generation", ("credit_code", "month"), (
        CREDIT_CODE, MONTH,
        _c("kwh_generated", "kwh", True, "kWh", "on-site generation", "发电量"),
        _c("kwh_self_consumed", "kwh", True, "kWh", "self-consumed on site", "自发自用电量"),
        _c("technology", "choice", True, "", "technology", "技术类型", TECHNOLOGIES_ONSITE),
    ), references={"credit_code": ("enterprises", "credit_code")}, zh="分布式发电"),
    TableSpec("onsite_generation_interval", ("credit_code", "ts"), (
        CREDIT_CODE,
        _c("ts", "ts_quarter_hour", True, "China Standard Time", "start of the interval", "时间"),
        _c("kwh", "kwh", True, "kWh", "self-consumed green energy in the interval", "自用绿电量"),
    ), lake=True, references={"credit_code": ("enterprises", "credit_code")}, zh="分布式发电曲线"),
    TableSpec("green_trades", ("contract_id", "credit_code", "month"), (
        _c("contract_id", "text", True, "", "green-power trade contract", "绿电交易合同"),
        CREDIT_CODE, MONTH,
        _c("kwh", "kwh", True, "kWh", "settled green power", "结算绿电量"),
        _c("technology", "choice", True, "", "technology", "技术类型", TECHNOLOGIES_GREEN),
        _c("plant_id", "text", False, "", "generating plant", "电站编号"),
    ), references={"credit_code": ("enterprises", "credit_code")}, zh="绿电交易"),
    TableSpec("green_trade_profiles", ("contract_id", "ts"), (
        _c("contract_id", "text", True, "", "green-power trade contract", "绿电交易合同"),
        _c("ts", "ts_hour", True, "China Standard Time", "hour", "小时"),
        _c("kwh", "kwh", True, "kWh", "contracted green generation in the hour", "小时绿电量"),
    ), lake=True, references={"contract_id": ("green_trades", "contract_id")}, zh="绿电交易曲线"),
    TableSpec("green_certificates", ("certificate_id",), (
        _c("certificate_id", "text", True, "", "green certificate number", "绿证编号"),
        CREDIT_CODE,
        _c("vintage_month", "month", True, "YYYY-MM", "production month", "生产月份"),
        _c("mwh", "mwh", True, "MWh", "energy the certificate stands for", "对应电量"),
        _c("technology", "choice", True, "", "technology", "技术类型", TECHNOLOGIES_GREEN),
        _c("retired_on", "date", True, "date", "retired on", "注销日期"),
        _c("bundled", "bool", True, "", "came with a green trade", "随绿电交易"),
        _c("plant_id", "text", False, "", "generating plant", "电站编号"),
    ), references={"credit_code": ("enterprises", "credit_code")}, zh="绿证"),
    TableSpec("economics", ("credit_code", "year"), (
        CREDIT_CODE,
        _c("year", "year", True, "", "year", "年份"),
        _c("value_added_10k_cny", "money_10k_cny", False, "10k CNY", "industrial value added", "工业增加值"),
        _c("revenue_10k_cny", "money_10k_cny", False, "10k CNY", "operating revenue", "营业收入"),
        _c("total_equity_plus_debt_cny", "money_cny", False, "CNY", "total equity plus debt", "权益与负债合计"),
    ), references={"credit_code": ("enterprises", "credit_code")}, zh="经济数据"),
    TableSpec("loans", ("loan_id",), (
        _c("loan_id", "text", True, "", "loan", "贷款编号"),
        _c("bank_id", "text", True, "", "bank", "银行"),
        CREDIT_CODE,
        _c("principal_cny", "money_cny", True, "CNY", "principal", "本金"),
        _c("outstanding_cny", "money_cny", True, "CNY", "outstanding principal", "贷款余额"),
        _c("as_of", "date", True, "date", "outstanding as of", "余额日期"),
        _c("drawn_on", "date", True, "date", "drawn on", "放款日期"),
        _c("maturity_on", "date", True, "date", "matures on", "到期日期"),
        _c("base_rate_pct", "percent", True, "%", "base interest rate", "基准利率"),
        _c("product", "text", False, "", "loan product", "贷款产品"),
    ), references={"credit_code": ("enterprises", "credit_code")}, zh="贷款",
        soft_references=frozenset({"credit_code"})),
)}

#: The order in which a batch's tables are checked and applied (referenced tables first).
TABLE_ORDER = tuple(TABLES)
