// Generated from src/dianta/glossary.py (OUTPUTS) by scripts/build_glossary.py: do not edit by hand.
// tests/test_tooling.py checks it is current. Every output quantity's one Chinese and one English name
// and unit ("1": a fraction 0–1); i18n.js takes the field.<name> texts from here.

export const QUANTITIES = {
  "credit_code": {
    "zh": "统一社会信用代码",
    "en": "Credit code",
    "unit": "",
    "unitZh": ""
  },
  "year": {
    "zh": "核算年度",
    "en": "Activity year",
    "unit": "",
    "unitZh": ""
  },
  "name": {
    "zh": "企业名称",
    "en": "Enterprise",
    "unit": "",
    "unitZh": ""
  },
  "industry_code": {
    "zh": "行业代码",
    "en": "Industry code",
    "unit": "",
    "unitZh": ""
  },
  "region_code": {
    "zh": "行政区划代码",
    "en": "Region code",
    "unit": "",
    "unitZh": ""
  },
  "kwh_grid": {
    "zh": "电网用电量",
    "en": "Grid electricity",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_onsite": {
    "zh": "自发自用绿电",
    "en": "On-site green power",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_total": {
    "zh": "总用电量",
    "en": "Total electricity",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_trade": {
    "zh": "绿电交易电量",
    "en": "Traded green power",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_cert": {
    "zh": "绿证电量",
    "en": "Certificate green power",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_contract": {
    "zh": "合同绿电",
    "en": "Contractual green power",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_contract_excess": {
    "zh": "超额绿电凭证",
    "en": "Green instruments in excess",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "emissions_location_t": {
    "zh": "基于位置的排放",
    "en": "Location-based emissions",
    "unit": "tCO2",
    "unitZh": "tCO2"
  },
  "emissions_market_t": {
    "zh": "基于市场的排放",
    "en": "Market-based emissions",
    "unit": "tCO2",
    "unitZh": "tCO2"
  },
  "emissions_t": {
    "zh": "碳排放量",
    "en": "Emissions",
    "unit": "tCO2",
    "unitZh": "tCO2"
  },
  "value_10k_cny": {
    "zh": "增加值",
    "en": "Value added",
    "unit": "10k CNY",
    "unitZh": "万元"
  },
  "value_basis": {
    "zh": "强度口径",
    "en": "Intensity basis",
    "unit": "",
    "unitZh": ""
  },
  "intensity": {
    "zh": "碳排放强度",
    "en": "Carbon intensity",
    "unit": "tCO2/10k CNY",
    "unitZh": "tCO2/万元"
  },
  "intensity_prev": {
    "zh": "上年碳排放强度",
    "en": "Intensity last year",
    "unit": "tCO2/10k CNY",
    "unitZh": "tCO2/万元"
  },
  "reduction_t": {
    "zh": "碳减排量",
    "en": "Carbon reduction",
    "unit": "tCO2",
    "unitZh": "tCO2"
  },
  "kwh_green": {
    "zh": "绿电消费量",
    "en": "Green power consumed",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "green_share": {
    "zh": "绿电占比",
    "en": "Green share",
    "unit": "1",
    "unitZh": "1"
  },
  "green_reduction_t": {
    "zh": "绿电减碳量",
    "en": "Carbon avoided by green power",
    "unit": "tCO2",
    "unitZh": "tCO2"
  },
  "cfe_score": {
    "zh": "逐时匹配无碳电力得分",
    "en": "Hourly carbon-free score",
    "unit": "1",
    "unitZh": "1"
  },
  "hourly_matching": {
    "zh": "逐时匹配",
    "en": "Hourly matching",
    "unit": "1",
    "unitZh": "1"
  },
  "emissions_market_hourly_t": {
    "zh": "逐时市场法排放",
    "en": "Hourly market-based emissions",
    "unit": "tCO2",
    "unitZh": "tCO2"
  },
  "kwh_matched_hourly": {
    "zh": "逐时匹配绿电量",
    "en": "Green power matched hour by hour",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_cert_monthly_matched": {
    "zh": "绿证按月匹配电量",
    "en": "Certificates matched by month",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "kwh_outside_boundary": {
    "zh": "市场边界外绿电",
    "en": "Green power outside the market boundary",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "market_method": {
    "zh": "市场法口径",
    "en": "Market-based method",
    "unit": "",
    "unitZh": ""
  },
  "market_boundary": {
    "zh": "市场边界",
    "en": "Market boundary",
    "unit": "",
    "unitZh": ""
  },
  "instruments": {
    "zh": "绿电凭证",
    "en": "Green instruments",
    "unit": "",
    "unitZh": ""
  },
  "instruments.source_kind": {
    "zh": "凭证类型",
    "en": "Instrument kind",
    "unit": "",
    "unitZh": ""
  },
  "instruments.source_id": {
    "zh": "凭证编号",
    "en": "Instrument id",
    "unit": "",
    "unitZh": ""
  },
  "instruments.last_id": {
    "zh": "末张绿证编号",
    "en": "Last certificate id",
    "unit": "",
    "unitZh": ""
  },
  "instruments.n": {
    "zh": "绿证数量",
    "en": "Certificate count",
    "unit": "",
    "unitZh": ""
  },
  "instruments.plant_id": {
    "zh": "电站编号",
    "en": "Plant",
    "unit": "",
    "unitZh": ""
  },
  "instruments.technology": {
    "zh": "凭证技术类型",
    "en": "Instrument technology",
    "unit": "",
    "unitZh": ""
  },
  "instruments.plant_region_code": {
    "zh": "电站所在省份",
    "en": "Plant province",
    "unit": "",
    "unitZh": ""
  },
  "instruments.month": {
    "zh": "绿证生产月份",
    "en": "Certificate production month",
    "unit": "YYYY-MM",
    "unitZh": "YYYY-MM"
  },
  "instruments.kwh": {
    "zh": "凭证电量",
    "en": "Instrument energy",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "instruments.in_boundary": {
    "zh": "在市场边界内",
    "en": "Inside the market boundary",
    "unit": "",
    "unitZh": ""
  },
  "unbacked_trades": {
    "zh": "未足额附绿证的绿电交易",
    "en": "Trades not backed by certificates",
    "unit": "",
    "unitZh": ""
  },
  "unbacked_trades.contract_ids": {
    "zh": "未足额附证合同",
    "en": "Unbacked contracts",
    "unit": "",
    "unitZh": ""
  },
  "unbacked_trades.plant_id": {
    "zh": "未足额附证电站",
    "en": "Unbacked plant",
    "unit": "",
    "unitZh": ""
  },
  "unbacked_trades.month": {
    "zh": "结算月份",
    "en": "Settlement month",
    "unit": "YYYY-MM",
    "unitZh": "YYYY-MM"
  },
  "unbacked_trades.kwh_settled": {
    "zh": "结算绿电量",
    "en": "Settled green power",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "unbacked_trades.kwh_bundled": {
    "zh": "随附绿证电量",
    "en": "Bundled certificates",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "park_id": {
    "zh": "园区编号",
    "en": "Park ID",
    "unit": "",
    "unitZh": ""
  },
  "park_name": {
    "zh": "园区名称",
    "en": "Park name",
    "unit": "",
    "unitZh": ""
  },
  "members": {
    "zh": "园区成员数",
    "en": "Park members",
    "unit": "",
    "unitZh": ""
  },
  "supplier_credit_code": {
    "zh": "园区供能企业",
    "en": "Park energy supplier",
    "unit": "",
    "unitZh": ""
  },
  "kwh_supplier_green": {
    "zh": "供能企业绿电供应量",
    "en": "Supplier's green supply",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "target_green_share": {
    "zh": "绿电占比目标",
    "en": "Target green share",
    "unit": "1",
    "unitZh": "1"
  },
  "target_year": {
    "zh": "目标年份",
    "en": "Target year",
    "unit": "",
    "unitZh": ""
  },
  "expected_green_share": {
    "zh": "目标路径绿电占比",
    "en": "Green share on the trajectory",
    "unit": "1",
    "unitZh": "1"
  },
  "shortfall_mwh": {
    "zh": "距目标绿电缺口",
    "en": "Shortfall to target",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "hours_fully_green_share": {
    "zh": "全绿电小时占比",
    "en": "Hours fully green",
    "unit": "1",
    "unitZh": "1"
  },
  "uncovered_load_share": {
    "zh": "无分时数据负荷占比",
    "en": "Load without interval data",
    "unit": "1",
    "unitZh": "1"
  },
  "shortfall_map_mwh": {
    "zh": "逐时绿电缺口分布",
    "en": "Hourly shortfall map",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "hour_bands": {
    "zh": "时段划分",
    "en": "Hour bands",
    "unit": "",
    "unitZh": ""
  },
  "hour_bands.night": {
    "zh": "夜间时段",
    "en": "Night hours",
    "unit": "",
    "unitZh": ""
  },
  "hour_bands.morning": {
    "zh": "早间时段",
    "en": "Morning hours",
    "unit": "",
    "unitZh": ""
  },
  "hour_bands.midday": {
    "zh": "午间光伏时段",
    "en": "Midday solar hours",
    "unit": "",
    "unitZh": ""
  },
  "hour_bands.evening_peak": {
    "zh": "晚高峰时段",
    "en": "Evening peak hours",
    "unit": "",
    "unitZh": ""
  },
  "hour_bands.late_evening": {
    "zh": "深夜时段",
    "en": "Late evening hours",
    "unit": "",
    "unitZh": ""
  },
  "shortfall_by_band_mwh": {
    "zh": "分时段绿电缺口",
    "en": "Hourly shortfall by band",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "shortfall_by_band_mwh.night": {
    "zh": "夜间绿电缺口",
    "en": "Night shortfall",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "shortfall_by_band_mwh.morning": {
    "zh": "早间绿电缺口",
    "en": "Morning shortfall",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "shortfall_by_band_mwh.midday": {
    "zh": "午间光伏绿电缺口",
    "en": "Midday solar shortfall",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "shortfall_by_band_mwh.evening_peak": {
    "zh": "晚高峰绿电缺口",
    "en": "Evening peak shortfall",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "shortfall_by_band_mwh.late_evening": {
    "zh": "深夜绿电缺口",
    "en": "Late evening shortfall",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "gap_storage": {
    "zh": "弥补缺口所需储能",
    "en": "Storage to close the gap",
    "unit": "",
    "unitZh": ""
  },
  "gap_storage.round_trip_efficiency": {
    "zh": "储能往返效率",
    "en": "Storage round-trip efficiency",
    "unit": "1",
    "unitZh": "1"
  },
  "gap_storage.surplus_mwh": {
    "zh": "富余绿电量",
    "en": "Green surplus",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "gap_storage.shortfall_mwh": {
    "zh": "逐时绿电缺口",
    "en": "Hourly shortfall",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "gap_storage.covered_mwh": {
    "zh": "储能可弥补缺口",
    "en": "Shortfall storage would cover",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "gap_storage.energy_mwh": {
    "zh": "所需储能容量",
    "en": "Storage energy capacity needed",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "gap_storage.power_mw": {
    "zh": "所需储能功率",
    "en": "Storage power needed",
    "unit": "MW",
    "unitZh": "MW"
  },
  "gap_storage.remaining_mwh": {
    "zh": "储能后剩余缺口",
    "en": "Shortfall after storage",
    "unit": "MWh",
    "unitZh": "MWh"
  },
  "verification_code": {
    "zh": "园区标识验证码",
    "en": "Park label verification code",
    "unit": "",
    "unitZh": ""
  },
  "benchmark": {
    "zh": "行业基准",
    "en": "Industry benchmark",
    "unit": "",
    "unitZh": ""
  },
  "benchmark.group": {
    "zh": "基准组",
    "en": "Benchmark group",
    "unit": "",
    "unitZh": ""
  },
  "benchmark.size": {
    "zh": "基准组规模",
    "en": "Benchmark group size",
    "unit": "",
    "unitZh": ""
  },
  "benchmark.value": {
    "zh": "行业基准强度",
    "en": "Benchmark intensity",
    "unit": "tCO2/10k CNY",
    "unitZh": "tCO2/万元"
  },
  "k": {
    "zh": "强度比 K",
    "en": "Intensity ratio K",
    "unit": "",
    "unitZh": ""
  },
  "aspect_scores": {
    "zh": "评价方面得分",
    "en": "Aspect scores",
    "unit": "",
    "unitZh": ""
  },
  "aspect_scores.intensity": {
    "zh": "碳排放强度得分",
    "en": "Intensity score",
    "unit": "",
    "unitZh": ""
  },
  "aspect_scores.reduction": {
    "zh": "碳减排成效得分",
    "en": "Reduction score",
    "unit": "",
    "unitZh": ""
  },
  "aspect_scores.green": {
    "zh": "绿电碳中和进度得分",
    "en": "Green-power progress score",
    "unit": "",
    "unitZh": ""
  },
  "score": {
    "zh": "综合得分",
    "en": "Score",
    "unit": "",
    "unitZh": ""
  },
  "grade": {
    "zh": "等级",
    "en": "Grade",
    "unit": "",
    "unitZh": ""
  },
  "label": {
    "zh": "碳评价标识",
    "en": "Carbon evaluation label",
    "unit": "",
    "unitZh": ""
  },
  "label.grade": {
    "zh": "标识等级",
    "en": "Label grade",
    "unit": "",
    "unitZh": ""
  },
  "label.colour": {
    "zh": "标识颜色",
    "en": "Label colour",
    "unit": "",
    "unitZh": ""
  },
  "label.year": {
    "zh": "标识年度",
    "en": "Label year",
    "unit": "",
    "unitZh": ""
  },
  "label.profile_id": {
    "zh": "标识方法版本",
    "en": "Label methodology profile",
    "unit": "",
    "unitZh": ""
  },
  "label.flags": {
    "zh": "等级限定标记",
    "en": "Flags qualifying the grade",
    "unit": "",
    "unitZh": ""
  },
  "label.verification_code": {
    "zh": "验证码",
    "en": "Verification code",
    "unit": "",
    "unitZh": ""
  },
  "alerts": {
    "zh": "用电预警",
    "en": "Electricity alerts",
    "unit": "",
    "unitZh": ""
  },
  "alerts.code": {
    "zh": "预警类型",
    "en": "Alert kind",
    "unit": "",
    "unitZh": ""
  },
  "alerts.month": {
    "zh": "预警月份",
    "en": "Alert month",
    "unit": "YYYY-MM",
    "unitZh": "YYYY-MM"
  },
  "profile_id": {
    "zh": "方法版本",
    "en": "Methodology profile",
    "unit": "",
    "unitZh": ""
  },
  "factors": {
    "zh": "排放因子",
    "en": "Emission factors",
    "unit": "",
    "unitZh": ""
  },
  "factors.location": {
    "zh": "所用位置因子",
    "en": "Location factor used",
    "unit": "",
    "unitZh": ""
  },
  "factors.location.year": {
    "zh": "位置因子年份",
    "en": "Location factor year",
    "unit": "",
    "unitZh": ""
  },
  "factors.location.area": {
    "zh": "位置因子区域",
    "en": "Location factor area",
    "unit": "",
    "unitZh": ""
  },
  "factors.location.kind": {
    "zh": "位置因子类型",
    "en": "Location factor kind",
    "unit": "",
    "unitZh": ""
  },
  "factors.location.value_kg_per_kwh": {
    "zh": "位置因子",
    "en": "Location factor",
    "unit": "kgCO2/kWh",
    "unitZh": "kgCO2/kWh"
  },
  "factors.location.source": {
    "zh": "位置因子来源",
    "en": "Location factor source",
    "unit": "",
    "unitZh": ""
  },
  "factors.location.announcement_no": {
    "zh": "位置因子公告文号",
    "en": "Location factor announcement number",
    "unit": "",
    "unitZh": ""
  },
  "factors.residual": {
    "zh": "所用剩余组合因子",
    "en": "Residual-mix factor used",
    "unit": "",
    "unitZh": ""
  },
  "factors.residual.year": {
    "zh": "剩余组合因子年份",
    "en": "Residual-mix factor year",
    "unit": "",
    "unitZh": ""
  },
  "factors.residual.area": {
    "zh": "剩余组合因子区域",
    "en": "Residual-mix factor area",
    "unit": "",
    "unitZh": ""
  },
  "factors.residual.kind": {
    "zh": "剩余组合因子类型",
    "en": "Residual-mix factor kind",
    "unit": "",
    "unitZh": ""
  },
  "factors.residual.value_kg_per_kwh": {
    "zh": "剩余组合因子",
    "en": "Residual-mix factor",
    "unit": "kgCO2/kWh",
    "unitZh": "kgCO2/kWh"
  },
  "factors.residual.source": {
    "zh": "剩余组合因子来源",
    "en": "Residual-mix factor source",
    "unit": "",
    "unitZh": ""
  },
  "factors.residual.announcement_no": {
    "zh": "剩余组合因子公告文号",
    "en": "Residual-mix factor announcement number",
    "unit": "",
    "unitZh": ""
  },
  "flags": {
    "zh": "标记",
    "en": "Flags",
    "unit": "",
    "unitZh": ""
  },
  "electricity": {
    "zh": "用电分析",
    "en": "Electricity analysis",
    "unit": "",
    "unitZh": ""
  },
  "electricity.monthly_kwh": {
    "zh": "月度电网用电量",
    "en": "Monthly grid electricity",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "electricity.monthly_kwh_prev_year": {
    "zh": "上年月度电网用电量",
    "en": "Monthly grid electricity last year",
    "unit": "kWh",
    "unitZh": "kWh"
  },
  "electricity.month_on_month": {
    "zh": "环比",
    "en": "Month on month",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.year_on_year": {
    "zh": "用电同比",
    "en": "Electricity year on year",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.year_on_year_months": {
    "zh": "同比可比月数",
    "en": "Months compared year on year",
    "unit": "",
    "unitZh": ""
  },
  "electricity.load_factor": {
    "zh": "负荷率",
    "en": "Load factor",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.peak_kw": {
    "zh": "最大负荷",
    "en": "Peak load",
    "unit": "kW",
    "unitZh": "kW"
  },
  "electricity.operating_rate": {
    "zh": "开工率",
    "en": "Operating rate",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.time_of_use": {
    "zh": "峰平谷用电结构",
    "en": "Time-of-use split",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.time_of_use.peak": {
    "zh": "峰时占比",
    "en": "Peak-period share",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.time_of_use.flat": {
    "zh": "平时占比",
    "en": "Flat-period share",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.time_of_use.valley": {
    "zh": "谷时占比",
    "en": "Valley-period share",
    "unit": "1",
    "unitZh": "1"
  },
  "electricity.time_of_use_source": {
    "zh": "峰平谷数据来源",
    "en": "Time-of-use source",
    "unit": "",
    "unitZh": ""
  },
  "run_id": {
    "zh": "计算批次",
    "en": "Computation run",
    "unit": "",
    "unitZh": ""
  },
  "inputs_fingerprint": {
    "zh": "输入指纹",
    "en": "Inputs fingerprint",
    "unit": "",
    "unitZh": ""
  },
  "accounts": {
    "zh": "账户数",
    "en": "Accounts",
    "unit": "",
    "unitZh": ""
  },
  "enterprises": {
    "zh": "企业数",
    "en": "Enterprises",
    "unit": "",
    "unitZh": ""
  },
  "group": {
    "zh": "分组",
    "en": "Group",
    "unit": "",
    "unitZh": ""
  },
  "industry": {
    "zh": "行业门类",
    "en": "Industry section",
    "unit": "",
    "unitZh": ""
  },
  "region": {
    "zh": "地区",
    "en": "Region",
    "unit": "",
    "unitZh": ""
  },
  "as_of": {
    "zh": "截至日期",
    "en": "As-of day",
    "unit": "",
    "unitZh": ""
  },
  "accounts_opened": {
    "zh": "累计开立碳账户",
    "en": "Accounts opened",
    "unit": "",
    "unitZh": ""
  },
  "carbon_loans": {
    "zh": "碳账户贷款笔数",
    "en": "Carbon-account loans",
    "unit": "",
    "unitZh": ""
  },
  "carbon_loan_amount_cny": {
    "zh": "碳账户贷款发放金额",
    "en": "Carbon-account loans issued",
    "unit": "CNY",
    "unitZh": "元"
  },
  "carbon_loan_outstanding_cny": {
    "zh": "碳账户贷款余额",
    "en": "Carbon-account loan balance",
    "unit": "CNY",
    "unitZh": "元"
  },
  "loan_outstanding_cny": {
    "zh": "贷款余额",
    "en": "Loan balance",
    "unit": "CNY",
    "unitZh": "元"
  },
  "interest_saved_cny": {
    "zh": "节省利息",
    "en": "Interest saved",
    "unit": "CNY",
    "unitZh": "元"
  },
  "peers.metric": {
    "zh": "比较指标",
    "en": "Compared figure",
    "unit": "",
    "unitZh": ""
  },
  "peers.group": {
    "zh": "同业组",
    "en": "Peer group",
    "unit": "",
    "unitZh": ""
  },
  "peers.group_level": {
    "zh": "同业组层级",
    "en": "Peer group level",
    "unit": "",
    "unitZh": ""
  },
  "peers.size": {
    "zh": "参与比较企业数",
    "en": "Peers compared",
    "unit": "",
    "unitZh": ""
  },
  "peers.excluded": {
    "zh": "未参与比较企业数",
    "en": "Peers without the figure",
    "unit": "",
    "unitZh": ""
  },
  "peers.rank": {
    "zh": "同业排名",
    "en": "Rank among peers",
    "unit": "",
    "unitZh": ""
  },
  "peers.percentile": {
    "zh": "同业百分位",
    "en": "Peer percentile",
    "unit": "1",
    "unitZh": "1"
  },
  "peers.distribution": {
    "zh": "同业分布",
    "en": "Peer distribution",
    "unit": "",
    "unitZh": ""
  },
  "peers.min_group_size": {
    "zh": "同业组最小规模",
    "en": "Minimum peer group",
    "unit": "",
    "unitZh": ""
  },
  "trend.change": {
    "zh": "同比变化",
    "en": "Year-on-year change",
    "unit": "",
    "unitZh": ""
  }
};

const fieldText = (lang) =>
  Object.fromEntries(Object.entries(QUANTITIES).map(([name, q]) => [`field.${name}`, q[lang]]));

export const FIELD_TEXT = { zh: fieldText("zh"), en: fieldText("en") };

// Every account flag's text (flag.<code>), and the flags that qualify a grade: shown wherever it is.
export const FLAG_TEXT = {
  "zh": {
    "flag.factor_year_fallback": "沿用最近年份因子",
    "flag.factor_area_fallback": "采用区域电网因子（无省级因子）",
    "flag.intensity_basis_revenue": "强度按营业收入计算（非增加值）",
    "flag.partial_year": "数据不满 12 个月",
    "flag.meter_mismatch": "月度与 15 分钟数据不一致",
    "flag.basis_changed": "强度口径与上年不同：不评碳减排成效",
    "flag.annual_method_fallback": "无 15 分钟数据，按年度市场法计算",
    "flag.trade_not_backed_by_certificates": "绿电交易未足额附绿证"
  },
  "en": {
    "flag.factor_year_fallback": "factor of an earlier year",
    "flag.factor_area_fallback": "regional grid factor (no provincial one)",
    "flag.intensity_basis_revenue": "intensity on revenue, not value added",
    "flag.partial_year": "fewer than 12 months of data",
    "flag.meter_mismatch": "monthly and 15-minute data disagree",
    "flag.basis_changed": "value basis changed from last year: reduction not rated",
    "flag.annual_method_fallback": "annual market-based method (no interval data)",
    "flag.trade_not_backed_by_certificates": "green trades not fully backed by certificates"
  }
};

export const QUALIFYING_FLAGS = ["intensity_basis_revenue", "partial_year", "factor_year_fallback", "factor_area_fallback", "annual_method_fallback", "basis_changed"];

// The input tables of the data requirement table (TABLES): each table's and column's Chinese name (the
// English name is the table's or column's own), for the operator's intake pages.
export const INPUT_TABLES = {
  "enterprises": {
    "zh": "企业",
    "columns": {
      "credit_code": "统一社会信用代码",
      "name": "企业名称",
      "industry_code": "行业代码",
      "region_code": "行政区划代码",
      "opened_on": "开户日期",
      "closed_on": "销户日期"
    }
  },
  "meters": {
    "zh": "户号",
    "columns": {
      "meter_id": "户号",
      "credit_code": "统一社会信用代码",
      "valid_from": "起始日期",
      "valid_to": "截止日期"
    }
  },
  "consumption_monthly": {
    "zh": "月度用电",
    "columns": {
      "meter_id": "户号",
      "month": "月份",
      "kwh": "月用电量",
      "kwh_peak": "峰时电量",
      "kwh_flat": "平时电量",
      "kwh_valley": "谷时电量"
    }
  },
  "interval_readings": {
    "zh": "15 分钟用电",
    "columns": {
      "meter_id": "户号",
      "ts": "时间",
      "kwh": "15 分钟电量"
    }
  },
  "onsite_generation": {
    "zh": "分布式发电",
    "columns": {
      "credit_code": "统一社会信用代码",
      "month": "月份",
      "kwh_generated": "发电量",
      "kwh_self_consumed": "自发自用电量",
      "technology": "技术类型"
    }
  },
  "onsite_generation_interval": {
    "zh": "分布式发电曲线",
    "columns": {
      "credit_code": "统一社会信用代码",
      "ts": "时间",
      "kwh": "自用绿电量"
    }
  },
  "parks": {
    "zh": "园区",
    "columns": {
      "park_id": "园区编号",
      "name": "园区名称",
      "region_code": "行政区划代码",
      "supplier_credit_code": "园区供能企业",
      "target_green_share": "绿电占比目标",
      "target_year": "目标年份"
    }
  },
  "park_members": {
    "zh": "园区成员",
    "columns": {
      "park_id": "园区编号",
      "credit_code": "统一社会信用代码",
      "valid_from": "入园日期",
      "valid_to": "出园日期"
    }
  },
  "plants": {
    "zh": "电站",
    "columns": {
      "plant_id": "电站编号",
      "name": "电站名称",
      "technology": "技术类型",
      "region_code": "所在省份代码",
      "capacity_mw": "装机容量",
      "commissioned_on": "投产日期"
    }
  },
  "green_trades": {
    "zh": "绿电交易",
    "columns": {
      "contract_id": "绿电交易合同",
      "credit_code": "统一社会信用代码",
      "month": "月份",
      "kwh": "结算绿电量",
      "technology": "技术类型",
      "plant_id": "电站编号"
    }
  },
  "green_trade_profiles": {
    "zh": "绿电交易曲线",
    "columns": {
      "contract_id": "绿电交易合同",
      "ts": "小时",
      "kwh": "小时绿电量"
    }
  },
  "green_certificates": {
    "zh": "绿证",
    "columns": {
      "certificate_id": "绿证编号",
      "credit_code": "统一社会信用代码",
      "vintage_month": "生产月份",
      "mwh": "对应电量",
      "technology": "技术类型",
      "retired_on": "注销日期",
      "bundled": "随绿电交易",
      "plant_id": "电站编号"
    }
  },
  "storage_interval": {
    "zh": "储能充放电曲线",
    "columns": {
      "credit_code": "统一社会信用代码",
      "ts": "时间",
      "kwh_charged": "充电量",
      "kwh_discharged": "放电量"
    }
  },
  "economics": {
    "zh": "经济数据",
    "columns": {
      "credit_code": "统一社会信用代码",
      "year": "年份",
      "value_added_10k_cny": "工业增加值",
      "revenue_10k_cny": "营业收入",
      "total_equity_plus_debt_cny": "权益与负债合计"
    }
  },
  "loans": {
    "zh": "贷款",
    "columns": {
      "loan_id": "贷款编号",
      "bank_id": "银行",
      "credit_code": "统一社会信用代码",
      "principal_cny": "本金",
      "outstanding_cny": "贷款余额",
      "as_of": "余额日期",
      "drawn_on": "放款日期",
      "maturity_on": "到期日期",
      "base_rate_pct": "基准利率",
      "product": "贷款产品"
    }
  },
  "data_centres": {
    "zh": "数据中心",
    "columns": {
      "credit_code": "统一社会信用代码",
      "site_name": "数据中心名称",
      "it_meter_id": "IT 负载分表户号"
    }
  }
};
