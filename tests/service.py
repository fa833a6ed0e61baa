"""A real Dianta service for the API tests: a store with the hand-computed province, tenants and users,
served by `dianta serve` in its own process on localhost."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import BACKENDS, _free_port, open_store, write_table
from province import A, B, C, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.ingest.apply import ingest_batch
from dianta.security import consents, users

PASSWORD = "correct horse battery"
ROLES = ("operator", "bank_a", "bank_b", "ent_a", "ent_b", "regulator", "park")
#: the province's park (A and B are members) and the organisation of its management (user `park`)
PARK, PARK_ORG = "PK-T", "PARK-T"


def write_parks(folder: Path) -> Path:
    """Park PK-T with members A and B for all time, park PK-U with member C; A is a data centre too (its
    green-computing certificate)."""
    write_table(folder, "parks", ["park_id", "name", "region_code", "target_year"],
                [(PARK, "测试园区", "630100", "2030"), ("PK-U", "另一园区", "630100", "")])
    write_table(folder, "park_members", ["park_id", "credit_code", "valid_from", "valid_to"],
                [(PARK, A, "", ""), (PARK, B, "", ""), ("PK-U", C, "", "")])
    write_table(folder, "data_centres", ["credit_code", "site_name"], [(A, "测试数据中心")])
    return folder


@dataclass
class Service:
    url: str
    db: str
    lake: str | None
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    def client(self, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def start_service(backend: str, root: Path, request, serve_args: tuple[str, ...] = ()  # noqa: ANN001 - pytest request
                  ) -> Service:
    """A store with the province, tenants and users, served by `dianta serve --port P *serve_args`."""
    store = open_store(backend, root, request)
    ingest_batch(store, write_batch_2022(root / "2022"))
    ingest_batch(store, write_batch_2023(root / "2023"))
    ingest_batch(store, write_parks(root / "parks"))
    compute_year(store, 2023)
    users.bootstrap_admin(store, username="operator", password=PASSWORD)
    for org_id, kind, name, code in (("BANK-A", "bank", "甲银行", None), ("BANK-B", "bank", "乙银行", None),
                                     ("PBOC-QH", "regulator", "人民银行青海省分行", None),
                                     ("ENT-A", "enterprise", "测试企业0", A), ("ENT-B", "enterprise", "测试企业1", B)):
        users.create_organisation(store, org_id=org_id, kind=kind, name=name, credit_code=code)
    users.create_organisation(store, org_id=PARK_ORG, kind="park", name="测试园区管委会", park_id=PARK)
    ids = {"operator": users.list_users(store, org_id="operator")[0]["user_id"]}
    for name, role, org in (("bank_a", "bank", "BANK-A"), ("bank_b", "bank", "BANK-B"),
                            ("ent_a", "enterprise", "ENT-A"), ("ent_b", "enterprise", "ENT-B"),
                            ("regulator", "regulator", "PBOC-QH"), ("park", "park", PARK_ORG)):
        ids[name] = users.create_user(store, username=name, password=PASSWORD, role=role, org_id=org)["user_id"]
    consents.grant_consent(store, credit_code=A, bank_org_id="BANK-A", scope="summary",
                           expires_on=(dt.date.today() + dt.timedelta(days=365)).isoformat(), granted_by="ent_a")
    db = str(store.root) if backend == "sqlite" else str(store.engine.url.render_as_string(hide_password=False))
    db = db.replace("postgresql+psycopg://", "postgresql://")
    lake = None if backend == "sqlite" else str(store.lake)
    store.close()
    port = _free_port()
    args = [sys.executable, "-m", "dianta", "--db", db]
    if lake:
        args += ["--lake", lake]
    process = subprocess.Popen([*args, "serve", "--port", str(port), *serve_args], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env={**os.environ, "DIANTA_USER": "server"})
    service = Service(f"http://127.0.0.1:{port}", db, lake, user_ids=ids, process=process)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(service.url + "/api/v1/openapi.json", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            out = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"dianta serve did not start: {out}")
        time.sleep(0.2)
    for who in ROLES:
        response = httpx.post(service.url + "/api/v1/auth/token", data={"username": who, "password": PASSWORD})
        response.raise_for_status()
        service.tokens[who] = response.json()["access_token"]
    return service


def stop_service(service: Service) -> None:
    if service.process is not None:
        service.process.terminate()
        try:
            service.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()
        if service.process.stdout:
            service.process.stdout.close()


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service of one test module, on each backend in turn."""
    s = start_service(request.param, tmp_path_factory.mktemp("api"), request)
    yield s
    stop_service(s)
