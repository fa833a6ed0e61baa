"""The audit log (the issue's "Audit log: append-only, every read of enterprise data and every change,
who/when/what/why; each entry carries the hash of the previous one so tampering is detectable, and
`dianta audit verify` checks the chain").

Each entry's ``hash`` is ``sha256(prev_hash + "\\n" + canonical JSON of every other field)`` (including its
``entry_id``), and its ``prev_hash`` is the hash of the entry before it (``"0" * 64`` for the first). Entry
ids are given by :func:`record` as the previous id + 1 while the chain is locked, so they run 1, 2, 3, …
without gaps and a deleted entry shows as a missing number. The hash of the newest entry (the head) is also
kept in ``meta`` (key ``audit_head``) in the same transaction, so that deleting entries from the end is
detected too. A hash chain kept in the same database shows *naive* tampering; someone who can rewrite both
the log and the head can recompute the chain, so operators should record the head hash elsewhere now and
then (``dianta audit verify`` prints it).

Appending is serialised: on PostgreSQL by a transaction-level advisory lock, on SQLite by a write statement
(an UPDATE of the ``meta`` row ``audit_lock``) at the start of the transaction, which takes SQLite's single
write lock as ``BEGIN IMMEDIATE`` would.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.security.principal import Principal

#: the prev_hash of the first entry
GENESIS_HASH = "0" * 64
#: key of the PostgreSQL advisory lock that serialises appends ("dianta" + audit 0x0001)
PG_AUDIT_LOCK = 0x6469616E74610001
#: ``meta`` keys: the SQLite write-lock row (never needs to exist) and the newest entry "<entry_id> <hash>"
META_LOCK_KEY = "audit_lock"
META_HEAD_KEY = "audit_head"
OUTCOMES = ("allowed", "denied")
#: the fields each hash covers besides prev_hash, in the order of the table
HASHED_FIELDS = ("entry_id", "at", "actor", "role", "org_id", "action", "resource", "outcome", "why", "detail_json")


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of :func:`verify_chain`: ``ok`` when every entry's hash matches its content and links to
    the entry before it; otherwise ``first_bad_entry`` is the id of the first entry that is changed, missing
    or mislinked and ``problem`` says what is wrong. ``head_hash`` is the hash of the newest entry."""

    ok: bool
    entries: int
    first_bad_entry: int | None
    problem: str | None
    head_hash: str | None = None


def canonical_json(value: Any) -> str:
    """The one JSON text of ``value``: keys sorted, no spaces, UTF-8 kept (what the hashes are made of)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str)


def entry_hash(prev_hash: str, fields: Mapping[Any, Any]) -> str:
    """``sha256(prev_hash + "\\n" + canonical_json(fields))`` as hex, where ``fields`` are an entry's
    :data:`HASHED_FIELDS` (the issue: "each entry carries the hash of the previous one")."""
    body = canonical_json({k: fields[k] for k in HASHED_FIELDS})
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@contextmanager
def transaction(store: Store, connection: sa.Connection | None = None) -> Iterator[sa.Connection]:
    """``connection`` when given (the caller's transaction: it commits or rolls back), else a new
    transaction committed on success. Lets a change and its audit entry commit together."""
    if connection is not None:
        yield connection
        return
    with store.engine.begin() as con:
        yield con


_GUARDS: dict[int, threading.Lock] = {}
_GUARDS_LOCK = threading.Lock()


def _appender_guard(store: Store, connection: sa.Connection | None) -> AbstractContextManager[object]:
    """On SQLite, standalone appends of one process queue on a lock instead of polling for the database's
    write lock (which makes a few requests wait seconds under load). An append inside a caller's
    transaction already holds the write lock and does not take this guard, so the two never wait on
    each other in a circle."""
    if connection is not None or store.engine.dialect.name != "sqlite":
        return nullcontext()
    with _GUARDS_LOCK:
        return _GUARDS.setdefault(id(store.engine), threading.Lock())


def _lock_chain(con: sa.Connection) -> None:
    """Serialise appenders until the end of ``con``'s transaction."""
    if con.dialect.name == "postgresql":
        con.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_AUDIT_LOCK)))
    else:  # SQLite: a write statement takes the database's write lock (held to commit) before we read
        m = schema.meta
        con.execute(m.update().where(m.c.key == META_LOCK_KEY).values(value=m.c.value))


def record(store: Store, *, principal: Principal, action: str, resource: str, outcome: str = "allowed",
           why: str | None = None, detail: dict[str, Any] | None = None,
           connection: sa.Connection | None = None) -> int:
    """Append one entry (the issue: "every read of enterprise data and every change, who/when/what/why")
    and return its ``entry_id``.

    ``principal``: who (actor, role, tenant); ``action``: what (e.g. ``account.read``, ``consent.grant``);
    ``resource``: on what (e.g. ``account:<credit code>:2023``); ``outcome``: ``allowed`` or ``denied``;
    ``why``: the reason given or the rule that decided; ``detail``: anything else, stored as canonical JSON.
    With ``connection`` the entry is written in that transaction, so it commits (or not) with the change it
    records; the chain stays locked for other appenders until that transaction ends."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    log, m = schema.audit_log, schema.meta
    detail_json = canonical_json(detail or {})
    with _appender_guard(store, connection), transaction(store, connection) as con:
        _lock_chain(con)
        last = con.execute(sa.select(log.c.entry_id, log.c.hash).order_by(log.c.entry_id.desc()).limit(1)).first()
        prev_id, prev_hash = (last.entry_id, last.hash) if last is not None else (0, GENESIS_HASH)
        fields: dict[str, Any] = {
            "entry_id": prev_id + 1, "at": datetime.now(UTC).isoformat(timespec="microseconds"),
            "actor": principal.actor, "role": principal.role, "org_id": principal.org_id, "action": action,
            "resource": resource, "outcome": outcome, "why": why, "detail_json": detail_json,
        }
        digest = entry_hash(prev_hash, fields)
        con.execute(log.insert().values(**fields, prev_hash=prev_hash, hash=digest))
        head = f"{fields['entry_id']} {digest}"
        if con.execute(m.update().where(m.c.key == META_HEAD_KEY).values(value=head)).rowcount == 0:
            con.execute(m.insert().values(key=META_HEAD_KEY, value=head))
    return int(fields["entry_id"])


def verify_chain(store: Store) -> ChainReport:
    """Recompute every entry's hash in order and check each link, the numbering and the recorded head
    (the issue: "`dianta audit verify` checks the chain"). Stops at the first bad entry."""
    log, m = schema.audit_log, schema.meta
    with store.engine.connect() as con:
        n = con.execute(sa.select(sa.func.count()).select_from(log)).scalar_one()
        head_row = con.execute(sa.select(m.c.value).where(m.c.key == META_HEAD_KEY)).scalar_one_or_none()
        expected_id, prev_hash = 1, GENESIS_HASH
        rows = con.execution_options(yield_per=2000).execute(sa.select(log).order_by(log.c.entry_id))
        for row in rows.mappings():
            entry_id = row["entry_id"]
            if entry_id != expected_id:
                rows.close()
                return ChainReport(False, n, expected_id, f"entry {expected_id} is missing: the log goes from "
                                   f"entry {expected_id - 1} to entry {entry_id}")
            if row["prev_hash"] != prev_hash:
                rows.close()
                return ChainReport(False, n, entry_id, f"entry {entry_id} does not link to entry {entry_id - 1}: "
                                   "its prev_hash is not that entry's hash")
            if entry_hash(row["prev_hash"], row) != row["hash"]:
                rows.close()
                return ChainReport(False, n, entry_id, f"entry {entry_id} was changed after it was written: "
                                   "its hash does not match its content")
            expected_id, prev_hash = entry_id + 1, row["hash"]
    last_id = expected_id - 1
    if head_row is None:
        if last_id:
            return ChainReport(False, n, last_id, "the record of the newest entry (meta audit_head) is missing")
        return ChainReport(True, 0, None, None, None)
    head_id_text, _, head_hash = head_row.partition(" ")
    if not head_id_text.isdigit():
        return ChainReport(False, n, last_id or 1, f"the record of the newest entry is malformed: {head_row!r}")
    head_id = int(head_id_text)
    if head_id > last_id:
        return ChainReport(False, n, last_id + 1, f"entries {last_id + 1} to {head_id} are missing from the end "
                           "of the log")
    if head_id < last_id:
        return ChainReport(False, n, head_id + 1, f"entries {head_id + 1} to {last_id} were not appended by "
                           f"Dianta: the newest entry it recorded is entry {head_id}")
    if head_hash != prev_hash:
        return ChainReport(False, n, last_id, f"entry {last_id} was replaced: its hash is not the one recorded "
                           "when it was written")
    return ChainReport(True, n, None, None, prev_hash)


def list_entries(store: Store, *, actor: str | None = None, action: str | None = None,
                 resource_prefix: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Entries, newest first, optionally only those of one ``actor``, one ``action`` or whose ``resource``
    starts with ``resource_prefix``. Each dict has the table's fields and ``detail`` (the parsed
    ``detail_json``)."""
    if limit < 0 or offset < 0:
        raise ValueError("limit and offset must not be negative")
    log = schema.audit_log
    query = sa.select(log).order_by(log.c.entry_id.desc()).limit(limit).offset(offset)
    if actor is not None:
        query = query.where(log.c.actor == actor)
    if action is not None:
        query = query.where(log.c.action == action)
    if resource_prefix:
        query = query.where(log.c.resource.startswith(resource_prefix, autoescape=True))
    with store.engine.connect() as con:
        rows = [dict(r) for r in con.execute(query).mappings()]
    for r in rows:
        r["detail"] = json.loads(r["detail_json"])
    return rows
