"""Reports, labels, the portfolio and the data requirement table through a real `dianta serve`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from province import A, B
from service import Service


def test_report_needs_a_reports_consent_and_is_audited(service: Service):
    with service.client("bank_b") as c:
        assert c.get(f"/api/v1/accounts/{B}/2023/report").status_code == 403
    with service.client("ent_b") as c:  # enterprise B grants bank B a `reports` consent
        consent = c.post("/api/v1/consents", json={"credit_code": B, "bank_org_id": "BANK-B", "scope": "reports",
                                                   "expires_on": str(dt.date.today() + dt.timedelta(days=30))})
        assert consent.status_code == 201, consent.text
    with service.client("bank_b") as c:
        pdf = c.get(f"/api/v1/accounts/{B}/2023/report", params={"format": "pdf", "lang": "en"})
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
        assert pdf.headers["content-type"] == "application/pdf"
        assert f"carbon-account-{B}-2023-en.pdf" in pdf.headers["content-disposition"]
        html = c.get(f"/api/v1/accounts/{B}/2023/report", params={"format": "html", "lang": "zh"})
        assert html.status_code == 200 and "企业电碳账户报告" in html.text and "测试企业1" in html.text
        # the page's own styles and images, nothing from elsewhere
        assert html.headers["content-security-policy"].startswith("default-src 'none'")
        assert c.get(f"/api/v1/accounts/{B}/2023/report", params={"format": "docx"}).status_code == 422
    with service.client("ent_b") as c:
        assert c.delete(f"/api/v1/consents/{consent.json()['consent_id']}").status_code == 200
    with service.client("bank_b") as c:  # revoked: no more reports
        assert c.get(f"/api/v1/accounts/{B}/2023/report").status_code == 403
    with service.client("operator") as c:
        reads = c.get("/api/v1/audit", params={"actor": "bank_b", "resource": f"report:{B}:2023"}).json()
        assert [e["outcome"] for e in reads] == ["denied", "allowed", "allowed", "denied"]


def test_label_image_and_public_verification(service: Service):
    with service.client("bank_a") as c:
        svg = c.get(f"/api/v1/accounts/{A}/2023/label")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        png = c.get(f"/api/v1/accounts/{A}/2023/label", params={"format": "png"})
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
        code = c.get(f"/api/v1/accounts/{A}/2023").json()["label"]["verification_code"]
    assert code in svg.text
    with service.client() as anyone:  # no credentials: whoever holds the label may check it
        ok = anyone.get(f"/api/v1/labels/{code}")
        assert ok.status_code == 200
        assert {k: ok.json()[k] for k in ("status", "credit_code", "year", "grade", "colour")} == {
            "status": "valid", "credit_code": A, "year": 2023, "grade": 2, "colour": "light_green"}
        assert anyone.get(f"/api/v1/labels/{code.lower().replace('-', '')}").json()["status"] == "valid"
        missing = anyone.get("/api/v1/labels/AAAA-BBBB-CCCC-DDDD")
        assert missing.status_code == 404 and "not genuine" in missing.json()["detail"]
        assert anyone.get("/api/v1/labels/not-a-code").status_code == 422
    with service.client("operator") as c:
        checks = c.get("/api/v1/audit", params={"resource": f"label:{code}"}).json()
        assert checks and checks[0]["actor"].startswith("anonymous:127.0.0.1") and checks[0]["role"] == "public"


def test_advice_names_the_green_power_to_the_next_step(service: Service):
    # A: green share 300,000 / 1,140,000 = 26.3 % -> next step 50 %: 0.5 × 1,140,000 − 300,000 = 270,000 kWh
    with service.client("ent_a") as c:
        advice = c.get(f"/api/v1/accounts/{A}/2023/advice", params={"lang": "en"}).json()["advice"]
    assert any("270.0 MWh" in a and "50 %" in a for a in advice), advice
    assert any(a.startswith("Intensity above the industry benchmark") for a in advice)  # K 0.79 -> 80, not 100


def test_portfolio_of_a_bank_is_its_consented_enterprises(service: Service):
    with service.client("bank_a") as c:
        p = c.get("/api/v1/portfolio", params={"year": 2023}).json()
        assert p["bank_id"] == "BANK-A" and [e["credit_code"] for e in p["enterprises"]] == [A]
        assert p["totals"]["emissions_t"] == pytest.approx(512.064)
        assert c.get("/api/v1/portfolio", params={"year": 2023, "bank_id": "BANK-B"}).status_code == 403
        xlsx = c.get("/api/v1/portfolio/report", params={"year": 2023, "format": "xlsx", "lang": "en"})
        assert load_workbook(io.BytesIO(xlsx.content))["Enterprises"].max_row == 2
    with service.client("operator") as c:
        everyone = c.get("/api/v1/portfolio", params={"year": 2023}).json()
        assert everyone["bank_id"] is None and everyone["totals"]["enterprises"] == 8
        assert c.get("/api/v1/portfolio", params={"year": 2023, "bank_id": "BANK-A"}).json()["totals"][
            "enterprises"] == 1


def test_data_requirement_table_is_public(service: Service):
    with service.client() as anyone:
        page = anyone.get("/api/v1/reference/data-requirements", params={"lang": "en"})
        assert page.status_code == 200 and "consumption_monthly" in page.text and "data_requirements.xlsx" in page.text
        book = anyone.get("/api/v1/reference/data_requirements.xlsx")
        assert "enterprises" in load_workbook(io.BytesIO(book.content)).sheetnames
