"""The audit log (the issue: "append-only, every read of enterprise data and every change, who/when/what/why;
each entry carries the hash of the previous one so tampering is detectable, and `dianta audit verify` checks
the chain")."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.security.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainReport,
    entry_hash,
    list_entries,
    record,
    verify_chain,
)
from dianta.security.principal import Principal

BANK = Principal(actor="li.wei", role="bank", org_id="BANK-QH-001", user_id=2)
OPS = Principal(actor="cli:anna", role="operator", org_id="operator")
log = schema.audit_log


def _fill(store: Store, n: int) -> None:
    for i in range(n):
        if i % 3 == 0:
            record(store, principal=BANK, action="account.read", resource=f"account:91630000000000{i:04d}:2023",
                   why="loan review 贷前审查", detail={"profile": "default", "n": i})
        elif i % 3 == 1:
            record(store, principal=OPS, action="consent.grant", resource=f"consent:{i}", detail={"scope": "full"})
        else:
            record(store, principal=BANK, action="account.read", resource="account:x:2023", outcome="denied",
                   why="no live consent")


def _sql(store: Store, statement: sa.Executable) -> None:
    with store.engine.begin() as con:
        con.execute(statement)


def test_first_entry_by_hand(store: Store):
    entry_id = record(store, principal=BANK, action="account.read", resource="account:A:2023", why="贷前审查",
                      detail={"b": 1, "a": [1, 2]})
    assert entry_id == 1
    (row,) = list_entries(store)
    assert row["detail_json"] == '{"a":[1,2],"b":1}' and row["detail"] == {"a": [1, 2], "b": 1}
    assert row["prev_hash"] == "0" * 64 and row["org_id"] == "BANK-QH-001" and row["outcome"] == "allowed"
    at = datetime.fromisoformat(row["at"])
    assert at.utcoffset().total_seconds() == 0 and len(row["at"].split(".")[1]) == len("123456+00:00")
    body = json.dumps({"action": "account.read", "actor": "li.wei", "at": row["at"], "detail_json": row["detail_json"],
                       "entry_id": 1, "org_id": "BANK-QH-001", "outcome": "allowed", "resource": "account:A:2023",
                       "role": "bank", "why": "贷前审查"}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert row["hash"] == hashlib.sha256(("0" * 64 + "\n" + body).encode()).hexdigest()
    second = record(store, principal=OPS, action="user.create", resource="user:3")
    assert list_entries(store, limit=1)[0]["prev_hash"] == row["hash"] and second == 2


def test_chain_verifies_after_many_entries(store: Store):
    assert verify_chain(store) == ChainReport(True, 0, None, None, None)
    _fill(store, 150)
    report = verify_chain(store)
    assert report.ok and report.entries == 150 and report.first_bad_entry is None and report.problem is None
    assert report.head_hash == list_entries(store, limit=1)[0]["hash"]


def test_list_entries_filters(store: Store):
    _fill(store, 30)
    assert [e["entry_id"] for e in list_entries(store, limit=3)] == [30, 29, 28]  # newest first
    assert [e["entry_id"] for e in list_entries(store, limit=2, offset=28)] == [2, 1]
    assert {e["actor"] for e in list_entries(store, actor="cli:anna")} == {"cli:anna"}
    assert len(list_entries(store, action="consent.grant")) == 10
    assert [e["resource"] for e in list_entries(store, resource_prefix="account:91630000000000000")] == [
        "account:916300000000000009:2023", "account:916300000000000006:2023", "account:916300000000000003:2023",
        "account:916300000000000000:2023"]
    assert list_entries(store, resource_prefix="account:%") == []  # LIKE wildcards are literal
    assert len(list_entries(store, limit=1000)) == 30


def _tampered(value: object, field: str) -> object:
    if field == "entry_id":
        return int(value) + 1000  # type: ignore[call-overload]
    if field == "detail_json":
        return '{"profile":"lenient"}'
    return "x" if value is None else f"{value}x"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entry=st.integers(1, 12), field=st.sampled_from([*HASHED_FIELDS, "prev_hash", "hash"]))
def test_tampering_any_field_is_found_at_that_entry(store: Store, entry: int, field: str):
    if not list_entries(store, limit=1):
        _fill(store, 12)
    with store.engine.connect() as con:
        original = con.execute(sa.select(log.c[field]).where(log.c.entry_id == entry)).scalar()
    _sql(store, log.update().where(log.c.entry_id == entry).values({field: _tampered(original, field)}))
    report = verify_chain(store)
    assert not report.ok and report.first_bad_entry == entry and report.entries == 12, report
    # put it back: intact again
    where = log.c.entry_id == (entry + 1000 if field == "entry_id" else entry)
    _sql(store, log.update().where(where).values({field: original}))
    assert verify_chain(store).ok


def test_rehashed_forgery_is_found_at_the_next_entry(store: Store):
    """Someone who changes entry 5 and recomputes its hash breaks the link from entry 6."""
    _fill(store, 10)
    with store.engine.connect() as con:
        row = dict(con.execute(sa.select(log).where(log.c.entry_id == 5)).mappings().one())
    row["why"] = "nothing to see"
    _sql(store, log.update().where(log.c.entry_id == 5).values(why=row["why"], hash=entry_hash(row["prev_hash"], row)))
    report = verify_chain(store)
    assert report.first_bad_entry == 6 and "does not link to entry 5" in (report.problem or "")


@pytest.mark.parametrize(("deleted", "first_bad"), [((1,), 1), ((4,), 4), ((4, 5, 6), 4), ((10,), 10), ((9, 10), 9)])
def test_deleting_entries_is_found(store: Store, deleted: tuple[int, ...], first_bad: int):
    _fill(store, 10)
    _sql(store, log.delete().where(log.c.entry_id.in_(deleted)))
    report = verify_chain(store)
    assert not report.ok and report.first_bad_entry == first_bad and report.entries == 10 - len(deleted), report
    assert "missing" in (report.problem or "")


def test_entry_appended_behind_diantas_back_is_found(store: Store):
    _fill(store, 3)
    last = list_entries(store, limit=1)[0]
    fields = {**{k: last[k] for k in HASHED_FIELDS}, "entry_id": 4, "action": "consent.grant"}
    _sql(store, log.insert().values(**fields, prev_hash=last["hash"], hash=entry_hash(last["hash"], fields)))
    assert verify_chain(store).first_bad_entry == 4


def test_entry_commits_with_its_change(store: Store):
    _fill(store, 2)
    with pytest.raises(RuntimeError), store.engine.begin() as con:
        record(store, principal=OPS, action="user.create", resource="user:9", connection=con)
        raise RuntimeError("the change failed")
    assert verify_chain(store).entries == 2
    with store.engine.begin() as con:
        con.execute(schema.organisations.insert().values(org_id="BANK-9", kind="bank", name="b", created_at="now"))
        assert record(store, principal=OPS, action="organisation.create", resource="organisation:BANK-9",
                      connection=con) == 3
    report = verify_chain(store)
    assert report.ok and report.entries == 3


def test_concurrent_appends_keep_the_chain(store: Store):
    threads, per_thread = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer(t: int) -> None:
        try:
            start.wait()
            who = Principal(actor=f"worker-{t}", role="bank", org_id=f"BANK-{t}")
            for i in range(per_thread):
                if i % 2:
                    record(store, principal=who, action="account.read", resource=f"account:{t}:{i}")
                else:  # inside a transaction that also changes something
                    with store.engine.begin() as con:
                        con.execute(schema.meta.insert().values(key=f"k{t}-{i}", value="v"))
                        record(store, principal=who, action="meta.set", resource=f"meta:k{t}-{i}", connection=con)
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    report = verify_chain(store)
    assert report.ok and report.entries == threads * per_thread, report
    with store.engine.connect() as con:
        ids = list(con.execute(sa.select(log.c.entry_id).order_by(log.c.entry_id)).scalars())
    assert ids == list(range(1, threads * per_thread + 1))


def test_genesis_and_formula():
    fields = {k: None for k in HASHED_FIELDS} | {"entry_id": 1}
    assert entry_hash(GENESIS_HASH, fields) != entry_hash(GENESIS_HASH, fields | {"why": ""})
    with pytest.raises(ValueError):
        record(None, principal=OPS, action="x", resource="y", outcome="maybe")  # type: ignore[arg-type]
