"""Backup and restore: a snapshot of ledger and lake, restored into a fresh store (either backend), gives
the same exports, the same audit chain and the same accounts when computed again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import open_store, write_table
from province import A, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, read_accounts
from dianta.accounts.export import render
from dianta.errors import Conflict, StoreError, UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.backup import backup, restore
from dianta.ledger.store import Store
from dianta.security import audit, users
from dianta.security.principal import local_operator


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_restore_into_a_fresh_store_gives_the_same_exports(store: Store, tmp_path: Path, target: str,
                                                            request: pytest.FixtureRequest):
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    write_table(tmp_path / "fix", "consumption_monthly", ["meter_id", "month", "kwh"], [(f"M{A[-3:]}", "2023-06",
                                                                                          90_000)])
    ingest_batch(store, tmp_path / "fix", reason="June re-read")  # a correction: history and a superseded file
    compute_year(store, 2023)
    users.bootstrap_admin(store, username="admin", password="a long enough secret")
    audit.record(store, principal=local_operator("t"), action="account.read", resource=f"account:{A}:2023")
    manifest = backup(store, tmp_path / "backup")
    assert manifest["rows"]["batches"] == 3 and manifest["rows"]["audit_log"] >= 1
    assert (tmp_path / "backup").stat().st_mode & 0o077 == 0

    fresh = open_store(target, tmp_path / "restored", request)
    restored = restore(tmp_path / "backup", fresh)
    assert restored == {k: v for k, v in manifest["rows"].items() if k in restored}
    assert render(read_accounts(fresh, 2023), "json") == render(read_accounts(store, 2023), "json")
    assert audit.verify_chain(fresh).ok
    assert users.authenticate(fresh, username="admin", password="a long enough secret").role == "operator"
    # the restored lake answers a new computation with the same accounts, and new rows get new ids
    again = compute_year(fresh, 2023)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "run_id"} for r in rs]  # noqa: E731
    assert strip(again.records) == strip(read_accounts(store, 2023))
    assert again.run_id == manifest["rows"]["runs"] + 1
    with pytest.raises(Conflict, match="already holds data"):
        restore(tmp_path / "backup", fresh)
    fresh.close()


def test_a_damaged_backup_is_refused_before_anything_is_restored(tmp_path: Path):
    store = Store(tmp_path / "store")
    ingest_batch(store, write_batch_2022(tmp_path / "2022"))
    backup(store, tmp_path / "backup")
    with pytest.raises(UsageError, match="not empty"):
        backup(store, tmp_path / "backup")
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    victim = next(f for f in manifest["files"] if f.startswith("ledger/batches"))
    (tmp_path / "backup" / victim).write_bytes(b"not parquet")
    fresh = Store(tmp_path / "fresh")
    with pytest.raises(StoreError, match=f"{victim} is missing or changed"):
        restore(tmp_path / "backup", fresh)
    assert read_accounts(fresh, 2022) == []
    with pytest.raises(UsageError, match="not a Dianta backup"):
        restore(tmp_path, fresh)
    fresh.close()
    store.close()
