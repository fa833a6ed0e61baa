"""The green-finance commands on the hand-computed province (numbers worked in tests/test_finance_pricing.py
and tests/test_finance_whatif.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import write_table
from openpyxl import load_workbook
from province import A, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.security import users

EXAMPLE = Path(__file__).parent.parent / "src" / "dianta" / "finance" / "policy-example.toml"


def test_a_bank_prices_a_loan_from_the_command_line(tmp_path: Path):
    store = Store(tmp_path / "store")
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    compute_year(store, 2023)
    users.create_organisation(store, org_id="BANK-A", kind="bank", name="甲银行")
    write_table(tmp_path / "loans", "loans", ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny",
                                              "as_of", "drawn_on", "maturity_on", "base_rate_pct"],
                [("L1", "BANK-A", A, 10_000_000, 10_000_000, "2024-01-01", "2024-01-01", "2026-12-31", 3.45)])
    ingest_batch(store, tmp_path / "loans")
    store.close()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dianta", "--db", str(tmp_path / "store"), *args],
                              capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)

    example = run("policy", "example")
    assert example.returncode == 0 and "cap_bp = 165" in example.stdout
    added = run("policy", "add", "--bank", "BANK-A", "--file", str(EXAMPLE))
    assert added.returncode == 0 and "v1" in added.stdout, added.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\neffective_from = "2024-01-01"\ncap_bp = 2000\n[grade_discount_bp]\n1 = 10\n')
    refused = run("policy", "add", "--bank", "BANK-A", "--file", str(bad))
    assert refused.returncode == 2 and "cap_bp must be a number from 0 to 1000" in refused.stderr
    # the example: grade 2 → 40 bp, + (80 − 70) × 1 = 50 bp under the 165 cap
    q = json.loads(run("quote", A, "--bank", "BANK-A", "--base-rate", "3.45", "--on", "2024-03-01", "--json").stdout)
    assert (q["discount_bp"], q["final_rate_pct"]) == (50, 2.95)
    priced = run("loan", "price", "L1", "--on", "2024-01-01")
    assert priced.returncode == 0 and "3.45 % − 50 bp = 2.95 %" in priced.stdout
    saved = run("interest-saved", "--bank", "BANK-A", "--through", "2024-01-31")
    rows = list(csv.DictReader(io.StringIO(saved.stdout.lstrip("\ufeff"))))
    assert [(r["month"], round(float(r["interest_saved_cny"]), 2)) for r in rows] == [("2024-01", 4305.56)]
    totals = json.loads(run("programme", "totals", "--through", "2024-01-31").stdout)
    assert totals["totals"]["loans"] == 1 and round(totals["totals"]["interest_saved_cny"], 2) == 4305.56
    whatif = run("what-if", A, "--year", "2023", "--bank", "BANK-A", "--on", "2024-03-01")
    assert "270.0 MWh more" in whatif.stdout and "+25 bp" in whatif.stdout
    xlsx = tmp_path / "pcaf.xlsx"
    assert run("financed-emissions", "--year", "2023", "--format", "xlsx", "--out", str(xlsx)).returncode == 0
    assert "loans" in load_workbook(xlsx).sheetnames
    digest = run("alerts", "digest", "--format", "json")
    assert [(e["credit_code"], e["code"]) for e in json.loads(digest.stdout)] == [(A, "sharp_drop")]
    assert run("quote", A, "--bank", "BANK-A", "--base-rate", "3.45", "--on", "2024-02-30").returncode == 2
