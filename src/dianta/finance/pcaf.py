"""Financed emissions of a bank's business loans (PCAF), METHODOLOGY.md §8: load from the store, calculate with
:mod:`dianta.calc.pcaf`, and export as xlsx and JSON.

Decisions (also written into every result's ``method`` text):

- Outstanding O is each loan's amount outstanding on 31 December of the year (:meth:`Loan.outstanding_on`, so a
  later report of the loan does not change an earlier year); loans with nothing outstanding that day (not yet
  drawn, matured, repaid) are left out and listed under ``left_out``.
- Total equity plus debt (EVIC) is ``economics.total_equity_plus_debt_cny`` of the borrower for that year. The
  attribution factor ``AF = O / EVIC`` is capped at 1 (100 %) per bank and borrower: when a bank's loans to one
  borrower add up to more than its EVIC, 100 % is shared among them pro rata (:func:`calc.pcaf.attribution_factor`).
  Missing, zero or negative EVIC: the loan is not covered, with the reason.
- Emissions C are the published account's ``emissions_t`` of that year under the profile (``default``); no
  account: not covered, with the reason. Financed emissions ``FE = AF × C`` [tCO2].
- Data quality: PCAF score 2 for every covered loan (option 2a: metered electricity consumption, primary physical
  activity data, times published grid emission factors). The account holds Scope 2 (purchased electricity) only;
  the borrower's Scope 1 and Scope 3 are not included. Loans not covered get no score (nothing is estimated).
- Totals: Σ FE; O_total (every loan of the bank outstanding that day), O_covered, coverage = O_covered / O_total;
  economic intensity = Σ FE / (O_covered / 10⁶) [tCO2 per million CNY]; WACI = Σ (O_i / Σ O) × I_i over the covered
  loans with an intensity, I_i being the account's ``intensity`` [tCO2 / 10k CNY] on value added (工业增加值; on
  revenue where the account's ``value_basis`` says so), where PCAF/TCFD usually take revenue; the data quality
  score weighted by O. The same figures by industry section (GB/T 4754) and by prefecture (GB/T 2260).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Callable

import numpy as np
import sqlalchemy as sa
from openpyxl import Workbook

from dianta.accounts import query
from dianta.accounts.export import safe_text, workbook_bytes
from dianta.calc import pcaf, regions
from dianta.calc.missing import nan_if_none as _float
from dianta.calc.missing import none_if_nan as _none
from dianta.finance.loans import load_loans
from dianta.lang import check_lang
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_sections, region_codes

METHOD = {
    "en": (
        "PCAF Standard Part A (2nd ed., 2022) §5.2, business loans; METHODOLOGY.md §8. Outstanding O = each loan's "
        "amount outstanding on 31 December of the year (loans with nothing outstanding that day are left out). "
        "Attribution factor AF = O / (total equity + debt of the borrower, economics.total_equity_plus_debt_cny of "
        "the year), capped at 100 % per bank and borrower (several loans of a bank to one borrower share 100 % pro "
        "rata when they exceed it); missing or non-positive total equity + debt: not covered. Financed emissions "
        "FE = AF × emissions_t of the borrower's published account of the year (Scope 2 electricity only); no "
        "account: not covered. Coverage = covered O / total O. Economic intensity = Σ FE / (covered O / 1e6) "
        "[tCO2 per million CNY]. WACI = Σ (O_i / Σ covered O) × intensity_i [tCO2 per 10k CNY], intensity on value "
        "added (or revenue where value_basis says so), not on revenue as PCAF/TCFD usually do. Data quality score "
        "weighted by O."),
    "zh": (
        "依据PCAF《金融业温室气体核算和报告标准》A部分（第二版，2022）§5.2 企业贷款；METHODOLOGY.md §8。贷款余额O取"
        "当年12月31日的余额（当日余额为0的贷款不计入）。归因系数AF = O /（借款人当年权益与负债合计，"
        "economics.total_equity_plus_debt_cny），同一银行对同一借款人以100%为上限（多笔贷款合计超过时按余额比例分摊）；"
        "权益与负债合计缺失或不为正：不覆盖。融资排放FE = AF × 借款人当年已发布电碳账户的碳排放量emissions_t（仅范围二"
        "外购电力）；无账户：不覆盖。覆盖率 = 覆盖余额 / 全部余额。经济排放强度 = ΣFE /（覆盖余额/10⁶）[tCO2/百万元]。"
        "加权平均碳强度WACI = Σ(O_i/Σ覆盖余额) × 强度_i [tCO2/万元]，强度以工业增加值为基础（强度口径 value_basis "
        "为营业收入时为营业收入），而非PCAF/TCFD通常采用的营业收入。数据质量评分按余额加权。"),
}

DATA_QUALITY = {
    "score": pcaf.SCORE_METERED_ELECTRICITY,
    "option": "2a",
    "en": ("PCAF data quality score 2 (option 2a): the emissions are calculated from the borrower's metered "
           "electricity consumption (primary physical activity data from the grid company's meters) times published "
           "emission factors (MEE/NBS), and outstanding amount and total equity + debt are known. They cover Scope 2 "
           "(purchased electricity) only; Scope 1 and Scope 3 are not in the electricity-carbon account."),
    "zh": ("PCAF数据质量评分2（选项2a）：排放量由借款人的计量用电量（电网企业电表的一手实物活动数据）乘以官方发布的"
           "排放因子（生态环境部/国家统计局）计算，且贷款余额与权益负债合计已知。仅包括范围二（外购电力）；范围一和"
           "范围三不在电碳账户之内。"),
}

REASONS = {
    "no_account": ("no published account of the borrower for {year} under profile '{profile}'",
                   "借款人{year}年在方法配置“{profile}”下没有已发布的电碳账户"),
    "no_emissions": ("the borrower's {year} account has no emissions figure", "借款人{year}年账户没有碳排放量"),
    "no_equity_plus_debt": ("no positive total_equity_plus_debt_cny of the borrower for {year} in economics",
                            "经济数据中没有借款人{year}年为正的权益与负债合计（total_equity_plus_debt_cny）"),
    "not_outstanding": ("nothing outstanding on {day} (not yet drawn, matured or repaid)",
                        "{day}贷款余额为0（尚未放款、已到期或已还清）"),
    "no_consent": ("not covered: no consent — the borrower has not granted this bank a live consent to see its "
                   "account, so none of its figures are shown", "未覆盖：无授权——借款人未向本行授予有效的账户查看授权，"
                   "不显示其任何数据"),
}


def _reason(code: str, **fields: object) -> dict[str, str]:
    en, zh = REASONS[code]
    return {"code": code, "message_en": en.format(**fields), "message_zh": zh.format(**fields)}


def _float_or_none(x: object) -> float | None:
    return None if x is None else float(x)  # type: ignore[arg-type]


def _borrowers(store: Store, codes: set[str], year: int) -> tuple[dict[str, dict[str, object]], dict[str, float]]:
    """The borrowers' names and codes, and their total equity plus debt of ``year`` [CNY]."""
    ent, eco = schema.data_tables["enterprises"], schema.data_tables["economics"]
    names: dict[str, dict[str, object]] = {}
    evic: dict[str, float] = {}
    keys = sorted(codes)
    with store.engine.connect() as con:
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            for r in con.execute(sa.select(ent.c.credit_code, ent.c.name, ent.c.industry_code, ent.c.region_code)
                                 .where(ent.c.credit_code.in_(part))).mappings():
                names[r["credit_code"]] = dict(r)
            for code, value in con.execute(sa.select(eco.c.credit_code, eco.c.total_equity_plus_debt_cny)
                                           .where(eco.c.year == year, eco.c.credit_code.in_(part))):
                if value is not None:
                    evic[code] = float(value)
    return names, evic


def _totals(rows: list[dict[str, object]]) -> dict[str, object]:
    """Portfolio figures of some loan rows (see the module's decisions)."""
    cov = np.array([bool(r["covered"]) for r in rows], dtype=bool)
    o, fe, intensity = (np.array([_float(r[k]) for r in rows], dtype=float)
                        for k in ("outstanding_cny", "financed_emissions_t", "intensity"))
    score = np.array([_float(r["data_quality_score"]) for r in rows], dtype=float)
    total, covered = float(o.sum()), float(o[cov].sum())
    return {
        "loans": len(rows), "loans_covered": int(cov.sum()),
        "borrowers": len({r["credit_code"] for r in rows}),
        "borrowers_covered": len({r["credit_code"] for r in rows if r["covered"]}),
        "outstanding_cny": total, "covered_outstanding_cny": covered,
        "coverage": _none(float(pcaf.coverage(covered, total))),
        "financed_emissions_t": float(fe[cov].sum()),
        "economic_intensity_t_per_million_cny": _none(pcaf.economic_intensity_t_per_million_cny(fe[cov], o[cov])),
        "waci_t_per_10k_cny": _none(pcaf.waci(o[cov], intensity[cov])),
        "data_quality_score": _none(pcaf.weighted_average(score[cov], o[cov])),
    }


def _groups(rows: list[dict[str, object]], key_of: Callable[[dict[str, object]], str],
            names: dict[str, str]) -> list[dict[str, object]]:
    parts: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        parts[key_of(r)].append(r)
    return [{"group": k, "name": names.get(k, ""), **_totals(v)} for k, v in sorted(parts.items())]


def _breakdown(rows: list[dict[str, object]]) -> dict[str, object]:
    return {"totals": _totals(rows),
            "by_industry": _groups(rows, lambda r: str(r["industry_code"] or "")[:1], industry_sections()),
            "by_region": _groups(rows, lambda r: regions.prefecture_code(str(r["region_code"] or "")),
                                 region_codes())}


def financed_emissions(store: Store, *, bank_id: str | None, year: int, profile_id: str = "default",
                       visible: set[str] | None = None) -> dict[str, object]:
    """Financed emissions of ``bank_id``'s loans (None: every bank, each bank figured separately) on 31 December
    of ``year``: one row per loan, totals, by industry section and by prefecture, per bank and overall.

    ``visible``: the borrowers whose figures the reader may see (a bank: those with a live consent to it whose
    scope shows the account, :func:`dianta.security.authz.visible_codes`); None for every borrower (the
    operator). A loan to any other borrower stays in the result as the bank's own record (loan id, credit code,
    product, outstanding amount) but is not covered (``no_consent``): no name, industry, region, total equity
    plus debt, emissions or intensity, and nothing of it in the covered figures.

    The result: ``year``, ``as_of``, ``bank_id``, ``profile_id``, ``method`` and ``data_quality`` (texts in
    ``en`` and ``zh``), ``loans`` (rows), ``left_out`` (loans with nothing outstanding), ``totals``,
    ``by_industry``, ``by_region`` (over every loan in the result) and ``banks`` (each bank's ``bank_id``,
    ``totals``, ``by_industry``, ``by_region``). Numbers that are not defined are null.
    """
    day = dt.date(year, 12, 31)
    live, left_out = [], []
    for loan in load_loans(store, bank_id=bank_id):
        amount = loan.outstanding_on(day)
        if amount > 0:
            live.append((loan, amount))
        else:
            left_out.append({"loan_id": loan.loan_id, "bank_id": loan.bank_id, "credit_code": loan.credit_code,
                             "reason": _reason("not_outstanding", day=day.isoformat())})
    codes = {loan.credit_code for loan, _ in live}
    if visible is not None:
        codes &= visible
    borrowers, evic_of = _borrowers(store, codes, year)
    accounts = {str(r["credit_code"]): r for r in query.list_accounts(
        store, year=year, visible=codes, profile_id=profile_id, size=max(len(codes), 1)).items}

    # the calculation, over columns of one entry per loan
    o = np.array([amount for _, amount in live], dtype=float)
    evic = np.array([evic_of.get(loan.credit_code, math.nan) for loan, _ in live], dtype=float)
    emissions = np.array([_float(accounts[loan.credit_code]["emissions_t"] if loan.credit_code in accounts else None)
                          for loan, _ in live], dtype=float)
    per_borrower: dict[tuple[str, str], float] = defaultdict(float)
    for loan, amount in live:
        per_borrower[loan.bank_id, loan.credit_code] += amount
    ob = np.array([per_borrower[loan.bank_id, loan.credit_code] for loan, _ in live], dtype=float)
    af = pcaf.attribution_factor(o, evic, ob)
    fe = pcaf.financed_emissions_t(af, emissions)

    rows: list[dict[str, object]] = []
    for i, (loan, amount) in enumerate(live):
        acc = accounts.get(loan.credit_code)
        reasons = []
        if loan.credit_code not in codes:  # no consent: none of the borrower's figures, and not covered
            reasons.append(_reason("no_consent"))
        else:
            if acc is None:
                reasons.append(_reason("no_account", year=year, profile=profile_id))
            elif math.isnan(emissions[i]):
                reasons.append(_reason("no_emissions", year=year))
            if math.isnan(af[i]):
                reasons.append(_reason("no_equity_plus_debt", year=year))
        covered = not reasons
        who = borrowers.get(loan.credit_code, {})
        rows.append({
            "bank_id": loan.bank_id, "loan_id": loan.loan_id, "credit_code": loan.credit_code,
            "name": who.get("name"), "industry_code": who.get("industry_code"), "region_code": who.get("region_code"),
            "product": loan.product, "outstanding_cny": amount,
            "total_equity_plus_debt_cny": _none(evic[i]), "attribution_factor": _none(af[i]),
            "emissions_t": _none(emissions[i]), "financed_emissions_t": _none(fe[i]) if covered else None,
            "intensity": _float_or_none(acc.get("intensity")) if acc else None,
            "value_basis": acc.get("value_basis") if acc else None,
            "data_quality_score": pcaf.SCORE_METERED_ELECTRICITY if covered else None,
            "covered": covered, "not_covered": reasons,
        })
    banks = sorted({str(r["bank_id"]) for r in rows} | ({bank_id} if bank_id is not None else set()))
    return {
        "year": year, "as_of": day.isoformat(), "bank_id": bank_id, "profile_id": profile_id,
        "method": METHOD, "data_quality": DATA_QUALITY,
        "loans": rows, "left_out": left_out, **_breakdown(rows),
        "banks": [{"bank_id": b, **_breakdown([r for r in rows if r["bank_id"] == b])} for b in banks],
    }


# -- export ------------------------------------------------------------------------------------------------------
LOAN_COLUMNS = (  # (field, English header, Chinese header)
    ("bank_id", "Bank", "银行"),
    ("loan_id", "Loan", "贷款编号"),
    ("credit_code", "Credit code", "统一社会信用代码"),
    ("name", "Borrower", "借款人"),
    ("industry_code", "Industry (GB/T 4754)", "行业代码"),
    ("region_code", "Region (GB/T 2260)", "行政区划代码"),
    ("product", "Loan product", "贷款产品"),
    ("outstanding_cny", "Outstanding on 31 Dec (CNY)", "12月31日贷款余额 (元)"),
    ("total_equity_plus_debt_cny", "Total equity + debt (CNY)", "权益与负债合计 (元)"),
    ("attribution_factor", "Attribution factor (0–1)", "归因系数 (0–1)"),
    ("emissions_t", "Borrower emissions (tCO2)", "借款人碳排放量 (tCO2)"),
    ("financed_emissions_t", "Financed emissions (tCO2)", "融资排放 (tCO2)"),
    ("intensity", "Carbon intensity (tCO2/10k CNY)", "碳强度 (tCO2/万元)"),
    ("value_basis", "Intensity basis", "强度口径"),
    ("data_quality_score", "PCAF data quality score (1–5)", "PCAF数据质量评分 (1–5)"),
    ("covered", "Covered", "是否覆盖"),
    ("not_covered", "Not covered because", "未覆盖原因"),
)
TOTAL_COLUMNS = (
    ("bank_id", "Bank", "银行"),
    ("grouping", "Grouping", "分组方式"),
    ("group", "Group", "分组"),
    ("name", "Name", "名称"),
    ("loans", "Loans", "贷款笔数"),
    ("loans_covered", "Loans covered", "覆盖笔数"),
    ("borrowers", "Borrowers", "借款人数"),
    ("outstanding_cny", "Outstanding (CNY)", "贷款余额 (元)"),
    ("covered_outstanding_cny", "Covered outstanding (CNY)", "覆盖余额 (元)"),
    ("coverage", "Coverage (0–1)", "覆盖率 (0–1)"),
    ("financed_emissions_t", "Financed emissions (tCO2)", "融资排放 (tCO2)"),
    ("economic_intensity_t_per_million_cny", "Economic intensity (tCO2/million CNY)", "经济排放强度 (tCO2/百万元)"),
    ("waci_t_per_10k_cny", "WACI (tCO2/10k CNY)", "加权平均碳强度 (tCO2/万元)"),
    ("data_quality_score", "PCAF data quality score (1–5)", "PCAF数据质量评分 (1–5)"),
)
GROUPINGS = {"all": ("All", "合计"), "industry": ("Industry section", "行业门类"), "region": ("Prefecture", "地市")}
ALL_BANKS = ("All banks", "全部银行")


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "en" else pair[1]


def pcaf_xlsx(result: dict[str, object], lang: str = "zh") -> bytes:
    """The result as a workbook: ``loans`` (one row per loan), ``totals`` (per bank and, for several banks, all
    banks: the totals, by industry section, by prefecture) and ``method``; headers in ``lang`` with units."""
    lang = check_lang(lang)
    en = lang == "en"
    book = Workbook()
    loans = book.active
    loans.title = "loans"
    loans.append([c[1] if en else c[2] for c in LOAN_COLUMNS])
    for r in result["loans"]:  # type: ignore[attr-defined]
        cells = []
        for field, *_ in LOAN_COLUMNS:
            value = r[field]
            if field == "covered":
                value = ("yes" if value else "no") if en else ("是" if value else "否")
            elif field == "not_covered":
                value = "; ".join(x["message_en" if en else "message_zh"] for x in value) or None
            cells.append(safe_text(value))
        loans.append(cells)

    totals = book.create_sheet("totals")
    totals.append([c[1] if en else c[2] for c in TOTAL_COLUMNS])
    parts: list[tuple[str, dict[str, object]]] = [(str(b["bank_id"]), b) for b in result["banks"]]  # type: ignore[attr-defined]
    if result["bank_id"] is None and len(parts) != 1:
        parts.append((_pick(ALL_BANKS, lang), result))
    for bank, part in parts:
        groups = [("all", {"group": None, "name": None, **part["totals"]})]  # type: ignore[dict-item]
        groups += [("industry", g) for g in part["by_industry"]]  # type: ignore[attr-defined]
        groups += [("region", g) for g in part["by_region"]]  # type: ignore[attr-defined]
        for grouping, g in groups:
            row = {**g, "bank_id": bank, "grouping": _pick(GROUPINGS[grouping], lang)}
            totals.append([safe_text(row[field]) for field, *_ in TOTAL_COLUMNS])

    method = book.create_sheet("method")
    dq: dict[str, object] = result["data_quality"]  # type: ignore[assignment]
    for label, text in (("Year" if en else "年份", result["year"]), ("As of" if en else "余额日期", result["as_of"]),
                        ("Profile" if en else "方法配置", result["profile_id"]),
                        ("Method" if en else "方法", result["method"][lang]),  # type: ignore[index]
                        ("Data quality" if en else "数据质量", dq[lang])):
        method.append([label, safe_text(text)])
    return workbook_bytes(book)


def pcaf_json(result: dict[str, object]) -> bytes:
    """The result as UTF-8 JSON (nulls where a figure is not defined; never NaN)."""
    return (json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")
