"""The command line contract (INTERFACE.md), through real `dianta` processes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from province import A, H, write_batch_2022, write_batch_2023


def dianta(*args: str, db: Path, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "dianta", "--db", str(db), *args], capture_output=True, text=True,
                          env=env, timeout=300)
    if check is not None:
        assert proc.returncode == check, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    db = root / "store"
    dianta("ingest", str(write_batch_2022(root / "2022")), db=db)
    dianta("ingest", str(write_batch_2023(root / "2023")), "--reason", "initial load", db=db)
    out = dianta("compute", "--year", "2023", db=db)
    assert "8 accounts of 2023" in out.stdout
    return db


def test_export_json_has_interface_fields(computed: Path):
    records = json.loads(dianta("export", "accounts", "--year", "2023", "--format", "json", db=computed).stdout)
    assert len(records) == 8
    a = next(r for r in records if r["credit_code"] == A)
    assert a["grade"] == 2 and a["label"]["colour"] == "light_green"
    assert a["alerts"] == [{"code": "sharp_drop", "month": "2023-06"}]


def test_export_csv_flattens_with_dotted_names(computed: Path, tmp_path: Path):
    out = tmp_path / "a.csv"
    dianta("export", "accounts", "--year", "2023", "--format", "csv", "--out", str(out), db=computed)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    a = next(r for r in rows if r["credit_code"] == A)
    assert a["aspect_scores.intensity"] == "80.0" and a["factors.location.value_kg_per_kwh"] == "0.5306"
    assert a["alerts"] == "sharp_drop@2023-06" and a["benchmark.group"] == "C"
    h = next(r for r in rows if r["credit_code"] == H)
    assert h["benchmark.group"] == "" and float(h["cfe_score"]) == pytest.approx(1 / 6)


def test_export_xlsx_bilingual_headers(computed: Path, tmp_path: Path):
    out = tmp_path / "a.xlsx"
    dianta("export", "accounts", "--year", "2023", "--format", "xlsx", "--out", str(out), db=computed)
    book = load_workbook(out, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert rows[0][0] == "credit_code (统一社会信用代码)"
    assert "emissions_market_t (基于市场的排放(tCO2))" in rows[0]
    assert len(rows) == 9
    col = rows[0].index("kwh_grid (电网用电量(kWh))")
    assert {r[col] for r in rows[1:] if r[0] == A} == {1_140_000}


def test_export_carries_the_green_power_fields(computed: Path, tmp_path: Path):
    """GREEN-POWER.md §9–§9b in every format, under the default profile and one with the hourly method and the
    province boundary. Default: H's hourly figure 292,000 × 0.6096 / 1000 = 178.0032 t (test_accounts_worked),
    matched 58,400 kWh; A's trade months are backed by bundled certificates. Hourly/province: A's instruments name
    no plant, so none counts: 300,000 kWh outside, C_mkt = 1,140,000 × 0.6096 / 1000 = 694.944 t, and A (monthly
    data only) falls back to the annual figure; H's indicator 1 is its hourly figure, its K1 (no plant) outside too:
    350,400 × 0.6096 / 1000 = 213.60384 t both ways."""
    exported = json.loads(dianta("export", "accounts", "--year", "2023", db=computed).stdout)
    records = {r["credit_code"]: r for r in exported}
    assert records[H]["emissions_market_hourly_t"] == pytest.approx(178.0032)
    assert records[A]["unbacked_trades"] == [] and len(records[A]["instruments"]) == 2
    out = tmp_path / "a.csv"
    dianta("export", "accounts", "--year", "2023", "--format", "csv", "--out", str(out), db=computed)
    rows = {r["credit_code"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    assert float(rows[H]["emissions_market_hourly_t"]) == pytest.approx(178.0032)
    assert float(rows[H]["kwh_matched_hourly"]) == 58_400 and float(rows[H]["kwh_cert_monthly_matched"]) == 0
    assert rows[A]["emissions_market_hourly_t"] == "" and rows[A]["flags"] == ""
    assert (rows[A]["market_method"], rows[A]["market_boundary"], rows[A]["kwh_outside_boundary"]) == (
        "annual", "national", "0.0")

    default = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
    profile = tmp_path / "hourly.toml"
    profile.write_text(default.read_text(encoding="utf-8").replace('id = "default"', 'id = "hourly"')
                       .replace('market_method = "annual"', 'market_method = "hourly"')
                       .replace('market_boundary = "national"', 'market_boundary = "province"'), encoding="utf-8")
    dianta("compute", "--year", "2023", "--profile", str(profile), db=computed)
    out = tmp_path / "h.xlsx"
    dianta("export", "accounts", "--year", "2023", "--profile", "hourly", "--format", "xlsx", "--out", str(out),
           db=computed)
    book = load_workbook(out, read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    header = [str(h).split(" (")[0] for h in sheet[0]]
    xlsx = {r[0]: dict(zip(header, r, strict=True)) for r in sheet[1:]}
    assert xlsx[A]["kwh_outside_boundary"] == 300_000 and xlsx[A]["market_boundary"] == "province"
    assert xlsx[A]["emissions_t"] == pytest.approx(694.944) and xlsx[A]["emissions_market_hourly_t"] is None
    assert xlsx[A]["flags"] == "annual_method_fallback"
    assert xlsx[H]["market_method"] == "hourly" and xlsx[H]["kwh_outside_boundary"] == 87_600
    assert xlsx[H]["emissions_t"] == pytest.approx(213.60384) == xlsx[H]["emissions_market_hourly_t"]


def test_usage_errors_exit_2(computed: Path):
    assert dianta("export", "accounts", "--year", "2023", "--format", "pdf", db=computed, check=2).returncode == 2
    assert dianta("compute", db=computed, check=2).returncode == 2
    assert dianta("ingest", db=computed, check=2).returncode == 2
    assert "is not a folder" in dianta("ingest", "/nonexistent/batch", db=computed, check=2).stderr


def test_missing_factor_refuses_and_publishes_nothing(computed: Path, tmp_path: Path):
    default = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
    profile = tmp_path / "south.toml"
    text = default.read_text(encoding="utf-8").replace('id = "default"', 'id = "south"')
    profile.write_text(text.replace('kind = "excl_market_nonfossil"\narea = "national"',
                                    'kind = "excl_market_nonfossil"\narea = "south"'), encoding="utf-8")
    proc = dianta("compute", "--year", "2023", "--profile", str(profile), db=computed, check=1)
    assert "no emission factor of kind 'excl_market_nonfossil' for area 'south'" in proc.stderr
    assert json.loads(dianta("export", "accounts", "--year", "2023", db=computed).stdout)[0]["profile_id"] == "default"


def test_profile_file_and_missing_value(computed: Path, tmp_path: Path):
    default = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
    broken = tmp_path / "broken.toml"
    broken.write_text(default.read_text(encoding="utf-8").replace("sharp_drop_ratio = 0.5\n", ""), encoding="utf-8")
    proc = dianta("compute", "--year", "2023", "--profile", str(broken), db=computed, check=1)
    assert "electricity.sharp_drop_ratio" in proc.stderr
    located = tmp_path / "location.toml"
    located.write_text(default.read_text(encoding="utf-8").replace('id = "default"', 'id = "loc"')
                       .replace('emissions_basis = "market"', 'emissions_basis = "location"'), encoding="utf-8")
    dianta("compute", "--year", "2023", "--profile", str(located), db=computed)
    records = json.loads(dianta("export", "accounts", "--year", "2023", "--profile", "loc", db=computed).stdout)
    a = next(r for r in records if r["credit_code"] == A)
    assert a["profile_id"] == "loc" and a["emissions_t"] == pytest.approx(604.884)


def test_status_lists_batches(computed: Path):
    out = dianta("status", db=computed).stdout
    assert "initial load" in out and "0 accounts marked for recalculation" in out


def test_demo_runs_end_to_end(tmp_path: Path):
    folder = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "dianta", "demo", "--dir", str(folder), "--enterprises", "40"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "accounts per grade" in proc.stdout and "top 5" in proc.stdout and "bottom 5" in proc.stdout
    assert re.search(r"loans: +[1-9]\d* priced by their banks' example policy", proc.stdout)
    records = json.loads((folder / "exports" / "accounts-2024.json").read_text(encoding="utf-8"))
    assert len(records) >= 30 and all(r["year"] == 2024 for r in records)
    assert (folder / "exports" / "accounts-2024.xlsx").stat().st_size > 0
    # the sample reports and the dashboard's logins, which really log in
    reports = {p.name for p in (folder / "reports").iterdir()}
    assert "data_requirements.xlsx" in reports and "portfolio-BANK-QH-001-2024.pdf" in reports
    assert len([n for n in reports if n.startswith("report-") and n.endswith(".pdf")]) >= 2
    # the park accounts next to the accounts, and the data centres' certificates (GREEN-POWER.md §10, §11)
    parks = json.loads((folder / "exports" / "parks-2024.json").read_text(encoding="utf-8"))
    assert {p["park_id"]: p["alerts"] for p in parks} == {"QH-GEM-ZCP": [], "QH-XN-GHP": ["park_below_target"]}
    certificates = [json.loads((folder / "reports" / n).read_text(encoding="utf-8")) for n in sorted(reports)
                    if n.startswith("green-computing-") and n.endswith(".json")]
    assert sorted((c["period"], c["level"]) for c in certificates) == [("2024", "A"), ("2024", "annual"),
                                                                        ("2024-07", "A")]
    assert all(f"green-computing-{c['credit_code']}-{c['period']}.html" in reports for c in certificates)
    assert all(c["verification_code"] in proc.stdout for c in certificates) and "QH-XN-GHP" in proc.stdout
    assert (folder / "logins.txt").stat().st_mode & 0o077 == 0  # readable by its owner only
    logins = [line.split("\t") for line in (folder / "logins.txt").read_text().splitlines()[1:]]
    from dianta.ledger.store import Store
    from dianta.security.users import authenticate, list_organisations

    store = Store(folder / "store")
    # the demo park's management logs in too (issue 16)
    assert [o["park_id"] for o in list_organisations(store, kind="park")] == ["QH-GEM-ZCP"]
    assert [role for role, _, _ in logins] == ["operator", "bank", "enterprise", "regulator", "park"]
    assert all(authenticate(store, username=user, password=pw).role == role for role, user, pw in logins)
    store.close()
    # a second run rebuilds the same demo folder; a foreign folder is refused
    assert subprocess.run([sys.executable, "-m", "dianta", "demo", "--dir", str(tmp_path)], capture_output=True,
                          text=True, timeout=60).returncode == 2


def test_admin_bootstrap_and_audit_verify(tmp_path: Path):
    db = tmp_path / "store"
    env = {**os.environ, "DIANTA_ADMIN_PASSWORD": "a long enough secret", "COLUMNS": "200"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dianta", "--db", str(db), *args], capture_output=True,
                              text=True, env=env, timeout=120)

    assert run("admin", "bootstrap", "--username", "platform-admin").returncode == 0
    assert run("admin", "bootstrap", "--username", "second").returncode == 1  # once only
    assert run("admin", "org-add", "BANK-QH-001", "--kind", "bank", "--name", "青海某银行").returncode == 0
    dianta("ingest", str(write_batch_2022(tmp_path / "2022")), db=db)
    dianta("export", "accounts", "--year", "2022", db=db)
    verified = run("audit", "verify")
    assert verified.returncode == 0 and "audit chain intact" in verified.stdout
    import sqlite3

    con = sqlite3.connect(db / "ledger.sqlite")
    con.execute("UPDATE audit_log SET actor = 'someone else' WHERE entry_id = 2")
    con.commit()
    con.close()
    tampered = run("audit", "verify")
    assert tampered.returncode == 1 and "2" in tampered.stdout + tampered.stderr
