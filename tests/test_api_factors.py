"""GET /api/v1/factors (issue 15): the factor table in use, for any signed-in caller, the same rows as
`dianta factors --format json`, through a real `dianta serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from service import Service

ROLES = ("operator", "bank_a", "ent_a", "regulator")


def test_any_role_reads_the_same_table_as_the_command_line(service: Service):
    cli = subprocess.run([sys.executable, "-m", "dianta", "factors", "--format", "json"], capture_output=True,
                         text=True, env={**os.environ}, timeout=120, check=True)
    expected = json.loads(cli.stdout)
    assert len(expected) == 141
    for who in ROLES:
        with service.client(who) as c:
            r = c.get("/api/v1/factors")
            assert r.status_code == 200, (who, r.text)
            assert r.json() == expected, who


def test_filters_and_refusals(service: Service):
    with service.client("ent_a") as c:
        (qinghai,) = c.get("/api/v1/factors", params={"year": 2023, "area": "630000"}).json()
        assert (qinghai["value_kg_per_kwh"], qinghai["announcement_no"], qinghai["status"]) == (
            0.1796, "公告2025年第47号", "confirmed")
        residual = c.get("/api/v1/factors", params={"kind": "excl_market_nonfossil"}).json()
        assert [(f["year"], f["value_kg_per_kwh"]) for f in residual] == [(2021, 0.5942), (2022, 0.5856),
                                                                         (2023, 0.6096)]
        coal = c.get("/api/v1/factors", params={"kind": "footprint", "year": 2023, "profile": "provincial"}).json()
        assert next(f for f in coal if f["technology"] == "coal")["value_kg_per_kwh"] == 0.944
        assert {f["unit"] for f in coal} == {"kgCO2e/kWh"} and len(coal) == 10
        assert c.get("/api/v1/factors", params={"area": "540000"}).json() == []  # Tibet: none published
        for params in ({"kind": "residual"}, {"area": "mars"}, {"year": 20233}, {"profile": "../default"}):
            assert c.get("/api/v1/factors", params=params).status_code == 422, params
        missing = c.get("/api/v1/factors", params={"profile": "nonesuch"})
        assert missing.status_code == 404 and "nonesuch" in missing.json()["detail"]
        assert "nonesuch" in missing.json()["detail_zh"]
    assert httpx.get(service.url + "/api/v1/factors").status_code == 401
