"""Issue 12, item 3: the store's secrets were world-readable (the token signing key and the label secret sat in
the ledger's ``meta`` table, in a 0644 SQLite file and its WAL). They now live in a 0600 secrets file outside
the ledger, every store file is 0600 and every store folder 0700, and stores made before are moved and
tightened when opened, keeping the tokens and label codes they issued valid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import open_store
from province import write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year
from dianta.accounts.labels import label_secret, verify_label
from dianta.errors import StoreError
from dianta.ingest.apply import ingest_batch
from dianta.ledger import schema
from dianta.ledger.backup import _sha256, backup, restore
from dianta.ledger.secrets import ENV, META_KEYS, read_secrets, store_secret
from dianta.ledger.store import Store
from dianta.security.principal import Principal
from dianta.security.tokens import issue_token, principal_from_token
from dianta.security.users import authenticate, create_organisation, create_user

PASSWORD = "correct horse battery"
SECRET_NAMES = ("token_secret", "label_secret")


@pytest.fixture(autouse=True)
def _umask_022() -> Iterator[None]:
    """The usual umask, under which files were 0644 and folders 0755 before the fix."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _backend(store: Store) -> str:
    return store.engine.dialect.name


def _reopen(store: Store) -> Store:
    """The same store opened again (by a later command)."""
    store.close()
    if _backend(store) == "sqlite":
        return Store(store.root)
    return Store(store.engine.url.render_as_string(hide_password=False), lake=store.lake)


def _user(store: Store) -> Principal:
    create_organisation(store, org_id="BANK-1", kind="bank", name="测试银行 Test Bank")
    create_user(store, username="officer", password=PASSWORD, role="bank", org_id="BANK-1")
    return authenticate(store, username="officer", password=PASSWORD)


def _secrets_made(store: Store) -> dict[str, str]:
    """Make the store's secrets through the code that uses them: a login token and the label secret."""
    issue_token(store, _user(store))
    label_secret(store)
    values = read_secrets(store.secrets_file)
    assert set(values) == set(SECRET_NAMES) and all(len(v) == 64 for v in values.values())
    return values


def _ledger_text(store: Store) -> str:
    """Every value of every ledger table, as text."""
    parts = []
    with store.engine.connect() as con:
        for name in sa.inspect(con).get_table_names():
            for row in con.execute(sa.text(f'SELECT * FROM "{name}"')):  # names from the catalogue
                parts.extend(str(v) for v in row)
    return "\n".join(parts)


def _ledger_files(store: Store) -> list[Path]:
    return [p for p in (store.root / f"ledger.sqlite{s}" for s in ("", "-wal", "-shm")) if p.exists()]


def _assert_nowhere_in_ledger(store: Store, values: dict[str, str]) -> None:
    text = _ledger_text(store)
    with store.engine.connect() as con:
        meta = {k: v for k, v in con.execute(sa.select(schema.meta.c.key, schema.meta.c.value))}
    assert not set(SECRET_NAMES) & set(meta)
    for value in values.values():
        assert value not in text
        for path in _ledger_files(store):  # the raw bytes, free pages and WAL frames included
            assert value.encode() not in path.read_bytes(), path.name


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _store_paths(store: Store) -> tuple[list[Path], list[Path]]:
    """The store's folders and the files it makes itself."""
    folders = [store.root, store.lake, store.staging, store.temp_dir()]
    files = [store.secrets_file, store.secrets_file.with_name("secrets.json.lock"), *_ledger_files(store)]
    return folders, files


# -- where the secrets are -----------------------------------------------------------------------------------


def test_no_secret_is_in_the_ledger(store: Store):
    values = _secrets_made(store)
    _assert_nowhere_in_ledger(store, values)
    expected = store.root / "secrets.json"  # the store folder, or a PostgreSQL store's lake root
    assert store.secrets_file == expected and json.loads(expected.read_text()) == values


def test_a_new_store_is_private(store: Store):
    _secrets_made(store)
    folders, files = _store_paths(store)
    if _backend(store) == "sqlite":
        assert {p.name for p in files} >= {"ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"}
    assert {p: _mode(p) for p in folders} == {p: 0o700 for p in folders}
    assert {p: _mode(p) for p in files} == {p: 0o600 for p in files}


def test_two_stores_have_different_secrets(store: Store, tmp_path: Path, request: pytest.FixtureRequest):
    other = open_store(_backend(store), tmp_path / "other", request)
    try:
        mine, theirs = _secrets_made(store), _secrets_made(other)
        assert store.secrets_file != other.secrets_file
        assert not set(mine.values()) & set(theirs.values())
        assert len(set(mine.values())) == 2
    finally:
        other.close()


# -- stores made before ------------------------------------------------------------------------------------


def _make_old(store: Store) -> dict[str, str]:
    """Turn ``store`` into one as Dianta kept it before issue 12: its secrets in ``meta`` (no secrets file)
    and its files and folders open to others (0644, 0755). Returns the secrets (those it had then: a secret
    made since, e.g. the lake's digest memory's, goes with the file and is made again when first used)."""
    values = {k: v for k, v in read_secrets(store.secrets_file).items() if k in META_KEYS}
    with store.engine.begin() as con:
        con.execute(schema.meta.insert(), [{"key": k, "value": v} for k, v in values.items()])
    folders, files = _store_paths(store)
    store.secrets_file.unlink()
    store.secrets_file.with_name("secrets.json.lock").unlink(missing_ok=True)
    for path in folders:
        path.chmod(0o755)
    for path in _ledger_files(store):
        path.chmod(0o644)
    return values


def _old_ones(store: Store) -> dict[str, str]:
    """The secrets file's values of the secrets a store kept in ``meta`` before issue 12."""
    return {k: v for k, v in read_secrets(store.secrets_file).items() if k in META_KEYS}


def test_an_old_store_is_moved_and_tightened_and_what_it_issued_stays_valid(store: Store, tmp_path: Path):
    for folder in (write_batch_2022(tmp_path / "2022"), write_batch_2023(tmp_path / "2023")):
        ingest_batch(store, folder)
    user = _user(store)
    token, _ = issue_token(store, user)
    codes = {r["credit_code"]: r["label"]["verification_code"] for r in compute_year(store, 2023).records
             if isinstance(r.get("label"), dict)}
    assert codes
    values = _make_old(store)
    assert values["token_secret"] in _ledger_text(store)  # the old store has them in meta

    store = _reopen(store)
    try:
        assert _old_ones(store) == values  # the same values, moved
        _assert_nowhere_in_ledger(store, values)
        folders, files = _store_paths(store)
        assert {p: _mode(p) for p in folders} == {p: 0o700 for p in folders}
        assert {p: _mode(p) for p in files if p.exists()} == {p: 0o600 for p in files if p.exists()}
        assert principal_from_token(store, token) == user
        # a recomputation under the moved label secret keeps every code, and the labels verify
        again = {r["credit_code"]: r["label"]["verification_code"] for r in compute_year(store, 2023).records
                 if isinstance(r.get("label"), dict)}
        assert again == codes
        assert {verify_label(store, c)["status"] for c in codes.values()} == {"valid"}
        store = _reopen(store)  # moving again finds nothing to move
        assert _old_ones(store) == values
        assert principal_from_token(store, token) == user
    finally:
        store.close()


def test_a_secrets_file_of_another_store_is_refused(store: Store, tmp_path: Path):
    _secrets_made(store)
    values = _make_old(store)
    store.secrets_file.write_text(json.dumps({k: "0" * 64 for k in values}))
    store.secrets_file.chmod(0o600)
    with pytest.raises(StoreError, match="differs from the one in the secrets file"):
        _reopen(store)


RACE = """
import sys, time
from pathlib import Path
from dianta.ledger.secrets import store_secret
from dianta.ledger.store import Store
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.005)
db, lake = sys.argv[2], sys.argv[3] or None
store = Store(db, lake=lake)
print(store_secret(store, "token_secret"), store_secret(store, "label_secret"))
store.close()
"""


def _race(store: Store, tmp_path: Path, n: int = 3) -> set[str]:
    """What ``n`` processes that open ``store`` and ask for its secrets at the same moment get."""
    db = str(store.root) if _backend(store) == "sqlite" else store.engine.url.render_as_string(hide_password=False)
    lake = "" if _backend(store) == "sqlite" else str(store.lake)
    go = tmp_path / f"go-{time.monotonic_ns()}"
    procs = [subprocess.Popen([sys.executable, "-c", RACE, str(go), db, lake], stdout=subprocess.PIPE, text=True)
             for _ in range(n)]
    time.sleep(1.5)  # let them import Dianta and wait at the start line
    go.touch()
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0] * n
    return set(outs)


def test_processes_that_race_agree_on_one_secret(store: Store, tmp_path: Path):
    store.close()
    made = _race(store, tmp_path)  # a new store: the secrets are made by whichever process comes first
    assert len(made) == 1
    values = read_secrets(store.secrets_file)
    assert made == {f"{values['token_secret']} {values['label_secret']}\n"}
    store = _reopen(store)
    _make_old(store)
    store.close()
    assert _race(store, tmp_path) == made  # an old store opened by several at once: moved once, same values
    store = _reopen(store)
    try:
        _assert_nowhere_in_ledger(store, values)
    finally:
        store.close()


# -- a secrets file named by the operator ----------------------------------------------------------------


def test_a_secrets_file_others_can_read_is_refused(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    given = tmp_path / "etc" / "dianta-secrets.json"
    given.parent.mkdir()
    given.write_text(json.dumps({"token_secret": "a" * 64}))  # 0644 under the usual umask
    monkeypatch.setenv(ENV, str(given))
    for mode in (0o644, 0o640, 0o604):
        given.chmod(mode)
        with pytest.raises(StoreError, match=r"can be read by other users.*chmod 600"):
            _reopen(store)
    given.chmod(0o600)
    store = _reopen(store)
    try:
        assert store.secrets_file == given
        assert store_secret(store, "token_secret") == "a" * 64  # the operator's value is the one used
        token, _ = issue_token(store, _user(store))
        assert principal_from_token(store, token).actor == "officer"
        assert read_secrets(given) == {"token_secret": "a" * 64}
        made = label_secret(store)
        assert read_secrets(given)["label_secret"] == made  # made in the operator's file
        assert _mode(given) == 0o600 and not (store.root / "secrets.json").exists()
        _assert_nowhere_in_ledger(store, read_secrets(given))
    finally:
        store.close()
    given.unlink()
    given.mkdir()
    with pytest.raises(StoreError, match="which is not a file"):
        _reopen(store)


# -- backup and restore ------------------------------------------------------------------------------------


def test_backup_and_restore_keep_a_token_valid(store: Store, tmp_path: Path, request: pytest.FixtureRequest):
    values = _secrets_made(store)
    token, _ = issue_token(store, authenticate(store, username="officer", password=PASSWORD))
    manifest = backup(store, tmp_path / "backup")
    carried = tmp_path / "backup" / "secrets.json"
    assert _mode(carried) == 0o600 and read_secrets(carried) == values and "secrets.json" in manifest["files"]
    assert not any("secret" in rel for rel in manifest["files"] if rel != "secrets.json")
    for target in ("sqlite", "postgresql"):
        fresh = open_store(target, tmp_path / f"restored-{target}", request)
        try:
            restore(tmp_path / "backup", fresh)
            assert read_secrets(fresh.secrets_file) == values and _mode(fresh.secrets_file) == 0o600
            assert principal_from_token(fresh, token).actor == "officer"
            _assert_nowhere_in_ledger(fresh, values)
        finally:
            fresh.close()


def _as_version_1(folder: Path) -> None:
    """Rewrite a backup as Dianta wrote it before issue 12: the secrets as rows of ``meta``."""
    manifest = json.loads((folder / "manifest.json").read_text())
    values = read_secrets(folder / "secrets.json")
    (folder / "secrets.json").unlink()
    del manifest["files"]["secrets.json"]
    meta = folder / "ledger" / "meta.parquet"
    rows = pq.read_table(meta).to_pylist() + [{"key": k, "value": v} for k, v in values.items()]
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(meta)), meta)
    manifest["files"]["ledger/meta.parquet"] = _sha256(meta)
    manifest["rows"]["meta"] = len(rows)
    manifest["format"] = "dianta-backup/1"
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_backup_made_before_restores_its_secrets_into_the_file(store: Store, tmp_path: Path,
                                                                 request: pytest.FixtureRequest):
    values = _secrets_made(store)
    token, _ = issue_token(store, authenticate(store, username="officer", password=PASSWORD))
    backup(store, tmp_path / "backup")
    _as_version_1(tmp_path / "backup")
    fresh = open_store(_backend(store), tmp_path / "restored", request)
    try:
        store_secret(fresh, "token_secret")  # the new store made its own before the restore: replaced
        restored = restore(tmp_path / "backup", fresh)
        assert restored["meta"] == json.loads((tmp_path / "backup" / "manifest.json").read_text())["rows"]["meta"]
        assert read_secrets(fresh.secrets_file) == values
        assert principal_from_token(fresh, token).actor == "officer"
        _assert_nowhere_in_ledger(fresh, values)
    finally:
        fresh.close()
