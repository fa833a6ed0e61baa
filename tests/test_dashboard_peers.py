"""The dashboard's peers and trend panels (issue 17, web/peers.js) end to end: a real `dianta serve`, Debian's
Chromium, the bank (English) and the enterprise (Chinese) on A's account page, at 1,400 and 390 px.

Figures (tests/test_api_peers.py works them out): A in 2023 — intensity 0.512064 ranked 2 of 5 in section C, better
than 3/4 = 75 %; score 80 ranked 1 of 5 in C32 (100 %); green share 26.3 % ranked 1 of 5 (100 %). 2022 is computed
too (POST /compute), so the trend holds 2022 and 2023: score 2022 → 80, green share 0 → 26.3 % (+26.3 points).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from province import A, B, C, D, E, F, G, H
from service import Service, start_service, stop_service
from test_dashboard import ARGS, CHROMIUM, Session  # the browser session of the dashboard tests (skips without it)

YEAR = 2023
#: the words of the peers and trend panels in English (i18n.js): none may show on a Chinese page
ENGLISH = ("Peer", "Peers", "Trend", "This firm", "ranked", "better", "worse", "unchanged", "Grade", "points",
           "section", "division", "lower", "higher", "Score", "Intensity", "Emissions", "Green")
#: Latin tokens a Chinese page may show: units and the industry code's letters are not words
UNITS = {"tCO", "MWh", "kWh", "GWh"}


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service("sqlite", tmp_path_factory.mktemp("dashboard-peers"), request)
    try:
        with s.client("operator") as op:
            assert op.post("/api/v1/compute", json={"year": 2022}).status_code < 300
        yield s
    finally:
        stop_service(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _api(service: Service, who: str, path: str) -> dict:
    with service.client(who) as c:
        r = c.get("/api/v1" + path)
        r.raise_for_status()
        return r.json()


def _panels(page: Page) -> str:
    """The two panels once filled; their text never shows null, undefined or NaN, nor another firm's code."""
    page.wait_for_selector('#peers-panel[data-ready="true"]')
    page.wait_for_selector('#trend-panel[data-ready="true"]')
    text = page.inner_text("#peers-panel") + "\n" + page.inner_text("#trend-panel")
    assert not re.search(r"\b(null|undefined|NaN)\b", text), text
    assert not [x for x in (B, C, D, E, F, G, H) if x in page.inner_text("#main")]
    return text


def _strip(page: Page, metric: str) -> list:
    """The series of the strip of `metric`: [the peers' dots, this firm's diamond]."""
    return page.evaluate(f"""() => {{ const box = document.querySelector('.peer-figure[data-metric="{metric}"] .chart');
        return echarts.getInstanceByDom(box).getOption().series.map(s => s.data.map(p => p[0])); }}""")


def test_bank_sees_peers_and_trend_in_english(browser: Browser, service: Service) -> None:
    peers = {f["metric"]: f for f in _api(service, "bank_a", f"/accounts/{A}/{YEAR}/peers")["figures"]}
    s = Session(browser, service, "en")
    page = s.page
    s.login("bank_a")
    s.ready("search")
    page.evaluate(f"location.hash = '#/account/{A}/{YEAR}'")
    s.ready("account")
    _panels(page)
    expect(page.locator('.peer-figure[data-metric="intensity"] .peer-group')).to_have_text(
        "Peer group: industry section C Manufacturing")
    expect(page.locator('.peer-figure[data-metric="intensity"] .peer-rank')).to_have_text(
        "This firm: 0.512 tCO₂/10k CNY, ranked 2 of 5 peers, better than 75 % of them.")
    expect(page.locator('.peer-figure[data-metric="score"] .peer-group')).to_have_text(
        "Peer group: industry division C32 · C Manufacturing")
    expect(page.locator('.peer-figure[data-metric="score"] .peer-rank')).to_have_text(
        "This firm: 80.0, ranked 1 of 5 peers, better than 100 % of them.")
    expect(page.locator('.peer-figure[data-metric="green_share"] .peer-rank')).to_have_text(
        "This firm: 26.3 %, ranked 1 of 5 peers, better than 100 % of them.")
    expect(page.locator('.peer-figure[data-metric="intensity"] .muted.small').last).to_have_text(
        "1 more firm(s) have no comparable value and are left out.")  # E, on revenue
    s.charts_drawn()
    assert _strip(page, "intensity") == [peers["intensity"]["distribution"], [peers["intensity"]["value"]]]
    assert _strip(page, "green_share") == [[26.32, 0, 0, 0, 0], [26.32]]  # per cent on the axis
    # the strip's text alternative lists the distribution and this firm
    expect(page.locator('.peer-figure[data-metric="score"] .chart')).to_have_attribute(
        "aria-label", "Score among peers (5 firms): 80.0, 73.3, 73.3, 46.7, 20.0; this firm: 80.0")
    # the trend: cards of 2023 with the change against 2022, two years in the table
    trend = _api(service, "bank_a", f"/accounts/{A}/trend")["years"]
    y22 = trend[0]
    expect(page.locator('.card[data-field="trend-score"] .card-value')).to_have_text("80.0")
    expect(page.locator('.card[data-field="trend-score"] .card-extra')).to_have_text(
        f"vs 2022 ▲ +{80 - y22['score']:.1f} points · better")
    expect(page.locator('.card[data-field="trend-green_share"] .card-extra')).to_have_text(
        "vs 2022 ▲ +26.3 percentage points · better")
    expect(page.locator('.card[data-field="trend-intensity"] .card-extra')).to_have_text(
        f"vs 2022 ▼ {(0.512064 / y22['intensity'] - 1) * 100:.1f} % · better")
    # A has monthly data only: no hourly CFE either year, so nothing to compare (not "no account the year before")
    expect(page.locator('.card[data-field="trend-cfe_score"] .card-value')).to_have_text("–")
    expect(page.locator('.card[data-field="trend-cfe_score"] .card-extra')).to_have_text("vs 2022 not comparable")
    expect(page.locator("#trend-panel table tbody tr")).to_have_count(2)
    expect(page.locator("#trend-panel table tbody tr th")).to_have_text(["2022", "2023"])
    s.shot("bank-account-peers")
    s.close()


def test_enterprise_sees_peers_and_trend_in_chinese_at_390_px(browser: Browser, service: Service) -> None:
    s = Session(browser, service, "zh")
    page = s.page
    page.set_viewport_size({"width": 390, "height": 844})
    s.login("ent_a")
    s.ready("my-account")
    text = _panels(page)
    expect(page.locator('.peer-figure[data-metric="intensity"] .peer-group')).to_have_text(
        "同业组：行业门类 C 制造业")
    expect(page.locator('.peer-figure[data-metric="score"] .peer-group')).to_have_text(
        "同业组：行业大类 C32 有色金属冶炼和压延加工业")
    expect(page.locator('.peer-figure[data-metric="intensity"] .peer-rank')).to_have_text(
        "本企业 0.512 tCO₂/万元，在 5 家同业中排第 2 名，优于 75 % 的同业。")
    expect(page.locator('.card[data-field="trend-green_share"] .card-extra')).to_have_text(
        "较 2022 年 ▲ +26.3 个百分点 · 改善")
    leaked = [w for w in ENGLISH if re.search(rf"\b{w}\b", text)]
    assert leaked == [], leaked
    words = set(re.findall(r"[A-Za-z]{2,}", text)) - UNITS
    assert words == set(), words
    # readable at 390 px: the panels do not overflow the screen (the trend table scrolls inside its box)
    for panel in ("#peers-panel", "#trend-panel"):
        assert page.evaluate(f"document.querySelector('{panel}').getBoundingClientRect().right") <= 390
    s.charts_drawn()
    s.shot("enterprise-account-peers-390-zh")
    s.close()
