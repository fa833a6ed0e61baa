"""Issue 12, items 5, 7 and 9 (part): login throttling that trusts no forwarded header by default and cannot be
used to lock a user out, API keys that cost no argon2 unless their id is real and are throttled, failures and
refusals in the audit log, and tokens voided for good when their user is deactivated."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import httpx
import jwt
import pytest
import sqlalchemy as sa
from alembic import command
from service import PASSWORD, Service, start_service, stop_service

import dianta.security.apikeys
from dianta.errors import AuthError
from dianta.ledger import migrate, schema
from dianta.ledger.store import Store
from dianta.security.apikeys import create_api_key, principal_from_api_key, revoke_api_key
from dianta.security.passwords import hash_password, verify_password
from dianta.security.throttle import Throttle, TooManyAttempts, api_key_throttle, login_throttle
from dianta.security.tokens import SECRET_KEY, issue_token, principal_from_token, store_secret
from dianta.security.users import authenticate, create_organisation, create_user, set_user_active

TOKEN = "/api/v1/auth/token"


class Clock:
    """A clock the test moves by hand (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def proxied(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`dianta serve --forwarded-allow-ips 127.0.0.1`: the tests, on loopback, play a proxy and name the
    client's address in X-Forwarded-For, so that one test can be several clients."""
    s = start_service(request.param, tmp_path_factory.mktemp("proxied"), request,
                      serve_args=("--forwarded-allow-ips", "127.0.0.1"))
    yield s
    stop_service(s)


def _login(s: Service, username: str, password: str, address: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.post(s.url + TOKEN, data={"username": username, "password": password}, headers=headers,
                      timeout=60)


def _audit(s: Service, actor: str) -> list[dict]:
    """The audit entries of ``actor``, oldest first, read from the service's ledger."""
    store = Store(s.db, lake=s.lake)
    try:
        log = schema.audit_log
        with store.engine.connect() as con:
            rows = con.execute(sa.select(log).where(log.c.actor == actor).order_by(log.c.entry_id)).mappings()
            return [dict(r) for r in rows]
    finally:
        store.close()


# -- the throttle itself --------------------------------------------------------------------------------------


def test_a_strangers_failures_do_not_lock_the_user_out_elsewhere():
    clock = Clock()
    t = login_throttle()
    t.clock = clock
    for _ in range(5):
        t.check("li.wei", "203.0.113.9")
        t.failed("li.wei", "203.0.113.9")
    with pytest.raises(TooManyAttempts, match="for this user name from your address") as refused:
        t.check("li.wei", "203.0.113.9")
    assert refused.value.retry_after == 900
    t.check("Li.Wei", "198.51.100.4")  # the user, from its own address: let through to the password check
    t.succeeded("li.wei", "198.51.100.4")
    with pytest.raises(TooManyAttempts):  # the stranger stays refused until the window moves on
        t.check("li.wei", "203.0.113.9")
    clock.now += 900.5
    t.check("li.wei", "203.0.113.9")


def test_per_user_ceiling_then_exponential_backoff():
    clock = Clock()
    t = login_throttle()
    t.clock = clock
    for n in range(20):  # four addresses, five guesses each: each address stops at its own limit
        address = f"203.0.113.{n // 5}"
        t.check("li.wei", address)
        t.failed("li.wei", address)
        clock.now += 1
    clock.now -= 1
    waits = []
    for _ in range(9):
        with pytest.raises(TooManyAttempts, match="for this user name;") as refused:
            t.check("li.wei", "198.51.100.4")  # even the right password from a new address waits ...
        waits.append(refused.value.retry_after)
        clock.now += refused.value.retry_after
        t.check("li.wei", "198.51.100.4")  # ... only that long
        t.failed("li.wei", f"192.0.2.{len(waits)}")  # and every further guess doubles the wait
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    t.check("bank_b", "203.0.113.0")  # other users are not affected
    capped = Throttle(per_subject=1, backoff_s=5000)
    capped.failed("li.wei", "203.0.113.0")
    with pytest.raises(TooManyAttempts) as refused:
        capped.check("li.wei", "198.51.100.4")
    assert refused.value.retry_after == 900  # never longer than the window


def test_per_address_limit_over_many_users():
    t = login_throttle()
    for n in range(30):
        t.check(f"user{n}", "203.0.113.9")
        t.failed(f"user{n}", "203.0.113.9")
    with pytest.raises(TooManyAttempts, match="from your address"):
        t.check("someone_else", "203.0.113.9")
    t.check("someone_else", "198.51.100.4")


def test_counts_of_random_names_do_not_grow_without_bound():
    """Ten waves of 5,000 guesses at random names from random addresses, a window apart: what has left the
    window is dropped, so the table holds about two waves (3 keys a guess), not all ten."""
    clock = Clock()
    t = Throttle(max_keys=1000)
    t.clock = clock
    for _ in range(10):
        for _ in range(5000):
            t.failed(secrets.token_hex(8), f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}")
        clock.now += 901
    assert len(t._failures) < 2 * 3 * 5000 + 10  # without pruning: 150,000


def test_audit_writes_of_a_flood_are_sampled():
    clock = Clock()
    t = Throttle(audit_every_s=60)
    t.clock = clock
    assert t.audit_due("login.refused", "203.0.113.9") == 0
    assert [t.audit_due("login.refused", "203.0.113.9") for _ in range(99)] == [None] * 99
    assert t.audit_due("login.refused", "198.51.100.4") == 0  # per address
    clock.now += 60
    assert t.audit_due("login.refused", "203.0.113.9") == 99  # the next entry tells how many were not written


# -- login over HTTP --------------------------------------------------------------------------------------------


def test_a_forwarded_header_is_not_believed_by_default(service: Service):
    """Without --forwarded-allow-ips, X-Forwarded-For from loopback changes nothing: the counted (and audited)
    address stays the connection's, so a stranger cannot get new attempts by changing the header."""
    for n in range(5):
        assert _login(service, "bank_b", f"guess number {n}", f"203.0.113.{n}").status_code == 401
    refused = _login(service, "bank_b", PASSWORD, "198.51.100.77")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 800
    assert _audit(service, "anonymous:203.0.113.0") == []
    failed = [e for e in _audit(service, "anonymous:127.0.0.1") if e["resource"] == "user:bank_b"]
    assert [(e["action"], e["outcome"]) for e in failed] == [("auth.login", "denied")] * 6
    assert all('"address":"127.0.0.1"' in e["detail_json"] for e in failed)


def test_a_stranger_cannot_lock_out_a_user_who_logs_in_elsewhere(proxied: Service):
    for n in range(5):
        assert _login(proxied, "ent_b", f"guess number {n}", "203.0.113.50").status_code == 401
    refused = _login(proxied, "ent_b", PASSWORD, "203.0.113.50")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 800
    assert _login(proxied, "ent_b", PASSWORD, "198.51.100.50").status_code == 200  # the user, from its office
    assert "for this user name from your address; wait" in refused.json()["detail"]
    assert _login(proxied, "ent_b", "guess number 6", "203.0.113.50").status_code == 429  # still refused


def test_per_user_ceiling_over_http(proxied: Service):
    for n in range(20):  # a guesser with four addresses
        assert _login(proxied, "regulator", f"guess number {n}", f"203.0.113.{60 + n // 5}").status_code == 401
    refused = _login(proxied, "regulator", PASSWORD, "198.51.100.60")
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 2
    time.sleep(int(refused.headers["retry-after"]) + 0.2)
    assert _login(proxied, "regulator", PASSWORD, "198.51.100.60").status_code == 200


def test_failed_logins_and_refusals_are_audited(proxied: Service):
    guesses = [f"secret guess {n}" for n in range(5)]
    for guess in guesses:
        assert _login(proxied, "bank_a", guess, "192.0.2.44").status_code == 401
    for _ in range(3):
        assert _login(proxied, "bank_a", "secret guess 5", "192.0.2.44").status_code == 429
    assert _login(proxied, "no.such.user", "secret guess 6", "192.0.2.45").status_code == 401
    entries = _audit(proxied, "anonymous:192.0.2.44")
    assert [(e["action"], e["resource"], e["outcome"], e["role"]) for e in entries] == [
        ("auth.login", "user:bank_a", "denied", "public")] * 6  # five failures, one refusal (two more counted)
    assert [e["detail_json"] for e in entries][-2:] == [
        '{"address":"192.0.2.44","status":401,"username":"bank_a"}',
        '{"address":"192.0.2.44","status":429,"suppressed":0,"username":"bank_a"}']
    assert "wait" in entries[-1]["why"] and "user name or password" in entries[0]["why"]
    assert [e["resource"] for e in _audit(proxied, "anonymous:192.0.2.45")] == ["user:no.such.user"]
    text = repr(entries)
    assert not any(guess in text for guess in [*guesses, "secret guess 5", PASSWORD])


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


# -- API keys ---------------------------------------------------------------------------------------------------


def _robot(store: Store) -> int:
    create_organisation(store, org_id="BANK-QH-001", kind="bank", name="青海银行 Qinghai Bank")
    return create_user(store, username="bank-robot", password=None, role="bank", org_id="BANK-QH-001")["user_id"]


def test_random_api_keys_cost_no_argon2(store: Store, monkeypatch: pytest.MonkeyPatch):
    robot = _robot(store)
    key = create_api_key(store, user_id=robot, label="loan system")
    revoked = create_api_key(store, user_id=robot, label="old system")
    revoke_api_key(store, key_id=revoked.split("_")[1])
    verified: list[str] = []
    real = dianta.security.apikeys.verify_password

    def counted(stored: str, secret: str) -> bool:  # the real argon2 verification, counted
        verified.append(secret)
        return real(stored, secret)

    monkeypatch.setattr(dianta.security.apikeys, "verify_password", counted)
    for _ in range(50):
        with pytest.raises(AuthError, match="invalid or revoked API key"):
            principal_from_api_key(store, f"dk_{secrets.token_hex(6)}_{secrets.token_urlsafe(24)}")
    with pytest.raises(AuthError):
        principal_from_api_key(store, revoked)
    assert verified == []
    with pytest.raises(AuthError):
        principal_from_api_key(store, key[:-1] + ("A" if key[-1] != "A" else "B"))  # a real id, a wrong secret
    assert principal_from_api_key(store, key).actor == f"key:{key.split('_')[1]}"
    assert len(verified) == 2


def test_api_key_throttle_per_key_and_address(store: Store):
    robot = _robot(store)
    key = create_api_key(store, user_id=robot, label="loan system")
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    t = api_key_throttle()
    for _ in range(5):
        with pytest.raises(AuthError):
            principal_from_api_key(store, wrong, client="203.0.113.9", throttle=t)
    with pytest.raises(TooManyAttempts, match="for this API key from your address"):
        principal_from_api_key(store, key, client="203.0.113.9", throttle=t)
    assert principal_from_api_key(store, key, client="198.51.100.4", throttle=t).user_id == robot


def test_a_flood_of_random_api_keys_is_throttled_and_audited_sparingly(proxied: Service):
    with proxied.client("operator") as op:
        made = op.post("/api/v1/api-keys", json={"label": "monthly push", "user_id": proxied.user_ids["bank_b"]})
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    flood = {"X-Forwarded-For": "192.0.2.77"}
    argon2_s = _seconds(lambda: verify_password(hash_password("a secret of 32 characters......."), "guess"))
    started = time.perf_counter()
    with httpx.Client(base_url=proxied.url, timeout=60) as c:
        answers = [c.get("/api/v1/me", headers={**flood, "X-API-Key": f"dk_{secrets.token_hex(6)}_"
                                                                       f"{secrets.token_urlsafe(24)}"})
                   for _ in range(100)]
        elapsed = time.perf_counter() - started
        assert [a.status_code for a in answers] == [401] * 60 + [429] * 40
        assert 800 < int(answers[-1].headers["retry-after"]) <= 900
        # the address is refused even a good key (limits come before any lookup); elsewhere the key works
        assert c.get("/api/v1/me", headers={**flood, "X-API-Key": key}).status_code == 429
        me = c.get("/api/v1/me", headers={"X-Forwarded-For": "198.51.100.77", "X-API-Key": key})
        assert me.status_code == 200 and me.json()["actor"] == f"key:{made.json()['key_id']}"
        # the large-body route checks the caller before reading the body: throttled the same way
        upload = c.post("/api/v1/batches", headers={**flood, "X-API-Key": key}, content=b"x")
        assert upload.status_code == 429 and "retry-after" in upload.headers
    assert elapsed < 100 * argon2_s / 3, (elapsed, argon2_s)  # no argon2 for keys whose id does not exist
    entries = _audit(proxied, "anonymous:192.0.2.77")
    assert [(e["action"], e["outcome"]) for e in entries] == [("apikey.use", "denied")] * 2
    assert ['"status":401' in entries[0]["detail_json"], '"status":429' in entries[1]["detail_json"]] == [True, True]


# -- token generation -------------------------------------------------------------------------------------------


def test_deactivation_voids_tokens_for_good(store: Store):
    create_organisation(store, org_id="BANK-QH-001", kind="bank", name="青海银行 Qinghai Bank")
    user = create_user(store, username="li.wei@bank", password=PASSWORD, role="bank", org_id="BANK-QH-001")
    p = authenticate(store, username="li.wei@bank", password=PASSWORD)
    secret = store_secret(store, SECRET_KEY)
    now = int(time.time())
    legacy = jwt.encode({"sub": str(p.user_id), "name": p.actor, "role": p.role, "org": p.org_id, "cc": None,
                         "jti": "issued-before-0007", "iat": now, "exp": now + 900}, secret, algorithm="HS256")
    token, _ = issue_token(store, p)
    assert jwt.decode(token, secret, algorithms=["HS256"])["gen"] == 0
    assert principal_from_token(store, legacy) == p == principal_from_token(store, token)
    set_user_active(store, user_id=user["user_id"], active=False)
    set_user_active(store, user_id=user["user_id"], active=True)
    for old in (token, legacy):
        with pytest.raises(AuthError, match="issued before its user was deactivated; log in again"):
            principal_from_token(store, old)
    fresh, _ = issue_token(store, authenticate(store, username="li.wei@bank", password=PASSWORD))
    assert jwt.decode(fresh, secret, algorithms=["HS256"])["gen"] == 1
    assert principal_from_token(store, fresh) == p


def test_migration_0007_starts_every_user_at_generation_0(store: Store):
    with store.engine.begin() as con:
        command.downgrade(migrate._config(con), "0006")
    with store.engine.connect() as con:
        assert "token_generation" not in {c["name"] for c in sa.inspect(con).get_columns("users")}
    with store.engine.begin() as con:
        con.execute(schema.organisations.insert().values(org_id="B", kind="bank", name="b", credit_code=None,
                                                         created_at="2026-01-01"))
        con.execute(sa.text("INSERT INTO users (username, password_hash, role, org_id, active, created_at) "
                            "VALUES ('old_user', NULL, 'bank', 'B', :yes, '2026-01-01')"), {"yes": True})
    migrate.upgrade(store.engine)
    with store.engine.connect() as con:
        assert con.execute(sa.select(schema.users.c.token_generation)).scalars().all() == [0]


def test_disable_and_enable_over_http_voids_the_old_token(service: Service):
    old = service.tokens["ent_b"]
    with service.client("ent_b") as ent:
        assert ent.get("/api/v1/me").status_code == 200
    with service.client("operator") as op:
        for active in (False, True):
            r = op.patch(f"/api/v1/users/{service.user_ids['ent_b']}", json={"active": active})
            assert r.status_code == 200, r.text
    refused = httpx.get(service.url + "/api/v1/me", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401 and "log in again" in refused.json()["detail"]
    assert _login(service, "ent_b", PASSWORD).status_code == 200

