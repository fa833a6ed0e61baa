"""The electricity-carbon map in the dashboard (issue 17), Chromium driven by Playwright in Chinese and English: the
regulator's programme page and a bank's portfolio page draw Qinghai's prefectures from the shipped boundaries, a
click on 西宁市 on the map shows its statistics (regulator) or its enterprises (bank), the table is the map's text
alternative; a Chinese page shows none of the panel's English words, and no page shows "null" or "undefined".

The province (tests/province.py) has its 8 enterprises in 630100 西宁市; BANK-A holds A's consent only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from province import A
from service import Service, start_service, stop_service
from test_dashboard import Session, browser, wait_until  # noqa: F401 - the module's browser fixture

#: words of the map panel's English texts that must never appear on the Chinese page
ENGLISH = ("Electricity-carbon map", "Metric", "Level", "Province", "Prefectures", "Counties", "Emissions",
           "Carbon intensity", "Green share", "Accounts", "Loans", "Region", "Enterprises", "Click", "Statistics of",
           "no data", "Grade", "not rated")
XINING = (101.78, 36.62)  # a point inside 西宁市 [degrees]


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service("sqlite", tmp_path_factory.mktemp("dashboard-map"), request)
    yield s
    stop_service(s)


@pytest.fixture(params=["zh", "en"])
def session(request: pytest.FixtureRequest, browser, service: Service) -> Iterator[Session]:  # noqa: F811, ANN001
    s = Session(browser, service, request.param)
    s.lang = request.param  # type: ignore[attr-defined]
    yield s
    s.close()


def _map_drawn(session: Session) -> None:
    page = session.page
    page.wait_for_selector("#map-chart[data-ready='true'] canvas")
    wait_until(page, "(() => { const i = echarts.getInstanceByDom(document.getElementById('map-chart'));"
                     " return i && i.getOption().series[0].data.length > 0; })()")


def _click_xining(session: Session) -> None:
    """A real mouse click on the canvas where 西宁市 is drawn (ECharts converts the point to pixels)."""
    page = session.page
    page.locator("#map-chart").scroll_into_view_if_needed()
    x, y = page.evaluate("([lon, lat]) => echarts.getInstanceByDom(document.getElementById('map-chart'))"
                         ".convertToPixel({seriesIndex: 0}, [lon, lat])", list(XINING))
    box = page.locator("#map-chart").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)


def _clean(session: Session) -> None:
    text = session.page.locator("#map-panel").inner_text()
    assert not re.search(r"\b(null|undefined|NaN)\b", text), text
    if session.lang == "zh":  # type: ignore[attr-defined]
        assert [w for w in ENGLISH if w in text] == [], text


def test_the_regulator_clicks_a_region_for_its_statistics(session: Session) -> None:
    page = session.page
    session.login("regulator")
    session.ready("statistics")
    session.go("programme")
    _map_drawn(session)
    zh = session.lang == "zh"  # type: ignore[attr-defined]
    row = page.locator("#map-table tbody tr")
    expect(row).to_have_count(1)
    # 4073.83488 t (tests/test_map.py) = 0.41 万吨
    expect(row.locator("td")).to_have_text(["西宁市", "8", "8", "0.41 万吨" if zh else "0.41 10k tCO₂"])
    _click_xining(session)
    detail = page.locator("#map-detail")
    expect(detail).to_have_attribute("data-region", "630100")
    expect(detail.locator("h2")).to_have_text("西宁市的统计" if zh else "Statistics of 西宁市")
    expect(detail.locator(".card-value").first).to_have_text("8")
    page.select_option("#map-metric", "green_share")
    expect(page.locator("#map-body")).to_have_attribute("data-metric", "green_share")
    # 507,600 / 7,190,400 = 7.06 %
    expect(page.locator("#map-table tbody tr td").nth(3)).to_have_text("7.1 %")
    _clean(session)
    session.shot(f"map-regulator-{session.lang}")  # type: ignore[attr-defined]


def test_a_bank_clicks_a_region_for_its_enterprises(session: Session) -> None:
    page = session.page
    session.login("bank_a")
    session.ready("search")
    session.go("portfolio")
    _map_drawn(session)
    zh = session.lang == "zh"  # type: ignore[attr-defined]
    expect(page.locator("#map-table tbody tr td").nth(1)).to_have_text("1")  # only A consented to BANK-A
    _click_xining(session)
    detail = page.locator("#map-detail")
    expect(detail).to_have_attribute("data-region", "630100")
    expect(detail.locator("h2")).to_have_text("西宁市的企业" if zh else "Enterprises of 西宁市")
    rows = detail.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text(A)
    expect(rows.first.locator("a")).to_have_attribute("href", f"#/account/{A}/2023")
    page.select_option("#map-level", "county")
    expect(page.locator("#map-body")).to_have_attribute("data-level", "county")
    expect(page.locator("#map-table tbody tr td").first).to_have_text(
        "西宁市（地图无此地区边界）" if zh else "西宁市 (no boundary on the map)")
    _clean(session)
    session.shot(f"map-bank-{session.lang}")  # type: ignore[attr-defined]
