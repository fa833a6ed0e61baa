"""Loan pricing, interest saved and the programme totals (METHODOLOGY.md §8), worked by hand.

The hand-computed province (tests/test_accounts_worked.py): A grade 2, score 80, alert sharp_drop 2023-06;
D grade 2, score 73.333; C grade 5, score 20.

Bank A's policy v1 (from 2024-01-01): grade 1 → 60 bp, 2 → 40, 3 → 20; 1 bp a score point above 70; cap 45 bp;
no discount with `stoppage` or `sustained_decline`.
  A: 40 + (80 − 70) × 1 = 50 → capped 45 bp; 3.45 % − 0.45 = 3.00 %
  D: 40 + 3.333 = 43.333 bp; 3.60 % − 0.43333 = 3.16667 %
  C: grade 5 has no discount, score below 70 → 0 bp
Loan L1 to A: 10,000,000 drawn 2024-01-01, priced that day (45 bp); reported 8,000,000 on 2024-03-31 and
6,000,000 on 2024-06-30. Interest saved = outstanding × 0.0045 × days / 360:
  Jan 10 M × 31 d = 3,875; Feb (2024 is leap) 10 M × 29 d = 3,625; Mar 10 M × 30 d + 8 M × 1 d = 3,750 + 100
  = 3,850; Apr 8 M × 30 d = 3,000; May 8 M × 31 d = 3,100; Jun 8 M × 29 d + 6 M × 1 d = 2,900 + 75 = 2,975
  → through 2024-06-30: 20,425.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import write_table
from hypothesis import given
from hypothesis import strategies as st
from province import A, C, D, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.calc import pricing
from dianta.errors import NotFound, UsageError
from dianta.finance.interest import interest_saved_records, programme_totals
from dianta.finance.loans import load_loans
from dianta.finance.pricing import list_pricings, make_quote, parse_policy, price_loan, quote, save_policy
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.security import users

LOANS = ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny", "as_of", "drawn_on", "maturity_on",
         "base_rate_pct"]
POLICY = {"name": "绿色信贷定价 2024", "effective_from": "2024-01-01", "cap_bp": 45,
          "grade_discount_bp": {"1": 60, "2": 40, "3": 20}, "score_link": {"base_score": 70, "bp_per_point": 1},
          "eligibility": {"no_discount_with_alerts": ["stoppage", "sustained_decline"],
                          "require_current_account": True}}


@pytest.fixture
def bank(store: Store, tmp_path: Path) -> Store:
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    compute_year(store, 2023)
    for org in ("BANK-A", "BANK-B"):
        users.create_organisation(store, org_id=org, kind="bank", name=org)
    write_table(tmp_path / "loans-1", "loans", LOANS, [
        ("L1", "BANK-A", A, 10_000_000, 8_000_000, "2024-03-31", "2024-01-01", "2026-12-31", 3.45),
        ("L2", "BANK-A", D, 5_000_000, 5_000_000, "2024-02-01", "2024-02-01", "2025-01-31", 3.60),
        ("L3", "BANK-B", C, 2_000_000, 2_000_000, "2024-01-15", "2024-01-15", "2024-12-31", 3.80)])
    assert ingest_batch(store, tmp_path / "loans-1").status == "applied"
    return store


def test_quotes_say_why(bank: Store):
    save_policy(bank, bank_id="BANK-A", body=POLICY, actor="bank_a")
    q = make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2024, 1, 1))
    assert (q.account_year, q.grade, q.grade_bp, q.score_bp, q.discount_bp) == (2023, 2, 40, 10, 45)
    assert q.final_rate_pct == pytest.approx(3.00)
    assert any("capped at 45 bp" in r for r in q.reasons) and q.reasons[-1] == "3.45 % − 45 bp = 3 %"
    d = make_quote(bank, bank_id="BANK-A", credit_code=D, base_rate_pct=3.60, on=dt.date(2024, 2, 1))
    assert d.discount_bp == pytest.approx(40 + 10 / 3) and d.final_rate_pct == pytest.approx(3.60 - 0.4333333)
    c = make_quote(bank, bank_id="BANK-A", credit_code=C, base_rate_pct=3.80, on=dt.date(2024, 2, 1))
    assert (c.grade, c.discount_bp, c.final_rate_pct) == (5, 0, 3.80)
    # 2026: the newest account (2023) is older than 2025: no current account, no discount
    late = make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2026, 3, 1))
    assert (late.eligible, late.discount_bp) == (False, 0) and "current account" in late.reasons[1]
    with pytest.raises(NotFound, match="no pricing policy in effect on 2023-12-31"):
        make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2023, 12, 31))


def test_alerts_named_by_the_policy_withhold_the_discount():
    policy = parse_policy(POLICY, bank_id="BANK-A", version=1)
    account = {"year": 2023, "grade": 1, "score": 90.0, "label": {"colour": "dark_green"},
               "alerts": [{"code": "sharp_drop", "month": "2023-05"}, {"code": "stoppage", "month": "2023-06"}]}
    q = quote(policy, account, credit_code=A, base_rate_pct=4.0, on=dt.date(2024, 1, 1))
    assert (q.eligible, q.discount_bp, q.final_rate_pct) == (False, 0, 4.0)
    # the alert named by its kind, not its code, in both languages; sharp_drop is not in the policy's list
    assert q.explained[1] == {"code": "alerts",
                              "message_en": "alerts Stoppage (2023-06) in the account of 2023: the policy gives no "
                                            "discount",
                              "message_zh": "2023年账户有预警停产（2023-06）：按政策不予优惠"}
    assert "Sharp drop" not in " ".join(q.reasons) and q.reasons == [r["message_en"] for r in q.explained]
    ok = quote(policy, {**account, "alerts": account["alerts"][:1]}, credit_code=A, base_rate_pct=4.0,
               on=dt.date(2024, 1, 1))
    assert ok.discount_bp == 45  # 60 + 20 capped


def test_a_quote_shows_the_flags_that_qualify_the_grade():
    """§7b: a quote shows its grade, so it shows the flags that qualify it (meter_mismatch does not)."""
    policy = parse_policy(POLICY, bank_id="BANK-A", version=1)
    account = {"year": 2023, "grade": 2, "score": 73.0, "label": {"colour": "light_green"}, "alerts": [],
               "flags": ["meter_mismatch", "partial_year", "intensity_basis_revenue"]}
    q = quote(policy, account, credit_code=A, base_rate_pct=4.0, on=dt.date(2024, 1, 1))
    assert q.flags == ["intensity_basis_revenue", "partial_year"]
    # 40 bp for grade 2 + (73 − 70) × 1 = 43 bp
    assert q.discount_bp == 43 and ("grade 2 (account 2023; qualified by: intensity on revenue, not "
                                    "value added; fewer than 12 months of data) → 40 bp") in q.reasons
    assert "评级2级（2023年账户；等级附注：强度按营业收入计算（非增加值）；数据不满 12 个月）→ 优惠40基点" in [
        r["message_zh"] for r in q.explained]
    assert quote(policy, {**account, "flags": []}, credit_code=A, base_rate_pct=4.0, on=dt.date(2024, 1, 1)).flags == []


@pytest.mark.parametrize("change, message", [
    ({"cap_bp": -1}, "cap_bp must be a number from 0 to 1000"),
    ({"grade_discount_bp": {"6": 10}}, "grades are 1 to 5"),
    ({"effective_from": "2024-13-01"}, "effective_from must be a date"),
    ({"eligibility": {"no_discount_with_alerts": ["late_payment"]}}, "alert codes among"),
    ({"rate": 1}, "unknown field(s) rate"),
])
def test_a_bad_policy_is_refused_naming_the_field(change, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_policy({**POLICY, **change}, bank_id="BANK-A")


def test_policies_are_versioned(bank: Store):
    assert save_policy(bank, bank_id="BANK-A", body=POLICY, actor="a").version == 1
    assert save_policy(bank, bank_id="BANK-A", body={**POLICY, "cap_bp": 165}, actor="a").version == 2
    assert save_policy(bank, bank_id="BANK-B", body=POLICY, actor="b").version == 1
    q = make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2024, 1, 1))
    assert (q.policy_version, q.discount_bp) == (2, 50)  # the newest version: 40 + 10, under the 165 cap
    assert make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2024, 1, 1),
                      version=1).discount_bp == 45
    with pytest.raises(NotFound, match="no bank organisation BANK-Z"):
        save_policy(bank, bank_id="BANK-Z", body=POLICY, actor="a")


def test_interest_saved_by_month_as_worked(bank: Store, tmp_path: Path):
    save_policy(bank, bank_id="BANK-A", body=POLICY, actor="bank_a")
    priced = price_loan(bank, bank_id="BANK-A", loan_id="L1", actor="bank_a", on=dt.date(2024, 1, 1))
    assert (priced["discount_bp"], priced["final_rate_pct"], priced["account_year"]) == (45, 3.0, 2023)
    write_table(tmp_path / "loans-2", "loans", LOANS,
                [("L1", "BANK-A", A, 10_000_000, 6_000_000, "2024-06-30", "2024-01-01", "2026-12-31", 3.45)])
    assert ingest_batch(bank, tmp_path / "loans-2", reason="June report").status == "applied"
    loans = load_loans(bank, bank_id="BANK-A")
    l1 = next(ln for ln in loans if ln.loan_id == "L1")
    assert [(s.as_of.isoformat(), s.outstanding_cny) for s in l1.snapshots] == [("2024-03-31", 8e6),
                                                                                ("2024-06-30", 6e6)]
    records = interest_saved_records(loans, list_pricings(bank), through=dt.date(2024, 6, 30))
    by_month = {r["month"]: r["interest_saved_cny"] for r in records if r["loan_id"] == "L1"}
    assert by_month == pytest.approx({"2024-01": 3875, "2024-02": 3625, "2024-03": 3850, "2024-04": 3000,
                                      "2024-05": 3100, "2024-06": 2975})
    assert [r["days"] for r in records if r["loan_id"] == "L1"] == [31, 29, 31, 30, 31, 30]
    with pytest.raises(NotFound, match="bank BANK-A has no loan L3"):  # bank B's loan
        price_loan(bank, bank_id="BANK-A", loan_id="L3", actor="bank_a")


def test_repricing_changes_the_discount_from_its_day(bank: Store):
    """v2 (cap 165) from 2024-05-01: L1 gets 50 bp from May. May 8 M × 0.005 × 31 / 360 = 3,444.44."""
    save_policy(bank, bank_id="BANK-A", body=POLICY, actor="bank_a")
    price_loan(bank, bank_id="BANK-A", loan_id="L1", actor="bank_a", on=dt.date(2024, 1, 1))
    save_policy(bank, bank_id="BANK-A", body={**POLICY, "cap_bp": 165, "effective_from": "2024-05-01"}, actor="a")
    price_loan(bank, bank_id="BANK-A", loan_id="L1", actor="bank_a", on=dt.date(2024, 5, 1))
    records = interest_saved_records(load_loans(bank), list_pricings(bank), through=dt.date(2024, 5, 31))
    by_month = {r["month"]: r["interest_saved_cny"] for r in records if r["loan_id"] == "L1"}
    assert by_month["2024-04"] == pytest.approx(3000)
    assert by_month["2024-05"] == pytest.approx(8e6 * 0.005 * 31 / 360)


def test_programme_totals_are_the_sum_over_loan_records(bank: Store):
    save_policy(bank, bank_id="BANK-A", body=POLICY, actor="bank_a")
    save_policy(bank, bank_id="BANK-B", body=POLICY, actor="bank_b")
    for bank_id, loan in (("BANK-A", "L1"), ("BANK-A", "L2"), ("BANK-B", "L3")):
        price_loan(bank, bank_id=bank_id, loan_id=loan, actor="t", on=dt.date(2024, 1, 1))
    totals = programme_totals(bank, through=dt.date(2024, 3, 31))
    loans, interest = totals["loans"], totals["interest"]
    t = totals["totals"]
    assert t["loans"] == len(loans) == 3
    assert t["principal_cny"] == sum(r["principal_cny"] for r in loans) == 17_000_000
    assert t["interest_saved_cny"] == pytest.approx(sum(r["interest_saved_cny"] for r in interest))
    # L1 through March: 3,875 + 3,625 + 3,850; L2 from its draw-down 2024-02-01 at 43.333 bp on 5 M; C: 0 bp
    l2 = 5e6 * (40 + 10 / 3) / 10_000 * (29 + 31) / 360
    assert t["interest_saved_cny"] == pytest.approx(11_350 + l2)
    for grouping in ("by_bank", "by_industry", "by_region"):
        groups = totals[grouping]
        for key in ("loans", "principal_cny", "outstanding_cny", "interest_saved_cny"):
            assert sum(g[key] for g in groups) == pytest.approx(t[key]), (grouping, key)
    assert sum(m["interest_saved_cny"] for m in totals["by_month"]) == pytest.approx(t["interest_saved_cny"])
    assert {g["group"]: g["loans"] for g in totals["by_bank"]} == {"BANK-A": 2, "BANK-B": 1}
    assert totals["enterprises_with_accounts"] == 8 and t["borrowers_with_accounts"] == 3
    assert programme_totals(bank, through=dt.date(2024, 3, 31))["fingerprint"] == totals["fingerprint"]


@given(outstanding=st.floats(0, 1e10), bp=st.floats(0, 1000), days=st.integers(0, 3660),
       k=st.floats(0.1, 10))
def test_interest_saved_is_linear(outstanding, bp, days, k):
    one = float(pricing.interest_saved_cny(outstanding, bp, days))
    assert float(pricing.interest_saved_cny(outstanding * k, bp, days)) == pytest.approx(one * k, rel=1e-9, abs=1e-6)
    assert one <= outstanding * bp / 10_000 * days / 360 * (1 + 1e-12) + 1e-9


@given(grade_bp=st.floats(0, 200), score=st.floats(0, 100), base=st.floats(0, 100), per=st.floats(0, 5),
       cap=st.floats(0, 300))
def test_discount_never_exceeds_the_cap(grade_bp, score, base, per, cap):
    d = float(pricing.rate_discount_bp(grade_bp, score, score_base=base, bp_per_point=per, cap_bp=cap))
    assert 0 <= d <= cap


def test_every_reason_is_a_sentence_in_both_languages(bank: Store):
    """Issue 17: each reason of a quote comes from the catalogue with its Chinese sentence (full-width punctuation,
    no raw code); A on 2024-01-01 under v1: policy, grade 2 → 40 bp, score 80 − 70 → 10 bp, capped at 45 bp, the
    rate 3.45 % − 45 bp = 3 %."""
    save_policy(bank, bank_id="BANK-A", body=POLICY, actor="bank_a")
    q = make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2024, 1, 1))
    assert [r["code"] for r in q.explained] == ["policy", "grade", "score", "cap", "rate"]
    assert [r["message_zh"] for r in q.explained] == [
        "BANK-A定价政策第1版“绿色信贷定价 2024”（自2024-01-01起生效）",
        "评级2级（2023年账户）→ 优惠40基点",
        "得分80.0，高于基准分70的部分每分1基点 → 优惠10基点",
        "以政策上限45基点为限",
        "3.45% − 45基点 = 3%"]
    late = make_quote(bank, bank_id="BANK-A", credit_code=A, base_rate_pct=3.45, on=dt.date(2026, 3, 1))
    assert late.explained[1]["message_zh"] == "最新账户为2023年，早于2025年：政策要求有当期账户，不予优惠"
    none = make_quote(bank, bank_id="BANK-A", credit_code="91630000000000099X", base_rate_pct=3.45,
                      on=dt.date(2024, 1, 1))
    assert none.explained[1]["message_zh"] == "91630000000000099X截至2024年没有已发布的电碳账户：不予优惠"


def test_a_matured_loan_is_not_priced(bank: Store):
    """L2 to D matures 2025-01-31: priced on 2025-01-31 it is (its last day), on 2025-02-01 it is refused in
    English and Chinese and nothing is recorded."""
    save_policy(bank, bank_id="BANK-A", body=POLICY, actor="bank_a")
    assert price_loan(bank, bank_id="BANK-A", loan_id="L2", actor="bank_a", on=dt.date(2025, 1, 31))[
        "effective_on"] == "2025-01-31"
    with pytest.raises(UsageError, match="loan L2 matured on 2025-01-31: a matured loan is not priced") as refused:
        price_loan(bank, bank_id="BANK-A", loan_id="L2", actor="bank_a", on=dt.date(2025, 2, 1))
    assert refused.value.message_zh == ("贷款L2已于2025-01-31到期：到期贷款不再定价（定价日2025-02-01）；"
                                        "请选择到期日及之前的定价日")
    assert [p["effective_on"] for p in list_pricings(bank, loan_id="L2")] == ["2025-01-31"]
