"""The audit log (the issue's "Audit log: append-only, every read of enterprise data and every change,
who/when/what/why; each entry carries the hash of the previous one so tampering is detectable, and
`dianta audit verify` checks the chain").

Each entry's ``hash`` is ``sha256(prev_hash + "\\n" + canonical JSON of every other field)`` (including its
``entry_id``), and its ``prev_hash`` is the hash of the entry before it (``"0" * 64`` for the first). Entry
ids are given by :func:`record` as the previous id + 1 while the chain is locked, so they run 1, 2, 3, …
without gaps and a deleted entry shows as a missing number. The hash of the newest entry (the head) is also
kept in ``meta`` (key ``audit_head``) in the same transaction, so that deleting entries from the end is
detected too. The ledger keeps a high-water mark of entry ids as well, which a DELETE does not lower, so a log
that ends (or is empty) below it lost entries: on PostgreSQL the ``entry_id`` sequence, raised by every
standalone append after it commits (a sequence is not rolled back); on SQLite the AUTOINCREMENT counter in
``sqlite_sequence`` (migration 0008), which moves with the transaction that writes the entry.

A hash chain kept in the same database shows *naive* tampering only: someone who can write the ledger can
cut the end of the log and rewrite ``audit_head`` (or wipe both), and the rest still verifies. What catches
that is a head recorded *outside* the ledger (issue 12): ``dianta audit verify`` prints the head as
``N:HASH``, and ``dianta audit checkpoint`` writes it into a signed checkpoint file, which the operator
writes daily (cron) to a place the ledger's writers cannot change. ``dianta audit verify --expect-head
N:HASH`` or ``--checkpoint FILE|FOLDER`` then fails when the log holds fewer than N entries or its entry N
is not the one recorded. Checkpoints are signed (HMAC-SHA256) with a secret in the store's secrets file
(:mod:`dianta.ledger.secrets`, outside the ledger), so a changed checkpoint file, or one of another store,
is refused, and writing the ledger is not enough to forge one.

Appending is serialised: on PostgreSQL by a transaction-level advisory lock, on SQLite by a write statement
(an UPDATE of the ``meta`` row ``audit_lock``) at the start of the transaction, which takes SQLite's single
write lock as ``BEGIN IMMEDIATE`` would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from dianta.errors import StoreError, UsageError
from dianta.ledger import schema
from dianta.ledger.secrets import store_secret
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
#: what a checkpoint file says it is, and the name of the store secret that signs checkpoints
CHECKPOINT_KIND = "dianta-audit-checkpoint"
CHECKPOINT_SECRET_KEY = "audit_checkpoint_secret"
#: the PostgreSQL sequence behind ``audit_log.entry_id`` (NULL where the table has none)
_PG_SEQUENCE = sa.cast(sa.func.pg_get_serial_sequence("audit_log", "entry_id"), postgresql.REGCLASS)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of :func:`verify_chain`: ``ok`` when every entry's hash matches its content and links to
    the entry before it, and the log still holds every entry the ledger and the expected heads know of;
    otherwise ``first_bad_entry`` is the id of the first entry that is changed, missing or mislinked and
    ``problem`` says what is wrong. ``entries`` is the number of entries in the log; the head is the newest
    entry read in order, ``head_entry`` its id (0: none) and ``head_hash`` its hash, to keep outside the
    ledger as ``N:HASH`` (:attr:`head`)."""

    ok: bool
    entries: int
    first_bad_entry: int | None
    problem: str | None
    head_hash: str | None = None
    head_entry: int = 0

    @property
    def head(self) -> str:
        """``N:HASH``, what ``--expect-head`` takes (``0:000…`` for an empty log)."""
        return f"{self.head_entry}:{self.head_hash or GENESIS_HASH}"


@dataclass(frozen=True, slots=True)
class ExpectedHead:
    """A head recorded outside the ledger: the log held ``entries`` entries, the newest with hash ``hash``.
    ``source`` says where it came from (``--expect-head``, a checkpoint file and when it was taken), for the
    message when the log no longer holds it."""

    entries: int
    hash: str
    source: str


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
        raise UsageError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}",
                         zh=f"审计结果 outcome 只能是 {'、'.join(OUTCOMES)} 之一，而不是 {outcome!r}")
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
    if connection is None and store.engine.dialect.name == "postgresql":
        _raise_high_water(store, int(fields["entry_id"]))
    return int(fields["entry_id"])


def _raise_high_water(store: Store, entry_id: int) -> None:
    """Raise the ``entry_id`` sequence to ``entry_id`` (never lower it), after the entry committed.

    A sequence is not transactional: set inside the transaction, it would stay raised if the transaction
    rolled back, and a later verification would report an entry as missing that was never written. So
    only appends that commit themselves raise it, once committed; an entry written in a caller's
    transaction is covered by the next standalone append (every read of enterprise data is one)."""
    seq = _PG_SEQUENCE
    with store.engine.begin() as con:
        con.execute(sa.select(sa.func.setval(seq, sa.func.greatest(
            entry_id, sa.func.coalesce(sa.func.pg_sequence_last_value(seq), 0)))))


def _high_water(con: sa.Connection) -> int:
    """The highest entry id the ledger has seen: the PostgreSQL sequence, or SQLite's ``sqlite_sequence`` row
    of the AUTOINCREMENT table (migration 0008); 0 when unused."""
    if con.dialect.name == "postgresql":
        return int(con.execute(sa.select(sa.func.pg_sequence_last_value(_PG_SEQUENCE))).scalar() or 0)
    if con.dialect.name == "sqlite":
        return int(con.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")).scalar() or 0)
    return 0


def verify_chain(store: Store, *, expect: Iterable[ExpectedHead] = ()) -> ChainReport:
    """Recompute every entry's hash in order and check each link, the numbering, the head recorded in
    ``meta``, the ledger's high-water mark and every head in ``expect`` (the issue: "`dianta audit verify`
    checks the chain"; issue 12: truncating the log and rewriting its head must not verify). Stops at the
    first bad entry."""
    log, m = schema.audit_log, schema.meta
    expected = list(expect)
    wanted = {e.entries for e in expected}
    seen: dict[int, str] = {}
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
            if entry_id in wanted:
                seen[entry_id] = row["hash"]
            expected_id, prev_hash = entry_id + 1, row["hash"]
        high_water = _high_water(con)
    last_id = expected_id - 1
    head_hash = prev_hash if last_id else None
    problem = (_head_problem(head_row, last_id, prev_hash) or _expected_problem(expected, seen, last_id)
               or _high_water_problem(high_water, last_id))
    if problem is not None:
        return ChainReport(False, n, problem[0], problem[1], head_hash, last_id)
    return ChainReport(True, n, None, None, head_hash, last_id)


def _head_problem(head_row: str | None, last_id: int, last_hash: str) -> tuple[int, str] | None:
    """What is wrong with the newest entry recorded in ``meta`` against the log read in order."""
    if head_row is None:
        return (last_id, "the record of the newest entry (meta audit_head) is missing") if last_id else None
    head_id_text, _, head_hash = head_row.partition(" ")
    if not head_id_text.isdigit():
        return last_id or 1, f"the record of the newest entry is malformed: {head_row!r}"
    head_id = int(head_id_text)
    if head_id > last_id:
        return last_id + 1, f"entries {last_id + 1} to {head_id} are missing from the end of the log"
    if head_id < last_id:
        return head_id + 1, (f"entries {head_id + 1} to {last_id} were not appended by Dianta: the newest entry "
                             f"it recorded is entry {head_id}")
    if head_hash != last_hash:
        return last_id, f"entry {last_id} was replaced: its hash is not the one recorded when it was written"
    return None


def _high_water_problem(high_water: int, last_id: int) -> tuple[int, str] | None:
    """A log that ends below the ledger's high-water mark lost its newest entries (or all of them)."""
    if high_water <= last_id:
        return None
    if last_id == 0:
        return 1, (f"the log is empty, but the ledger's entry sequence shows that {high_water} entries were "
                   "written: the log was wiped")
    return last_id + 1, (f"entries {last_id + 1} to {high_water} are missing from the end of the log: the "
                         f"ledger's entry sequence shows that entry {high_water} was written")


def _expected_problem(expected: list[ExpectedHead], seen: Mapping[int, str], last_id: int
                      ) -> tuple[int, str] | None:
    """The first head recorded outside the ledger that the log no longer holds (the longest missing first)."""
    for e in sorted(expected, key=lambda e: -e.entries):
        if e.entries > last_id:
            held = "is empty" if last_id == 0 else f"ends at entry {last_id}"
            return last_id + 1, (f"the log {held}, but it held {e.entries} entries according to {e.source}: "
                                 f"entries {last_id + 1} to {e.entries} were removed")
    for e in sorted(expected, key=lambda e: e.entries):
        if e.entries and seen.get(e.entries) != e.hash:
            return e.entries, (f"entry {e.entries} is not the entry {e.source} recorded: its hash differs, so "
                               f"the log was rewritten at or before entry {e.entries}")
    return None


def parse_head(text: str, *, source: str = "the expected head") -> ExpectedHead:
    """``N:HASH`` (what ``dianta audit verify`` prints as the head) as an :class:`ExpectedHead`."""
    count, sep, digest = text.strip().partition(":")
    if not (sep and count.isdigit() and len(count) <= 12 and len(digest) == 64
            and all(c in "0123456789abcdef" for c in digest)):
        raise UsageError(f"{source} must be N:HASH, an entry count and the 64-digit hex hash of that entry, as "
                         "`dianta audit verify` prints the head (the API returns head_entry and head_hash); got "
                         f"{text[:100]!r}",
                         zh=f"{source} 必须是 N:HASH 形式：条目数和该条目的 64 位十六进制哈希，"
                            "即 `dianta audit verify` 打印的链头（API 返回 head_entry 和 head_hash）；"
                            f"收到的是 {text[:100]!r}")
    return ExpectedHead(int(count), digest, f"{source} {int(count)}:{digest[:12]}…")


def _checkpoint_secret(store: Store) -> bytes:
    return store_secret(store, CHECKPOINT_SECRET_KEY).encode()


def _store_identity(secret: bytes) -> str:
    """A name of this store in its checkpoints: derived from the checkpoint secret, so it reveals nothing
    of it, and changes when the secret is replaced."""
    return hmac.new(secret, b"dianta store identity", hashlib.sha256).hexdigest()[:32]


def _signature(secret: bytes, body: Mapping[str, Any]) -> str:
    return hmac.new(secret, canonical_json(body).encode(), hashlib.sha256).hexdigest()


def make_checkpoint(store: Store) -> dict[str, Any]:
    """A signed checkpoint of the log's head (issue 12: "a head published elsewhere"): the store's identity,
    the entry count, the newest entry's hash and when, signed with HMAC-SHA256 by a secret in the store's
    secrets file. The operator writes one daily (``dianta audit checkpoint`` from cron) and keeps the files where
    the ledger's writers cannot change them; ``dianta audit verify --checkpoint`` checks the log against
    them. Refused while the log does not verify: a checkpoint must not vouch for a broken log."""
    report = verify_chain(store)
    if not report.ok:
        raise StoreError(f"the audit log does not verify (entry {report.first_bad_entry}: {report.problem}); "
                         "no checkpoint is written for it: find out what happened first",
                         zh=f"审计日志未通过校验（第 {report.first_bad_entry} 条，原因见上文英文说明），"
                            "不为其写出检查点：请先查明发生了什么")
    secret = _checkpoint_secret(store)
    body = {"kind": CHECKPOINT_KIND, "version": 1, "store": _store_identity(secret),
            "entries": report.head_entry, "head_hash": report.head_hash or GENESIS_HASH,
            "at": datetime.now(UTC).isoformat(timespec="seconds")}
    return {**body, "signature": _signature(secret, body)}


def read_checkpoint(store: Store, text: str, *, source: str) -> ExpectedHead:
    """The head a checkpoint file (``text``, read from ``source``) recorded, once its signature and store are
    checked: a checkpoint that is not one is a usage error; one that was changed, or is another store's (or
    this store's checkpoint secret was replaced), is refused."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    fields = {"kind", "version", "store", "entries", "head_hash", "at", "signature"}
    if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND or set(data) != fields:
        raise UsageError(f"{source} is not an audit checkpoint (written by `dianta audit checkpoint`)",
                         zh=f"{source} 不是审计检查点（应由 `dianta audit checkpoint` 写出）")
    secret = _checkpoint_secret(store)
    body = {k: v for k, v in data.items() if k != "signature"}
    if not hmac.compare_digest(str(data["signature"]), _signature(secret, body)):
        if data["store"] != _store_identity(secret):
            raise StoreError(f"checkpoint {source} is not of this store, or this store's checkpoint secret was "
                             "replaced since it was written (its secrets file was replaced or lost)",
                             zh=f"检查点 {source} 不属于本存储，或自写出后本存储的检查点密钥已被更换"
                                "（其密钥文件被替换或丢失）")
        raise StoreError(f"checkpoint {source} was changed after it was written: its signature does not match "
                         "its content", zh=f"检查点 {source} 自写出后已被改动：其签名与内容不符")
    if not isinstance(data["entries"], int) or not isinstance(data["head_hash"], str):
        raise UsageError(f"{source} is not an audit checkpoint (written by `dianta audit checkpoint`)",
                         zh=f"{source} 不是审计检查点（应由 `dianta audit checkpoint` 写出）")
    return ExpectedHead(data["entries"], data["head_hash"], f"checkpoint {source} of {data['at']}")


#: the fields the audit log may be listed by (``-`` first for descending; newest first without a sort)
SORT_FIELDS = ("entry_id", "at", "actor", "action", "resource", "outcome")


def _filters(actor: str | None, action: str | None, resource_prefix: str | None) -> list[sa.ColumnElement[bool]]:
    log = schema.audit_log
    where: list[sa.ColumnElement[bool]] = []
    if actor is not None:
        where.append(log.c.actor == actor)
    if action is not None:
        where.append(log.c.action == action)
    if resource_prefix:
        where.append(log.c.resource.startswith(resource_prefix, autoescape=True))
    return where


def count_entries(store: Store, *, actor: str | None = None, action: str | None = None,
                  resource_prefix: str | None = None) -> int:
    """How many entries :func:`list_entries` would find with these filters (all pages)."""
    log = schema.audit_log
    with store.engine.connect() as con:
        return int(con.execute(sa.select(sa.func.count()).select_from(log)
                               .where(*_filters(actor, action, resource_prefix))).scalar_one())


def list_entries(store: Store, *, actor: str | None = None, action: str | None = None,
                 resource_prefix: str | None = None, limit: int = 100, offset: int = 0,
                 sort: str | None = None) -> list[dict[str, Any]]:
    """Entries, newest first (or in ``sort`` order: a field of :data:`SORT_FIELDS`, ``-`` first for descending,
    then the entry number), optionally only those of one ``actor``, one ``action`` or whose ``resource``
    starts with ``resource_prefix``. Each dict has the table's fields and ``detail`` (the parsed
    ``detail_json``)."""
    if limit < 0 or offset < 0:
        raise UsageError("limit and offset must not be negative", zh="limit 和 offset 不能为负数")
    log = schema.audit_log
    field = (sort or "-entry_id").lstrip("-")
    column = log.c[field] if field in SORT_FIELDS else log.c.entry_id
    order = column.desc() if (sort or "-entry_id").startswith("-") else column.asc()
    query = (sa.select(log).where(*_filters(actor, action, resource_prefix)).order_by(order, log.c.entry_id.desc())
             .limit(limit).offset(offset))
    with store.engine.connect() as con:
        rows = [dict(r) for r in con.execute(query).mappings()]
    for r in rows:
        r["detail"] = json.loads(r["detail_json"])
    return rows
