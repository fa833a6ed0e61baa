"""The dashboard's parks (GREEN-POWER.md §10, issue 16) end to end: a real `dianta serve`, Debian's Chromium, each
role's park task in Chinese and English. The parks are defined through the API like any data (a batch), the
accounts computed by POST /compute, a park's management created and given consent through the API.

Besides the service's park PK-T (members A and B, tests/service.py), 2023:
  QH-GEM-ZCP 格尔木零碳产业园 (target 100 % by 2030): H all year, E from 2023-12-01; H consents to the park's
    management (user park_gem), E does not.
    H draws 10 kWh a quarter hour = 40 kWh every hour, 40 × 8,760 = 350,400 kWh; its trade K1 settles 240 kWh a day
    (87,600 kWh in the year), delivered 60 kWh in each hour 10:00–13:00.
    E draws 10,000 kWh a month, a member on the first day of December only: fraction 10,000 / 120,000 = 1/12,
    10,000 kWh counted; E has monthly data only: uncovered share 10,000 / 360,400 = 2.8 % (under the 10 % limit).
    green share 87,600 / 360,400 = 24.3 %; shortfall (360,400 − 87,600) / 1000 = 272.8 MWh;
    pooled hours (H only): each day 4 hours fully green (60 ≥ 40), 20 hours short by 40 kWh:
    hours fully green 4 / 24 = 16.7 %, the map's January 00:00 cell 31 days × 40 kWh = 1.24 MWh, 10:00 cell 0.
    2023 is its first account year: the trajectory starts at its own share, no alert.
  QH-XN-GHP 西宁甘河工业园区 (target 100 % by 2023): D and F, monthly data only (hourly figures null), no green:
    share 0; the target year is its first account year, so the trajectory is the target, 100 %: alert
    park_below_target; shortfall (12 × 25,000 + 12 × 200,000) / 1000 = 2,700 MWh.
  PK-T gets a 2022 account too (A alone), so its page offers the years 2023 and 2022.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from province import A, B, C, D, E, F, G, H
from service import PARK, PASSWORD, Service, start_service, stop_service
from test_dashboard import ARGS, CHROMIUM, Session  # the browser session of the dashboard tests (skips without it)

YEAR = 2023
GEM, XN = "QH-GEM-ZCP", "QH-XN-GHP"
GEM_ORG = "PARK-QH-GEM-ZCP"
CODES = (A, B, C, D, E, F, G, H)
NAMES = tuple(f"测试企业{i}" for i in range(8))  # the province's enterprise names (A = 测试企业0 … H = 测试企业7)


def _csv(header: list[str], rows: list[tuple]) -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for r in rows:
        out.write(",".join("" if v is None else str(v) for v in r) + "\n")
    return out.getvalue().encode()


def _check(response: httpx.Response) -> dict:
    assert response.status_code < 300, response.text
    return response.json()


def _set_up_parks(s: Service) -> None:
    """The two parks (module docstring) as a batch, the accounts of 2022 and 2023, GEM's management with its user
    park_gem, and H's consent to it (granted by the operator on H's behalf)."""
    with s.client("operator") as op:
        parks = _csv(["park_id", "name", "region_code", "target_green_share", "target_year"],
                     [(GEM, "格尔木零碳产业园", "632801", 1.0, 2030), (XN, "西宁甘河工业园区", "630100", 1.0, 2023)])
        members = _csv(["park_id", "credit_code", "valid_from", "valid_to"],
                       [(GEM, H, None, None), (GEM, E, "2023-12-01", None), (XN, D, None, None), (XN, F, None, None)])
        batch = _check(op.post("/api/v1/batches", files=[("files", ("parks.csv", parks)),
                                                         ("files", ("park_members.csv", members))]))
        assert batch["status"] == "applied"
        for year in (2022, 2023):  # a park's trajectory starts at its first account year
            _check(op.post("/api/v1/compute", json={"year": year, "profile": "default"}))
        _check(op.post("/api/v1/organisations", json={"org_id": GEM_ORG, "kind": "park",
                                                      "name": "格尔木零碳产业园管理公司", "park_id": GEM}))
        _check(op.post("/api/v1/users", json={"username": "park_gem", "password": PASSWORD, "role": "park",
                                              "org_id": GEM_ORG}))
        _check(op.post("/api/v1/consents", json={"credit_code": H, "bank_org_id": GEM_ORG, "scope": "summary",
                                                 "expires_on": (dt.date.today() + dt.timedelta(days=365)).isoformat()}))
    token = httpx.post(s.url + "/api/v1/auth/token", data={"username": "park_gem", "password": PASSWORD})
    s.tokens["park_gem"] = _check(token)["access_token"]


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service("sqlite", tmp_path_factory.mktemp("dashboard-parks"), request)
    try:
        _set_up_parks(s)
        yield s
    finally:
        stop_service(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _api(service: Service, who: str, path: str, **params: object) -> dict:
    with service.client(who) as c:
        return _check(c.get("/api/v1" + path, params=params))


def _card(page: Page, field: str):  # noqa: ANN202 - a playwright Locator
    return page.locator(f'.card[data-field="{field}"] .card-value')


def _pct(share: float) -> str:
    return f"{share * 100:.1f} %"


def _no_blanks(page: Page) -> str:
    """The page's text, which never shows a missing value as null, undefined or NaN."""
    text = page.inner_text("#main")
    assert not re.search(r"\b(null|undefined|NaN)\b", text), text
    return text


def _no_member(text: str) -> None:
    """No enterprise's name or credit code on the page (the regulator's view of parks)."""
    assert not [x for x in (*CODES, *NAMES) if x in text]


def test_fixture_parks_as_computed_by_hand(service: Service) -> None:
    """The API's park accounts are the module docstring's (what the pages below show)."""
    gem = _api(service, "operator", f"/parks/{GEM}", year=YEAR)["account"]
    assert gem["members"] == 2
    assert gem["kwh_total"] == pytest.approx(360_400)
    assert gem["green_share"] == pytest.approx(87_600 / 360_400)
    assert gem["uncovered_load_share"] == pytest.approx(10_000 / 360_400)
    assert gem["shortfall_mwh"] == pytest.approx(272.8)
    assert gem["hours_fully_green_share"] == pytest.approx(4 / 24)
    assert gem["shortfall_map_mwh"][0][0] == pytest.approx(1.24) and gem["shortfall_map_mwh"][0][10] == 0
    assert gem["alerts"] == []
    xn = _api(service, "operator", f"/parks/{XN}", year=YEAR)["account"]
    assert xn["green_share"] == 0 and xn["expected_green_share"] == 1.0 and xn["alerts"] == ["park_below_target"]
    assert xn["shortfall_mwh"] == pytest.approx(2_700)
    assert xn["cfe_score"] is None and xn["shortfall_map_mwh"] is None
    assert sorted(_api(service, "operator", f"/parks/{PARK}", year=YEAR)["years"]) == [2022, 2023]


def test_park_sees_its_park_and_consenting_members(browser: Browser, service: Service) -> None:
    body = _api(service, "park_gem", f"/parks/{GEM}", year=YEAR)
    a = body["account"]
    members = {m["credit_code"]: m for m in body["members"]}
    assert members[H]["consent"] and members[H]["account"] is not None
    assert not members[E]["consent"] and members[E]["account"] is None
    s = Session(browser, service, "zh")
    page = s.page
    s.login("park_gem")
    s.ready("my-park")
    expect(page.locator("#who")).to_contain_text(f"park_gem · 园区管理方 · {GEM_ORG}")
    expect(page.locator("#nav a")).to_have_text(["我的园区"])
    expect(page.locator("#park-name")).to_have_text("格尔木零碳产业园")
    expect(page.locator("#park-region")).to_contain_text("格尔木市")
    expect(page.locator("#park-year")).to_have_value(str(YEAR))
    expect(_card(page, "green_share")).to_have_text("24.3 %")  # 87,600 / 360,400
    expect(page.locator('.card[data-field="green_share"] .card-extra')).to_have_text(
        f"目标 100 %（2030年） · 目标路径 {_pct(a['expected_green_share'])}")
    expect(_card(page, "cfe_score")).to_have_text(_pct(a["cfe_score"]))
    expect(_card(page, "shortfall_mwh")).to_have_text("272.8 MWh")
    expect(_card(page, "hours_fully_green_share")).to_have_text("16.7 %")
    expect(_card(page, "uncovered_load_share")).to_have_text("2.8 %")
    expect(_card(page, "emissions_location_t")).to_have_text(f"{a['emissions_location_t']:,.2f} tCO₂")
    expect(_card(page, "emissions_market_t")).to_have_text(f"{a['emissions_market_t']:,.2f} tCO₂")
    expect(_card(page, "intensity")).to_have_text(f"{a['intensity']:,.3f} tCO₂/万元")
    expect(page.locator("#park-alerts")).to_have_text("绿电占比未低于目标路径，无预警。")
    # the heat map and its text version: January 00:00 short by 1.24 MWh, 10:00 fully green
    s.charts_drawn()
    expect(page.locator("#shortfall-map .chart")).to_have_count(1)
    assert page.locator("#shortfall-map .chart canvas").count() >= 1
    expect(page.locator("#shortfall-map .chart")).to_have_attribute("role", "img")
    january = page.locator("#shortfall-table tbody tr").first
    expect(january.locator("td").nth(0)).to_have_text("1月")
    expect(january.locator("td").nth(1)).to_have_text("1.24")
    expect(january.locator("td").nth(11)).to_have_text("0.00")
    expect(page.locator("#shortfall-table tbody tr")).to_have_count(12)
    # members: H consented (its figures), E did not (its name, no figures)
    rows = page.locator("#park-members tbody tr")
    expect(rows).to_have_count(2)
    h_row = rows.filter(has_text=H)
    expect(h_row).to_contain_text(members[H]["name"])
    expect(h_row).to_contain_text("已授权")
    expect(h_row.locator("td").nth(7)).to_have_text(f"{members[H]['account']['green_share'] * 100:.1f}")
    e_row = rows.filter(has_text=E)
    expect(e_row).to_contain_text(members[E]["name"])
    expect(e_row).to_contain_text("未授权")
    expect(e_row).to_contain_text("2023-12-01")
    assert set(e_row.locator("td").all_inner_texts()[6:]) == {"–"}  # grade and every figure blank
    expect(page.locator("#park-downloads button")).to_have_count(5)  # report (PDF zh/en, HTML) and label (SVG, PNG)
    with page.expect_download() as download:  # the label, fetched with the park's token, as the API answers it
        page.click("#park-downloads button:nth-child(4)")
    assert download.value.suggested_filename == f"park-label-{GEM}-{YEAR}.svg"  # the server's file name
    label = Path(download.value.path()).read_text()
    assert a["verification_code"] in label and "格尔木零碳产业园" in label
    with page.expect_download() as download:
        page.click("#park-downloads button:nth-child(1)")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    _no_blanks(page)
    s.shot("park-zh")
    page.click("#lang")
    s.ready("my-park")
    expect(page.locator('.card[data-field="green_share"] .card-label')).to_have_text("Green share")
    expect(page.locator('.card[data-field="green_share"] .card-extra')).to_have_text(
        f"Target 100 % by 2030 · trajectory {_pct(a['expected_green_share'])}")
    expect(rows.filter(has_text=E)).to_contain_text("no consent")
    expect(rows.filter(has_text=H)).to_contain_text("consented")
    expect(page.locator("#shortfall-table tbody tr").first.locator("td").nth(0)).to_have_text("Jan")
    expect(page.locator("#shortfall-summary")).to_contain_text("largest in Jan at 0:00: 1.24 MWh")
    s.charts_drawn()
    _no_blanks(page)
    s.shot("park-en")
    s.close()


def test_regulator_sees_every_park_without_members(browser: Browser, service: Service) -> None:
    assert "members" not in _api(service, "regulator", f"/parks/{GEM}", year=YEAR)
    s = Session(browser, service, "en")
    page = s.page
    s.login("regulator")
    s.ready("statistics")
    s.go("parks")
    rows = page.locator("#parks-list tbody tr")
    xn_row = rows.filter(has_text="西宁甘河工业园区")
    expect(xn_row.locator("td").nth(5)).to_have_text("0.0")  # green share (%)
    expect(xn_row.locator("td").nth(6)).to_have_text("100.0")  # on the trajectory (%)
    expect(xn_row).to_contain_text("2,700.0")  # shortfall (MWh)
    expect(xn_row).to_contain_text("Green share below the target trajectory")
    expect(rows.filter(has_text="格尔木零碳产业园")).to_contain_text("Target 100 % by 2030")
    expect(rows.filter(has_text="格尔木零碳产业园").locator("td").nth(5)).to_have_text("24.3")
    s.charts_drawn()
    _no_member(_no_blanks(page))
    s.shot("regulator-parks")
    xn_row.locator("td").nth(3).click()  # a row opens its park
    s.ready("park")
    expect(page.locator("#park-name")).to_have_text("西宁甘河工业园区")
    expect(page.locator("#park-alerts li")).to_contain_text("Green share below the target trajectory")
    expect(page.locator("#park-alerts li")).to_contain_text(
        "Green share 0.0 % in 2023, below the trajectory's 100.0 %; 2,700.0 MWh of green power still missing")
    expect(_card(page, "cfe_score")).to_have_text("–")  # D and F have monthly data only: no hourly figures
    expect(page.locator("#shortfall-map")).to_contain_text("Hourly figures not computed")
    expect(page.locator("#park-members")).to_have_count(0)
    expect(page.locator("#park-members-note")).to_have_text(
        "The regulator sees the park's aggregates only, never a member's figures.")
    _no_member(_no_blanks(page))
    # the service's park PK-T has the years 2023 and 2022 on record
    page.goto(f"{service.url}/app/#/park/{PARK}")
    s.ready("park")
    expect(page.locator("#park-year option")).to_have_text(["2023", "2022"])
    page.select_option("#park-year", "2022")
    s.ready("park")
    expect(page.locator("#park-year")).to_have_value("2022")
    pk_2022 = _api(service, "regulator", f"/parks/{PARK}", year=2022)["account"]
    expect(_card(page, "green_share")).to_have_text(_pct(pk_2022["green_share"]))
    _no_member(_no_blanks(page))
    page.click("#lang")
    s.ready("park")
    expect(page.locator("#park-members-note")).to_have_text("监管机构只查看园区汇总数据，不提供任何成员的数据。")
    _no_member(_no_blanks(page))
    s.go("parks")
    expect(page.locator(".panel h2").first).to_have_text("零碳园区")
    xn_row = page.locator("#parks-list tbody tr").filter(has_text="西宁甘河工业园区")
    expect(xn_row).to_contain_text("绿电占比低于目标路径")
    _no_member(_no_blanks(page))
    s.shot("regulator-parks-zh")
    s.close()


def test_operator_defines_a_park_and_adds_a_member(browser: Browser, service: Service) -> None:
    s = Session(browser, service, "zh")
    page = s.page
    s.login("operator")
    s.ready("batches")
    s.go("parks")
    expect(page.locator("#parks-list tbody tr").filter(has_text=GEM)).to_contain_text("24.3")
    # the operator sees every member's figures, E's too, and opens their accounts
    page.click("#parks-list a:has-text('格尔木零碳产业园')")
    s.ready("park")
    gem = _api(service, "operator", f"/parks/{GEM}", year=YEAR)
    e = next(m for m in gem["members"] if m["credit_code"] == E)
    e_row = page.locator("#park-members tbody tr").filter(has_text=E)
    expect(e_row.locator("td").nth(6)).to_have_text(f"{e['account']['green_share'] * 100:.1f}")
    expect(e_row.locator("a")).to_have_attribute("href", f"#/account/{E}/{YEAR}")
    _no_blanks(page)
    s.go("parks")
    # a refused batch (a region code GB/T 2260 does not have): its findings in Chinese
    s.expected_failures.append(("/api/v1/parks", 422))
    page.fill("#park-park_id", "QH-TEST-BAD")
    page.fill("#park-name", "测试错误园区")
    page.fill("#park-region_code", "999999")
    page.click("#park-define-form button[type=submit]")
    result = page.locator("#park-define-result")
    expect(result.locator(".msg-error")).to_contain_text("被拒绝")
    finding = result.locator("tbody tr").filter(has_text="999999")
    expect(finding).to_contain_text("region_code")
    with service.client("operator") as op:
        refused = op.post("/api/v1/parks", json={"park_id": "QH-TEST-BAD", "name": "测试错误园区",
                                                 "region_code": "999999"})
    assert refused.status_code == 422
    [expected] = [f for f in refused.json()["findings"] if f["value"] == "999999"]
    expect(finding.locator("td").last).to_have_text(expected["message_zh"])
    assert re.search(r"[\u4e00-\u9fff]", expected["message_zh"])
    s.shot("operator-park-refused-zh")
    # define a park: accepted and listed, not computed yet
    page.fill("#park-park_id", "QH-TEST-NEW")
    page.fill("#park-name", "测试新园区")
    page.fill("#park-region_code", "630100")
    page.fill("#park-target", "80")
    page.fill("#park-target_year", "2030")
    page.click("#park-define-form button[type=submit]")
    expect(page.locator("#park-define-result .msg-ok")).to_contain_text("下次计算后生效")
    new_row = page.locator("#parks-list tbody tr").filter(has_text="QH-TEST-NEW")
    expect(new_row).to_contain_text("尚未计算")
    expect(new_row).to_contain_text("目标 80 %（2030年）")
    defined = {p["park_id"]: p for p in _api(service, "operator", "/parks", year=YEAR)["items"]}["QH-TEST-NEW"]
    assert defined["name"] == "测试新园区" and defined["target_green_share"] == pytest.approx(0.8)
    # add a member to it
    page.select_option("#member-park", "QH-TEST-NEW")
    page.fill("#member-code", G)
    page.fill("#member-from", "2024-01-01")
    page.click("#park-member-form button[type=submit]")
    expect(page.locator("#park-member-result .msg-ok")).to_contain_text("下次计算后生效")
    member = _api(service, "operator", "/parks/QH-TEST-NEW", year=2024)["members"]
    assert [(m["credit_code"], m["valid_from"]) for m in member] == [(G, "2024-01-01")]
    _no_blanks(page)
    s.shot("operator-parks-zh")
    page.click("#lang")
    s.ready("parks")
    expect(page.locator("#parks-list tbody tr").filter(has_text="QH-TEST-NEW")).to_contain_text("not computed yet")
    expect(page.locator("#park-define-form button[type=submit]")).to_have_text("Define park")
    _no_blanks(page)
    s.close()
