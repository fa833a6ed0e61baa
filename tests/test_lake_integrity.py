"""Issue 13, silent lake corruption: "one bit in a kWh value gave a reading of 22,337 kWh instead of 1,396 and a
peak 14× too high, with exit 0 and no warning".

Every lake file's size and SHA-256 are recorded when it is published and checked before it is read
(dianta.ledger.integrity): a changed, truncated or deleted file is refused with the file named, nothing is
published from it, `dianta lake verify` finds each, a backup of a damaged lake is refused and a restore keeps
the digests equal. On both ledger backends (the `store` fixture), through the real CLI where the issue speaks of
exit codes.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import READINGS, count_hashes, open_store, write_table
from province import H, write_batch_2022, write_batch_2023

from dianta.accounts.compute import compute_year, read_accounts
from dianta.errors import LakeCorrupt
from dianta.ingest.apply import ingest_batch
from dianta.ingest.quarantine import export_quarantine, list_quarantine
from dianta.ledger import integrity, lake, schema
from dianta.ledger.backup import backup, restore
from dianta.ledger.store import Store

METER_H = f"M{H[-3:]}"


# -- helpers ------------------------------------------------------------------------------------------------
def cli(store: Store, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI on ``store`` (its folder, or its PostgreSQL URL and lake)."""
    url = store.engine.url
    target = (["--db", str(store.root)] if url.get_backend_name() == "sqlite"
              else ["--db", url.render_as_string(hide_password=False), "--lake", str(store.lake)])
    return subprocess.run([sys.executable, "-m", "dianta", *target, *args], capture_output=True, text=True,
                          env={**os.environ, "DIANTA_USER": "lake-test"}, timeout=600)


def published(store: Store, tmp_path: Path) -> None:
    """The hand-computed province's two batches, and its 2023 accounts computed."""
    ingest_batch(store, write_batch_2022(tmp_path / "2022"))
    ingest_batch(store, write_batch_2023(tmp_path / "2023"))
    compute_year(store, 2023)


def lake_file(store: Store, table: str, month: str = "2023-01") -> str:
    """The current lake file of ``table`` holding ``month``, relative to the lake."""
    (path,) = store.active_files(table, [month], verify=False)
    return path.relative_to(store.lake).as_posix()


def flip_kwh_bit(path: Path, row: int = 100) -> tuple[float, float]:
    """Flip one bit of one reading's kWh (bit 55 of the float64), keeping the file a readable Parquet file:
    the (old, new) value."""
    table = pq.read_table(path)
    kwh = table.column("kwh").to_pylist()
    old = kwh[row]
    bits = struct.unpack("<Q", struct.pack("<d", old))[0] ^ (1 << 55)
    kwh[row] = struct.unpack("<d", struct.pack("<Q", bits))[0]
    pq.write_table(table.set_column(table.schema.get_field_index("kwh"), "kwh", pa.array(kwh, pa.float64())), path)
    return old, kwh[row]


def flip_bit_in_place(path: Path) -> None:
    """Flip the lowest bit of the byte in the middle of ``path``: same size, another content."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


def runs(store: Store) -> int:
    with store.engine.connect() as con:
        return con.execute(sa.select(sa.func.count()).select_from(schema.runs)).scalar_one()


def records(store: Store) -> dict[str, tuple[int | None, str | None]]:
    """Every lake file the ledger refers to -> its recorded (size, SHA-256)."""
    with store.engine.connect() as con:
        return {f.rel: (f.size_bytes, f.sha256) for f in integrity.referenced(con)}


def correct_first_reading(folder: Path, kwh: float = 11.0) -> Path:
    """A batch correcting H's first reading of 2023 (its lake file is rewritten, its old value kept)."""
    write_table(folder, "interval_readings", READINGS, [(METER_H, "2023-01-01T00:00:00", kwh)])
    return folder


# -- compute ------------------------------------------------------------------------------------------------
def test_a_flipped_bit_in_a_kwh_value_is_refused_with_the_file_named_and_nothing_published(
        store: Store, tmp_path: Path):
    published(store, tmp_path)
    before, n_runs = read_accounts(store, 2023), runs(store)
    rel = lake_file(store, "interval_readings")
    shutil.copy2(store.lake / rel, tmp_path / "good.parquet")
    old, new = flip_kwh_bit(store.lake / rel)
    # the damage is silent to a reader: the file reads, with one reading 256 times too high
    assert (old, new) == (10.0, 2560.0)
    assert pq.read_table(store.lake / rel).column("kwh").to_pylist().count(2560.0) == 1

    with pytest.raises(LakeCorrupt, match="Nothing was read from the lake") as refused:
        compute_year(store, 2023)
    assert refused.value.paths == [rel]
    assert f"{rel} has" in str(refused.value) and "bytes where" in str(refused.value)
    assert read_accounts(store, 2023) == before and runs(store) == n_runs

    result = cli(store, "compute", "--year", "2023")  # the issue: "exit 0 and no warning"
    assert result.returncode == 1, result.stdout + result.stderr
    assert rel in result.stderr and "dianta lake verify" in result.stderr and "Traceback" not in result.stderr
    assert read_accounts(store, 2023) == before and runs(store) == n_runs
    checked = cli(store, "lake", "verify")
    assert checked.returncode == 1 and rel in checked.stdout, checked.stdout + checked.stderr

    shutil.copy2(tmp_path / "good.parquet", store.lake / rel)  # restored from a backup: usable again
    assert cli(store, "lake", "verify").returncode == 0
    assert [r["grade"] for r in compute_year(store, 2023).records] == [r["grade"] for r in before]


def test_a_same_size_change_is_found_by_the_digest(store: Store, tmp_path: Path):
    published(store, tmp_path)
    rel = lake_file(store, "green_trade_profiles")
    size = (store.lake / rel).stat().st_size
    flip_bit_in_place(store.lake / rel)
    assert (store.lake / rel).stat().st_size == size
    with pytest.raises(LakeCorrupt, match="has changed since it was published") as refused:
        compute_year(store, 2023)
    assert refused.value.paths == [rel]
    checked = cli(store, "lake", "verify")
    assert checked.returncode == 1
    assert f"{rel} has changed since it was published" in checked.stdout, checked.stdout


def test_the_spark_engine_is_refused_the_damaged_file_too(store: Store, tmp_path: Path, spark_engine_name: str):
    published(store, tmp_path)
    rel = lake_file(store, "interval_readings")
    flip_kwh_bit(store.lake / rel)
    with pytest.raises(LakeCorrupt) as refused:
        compute_year(store, 2023, engine=spark_engine_name)
    assert refused.value.paths == [rel]


def test_a_truncated_and_a_deleted_file_are_each_named(store: Store, tmp_path: Path):
    published(store, tmp_path)
    readings, profiles = lake_file(store, "interval_readings"), lake_file(store, "green_trade_profiles")
    data = (store.lake / readings).read_bytes()
    (store.lake / readings).write_bytes(data[: len(data) // 2])
    (store.lake / profiles).unlink()
    checked = cli(store, "lake", "verify")  # finds each
    assert checked.returncode == 1
    assert f"{readings} has {len(data) // 2:,} bytes" in checked.stdout and f"{profiles} is missing" in checked.stdout
    assert "2 of 3 lake files" in checked.stderr  # the readings, their hourly roll-up (issue 18), the profiles

    with pytest.raises(LakeCorrupt) as refused:
        compute_year(store, 2023)
    assert f"{readings} has {len(data) // 2:,} bytes where {len(data):,} were published" in str(refused.value)
    result = cli(store, "compute", "--year", "2023")
    assert result.returncode == 1 and readings in result.stderr, result.stderr
    (store.lake / readings).write_bytes(data)  # put back: the missing file is next
    result = cli(store, "compute", "--year", "2023")
    assert result.returncode == 1 and f"{profiles} is missing" in result.stderr, result.stderr


def test_each_file_is_hashed_once_per_process_until_it_changes(store: Store, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    published(store, tmp_path)
    hashed = count_hashes(monkeypatch)
    compute_year(store, 2023)  # the files were hashed by the first compute of this process
    assert hashed == []
    rel = lake_file(store, "interval_readings")
    shutil.copy2(store.lake / rel, tmp_path / "good.parquet")
    flip_bit_in_place(store.lake / rel)
    with pytest.raises(LakeCorrupt):
        compute_year(store, 2023)
    assert hashed == [store.lake / rel]
    shutil.copy2(tmp_path / "good.parquet", store.lake / rel)  # the same times as before, but a new change time
    compute_year(store, 2023)
    assert hashed == [store.lake / rel] * 2
    # verify reads every file again: the readings, their hourly roll-up (issue 18), the profiles
    assert integrity.verify_store(store).ok and len(hashed) == 5


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process has seen: nothing (its per-process digests are empty)."""
    monkeypatch.setattr(integrity, "_seen", {})


def test_a_new_process_trusts_the_stores_memory_of_digests_it_can_verify(store: Store, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    """Issue 18: a compute in a new process does not hash again the files its ingest just wrote and hashed (the
    store's signed memory, integrity.DigestMemory); a file changed since is hashed and refused; an entry signed
    with another secret, or older than MEMORY_HOURS, is not trusted; `lake verify` hashes every file."""
    ingest_batch(store, write_batch_2022(tmp_path / "2022"))
    ingest_batch(store, write_batch_2023(tmp_path / "2023"))
    _new_process(monkeypatch)
    hashed = count_hashes(monkeypatch)
    compute_year(store, 2023)
    assert hashed == []  # every file read was remembered when its batch published it
    memory = lake.digest_memory(store)
    assert memory is not None and memory.path.stat().st_mode & 0o077 == 0  # the store's, private
    rel = lake_file(store, "green_trade_profiles")
    key = integrity.stat_key(store.lake / rel)
    sha = records(store)[rel][1]
    assert memory.recall(rel, key) == sha
    # signed with another secret: not trusted, so hashed (and found as recorded)
    forged = integrity.DigestMemory(memory.path, "0" * 64)
    forged.remember([(rel, key, sha)])
    assert memory.recall(rel, key) is None
    _new_process(monkeypatch)
    compute_year(store, 2023)
    assert hashed == [store.lake / rel]
    # an entry older than the hours trusted: hashed again
    monkeypatch.setattr(integrity.time, "time", lambda: 10_000.0)
    memory.remember([(rel, key, sha)])
    monkeypatch.undo()
    assert memory.recall(rel, key) is None
    # a file changed after it was remembered: its change time moved, so it is hashed and refused
    hashed = count_hashes(monkeypatch)
    readings = lake_file(store, "interval_readings")
    flip_bit_in_place(store.lake / readings)
    _new_process(monkeypatch)
    with pytest.raises(LakeCorrupt, match="has changed since it was published") as refused:
        compute_year(store, 2023)
    assert refused.value.paths == [readings] and store.lake / readings in hashed
    assert not integrity.verify_store(store).ok


# -- batches: corrections, quarantine -----------------------------------------------------------------------
def test_a_correction_records_the_digest_of_every_file_it_writes(store: Store, tmp_path: Path):
    published(store, tmp_path)
    old = lake_file(store, "interval_readings")
    ingest_batch(store, correct_first_reading(tmp_path / "fix"), reason="re-read")
    new = lake_file(store, "interval_readings")
    recorded = records(store)
    history = [rel for rel in recorded if rel.startswith("_history/interval_readings/")]
    assert new != old and len(history) == 1 and {old, new} <= set(recorded)
    for rel, (size, sha256) in recorded.items():  # the rewritten file, the superseded one, the old values
        assert integrity.file_digest(store.lake / rel) == integrity.Digest(size, sha256), rel
    assert recorded[new] != recorded[old]
    assert integrity.verify_store(store).ok
    assert compute_year(store, 2023).records


def test_a_correction_of_a_damaged_file_is_refused_and_changes_nothing(store: Store, tmp_path: Path):
    published(store, tmp_path)
    rel = lake_file(store, "interval_readings")
    flip_kwh_bit(store.lake / rel)
    with store.engine.connect() as con:
        before = con.execute(sa.select(schema.lake_files)).all(), con.execute(sa.select(schema.batches)).all()
    with pytest.raises(LakeCorrupt) as refused:
        ingest_batch(store, correct_first_reading(tmp_path / "fix"))
    assert refused.value.paths == [rel]
    with store.engine.connect() as con:
        assert (con.execute(sa.select(schema.lake_files)).all(), con.execute(sa.select(schema.batches)).all()) == before
    result = cli(store, "ingest", str(correct_first_reading(tmp_path / "fix-cli")))
    assert result.returncode == 1 and rel in result.stderr, result.stdout + result.stderr


def test_lake_verify_finds_damaged_quarantine_and_history_files(store: Store, tmp_path: Path):
    published(store, tmp_path)
    ingest_batch(store, correct_first_reading(tmp_path / "fix"))  # the old value goes to a history file
    write_table(tmp_path / "partial", "interval_readings", READINGS,
                [(METER_H, "2023-02-01T00:00:00", 10.0), ("M-NOBODY", "2023-02-01T00:00:00", 5.0)])
    result = ingest_batch(store, tmp_path / "partial", partial=True)  # the unknown meter's row is quarantined
    assert result.status == "partial"
    quarantined = next(rel for rel in records(store) if rel.startswith("_quarantine/"))
    history = next(rel for rel in records(store) if rel.startswith("_history/"))
    assert cli(store, "lake", "verify").returncode == 0
    flip_bit_in_place(store.lake / quarantined)
    (store.lake / history).unlink()

    checked = cli(store, "lake", "verify")
    assert checked.returncode == 1
    assert f"{quarantined} has changed" in checked.stdout and f"{history} is missing" in checked.stdout
    # the quarantine export reads the damaged file: refused, nothing written, the rows stay open
    with pytest.raises(LakeCorrupt) as refused:
        export_quarantine(store, result.batch_id, tmp_path / "out")
    assert refused.value.paths == [quarantined]
    assert not (tmp_path / "out").exists()
    assert [e.state for e in list_quarantine(store, batch_id=result.batch_id)] == ["open"]


def test_files_published_before_digests_are_refused_until_recorded(store: Store, tmp_path: Path):
    published(store, tmp_path)
    ingest_batch(store, correct_first_reading(tmp_path / "fix"))
    want = records(store)
    with store.engine.begin() as con:  # a store of an earlier Dianta (migration 0009 leaves its rows null)
        con.execute(schema.lake_files.update().values(size_bytes=None, sha256=None))
        h = schema.history
        for history_id, old in con.execute(sa.select(h.c.history_id, h.c.old_json).where(h.c.row_key.like("lake:%"))
                                           ).all():
            meta = {k: v for k, v in json.loads(old).items() if k not in ("size_bytes", "sha256")}
            con.execute(h.update().where(h.c.history_id == history_id).values(old_json=json.dumps(meta)))
    rel = lake_file(store, "interval_readings")
    with pytest.raises(LakeCorrupt, match="dianta lake verify --record") as refused:
        compute_year(store, 2023)
    assert rel in refused.value.paths and f"{rel} has no digest recorded" in str(refused.value)
    checked = cli(store, "lake", "verify")
    assert checked.returncode == 1 and f"{rel} has no digest recorded" in checked.stdout
    assert "dianta lake verify --record" in checked.stderr

    recorded = cli(store, "lake", "verify", "--record")
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert f"recorded the digests of {len(want)} lake file(s)" in recorded.stdout
    assert records(store) == want
    assert compute_year(store, 2023).records


# -- backup and restore -------------------------------------------------------------------------------------
def test_a_backup_of_a_damaged_lake_is_refused(store: Store, tmp_path: Path):
    published(store, tmp_path)
    rel = lake_file(store, "interval_readings")
    flip_bit_in_place(store.lake / rel)
    with pytest.raises(LakeCorrupt, match="No backup was made") as refused:
        backup(store, tmp_path / "backup")
    assert refused.value.paths == [rel]
    assert not (tmp_path / "backup").exists()  # nothing is left that could be taken for a backup
    result = cli(store, "backup", str(tmp_path / "backup-cli"))
    assert result.returncode == 1 and rel in result.stderr, result.stdout + result.stderr
    assert not (tmp_path / "backup-cli").exists()


def test_a_restore_keeps_the_digests_equal(store: Store, tmp_path: Path, request: pytest.FixtureRequest):
    published(store, tmp_path)
    ingest_batch(store, correct_first_reading(tmp_path / "fix"))
    want = records(store)
    manifest = backup(store, tmp_path / "backup")
    assert {rel: manifest["files"][f"lake/{rel}"] for rel in want} == {rel: sha for rel, (_, sha) in want.items()}
    assert manifest["lake_unrecorded"] == []

    backend = "sqlite" if store.engine.url.get_backend_name() == "sqlite" else "postgresql"
    fresh = open_store(backend, tmp_path / "restored", request)
    restore(tmp_path / "backup", fresh)
    assert records(fresh) == want
    assert integrity.verify_store(fresh).ok
    assert compute_year(fresh, 2023).records
    fresh.close()


def test_a_restore_fills_missing_digests_from_the_manifest_and_refuses_conflicting_ones(
        store: Store, tmp_path: Path, request: pytest.FixtureRequest):
    published(store, tmp_path)
    want = records(store)
    backup(store, tmp_path / "backup")
    backend = "sqlite" if store.engine.url.get_backend_name() == "sqlite" else "postgresql"
    rel = lake_file(store, "interval_readings")

    def rewrite_backup(folder: Path, sha256: str | None) -> None:
        """The backup's lake_files rows with ``sha256`` (None: as a backup of a store before digests), its
        manifest made to match (as a backup of that store would have it)."""
        path = folder / "ledger" / "lake_files.parquet"
        rows = pq.read_table(path).to_pylist()
        for r in rows:
            r["sha256"] = sha256 if r["path"] == rel or sha256 is None else r["sha256"]
            r["size_bytes"] = None if sha256 is None else r["size_bytes"]
        pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(path)), path)
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["files"]["ledger/lake_files.parquet"] = integrity.file_digest(path).sha256
        (folder / "manifest.json").write_text(json.dumps(manifest))

    old = tmp_path / "old-backup"
    shutil.copytree(tmp_path / "backup", old)
    rewrite_backup(old, None)
    fresh = open_store(backend, tmp_path / "from-old", request)
    restore(old, fresh)
    assert records(fresh) == want  # the manifest's digests, which are the files'
    assert integrity.verify_store(fresh).ok
    fresh.close()

    conflicting = tmp_path / "conflicting-backup"
    shutil.copytree(tmp_path / "backup", conflicting)
    rewrite_backup(conflicting, "0" * 64)
    fresh = open_store(backend, tmp_path / "from-conflicting", request)
    with pytest.raises(LakeCorrupt, match="Nothing was restored") as refused:
        restore(conflicting, fresh)
    assert refused.value.paths == [rel]
    assert records(fresh) == {} and read_accounts(fresh, 2023) == []
    fresh.close()
