"""Park routes (GREEN-POWER.md §10, issue 16) and a data centre's green-computing certificate (§11) through the API,
on a real ledger (SQLite) and the whole application in this process (its middleware, error mapping and audit).

The store: park PK (members A and B, the §10 worked example of tests/test_parks.py: one March day, A 1,000 kWh at
12:00 and a 2,000 kWh solar contract profiled 1,000 at 12:00 and 1,000 at 20:00; B 1,000 kWh at 20:00, no green),
park PK2 (member C, 3,000 kWh in March as a monthly total, no green), and D (500 kWh in March) in no park.
  PK:  E_total = 1,000 + 1,000 = 2,000 kWh; E_contract = min(2,000, 2,000) = 2,000 -> green share 1.0; pooled hours
       L = (1,000, 1,000), G = (1,000, 1,000) -> CFE 1.0; shortfall max(1 × 2,000 − 2,000, 0) = 0 MWh.
  PK2: E_total = 3,000, no green -> green share 0; C has no interval data: uncovered 3,000 / 3,000 = 1.0 > 0.10,
       so CFE null; shortfall (1 × 3,000 − 0) / 1000 = 3 MWh.
  A's own account: green share 1,000 / 1,000 = 1.0 (excess 1,000 kWh of the contract), CFE 1.0; B's: 0 and 0.
Organisations: the operator, bank BANK-A, the regulator, enterprise A's ENT-A, PARK-PK (PK's management; A grants
it `summary`, B grants nothing) and PARK-PK2.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from conftest import credit_code, write_table
from fastapi import FastAPI

from dianta.accounts.compute import compute_year
from dianta.api.app import create_app
from dianta.errors import Conflict, NotFound, UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.security import users

A, B, C, D = (credit_code(i) for i in (91, 92, 93, 94))
PASSWORD = "correct horse battery"
EXPIRES = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def _quarters(meter: str, hour: dt.datetime, kwh: float) -> list[tuple[str, str, float]]:
    return [(meter, (hour + dt.timedelta(minutes=15 * q)).isoformat(), kwh / 4) for q in range(4)]


def parks_batch(folder: Path) -> Path:
    noon, evening = dt.datetime(2023, 3, 15, 12), dt.datetime(2023, 3, 15, 20)
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(A, "园区甲", "C3216", "630100"), (B, "园区乙", "C3216", "630100"), (C, "园区丙", "C3216", "630100"),
                 (D, "园外丁", "C3216", "630100")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("MA", A), ("MB", B), ("MC", C), ("MD", D)])
    write_table(folder, "interval_readings", ["meter_id", "ts", "kwh"],
                _quarters("MA", noon, 1000) + _quarters("MA", evening, 0)
                + _quarters("MB", noon, 0) + _quarters("MB", evening, 1000))
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("MC", "2023-03", 3000),
                                                                            ("MD", "2023-03", 500)])
    write_table(folder, "green_trades", ["contract_id", "credit_code", "month", "kwh", "technology"],
                [("GA", A, "2023-03", 2000, "solar")])
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("GA", "2023-03-15T12:00:00", 1000), ("GA", "2023-03-15T20:00:00", 1000)])
    write_table(folder, "parks", ["park_id", "name", "region_code", "target_year"],
                [("PK", "零碳产业园", "630100", "2025"), ("PK2", "二号园", "630100", "")])
    write_table(folder, "park_members", ["park_id", "credit_code", "valid_from", "valid_to"],
                [("PK", A, "", ""), ("PK", B, "", ""), ("PK2", C, "", "")])
    write_table(folder, "data_centres", ["credit_code", "site_name"], [(A, "甲数据中心")])
    return folder


class Client:
    """Requests to the application in this process, through its whole middleware stack."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test") as c:
                return await c.request(method, path, **kw)

        return asyncio.run(call())

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)


@dataclass
class Service:
    store: Store
    client: Client
    tokens: dict[str, str]

    def _as(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request("GET", path, headers=self._as(who), **kw)

    def post(self, who: str, path: str, **kw: Any) -> httpx.Response:
        return self.client.request("POST", path, headers=self._as(who), **kw)

    def delete(self, who: str, path: str) -> httpx.Response:
        return self.client.request("DELETE", path, headers=self._as(who))

    def audit(self, **where: str) -> list[dict]:
        log = schema.audit_log
        with self.store.engine.connect() as con:
            rows = con.execute(sa.select(log).where(*(log.c[k] == v for k, v in where.items()))
                               .order_by(log.c.entry_id)).mappings().all()
        return [dict(r) for r in rows]


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root = tmp_path_factory.mktemp("parks-api")
    store = Store(root / "store")
    assert ingest_batch(store, parks_batch(root / "batch")).status == "applied"
    compute_year(store, 2023)
    users.bootstrap_admin(store, username="operator", password=PASSWORD)
    for org_id, kind, code, park in (("BANK-A", "bank", None, None), ("PBOC-QH", "regulator", None, None),
                                     ("ENT-A", "enterprise", A, None), ("ENT-D", "enterprise", D, None),
                                     ("PARK-PK", "park", None, "PK"), ("PARK-PK2", "park", None, "PK2")):
        users.create_organisation(store, org_id=org_id, kind=kind, name=f"{org_id} 机构", credit_code=code,
                                  park_id=park)
    for name, role, org in (("bank", "bank", "BANK-A"), ("regulator", "regulator", "PBOC-QH"),
                            ("ent_a", "enterprise", "ENT-A"), ("ent_d", "enterprise", "ENT-D"),
                            ("park", "park", "PARK-PK"), ("park2", "park", "PARK-PK2")):
        users.create_user(store, username=name, password=PASSWORD, role=role, org_id=org)
    client = Client(create_app(store))
    tokens = {}
    for who in ("operator", "bank", "regulator", "ent_a", "ent_d", "park", "park2"):
        r = client.post("/api/v1/auth/token", data={"username": who, "password": PASSWORD})
        assert r.status_code == 200, r.text
        tokens[who] = r.json()["access_token"]
    s = Service(store, client, tokens)
    # A grants its park's management `summary`, as to a bank (POST /consents, bank_org_id = the park organisation)
    granted = s.post("ent_a", "/api/v1/consents", json={"bank_org_id": "PARK-PK", "scope": "summary",
                                                         "expires_on": EXPIRES})
    assert granted.status_code == 201, granted.text
    yield s
    store.close()


def test_park_principal_and_organisation(svc: Service):
    me = svc.get("park", "/api/v1/me").json()
    assert me == {"actor": "park", "role": "park", "org_id": "PARK-PK", "credit_code": None, "park_id": "PK"}
    # enterprises see the parks' organisations, to grant them consent
    orgs = {o["org_id"]: o for o in svc.get("ent_a", "/api/v1/organisations").json()}
    assert orgs["PARK-PK"]["kind"] == "park" and orgs["PARK-PK"]["park_id"] == "PK"
    # consents are granted to banks and parks' organisations only: refused in both languages
    r = svc.post("ent_a", "/api/v1/consents", json={"bank_org_id": "PBOC-QH", "scope": "summary",
                                                     "expires_on": EXPIRES})
    assert r.status_code == 400 and "not a bank or a park" in r.json()["detail"]
    assert "不是银行或园区管理机构" in r.json()["detail_zh"]
    # the park organisation lists the consents granted to it, as a bank does
    assert [(c["credit_code"], c["bank_org_id"]) for c in svc.get("park", "/api/v1/consents").json()] == [
        (A, "PARK-PK")]


def test_park_organisations_name_a_defined_park(svc: Service):
    def create(**body: object) -> httpx.Response:
        return svc.post("operator", "/api/v1/organisations", json={"org_id": "PARK-X", "kind": "park",
                                                                   "name": "园区", **body})

    assert create(park_id="NOPE").status_code == 404 and "define the park first" in create(park_id="NOPE").text
    assert create().status_code == 400 and "--park-id" in create().json()["detail"]
    assert create(park_id="PK").status_code == 409  # PK has its management already
    bank = svc.post("operator", "/api/v1/organisations", json={"org_id": "BANK-X", "kind": "bank", "name": "行",
                                                               "park_id": "PK2"})
    assert bank.status_code == 400 and "园区管理机构" in bank.json()["detail_zh"]
    with pytest.raises(NotFound):
        users.create_organisation(svc.store, org_id="PARK-Y", kind="park", name="y", park_id="PK9")
    with pytest.raises(UsageError, match="only park organisations have a park id"):
        users.create_organisation(svc.store, org_id="ENT-Y", kind="enterprise", name="y", credit_code=B,
                                  park_id="PK")
    with pytest.raises(Conflict):
        users.create_organisation(svc.store, org_id="PARK-Y", kind="park", name="y", park_id="PK2")


def test_operator_sees_every_park_and_every_members_figures(svc: Service):
    listed = svc.get("operator", "/api/v1/parks", params={"year": 2023}).json()
    assert listed["year"] == 2023 and [p["park_id"] for p in listed["items"]] == ["PK", "PK2"]
    pk, pk2 = listed["items"]
    assert (pk["name"], pk["region_code"], pk["target_green_share"], pk["target_year"], pk["members"]) == (
        "零碳产业园", "630100", 1.0, 2025, 2)
    acc = pk["account"]  # every field of the park account, as `export parks --format json`
    assert (acc["kwh_total"], acc["green_share"], acc["cfe_score"], acc["shortfall_mwh"], acc["members"]) == (
        2000.0, 1.0, 1.0, 0.0, 2)
    assert {"shortfall_map_mwh", "uncovered_load_share", "expected_green_share", "run_id"} <= set(acc)
    assert (pk2["account"]["kwh_total"], pk2["account"]["green_share"], pk2["account"]["cfe_score"],
            pk2["account"]["shortfall_mwh"], pk2["account"]["uncovered_load_share"]) == (3000.0, 0.0, None, 3.0, 1.0)
    assert svc.get("operator", "/api/v1/parks/years").json() == {"years": [2023]}
    detail = svc.get("operator", "/api/v1/parks/PK", params={"year": 2023}).json()
    assert detail["years"] == [2023] and detail["park"]["members"] == 2 and detail["account"]["green_share"] == 1.0
    members = {m["credit_code"]: m for m in detail["members"]}
    assert set(members) == {A, B} and all(m["consent"] for m in members.values())
    assert (members[A]["name"], members[A]["valid_from"], members[A]["valid_to"]) == ("园区甲", None, None)
    assert (members[A]["account"]["green_share"], members[A]["account"]["cfe_score"]) == (1.0, 1.0)
    assert (members[B]["account"]["green_share"], members[B]["account"]["cfe_score"]) == (0.0, 0.0)
    [entry] = svc.audit(actor="operator", action="park.read", resource="park:PK")
    assert json.loads(entry["detail_json"])["member_figures"] == sorted([A, B])


def test_regulator_sees_aggregates_only(svc: Service):
    listed = svc.get("regulator", "/api/v1/parks", params={"year": 2023})
    assert listed.status_code == 200 and [p["park_id"] for p in listed.json()["items"]] == ["PK", "PK2"]
    detail = svc.get("regulator", "/api/v1/parks/PK", params={"year": 2023})
    assert detail.status_code == 200
    body = detail.json()
    assert "members" not in body and body["park"]["members"] == 2 and body["account"]["kwh_total"] == 2000.0
    for text in (listed.text, detail.text, svc.get("regulator", "/api/v1/parks/PK2").text):
        assert not any(code in text for code in (A, B, C, D)), text  # no member's figures, not even its code
    assert svc.get("regulator", "/api/v1/parks/PK2").json()["year"] == 2023  # its latest year by default


def test_park_organisation_sees_its_park_and_consenting_members(svc: Service):
    listed = svc.get("park", "/api/v1/parks", params={"year": 2023}).json()
    assert [p["park_id"] for p in listed["items"]] == ["PK"]
    members = {m["credit_code"]: m for m in svc.get("park", "/api/v1/parks/PK", params={"year": 2023}).json()
               ["members"]}
    assert members[A]["consent"] is True and members[A]["account"]["green_share"] == 1.0
    assert members[B]["consent"] is False and members[B]["account"] is None and members[B]["name"] == "园区乙"
    other = svc.get("park", "/api/v1/parks/PK2", params={"year": 2023})
    assert other.status_code == 404 and other.json()["detail"] == "no park PK2"
    assert svc.get("park", "/api/v1/parks/NOPE").status_code == 404
    [denied] = svc.audit(actor="park", resource="park:PK2")
    assert denied["outcome"] == "denied" and "its own park" in denied["why"]
    # a member's own account stays the member's and its banks' (account.read): not the park's
    assert svc.get("park", f"/api/v1/accounts/{A}/2023").status_code == 403


def test_banks_and_enterprises_see_no_park(svc: Service):
    for who in ("bank", "ent_a"):
        for path in ("/api/v1/parks?year=2023", "/api/v1/parks/years", "/api/v1/parks/PK"):
            assert svc.get(who, path).status_code == 403, (who, path)
    assert svc.audit(actor="bank", action="park.read", outcome="denied")


def test_revoked_consent_takes_the_figures_away(svc: Service):
    granted = svc.post("operator", "/api/v1/consents", json={"credit_code": B, "bank_org_id": "PARK-PK",
                                                             "scope": "reports", "expires_on": EXPIRES}).json()

    def b_member() -> dict:
        found = svc.get("park", "/api/v1/parks/PK", params={"year": 2023}).json()["members"]
        return next(m for m in found if m["credit_code"] == B)

    assert b_member()["consent"] is True and b_member()["account"]["kwh_total"] == 1000.0
    assert svc.delete("operator", f"/api/v1/consents/{granted['consent_id']}").status_code == 200
    assert b_member() == {**b_member(), "consent": False, "account": None}
    # another park's management is granted nothing by PK's members
    assert svc.get("park2", "/api/v1/parks/PK").status_code == 404


def test_operator_defines_a_park_and_a_member_as_batches(svc: Service):
    r = svc.post("operator", "/api/v1/parks", json={"park_id": "PK3", "name": "三号园", "region_code": "630100",
                                                    "target_green_share": 0.5, "target_year": 2030})
    assert r.status_code == 201, r.text
    park_batch = r.json()
    assert park_batch["status"] == "applied" and park_batch["findings"] == []
    r = svc.post("operator", "/api/v1/parks/PK3/members", json={"credit_code": D, "valid_from": "2023-01-01"})
    assert r.status_code == 201, r.text
    member_batch = r.json()["batch_id"]
    batches = {b["batch_id"]: b for b in svc.get("operator", "/api/v1/batches").json()["items"]}
    assert batches[park_batch["batch_id"]]["counts"]["parks"]["new"] == 1
    assert batches[member_batch]["counts"]["park_members"]["new"] == 1
    assert batches[member_batch]["received_by"] == "operator"
    [entry] = svc.audit(action="park.define", resource=f"park:PK3:member:{D}")
    assert json.loads(entry["detail_json"])["batch_id"] == member_batch
    # defined, not computed yet: no account until the next computation
    assert svc.get("operator", "/api/v1/parks/PK3", params={"year": 2023}).json()["account"] is None
    assert svc.post("operator", "/api/v1/compute", json={"year": 2023}).status_code == 200
    pk3 = next(p for p in svc.get("operator", "/api/v1/parks", params={"year": 2023}).json()["items"]
               if p["park_id"] == "PK3")
    # D alone: E_total 500 kWh, no green -> share 0; shortfall (0.5 × 500 − 0) / 1000 = 0.25 MWh
    assert (pk3["members"], pk3["account"]["kwh_total"], pk3["account"]["green_share"],
            pk3["account"]["shortfall_mwh"], pk3["target_green_share"]) == (1, 500.0, 0.0, 0.25, 0.5)
    # sent again unchanged: nothing new, still answered and audited
    again = svc.post("operator", "/api/v1/parks/PK3/members", json={"credit_code": D, "valid_from": "2023-01-01"})
    assert again.status_code == 201 and again.json()["status"] == "unchanged" and again.json()["batch_id"] is None


def test_bad_park_input_is_refused_with_findings(svc: Service):
    r = svc.post("operator", "/api/v1/parks", json={"park_id": "PK4", "name": "四号园", "region_code": "999999"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("the park was refused") and "园区被拒绝" in r.json()["detail_zh"]
    [f] = r.json()["findings"]
    assert (f["table"], f["column"], f["value"], f["code"]) == ("parks", "region_code", "999999", "bad_region_code")
    assert f["message_zh"] and f["message_en"] and f["message_zh"] != f["message_en"]
    # C is a member of PK2 for all time: a membership of PK from 2024 overlaps it
    r = svc.post("operator", "/api/v1/parks/PK/members", json={"credit_code": C, "valid_from": "2024-01-01"})
    assert r.status_code == 422
    [f] = [f for f in r.json()["findings"] if f["code"] == "park_membership_overlap"]
    assert (f["table"], f["column"], f["value"]) == ("park_members", "valid_from", C)
    assert "PK2" in f["message_en"] and "PK2" in f["message_zh"] and "同一时间" in f["message_zh"]
    unknown = svc.post("operator", "/api/v1/parks/NOPE/members", json={"credit_code": D, "valid_from": "2024-01-01"})
    assert unknown.status_code == 422 and {(f["column"], f["value"]) for f in unknown.json()["findings"]} >= {
        ("park_id", "NOPE")}
    assert svc.post("park", "/api/v1/parks", json={"park_id": "PK5", "name": "x", "region_code": "630100"}
                    ).status_code == 403
    assert svc.get("operator", "/api/v1/parks/PK4").status_code == 404  # nothing was applied


def test_green_computing_certificate(svc: Service):
    """A's March: load 1,000 kWh (12:00), contract GA profiled 1,000 at 12:00 and 20:00 -> matched min(1,000, 1,000)
    + min(0, 1,000) = 1,000 kWh, CFE 1,000 / 1,000 = 1.0 >= 0.9: level A; green share 1,000 / 1,000 = 1.0; the trace
    is the contract's 1,000 kWh."""
    path = f"/api/v1/enterprises/{A}/green-computing"
    own = svc.get("ent_a", path, params={"year": 2023, "month": "2023-03"})
    assert own.status_code == 200, own.text
    cert = own.json()
    assert (cert["period"], cert["level"], cert["kwh_load"], cert["cfe_score"], cert["green_share"],
            cert["kwh_matched_hourly"]) == ("2023-03", "A", 1000.0, 1.0, 1.0, 1000.0)
    assert [(t["source_kind"], t["source_id"], t["kwh"]) for t in cert["trace"]] == [("trade", "GA", 1000.0)]
    assert cert["site_name"] == "甲数据中心" and cert["verification_code"]
    check = svc.client.get(f"/api/v1/certificates/{cert['verification_code']}").json()
    assert check["status"] == "valid" and check["level"] == "A"
    assert svc.get("bank", path, params={"year": 2023, "month": "2023-03"}).status_code == 403
    assert svc.get("ent_d", path, params={"year": 2023}).status_code == 403
    assert svc.get("operator", f"/api/v1/enterprises/{D}/green-computing", params={"year": 2023}).status_code == 404
    assert svc.get("ent_a", path, params={"year": 2023, "month": "2024-03"}).status_code == 400
    assert svc.post("ent_a", "/api/v1/consents", json={"bank_org_id": "BANK-A", "scope": "reports",
                                                        "expires_on": EXPIRES}).status_code == 201
    by_bank = svc.get("bank", path, params={"year": 2023, "month": "2023-03"})
    assert by_bank.status_code == 200 and by_bank.json() == cert
    [entry] = svc.audit(actor="bank", action="report.read", resource=f"certificate:{A}:2023-03", outcome="allowed")
    assert json.loads(entry["detail_json"])["level"] == "A"
    [refused] = svc.audit(actor="bank", action="report.read", resource=f"certificate:{A}:2023-03", outcome="denied")
    assert "no live consent" in refused["why"]


def test_the_demo_park_login(tmp_path: Path):
    """The demo's park management (demo/showcase.py): only when the ledger defines park QH-GEM-ZCP; every member of it
    but the last by credit code grants it `summary`."""
    from dianta.demo.showcase import set_up_park
    from dianta.security import consents

    store = Store(tmp_path / "store")
    try:
        folder = tmp_path / "batch"
        write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                    [(c, f"企业{i}", "C3216", "632801") for i, c in enumerate((A, B, C))])
        ingest_batch(store, folder)
        assert set_up_park(store, expires_on=EXPIRES) is None  # no such park yet: nothing made
        assert users.list_organisations(store, kind="park") == []
        write_table(folder, "parks", ["park_id", "name", "region_code"], [("QH-GEM-ZCP", "格尔木零碳产业园", "632801")])
        write_table(folder, "park_members", ["park_id", "credit_code"], [("QH-GEM-ZCP", c) for c in (C, A, B)])
        ingest_batch(store, folder)
        login = set_up_park(store, expires_on=EXPIRES)
        assert login is not None and login[0] == "park"
        principal = users.authenticate(store, username=login[0], password=login[1])
        assert (principal.role, principal.org_id, principal.park_id) == ("park", "PARK-QH-GEM-ZCP", "QH-GEM-ZCP")
        [org] = users.list_organisations(store, kind="park")
        assert org["name"] == "格尔木零碳产业园管理委员会"
        granted = consents.list_consents(store, bank_org_id="PARK-QH-GEM-ZCP")
        assert sorted((c["credit_code"], c["scope"]) for c in granted) == sorted([(A, "summary"), (B, "summary")])
        assert max(A, B, C) == C  # the last by credit code is the one without consent
    finally:
        store.close()
