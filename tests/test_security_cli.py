"""`dianta admin …` and `dianta audit …` (the issue: "an admin bootstrap command"; "`dianta audit verify`
checks the chain"), through the real command line (`dianta --db … --lake …`) on the test's store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import credit_code, write_table
from typer.testing import CliRunner

from dianta.cli import app
from dianta.clock import today_cst
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.security.apikeys import principal_from_api_key
from dianta.security.audit import list_entries, verify_chain
from dianta.security.consents import live_scopes
from dianta.security.users import authenticate, find_user

A = credit_code(21)
PASSWORD = "correct horse battery"


@pytest.fixture
def cli(store: Store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DIANTA_USER", "anna")
    monkeypatch.delenv("DIANTA_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("DIANTA_NEW_PASSWORD", raising=False)
    runner = CliRunner()
    where = ["--db", store.engine.url.render_as_string(hide_password=False) if store.engine.dialect.name ==
             "postgresql" else str(store.root), "--lake", str(store.lake)]

    def run(group: str, *args: str, code: int = 0, stdin: str | None = None):
        result = runner.invoke(app, [*where, group, *args], input=stdin)
        assert result.exit_code == code, result.output
        return result

    return run


def test_bootstrap_from_prompt(cli, store: Store):
    out = cli("admin", "bootstrap", "--username", "admin", stdin="short\nshort\n", code=2)
    assert "at least 10 characters" in out.stderr
    out = cli("admin", "bootstrap", "--username", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert "operator user admin created" in out.stdout and PASSWORD not in out.output
    assert authenticate(store, username="admin", password=PASSWORD).role == "operator"
    out = cli("admin", "bootstrap", "--username", "admin2", code=1)  # refused before asking for a password
    assert "refused: an operator user exists already" in out.stderr and "Password" not in out.output
    (entry,) = list_entries(store)
    assert (entry["actor"], entry["role"], entry["action"], entry["resource"]) == ("cli:anna", "operator",
                                                                                   "user.bootstrap", "user:1")
    assert "password_hash" not in entry["detail"]


def test_park_organisation_from_the_command_line(cli, store: Store, tmp_path: Path):
    """A park organisation (issue 16) names a park the ledger defines; its users act for that park; enterprises grant
    it consent as to a bank."""
    out = cli("admin", "org-add", "PARK-1", "--kind", "park", "--name", "格尔木园区管委会", "--park-id", "QH-GEM-ZCP",
              code=1)
    assert "define the park first" in out.stderr
    write_table(tmp_path / "b", "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(A, "青海甲铝业有限公司", "C3216", "632801")])
    write_table(tmp_path / "b", "parks", ["park_id", "name", "region_code"],
                [("QH-GEM-ZCP", "格尔木零碳产业园", "632801")])
    ingest_batch(store, tmp_path / "b", user="test")
    assert "--park-id" in cli("admin", "org-add", "PARK-1", "--kind", "park", "--name", "园区", code=2).stderr
    cli("admin", "org-add", "PARK-1", "--kind", "park", "--name", "格尔木园区管委会", "--park-id", "QH-GEM-ZCP")
    assert "QH-GEM-ZCP" in cli("admin", "org-list", "--kind", "park").stdout
    cli("admin", "user-add", "park", "--role", "park", "--org", "PARK-1", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert authenticate(store, username="park", password=PASSWORD).park_id == "QH-GEM-ZCP"
    cli("admin", "consent-grant", "--credit-code", A, "--bank", "PARK-1", "--scope", "summary", "--expires-on",
        (today_cst() + dt.timedelta(days=9)).isoformat())
    assert live_scopes(store, credit_code=A, bank_org_id="PARK-1") == {"summary"}


def test_bootstrap_password_from_env(cli, store: Store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DIANTA_ADMIN_PASSWORD", PASSWORD)
    cli("admin", "bootstrap", "--username", "admin")
    assert authenticate(store, username="admin", password=PASSWORD).org_id == "operator"


def test_admin_flow_is_audited(cli, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write_table(tmp_path / "b", "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(A, "青海甲铝业有限公司", "C3216", "632801")])
    ingest_batch(store, tmp_path / "b", user="test")
    cli("admin", "org-add", "BANK-QH-001", "--kind", "bank", "--name", "甲银行")
    out = cli("admin", "org-add", "ENT-1", "--kind", "enterprise", "--name", "甲", code=2)
    assert "credit code" in out.stderr
    cli("admin", "org-add", "ENT-1", "--kind", "enterprise", "--name", "甲", "--credit-code", A)
    assert "BANK-QH-001" in cli("admin", "org-list").stdout
    cli("admin", "user-add", "li.wei", "--role", "bank", "--org", "BANK-QH-001", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    monkeypatch.setenv("DIANTA_NEW_PASSWORD", PASSWORD)
    cli("admin", "user-add", "ent_staff", "--role", "enterprise", "--org", "ENT-1")
    cli("admin", "user-add", "bank-robot", "--role", "bank", "--org", "BANK-QH-001", "--machine")
    assert authenticate(store, username="ent_staff", password=PASSWORD).credit_code == A
    cli("admin", "user-add", "li.wei", "--role", "bank", "--org", "BANK-QH-001", code=1)  # taken
    assert "bank-robot" in cli("admin", "user-list", "--org", "BANK-QH-001").stdout

    out = cli("admin", "apikey-create", "bank-robot", "--label", "loan system")
    key = out.stdout.strip()
    assert principal_from_api_key(store, key).org_id == "BANK-QH-001"
    key_id = key.split("_")[1]
    cli("admin", "apikey-revoke", key_id)
    cli("admin", "apikey-revoke", key_id, code=1)

    expires = (today_cst() + dt.timedelta(days=90)).isoformat()
    out = cli("admin", "consent-grant", "--credit-code", A, "--bank", "BANK-QH-001", "--scope", "full",
              "--expires-on", expires, "--reason", "signed form QH-2025-0042")
    assert live_scopes(store, credit_code=A, bank_org_id="BANK-QH-001") == {"full"}
    cli("admin", "consent-grant", "--credit-code", A, "--bank", "BANK-QH-001", "--scope", "all",
        "--expires-on", expires, code=2)
    assert "yes" in cli("admin", "consent-list", "--live").stdout
    cli("admin", "consent-revoke", "1", "--reason", "withdrawn by letter")
    assert live_scopes(store, credit_code=A, bank_org_id="BANK-QH-001") == set()
    cli("admin", "consent-revoke", "1", code=1)
    cli("admin", "user-deactivate", "ent_staff")
    assert find_user(store, username="ent_staff")["active"] is False

    entries = list_entries(store)
    assert [e["action"] for e in reversed(entries)] == [
        "organisation.create", "organisation.create", "user.create", "user.create", "user.create", "apikey.create",
        "apikey.revoke", "consent.grant", "consent.read", "consent.revoke", "user.deactivate"]
    assert {e["actor"] for e in entries} == {"cli:anna"}
    grant = next(e for e in entries if e["action"] == "consent.grant")
    assert grant["why"] == "signed form QH-2025-0042" and grant["detail"]["granted_by"] == "cli:anna"
    assert key.split("_", 2)[2] not in json.dumps(entries)  # the secret is never logged
    out = cli("audit", "verify")
    assert out.stdout.startswith("audit chain intact: 11 entries")
    lines = cli("audit", "list", "--action", "consent.revoke", "--json").stdout.splitlines()
    assert [json.loads(line)["why"] for line in lines] == ["withdrawn by letter"]
    assert "consent.grant" in cli("audit", "list").stdout


def test_audit_verify_reports_tampering(cli, store: Store, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DIANTA_ADMIN_PASSWORD", PASSWORD)
    cli("admin", "bootstrap", "--username", "admin")
    for org in ("BANK-1", "BANK-2", "BANK-3"):
        cli("admin", "org-add", org, "--kind", "bank", "--name", org)
    assert verify_chain(store).entries == 4
    with store.engine.begin() as con:
        con.execute(schema.audit_log.update().where(schema.audit_log.c.entry_id == 3).values(actor="someone else"))
    out = cli("audit", "verify", code=1)
    assert "audit chain broken at entry 3" in out.stdout and "changed after it was written" in out.stdout


def test_unopenable_store_is_a_clean_error(tmp_path: Path):
    (tmp_path / "a-file").write_text("not a folder")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "a-file" / "store"), "audit", "verify"])
    assert result.exit_code == 1 and "refused: cannot make the folder" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
