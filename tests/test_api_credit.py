"""The officer's credit view and a bank's handling of alerts through a real `dianta serve` (issue 17): the decision
with its reasons in both languages, the loans with their pricing and interest saved, a matured loan refused in
English and Chinese, alerts acknowledged and assigned to a colleague of the same bank only, every action audited.

Bank A's policy: grade 2 → 40 bp, 1 bp a score point above 70, cap 165, no current account required. A: grade 2,
score 80, alert sharp_drop 2023-06 → 40 + 10 = 50 bp. Loan L-CC-1 (10,000,000 from 2024-01-01 to 2027-12-31 at
3.60 %) priced from 2024-01-01; through 2024-01-31 it saved 10,000,000 × 0.0050 × 31 / 360 = 4,305.56 CNY.
"""

from __future__ import annotations

import pytest
from province import A, B
from service import PASSWORD, Service

POLICY = {"name": "绿色信贷 2024", "effective_from": "2024-01-01", "cap_bp": 165,
          "grade_discount_bp": {"2": 40}, "score_link": {"base_score": 70, "bp_per_point": 1},
          "eligibility": {"no_discount_with_alerts": [], "require_current_account": False}}
LOAN = {"loan_id": "L-CC-1", "credit_code": A, "principal_cny": 10_000_000, "outstanding_cny": 10_000_000,
        "as_of": "2024-01-01", "drawn_on": "2024-01-01", "maturity_on": "2027-12-31", "base_rate_pct": 3.60}
ALERT = {"credit_code": A, "year": 2023, "code": "sharp_drop", "month": "2023-06"}


def test_the_credit_view_answers_with_reasons_in_both_languages(service: Service):
    with service.client("bank_a") as c:
        none = c.get(f"/api/v1/credit/{A}", params={"on": "2024-02-01"}).json()  # no policy yet: said in both
        assert none["quote"] is None and none["no_policy"]["message_zh"] == (
            "本行在2024-02-01没有生效的定价政策：请先保存定价政策，再查看利率优惠")
        assert c.post("/api/v1/pricing-policies", json=POLICY).status_code == 201
        assert c.post("/api/v1/loans", json=LOAN).status_code == 201
        v = c.get(f"/api/v1/credit/{A}", params={"on": "2024-01-31"}).json()
        q = v["quote"]
        assert (v["grade"], v["score"], v["base_rate_source"], q["base_rate_pct"]) == (2, 80, "loan", 3.60)
        assert (q["eligible"], q["discount_bp"], q["final_rate_pct"]) == (True, 50, pytest.approx(3.10))
        assert [r["message_zh"] for r in q["explained"][1:]] == [
            "评级2级（2023年账户）→ 优惠40基点", "得分80.0，高于基准分70的部分每分1基点 → 优惠10基点",
            "3.6% − 50基点 = 3.1%"]
        assert q["reasons"] == [r["message_en"] for r in q["explained"]]
        # a quote through POST /quotes says the same
        same = c.post("/api/v1/quotes", json={"credit_code": A, "base_rate_pct": 3.60, "on": "2024-01-31"}).json()
        assert same["explained"] == q["explained"]
        # without a live loan and without a base rate: the discount in bp, no rate
        early = c.get(f"/api/v1/credit/{A}", params={"on": "2023-12-31"}).json()
        assert early["base_rate_source"] == "none" or early["quote"] is None
        priced = c.post("/api/v1/loans/L-CC-1/pricing", json={"on": "2024-01-01"})
        assert priced.status_code == 201, priced.text
        assert priced.json()["explained"][-1]["message_zh"] == "3.6% − 50基点 = 3.1%"
        v = c.get(f"/api/v1/credit/{A}", params={"on": "2024-01-31"}).json()
        loan = next(r for r in v["loans"] if r["loan_id"] == "L-CC-1")
        assert (loan["discount_bp"], loan["final_rate_pct"], loan["priced_on"], loan["matured"]) == (
            50, pytest.approx(3.10), "2024-01-01", False)
        assert loan["interest_saved_cny"] == pytest.approx(10_000_000 * 0.0050 * 31 / 360)
        # after maturity the loan is refused, in English and Chinese
        late = c.post("/api/v1/loans/L-CC-1/pricing", json={"on": "2028-01-01"})
        assert late.status_code == 400
        assert late.json()["detail_zh"] == ("贷款L-CC-1已于2027-12-31到期：到期贷款不再定价（定价日2028-01-01）；"
                                           "请选择到期日及之前的定价日")
        assert [p["effective_on"] for p in c.get("/api/v1/loans/L-CC-1/pricing").json()] == ["2024-01-01"]
        # another firm without consent: refused
        assert c.get(f"/api/v1/credit/{B}").status_code == 403
    with service.client("bank_b") as c:  # bank B sees neither A's view nor bank A's loans
        assert c.get(f"/api/v1/credit/{A}").status_code == 403


def test_alerts_are_acknowledged_and_assigned_within_the_bank(service: Service):
    with service.client("operator") as op:
        made = op.post("/api/v1/users", json={"username": "bank_a_officer", "password": PASSWORD, "role": "bank",
                                              "org_id": "BANK-A"})
        assert made.status_code in (201, 409), made.text
    with service.client("bank_a") as c:
        ack = c.post("/api/v1/alerts/acknowledge", json=ALERT)
        assert ack.status_code == 200, ack.text
        assert ack.json()["acknowledged_by"] == "bank_a"
        first = ack.json()["acknowledged_at"]
        assert c.post("/api/v1/alerts/acknowledge", json=ALERT).json()["acknowledged_at"] == first  # the first holds
        assigned = c.post("/api/v1/alerts/assign", json={**ALERT, "assignee": "bank_a_officer"})
        assert assigned.status_code == 200 and assigned.json()["assignee"] == "bank_a_officer"
        # a user of another bank is not a colleague
        other = c.post("/api/v1/alerts/assign", json={**ALERT, "assignee": "bank_b"})
        assert other.status_code == 400
        assert other.json()["detail_zh"] == "bank_b不是BANK-A的在用用户：预警只能指派给本行用户"
        missing = c.post("/api/v1/alerts/acknowledge", json={**ALERT, "month": "2023-01"})
        assert missing.status_code == 404 and "没有2023-01的预警" in missing.json()["detail_zh"]
        events = [e for e in c.get("/api/v1/alerts").json() if e["credit_code"] == A and e["month"] == "2023-06"]
        assert [(e["acknowledged_by"], e["assignee"]) for e in events] == [("bank_a", "bank_a_officer")]
        view = c.get(f"/api/v1/credit/{A}").json()
        assert {u["username"] for u in view["assignees"]} >= {"bank_a", "bank_a_officer"}
        assert "bank_b" not in {u["username"] for u in view["assignees"]}
    with service.client("ent_a") as c:  # the enterprise sees its alert, not the bank's handling
        own = [e for e in c.get("/api/v1/alerts").json() if e["month"] == "2023-06"]
        assert own and own[0]["assignee"] is None and own[0]["acknowledged_by"] is None
    with service.client("operator") as op:
        trail = op.get("/api/v1/audit", params={"actor": "bank_a", "action": "alerts.handle"}).json()
        assert {(e["detail"]["action"], e["outcome"]) for e in trail} >= {("acknowledge", "allowed"),
                                                                           ("assign", "allowed")}
