"""The regulator's programme view in the dashboard (issue 17 item 6) through a real `dianta serve` and Debian's
Chromium, in Chinese and English: the headline cards first, then the breakdowns; the statistics page and the
programme page show the same 贷款余额 with the same as-of day; no English word on the Chinese page, no null.

Bank A records two loans to A (tests/service.py: A consents to bank A): L-P-1 10,000,000 CNY drawn 2024-01-01,
priced that day at 45 bp (grade 2: 40 bp + 10 score points, capped at 45), and L-P-2 4,000,000 CNY drawn
2024-02-01, not priced. On 2024-01-31: 8 accounts opened, 1 carbon-account loan, 0.10 亿元 issued and
outstanding, interest saved 10,000,000 × 0.0045 × 31 / 360 = 3,875 CNY = 0.39 万元; 贷款余额 0.10 亿元 (L-P-2 is
not drawn yet). Today both are outstanding: 贷款余额 0.14 亿元.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from province import A, B
from service import Service, start_service, stop_service
from test_dashboard import ARGS, CHROMIUM, Session  # the browser session of the dashboard tests (skips without it)

POLICY = {"name": "绿色信贷 2024", "effective_from": "2024-01-01", "cap_bp": 45,
          "grade_discount_bp": {"1": 60, "2": 40, "3": 20}, "score_link": {"base_score": 70, "bp_per_point": 1}}
#: the programme view's own English words (its catalogue's texts): none may show on the Chinese page
ENGLISH = ("Programme overview", "Accounts opened", "Carbon-account", "Interest saved", "Loan balance", "By bank",
           "By industry division", "By region", "By park", "Other", "borrowers", "As of", "Issued by year",
           "100 million CNY", "10k CNY", "Loan records", "Principal", "Outstanding", "Through", "Show", "null",
           "undefined", "NaN")


@pytest.fixture(scope="module")
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    s = start_service("sqlite", tmp_path_factory.mktemp("dashboard-programme"), request)
    try:
        with s.client("bank_a") as c:
            c.post("/api/v1/pricing-policies", json=POLICY).raise_for_status()
            for loan_id, amount, drawn in (("L-P-1", 10_000_000, "2024-01-01"), ("L-P-2", 4_000_000, "2024-02-01")):
                c.post("/api/v1/loans", json={"loan_id": loan_id, "credit_code": A, "principal_cny": amount,
                                              "outstanding_cny": amount, "as_of": drawn, "drawn_on": drawn,
                                              "maturity_on": "2029-12-31", "base_rate_pct": 3.45}).raise_for_status()
            assert c.post("/api/v1/loans/L-P-1/pricing", json={"on": "2024-01-01"}).json()["discount_bp"] == 45
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
        r = c.get("/api/v1" + path, params=params)
        r.raise_for_status()
        return r.json()


def _card(page: Page, field: str):  # noqa: ANN202 - a playwright Locator
    return page.locator(f'.card[data-field="{field}"]')


def _show(page: Page, day: str) -> None:
    page.fill("#programme-through", day)
    page.click("#programme-form button[type=submit]")
    expect(page.locator("#programme-body")).to_have_attribute("data-through", day)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_programme_opens_with_its_headline(browser: Browser, service: Service, lang: str) -> None:
    s = Session(browser, service, lang)
    try:
        page = s.page
        s.login("regulator")
        s.ready("statistics")
        # the statistics page's 贷款余额 and its as-of day (today) …
        stats = _api(service, "regulator", "/statistics", year=2023)
        today = stats["loans_as_of"]
        balance = _card(page, "outstanding")
        expect(balance.locator(".card-value")).to_have_text("0.14 亿元" if lang == "zh" else "0.14 100 million CNY")
        expect(balance.locator(".card-extra")).to_contain_text(today)
        label = balance.locator(".card-label").inner_text()
        # … are the programme page's, under the same label
        s.go("programme")
        expect(page.locator("#programme-body")).to_have_attribute("data-through", today)
        same = _card(page, "loan_outstanding_cny")
        expect(same.locator(".card-label")).to_have_text(label)
        expect(same.locator(".card-value")).to_have_text(balance.locator(".card-value").inner_text())
        expect(same.locator(".card-extra")).to_contain_text(today)
        expect(_card(page, "outstanding").locator(".card-value")).to_have_text(
            balance.locator(".card-value").inner_text())  # the loan records' totals below say the same
        # the headline of 2024-01-31, worked in the module docstring; it comes first on the page
        _show(page, "2024-01-31")
        h = _api(service, "regulator", "/programme/headline", on="2024-01-31")
        assert (h["headline"]["accounts_opened"], h["headline"]["carbon_loans"]) == (8, 1)
        assert h["headline"]["interest_saved_cny"] == pytest.approx(3_875)
        yi, wan = ("亿元", "万元") if lang == "zh" else ("100 million CNY", "10k CNY")
        expect(page.locator("#programme-body .card").first).to_have_attribute("data-field", "accounts_opened")
        for field, text in (("accounts_opened", "8"), ("carbon_loans", "1"), ("carbon_loan_amount_cny", f"0.10 {yi}"),
                            ("carbon_loan_outstanding_cny", f"0.10 {yi}"), ("interest_saved_cny", f"0.39 {wan}"),
                            ("loan_outstanding_cny", f"0.10 {yi}")):
            expect(_card(page, field).locator(".card-value")).to_have_text(text)
        expect(_card(page, "interest_saved_cny").locator(".card-extra")).to_contain_text("2024-01-31")
        # one borrower: the bank breakdown holds it in the pool (minimum group size 3), never under the bank's name;
        # the accounts: division C32 (A–E) by name, C30, I64 and D44 (one each) pooled; all eight in 西宁市
        other = "其他" if lang == "zh" else "Other"
        expect(page.locator("#programme-by-bank-cells tbody tr td:first-child")).to_have_text([re.compile(other)])
        expect(page.locator("#programme-by-industry-cells tbody tr td:first-child")).to_have_text(
            ["有色金属冶炼和压延加工业", re.compile(other)])
        expect(page.locator("#programme-by-region-cells tbody tr td:first-child")).to_have_text(["西宁市"])
        s.charts_drawn()
        text = page.inner_text("#main")
        assert not [x for x in (A, B, "测试企业0", "测试企业1") if x in text]  # no enterprise on the regulator's page
        assert not re.search(r"\b(null|undefined|NaN)\b", text)
        if lang == "zh":
            assert not [w for w in ENGLISH if w in text], [w for w in ENGLISH if w in text]
        s.shot(f"regulator-programme-headline-{lang}")
        page.set_viewport_size({"width": 390, "height": 900})
        expect(_card(page, "accounts_opened")).to_be_visible()
        s.shot(f"regulator-programme-headline-{lang}-390")
    finally:
        s.close()
