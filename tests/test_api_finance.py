"""Green finance through a real `dianta serve`: a bank's policy, quote, priced loan, interest saved, what-if,
alerts and the programme totals (the numbers are worked in tests/test_finance_pricing.py and
tests/test_finance_whatif.py; here: the same numbers arrive through the API, to whom they should)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from province import A, B
from service import Service

from dianta.clock import today_cst

POLICY = {"name": "绿色信贷 2024", "effective_from": "2024-01-01", "cap_bp": 165,
          "grade_discount_bp": {"1": 60, "2": 40, "3": 20}, "score_link": {"base_score": 70, "bp_per_point": 1},
          "eligibility": {"no_discount_with_alerts": ["stoppage"], "require_current_account": True}}


def test_a_bank_prices_a_loan_and_sees_the_interest_it_saves(service: Service):
    with service.client("bank_a") as c:
        created = c.post("/api/v1/pricing-policies", json=POLICY)
        assert created.status_code == 201, created.text
        version = created.json()["version"]
        assert c.post("/api/v1/pricing-policies", json={**POLICY, "cap_bp": -5}).status_code == 422
        assert c.post("/api/v1/pricing-policies", params={"bank_id": "BANK-B"}, json=POLICY).status_code == 403
        q = c.post("/api/v1/quotes", json={"credit_code": A, "base_rate_pct": 3.45, "on": "2024-03-01"}).json()
        assert (q["grade"], q["discount_bp"], q["final_rate_pct"]) == (2, 50, pytest.approx(2.95))
        assert q["reasons"][-1] == "3.45 % − 50 bp = 2.95 %"
        # no consent from B: no quote
        assert c.post("/api/v1/quotes", json={"credit_code": B, "base_rate_pct": 3.45}).status_code == 403
        loan = {"loan_id": "L-API-1", "credit_code": A, "principal_cny": 10_000_000, "outstanding_cny": 10_000_000,
                "as_of": "2024-01-01", "drawn_on": "2024-01-01", "maturity_on": "2026-12-31", "base_rate_pct": 3.45}
        assert c.post("/api/v1/loans", json=loan).status_code == 201
        priced = c.post("/api/v1/loans/L-API-1/pricing", json={"on": "2024-01-01"})
        assert priced.status_code == 201, priced.text
        assert (priced.json()["discount_bp"], priced.json()["policy_version"]) == (50, version)
        saved = c.get("/api/v1/interest-saved", params={"through": "2024-01-31"}).json()
        jan = [r for r in saved if r["loan_id"] == "L-API-1"]
        # 10,000,000 × 0.0050 × 31 / 360
        assert jan == [{"loan_id": "L-API-1", "bank_id": "BANK-A", "credit_code": A, "month": "2024-01", "days": 31,
                        "outstanding_cny_days": 310_000_000.0, "interest_saved_cny": pytest.approx(4305.5556)}]
        history = c.get("/api/v1/loans/L-API-1/pricing").json()
        assert [h["discount_bp"] for h in history] == [50]
    with service.client("bank_b") as c:  # another bank's loan: neither priced nor read by bank B, nor known to it
        assert c.post("/api/v1/loans/L-API-1/pricing", json={}).status_code == 404
        assert c.get("/api/v1/loans/L-API-1/pricing").status_code == 404
        assert all(r["bank_id"] == "BANK-B" for r in c.get("/api/v1/interest-saved").json())
    with service.client("regulator") as c:
        totals = c.get("/api/v1/programme/totals", params={"through": "2024-01-31"}).json()
        assert totals["loans"] is None and totals["interest"] is None  # aggregates only
        banks = {g["group"]: g for g in totals["by_bank"]}
        assert banks["BANK-A"]["interest_saved_cny"] >= 4305.55
        assert c.get("/api/v1/programme/totals", params={"records": "true"}).status_code == 403
    with service.client("operator") as c:
        full = c.get("/api/v1/programme/totals", params={"through": "2024-01-31", "records": "true"}).json()
        assert full["totals"]["interest_saved_cny"] == pytest.approx(sum(r["interest_saved_cny"]
                                                                         for r in full["interest"]))
        assert full["fingerprint"] == totals["fingerprint"]


def test_what_if_shows_the_next_grade_and_the_discount_after_it(service: Service):
    with service.client("operator") as c:
        c.post("/api/v1/pricing-policies", params={"bank_id": "BANK-A"}, json=POLICY).raise_for_status()
    with service.client("bank_a") as c:
        w = c.get(f"/api/v1/accounts/{A}/2023/what-if", params={"base_rate_pct": 3.45, "on": "2024-03-01"}).json()
    assert (w["grade"], w["next_grade"], w["green"]["extra_green_kwh"]) == (2, 1, pytest.approx(270_000))
    assert (w["quote_now"]["discount_bp"], w["quote_next_grade"]["discount_bp"], w["discount_gain_bp"]) == (50, 75, 25)
    with service.client("ent_a") as c:  # the enterprise itself, under a bank's policy it names
        mine = c.get(f"/api/v1/accounts/{A}/2023/what-if", params={"bank_id": "BANK-A", "on": "2024-03-01"}).json()
        assert mine["discount_gain_bp"] == 25
        assert c.get(f"/api/v1/accounts/{B}/2023/what-if").status_code == 403


def test_alerts_reach_the_banks_with_a_consent(service: Service):
    today = today_cst().isoformat()
    with service.client("bank_a") as c:  # A (summary consent to bank A) had a sharp drop in June 2023
        events = c.get("/api/v1/alerts", params={"year": 2023}).json()
        assert {(e["credit_code"], e["code"], e["month"]) for e in events} == {(A, "sharp_drop", "2023-06")}
        assert events[0]["seen_on"] == today and events[0]["name"] == "测试企业0"
        digest = c.get("/api/v1/alerts/digest", params={"date": today})
        rows = list(csv.DictReader(io.StringIO(digest.content.decode("utf-8-sig"))))
        assert [(r["credit_code"], r["code"]) for r in rows] == [(A, "sharp_drop")]
        yesterday = (today_cst() - dt.timedelta(days=1)).isoformat()
        assert c.get("/api/v1/alerts/digest", params={"date": yesterday, "format": "json"}).json() == []
    with service.client("bank_b") as c:  # no consent, no alerts
        assert c.get("/api/v1/alerts").json() == []
    with service.client("ent_b") as c:
        assert all(e["credit_code"] == B for e in c.get("/api/v1/alerts").json())
    with service.client("regulator") as c:
        assert c.get("/api/v1/alerts").status_code == 403


def test_financed_emissions_and_transition_risk_in_the_portfolio(service: Service):
    with service.client("bank_a") as c:
        loan = {"loan_id": "L-FE-1", "credit_code": A, "principal_cny": 10_000_000, "outstanding_cny": 10_000_000,
                "as_of": "2023-12-31", "drawn_on": "2023-01-01", "maturity_on": "2026-12-31", "base_rate_pct": 3.45}
        assert c.post("/api/v1/loans", json=loan).status_code == 201
        result = c.get("/api/v1/financed-emissions", params={"year": 2023}).json()
        row = next(r for r in result["loans"] if r["loan_id"] == "L-FE-1")
        # the province gives A no total equity + debt: the loan is counted but not covered, and says why
        assert row["covered"] is False and [r["code"] for r in row["not_covered"]] == ["no_equity_plus_debt"]
        assert result["data_quality"]["score"] == 2
        xlsx = c.get("/api/v1/financed-emissions", params={"year": 2023, "format": "xlsx", "lang": "en"})
        assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert c.get("/api/v1/financed-emissions", params={"year": 2023, "bank_id": "BANK-B"}).status_code == 403
        p = c.get("/api/v1/portfolio", params={"year": 2023}).json()
        risk = p["enterprises"][0]["transition_risk"]
        # A: 512.064 t × 100 CNY/t = 51,206.4 CNY over 1,000 × 10,000 CNY of value added
        assert risk["carbon_cost"]["cea_recent"]["cost_cny"] == pytest.approx(51_206.4)
        assert risk["carbon_cost"]["cea_recent"]["share"] == pytest.approx(0.00512064)
        assert p["transition_risk"]["threshold_share"] == 0.05 and risk["flagged"] == []
