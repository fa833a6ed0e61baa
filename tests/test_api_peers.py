"""Peers and trend through the API (issue 17): GET /accounts/{code}/{year}/peers and /accounts/{code}/trend on the
hand-computed province (tests/province.py, figures worked out in tests/test_accounts_worked.py).

Peers of A in 2023 (profile default, peers.min_group_size 5):
- intensity: division C32 has 4 accounts on value added (A, B, C, D; E is on revenue) < 5 -> section C, the
  benchmark group of §7b: A 0.512064, B 0.6096, C 1.8288, D 0.18288, F 0.73152 (size 5; E left out: excluded 1).
  Best first: D 0.18288, A 0.512064, B 0.6096, F 0.73152, C 1.8288 -> A rank 2, better than B, F, C: 3/4 = 0.75
- score: C32 has 5 scored accounts: A 80, D 73.333, E 73.333, B 46.667, C 20 -> A rank 1, percentile 4/4 = 1
- green share: C32: A 300,000 / 1,140,000 = 0.263158, B–E 0 -> A rank 1, percentile 1
G (I6450) is alone in section I: every figure "too small", nothing revealed.
"""

from __future__ import annotations

import json

import pytest
from numpy.testing import assert_allclose
from province import A, B, C, D, E, F, G, H
from service import Service


def _get(s: Service, who: str, path: str) -> dict:
    with s.client(who) as c:
        r = c.get(path)
    assert r.status_code == 200, r.text
    return r.json()


def test_peers_of_a_worked_by_hand(service: Service):
    peers = _get(service, "ent_a", f"/api/v1/accounts/{A}/2023/peers")
    assert peers["min_group_size"] == 5
    fig = {f["metric"]: f for f in peers["figures"]}
    i = fig["intensity"]
    assert (i["status"], i["group"], i["group_level"], i["group_name_zh"]) == ("ranked", "C", "section", "制造业")
    assert (i["size"], i["excluded"], i["rank"], i["higher_is_better"], i["member"]) == (5, 1, 2, False, True)
    assert_allclose([i["value"], i["percentile"]], [0.512064, 0.75])
    assert_allclose(i["distribution"], [0.18288, 0.512064, 0.6096, 0.73152, 1.8288])
    s = fig["score"]
    assert (s["status"], s["group"], s["group_level"], s["size"], s["excluded"], s["rank"]) == \
        ("ranked", "C32", "division", 5, 0, 1)
    assert_allclose([s["percentile"]], [1.0])
    assert_allclose(s["distribution"], [80, 220 / 3, 220 / 3, 140 / 3, 20])
    g = fig["green_share"]
    assert (g["group"], g["rank"], g["size"]) == ("C32", 1, 5)
    assert_allclose(g["distribution"], [300_000 / 1_140_000, 0, 0, 0, 0])
    assert_allclose([g["percentile"]], [1.0])


def test_an_intensity_on_revenue_is_placed_against_the_distribution(service: Service):
    # E 0.146304 (on revenue) never forms the distribution (§7b) but is placed against section C's five: below
    # D's 0.18288, so rank 1 and better than 5 of the 5 others: 5/5 = 1; it is the section's one excluded account
    fig = {f["metric"]: f for f in _get(service, "operator", f"/api/v1/accounts/{E}/2023/peers")["figures"]}
    i = fig["intensity"]
    assert (i["group"], i["size"], i["excluded"], i["rank"], i["member"]) == ("C", 5, 1, 1, False)
    assert_allclose([i["value"], i["percentile"]], [0.146304, 1.0])
    assert fig["score"]["member"] and fig["score"]["group"] == "C32"


def test_peers_never_name_another_firm(service: Service):
    text = json.dumps(_get(service, "bank_a", f"/api/v1/accounts/{A}/2023/peers"), ensure_ascii=False)
    for other in (B, C, D, E, F, G, H):
        assert other not in text
    assert "测试企业" not in text  # no name either


def test_a_group_below_the_minimum_reveals_nothing(service: Service):
    peers = _get(service, "operator", f"/api/v1/accounts/{G}/2023/peers")
    for f in peers["figures"]:
        assert f["status"] == "too_small", f
        assert f["rank"] is None and f["percentile"] is None and f["distribution"] is None
        # G alone in section I (its intensity is on value added: it forms the distribution, of one)
        assert (f["group"], f["group_level"], f["size"]) == ("I", "section", 1)


@pytest.mark.parametrize("who", ["bank_b", "ent_b", "regulator", "park"])
def test_peers_and_trend_refused_as_the_account_is(service: Service, who: str):
    with service.client(who) as c:
        assert c.get(f"/api/v1/accounts/{A}/2023/peers").status_code == 403
        assert c.get(f"/api/v1/accounts/{A}/trend").status_code == 403


def test_trend_over_every_year_with_changes(service: Service):
    with service.client("operator") as c:
        assert c.post("/api/v1/compute", json={"year": 2022}).status_code in (200, 201)
    a22 = _get(service, "operator", f"/api/v1/accounts/{A}/2022")
    # 2022: 1,200,000 kWh, no green power, value added 1,000 (10k CNY): emissions = 1,200,000 × the 2022 residual
    # factor / 1000 [t], intensity = emissions / 1000
    factor = a22["factors"]["residual"]["value_kg_per_kwh"]
    assert_allclose([a22["emissions_t"], a22["intensity"], a22["green_share"]],
                    [1_200_000 * factor / 1000, 1_200 * factor / 1000, 0.0])
    trend = _get(service, "bank_a", f"/api/v1/accounts/{A}/trend")
    assert [y["year"] for y in trend["years"]] == [2022, 2023]
    y22, y23 = trend["years"]
    assert all(v is None for v in y22["changes"].values())  # no 2021 on record
    assert (y23["grade"], y23["score"]) == (2, 80)
    ch = y23["changes"]
    # intensity 0.512064 against 2022's; emissions 512.064 t against 2022's; green share 0.263158 − 0 (points)
    assert_allclose([ch["intensity"], ch["emissions_t"], ch["green_share"]],
                    [0.512064 / a22["intensity"] - 1, 512.064 / a22["emissions_t"] - 1, 300_000 / 1_140_000])
    assert_allclose([ch["score"], ch["grade"]], [80 - a22["score"], 2 - a22["grade"]])
    assert ch["cfe_score"] is None  # monthly data only, both years
    entries = _get(service, "operator", f"/api/v1/audit?action=account.read&resource=trend:{A}")
    assert any(e["actor"] == "bank_a" for e in entries)
