"""Issue 12, item 8: the audit log. Reads of consents, batch findings, quarantine and corrections write an
entry naming what they returned; truncating the log and rewriting its head (or wiping both) no longer
verifies as intact: `dianta audit verify --expect-head N:HASH` and `--checkpoint` (a signed checkpoint the
operator keeps elsewhere) find it, and so does the ledger's high-water mark of entry ids (PostgreSQL's entry
sequence; SQLite's AUTOINCREMENT counter, migration 0008)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import MONTHLY, open_store, write_table
from province import A, write_batch_2022
from service import Service

from dianta.errors import StoreError, UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ingest.quarantine import list_quarantine
from dianta.ledger import schema
from dianta.ledger.secrets import put_secrets, read_secrets
from dianta.ledger.store import Store
from dianta.security.audit import (
    CHECKPOINT_SECRET_KEY,
    META_HEAD_KEY,
    canonical_json,
    list_entries,
    make_checkpoint,
    parse_head,
    read_checkpoint,
    record,
    verify_chain,
)
from dianta.security.principal import Principal

BANK = Principal(actor="li.wei", role="bank", org_id="BANK-QH-001", user_id=2)
log, meta = schema.audit_log, schema.meta


def _fill(store: Store, n: int) -> None:
    for i in range(n):
        record(store, principal=BANK, action="account.read", resource=f"account:{i}:2023", detail={"n": i})


def _cut(store: Store, keep: int, *, rewrite_head: bool = True) -> None:
    """The outside attack: delete every entry after ``keep`` and (``rewrite_head``) record entry ``keep`` as
    the newest in ``meta``, or remove that record when nothing is kept."""
    with store.engine.begin() as con:
        con.execute(log.delete().where(log.c.entry_id > keep))
        if not rewrite_head:
            return
        if keep == 0:
            con.execute(meta.delete().where(meta.c.key == META_HEAD_KEY))
            return
        digest = con.execute(sa.select(log.c.hash).where(log.c.entry_id == keep)).scalar_one()
        con.execute(meta.update().where(meta.c.key == META_HEAD_KEY).values(value=f"{keep} {digest}"))


def _checkpoint_head(store: Store):  # noqa: ANN202 - an ExpectedHead
    return read_checkpoint(store, json.dumps(make_checkpoint(store)), source="cp.json")


# -- truncation and wiping -------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [9, 6, 0], ids=["last entry", "last 4 entries", "wiped"])
def test_cut_log_with_rewritten_head_fails_against_a_recorded_head(store: Store, keep: int):
    _fill(store, 10)
    recorded = verify_chain(store)
    assert recorded.ok and recorded.head_entry == 10 and recorded.head == f"10:{recorded.head_hash}"
    assert recorded.head_hash == list_entries(store, limit=1)[0]["hash"]
    checkpoint = _checkpoint_head(store)
    _cut(store, keep, rewrite_head=False)
    assert not verify_chain(store).ok  # the head kept in meta finds a cut that leaves it alone
    _cut(store, keep)  # the attacker rewrites that head too
    in_ledger = verify_chain(store)
    # the ledger alone: PostgreSQL's entry sequence, SQLite's AUTOINCREMENT counter (migration 0008) still say 10
    assert not in_ledger.ok and in_ledger.first_bad_entry == keep + 1, in_ledger
    assert ("was wiped" if keep == 0 else f"entries {keep + 1} to 10 are missing") in (in_ledger.problem or "")
    for expected in (parse_head(recorded.head), checkpoint):
        report = verify_chain(store, expect=[expected])
        assert not report.ok and report.first_bad_entry == keep + 1 and report.entries == keep, report
        assert f"it held 10 entries according to {expected.source}: entries {keep + 1} to 10 were removed" in (
            report.problem or "")
        assert ("the log is empty" if keep == 0 else f"the log ends at entry {keep}") in (report.problem or "")


def test_a_sqlite_store_of_before_0008_gets_its_high_water_mark(tmp_path: Path):
    """Migration 0008 rebuilds a SQLite log with AUTOINCREMENT and sets the counter to its newest entry: a cut
    made after the upgrade is found from the ledger alone."""
    from alembic import command

    from dianta.ledger import migrate

    store = Store(tmp_path / "store")
    _fill(store, 5)
    with store.engine.begin() as con:
        command.downgrade(migrate._config(con), "0007")
        assert con.execute(sa.text("SELECT count(*) FROM sqlite_sequence WHERE name = 'audit_log'")).scalar() == 0
    store.close()
    store = Store(tmp_path / "store")  # opening upgrades it
    with store.engine.connect() as con:
        assert con.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")).scalar() == 5
    assert verify_chain(store).ok and verify_chain(store).head_entry == 5
    _cut(store, 3)
    report = verify_chain(store)
    assert not report.ok and "entries 4 to 5 are missing" in (report.problem or ""), report


def test_rewritten_log_fails_at_the_entry_recorded(store: Store):
    """Entries 6 to 10 deleted and five others appended in their place: a chain of the same length that
    verifies in the ledger, but entry 10 is not the one recorded."""
    _fill(store, 3)
    early = parse_head(verify_chain(store).head)
    _fill(store, 7)
    late = _checkpoint_head(store)
    _cut(store, 5)
    _fill(store, 5)
    assert verify_chain(store).ok and verify_chain(store, expect=[early]).ok  # entries 1 to 3 are the same
    report = verify_chain(store, expect=[early, late])
    assert not report.ok and report.first_bad_entry == 10 and report.entries == 10, report
    assert "entry 10 is not the entry checkpoint cp.json" in (report.problem or "")
    assert "rewritten at or before entry 10" in (report.problem or "")


def test_entry_rolled_back_with_its_change_is_no_false_alarm(store: Store):
    _fill(store, 3)
    with pytest.raises(RuntimeError), store.engine.begin() as con:
        record(store, principal=BANK, action="consent.grant", resource="consent:x", connection=con)
        raise RuntimeError("the change failed")
    assert verify_chain(store).ok and verify_chain(store).entries == 3
    with store.engine.begin() as con:
        record(store, principal=BANK, action="consent.grant", resource="consent:y", connection=con)
    _fill(store, 1)
    report = verify_chain(store, expect=[parse_head(f"3:{list_entries(store, offset=2, limit=1)[0]['hash']}")])
    assert report.ok and report.head_entry == 5, report


def test_expected_head_syntax():
    good = parse_head(f" 12:{'ab' * 32} ")
    assert (good.entries, good.hash) == (12, "ab" * 32)
    for bad in ("12", f"x:{'a' * 64}", "12:abc", f"12:{'A' * 64}", f"-1:{'a' * 64}", ""):
        with pytest.raises(UsageError, match="must be N:HASH"):
            parse_head(bad)


# -- checkpoints -------------------------------------------------------------------------------------------


def test_checkpoint_is_signed_by_the_store(store: Store, request: pytest.FixtureRequest, tmp_path: Path):
    _fill(store, 4)
    cp = make_checkpoint(store)
    assert set(cp) == {"kind", "version", "store", "entries", "head_hash", "at", "signature"}
    assert (cp["kind"], cp["entries"], cp["head_hash"]) == ("dianta-audit-checkpoint", 4, verify_chain(store).head_hash)
    secret = read_secrets(store.secrets_file)[CHECKPOINT_SECRET_KEY]  # outside the ledger
    with store.engine.connect() as con:
        assert secret not in json.dumps([list(r) for r in con.execute(sa.select(meta))])
    body = canonical_json({k: v for k, v in cp.items() if k != "signature"})
    assert cp["signature"] == hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    assert secret not in json.dumps(cp)
    assert read_checkpoint(store, json.dumps(cp), source="cp.json").entries == 4

    for field, value in (("entries", 3), ("head_hash", "0" * 64), ("at", "2099-01-01T00:00:00+00:00"),
                         ("signature", "f" * 64)):
        with pytest.raises(StoreError, match="changed after it was written"):
            read_checkpoint(store, json.dumps({**cp, field: value}), source="cp.json")
    for text in ("not json", "[]", json.dumps({**cp, "kind": "other"}), json.dumps({**cp, "extra": 1})):
        with pytest.raises(UsageError, match="is not an audit checkpoint"):
            read_checkpoint(store, text, source="cp.json")

    other = open_store(store.engine.dialect.name, tmp_path / "other", request)
    try:
        with pytest.raises(StoreError, match="not of this store"):
            read_checkpoint(other, json.dumps(cp), source="cp.json")
    finally:
        other.close()
    put_secrets(store, {CHECKPOINT_SECRET_KEY: "ab" * 32})  # the secrets file replaced
    with pytest.raises(StoreError, match="secret was replaced"):
        read_checkpoint(store, json.dumps(cp), source="cp.json")


def test_no_checkpoint_of_a_broken_log(store: Store):
    _fill(store, 3)
    with store.engine.begin() as con:
        con.execute(log.update().where(log.c.entry_id == 2).values(why="nothing to see"))
    with pytest.raises(StoreError, match="does not verify"):
        make_checkpoint(store)


# -- the CLI -------------------------------------------------------------------------------------------------


def _cli(store: Store, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """``dianta --db … ARGS`` in its own process on ``store``, as the operator's OS user anna."""
    if store.engine.dialect.name == "sqlite":
        target = ["--db", str(store.root)]
    else:
        url = store.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")
        target = ["--db", url, "--lake", str(store.lake)]
    result = subprocess.run([sys.executable, "-m", "dianta", *target, *args], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "DIANTA_USER": "anna", "COLUMNS": "200"})
    assert result.returncode == code, result.stdout + result.stderr
    return result


def test_cli_verify_against_heads_and_checkpoints(store: Store, tmp_path: Path):
    _fill(store, 6)
    head = re.search(r"head (6:[0-9a-f]{64})$", _cli(store, "audit", "verify").stdout.strip())
    assert head is not None
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    written = _cli(store, "audit", "checkpoint", "--out", str(folder))
    (cp_file,) = folder.glob("audit-checkpoint-*-6.json")
    assert f"wrote {cp_file}: 6 entries, head {head[1]}" in written.stderr
    assert json.loads(_cli(store, "audit", "checkpoint").stdout)["entries"] == 6  # to standard output
    _fill(store, 2)  # the log grows after the checkpoint: still intact
    out = _cli(store, "audit", "verify", "--checkpoint", str(folder), "--expect-head", head[1]).stdout
    assert out.startswith("audit chain intact: 8 entries; head 8:") and "holds the 2 head(s)" in out

    _cut(store, 4)
    for given in (["--checkpoint", str(folder)], ["--checkpoint", str(cp_file)], ["--expect-head", head[1]]):
        out = _cli(store, "audit", "verify", *given, code=1).stdout
        assert "audit chain broken at entry 5" in out and "entries 5 to 6 were removed" in out, out
    _cut(store, 0)
    out = _cli(store, "audit", "verify", "--checkpoint", str(folder), code=1).stdout
    assert "the log is empty, but it held 6 entries according to checkpoint" in out

    cp_file.write_text(json.dumps({**json.loads(cp_file.read_text()), "entries": 0}))
    refused = _cli(store, "audit", "verify", "--checkpoint", str(folder), code=1)
    assert "refused: checkpoint" in refused.stderr and "changed after it was written" in refused.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no checkpoint files" in _cli(store, "audit", "verify", "--checkpoint", str(empty), code=2).stderr
    assert "must be N:HASH" in _cli(store, "audit", "verify", "--expect-head", "6", code=2).stderr


def test_cli_reads_of_quarantine_and_corrections_are_audited(store: Store, tmp_path: Path):
    ingest_batch(store, write_batch_2022(tmp_path / "2022"))
    write_table(tmp_path / "fix", "consumption_monthly", MONTHLY,
                [(f"M{A[-3:]}", "2022-06", 45_000), ("M999", "2022-13", -1)])
    batch_id = ingest_batch(store, tmp_path / "fix", partial=True, reason="re-read meter").batch_id
    quarantined = [e.quarantine_id for e in list_quarantine(store, batch_id=batch_id)]
    assert quarantined
    _cli(store, "quarantine", "list", "--batch", str(batch_id))
    assert "2022-06" in _cli(store, "history", "--table", "consumption_monthly").stdout
    _cli(store, "quarantine", "export", str(batch_id), str(tmp_path / "out"))
    history, listed, exported = (list_entries(store, action=a, limit=1)[0]
                                 for a in ("corrections.read", "batch.read", "quarantine.export"))
    assert {e["actor"] for e in (history, listed, exported)} == {"cli:anna"}
    assert listed["resource"] == f"quarantine:{batch_id}" and listed["detail"]["quarantine_ids"] == quarantined
    assert history["resource"] == "corrections:consumption_monthly"
    assert history["detail"]["batch_ids"] == [batch_id] and len(history["detail"]["row_keys"]) == 1
    assert exported["detail"] == {"rows": {"consumption_monthly": 1}}
    assert verify_chain(store).ok


# -- the API ---------------------------------------------------------------------------------------------


def _service_store(service: Service) -> Store:
    return Store(service.db, lake=service.lake)


def _newest(store: Store, actor: str, action: str, resource: str) -> dict[str, object]:
    (entry,) = list_entries(store, actor=actor, action=action, resource_prefix=resource, limit=1)
    assert entry["resource"] == resource and entry["outcome"] == "allowed", entry
    return entry["detail"]


def test_api_reads_leave_an_entry_naming_what_they_returned(service: Service):
    csv = f"meter_id,month,kwh\nM{A[-3:]},2023-06,45000\nM999,2023-13,-1\n".encode()
    with service.client("operator") as op:
        upload = op.post("/api/v1/batches", files=[("files", ("consumption_monthly.csv", csv))],
                         data={"partial": "true", "reason": "re-read meter"})
        assert upload.status_code == 201, upload.text
        batch_id = upload.json()["batch_id"]
        findings = op.get(f"/api/v1/batches/{batch_id}/findings").json()
        quarantined = op.get("/api/v1/quarantine", params={"batch_id": batch_id}).json()
        corrections = op.get("/api/v1/corrections", params={"table": "consumption_monthly"}).json()
        batches = op.get("/api/v1/batches").json()["items"]
        assert op.get(f"/api/v1/batches/{batch_id}").status_code == 200
    with service.client("ent_a") as ent:
        granted = ent.get("/api/v1/consents").json()
    with service.client("bank_a") as bank:
        to_bank = bank.get("/api/v1/consents", params={"credit_code": A}).json()
    assert findings and quarantined and corrections and granted and to_bank
    store = _service_store(service)
    try:
        assert _newest(store, "operator", "batch.read", f"batch:{batch_id}:findings") == {"findings": len(findings)}
        assert _newest(store, "operator", "batch.read", f"quarantine:{batch_id}") == {
            "quarantine_ids": [q["quarantine_id"] for q in quarantined], "rows": sum(q["n_rows"] for q in quarantined)}
        assert _newest(store, "operator", "corrections.read", "corrections:consumption_monthly") == {
            "key": None, "row_keys": [c["row_key"] for c in corrections],
            "batch_ids": sorted({c["batch_id"] for c in corrections})}
        assert _newest(store, "operator", "batch.read", "batches") == {"batch_ids": [b["batch_id"] for b in batches]}
        assert _newest(store, "operator", "batch.read", f"batch:{batch_id}") == {}
        assert _newest(store, "ent_a", "consent.read", f"consents:{A}") == {
            "consent_ids": [c["consent_id"] for c in granted], "credit_codes": [A], "live_only": False}
        assert _newest(store, "bank_a", "consent.read", f"consents:{A}") == {
            "consent_ids": [c["consent_id"] for c in to_bank], "credit_codes": [A], "live_only": False}
        assert verify_chain(store).ok
    finally:
        store.close()


def test_api_verify_checks_an_expected_head(service: Service):
    with service.client("regulator") as reg:
        first = reg.get("/api/v1/audit/verify").json()
        assert first["ok"] and first["head_entry"] == first["entries"] > 0, first
        head = f"{first['head_entry']}:{first['head_hash']}"
        assert reg.get("/api/v1/audit/verify", params={"expect_head": head}).json()["ok"]
        malformed = reg.get("/api/v1/audit/verify", params={"expect_head": "12:xyz"})
        assert malformed.status_code == 400 and "must be N:HASH" in malformed.json()["detail"]
    with service.client("operator") as op:  # two more entries after the recorded head
        op.get("/api/v1/consents")
        op.get("/api/v1/batches")
    store = _service_store(service)
    n = first["head_entry"]
    with store.engine.connect() as con:
        removed = [dict(r) for r in con.execute(sa.select(log).where(log.c.entry_id >= n)).mappings()]
        old_head = con.execute(sa.select(meta.c.value).where(meta.c.key == META_HEAD_KEY)).scalar_one()
    assert len(removed) == 3
    try:
        _cut(store, n - 1)
        with service.client("regulator") as reg:
            plain = reg.get("/api/v1/audit/verify").json()
            checked = reg.get("/api/v1/audit/verify", params={"expect_head": head}).json()
        assert not plain["ok"], plain  # the ledger's high-water mark finds it alone, on both backends
        assert not checked["ok"] and checked["first_bad_entry"] == n and checked["head_entry"] == n - 1, checked
        assert f"entries {n} to {n} were removed" in checked["problem"]
    finally:
        with store.engine.begin() as con:  # put the log back for the module's other tests
            con.execute(log.insert(), removed)
            con.execute(meta.update().where(meta.c.key == META_HEAD_KEY).values(value=old_head))
        store.close()
    with service.client("regulator") as reg:
        assert reg.get("/api/v1/audit/verify", params={"expect_head": head}).json()["ok"]
