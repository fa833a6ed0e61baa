"""Issue 14: every command prints a message, never a traceback, for store errors; `demo --enterprises N` works
or refuses clearly; the demo's and the audit log's errors are Dianta errors the command line shows.

Every command that opens a store is run through the real command line (``python -m dianta`` in a subprocess)
against a PostgreSQL server that cannot be reached, and (in-process, through Typer's runner, as
test_security_cli.py does) against a store folder that cannot be made. The table of commands is checked
against the command tree, so a new command that opens the store must be added here.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import _free_port
from typer.testing import CliRunner

from dianta.cli import app
from dianta.errors import DiantaError, UsageError

CODE = "91630000MA7A0EXQ1X"
#: every command that opens the store, with arguments that get it as far as opening the store
STORE_COMMANDS: dict[str, list[str]] = {
    "ingest": ["ingest", "{tmp}/batch"],
    "compute": ["compute", "--year", "2023"],
    "status": ["status"],
    "history": ["history", "--table", "consumption_monthly"],
    "export accounts": ["export", "accounts", "--year", "2023"],
    "export parks": ["export", "parks", "--year", "2023"],
    "quarantine list": ["quarantine", "list"],
    "quarantine export": ["quarantine", "export", "1", "{tmp}/quarantined"],
    "backup": ["backup", "{tmp}/backup"],
    "restore": ["restore", "{tmp}/backup"],
    "serve": ["serve", "--port", "1"],
    "lake verify": ["lake", "verify"],
    "report": ["report", CODE, "--year", "2023", "--format", "html"],
    "label": ["label", CODE, "--year", "2023"],
    "verify-label": ["verify-label", "ABCD-EFGH"],
    "green-computing": ["green-computing", CODE, "--year", "2023"],
    "verify-certificate": ["verify-certificate", "ABCD-EFGH"],
    "portfolio": ["portfolio", "--year", "2023", "--format", "html"],
    "quote": ["quote", CODE, "--bank", "BANK-QH-001", "--base-rate", "4"],
    "loan price": ["loan", "price", "L-1"],
    "interest-saved": ["interest-saved"],
    "programme totals": ["programme", "totals"],
    "financed-emissions": ["financed-emissions", "--year", "2023"],
    "what-if": ["what-if", CODE, "--year", "2023"],
    "alerts digest": ["alerts", "digest"],
    "policy add": ["policy", "add", "--bank", "BANK-QH-001", "--file", "{tmp}/policy.toml"],
    "policy list": ["policy", "list", "--bank", "BANK-QH-001"],
    "admin bootstrap": ["admin", "bootstrap", "--username", "admin"],
    "admin org-add": ["admin", "org-add", "BANK-QH-001", "--kind", "bank", "--name", "甲银行"],
    "admin org-list": ["admin", "org-list"],
    "admin user-add": ["admin", "user-add", "li.wei", "--role", "bank", "--org", "BANK-QH-001"],
    "admin user-list": ["admin", "user-list"],
    "admin user-deactivate": ["admin", "user-deactivate", "li.wei"],
    "admin user-activate": ["admin", "user-activate", "li.wei"],
    "admin apikey-create": ["admin", "apikey-create", "li.wei", "--label", "loans"],
    "admin apikey-revoke": ["admin", "apikey-revoke", "0123456789ab"],
    "admin consent-grant": ["admin", "consent-grant", "--credit-code", CODE, "--bank", "BANK-QH-001",
                            "--scope", "summary", "--expires-on", "2099-12-31"],
    "admin consent-revoke": ["admin", "consent-revoke", "1"],
    "admin consent-list": ["admin", "consent-list"],
    "audit verify": ["audit", "verify"],
    "audit checkpoint": ["audit", "checkpoint"],
    "audit list": ["audit", "list"],
}
#: the commands that open no store
NO_STORE = {"demo", "data-requirements", "policy example", "factors"}
#: passwords for the commands that would prompt for one
ENV = {"DIANTA_ADMIN_PASSWORD": "a long enough secret", "DIANTA_NEW_PASSWORD": "a long enough secret",
       "COLUMNS": "200"}


def _leaf_commands(group: Any, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        names |= _leaf_commands(command, path + " ") if hasattr(command, "commands") else {path}
    return names


def _args(name: str, tmp: Path) -> list[str]:
    return [a.format(tmp=tmp) for a in STORE_COMMANDS[name]]


def _inputs(tmp: Path) -> None:
    """The files some commands read before they open the store."""
    (tmp / "batch").mkdir(exist_ok=True)
    (tmp / "policy.toml").write_text('name = "x"\n', encoding="utf-8")


def test_the_table_names_every_command():
    assert _leaf_commands(typer.main.get_command(app)) == set(STORE_COMMANDS) | NO_STORE


def _dianta(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dianta", *args], capture_output=True, text=True,
                          env={**os.environ, **ENV}, timeout=timeout, stdin=subprocess.DEVNULL)


def _assert_told(proc: subprocess.CompletedProcess[str] | Any, code: int, phrases: list[str]) -> None:
    """Exit status ``code``, no traceback, each phrase on standard error (a process, or Typer's runner result)."""
    output = proc.stdout + proc.stderr
    assert (proc.returncode if isinstance(proc, subprocess.CompletedProcess) else proc.exit_code) == code, output
    assert "Traceback" not in output, output
    for phrase in phrases:
        assert phrase in proc.stderr, f"{phrase!r} not in:\n{proc.stderr}"


UNREACHABLE = ["failed: cannot open the ledger of 127.0.0.1:", "cannot be reached", "run the command again",
               "无法连接账本的 PostgreSQL 服务器", "然后重新运行该命令"]


@pytest.mark.parametrize("name", ["status", "history", "quarantine list"])
def test_unreachable_postgresql(name: str, tmp_path: Path):
    """Before issue 14 these printed the message too (issue 13's root runner), but never closed the store."""
    url = f"postgresql://dianta:s3cret-pw@127.0.0.1:{_free_port()}/ledger"
    proc = _dianta("--db", url, "--lake", str(tmp_path / "lake"), *_args(name, tmp_path))
    _assert_told(proc, 3, UNREACHABLE)
    assert "s3cret-pw" not in proc.stdout + proc.stderr


def test_every_store_command_on_an_unreachable_postgresql(tmp_path: Path):
    _inputs(tmp_path)
    url = f"postgresql://dianta@127.0.0.1:{_free_port()}/ledger"
    with ThreadPoolExecutor(max_workers=3) as pool:
        procs = dict(zip(STORE_COMMANDS, pool.map(
            lambda name: _dianta("--db", url, "--lake", str(tmp_path / "lake"), *_args(name, tmp_path)),
            STORE_COMMANDS), strict=True))
    for name, proc in procs.items():
        try:
            _assert_told(proc, 3, UNREACHABLE)
        except AssertionError as exc:
            raise AssertionError(f"dianta {name}: {exc}") from None


def test_every_store_command_on_a_store_folder_that_cannot_be_made(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    """``--db`` is created when new; under a file it cannot be: refused (exit 1), in English and Chinese."""
    _inputs(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    for name in STORE_COMMANDS:
        result = runner.invoke(app, ["--db", str(tmp_path / "a-file" / "store"), *_args(name, tmp_path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
        _assert_told(result, 1, [f"refused: cannot make the folder {tmp_path / 'a-file' / 'store'}",
                                 "无法创建文件夹"])
    result = runner.invoke(app, ["--db", str(tmp_path / "a-file"), "status"])
    _assert_told(result, 1, ["is a file; give a folder", "是一个文件；请给出文件夹"])


# -- the demo ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [19, 5, 1, 0, -3])
def test_demo_too_small_is_refused_before_any_work(n: int, tmp_path: Path):
    """Before issue 14: a ValueError traceback (exit 1), after the demo folder had been emptied."""
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / ".dianta-demo").write_text("an earlier demo\n")
    (folder / "logins.txt").write_text("kept\n")
    proc = _dianta("demo", "--dir", str(folder), "--enterprises", str(n))
    _assert_told(proc, 2, [f"refused: --enterprises {n}: the demo needs at least 20 enterprises",
                           "示例至少需要 20 家企业"])
    assert (folder / "logins.txt").read_text() == "kept\n"  # nothing was touched


def test_demo_with_the_smallest_province(tmp_path: Path):
    """20 enterprises, the smallest province in which every deliberate pattern has enterprises of its own."""
    folder = tmp_path / "demo"
    proc = _dianta("demo", "--dir", str(folder), "--enterprises", "20", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "accounts per grade" in proc.stdout and "dashboard logins" in proc.stdout
    records = json.loads((folder / "exports" / "accounts-2024.json").read_text(encoding="utf-8"))
    # 15–20 of the province's enterprises, and the park's energy company and two data centres (issue 16)
    assert 18 <= len(records) <= 23 and all(r["year"] == 2024 for r in records)


def test_demo_generator_errors_are_usage_errors(tmp_path: Path):
    from dianta.demo.generate import build_demo_province, write_interval_benchmark

    for call in (lambda: build_demo_province(tmp_path, n_enterprises=5),
                 lambda: build_demo_province(tmp_path, years=(2022, 2024)),
                 lambda: build_demo_province(tmp_path, interval_share=1.5),
                 lambda: write_interval_benchmark(tmp_path, n_enterprises=0, year=2024)):
        with pytest.raises(UsageError) as caught:
            call()
        assert isinstance(caught.value, ValueError) and caught.value.message_zh  # still a ValueError, bilingual


# -- the audit log -------------------------------------------------------------------------------------------

@pytest.fixture
def audited_store(tmp_path: Path) -> Path:
    db = tmp_path / "store"
    proc = _dianta("--db", str(db), "admin", "org-add", "BANK-QH-001", "--kind", "bank", "--name", "甲银行")
    assert proc.returncode == 0, proc.stderr
    return db


def test_audit_verify_with_a_malformed_head(audited_store: Path):
    proc = _dianta("--db", str(audited_store), "audit", "verify", "--expect-head", "garbage")
    _assert_told(proc, 2, ["refused: --expect-head must be N:HASH", "--expect-head 必须是 N:HASH 形式"])


def test_audit_checkpoint_edge_cases(audited_store: Path, tmp_path: Path):
    db = str(audited_store)
    empty = tmp_path / "no-checkpoints"
    empty.mkdir()
    _assert_told(_dianta("--db", db, "audit", "verify", "--checkpoint", str(empty)), 2,
                 ["the folder holds no checkpoint files", "该文件夹中没有检查点文件"])
    not_one = tmp_path / "notes.json"
    not_one.write_text('{"kind": "something else"}')
    _assert_told(_dianta("--db", db, "audit", "verify", "--checkpoint", str(not_one)), 2,
                 ["is not an audit checkpoint", "不是审计检查点"])
    _assert_told(_dianta("--db", db, "audit", "verify", "--checkpoint", str(tmp_path / "missing.json")), 2,
                 ["cannot read checkpoint", "无法读取检查点"])
    _assert_told(_dianta("--db", db, "audit", "checkpoint", "--out", str(tmp_path / "none" / "cp.json")), 2,
                 ["cannot write the checkpoint to", "无法将检查点写入"])
    good = tmp_path / "cp.json"
    assert _dianta("--db", db, "audit", "checkpoint", "--out", str(good)).returncode == 0
    changed = json.loads(good.read_text())
    changed["entries"] += 1
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(changed))
    _assert_told(_dianta("--db", db, "audit", "verify", "--checkpoint", str(forged)), 1,
                 ["was changed after it was written", "自写出后已被改动"])
    con = sqlite3.connect(audited_store / "ledger.sqlite")
    con.execute("UPDATE audit_log SET actor = 'someone else' WHERE entry_id = 1")
    con.commit()
    con.close()
    _assert_told(_dianta("--db", db, "audit", "checkpoint"), 1,
                 ["refused: the audit log does not verify (entry 1", "审计日志未通过校验（第 1 条"])


def test_audit_record_and_list_refuse_bad_arguments_as_usage_errors(tmp_path: Path):
    from dianta.ledger.store import Store
    from dianta.security.audit import list_entries, record
    from dianta.security.principal import local_operator

    store = Store(tmp_path / "store")
    try:
        for call in (lambda: record(store, principal=local_operator("x"), action="a", resource="r",
                                    outcome="maybe"),
                     lambda: list_entries(store, limit=-1)):
            with pytest.raises(UsageError) as caught:
                call()
            assert isinstance(caught.value, DiantaError) and caught.value.message_zh
    finally:
        store.close()
