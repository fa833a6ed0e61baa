"""What-if to the next grade on the hand-computed province (tests/test_accounts_worked.py), worked by hand.

A (grade 2, score 80 = 0.5·80 + 0.25·100 + 0.25·60; green share 300,000 / 1,140,000 = 26.3 %):
  green: the step 50 % scores 80 → 0.5·80 + 0.25·100 + 0.25·80 = 85 → grade 1;
         0.5 × 1,140,000 − 300,000 = 270,000 kWh more.
  intensity: below 0.512064 the only candidate is 0.6 × benchmark 0.6510528 = 0.39063168 (K 0.6 → 100):
         0.5·100 + 25 + 15 = 90 → grade 1; reduction 1 − 0.39063168 / 0.512064 = 23.71 %, 121.43 t at V = 1,000.
D (grade 2, 73.333 = (0.5·100 + 0.25·20) / 0.75, no reduction aspect, no green power, 300,000 kWh):
  green: 5 % → 40: (50 + 10) / 0.75 = 80, not enough; 20 % → 60: (50 + 15) / 0.75 = 86.67 → grade 1;
         0.2 × 300,000 = 60,000 kWh. intensity: already 100, nothing below helps → none.
C (grade 5, 20 = (0.5·20 + 0.25·20) / 0.75; intensity 1.8288, K 2.809):
  green: 5 % → 26.7, 20 % → 33.3, 50 % → (10 + 20) / 0.75 = 40 → grade 4: 0.5 × 1,200,000 = 600,000 kWh.
  intensity: 2.0 × bench = 1.3021 (K 2 → 40): (20 + 5) / 0.75 = 33.3 no; 1.2 × bench = 0.78126336 (→ 60):
         (30 + 5) / 0.75 = 46.67 → grade 4; reduction 1 − 0.78126336 / 1.8288 = 57.28 %.
Bank A's policy with cap 165: A now 40 + 10 = 50 bp; at grade 1 with score 85: 60 + 15 = 75 bp (+25).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from province import A, C, D, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.finance.pricing import save_policy
from dianta.finance.whatif import what_if
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.security import users

BENCH = 0.6510528


@pytest.fixture
def province(store: Store, tmp_path: Path) -> Store:
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    compute_year(store, 2023)
    return store


def test_next_grade_levers_as_worked(province: Store):
    a = what_if(province, credit_code=A, year=2023)
    assert (a["grade"], a["next_grade"], a["next_grade_score"]) == (2, 1, 85)
    assert a["green"] == pytest.approx({"green_share": 0.5, "extra_green_kwh": 270_000, "score": 85, "grade": 1})
    assert a["intensity"] == pytest.approx({"intensity": 0.6 * BENCH, "reduction": 1 - 0.6 * BENCH / 0.512064,
                                            "score": 90, "grade": 1,
                                            "emissions_cut_t": (0.512064 - 0.6 * BENCH) * 1000})
    d = what_if(province, credit_code=D, year=2023)
    assert d["green"] == pytest.approx({"green_share": 0.2, "extra_green_kwh": 60_000, "score": 65 / 0.75,
                                        "grade": 1})
    assert d["intensity"] is None
    c = what_if(province, credit_code=C, year=2023)
    assert (c["next_grade"], c["green"]["grade"], c["green"]["extra_green_kwh"]) == (4, 4, pytest.approx(600_000))
    assert c["intensity"]["intensity"] == pytest.approx(1.2 * BENCH)
    assert c["intensity"]["reduction"] == pytest.approx(1 - 1.2 * BENCH / 1.8288)
    assert c["intensity"]["score"] == pytest.approx(35 / 0.75)


def test_the_discount_that_would_follow(province: Store):
    users.create_organisation(province, org_id="BANK-A", kind="bank", name="甲银行")
    save_policy(province, bank_id="BANK-A", actor="t", body={
        "name": "p", "effective_from": "2024-01-01", "cap_bp": 165, "grade_discount_bp": {"1": 60, "2": 40},
        "score_link": {"base_score": 70, "bp_per_point": 1}})
    a = what_if(province, credit_code=A, year=2023, bank_id="BANK-A", base_rate_pct=3.45, on=dt.date(2024, 3, 1))
    assert a["quote_now"]["discount_bp"] == 50 and a["quote_next_grade"]["discount_bp"] == 75
    assert a["discount_gain_bp"] == 25 and a["quote_next_grade"]["final_rate_pct"] == pytest.approx(2.70)
