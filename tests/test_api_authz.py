"""Every role against every route of the API, through a real HTTP server (issue: multi-user service).

Roles: the operator; bank A (enterprise A granted it a live `summary` consent); bank B (no consent);
enterprise A and enterprise B (their own staff); the regulator; the management of park PK-T (members A and B).
Each row says which roles are allowed; every other role must get 403, and an anonymous caller 401.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from province import A, B, D
from service import PARK, ROLES, Service

ALL = set(ROLES)
_counter = itertools.count()


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    allowed: frozenset[str]
    # builds (path, keyword arguments of httpx.request) for a caller, given the service
    build: Callable[[Service, str], tuple[str, dict]]
    # roles that may take the action but not on this record, which belongs to another tenant: 404, the answer
    # to an unknown id, so that ids cannot be probed (issue 12); every other role not allowed gets 403
    hidden: frozenset[str] = frozenset()


def _fixed(path: str, **kw: object) -> Callable[[Service, str], tuple[str, dict]]:
    return lambda _s, _who: (path, kw)


def _unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def _new_consent(s: Service, _who: str) -> tuple[str, dict]:
    with s.client("operator") as c:
        r = c.post("/api/v1/consents", json={"credit_code": A, "bank_org_id": "BANK-B", "scope": "reports",
                                             "expires_on": str(dt.date.today() + dt.timedelta(days=9))})
        r.raise_for_status()
        return f"/api/v1/consents/{r.json()['consent_id']}", {}


def _own_key(s: Service, who: str) -> tuple[str, dict]:
    with s.client(who) as c:
        r = c.post("/api/v1/api-keys", json={"label": "matrix"})
        r.raise_for_status()
        return f"/api/v1/api-keys/{r.json()['key_id']}", {}


def _throwaway_user(s: Service, _who: str) -> tuple[str, dict]:
    with s.client("operator") as c:
        r = c.post("/api/v1/users", json={"username": _unique("tmp"), "password": "0123456789ab", "role": "bank",
                                          "org_id": "BANK-A"})
        r.raise_for_status()
        return f"/api/v1/users/{r.json()['user_id']}", {"json": {"active": True}}


POLICY = {"name": "matrix", "effective_from": "2020-01-01", "cap_bp": 100, "grade_discount_bp": {"1": 50, "2": 30}}


def _refused_file(s: Service, _who: str) -> tuple[str, dict]:
    """A refused upload kept with what was sent (issue 17): the operator sends a month that is not a month."""
    bad = b"meter_id,month,kwh\nM-A1,2023-13,100\n"
    with s.client("operator") as c:
        r = c.post("/api/v1/batches", files=[("files", ("consumption_monthly.csv", bad))])
    assert r.status_code == 422, r.text
    return f"/api/v1/batches/{r.json()['batch_id']}/files/consumption_monthly.csv", {}


def _finance(s: Service) -> None:
    """Once per service: pricing policies of both banks and a loan of bank A to enterprise A."""
    if getattr(s, "_finance_ready", False):
        return
    with s.client("operator") as c:
        for bank in ("BANK-A", "BANK-B"):
            c.post("/api/v1/pricing-policies", params={"bank_id": bank}, json=POLICY).raise_for_status()
    with s.client("bank_a") as c:
        c.post("/api/v1/loans", json={"loan_id": "L-MATRIX", "credit_code": A, "principal_cny": 1e7,
                                      "outstanding_cny": 9e6, "as_of": "2024-06-30", "drawn_on": "2024-01-10",
                                      "maturity_on": "2027-01-10", "base_rate_pct": 3.45}).raise_for_status()
    s._finance_ready = True  # type: ignore[attr-defined]


def _finance_route(path: str, **kw: object) -> Callable[[Service, str], tuple[str, dict]]:
    """A finance route: the operator names bank A; a bank is itself."""
    def build(s: Service, who: str) -> tuple[str, dict]:
        _finance(s)
        params = {"bank_id": "BANK-A"} if who == "operator" else {}
        return path, {**kw, "params": {**params, **kw.get("params", {})}}  # type: ignore[dict-item]
    return build


ENTERPRISE_ROW = "credit_code,name,industry_code,region_code,opened_on\n{A},测试企业0,C3216,630100,2022-01-01\n"
ROUTES = [
    Route("GET", "/api/v1/me", frozenset(ALL), _fixed("/api/v1/me")),
    Route("GET", "/api/v1/accounts", frozenset(ALL - {"regulator", "park"}), _fixed("/api/v1/accounts?year=2023")),
    Route("GET", "/api/v1/years", frozenset(ALL), _fixed("/api/v1/years")),
    # the factor table in use: reference data, not an enterprise's (any signed-in role)
    Route("GET", "/api/v1/factors", frozenset(ALL), _fixed("/api/v1/factors?year=2023&area=630000")),
    Route("GET", "/api/v1/accounts/stale", frozenset({"operator"}), _fixed("/api/v1/accounts/stale")),
    Route("GET", "/api/v1/accounts/{credit_code}/{year}", frozenset({"operator", "bank_a", "ent_a"}),
          _fixed(f"/api/v1/accounts/{A}/2023")),
    # issue 17: peers and trend are read as the account is
    Route("GET", "/api/v1/accounts/{credit_code}/{year}/peers", frozenset({"operator", "bank_a", "ent_a"}),
          _fixed(f"/api/v1/accounts/{A}/2023/peers")),
    Route("GET", "/api/v1/accounts/{credit_code}/trend", frozenset({"operator", "bank_a", "ent_a"}),
          _fixed(f"/api/v1/accounts/{A}/trend")),
    Route("GET", "/api/v1/enterprises/{credit_code}", frozenset({"operator", "bank_a", "ent_a"}),
          _fixed(f"/api/v1/enterprises/{A}")),
    Route("GET", "/api/v1/enterprises/{credit_code}/monthly", frozenset({"operator", "ent_a"}),
          _fixed(f"/api/v1/enterprises/{A}/monthly?year=2023")),
    Route("GET", "/api/v1/enterprises/{credit_code}/findings", frozenset({"operator", "ent_a"}),
          _fixed(f"/api/v1/enterprises/{A}/findings")),
    # a data centre's green-computing certificate is a report: bank A's `summary` consent is not enough
    Route("GET", "/api/v1/enterprises/{credit_code}/green-computing", frozenset({"operator", "ent_a"}),
          _fixed(f"/api/v1/enterprises/{A}/green-computing?year=2023")),
    # parks (GREEN-POWER.md §10): accounts for the operator, the regulator and the park's own management; another
    # park answers its management as an unknown one does; only the operator defines parks and memberships
    Route("GET", "/api/v1/parks", frozenset({"operator", "regulator", "park"}), _fixed("/api/v1/parks?year=2023")),
    Route("GET", "/api/v1/parks/years", frozenset({"operator", "regulator", "park"}), _fixed("/api/v1/parks/years")),
    Route("GET", "/api/v1/parks/{park_id}", frozenset({"operator", "regulator", "park"}),
          _fixed(f"/api/v1/parks/{PARK}?year=2023")),
    Route("GET", "/api/v1/parks/{park_id}", frozenset({"operator", "regulator"}),
          _fixed("/api/v1/parks/PK-U?year=2023"), hidden=frozenset({"park"})),
    Route("GET", "/api/v1/parks/{park_id}/report", frozenset({"operator", "regulator", "park"}),
          _fixed(f"/api/v1/parks/{PARK}/report?year=2023&format=html")),
    Route("GET", "/api/v1/parks/{park_id}/report", frozenset({"operator", "regulator"}),
          _fixed("/api/v1/parks/PK-U/report?year=2023&format=html"), hidden=frozenset({"park"})),
    Route("GET", "/api/v1/parks/{park_id}/label", frozenset({"operator", "regulator", "park"}),
          _fixed(f"/api/v1/parks/{PARK}/label?year=2023")),
    Route("POST", "/api/v1/parks", frozenset({"operator"}),
          lambda _s, _w: ("/api/v1/parks", {"json": {"park_id": _unique("PK-X"), "name": "新园区",
                                                     "region_code": "630100"}})),
    Route("POST", "/api/v1/parks/{park_id}/members", frozenset({"operator"}),
          _fixed(f"/api/v1/parks/{PARK}/members", json={"credit_code": D, "valid_from": "2024-01-01"})),
    # reports need a consent of scope `reports` or `full` (bank A holds `summary`); the label and advice go
    # with the account (listed before the consent routes, which grant bank B consents from A)
    Route("GET", "/api/v1/accounts/{credit_code}/{year}/report", frozenset({"operator", "ent_a"}),
          _fixed(f"/api/v1/accounts/{A}/2023/report?format=html")),
    Route("GET", "/api/v1/accounts/{credit_code}/{year}/label", frozenset({"operator", "bank_a", "ent_a"}),
          _fixed(f"/api/v1/accounts/{A}/2023/label?format=svg")),
    Route("GET", "/api/v1/accounts/{credit_code}/{year}/advice", frozenset({"operator", "bank_a", "ent_a"}),
          _fixed(f"/api/v1/accounts/{A}/2023/advice?lang=en")),
    Route("GET", "/api/v1/portfolio", frozenset({"operator", "bank_a", "bank_b"}),
          _fixed("/api/v1/portfolio?year=2023")),
    Route("GET", "/api/v1/portfolio/report", frozenset({"operator", "bank_a", "bank_b"}),
          _fixed("/api/v1/portfolio/report?year=2023&format=xlsx")),
    # green finance, also before the consent routes (a quote needs the borrower's consent to the bank)
    Route("POST", "/api/v1/pricing-policies", frozenset({"operator", "bank_a", "bank_b"}),
          _finance_route("/api/v1/pricing-policies", json=POLICY)),
    Route("GET", "/api/v1/pricing-policies", frozenset({"operator", "bank_a", "bank_b"}),
          _finance_route("/api/v1/pricing-policies")),
    Route("POST", "/api/v1/quotes", frozenset({"operator", "bank_a"}),
          _finance_route("/api/v1/quotes", json={"credit_code": A, "base_rate_pct": 3.45, "on": "2024-03-01"})),
    Route("POST", "/api/v1/loans/{loan_id}/pricing", frozenset({"bank_a"}),
          _finance_route("/api/v1/loans/L-MATRIX/pricing", json={"on": "2024-01-10"}), hidden=frozenset({"bank_b"})),
    Route("GET", "/api/v1/loans/{loan_id}/pricing", frozenset({"operator", "bank_a"}),
          _finance_route("/api/v1/loans/L-MATRIX/pricing"), hidden=frozenset({"bank_b"})),
    Route("GET", "/api/v1/interest-saved", frozenset({"operator", "bank_a", "bank_b"}),
          _finance_route("/api/v1/interest-saved")),
    Route("GET", "/api/v1/programme/totals", frozenset({"operator", "regulator"}),
          _fixed("/api/v1/programme/totals")),
    Route("GET", "/api/v1/programme/headline", frozenset({"operator", "regulator"}),
          _fixed("/api/v1/programme/headline")),
    Route("GET", "/api/v1/accounts/{credit_code}/{year}/what-if", frozenset({"operator", "bank_a", "ent_a"}),
          _finance_route(f"/api/v1/accounts/{A}/2023/what-if", params={"base_rate_pct": 3.45})),
    Route("GET", "/api/v1/financed-emissions", frozenset({"operator", "bank_a", "bank_b"}),
          _fixed("/api/v1/financed-emissions?year=2023")),
    Route("GET", "/api/v1/alerts", frozenset(ALL - {"regulator", "park"}), _fixed("/api/v1/alerts")),
    Route("GET", "/api/v1/alerts/digest", frozenset(ALL - {"regulator", "park"}), _fixed("/api/v1/alerts/digest")),
    # issue 17: the officer's credit view (bank A, or the operator naming it; bank B lacks A's consent) and a bank's
    # handling of the alerts it sees (its own credit work: banks only, with the enterprise's consent)
    Route("GET", "/api/v1/credit/{credit_code}", frozenset({"operator", "bank_a"}),
          _finance_route(f"/api/v1/credit/{A}", params={"on": "2024-03-01"})),
    Route("POST", "/api/v1/alerts/acknowledge", frozenset({"bank_a"}),
          _fixed("/api/v1/alerts/acknowledge", json={"credit_code": A, "year": 2023, "code": "sharp_drop",
                                                     "month": "2023-06"})),
    Route("POST", "/api/v1/alerts/assign", frozenset({"bank_a"}),
          _fixed("/api/v1/alerts/assign", json={"credit_code": A, "year": 2023, "code": "sharp_drop",
                                                "month": "2023-06", "assignee": "bank_a"})),
    Route("GET", "/api/v1/exports/accounts", frozenset(ALL - {"regulator", "park"}),
          _fixed("/api/v1/exports/accounts?year=2023&format=csv")),
    Route("GET", "/api/v1/batches", frozenset({"operator"}), _fixed("/api/v1/batches")),
    Route("GET", "/api/v1/batches/{batch_id}", frozenset({"operator"}), _fixed("/api/v1/batches/1")),
    Route("GET", "/api/v1/batches/{batch_id}/findings", frozenset({"operator"}), _fixed("/api/v1/batches/2/findings")),
    Route("POST", "/api/v1/batches", frozenset({"operator"}),
          _fixed("/api/v1/batches", files=[("files", ("enterprises.csv", ENTERPRISE_ROW.format(A=A).encode()))])),
    # the map (issue 17): programme aggregates for the operator and the regulator, a bank its consented portfolio
    Route("GET", "/api/v1/map", frozenset({"operator", "regulator", "bank_a", "bank_b"}),
          _fixed("/api/v1/map?year=2023")),
    Route("GET", "/api/v1/quarantine", frozenset({"operator"}), _fixed("/api/v1/quarantine")),
    Route("GET", "/api/v1/quarantine/csv", frozenset({"operator"}),
          _fixed("/api/v1/quarantine/csv?table=consumption_monthly")),
    Route("POST", "/api/v1/batches/preview", frozenset({"operator"}), _fixed(
        "/api/v1/batches/preview", files=[("files", ("enterprises.csv", ENTERPRISE_ROW.format(A=A).encode()))])),
    Route("GET", "/api/v1/batches/{batch_id}/files/{name}", frozenset({"operator"}), _refused_file),
    Route("POST", "/api/v1/compute/dry-run", frozenset({"operator"}), _fixed("/api/v1/compute/dry-run",
                                                                           json={"year": 2023})),
    Route("GET", "/api/v1/corrections", frozenset({"operator"}), _fixed("/api/v1/corrections")),
    Route("POST", "/api/v1/compute", frozenset({"operator"}), _fixed("/api/v1/compute", json={"year": 2023})),
    Route("GET", "/api/v1/users", frozenset({"operator"}), _fixed("/api/v1/users")),
    Route("POST", "/api/v1/users", frozenset({"operator"}),
          lambda _s, _w: ("/api/v1/users", {"json": {"username": _unique("user"), "password": "0123456789ab",
                                                     "role": "regulator", "org_id": "PBOC-QH"}})),
    Route("PATCH", "/api/v1/users/{user_id}", frozenset({"operator"}), _throwaway_user),
    Route("GET", "/api/v1/organisations", frozenset(ALL), _fixed("/api/v1/organisations")),
    Route("POST", "/api/v1/organisations", frozenset({"operator"}),
          lambda _s, _w: ("/api/v1/organisations", {"json": {"org_id": _unique("BANK-X"), "kind": "bank",
                                                             "name": "新银行"}})),
    Route("GET", "/api/v1/consents", frozenset(ALL - {"regulator"}), _fixed("/api/v1/consents")),
    Route("POST", "/api/v1/consents", frozenset({"operator", "ent_a"}),
          _fixed("/api/v1/consents", json={"credit_code": A, "bank_org_id": "BANK-B", "scope": "reports",
                                           "expires_on": str(dt.date.today() + dt.timedelta(days=30))})),
    Route("DELETE", "/api/v1/consents/{consent_id}", frozenset({"operator", "ent_a"}), _new_consent,
          hidden=frozenset({"ent_b"})),
    Route("GET", "/api/v1/statistics", frozenset({"operator", "regulator"}), _fixed("/api/v1/statistics?year=2023")),
    Route("GET", "/api/v1/loans", frozenset({"operator", "bank_a", "bank_b"}), _fixed("/api/v1/loans")),
    Route("POST", "/api/v1/loans", frozenset({"bank_a", "bank_b"}),
          lambda _s, _w: ("/api/v1/loans", {"json": {
              "loan_id": _unique("L-"), "credit_code": A, "principal_cny": 1e7, "outstanding_cny": 8e6,
              "as_of": "2023-12-31", "drawn_on": "2023-01-10", "maturity_on": "2026-01-10", "base_rate_pct": 3.45}})),
    Route("GET", "/api/v1/audit", frozenset({"operator", "regulator"}), _fixed("/api/v1/audit")),
    Route("GET", "/api/v1/audit/verify", frozenset({"operator", "regulator"}), _fixed("/api/v1/audit/verify")),
    Route("POST", "/api/v1/api-keys", frozenset(ALL), _fixed("/api/v1/api-keys", json={"label": "ci"})),
    Route("GET", "/api/v1/api-keys", frozenset(ALL), _fixed("/api/v1/api-keys")),
    Route("DELETE", "/api/v1/api-keys/{key_id}", frozenset(ALL), _own_key),
]
# anyone: logging in, checking a label's or a green-computing certificate's code, reading the data requirement table
PUBLIC = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/labels/{code}"), ("GET", "/api/v1/certificates/{code}"),
          ("GET", "/api/v1/reference/data-requirements"), ("GET", "/api/v1/reference/data_requirements.xlsx")}
OWN_SESSION = {("POST", "/api/v1/auth/logout")}  # tested in test_api.py (it ends the caller's token)



def test_matrix_covers_every_route(service: Service):
    spec = httpx.get(service.url + "/api/v1/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert documented == {(r.method, r.template) for r in ROUTES} | PUBLIC | OWN_SESSION


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.template}")
def test_every_role_against_every_route(service: Service, route: Route):
    for who in ROLES:
        path, kw = route.build(service, who)
        with service.client(who) as c:
            response = c.request(route.method, path, **kw)
        if who in route.allowed:
            assert response.status_code in (200, 201, 204), (who, response.status_code, response.text)
        elif who in route.hidden:
            assert response.status_code == 404, (who, response.status_code, response.text)
        else:
            assert response.status_code == 403, (who, response.status_code, response.text)
    path, kw = route.build(service, "operator")
    with service.client() as anonymous:
        assert anonymous.request(route.method, path, **kw).status_code == 401


def test_refusals_are_audited_and_the_chain_verifies(service: Service):
    with service.client("bank_b") as c:  # enterprise B granted bank B nothing
        assert c.get(f"/api/v1/accounts/{B}/2023").status_code == 403
    with service.client("operator") as c:
        denied = c.get("/api/v1/audit", params={"actor": "bank_b", "resource": f"account:{B}:2023"}).json()
        assert denied and denied[0]["outcome"] == "denied" and "no live consent" in denied[0]["why"]
        report = c.get("/api/v1/audit/verify").json()
        assert report["ok"] and report["entries"] > 10
