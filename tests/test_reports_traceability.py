"""Issue 15: the account report's green-power traceability (GREEN-POWER.md §9–§9b) — the hourly market-based
figure beside the annual one, the instruments traced to their plants inside or outside the market boundary,
the trade months not backed by certificates and the new flags, in Chinese and English.

The store is real: the hand-computed province (tests/province.py) with a third batch of plants, plant ids on H's
trade and certificates of H from plants inside and outside its regional grid, computed under a profile with
``market_method = "hourly"`` and ``market_boundary = "regional_grid"``. Until the computation of these fields
lands (issue 15), the fields it will fill — the hourly figures, the instruments, the unbacked trade months, the
boundary exclusions, the new flags and (hourly method) ``emissions_t`` — are set by hand on the computed account
records of A and H in the ledger (:func:`_traced_h`, :func:`_traced_a`), each value worked out by hand beside it;
everything else (the annual figures, factors, evaluation) is as computed.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import open_store, write_table
from province import MONTHS_2023, A, H, write_batch_2022, write_batch_2023
from test_reports import CJK, _cjk_font_covers, _pdf, _visible_text

from dianta.accounts.compute import compute_year
from dianta.accounts.query import get_account
from dianta.accounts.record import Account
from dianta.glossary import FLAGS
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import HERE as REFERENCE
from dianta.reports.content import AccountReport, gather_account_report
from dianta.reports.i18n import catalogue
from dianta.reports.render import account_report_html, html_to_pdf

PROFILE_ID = "traced"
DAYS = {m: calendar.monthrange(2023, int(m[5:]))[1] for m in MONTHS_2023}


def _write_trace_batch(folder: Path) -> Path:
    """Plants; K1 (H's trade, 240 kWh a day) from the Qinghai solar plant, with bundled certificates of the
    settled MWh in every month but March (5 MWh against 7.44 settled); unbundled certificates of H: 3 × 1 MWh of
    March from a Gansu wind farm (northwest grid, like H in Qinghai) and 2 × 1 MWh of July from a Guangdong hydro
    plant (south grid: outside H's boundary)."""
    write_table(folder, "plants", ["plant_id", "name", "technology", "region_code", "capacity_mw", "commissioned_on"],
                [("QH-PV-01", "格尔木光伏一站", "solar", "630000", 50, "2019-06-30"),
                 ("GS-WF-01", "酒泉风电一场", "wind", "620000", 100, "2018-12-31"),
                 ("GD-HY-01", "韶关水电站", "hydro", "440000", 20, "2010-01-01")])
    write_table(folder, "green_trades", ["contract_id", "credit_code", "month", "kwh", "technology", "plant_id"],
                [("K1", H, m, 240 * DAYS[m], "solar", "QH-PV-01") for m in MONTHS_2023])
    bundled = [(f"GEC-K1-{m}", H, m, 5.0 if m == "2023-03" else round(0.24 * DAYS[m], 2), "solar", "2023-12-20", "true",
                "QH-PV-01") for m in MONTHS_2023]
    unbundled = [(f"GEC-H-{i:04d}", H, "2023-03", 1, "wind", "2023-12-01", "false", "GS-WF-01") for i in (1, 2, 3)] \
        + [(f"GEC-H-{i:04d}", H, "2023-07", 1, "hydro", "2023-12-01", "false", "GD-HY-01") for i in (4, 5)]
    write_table(folder, "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh", "technology",
                                               "retired_on", "bundled", "plant_id"], bundled + unbundled)
    return folder


@pytest.fixture(scope="module")
def traced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("traced")
    store = open_store("sqlite", root, request)
    for folder in (write_batch_2022(root / "2022"), write_batch_2023(root / "2023"), _write_trace_batch(root / "3")):
        assert ingest_batch(store, folder).status == "applied"
    profile = (REFERENCE / "profiles" / "default.toml").read_text(encoding="utf-8")
    for old, new in (('id = "default"', f'id = "{PROFILE_ID}"'),
                     ('market_method = "annual"', 'market_method = "hourly"'),
                     ('market_boundary = "national"', 'market_boundary = "regional_grid"')):
        assert old in profile
        profile = profile.replace(old, new)
    (root / "traced.toml").write_text(profile, encoding="utf-8")
    compute_year(store, 2023, profile=root / "traced.toml")
    accounts = schema.accounts
    with store.engine.begin() as con:
        for code, by_hand in ((A, _traced_a), (H, _traced_h)):
            record = by_hand(get_account(store, credit_code=code, year=2023, profile_id=PROFILE_ID))
            con.execute(sa.update(accounts).where(accounts.c.credit_code == code, accounts.c.year == 2023,
                                                  accounts.c.profile_id == PROFILE_ID)
                        .values(record_json=json.dumps(record, ensure_ascii=False)))
    yield store
    store.close()


def _traced_h(r: Account) -> Account:
    """H's traceability fields, set by hand as GREEN-POWER.md §9–§9b compute them (H: Qinghai, northwest grid;
    10 kWh every quarter hour, so L_h = 40 kWh; K1 supplies 60 kWh in each hour 10:00–14:00)."""
    # §9b: min(L_h, G_h) = 40 kWh in the 4 hours 10–13 of each of 365 days: 4 × 40 × 365 = 58,400 kWh
    r["kwh_matched_hourly"] = 58_400.0
    # U_h = 40 kWh in the other 20 hours: 800 kWh a day; U_March = 31 × 800 = 24,800 kWh; C_March = 3 MWh of
    # in-boundary unbundled certificates (Gansu: northwest grid) -> min = 3,000; July's 2 MWh come from Guangdong
    # (south grid): outside the boundary, C_July = 0
    r["kwh_cert_monthly_matched"] = 3_000.0
    # R = 365 × 800 − 3,000 = 289,000 kWh; × 0.6096 kg/kWh / 1000 = 176.1744 t
    r["emissions_market_hourly_t"] = 176.1744
    r["emissions_t"] = 176.1744  # market_method hourly with complete interval data: indicator 1 is the hourly one
    r["kwh_outside_boundary"] = 2_000.0  # the 2 Guangdong certificates
    r["instruments"] = [
        {"source_kind": "trade", "source_id": "K1", "last_id": None, "n": 1, "plant_id": "QH-PV-01",
         "technology": "solar", "plant_region_code": "630000", "month": None, "kwh": 87_600.0, "in_boundary": True},
        {"source_kind": "certificate", "source_id": "GEC-H-0001", "last_id": "GEC-H-0003", "n": 3,
         "plant_id": "GS-WF-01", "technology": "wind", "plant_region_code": "620000", "month": "2023-03",
         "kwh": 3_000.0, "in_boundary": True},
        {"source_kind": "certificate", "source_id": "GEC-H-0004", "last_id": "GEC-H-0005", "n": 2,
         "plant_id": "GD-HY-01", "technology": "hydro", "plant_region_code": "440000", "month": "2023-07",
         "kwh": 2_000.0, "in_boundary": False}]
    # §9: March's bundled certificates are 5 MWh against 240 × 31 = 7,440 kWh settled (short by more than 1 %)
    r["unbacked_trades"] = [{"contract_ids": ["K1"], "plant_id": "QH-PV-01", "month": "2023-03",
                             "kwh_settled": 7_440.0, "kwh_bundled": 5_000.0}]
    r["flags"] = [*r["flags"], "trade_not_backed_by_certificates"]
    return r


def _traced_a(r: Account) -> Account:
    """A's traceability fields, set by hand: monthly data only (no hourly figures, ``annual_method_fallback``);
    its trade GT-A and certificate GEC000000000001 name no plant, so under ``regional_grid`` neither counts
    (200,000 + 100,000 kWh outside the boundary); GT-A's months 2023-03 and 2023-09 have no bundled certificate
    (A's bundled one is of 2023-06)."""
    r["kwh_outside_boundary"] = 300_000.0
    r["instruments"] = [
        {"source_kind": "trade", "source_id": "GT-A", "last_id": None, "n": 1, "plant_id": None,
         "technology": "wind", "plant_region_code": None, "month": None, "kwh": 200_000.0, "in_boundary": False},
        {"source_kind": "certificate", "source_id": "GEC000000000001", "last_id": "GEC000000000001", "n": 1,
         "plant_id": None, "technology": "wind", "plant_region_code": None, "month": "2023-05", "kwh": 100_000.0,
         "in_boundary": False}]
    r["unbacked_trades"] = [
        {"contract_ids": ["GT-A"], "plant_id": None, "month": "2023-03", "kwh_settled": 120_000.0, "kwh_bundled": 0.0},
        {"contract_ids": ["GT-A"], "plant_id": None, "month": "2023-09", "kwh_settled": 80_000.0, "kwh_bundled": 0.0}]
    r["flags"] = [*r["flags"], "annual_method_fallback", "trade_not_backed_by_certificates"]
    return r


class _Tables(HTMLParser):
    """The rows of every table of a page with an id, as lists of cell texts (whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id")
            if self._table:
                self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif self._cell is not None and tag in ("td", "th"):
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _squeezed(text: str) -> str:
    """Text without whitespace: a table cell of the PDF wraps its text anywhere, pdftotext puts a break there."""
    return "".join(text.split())


def _report(store: Store, code: str) -> AccountReport:
    return gather_account_report(store, credit_code=code, year=2023, profile_id=PROFILE_ID)


def test_chinese_report_traces_instruments_to_plants_beside_the_hourly_figure(traced: Store, tmp_path: Path):
    report = _report(traced, H)
    annual = f"{report.record['emissions_market_t']:,.1f} tCO2"  # the annual C_mkt as computed
    html = account_report_html(report, "zh")
    tables = _tables(html)
    # annual and hourly side by side; indicator 1 is the hourly one (market_method hourly, interval data)
    assert tables["market-methods"] == [
        ["", "年度法（§4）", "逐时法（§9b）"],
        ["基于市场的排放 · 逐时市场法排放", annual, "176.2 tCO2"],
        ["指标 1 采用", "", "✓ 指标 1 采用"]]
    # the instruments, each traced to its plant, its province named from GB/T 2260, in or out of the boundary
    assert tables["instruments"] == [
        ["凭证类型", "凭证编号", "绿证数量", "电站编号", "凭证技术类型", "电站所在省份", "绿证生产月份", "MWh",
         "在市场边界内"],
        ["绿电交易", "K1", "1", "QH-PV-01 格尔木光伏一站", "光伏", "青海省", "全年各结算月", "87.6", "计入"],
        ["绿证", "GEC-H-0001 – GEC-H-0003", "3", "GS-WF-01 酒泉风电一场", "风电", "甘肃省", "2023-03", "3.0", "计入"],
        ["绿证", "GEC-H-0004 – GEC-H-0005", "2", "GD-HY-01 韶关水电站", "水电", "广东省", "2023-07", "2.0",
         "边界外，不计入"],
        ["市场边界内合计（计入）", "90.6", ""],  # 87.6 + 3.0 MWh
        ["市场边界外绿电", "2.0", ""]]
    assert tables["unbacked-trades"] == [
        ["未足额附证合同", "未足额附证电站", "结算月份", "结算绿电量 (MWh)", "随附绿证电量 (MWh)"],
        ["K1", "QH-PV-01 格尔木光伏一站", "2023-03", "7.4", "5.0"]]
    _, text, _ = _pdf(tmp_path, "account-H-traced-zh", html_to_pdf(html))
    for words in ("六、绿电消费与溯源", "逐时匹配绿电量 58.4 MWh", "绿证按月匹配电量 3.0 MWh",
                  "市场法口径 逐时法：有完整 15 分钟数据时，指标 1 采用逐时市场法排放",
                  "市场边界 所在区域电网（西北区域电网）内的电站", "市场边界外绿电 2.0 MWh",
                  "指标采用的口径 基于市场，逐时法", "176.2 tCO2", annual, "格尔木光伏一站", "GEC-H-0001 – GEC-H-0003",
                  "边界外，不计入", "绿电交易未足额附绿证 — 有绿电交易月份的证电合一绿证少于结算电量",
                  "证电合一绿证"):
        assert _squeezed(words) in _squeezed(text), words
    # the bundled certificates (12 months of K1) are listed once, as bundled; the unbundled ones only as
    # instruments (the report's certificate part is not repeated)
    assert "GEC-K1" not in text and text.count("GEC-H-0001") == 1
    assert _cjk_font_covers(_visible_text(html)) == []


def test_english_report_says_the_same_in_english(traced: Store, tmp_path: Path):
    html = account_report_html(_report(traced, H), "en")
    tables = _tables(html)
    assert tables["market-methods"][0] == ["", "Annual method (§4)", "Hourly method (§9b)"]
    assert tables["market-methods"][1][0] == "Market-based emissions · Hourly market-based emissions"
    assert tables["market-methods"][2] == ["Used by indicator 1", "", "✓ used by indicator 1"]
    assert tables["instruments"][0] == ["Instrument kind", "Instrument id", "Certificate count", "Plant",
                                        "Instrument technology", "Plant province", "Certificate production month",
                                        "MWh", "Inside the market boundary"]
    assert tables["instruments"][3] == ["certificate", "GEC-H-0004 – GEC-H-0005", "2", "GD-HY-01 韶关水电站", "hydro",
                                        "广东省", "2023-07", "2.0", "outside the boundary, not counted"]
    assert tables["instruments"][1][:7] == ["green trade", "K1", "1", "QH-PV-01 格尔木光伏一站", "solar", "青海省",
                                            "every settled month"]
    _, text, _ = _pdf(tmp_path, "account-H-traced-en", html_to_pdf(html))
    for words in ("6. Green power and its traceability", "Green power matched hour by hour 58.4 MWh",
                  "Certificates matched by month 3.0 MWh", "plants in the enterprise's regional grid "
                  "(Northwest China grid)", "Basis used for the indicators market-based, hourly method",
                  "green trades not fully backed by certificates — In some trade months"):
        assert _squeezed(words) in _squeezed(text), words
    # Chinese only in the names the data gives: the enterprise, its industry and region, the plants and provinces
    report = _report(traced, H)
    names = {*report.plant_names.values(), *report.place_names.values(), "测试企业7", report.industry_name,
             report.region_name}
    label_words = set("碳评价等级标识电账户方法配置得分验证码")
    assert set(CJK.findall(_visible_text(html))) <= set("".join(names)) | label_words


def test_an_account_without_interval_data_falls_back_and_names_no_plant(traced: Store):
    html = account_report_html(_report(traced, A), "zh")
    tables = _tables(html)
    assert tables["market-methods"][1][2] == "无完整 15 分钟数据，未计算"
    assert tables["market-methods"][2] == ["指标 1 采用", "✓ 指标 1 采用", ""]
    assert [row[3] for row in tables["instruments"][1:3]] == ["未知电站", "未知电站"]
    assert tables["instruments"][2][1] == "GEC000000000001"  # one certificate: no id range
    assert tables["instruments"][-1] == ["市场边界外绿电", "300.0", ""]  # 200 + 100 MWh
    assert tables["unbacked-trades"][1:] == [["GT-A", "未知电站", "2023-03", "120.0", "0.0"],
                                            ["GT-A", "未知电站", "2023-09", "80.0", "0.0"]]
    visible = " ".join(_visible_text(html).split())
    # the flag's name (glossary.FLAGS) and its note (messages.toml flag_notes)
    assert "无 15 分钟数据，按年度市场法计算 — 方法配置采用逐时法，但本企业没有全年完整的 15 分钟数据" in visible
    assert "指标采用的口径 基于市场，年度法（C_mkt）" in visible


def _codes() -> set[str]:
    """Every code a report could print raw: flags, methods, boundaries, instrument kinds, technologies, factor
    kinds and areas, severities, colours and alerts (each has its words in the catalogue)."""
    cat = catalogue()
    tables = ("market_methods", "boundaries", "basis", "source_kinds", "technologies", "areas",
              "factor_kinds", "severities", "colour_names", "alerts")
    return {code for t in tables for code in cat[t]} | set(FLAGS)


@pytest.mark.parametrize("code", [A, H])
def test_a_chinese_page_shows_no_raw_code(traced: Store, code: str):
    """Every flag, enum value and code table entry renders as words on a Chinese page; what Latin text remains is
    identifiers, units, symbols of the method and the factor table's own source citation."""
    report = _report(traced, code)
    r = report.record
    # the record holds the codes the page must put in words
    assert (r["market_method"], r["market_boundary"]) == ("hourly", "regional_grid")
    assert "trade_not_backed_by_certificates" in r["flags"] and r["instruments"] and r["alerts"] + r["flags"]
    visible = _visible_text(account_report_html(report, "zh"))
    assert [c for c in sorted(_codes()) if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", visible)] == []
    # the factor's source is its official URL (an address, not words), after its announcement number
    assert "公告2025年第47号 · https://www.mee.gov.cn/" in " ".join(visible.split())
    words = set(re.findall(r"(?<![\w-])[a-z][a-z_]+(?![\w-])", re.sub(r"https?://\S+", "", visible)))
    factor_source = {"announcement", "on", "electricity", "emission", "factors"}  # reference/factors/*.csv
    verify_hint = {"dianta", "verify", "label", "api", "labels"}  # the command and path that check a label
    assert words <= factor_source | verify_hint | {"min", PROFILE_ID}, words
