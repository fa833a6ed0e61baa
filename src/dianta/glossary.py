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
    "money_10k_cny", "percent", "bool", "choice", "ts_quarter_hour", "ts_hour", "mw", "share",
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
    # referencing columns checked only once the referenced table holds a row (in the store or the batch); before
    # that a value is accepted with a warning (a plant_id before any plant was sent, GREEN-POWER.md §9)
    provisional_references: frozenset[str] = frozenset()

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
TECHNOLOGIES_PLANT = ("solar", "wind", "hydro", "biomass", "solar_thermal", "other")

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
    # GREEN-POWER.md §10: parks (园区) and who belongs to them when (an enterprise is in one park at a time)
    TableSpec("parks", ("park_id",), (
        _c("park_id", "text", True, "", "park", "园区编号"),
        _c("name", "text", True, "", "park name", "园区名称"),
        _c("region_code", "region_code", True, "", "GB/T 2260 region code", "行政区划代码"),
        _c("supplier_credit_code", "credit_code", False, "", "the park's energy supplier", "园区供能企业"),
        _c("target_green_share", "share", False, "1", "target green share (default 1)", "绿电占比目标"),
        _c("target_year", "year", False, "", "year the target is to be met", "目标年份"),
    ), references={"supplier_credit_code": ("enterprises", "credit_code")}, zh="园区"),
    TableSpec("park_members", ("park_id", "credit_code", "valid_from"), (
        _c("park_id", "text", True, "", "park", "园区编号"),
        CREDIT_CODE,
        _c("valid_from", "date", False, "date", "member from (inclusive)", "入园日期"),
        _c("valid_to", "date", False, "date", "member to (inclusive)", "出园日期"),
    ), references={"park_id": ("parks", "park_id"), "credit_code": ("enterprises", "credit_code")},
        zh="园区成员"),
    # GREEN-POWER.md §9: the sources that green trades and certificates name (before them: they refer to it)
    TableSpec("plants", ("plant_id",), (
        _c("plant_id", "text", True, "", "generating plant", "电站编号"),
        _c("name", "text", True, "", "plant name", "电站名称"),
        _c("technology", "choice", True, "", "technology", "技术类型", TECHNOLOGIES_PLANT),
        _c("region_code", "region_code", True, "", "GB/T 2260 province where it generates", "所在省份代码"),
        _c("capacity_mw", "mw", False, "MW", "installed capacity", "装机容量"),
        _c("commissioned_on", "date", False, "date", "commissioned on", "投产日期"),
    ), zh="电站"),
    TableSpec("green_trades", ("contract_id", "credit_code", "month"), (
        _c("contract_id", "text", True, "", "green-power trade contract", "绿电交易合同"),
        CREDIT_CODE, MONTH,
        _c("kwh", "kwh", True, "kWh", "settled green power", "结算绿电量"),
        _c("technology", "choice", True, "", "technology", "技术类型", TECHNOLOGIES_GREEN),
        _c("plant_id", "text", False, "", "generating plant", "电站编号"),
    ), references={"credit_code": ("enterprises", "credit_code"), "plant_id": ("plants", "plant_id")}, zh="绿电交易",
        provisional_references=frozenset({"plant_id"})),
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
    ), references={"credit_code": ("enterprises", "credit_code"), "plant_id": ("plants", "plant_id")}, zh="绿证",
        provisional_references=frozenset({"plant_id"})),
    # GREEN-POWER.md §9c: storage that supplies others, metered charge and discharge
    TableSpec("storage_interval", ("credit_code", "ts"), (
        CREDIT_CODE,
        _c("ts", "ts_quarter_hour", True, "China Standard Time", "start of the interval", "时间"),
        _c("kwh_charged", "kwh", True, "kWh", "energy charged in the interval", "充电量"),
        _c("kwh_discharged", "kwh", True, "kWh", "energy discharged in the interval", "放电量"),
    ), lake=True, references={"credit_code": ("enterprises", "credit_code")}, zh="储能充放电曲线"),
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
    # GREEN-POWER.md §11: an enterprise whose load is a data centre; its IT-load sub-meter (inside the site) is
    # not grid electricity of its own: its kWh are left out of E_grid and give the PUE's denominator
    TableSpec("data_centres", ("credit_code",), (
        CREDIT_CODE,
        _c("site_name", "text", True, "", "data centre site", "数据中心名称"),
        _c("it_meter_id", "text", False, "", "IT-load sub-meter", "IT 负载分表户号"),
    ), references={"credit_code": ("enterprises", "credit_code"), "it_meter_id": ("meters", "meter_id")},
        zh="数据中心"),
)}

#: The order in which a batch's tables are checked and applied (referenced tables first).
TABLE_ORDER = tuple(TABLES)


# ---------------------------------------------------------------------------------------------------------------
# Output quantities: every field of a published account (and of the group figures built from accounts) with its
# one English name, one Chinese name and unit. The account record (accounts/record.py), the export columns, the
# API schema, the reports and the dashboard's field catalogue (web/glossary.js) all take their names from here.

@dataclass(frozen=True, slots=True)
class Quantity:
    """One output quantity. ``name`` is the record's field (dotted inside nested objects, e.g.
    ``benchmark.value``); ``unit`` as published ("1": a fraction 0–1; "": a code, text, count or score);
    ``unit_zh`` where the Chinese unit is written differently (万元)."""

    name: str
    en: str
    zh: str
    unit: str
    description: str
    unit_zh: str = ""

    @property
    def zh_unit(self) -> str:
        return self.unit_zh or self.unit

    @property
    def key(self) -> str:
        """The last part of the dotted name: the field inside its object."""
        return self.name.rsplit(".", 1)[-1]


def _q(name: str, en: str, zh: str, unit: str, description: str, unit_zh: str = "") -> Quantity:
    return Quantity(name, en, zh, unit, description, unit_zh)


_INTENSITY = ("tCO2/10k CNY", "tCO2/万元")


def _factor(role: str, en: str, zh: str) -> tuple[Quantity, ...]:
    p = f"factors.{role}"
    return (_q(p, f"{en} used", f"所用{zh}", "", f"the {en.lower()} of the account's region and year (§2)"),
            _q(f"{p}.year", f"{en} year", f"{zh}年份", "", f"year of the {en.lower()} used (§2)"),
            _q(f"{p}.area", f"{en} area", f"{zh}区域", "", f"area of the {en.lower()}: national, a grid or a "
               "province code (§2)"),
            _q(f"{p}.kind", f"{en} kind", f"{zh}类型", "", f"kind of the {en.lower()} (§2)"),
            _q(f"{p}.value_kg_per_kwh", en, zh, "kgCO2/kWh", f"the {en.lower()} (§2)"),
            _q(f"{p}.source", f"{en} source", f"{zh}来源", "", f"the announcement the {en.lower()} comes from (§2)"),
            _q(f"{p}.announcement_no", f"{en} announcement number", f"{zh}公告文号", "",
               f"number of the announcement of the {en.lower()}, e.g. 公告2025年第47号; null where not known (§2)"))


#: the hour bands a profile may divide the day into (GREEN-POWER.md §10 "what would close the gap"), code → (zh, en);
#: the profile ([parks] hour_bands) gives each its hours [platform rule]
HOUR_BANDS: dict[str, tuple[str, str]] = {
    "night": ("夜间", "Night"),
    "morning": ("早间", "Morning"),
    "midday": ("午间光伏", "Midday solar"),
    "evening_peak": ("晚高峰", "Evening peak"),
    "late_evening": ("深夜", "Late evening"),
}


OUTPUTS: dict[str, Quantity] = {q.name: q for q in (
    # who and when
    _q("credit_code", "Credit code", "统一社会信用代码", "", "unified social credit code of the enterprise"),
    _q("year", "Activity year", "核算年度", "", "calendar year of the account (§1)"),
    _q("name", "Enterprise", "企业名称", "", "enterprise name"),
    _q("industry_code", "Industry code", "行业代码", "", "GB/T 4754-2017 industry code"),
    _q("region_code", "Region code", "行政区划代码", "", "GB/T 2260 region code"),
    # §3–§4 energy and emissions
    _q("kwh_grid", "Grid electricity", "电网用电量", "kWh", "E_grid: electricity drawn from the grid (§3)"),
    _q("kwh_onsite", "On-site green power", "自发自用绿电", "kWh",
       "E_onsite: on-site renewable generation consumed on site (§3)"),
    _q("kwh_total", "Total electricity", "总用电量", "kWh", "E_total = E_grid + E_onsite (§4)"),
    _q("kwh_trade", "Traded green power", "绿电交易电量", "kWh", "E_trade: green power settled through trades (§3)"),
    _q("kwh_cert", "Certificate green power", "绿证电量", "kWh",
       "E_cert: unbundled green certificates retired, MWh × 1000 (§3)"),
    _q("kwh_contract", "Contractual green power", "合同绿电", "kWh", "E_contract = min(E_trade + E_cert, E_grid) (§4)"),
    _q("kwh_contract_excess", "Green instruments in excess", "超额绿电凭证", "kWh",
       "E_trade + E_cert − E_contract: reported, not used (§4)"),
    _q("emissions_location_t", "Location-based emissions", "基于位置的排放", "tCO2",
       "C_loc = E_grid × EF_location / 1000 (§4)"),
    _q("emissions_market_t", "Market-based emissions", "基于市场的排放", "tCO2",
       "C_mkt = (E_grid − E_contract) × EF_residual / 1000 (§4)"),
    # §5 the six indicators and their inputs
    _q("emissions_t", "Emissions", "碳排放量", "tCO2", "indicator 1: C_mkt, or C_loc as the profile chooses (§5)"),
    _q("value_10k_cny", "Value added", "增加值", "10k CNY", "V: value added of the year, else revenue (§3)", "万元"),
    _q("value_basis", "Intensity basis", "强度口径", "", "value_added or revenue: what V is (§3)"),
    _q("intensity", "Carbon intensity", "碳排放强度", _INTENSITY[0], "indicator 2: emissions_t / V (§5)",
       _INTENSITY[1]),
    _q("intensity_prev", "Intensity last year", "上年碳排放强度", _INTENSITY[0],
       "year Y−1's intensity recomputed with year Y's factors and profile; null when Y−1's V is on another "
       "basis than Y's (flag basis_changed) (§5)", _INTENSITY[1]),
    _q("reduction_t", "Carbon reduction", "碳减排量", "tCO2", "indicator 3: (intensity_prev − intensity) × V (§5)"),
    _q("kwh_green", "Green power consumed", "绿电消费量", "kWh", "indicator 4: E_green = E_onsite + E_contract (§5)"),
    _q("green_share", "Green share", "绿电占比", "1", "indicator 5: E_green / E_total, 0 when E_total = 0 (§5)"),
    _q("green_reduction_t", "Carbon avoided by green power", "绿电减碳量", "tCO2",
       "indicator 6: E_green × EF_location / 1000 (§5)"),
    # §7 hourly matching
    _q("cfe_score", "Hourly carbon-free score", "逐时匹配无碳电力得分", "1",
       "Σ_h min(L_h, G_h) / Σ_h L_h over the year; null without complete interval data (§7)"),
    _q("hourly_matching", "Hourly matching", "逐时匹配", "1",
       "matched share Σmin(L,G)/ΣL of each month (rows) and hour of day (columns); null without load (§7)"),
    # GREEN-POWER.md §9–§9b: instruments traced to plants, the market boundary, hourly market-based emissions
    _q("emissions_market_hourly_t", "Hourly market-based emissions", "逐时市场法排放", "tCO2",
       "Σ_m R_m × EF_residual / 1000: load unmatched hour by hour, then by certificates of its month "
       "(GREEN-POWER.md §9b); null without complete interval data"),
    _q("kwh_matched_hourly", "Green power matched hour by hour", "逐时匹配绿电量", "kWh",
       "Σ_h min(L_h, G_h) with in-boundary supply (GREEN-POWER.md §9b); null without complete interval data"),
    _q("kwh_cert_monthly_matched", "Certificates matched by month", "绿证按月匹配电量", "kWh",
       "Σ_m min(U_m, C_m): unbundled certificates covering unmatched load of their production month "
       "(GREEN-POWER.md §9b); null without complete interval data"),
    _q("kwh_outside_boundary", "Green power outside the market boundary", "市场边界外绿电", "kWh",
       "trade and certificate kWh whose plant lies outside the enterprise's market boundary: not counted "
       "(GREEN-POWER.md §9)"),
    _q("market_method", "Market-based method", "市场法口径", "",
       "annual or hourly: how indicator 1 counts green instruments (GREEN-POWER.md §9b)"),
    _q("market_boundary", "Market boundary", "市场边界", "",
       "national, regional_grid or province: where an instrument's plant must lie (GREEN-POWER.md §9)"),
    _q("instruments", "Green instruments", "绿电凭证", "",
       "the year's trades and certificates traced to their plants (GREEN-POWER.md §9)"),
    _q("instruments.source_kind", "Instrument kind", "凭证类型", "", "trade (绿电交易) or certificate (绿证)"),
    _q("instruments.source_id", "Instrument id", "凭证编号", "",
       "contract id, or the first certificate id of the group"),
    _q("instruments.last_id", "Last certificate id", "末张绿证编号", "", "the last certificate id of the group"),
    _q("instruments.n", "Certificate count", "绿证数量", "", "certificates in the group (1 for a trade)"),
    _q("instruments.plant_id", "Plant", "电站编号", "", "the plant the instrument names; null when unknown"),
    _q("instruments.technology", "Instrument technology", "凭证技术类型", "", "technology of the generation"),
    _q("instruments.plant_region_code", "Plant province", "电站所在省份", "", "GB/T 2260 province of the plant"),
    _q("instruments.month", "Certificate production month", "绿证生产月份", "YYYY-MM",
       "production month of the certificates; null for a trade"),
    _q("instruments.kwh", "Instrument energy", "凭证电量", "kWh", "settled kWh of a trade, MWh × 1000 of certificates"),
    _q("instruments.in_boundary", "Inside the market boundary", "在市场边界内", "",
       "whether the instrument counts under the profile's market boundary (GREEN-POWER.md §9)"),
    _q("unbacked_trades", "Trades not backed by certificates", "未足额附绿证的绿电交易", "",
       "trade months whose bundled certificates fall short of the settled kWh (GREEN-POWER.md §9)"),
    _q("unbacked_trades.contract_ids", "Unbacked contracts", "未足额附证合同", "",
       "the green-power trade contracts of the plant and month"),
    _q("unbacked_trades.plant_id", "Unbacked plant", "未足额附证电站", "",
       "the plant the trades name; null for trades naming none"),
    _q("unbacked_trades.month", "Settlement month", "结算月份", "YYYY-MM", "the settlement month"),
    _q("unbacked_trades.kwh_settled", "Settled green power", "结算绿电量", "kWh", "the month's settled kWh"),
    _q("unbacked_trades.kwh_bundled", "Bundled certificates", "随附绿证电量", "kWh",
       "bundled certificate MWh × 1000 of the plant and production month"),
    # GREEN-POWER.md §10: park accounts (a park's members and supplier pooled as one enterprise)
    _q("park_id", "Park ID", "园区编号", "", "the park (园区) of a park account"),
    _q("park_name", "Park name", "园区名称", "", "the park's name"),
    _q("members", "Park members", "园区成员数", "", "enterprises counted as members of the park in the year (§10)"),
    _q("supplier_credit_code", "Park energy supplier", "园区供能企业", "",
       "credit code of the park's energy company, whose green supply the members share; null without one (§10)"),
    _q("kwh_supplier_green", "Supplier's green supply", "供能企业绿电供应量", "kWh",
       "the supplier's green generation made available to the park, storage per §9c (GREEN-POWER.md §10)"),
    _q("target_green_share", "Target green share", "绿电占比目标", "1",
       "the park's target green share, 1 (100 %) unless the parks table says otherwise (GREEN-POWER.md §10)"),
    _q("target_year", "Target year", "目标年份", "", "the year the park's target is to be met (GREEN-POWER.md §10)"),
    _q("expected_green_share", "Green share on the trajectory", "目标路径绿电占比", "1",
       "the share the park should have reached this year: linear from its first account year to the target year "
       "[platform rule]; null without a target year (GREEN-POWER.md §10)"),
    _q("shortfall_mwh", "Shortfall to target", "距目标绿电缺口", "MWh",
       "max(target × E_total − E_green, 0) / 1000: green power still missing to meet the target (GREEN-POWER.md §10)"),
    _q("hours_fully_green_share", "Hours fully green", "全绿电小时占比", "1",
       "share of the hours with load whose pooled load was all met by green supply in the hour; null when the "
       "hourly figures are (GREEN-POWER.md §10)"),
    _q("uncovered_load_share", "Load without interval data", "无分时数据负荷占比", "1",
       "share of the park's E_total from participants without complete interval data; above the profile's limit "
       "the hourly figures are null (GREEN-POWER.md §10)"),
    _q("shortfall_map_mwh", "Hourly shortfall map", "逐时绿电缺口分布", "MWh",
       "Σ max(L_h − G_h, 0) / 1000 of the pooled hours, by month (rows) and hour of day (columns) "
       "(GREEN-POWER.md §10)"),
    # what would close the gap (GREEN-POWER.md §10, issue 16): the shortfall by hour band and the storage that
    # would shift the surplus; null when the hourly figures are
    _q("hour_bands", "Hour bands", "时段划分", "",
       "the profile's hour bands [start, end) of the day, by band (profile [parks] hour_bands) [platform rule]"),
    *(_q(f"hour_bands.{code}", f"{en} hours", f"{zh}时段", "", f"the hours [start, end) of the band {code}")
      for code, (zh, en) in HOUR_BANDS.items()),
    _q("shortfall_by_band_mwh", "Hourly shortfall by band", "分时段绿电缺口", "MWh",
       "Σ max(L_h − G_h, 0) / 1000 of the pooled hours in each hour band: the green supply missing, by time of "
       "day; the bands sum to the shortfall map (GREEN-POWER.md §10)"),
    *(_q(f"shortfall_by_band_mwh.{code}", f"{en} shortfall", f"{zh}绿电缺口", "MWh",
         f"Σ max(L_h − G_h, 0) / 1000 of the pooled hours of the band {code} (GREEN-POWER.md §10)")
      for code, (zh, en) in HOUR_BANDS.items()),
    _q("gap_storage", "Storage to close the gap", "弥补缺口所需储能", "",
       "the storage that would shift the day's green surplus into its later shortfall hours (GREEN-POWER.md §10, "
       "η of §9c)"),
    _q("gap_storage.round_trip_efficiency", "Storage round-trip efficiency", "储能往返效率", "1",
       "η assumed for the storage (profile [parks] storage_round_trip_efficiency) [platform rule]"),
    _q("gap_storage.surplus_mwh", "Green surplus", "富余绿电量", "MWh",
       "Σ max(G_h − L_h, 0) / 1000 of the pooled hours: green supply beyond the load in its hour"),
    _q("gap_storage.shortfall_mwh", "Hourly shortfall", "逐时绿电缺口", "MWh",
       "Σ max(L_h − G_h, 0) / 1000 of the pooled hours: load not met by green supply in its hour"),
    _q("gap_storage.covered_mwh", "Shortfall storage would cover", "储能可弥补缺口", "MWh",
       "surplus × η discharged into the later shortfall hours of the same day; at most η × the surplus"),
    _q("gap_storage.energy_mwh", "Storage energy capacity needed", "所需储能容量", "MWh",
       "the least energy the store must hold to cover that shortfall"),
    _q("gap_storage.power_mw", "Storage power needed", "所需储能功率", "MW",
       "the largest hourly charge or discharge of that store"),
    _q("gap_storage.remaining_mwh", "Shortfall after storage", "储能后剩余缺口", "MWh",
       "hourly shortfall − shortfall storage would cover: green supply still to add in its hours"),
    _q("verification_code", "Park label verification code", "园区标识验证码", "",
       "the code on the park label (园区绿电标识): check it with dianta verify-label or /api/v1/labels/{code}"),
    # §7b evaluation
    _q("benchmark", "Industry benchmark", "行业基准", "",
       "the benchmark the intensity is rated against; null when the intensity aspect is not rated (§7b)"),
    _q("benchmark.group", "Benchmark group", "基准组", "",
       "GB/T 4754 division or section, or the profile's table (§7b)"),
    _q("benchmark.size", "Benchmark group size", "基准组规模", "", "accounts forming the benchmark (§7b)"),
    _q("benchmark.value", "Benchmark intensity", "行业基准强度", _INTENSITY[0],
       "aggregate intensity Σ emissions_t / Σ V of the group (§7b)", _INTENSITY[1]),
    _q("k", "Intensity ratio K", "强度比 K", "", "intensity / benchmark (§7b)"),
    _q("aspect_scores", "Aspect scores", "评价方面得分", "", "scores of the three aspects, 0–100 (§7b)"),
    _q("aspect_scores.intensity", "Intensity score", "碳排放强度得分", "", "score of the intensity aspect (§7b)"),
    _q("aspect_scores.reduction", "Reduction score", "碳减排成效得分", "", "score of the reduction aspect (§7b)"),
    _q("aspect_scores.green", "Green-power progress score", "绿电碳中和进度得分", "",
       "score of the green-power aspect (§7b)"),
    _q("score", "Score", "综合得分", "", "weighted score of the three aspects, 0–100 (§7b)"),
    _q("grade", "Grade", "等级", "", "grade 1–5 of the score; null when not rated (§7b)"),
    _q("label", "Carbon evaluation label", "碳评价标识", "", "the label of the grade; null when not rated (§7b)"),
    _q("label.grade", "Label grade", "标识等级", "", "grade on the carbon evaluation label (§7b)"),
    _q("label.colour", "Label colour", "标识颜色", "", "colour of the label's grade in the profile (§7b)"),
    _q("label.year", "Label year", "标识年度", "", "activity year the label is for"),
    _q("label.profile_id", "Label methodology profile", "标识方法版本", "", "profile the label was given under"),
    _q("label.flags", "Flags qualifying the grade", "等级限定标记", "",
       "the account's flags that qualify the grade, shown on the label (§7b)"),
    _q("label.verification_code", "Verification code", "验证码", "",
       "check it at /api/v1/labels/{code}; null for accounts published before labels had codes"),
    _q("alerts", "Electricity alerts", "用电预警", "", "credit-risk alerts of the year: code and month (§6)"),
    _q("alerts.code", "Alert kind", "预警类型", "", "sharp_drop, sustained_decline or stoppage (§6); "
       "park_below_target for a park (GREEN-POWER.md §10)"),
    _q("alerts.month", "Alert month", "预警月份", "YYYY-MM", "the month the alert is for (§6)"),
    _q("profile_id", "Methodology profile", "方法版本", "", "id of the methodology profile used"),
    _q("factors", "Emission factors", "排放因子", "", "the factors used, by role (§2, §4)"),
    *_factor("location", "Location factor", "位置因子"),
    *_factor("residual", "Residual-mix factor", "剩余组合因子"),
    _q("flags", "Flags", "标记", "", "data-quality and method flags of the account (§2–§5)"),
    # §6 electricity analysis
    _q("electricity", "Electricity analysis", "用电分析", "", "the electricity analysis model's figures (§6)"),
    _q("electricity.monthly_kwh", "Monthly grid electricity", "月度电网用电量", "kWh",
       "E_grid of each month, null for a month without data (§6)"),
    _q("electricity.monthly_kwh_prev_year", "Monthly grid electricity last year", "上年月度电网用电量", "kWh",
       "E_grid of each month of year Y−1 (§6)"),
    _q("electricity.month_on_month", "Month on month", "环比", "1",
       "change against the month before, January against last December (§6)"),
    _q("electricity.year_on_year", "Electricity year on year", "用电同比", "1",
       "change of the grid electricity against year Y−1 over the months with data in both years (§6)"),
    _q("electricity.year_on_year_months", "Months compared year on year", "同比可比月数", "",
       "how many months have grid data in both years: those the year-on-year change is taken over (§6)"),
    _q("electricity.load_factor", "Load factor", "负荷率", "1", "mean kW / peak kW (§6)"),
    _q("electricity.peak_kw", "Peak load", "最大负荷", "kW", "the largest 15-minute kWh × 4 (§6)"),
    _q("electricity.operating_rate", "Operating rate", "开工率", "1",
       "share of days using at least 30 % of the 90th-percentile day (§6)"),
    _q("electricity.time_of_use", "Time-of-use split", "峰平谷用电结构", "1",
       "peak, flat and valley shares of the year's electricity (§6)"),
    _q("electricity.time_of_use.peak", "Peak-period share", "峰时占比", "1", "share of the peak period (§6)"),
    _q("electricity.time_of_use.flat", "Flat-period share", "平时占比", "1", "share of the flat period (§6)"),
    _q("electricity.time_of_use.valley", "Valley-period share", "谷时占比", "1", "share of the valley period (§6)"),
    _q("electricity.time_of_use_source", "Time-of-use source", "峰平谷数据来源", "",
       "monthly (peak/flat/valley readings) or interval (15-minute data) (§6)"),
    # publication
    _q("run_id", "Computation run", "计算批次", "", "the run that published the account"),
    _q("inputs_fingerprint", "Inputs fingerprint", "输入指纹", "", "SHA-256 of the inputs the run read"),
    # group figures over accounts (programme statistics §8, portfolios)
    _q("accounts", "Accounts", "账户数", "", "number of accounts in the group"),
    _q("enterprises", "Enterprises", "企业数", "", "number of enterprises in the group"),
    _q("group", "Group", "分组", "", "the group's key: grade, industry section or prefecture"),
    _q("industry", "Industry section", "行业门类", "", "GB/T 4754 section (the letter) of a group"),
    _q("region", "Region", "地区", "", "prefecture of a group: GB/T 2260 code, first 4 digits + 00"),
    # the programme's headline (§8, issue 17): each figure as of one day (as_of), one definition per name
    _q("as_of", "As-of day", "截至日期", "", "the day (China Standard Time) the programme's figures are taken on"),
    _q("accounts_opened", "Accounts opened", "累计开立碳账户", "",
       "enterprises on the register whose account opened on or before the as-of day (closed ones included) (§8)"),
    _q("carbon_loans", "Carbon-account loans", "碳账户贷款笔数", "",
       "loans drawn on or before the as-of day that a bank priced with the borrower's carbon account (§8)"),
    _q("carbon_loan_amount_cny", "Carbon-account loans issued", "碳账户贷款发放金额", "CNY",
       "principal of the carbon-account loans drawn on or before the as-of day (§8)", "元"),
    _q("carbon_loan_outstanding_cny", "Carbon-account loan balance", "碳账户贷款余额", "CNY",
       "amount the carbon-account loans have outstanding on the as-of day (the last report on or before it "
       "stands; none after maturity) (§8)", "元"),
    _q("loan_outstanding_cny", "Loan balance", "贷款余额", "CNY",
       "amount every reported loan has outstanding on the as-of day (the last report on or before it stands; none "
       "before draw-down or after maturity) (§8)", "元"),
    _q("interest_saved_cny", "Interest saved", "节省利息", "CNY",
       "Σ outstanding × discount × days / 360 over the carbon-account loans through the as-of day (§8)", "元"),
    # an account among its peers and over the years (issue 17; accounts/peers.py, calc/peers.py)
    _q("peers.metric", "Compared figure", "比较指标", "", "intensity, score or green share of the account"),
    _q("peers.group", "Peer group", "同业组", "",
       "the GB/T 4754 division (letter + 2 digits) or section (letter) the figure is compared in (§7b's group)"),
    _q("peers.group_level", "Peer group level", "同业组层级", "", "division or section"),
    _q("peers.size", "Peers compared", "参与比较企业数", "",
       "accounts of the group whose figure forms the distribution (the account included)"),
    _q("peers.excluded", "Peers without the figure", "未参与比较企业数", "",
       "accounts of the group left out: a null figure, or an intensity on revenue (§7b)"),
    _q("peers.rank", "Rank among peers", "同业排名", "",
       "1 = best (lowest intensity, highest score or green share); ties share the best rank"),
    _q("peers.percentile", "Peer percentile", "同业百分位", "1",
       "share of the other peers this account does better than, a tie counting half"),
    _q("peers.distribution", "Peer distribution", "同业分布", "",
       "the peers' figures, anonymous, sorted best first; null when the group is too small"),
    _q("peers.min_group_size", "Minimum peer group", "同业组最小规模", "",
       "the profile's smallest group shown (profile [peers] min_group_size) [platform rule]"),
    _q("trend.change", "Year-on-year change", "同比变化", "",
       "against the calendar year before: relative for intensity and emissions, a difference for the others"),
)}


#: the fields of a green-computing certificate (绿电绿算溯源证书, GREEN-POWER.md §11; INTERFACE.md
#: ``green-computing --format json``), in order; those it shares with an account mean the same over its period
CERTIFICATE_FIELDS: dict[str, Quantity] = {q.name: q for q in (
    OUTPUTS["credit_code"],
    _q("site_name", "Data centre", "数据中心", "", "the data centre's site name (data_centres)"),
    _q("period", "Period", "证书期间", "", "the year (YYYY) or month (YYYY-MM) the certificate covers"),
    _q("level", "Green-computing level", "绿电绿算等级", "",
       "A (CFE ≥ 0.9, 24/7 green computing), B (≥ 0.7), C (≥ 0.5), annual (annual green share ≥ 1.0 only); "
       "null: no certificate [platform rule, profile green_computing] (GREEN-POWER.md §11)"),
    _q("kwh_load", "Data centre load", "数据中心用电量", "kWh",
       "E_total of the period: grid + on-site self-consumed, IT sub-meter not added (§4)"),
    _q("green_share", "Green share (annually matched)", "绿电占比（年度匹配）", "1",
       "E_green / E_total over the period (§4–§5)"),
    _q("cfe_score", "Hourly carbon-free score", "逐时匹配无碳电力得分", "1",
       "Σ_h min(L_h, G_h) / Σ_h L_h over the period; null without complete interval data (§7)"),
    _q("kwh_matched_hourly", "Green power matched hour by hour", "逐时匹配绿电量", "kWh",
       "Σ_h min(L_h, G_h) over the period (GREEN-POWER.md §9b)"),
    _q("kwh_cert_monthly_matched", "Certificates matched by month", "绿证按月匹配电量", "kWh",
       "Σ_m min(U_m, C_m) over the period's months (GREEN-POWER.md §9b)"),
    _q("pue", "Power usage effectiveness", "电能利用效率", "",
       "PUE = Σ facility kWh / Σ IT kWh over the period; null without an IT sub-meter (GREEN-POWER.md §11)"),
    _q("trace", "Green-power trace", "绿电溯源", "",
       "each source's kWh supplied to matched hours, and certificates by plant to matched months "
       "(GREEN-POWER.md §11); sums to kwh_matched_hourly + kwh_cert_monthly_matched"),
    _q("trace.source_kind", "Source kind", "来源类型", "",
       "onsite (自发自用), trade (绿电交易) or certificate (绿证)"),
    _q("trace.source_id", "Source id", "来源编号", "",
       "the enterprise's credit code (on-site), the contract id, or the first certificate id of the group"),
    _q("trace.plant_id", "Plant", "电站编号", "", "the plant of the source; null for on-site or unknown"),
    _q("trace.technology", "Technology", "技术类型", "", "technology of the generation; null when not known"),
    _q("trace.kwh", "Traced green power", "溯源绿电量", "kWh", "the source's kWh in matched hours or months"),
    _q("profile_id", "Methodology profile", "方法版本", "", "id of the methodology profile used"),
    _q("verification_code", "Verification code", "验证码", "",
       "check it with dianta verify-certificate or /api/v1/certificates/{code}; null when no certificate"),
)}


@dataclass(frozen=True, slots=True)
class Flag:
    """A flag an account can carry (``flags``): its code, English and Chinese text, and what sets it."""

    code: str
    en: str
    zh: str
    description: str


#: Every flag of an account record, by code (METHODOLOGY.md §2–§5, GREEN-POWER.md §9–§9b): the one source of a
#: flag's text wherever it is shown (reports, label, dashboard: ``web/glossary.js``).
FLAGS: dict[str, Flag] = {f.code: f for f in (
    Flag("factor_year_fallback", "factor of an earlier year", "沿用最近年份因子",
         "no factor published for the activity year: the latest earlier year's is used (§2)"),
    Flag("factor_area_fallback", "regional grid factor (no provincial one)", "采用区域电网因子（无省级因子）",
         "the province has no published factor: its regional grid's is used (§2)"),
    Flag("intensity_basis_revenue", "intensity on revenue, not value added", "强度按营业收入计算（非增加值）",
         "V is revenue: rated against value-added benchmarks, which favours it (§3)"),
    Flag("partial_year", "fewer than 12 months of data", "数据不满 12 个月", "fewer than 12 months of grid data (§3)"),
    Flag("meter_mismatch", "monthly and 15-minute data disagree", "月度与 15 分钟数据不一致",
         "a meter's 15-minute sum differs from its monthly total by more than the tolerance (§3)"),
    Flag("basis_changed", "value basis changed from last year: reduction not rated",
         "强度口径与上年不同：不评碳减排成效",
         "Y−1 and Y intensities on different bases (value added, revenue): no reduction_t (§5)"),
    Flag("annual_method_fallback", "annual market-based method (no interval data)", "无 15 分钟数据，按年度市场法计算",
         "hourly market method chosen, but without interval data the annual C_mkt is used (GREEN-POWER.md §9b)"),
    Flag("trade_not_backed_by_certificates", "green trades not fully backed by certificates",
         "绿电交易未足额附绿证",
         "a trade month's bundled certificates fall short of its settled kWh (GREEN-POWER.md §9)"),
)}

@dataclass(frozen=True, slots=True)
class AlertKind:
    """A kind of §6 credit-risk alert (``alerts.code``): its code, English and Chinese name, and what raises it."""

    code: str
    en: str
    zh: str
    description: str


#: The §6 alert kinds, by code (calc/electricity.py ALERT_CODES): the one source of their names in reports and in
#: the server's sentences (a quote's reasons).
ALERTS: dict[str, AlertKind] = {a.code: a for a in (
    AlertKind("sharp_drop", "Sharp drop", "用电骤降", "a month below 50 % of the same month last year (§6)"),
    AlertKind("sustained_decline", "Sustained decline", "持续下降",
              "a run of months each below the same month a year before (§6)"),
    AlertKind("stoppage", "Stoppage", "停产", "a month at 0 kWh (§6)"),
)}

#: The flags that qualify a grade (METHODOLOGY.md §7b): shown wherever a grade is shown (label, lists,
#: portfolio, reports, dashboard), in this order.
QUALIFYING_FLAGS: tuple[str, ...] = ("intensity_basis_revenue", "partial_year", "factor_year_fallback",
                                     "factor_area_fallback", "annual_method_fallback", "basis_changed")


def qualifying_flags(flags: list[str] | tuple[str, ...] | None) -> list[str]:
    """The flags of an account that qualify its grade (:data:`QUALIFYING_FLAGS`), in that order."""
    present = set(flags or ())
    return [f for f in QUALIFYING_FLAGS if f in present]


#: the columns of the emission-factor table in use (METHODOLOGY.md §2), in order, as `dianta factors` and
#: GET /api/v1/factors list them (INTERFACE.md "Green power…"); reference data, not an account's figures
FACTOR_COLUMNS: dict[str, Quantity] = {q.name: q for q in (
    _q("year", "Year", "年份", "", "the year the factor describes (§2)"),
    _q("kind", "Kind", "因子类型", "", "average, excl_market_nonfossil (residual mix), fossil_only or footprint (§2)"),
    _q("area", "Area", "区域", "", "national, a regional grid (north … southwest) or a GB/T 2260 province code (§2)"),
    _q("technology", "Technology", "发电技术", "",
       "the technology of a carbon-footprint factor (coal, wind, grid_average …); null for a CO2 emission factor"),
    _q("value_kg_per_kwh", "Value", "因子值", "", "the published value in the row's unit: kgCO2/kWh, or kgCO2e/kWh for "
       "a carbon-footprint factor (§2)"),
    _q("unit", "Unit", "单位", "", "kgCO2/kWh, or kgCO2e/kWh (life-cycle) for kind footprint"),
    _q("announcement", "Announcement", "公告", "", "title of the announcement that published the value"),
    _q("announcement_no", "Announcement number", "公告文号", "",
       "its number, e.g. 公告2025年第47号; null where not read"),
    _q("published_on", "Published on", "发布日期", "", "date of the announcement"),
    _q("source", "Source", "来源", "", "the announcement's official URL, else its title"),
    _q("status", "Status", "核对状态", "", "confirmed (copies agree) or single-source (one copy read)"),
)}
