"""Consent, tenancy and what a response may reveal, through a real `dianta serve` (issue 12, items 1, 4 and the
superseded label of item 9).

The province (tests/province.py): enterprise A granted bank A a live `summary` consent and nothing to bank B;
A's 2023 account has emissions of 512.064 t; enterprise B granted nothing to anyone.
"""

from __future__ import annotations

import io
import re

import pytest
from conftest import credit_code
from openpyxl import load_workbook
from province import A, B
from service import Service

NOBODY = credit_code(99)  # a valid credit code that no enterprise of the platform has
FIGURES = ("name", "industry_code", "region_code", "total_equity_plus_debt_cny", "attribution_factor",
           "emissions_t", "financed_emissions_t", "intensity", "value_basis", "data_quality_score")


def _loan(loan_id: str, code: str) -> dict[str, object]:
    return {"loan_id": loan_id, "credit_code": code, "principal_cny": 10_000_000, "outstanding_cny": 8_000_000,
            "as_of": "2023-12-31", "drawn_on": "2023-01-01", "maturity_on": "2026-12-31", "base_rate_pct": 3.45}


def _row(result: dict, loan_id: str) -> dict:
    return next(r for r in result["loans"] if r["loan_id"] == loan_id)


def _consent_of_a_to_bank_a(service: Service) -> int:
    with service.client("ent_a") as c:
        live = [x for x in c.get("/api/v1/consents", params={"live_only": "true"}).json()
                if x["bank_org_id"] == "BANK-A"]
    assert len(live) == 1
    return live[0]["consent_id"]


def test_a_borrowers_figures_reach_a_bank_only_under_a_live_consent(service: Service):
    with service.client("bank_b") as c:  # A gave bank B no consent: the loan is recorded, its figures are not shown
        assert c.post("/api/v1/loans", json=_loan("L-NC-1", A)).status_code == 201
        response = c.get("/api/v1/financed-emissions", params={"year": 2023})
        row = _row(response.json(), "L-NC-1")
        assert row["covered"] is False and [r["code"] for r in row["not_covered"]] == ["no_consent"]
        assert row["not_covered"][0]["message_zh"].startswith("未覆盖：无授权")
        assert {k: row[k] for k in FIGURES} == dict.fromkeys(FIGURES)
        assert (row["credit_code"], row["outstanding_cny"]) == (A, 8_000_000)  # the bank's own record
        assert "测试企业0" not in response.text and "512.06" not in response.text
        assert response.json()["totals"]["financed_emissions_t"] == 0
        book = load_workbook(io.BytesIO(c.get("/api/v1/financed-emissions",
                                              params={"year": 2023, "format": "xlsx", "lang": "zh"}).content))
        cells = {str(v) for ws in book for r in ws.iter_rows(values_only=True) for v in r if v is not None}
        assert "测试企业0" not in cells and not any(v.startswith("512.06") for v in cells)
    with service.client("bank_a") as c:  # A's consent to bank A covers the account: its figures are shown
        assert c.post("/api/v1/loans", json=_loan("L-C-1", A)).status_code == 201
        row = _row(c.get("/api/v1/financed-emissions", params={"year": 2023}).json(), "L-C-1")
        assert (row["name"], row["emissions_t"]) == ("测试企业0", pytest.approx(512.064))

    consent_id = _consent_of_a_to_bank_a(service)
    with service.client("ent_a") as c:  # A revokes: from now on bank A sees none of A's figures anywhere
        assert c.delete(f"/api/v1/consents/{consent_id}").status_code == 200
    try:
        with service.client("bank_a") as c:
            response = c.get("/api/v1/financed-emissions", params={"year": 2023})
            row = _row(response.json(), "L-C-1")
            assert [r["code"] for r in row["not_covered"]] == ["no_consent"]
            assert {k: row[k] for k in FIGURES} == dict.fromkeys(FIGURES)
            assert "512.06" not in response.text
            assert c.get("/api/v1/portfolio", params={"year": 2023}).json()["enterprises"] == []
            assert c.get("/api/v1/alerts", params={"year": 2023}).json() == []
            for record in c.get("/api/v1/interest-saved").json():  # the bank's own money, nothing of the borrower
                assert set(record) == {"loan_id", "bank_id", "credit_code", "month", "days", "outstanding_cny_days",
                                       "interest_saved_cny"}
            assert c.get(f"/api/v1/accounts/{A}/2023").status_code == 403
    finally:
        with service.client("ent_a") as c:
            c.post("/api/v1/consents", json={"bank_org_id": "BANK-A", "scope": "summary",
                                             "expires_on": "2099-12-31"}).raise_for_status()
    with service.client("operator") as c:  # the audit names whose figures each read returned, and whose it withheld
        entries = c.get("/api/v1/audit", params={"actor": "bank_b", "action": "finance.read",
                                                 "resource": "financed-emissions:BANK-B:2023"}).json()
        assert entries and all(e["detail"]["credit_codes"] == [] and e["detail"]["no_consent"] == [A]
                               for e in entries)
        entries = c.get("/api/v1/audit", params={"actor": "bank_a", "action": "finance.read",
                                                 "resource": "financed-emissions:BANK-A:2023"}).json()
        assert [e["detail"]["credit_codes"] for e in entries][-1] == [A]  # the oldest: before the revocation
        assert entries[0]["detail"] == {"format": "json", "credit_codes": [], "no_consent": [A]}


def test_a_loan_to_any_valid_credit_code_is_recorded_alike(service: Service):
    """POST /loans tells a bank nothing about whether a credit code has an account: a loan to an enterprise
    without consent and a loan to a code no enterprise has get the same answer and show alike."""
    with service.client("bank_b") as c:
        known = c.post("/api/v1/loans", json=_loan("L-KNOWN", B))
        unknown = c.post("/api/v1/loans", json=_loan("L-UNKNOWN", NOBODY))
        assert (known.status_code, unknown.status_code) == (201, 201), unknown.text
        assert {**known.json(), "loan_id": "x", "credit_code": "x"} == {**unknown.json(), "loan_id": "x",
                                                                        "credit_code": "x"}
        result = c.get("/api/v1/financed-emissions", params={"year": 2023}).json()
        a, b = _row(result, "L-KNOWN"), _row(result, "L-UNKNOWN")
        assert {**a, "loan_id": "x", "credit_code": "x"} == {**b, "loan_id": "x", "credit_code": "x"}
        bad = c.post("/api/v1/loans", json=_loan("L-BAD", NOBODY[:-1] + ("0" if NOBODY[-1] != "0" else "1")))
        assert bad.status_code == 422  # a code that fails GB 32100's check digit is still refused
    with service.client("operator") as c:  # the operator sees the warning in the batch the loan made
        batches = c.get("/api/v1/batches").json()["items"]
        warned = [f for b in batches[:3] for f in c.get(f"/api/v1/batches/{b['batch_id']}/findings").json()
                  if f["code"] == "unknown_borrower"]
        assert [(f["severity"], f["value"]) for f in warned] == [("warning", NOBODY)]


def test_another_tenants_record_answers_as_an_unknown_id(service: Service):
    with service.client("bank_a") as c:
        assert c.post("/api/v1/loans", json=_loan("L-TENANT", A)).status_code == 201
    with service.client("bank_b") as c:
        for method, kw in (("GET", {}), ("POST", {"json": {"on": "2024-01-01"}})):
            theirs = c.request(method, "/api/v1/loans/L-TENANT/pricing", **kw)
            missing = c.request(method, "/api/v1/loans/L-NO-SUCH/pricing", **kw)
            assert (theirs.status_code, missing.status_code) == (404, 404)
            assert theirs.json()["detail"] == "no loan L-TENANT" and missing.json()["detail"] == "no loan L-NO-SUCH"
            assert A not in theirs.text and "测试企业0" not in theirs.text
    consent_id = _consent_of_a_to_bank_a(service)
    with service.client("ent_b") as c:
        theirs, missing = c.delete(f"/api/v1/consents/{consent_id}"), c.delete("/api/v1/consents/999999")
        assert (theirs.status_code, missing.status_code) == (404, 404)
        assert (theirs.json()["detail"], missing.json()["detail"]) == (f"no consent {consent_id}", "no consent 999999")
    with service.client("bank_a") as c:  # a role that may not revoke consents learns nothing from the id either
        theirs, missing = c.delete(f"/api/v1/consents/{consent_id}"), c.delete("/api/v1/consents/999999")
        assert (theirs.status_code, missing.status_code) == (403, 403)
        assert theirs.json() == missing.json()
    assert _consent_of_a_to_bank_a(service) == consent_id  # still live
    with service.client("operator") as c:  # the hidden refusals are audited as refusals
        denied = c.get("/api/v1/audit", params={"actor": "ent_b", "action": "consent.manage"}).json()
        assert any(e["outcome"] == "denied" and e["resource"] == f"consent:{A}:BANK-A" for e in denied)
        denied = c.get("/api/v1/audit", params={"actor": "bank_b", "resource": "loan:L-TENANT"}).json()
        assert len([e for e in denied if e["outcome"] == "denied"]) == 2


#: an absolute path of the server's file system, as a response must never hold one
SERVER_PATH = re.compile(r"(?<![\w:/.])/(?!api/|app/)[\w.\-]+/[\w.\-/]+")


def test_error_bodies_hold_no_server_path(service: Service):
    with service.client("operator") as c:
        refused = c.post("/api/v1/batches", files=[("files", ("interval_readings.parquet", b"not parquet"))])
        assert refused.status_code == 422, refused.text
        assert "interval_readings.parquet" in refused.text  # the caller's own file name stays
        assert not SERVER_PATH.search(refused.text) and service.db not in refused.text, refused.text


def test_a_superseded_label_says_only_that_it_is_superseded(service: Service):
    with service.client("operator") as c:
        code = c.get(f"/api/v1/accounts/{A}/2023").json()["label"]["verification_code"]
        # a correction: A's value added for 2023 was 100, not 1,000; the account drops to grade 5
        fix = f"credit_code,year,value_added_10k_cny\n{A},2023,100\n".encode()
        assert c.post("/api/v1/batches", files=[("files", ("economics.csv", fix))],
                      data={"reason": "value added corrected"}).status_code == 201
        assert c.post("/api/v1/compute", json={"year": 2023}).status_code == 200
        assert c.get(f"/api/v1/accounts/{A}/2023").json()["grade"] == 5
    with service.client() as anyone:
        answer = anyone.get(f"/api/v1/labels/{code}").json()
    assert (answer["status"], answer["grade"]) == ("superseded", 2)  # what the label states, and no more
    # the qualifying flags are printed on the label (METHODOLOGY.md §7b), so they are part of what it states
    assert answer["kind"] == "enterprise"  # an enterprise's label, not a park's (issue 16)
    assert set(answer) == {"code", "kind", "status", "credit_code", "name", "year", "profile_id", "grade", "colour",
                           "score", "issued_at", "flags"}
