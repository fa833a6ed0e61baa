"""The programme's headline and its breakdowns (METHODOLOGY.md §8, issue 17 item 6), worked by hand.

The hand-computed province (tests/test_accounts_worked.py): 2023 grades A 2 (score 80), B 4, C 5, D 2 (73.333),
E 2 (73.333), F 4 (46.667), G 4 (40), H 3 (60); every enterprise opened 2022-01-01; accounts of 2023 computed.
Parks: PK-T = A, B, D; PK-U = C, E, F (G and H in none).

Policy (each bank): grade 1 → 60 bp, 2 → 40, 3 → 20; 1 bp a score point above 70; cap 45 bp.
  A 40 + 10 = 50 → 45 bp; D and E 40 + 3.333 = 43.333 bp; H 20 bp (score 60 < 70); C, F, G 0 bp.
Loans (priced on the day drawn, except L4 which no bank priced: an ordinary loan):
  L1 BANK-A → A 10 M drawn 2024-01-01, 8 M reported 2024-03-31     45 bp
  L2 BANK-A → D  5 M drawn 2024-02-01                              43.333 bp
  L5 BANK-A → E  1 M drawn 2024-03-01                              43.333 bp
  L3 BANK-B → C  2 M drawn 2024-01-15; L6 BANK-B → F 4 M, L7 BANK-B → G 1 M drawn 2024-01-01   0 bp
  L8 BANK-C → H  2 M drawn 2024-01-01                              20 bp
  L4 BANK-B → B  3 M drawn 2023-06-01, not priced
As of 2024-03-31 (interest = outstanding × discount × days / 360):
  L1 Jan 10 M × 31 + Feb 10 M × 29 + Mar (10 M × 30 + 8 M × 1) at 45 bp = 3,875 + 3,625 + 3,850 = 11,350
  L2 5 M × 0.0043333 × (29 + 31) / 360 = 3,611.111; L5 1 M × 0.0043333 × 31 / 360 = 373.148
  L8 2 M × 0.0020 × 91 / 360 = 1,011.111                          → interest saved 16,345.370 CNY
  accounts opened 8; carbon-account loans 7 (all but L4), amount 10 + 5 + 1 + 2 + 4 + 1 + 2 = 25 M (0.25 亿元);
  carbon-account outstanding 8 + 5 + 1 + 2 + 4 + 1 + 2 = 23 M; all loans outstanding 23 + 3 (L4) = 26 M.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import write_table
from province import A, B, C, D, E, F, G, H, write_batch_2022, write_batch_2023
from service import Service

from dianta.accounts.compute import compute_year
from dianta.finance.interest import programme_totals
from dianta.finance.pricing import price_loan, save_policy
from dianta.finance.programme import FLOWS, programme_headline
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reference.profile import load_profile
from dianta.security import users

LOANS = ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny", "as_of", "drawn_on", "maturity_on",
         "base_rate_pct"]
POLICY = {"name": "绿色信贷定价 2024", "effective_from": "2024-01-01", "cap_bp": 45,
          "grade_discount_bp": {"1": 60, "2": 40, "3": 20}, "score_link": {"base_score": 70, "bp_per_point": 1}}
ON = dt.date(2024, 3, 31)
L2 = 5e6 * (40 + 10 / 3) / 10_000 * 60 / 360
L5 = 1e6 * (40 + 10 / 3) / 10_000 * 31 / 360
L8 = 2e6 * 0.0020 * 91 / 360
SAVED = 11_350 + L2 + L5 + L8


@pytest.fixture
def programme(store: Store, tmp_path: Path) -> Store:
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    write_table(tmp_path / "parks", "parks", ["park_id", "name", "region_code"],
                [("PK-T", "测试园区", "630100"), ("PK-U", "另一园区", "630100")])
    write_table(tmp_path / "parks", "park_members", ["park_id", "credit_code", "valid_from", "valid_to"],
                [("PK-T", A, "", ""), ("PK-T", B, "", ""), ("PK-T", D, "", ""),
                 ("PK-U", C, "", ""), ("PK-U", E, "", ""), ("PK-U", F, "", "")])
    assert ingest_batch(store, tmp_path / "parks").status == "applied"
    compute_year(store, 2023)
    for org in ("BANK-A", "BANK-B", "BANK-C"):
        users.create_organisation(store, org_id=org, kind="bank", name=org)
        save_policy(store, bank_id=org, body=POLICY, actor="t")
    loans = [("L1", "BANK-A", A, 10e6, 8e6, "2024-03-31", "2024-01-01", "2026-12-31"),
             ("L2", "BANK-A", D, 5e6, 5e6, "2024-02-01", "2024-02-01", "2025-01-31"),
             ("L5", "BANK-A", E, 1e6, 1e6, "2024-03-01", "2024-03-01", "2027-02-28"),
             ("L3", "BANK-B", C, 2e6, 2e6, "2024-01-15", "2024-01-15", "2024-12-31"),
             ("L6", "BANK-B", F, 4e6, 4e6, "2024-01-01", "2024-01-01", "2026-12-31"),
             ("L7", "BANK-B", G, 1e6, 1e6, "2024-01-01", "2024-01-01", "2026-12-31"),
             ("L8", "BANK-C", H, 2e6, 2e6, "2024-01-01", "2024-01-01", "2026-12-31"),
             ("L4", "BANK-B", B, 3e6, 3e6, "2023-06-01", "2023-06-01", "2025-05-31")]
    write_table(tmp_path / "loans", "loans", LOANS, [(*r, 3.45) for r in loans])
    assert ingest_batch(store, tmp_path / "loans").status == "applied"
    for loan_id, bank, _, _, _, _, drawn, _ in loans[:-1]:
        price_loan(store, bank_id=bank, loan_id=loan_id, actor="t", on=dt.date.fromisoformat(drawn))
    return store


def test_the_headline_as_worked(programme: Store):
    p = programme_headline(programme, on=ON)
    h = p["headline"]
    assert (p["as_of"], p["min_group_size"], p["years"]) == ("2024-03-31", 3, [2023, 2024])
    assert load_profile("default").disclosure_min_group_size == 3
    assert (h["accounts_opened"], h["carbon_loans"], h["borrowers"], h["loans"]) == (8, 7, 7, 8)
    assert h["carbon_loan_amount_cny"] == 25e6
    assert h["carbon_loan_outstanding_cny"] == 23e6 and h["loan_outstanding_cny"] == 26e6
    assert h["interest_saved_cny"] == pytest.approx(SAVED) and SAVED == pytest.approx(16_345.370, abs=1e-3)
    assert p["latest_loan_report_on"] == "2024-03-31"
    # the trend: 2023 has the accounts (opened 2022, before the first year on record), 2024 the loans
    y2023, y2024 = h["trend"]
    assert (y2023["as_of"], y2023["accounts_opened"], y2023["carbon_loans"], y2023["interest_saved_cny"]) == (
        "2023-12-31", 8, 0, 0)
    assert (y2024["as_of"], y2024["accounts_opened_to_date"], y2024["carbon_loans"]) == ("2024-03-31", 8, 7)
    assert y2024["carbon_loan_outstanding_cny"] == 23e6
    for key in FLOWS:  # the year's flows sum to the headline
        assert sum(t[key] for t in h["trend"]) == pytest.approx(h[key]), key
    # the same label, the same figure: the programme totals' 贷款余额 on the same day
    assert programme_totals(programme, through=ON)["totals"]["outstanding_cny"] == h["loan_outstanding_cny"]


def test_breakdowns_sum_to_the_headline_and_pool_small_cells(programme: Store):
    p = programme_headline(programme, on=ON)
    h = p["headline"]
    for grouping in ("by_bank", "by_industry", "by_region"):
        for key in (*FLOWS, "carbon_loan_outstanding_cny"):
            if grouping == "by_bank" and key == "accounts_opened":
                continue  # an account is not a bank's
            assert sum(c[key] for c in p[grouping]) == pytest.approx(h[key]), (grouping, key)
        for cell in p[grouping]:
            assert cell["enterprises"] >= 3, (grouping, cell["group"])
    # banks: A (A, D, E) shows; C (H alone) is too small, and the pool of it alone too: B (C, F, G; 7 M, the
    # smaller of the two three-borrower banks) joins it
    banks = {c["group"]: c for c in p["by_bank"]}
    assert set(banks) == {"BANK-A", "other"}
    assert (banks["BANK-A"]["carbon_loans"], banks["BANK-A"]["carbon_loan_amount_cny"]) == (3, 16e6)
    assert banks["BANK-A"]["interest_saved_cny"] == pytest.approx(11_350 + L2 + L5)
    assert (banks["other"]["groups"], banks["other"]["enterprises"], banks["other"]["carbon_loans"]) == (2, 4, 4)
    assert banks["other"]["interest_saved_cny"] == pytest.approx(L8)
    # divisions: C32 (A, B, C, D, E) shows with its name; C30 (F), I64 (G), D44 (H) pool into three
    divisions = {c["group"]: c for c in p["by_industry"]}
    assert set(divisions) == {"C32", "other"} and divisions["C32"]["name"] == "有色金属冶炼和压延加工业"
    assert (divisions["C32"]["accounts_opened"], divisions["C32"]["carbon_loans"]) == (5, 4)
    c32 = divisions["C32"]
    assert (c32["carbon_loan_amount_cny"], c32["carbon_loan_outstanding_cny"]) == (18e6, 16e6)
    assert (divisions["other"]["groups"], divisions["other"]["accounts_opened"]) == (3, 3)
    assert [(c["group"], c["name"], c["accounts_opened"]) for c in p["by_region"]] == [("630100", "西宁市", 8)]


def test_parks_show_their_accounts_aggregates_only(programme: Store):
    p = programme_headline(programme, on=ON)
    parks = {c["group"]: c for c in p["by_park"]}
    assert set(parks) == {"PK-T", "PK-U"}
    t, u = parks["PK-T"], parks["PK-U"]
    # PK-T: A, B, D opened; loans L1 (A) and L2 (D), 15 M, 13 M outstanding; B's L4 is no carbon-account loan
    assert (t["name"], t["accounts_opened"], t["carbon_loans"], t["carbon_loan_amount_cny"]) == ("测试园区", 3, 2, 15e6)
    assert t["carbon_loan_outstanding_cny"] == 13e6 and t["interest_saved_cny"] == pytest.approx(11_350 + L2)
    # PK-U: C, E, F; L3, L5, L6: 7 M; interest L5 only
    assert (u["carbon_loans"], u["carbon_loan_amount_cny"], u["interest_saved_cny"]) == (3, 7e6, pytest.approx(L5))
    # the park account of 2023 (GREEN-POWER.md §10): A 11 × 100,000 + 40,000, B 12 × 50,000, D 12 × 25,000 kWh
    assert t["park_account"]["year"] == 2023 and t["park_account"]["members"] == 3
    assert t["park_account"]["kwh_total"] == pytest.approx(1_140_000 + 600_000 + 300_000)
    assert t["trend"][0]["park_account"]["members"] == 3 and t["trend"][1]["park_account"] is None
    assert set(t["park_account"]) == {"year", "members", "kwh_total", "emissions_t", "green_share"}


def test_no_cell_below_the_minimum_group_shows(programme: Store, tmp_path: Path):
    """D leaves PK-T on 2024-01-01: PK-T has two members on the day, so it pools; the pool of it alone would
    be two: PK-U joins it, and nothing shows but the pool."""
    write_table(tmp_path / "leave", "park_members", ["park_id", "credit_code", "valid_from", "valid_to"],
                [("PK-T", D, "", "2023-12-31")])
    assert ingest_batch(programme, tmp_path / "leave", reason="D left").status == "applied"
    parks = programme_headline(programme, on=ON)["by_park"]
    assert [(c["group"], c["groups"], c["accounts_opened"]) for c in parks] == [("other", 2, 5)]
    assert "park_account" not in parks[0]


def test_the_regulator_gets_the_headline_and_one_loan_balance(service: Service):
    """Through `dianta serve`: bank A records and prices a loan to A (10 M drawn 2024-01-01, 45 bp under its cap
    45 policy) and an unpriced one to A (4 M drawn 2024-02-01); on 2024-01-31 the statistics and the programme
    totals show the same 贷款余额 (10 M: the second is not drawn yet) with the same as-of day as the headline,
    whose interest saved is 10 M × 0.0045 × 31 / 360 = 3,875 CNY."""
    with service.client("operator") as op:
        op.post("/api/v1/pricing-policies", params={"bank_id": "BANK-A"}, json=POLICY).raise_for_status()
    with service.client("bank_a") as c:
        for loan_id, amount, drawn in (("L-HL-1", 10_000_000, "2024-01-01"), ("L-HL-2", 4_000_000, "2024-02-01")):
            loan = {"loan_id": loan_id, "credit_code": A, "principal_cny": amount, "outstanding_cny": amount,
                    "as_of": drawn, "drawn_on": drawn, "maturity_on": "2026-12-31", "base_rate_pct": 3.45}
            assert c.post("/api/v1/loans", json=loan).status_code == 201
        assert c.post("/api/v1/loans/L-HL-1/pricing", json={"on": "2024-01-01"}).json()["discount_bp"] == 45
        assert c.get("/api/v1/programme/headline").status_code == 403
    with service.client("ent_a") as c:
        assert c.get("/api/v1/programme/headline").status_code == 403
    with service.client("regulator") as reg:
        day = {"on": "2024-01-31"}
        p = reg.get("/api/v1/programme/headline", params=day).json()
        h = p["headline"]
        assert (p["as_of"], h["accounts_opened"], h["carbon_loans"], h["loans"]) == ("2024-01-31", 8, 1, 1)
        assert (h["carbon_loan_amount_cny"], h["loan_outstanding_cny"]) == (10e6, 10e6)
        assert h["interest_saved_cny"] == pytest.approx(3_875)
        stats = reg.get("/api/v1/statistics", params={"year": 2023, **day}).json()
        totals = reg.get("/api/v1/programme/totals", params={"through": "2024-01-31"}).json()
        assert stats["loans_as_of"] == totals["through"] == p["as_of"]
        assert sum(b["outstanding_cny"] for b in stats["loans_by_bank"]) == totals["totals"]["outstanding_cny"] == 10e6
        # one borrower: no bank, division or park cell shows it; the pool holds it (the sums stay the headline's)
        for grouping in ("by_bank", "by_industry", "by_park"):
            assert all(c["enterprises"] >= p["min_group_size"] or c["group"] == "other" for c in p[grouping])
            assert sum(c["carbon_loans"] for c in p[grouping]) in (0, 1)
        assert {c["group"] for c in p["by_bank"]} == {"other"}
        later = reg.get("/api/v1/programme/headline", params={"on": "2024-02-29"}).json()["headline"]
        assert (later["loans"], later["loan_outstanding_cny"], later["carbon_loan_outstanding_cny"]) == (2, 14e6, 10e6)
