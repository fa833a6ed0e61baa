"""GREEN-POWER.md §11 green-computing certificates, through the real ledger (SQLite), engine (DuckDB) and CLI.

Worked example, by hand. Data centre DC (Xining, 630100), 15 March 2023, three hours; grid meter M1 and the IT
sub-meter IT (data_centres.it_meter_id), both held by DC; on-site solar (self-consumed, interval and monthly rows);
contract GT from wind plant P-GS settled 1,500 kWh in March; one unbundled 1 MWh certificate of March from solar
plant P-QH.

  hour     grid M1   on-site   L_h     GT profile   G_h     min(L,G)   IT meter
  10:00      400       600    1,000       600      1,200     1,000       700
  12:00      200       800    1,000       300      1,100     1,000       700
  20:00    1,000         0    1,000       600        600       600       700

  annual (§4): E_grid = 1,600 (the IT sub-meter's 2,100 are inside the site, not added), E_onsite = 1,400,
    E_total = kwh_load = 3,000; E_trade + E_cert = 1,500 + 1,000 = 2,500 -> E_contract = min(2,500, 1,600) = 1,600;
    green = 1,400 + 1,600 = 3,000 -> green_share = 1.0
  hourly (§7, §9b): matched = 2,600, cfe = 2,600 / 3,000 = 0.866667 -> level B (0.7 ≤ cfe < 0.9)
    U_March = 3,000 − 2,600 = 400, C_March = 1,000 -> kwh_cert_monthly_matched = 400
  trace: on-site 600×1000/1200 + 800×1000/1100 = 1,227.2727; GT (P-GS) 500 + 272.7273 + 600 = 1,372.7273;
    certificates of P-QH 400; Σ = 3,000 = 2,600 + 400
  PUE = 3,000 / 2,100 = 1.428571
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import credit_code, write_table
from numpy.testing import assert_allclose

from dianta.accounts.compute import compute_year
from dianta.accounts.computing import compute_certificate, issue_certificate, verify_certificate
from dianta.errors import NotFound
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store

DC = credit_code(81)
HOURS = (10, 12, 20)
GRID, ONSITE, PROFILE, IT = (400, 200, 1000), (600, 800, 0), (600, 300, 600), (700, 700, 700)
TRADE = ["contract_id", "credit_code", "month", "kwh", "technology", "plant_id"]
CERT = ["certificate_id", "credit_code", "vintage_month", "mwh", "technology", "retired_on", "bundled", "plant_id"]


def _quarters(meter: str, values: tuple[int, ...]) -> list[tuple[str, str, float]]:
    return [(meter, (dt.datetime(2023, 3, 15, h) + dt.timedelta(minutes=15 * q)).isoformat(), kwh / 4)
            for h, kwh in zip(HOURS, values, strict=True) for q in range(4)]


def worked_batch(folder: Path, *, it_meter: str | None = "IT") -> Path:
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(DC, "西宁算力", "I6450", "630100")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", DC), ("IT", DC)])
    write_table(folder, "data_centres", ["credit_code", "site_name", "it_meter_id"],
                [(DC, "西宁绿色算力中心", it_meter or "")])
    write_table(folder, "plants", ["plant_id", "name", "technology", "region_code"],
                [("P-QH", "青海光伏", "solar", "630000"), ("P-GS", "甘肃风电", "wind", "620000")])
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"], _quarters("M1", GRID) + _quarters("IT", IT))
    write_table(folder, "onsite_generation", ["credit_code", "month", "kwh_generated", "kwh_self_consumed",
                                              "technology"], [(DC, "2023-03", 1400, 1400, "solar")])
    write_table(folder, "onsite_generation_interval", ["credit_code", "ts", "kwh"],
                [(DC, f"2023-03-15T{h:02d}:00:00", kwh) for h, kwh in zip(HOURS, ONSITE, strict=True)])
    write_table(folder, "green_trades", TRADE, [("GT", DC, "2023-03", 1500, "wind", "P-GS")])
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("GT", f"2023-03-15T{h:02d}:00:00", kwh) for h, kwh in zip(HOURS, PROFILE, strict=True)])
    write_table(folder, "green_certificates", CERT,
                [("GEC000000000201", DC, "2023-03", 1, "solar", "2023-12-01", "false", "P-QH")])
    return folder


@pytest.fixture
def dc_store(tmp_path: Path):
    store = Store(tmp_path / "store")
    result = ingest_batch(store, worked_batch(tmp_path / "batch"))
    assert result.status == "applied", result.findings
    yield store
    store.close()


EXPECTED_TRACE = [
    {"source_kind": "onsite", "source_id": DC, "plant_id": None, "technology": "solar", "kwh": 500 + 8000 / 11},
    {"source_kind": "trade", "source_id": "GT", "plant_id": "P-GS", "technology": "wind",
     "kwh": 500 + 3000 / 11 + 600},
    {"source_kind": "certificate", "source_id": "GEC000000000201", "plant_id": "P-QH", "technology": "solar",
     "kwh": 400.0},
]


def _check_trace(trace: list[dict]) -> None:
    assert [{k: v for k, v in t.items() if k != "kwh"} for t in trace] == [
        {k: v for k, v in t.items() if k != "kwh"} for t in EXPECTED_TRACE]
    assert_allclose([t["kwh"] for t in trace], [t["kwh"] for t in EXPECTED_TRACE])


def test_worked_example(dc_store: Store):
    cert = compute_certificate(dc_store, credit_code=DC, year=2023)
    assert (cert["period"], cert["level"], cert["site_name"]) == ("2023", "B", "西宁绿色算力中心")
    assert_allclose([cert["kwh_load"], cert["green_share"], cert["cfe_score"], cert["kwh_matched_hourly"],
                     cert["kwh_cert_monthly_matched"], cert["pue"]], [3000, 1.0, 2600 / 3000, 2600, 400, 3000 / 2100])
    _check_trace(cert["trace"])
    assert_allclose(sum(t["kwh"] for t in cert["trace"]), cert["kwh_matched_hourly"] + cert["kwh_cert_monthly_matched"])
    assert cert["verification_code"] is None  # computed, not yet issued


def test_the_it_sub_meter_is_not_grid_electricity(dc_store: Store, tmp_path: Path):
    """The account of the data centre: E_grid 1,600 (M1 only), the hourly figures as the certificate's."""
    acc = {r["credit_code"]: r for r in compute_year(dc_store, 2023).records}[DC]
    assert_allclose([acc["kwh_grid"], acc["kwh_onsite"], acc["kwh_total"], acc["kwh_contract"]],
                    [1600, 1400, 3000, 1600])
    assert_allclose([acc["cfe_score"], acc["kwh_matched_hourly"], acc["kwh_cert_monthly_matched"]],
                    [2600 / 3000, 2600, 400])
    assert acc["electricity"]["peak_kw"] == pytest.approx(1000 / 4 * 4)  # M1's largest quarter: 250 kWh × 4
    assert "meter_mismatch" not in acc["flags"]


def test_without_an_it_meter_its_readings_are_grid_and_there_is_no_pue(tmp_path: Path):
    """Control: the same data with no it_meter_id: IT's 2,100 kWh are the enterprise's grid kWh, PUE null."""
    store = Store(tmp_path / "store")
    try:
        assert ingest_batch(store, worked_batch(tmp_path / "batch", it_meter=None)).status == "applied"
        acc = {r["credit_code"]: r for r in compute_year(store, 2023).records}[DC]
        assert_allclose(acc["kwh_grid"], 1600 + 2100)
        cert = compute_certificate(store, credit_code=DC, year=2023)
        assert cert["pue"] is None
        assert_allclose(cert["kwh_load"], 5100)
    finally:
        store.close()


def test_monthly_and_annual_periods(dc_store: Store):
    march = compute_certificate(dc_store, credit_code=DC, year=2023, month="2023-03")
    annual = compute_certificate(dc_store, credit_code=DC, year=2023)
    assert march["period"] == "2023-03"
    for key in ("level", "kwh_load", "green_share", "cfe_score", "kwh_matched_hourly", "kwh_cert_monthly_matched",
                "pue"):
        assert march[key] == pytest.approx(annual[key]), key  # every figure of the year is in March
    march, annual = issue_certificate(dc_store, march), issue_certificate(dc_store, annual)
    assert march["verification_code"] != annual["verification_code"]  # the period is stated
    with pytest.raises(NotFound, match="no electricity data in 2023-02"):
        compute_certificate(dc_store, credit_code=DC, year=2023, month="2023-02")


def test_not_a_data_centre(dc_store: Store):
    with pytest.raises(NotFound, match="not a data centre"):
        compute_certificate(dc_store, credit_code=credit_code(82), year=2023)


def test_issue_is_stable_and_a_correction_supersedes(dc_store: Store, tmp_path: Path):
    compute_year(dc_store, 2023)
    first = issue_certificate(dc_store, compute_certificate(dc_store, credit_code=DC, year=2023))
    code = first["verification_code"]
    assert code is not None
    again = issue_certificate(dc_store, compute_certificate(dc_store, credit_code=DC, year=2023))
    assert again["verification_code"] == code  # nothing changed: same code, still valid
    assert verify_certificate(dc_store, code) == {"code": code, "status": "valid", "period": "2023", "level": "B",
                                                  "cfe_score": pytest.approx(2600 / 3000), "green_share": 1.0}
    # correction: GT delivered nothing at 20:00 -> matched 2,000, cfe 2,000 / 3,000 = 0.6667 (level C)
    fix = tmp_path / "fix"
    write_table(fix, "green_trade_profiles", ["contract_id", "ts", "kwh"], [("GT", "2023-03-15T20:00:00", 0)])
    assert ingest_batch(dc_store, fix, reason="profile corrected").status == "applied"
    compute_year(dc_store, 2023)  # publishing the year computes its valid certificates again
    assert verify_certificate(dc_store, code)["status"] == "superseded"
    cc = schema.computing_certificates
    with dc_store.engine.connect() as con:
        rows = con.execute(cc.select().where(cc.c.state == "valid")).mappings().all()
    assert len(rows) == 1 and rows[0]["level"] == "C"
    stated = json.loads(rows[0]["statement_json"])
    assert_allclose(stated["cfe_score"], 2000 / 3000)
    assert verify_certificate(dc_store, rows[0]["code"])["status"] == "valid"


def _dianta(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dianta", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=600)


def test_cli_green_computing_and_verify(tmp_path: Path):
    db = tmp_path / "store"
    assert _dianta(db, "ingest", str(worked_batch(tmp_path / "batch"))).returncode == 0
    out = tmp_path / "cert.json"
    proc = _dianta(db, "green-computing", DC, "--year", "2023", "--format", "json", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    cert = json.loads(out.read_text(encoding="utf-8"))
    assert list(cert)[:12] == ["credit_code", "period", "level", "kwh_load", "green_share", "cfe_score",
                               "kwh_matched_hourly", "kwh_cert_monthly_matched", "pue", "trace",
                               "verification_code", "site_name"]
    assert cert["level"] == "B"
    _check_trace(cert["trace"])
    ok = _dianta(db, "verify-certificate", cert["verification_code"])
    assert ok.returncode == 0, ok.stderr
    assert "valid" in ok.stdout and "2023" in ok.stdout
    assert _dianta(db, "verify-certificate", "AAAA-BBBB-CCCC-DDDD").returncode == 1  # never issued
    html = _dianta(db, "green-computing", DC, "--year", "2023", "--format", "html", "--lang", "en",
                   "--out", str(tmp_path / "c.html"))
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert cert["verification_code"] in page and "P-GS" in page and "86.7" in page
    # a correction, a new computation: the first certificate is superseded, exit 1
    fix = tmp_path / "fix"
    write_table(fix, "green_trade_profiles", ["contract_id", "ts", "kwh"], [("GT", "2023-03-15T20:00:00", 0)])
    assert _dianta(db, "ingest", str(fix), "--reason", "profile corrected").returncode == 0
    assert _dianta(db, "green-computing", DC, "--year", "2023", "--format", "json",
                   "--out", str(tmp_path / "c2.json")).returncode == 0
    old = _dianta(db, "verify-certificate", cert["verification_code"])
    assert old.returncode == 1 and "superseded" in old.stdout


def test_public_api_check_answers_only_what_the_certificate_states(dc_store: Store):
    import asyncio

    import httpx

    from dianta.api.app import create_app

    app = create_app(dc_store)

    def get(path: str) -> httpx.Response:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
                return await c.get(path)

        return asyncio.run(call())

    code = issue_certificate(dc_store, compute_certificate(dc_store, credit_code=DC, year=2023))["verification_code"]
    assert code is not None
    ok = get(f"/api/v1/certificates/{code}")  # no credentials
    assert ok.status_code == 200
    body = ok.json()
    assert set(body) == {"code", "status", "period", "level", "cfe_score", "green_share"}  # nothing more
    assert (body["status"], body["period"], body["level"], body["green_share"]) == ("valid", "2023", "B", 1.0)
    assert_allclose(body["cfe_score"], 2600 / 3000)
    assert get(f"/api/v1/certificates/{code.lower().replace('-', '')}").json()["status"] == "valid"
    missing = get("/api/v1/certificates/AAAA-BBBB-CCCC-DDDD")
    assert missing.status_code == 404 and "not genuine" in missing.json()["detail"]
    assert get("/api/v1/certificates/not-a-code").status_code == 422
    # a monthly certificate of other figures supersedes nothing of the year's; a correction of the year does
    issue_certificate(dc_store, compute_certificate(dc_store, credit_code=DC, year=2023, month="2023-03"))
    assert get(f"/api/v1/certificates/{code}").json()["status"] == "valid"
    with dc_store.engine.connect() as con:
        entries = con.execute(schema.audit_log.select().where(
            schema.audit_log.c.resource == f"certificate:{code}")).mappings().all()
    assert entries and entries[0]["role"] == "public" and entries[0]["outcome"] == "allowed"


def test_an_it_meter_of_another_enterprise_is_refused_with_a_clear_reason(tmp_path: Path):
    from dianta.errors import InputRefused

    store = Store(tmp_path / "store")
    try:
        folder = worked_batch(tmp_path / "batch")
        other = credit_code(83)
        write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                    [(DC, "西宁算力", "I6450", "630100"), (other, "邻厂", "C3216", "630100")])
        write_table(folder, "meters", ["meter_id", "credit_code"], [("M1", DC), ("IT", other)])
        with pytest.raises(InputRefused) as refused:
            ingest_batch(store, folder)
        found = [f for f in refused.value.findings if f.code == "it_meter_elsewhere"]
        assert len(found) == 1
        f = found[0]
        # row 2: the line after the header
        assert (f.table, f.row, f.column, f.value) == ("data_centres", 2, "it_meter_id", "IT")
        assert "data_centres.csv" in str(f.file) and "IT 负载分表" in f.message_zh and "sub-meter" in f.message_en
    finally:
        store.close()


def test_same_certificate_on_each_engine(dc_store: Store, engine_name: str):
    """The source statements are in the SQL subset DuckDB and Spark share (engine/queries.py)."""
    cert = compute_certificate(dc_store, credit_code=DC, year=2023, engine=engine_name)
    assert cert["level"] == "B"
    assert_allclose([cert["kwh_matched_hourly"], cert["kwh_cert_monthly_matched"], cert["pue"]],
                    [2600, 400, 3000 / 2100])
    _check_trace(cert["trace"])


def test_the_it_sub_meters_readings_in_a_file_of_their_own_still_count(tmp_path: Path):
    """Issue 18: a certificate reads only the interval files that may hold its data centre's meters; the IT
    sub-meter's readings, sent in a batch of their own (a file whose meter range holds IT only), are among them:
    the PUE is the worked example's."""
    store = Store(tmp_path / "store")
    first = worked_batch(tmp_path / "batch")
    write_table(first, "interval_readings", ["meter_id", "ts", "kwh"], _quarters("M1", GRID))
    write_table(tmp_path / "it", "interval_readings", ["meter_id", "ts", "kwh"], _quarters("IT", IT))
    assert ingest_batch(store, first).status == "applied"
    assert ingest_batch(store, tmp_path / "it").status == "applied"
    cert = compute_certificate(store, credit_code=DC, year=2023)
    assert_allclose([cert["kwh_load"], cert["cfe_score"], cert["pue"]], [3000, 2600 / 3000, 3000 / 2100])
    store.close()
