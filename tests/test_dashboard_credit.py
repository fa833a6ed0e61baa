"""The bank officer's credit view (issue 17) end to end: a real `dianta serve`, Debian's Chromium, bank A's officer
answering "should this firm get a discount, and why" on enterprise A's page, in Chinese and in English.

Set up through the API: bank A's policy (grade 1 → 60 bp, 2 → 40, 3 → 20; 1 bp a score point above 70; cap 165;
no current account required, so A's 2023 account counts today), a second officer `bank_a2`, enterprise A's consent
of scope `reports` (the report download), and two loans to A:
  L-CR-1  10,000,000 drawn 2024-01-01, maturing 2027-12-31 at 3.45 %, 8,000,000 outstanding from 2024-06-30;
  L-CR-0  2,000,000 drawn 2023-01-01, matured 2024-12-31 at 3.80 %.
A: grade 2, score 80, alert sharp_drop 2023-06 (tests/test_accounts_worked.py). The decision: 40 + (80 − 70) × 1
= 50 bp on the base rate of the live loan, 3.45 % → 2.95 %. L-CR-1 priced from 2024-01-01 saves, to today,
(10,000,000 × 181 days [2024-01-01 … 06-29] + 8,000,000 × days from 2024-06-30 to today) × 0.0050 / 360.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from province import A
from service import PASSWORD, Service, start_service, stop_service
from test_dashboard import ARGS, CHROMIUM, Session  # the browser session of the dashboard tests (skips without it)

from dianta.clock import today_cst

POLICY = {"name": "绿色信贷 2024", "effective_from": "2024-01-01", "cap_bp": 165,
          "grade_discount_bp": {"1": 60, "2": 40, "3": 20}, "score_link": {"base_score": 70, "bp_per_point": 1},
          "eligibility": {"no_discount_with_alerts": [], "require_current_account": False}}
LOANS = [
    {"loan_id": "L-CR-1", "credit_code": A, "principal_cny": 10_000_000, "outstanding_cny": 8_000_000,
     "as_of": "2024-06-30", "drawn_on": "2024-01-01", "maturity_on": "2027-12-31", "base_rate_pct": 3.45},
    {"loan_id": "L-CR-0", "credit_code": A, "principal_cny": 2_000_000, "outstanding_cny": 2_000_000,
     "as_of": "2023-01-01", "drawn_on": "2023-01-01", "maturity_on": "2024-12-31", "base_rate_pct": 3.80},
]
I18N = Path(__file__).resolve().parents[1] / "src/dianta/web/i18n.js"


def _check(response: httpx.Response) -> dict:
    assert response.status_code < 300, response.text
    return response.json()


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service("sqlite", tmp_path_factory.mktemp("dashboard-credit"), request)
    try:
        with s.client("operator") as op:
            _check(op.post("/api/v1/users", json={"username": "bank_a2", "password": PASSWORD, "role": "bank",
                                                  "org_id": "BANK-A"}))
            _check(op.post("/api/v1/consents", json={"credit_code": A, "bank_org_id": "BANK-A", "scope": "reports",
                                                     "expires_on": str(dt.date.today() + dt.timedelta(days=30))}))
        with s.client("bank_a") as bank:
            _check(bank.post("/api/v1/pricing-policies", json=POLICY))
            for loan in LOANS:
                _check(bank.post("/api/v1/loans", json=loan))
        yield s
    finally:
        stop_service(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _view(service: Service, **params: object) -> dict:
    with service.client("bank_a") as c:
        return _check(c.get(f"/api/v1/credit/{A}", params=params))


def _english_words() -> set[str]:
    """The English words of the credit view's own texts (i18n.js, its `credit.` keys in English)."""
    text = I18N.read_text(encoding="utf-8")
    english = text[text.index("  en: {"):]
    words = set()
    for value in re.findall(r'"credit\.[\w.]+": "([^"]*)"', english):
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", re.sub(r"\{\w+\}", "", value))}
    return words - {"pdf"}  # a file format's name, the same in both languages


def _chinese_only(page: Page) -> str:
    """The credit view's text in Chinese: none of its own English words, never null, undefined or NaN."""
    text = page.inner_text(".credit-view")
    assert not re.search(r"\b(null|undefined|NaN)\b", text), text
    found = {w for w in _english_words() if re.search(rf"(?<![\w-]){w}(?![\w-])", text, re.IGNORECASE)}
    assert not found, found
    return text


def _open(s: Session, who: str = "bank_a") -> Page:
    s.login(who)
    s.ready("search")
    s.page.goto(s.service.url + f"/#/account/{A}/2023")
    s.ready("account")
    return s.page


def test_the_decision_comes_first_and_matches_the_api(browser: Browser, service: Service) -> None:
    v = _view(service)
    q = v["quote"]
    assert (v["grade"], v["score"], v["base_rate_source"]) == (2, 80, "loan")
    assert (q["eligible"], q["grade_bp"], q["score_bp"], q["discount_bp"]) == (True, 40, 10, 50)
    assert (q["base_rate_pct"], q["final_rate_pct"]) == (3.45, pytest.approx(2.95))
    assert [r["code"] for r in q["explained"]] == ["policy", "grade", "score", "rate"]
    assert q["explained"][-1]["message_zh"] == "3.45% − 50基点 = 2.95%"
    s = Session(browser, service, "zh")
    page = _open(s)
    first = page.locator('#main .page[data-page="account"] section.panel').first
    expect(first).to_have_id("decision")  # the answer is the first thing on the page
    expect(page.locator("#decision-eligible")).to_have_text("符合优惠条件")
    expect(page.locator("#decision-verdict")).to_contain_text("建议给予利率优惠 50 基点，执行利率 2.95 %。")
    expect(page.locator("#decision-discount")).to_have_text("50 基点")
    expect(page.locator("#decision-rate")).to_have_text("2.95 %")
    expect(page.locator("#account-grade")).to_have_text("2级 · 浅绿")
    expect(page.locator("#account-score")).to_have_text("80.0")
    expect(page.locator('.card[data-field="rate"] .card-extra')).to_have_text(
        "基准利率 3.45 %，取自本行对该企业最新的在贷贷款")
    expect(page.locator("#decision-reasons li")).to_have_text([r["message_zh"] for r in q["explained"]])
    box = page.locator("#decision").bounding_box()
    assert box is not None and box["y"] < 200  # above the fold at 1,000 px
    _chinese_only(page)
    s.shot("bank-credit-zh")
    # in English, the same decision and the server's English sentences
    page.click("#lang")
    s.ready("account")
    expect(page.locator("#decision-eligible")).to_have_text("Eligible for a discount")
    expect(page.locator("#decision-reasons li")).to_have_text([r["message_en"] for r in q["explained"]])
    expect(page.locator("#decision-discount")).to_have_text("50 bp")
    # the officer's own base rate: 4.20 % − 50 bp = 3.70 %
    page.fill("#credit-base", "4.2")
    page.click("#credit-base-form button[type=submit]")
    expect(page.locator("#decision-rate")).to_have_text("3.70 %")
    assert _view(service, base_rate_pct=4.2)["quote"]["final_rate_pct"] == pytest.approx(3.70)
    s.close()


def test_the_officer_prices_a_loan_handles_an_alert_and_downloads_the_report(browser: Browser,
                                                                              service: Service) -> None:
    s = Session(browser, service, "zh")
    s.expected_failures.append(("/api/v1/loans/L-CR-0/pricing", 400))
    page = _open(s)
    live = page.locator("#credit-loans tbody tr", has_text="L-CR-1")
    expect(live).to_contain_text("未定价")
    expect(live.locator("td").nth(2)).to_have_text("800.00")  # 8,000,000 CNY in 万元
    expect(page.locator('.card[data-field="outstanding"] .card-value')).to_have_text("800.00 万元")  # L-CR-0 matured
    # price L-CR-1 from 2024-01-01: the dialog says what will happen, nothing changes before the confirmation
    live.locator("button[data-action=price]").click()
    expect(page.locator("#price-dialog")).to_be_visible()
    page.fill("#price-day", "2024-01-01")
    page.dispatch_event("#price-day", "change")
    expect(page.locator("#price-text")).to_have_text(
        "将按本行政策第 1 版为贷款 L-CR-1 定价：优惠 50 基点，执行利率 2.95 %，自 2024-01-01 起生效，直至再次定价。")
    with service.client("bank_a") as c:
        assert _check(c.get("/api/v1/loans/L-CR-1/pricing")) == []
    page.click("#price-confirm")
    expect(page.locator("#loan-status .msg")).to_have_text(
        "贷款 L-CR-1 已定价：优惠 50 基点，执行利率 2.95 %，自 2024-01-01 起生效。")
    live = page.locator("#credit-loans tbody tr", has_text="L-CR-1")
    expect(live.locator("td").nth(5)).to_have_text("优惠 50 基点，执行 2.95 %，自 2024-01-01 起")
    with service.client("bank_a") as c:
        history = _check(c.get("/api/v1/loans/L-CR-1/pricing"))
    assert [(h["effective_on"], h["discount_bp"], h["priced_by"]) for h in history] == [("2024-01-01", 50, "bank_a")]
    today = today_cst()
    later = (today - dt.date(2024, 6, 30)).days + 1  # 2024-06-30 … today, at 8,000,000
    saved = (10_000_000 * 181 + 8_000_000 * later) * 0.0050 / 360
    v = _view(service)
    assert v["interest_saved_cny"] == pytest.approx(saved)
    expect(page.locator('.card[data-field="interest_saved"] .card-value')).to_have_text(f"{saved / 10_000:,.2f} 万元")
    expect(live.locator("td").nth(6)).to_have_text(f"{saved / 10_000:,.2f}")
    # the matured loan: refused by the server, in Chinese, and nothing recorded
    page.locator("#credit-loans tbody tr", has_text="L-CR-0").locator("button[data-action=price]").click()
    expect(page.locator("#price-confirm")).to_be_enabled()
    page.click("#price-confirm")
    expect(page.locator("#loan-status .msg")).to_have_text(
        f"贷款L-CR-0已于2024-12-31到期：到期贷款不再定价（定价日{today}）；请选择到期日及之前的定价日")
    with service.client("bank_a") as c:
        assert _check(c.get("/api/v1/loans/L-CR-0/pricing")) == []
    # the alert: acknowledged by this officer, assigned to a colleague
    alert = page.locator("#credit-alerts tbody tr", has_text="2023-06")
    expect(alert.locator("td").nth(1)).to_have_text("用电骤降（低于上年同月 50%）")
    expect(alert.locator("td").nth(3)).to_have_text("未确认")
    alert.locator("button[data-action=acknowledge]").click()
    expect(page.locator("#alert-status .msg")).to_have_text("已确认预警：2023-06 用电骤降（低于上年同月 50%）。")
    alert = page.locator("#credit-alerts tbody tr", has_text="2023-06")
    expect(alert.locator("td").nth(3)).to_contain_text("已确认（bank_a，")
    alert.locator("select").select_option("bank_a2")
    alert.locator("button[data-action=assign]").click()
    expect(page.locator("#alert-status .msg")).to_have_text(
        "已将预警“2023-06 用电骤降（低于上年同月 50%）”指派给 bank_a2。")
    expect(page.locator("#credit-alerts tbody tr", has_text="2023-06").locator("td").nth(4)).to_have_text("bank_a2")
    with service.client("bank_a") as c:
        events = [e for e in _check(c.get("/api/v1/alerts")) if e["credit_code"] == A]
    assert [(e["month"], e["acknowledged_by"], e["assignee"]) for e in events] == [("2023-06", "bank_a", "bank_a2")]
    # the report, with its progress: bytes received, then the file
    with page.expect_download() as download:
        page.click("#credit-report button[data-format=pdf]")
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and download.value.suggested_filename == f"carbon-account-{A}-2023-zh.pdf"
    expect(page.locator("#report-progress .msg")).to_have_text(  # every byte counted as it arrived
        f"已下载 carbon-account-{A}-2023-zh.pdf（{len(pdf) / 1024:.1f} KB）。")
    _chinese_only(page)
    s.shot("bank-credit-priced-zh")
    s.close()


def test_the_credit_view_reads_at_390_px(browser: Browser, service: Service) -> None:
    s = Session(browser, service, "zh")
    s.page.set_viewport_size({"width": 390, "height": 844})
    page = _open(s)
    expect(page.locator("#decision-eligible")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width  # wide tables scroll inside their own box, the page does not
    s.shot("bank-credit-390")
    s.close()


def test_a_refusal_reads_in_the_pages_language(browser: Browser, service: Service) -> None:
    """Bank B has no consent from A: the Chinese page says why in Chinese (the API's ``detail_zh`` of catalogue
    entry no_live_consent, shown by the shared errorMessage: "无权访问：…"), the English page in English (issue 17
    item 5)."""
    for lang, said in (("zh", f"企业 {A} 未向银行 BANK-B 授予有效的授权（范围 "),
                       ("en", f"no live consent of scope full/reports/summary from enterprise {A} to bank BANK-B")):
        s = Session(browser, service, lang)
        s.expected_failures += [(f"/api/v1/credit/{A}", 403), (f"/api/v1/accounts/{A}/2023", 403)]
        s.login("bank_b")
        s.ready("search")
        s.page.goto(s.service.url + f"/#/account/{A}/2023")
        refusal = s.page.locator(".msg", has_text=said).first
        expect(refusal).to_be_visible()
        text = refusal.inner_text()
        if lang == "zh":
            assert "no live consent" not in text and not re.search(r"\b(null|undefined)\b", text), text
        s.close()
