"""Authentication (the issue: "password login with argon2 hashes and short-lived tokens, API keys for machine
clients; an admin bootstrap command; nothing secret in the repo") and the organisation/user rules."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
import sqlalchemy as sa
from conftest import credit_code
from hypothesis import given, settings
from hypothesis import strategies as st

from dianta.errors import AuthError, Conflict, NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.secrets import read_secrets
from dianta.ledger.store import Store
from dianta.security.apikeys import (
    create_api_key,
    list_api_keys,
    parse_api_key,
    principal_from_api_key,
    revoke_api_key,
)
from dianta.security.passwords import hash_password, verify_password
from dianta.security.principal import Principal
from dianta.security.tokens import issue_token, principal_from_token, revoke_token
from dianta.security.users import (
    LOGIN_FAILED,
    authenticate,
    bootstrap_admin,
    check_username,
    create_organisation,
    create_user,
    find_user,
    get_organisation,
    get_user,
    list_organisations,
    list_users,
    set_user_active,
)

ENT = credit_code(1)
PASSWORD = "correct horse battery"


def _tenants(store: Store) -> dict[str, dict]:
    """A bank with one user, an enterprise with one user, and a machine user of the bank."""
    create_organisation(store, org_id="BANK-QH-001", kind="bank", name="青海银行 Qinghai Bank")
    create_organisation(store, org_id="ENT-1", kind="enterprise", name="测试企业", credit_code=ENT)
    return {
        "bank": create_user(store, username="li.wei@bank", password=PASSWORD, role="bank", org_id="BANK-QH-001"),
        "ent": create_user(store, username="ent_staff", password=PASSWORD, role="enterprise", org_id="ENT-1"),
        "robot": create_user(store, username="bank-robot", password=None, role="bank", org_id="BANK-QH-001"),
    }


def _secret(store: Store) -> str:
    return read_secrets(store.secrets_file)["token_secret"]


# -- passwords ---------------------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(password=st.text(min_size=10, max_size=80), other=st.text(min_size=1, max_size=80))
def test_password_hash_round_trip(password: str, other: str):
    hashed = hash_password(password)
    assert hashed.startswith("$argon2id$") and password not in hashed  # 10+ characters: not by chance
    assert verify_password(hashed, password)
    assert verify_password(hashed, other) is (other == password)


def test_password_hash_is_salted_and_garbage_is_false():
    assert hash_password(PASSWORD) != hash_password(PASSWORD)
    assert verify_password("not a hash", PASSWORD) is False
    assert verify_password("", PASSWORD) is False


# -- organisations and users -------------------------------------------------------------------------------


def test_organisation_rules(store: Store):
    bank = create_organisation(store, org_id="BANK-QH-001", kind="bank", name="青海银行")
    assert bank["kind"] == "bank" and bank["credit_code"] is None
    with pytest.raises(Conflict):
        create_organisation(store, org_id="BANK-QH-001", kind="bank", name="again")
    with pytest.raises(UsageError, match="not one of"):
        create_organisation(store, org_id="X", kind="auditor", name="x")
    with pytest.raises(UsageError, match="needs its unified social credit code"):
        create_organisation(store, org_id="ENT-1", kind="enterprise", name="x")
    with pytest.raises(UsageError, match="not a valid unified social credit code"):
        create_organisation(store, org_id="ENT-1", kind="enterprise", name="x", credit_code=ENT[:-1] + "X")
    with pytest.raises(UsageError, match="only enterprise"):
        create_organisation(store, org_id="PBOC-QH", kind="regulator", name="x", credit_code=ENT)
    with pytest.raises(UsageError, match="organisation id"):
        create_organisation(store, org_id="bad id", kind="bank", name="x")
    create_organisation(store, org_id="ENT-1", kind="enterprise", name="企业", credit_code=ENT)
    with pytest.raises(Conflict, match="already belongs to organisation ENT-1"):
        create_organisation(store, org_id="ENT-2", kind="enterprise", name="企业", credit_code=ENT)
    create_organisation(store, org_id="PBOC-QH", kind="regulator", name="人民银行青海省分行")
    assert [o["org_id"] for o in list_organisations(store)] == ["BANK-QH-001", "ENT-1", "PBOC-QH"]
    assert [o["org_id"] for o in list_organisations(store, kind="enterprise")] == ["ENT-1"]
    assert get_organisation(store, "ENT-1")["credit_code"] == ENT
    with pytest.raises(NotFound):
        get_organisation(store, "nobody")


def test_user_rules(store: Store):
    users = _tenants(store)
    bank = users["bank"]
    assert bank == {"user_id": bank["user_id"], "username": "li.wei@bank", "role": "bank", "org_id": "BANK-QH-001",
                    "active": True, "created_at": bank["created_at"]}
    assert users["robot"]["active"] is True
    with pytest.raises(Conflict, match="taken"):
        create_user(store, username="li.wei@bank", password=PASSWORD, role="bank", org_id="BANK-QH-001")
    with pytest.raises(UsageError, match="its users have role bank"):
        create_user(store, username="sneaky", password=PASSWORD, role="operator", org_id="BANK-QH-001")
    with pytest.raises(UsageError, match="at least 10 characters"):
        create_user(store, username="shorty", password="123456789", role="bank", org_id="BANK-QH-001")
    with pytest.raises(NotFound):
        create_user(store, username="lost", password=PASSWORD, role="bank", org_id="BANK-NONE")
    with pytest.raises(UsageError, match="user name"):
        create_user(store, username="x y", password=PASSWORD, role="bank", org_id="BANK-QH-001")
    assert [u["username"] for u in list_users(store, org_id="BANK-QH-001")] == ["li.wei@bank", "bank-robot"]
    assert len(list_users(store)) == 3
    assert get_user(store, bank["user_id"]) == bank
    assert find_user(store, username="ent_staff")["org_id"] == "ENT-1"
    with pytest.raises(NotFound):
        get_user(store, 999)
    with store.engine.connect() as con:  # only the argon2id hash is stored
        stored = con.execute(sa.select(schema.users.c.password_hash).where(schema.users.c.user_id == bank["user_id"]))
        assert stored.scalar_one().startswith("$argon2id$")


@given(name=st.text(alphabet="abcXYZ019_.@-", min_size=3, max_size=64))
def test_usernames_of_the_allowed_alphabet_pass(name: str):
    assert check_username(name) == name


@given(name=st.text(max_size=80).filter(lambda s: not (3 <= len(s) <= 64)
                                         or any(not (c.isascii() and (c.isalnum() or c in "_.@-")) for c in s)))
def test_other_usernames_are_refused(name: str):
    with pytest.raises(UsageError):
        check_username(name)


def test_authenticate(store: Store):
    users = _tenants(store)
    p = authenticate(store, username="ent_staff", password=PASSWORD)
    assert p == Principal(actor="ent_staff", role="enterprise", org_id="ENT-1", credit_code=ENT,
                          user_id=users["ent"]["user_id"])
    assert authenticate(store, username="li.wei@bank", password=PASSWORD).credit_code is None
    for username, password in [("ent_staff", PASSWORD + "!"), ("nobody", PASSWORD), ("bank-robot", PASSWORD),
                               ("ent_staff", "")]:
        with pytest.raises(AuthError) as exc:
            authenticate(store, username=username, password=password)
        assert str(exc.value) == LOGIN_FAILED  # one message: existence is not revealed
    set_user_active(store, user_id=users["ent"]["user_id"], active=False)
    with pytest.raises(AuthError, match=LOGIN_FAILED):
        authenticate(store, username="ent_staff", password=PASSWORD)


def test_bootstrap_admin_once(store: Store):
    with pytest.raises(UsageError, match="at least 10"):
        bootstrap_admin(store, username="admin", password="short")
    admin = bootstrap_admin(store, username="admin", password=PASSWORD)
    assert admin["role"] == "operator" and admin["org_id"] == "operator"
    assert get_organisation(store, "operator")["name"] == "Platform operator 平台运营方"
    assert authenticate(store, username="admin", password=PASSWORD).role == "operator"
    with pytest.raises(Conflict, match="an operator user exists already"):
        bootstrap_admin(store, username="admin2", password=PASSWORD)
    set_user_active(store, user_id=admin["user_id"], active=False)
    with pytest.raises(Conflict):  # not even when the operator is deactivated
        bootstrap_admin(store, username="admin2", password=PASSWORD)


# -- tokens ------------------------------------------------------------------------------------------------


def test_token_round_trip_and_claims(store: Store):
    _tenants(store)
    p = authenticate(store, username="ent_staff", password=PASSWORD)
    before = int(time.time())
    token, expires_at = issue_token(store, p)
    assert before + 900 <= expires_at <= int(time.time()) + 900
    assert principal_from_token(store, token) == p
    claims = jwt.decode(token, _secret(store), algorithms=["HS256"])
    assert claims["sub"] == str(p.user_id) and claims["name"] == "ent_staff" and claims["role"] == "enterprise"
    assert claims["org"] == "ENT-1" and claims["cc"] == ENT and claims["exp"] == expires_at
    assert len(_secret(store)) == 64  # made once per store, kept in its secrets file
    token2, _ = issue_token(store, p)
    assert jwt.decode(token2, _secret(store), algorithms=["HS256"])["jti"] != claims["jti"]


def test_token_secret_is_per_store(store: Store, tmp_path: Path):
    _tenants(store)
    token, _ = issue_token(store, authenticate(store, username="ent_staff", password=PASSWORD))
    other = Store(tmp_path / "other")
    try:
        _tenants(other)
        with pytest.raises(AuthError, match="invalid token"):
            principal_from_token(other, token)
    finally:
        other.close()


def test_tampered_malformed_and_forged_tokens(store: Store):
    _tenants(store)
    token, _ = issue_token(store, authenticate(store, username="li.wei@bank", password=PASSWORD))
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    claims = jwt.decode(token, _secret(store), algorithms=["HS256"])
    forged = jwt.encode({**claims, "role": "operator"}, "a guessed secret of thirty-two bytes!", algorithm="HS256")
    unsigned = jwt.encode({**claims}, None, algorithm="none")
    for bad in [f"{header}.{payload}.{flipped}", forged, unsigned, "", "not.a.token", token + "x"]:
        with pytest.raises(AuthError):
            principal_from_token(store, bad)


def test_expired_token(store: Store):
    _tenants(store)
    p = authenticate(store, username="li.wei@bank", password=PASSWORD)
    token, _ = issue_token(store, p, ttl_seconds=1)
    assert principal_from_token(store, token).actor == "li.wei@bank"
    past = int(time.time()) - 60
    old = jwt.encode({"sub": str(p.user_id), "name": p.actor, "role": p.role, "org": p.org_id, "cc": None,
                      "jti": "j1", "iat": past - 900, "exp": past}, _secret(store), algorithm="HS256")
    with pytest.raises(AuthError, match="expired"):
        principal_from_token(store, old)
    time.sleep(2.1)
    with pytest.raises(AuthError, match="expired"):
        principal_from_token(store, token)
    with pytest.raises(UsageError):
        issue_token(store, p, ttl_seconds=0)


def test_revoked_token(store: Store):
    _tenants(store)
    p = authenticate(store, username="li.wei@bank", password=PASSWORD)
    token, _ = issue_token(store, p)
    other, _ = issue_token(store, p)
    revoke_token(store, token)
    revoke_token(store, token)  # twice is harmless
    with pytest.raises(AuthError, match="revoked"):
        principal_from_token(store, token)
    assert principal_from_token(store, other) == p  # only that token
    with pytest.raises(AuthError):
        revoke_token(store, "forged.token.here")


def test_token_follows_the_user_row(store: Store):
    users = _tenants(store)
    p = authenticate(store, username="li.wei@bank", password=PASSWORD)
    token, _ = issue_token(store, p)
    set_user_active(store, user_id=users["bank"]["user_id"], active=False)
    with pytest.raises(AuthError, match="deactivated"):
        principal_from_token(store, token)
    set_user_active(store, user_id=users["bank"]["user_id"], active=True)
    with pytest.raises(AuthError, match="issued before"):  # issue 12: deactivation voids it for good
        principal_from_token(store, token)
    token, _ = issue_token(store, p)
    assert principal_from_token(store, token) == p
    # a token whose user id does not exist (signed with the real secret) is refused
    claims = jwt.decode(token, _secret(store), algorithms=["HS256"])
    ghost = jwt.encode({**claims, "sub": "999"}, _secret(store), algorithm="HS256")
    with pytest.raises(AuthError, match="no longer exists"):
        principal_from_token(store, ghost)
    # the role and organisation come from the users table, not from the token
    create_organisation(store, org_id="BANK-QH-002", kind="bank", name="another bank")
    with store.engine.begin() as con:
        con.execute(schema.users.update().where(schema.users.c.user_id == p.user_id).values(org_id="BANK-QH-002"))
    assert principal_from_token(store, token).org_id == "BANK-QH-002"


def test_tokens_need_a_user(store: Store):
    with pytest.raises(UsageError):
        issue_token(store, Principal(actor="cli:root", role="operator", org_id="operator"))


# -- API keys ----------------------------------------------------------------------------------------------


def test_api_key_round_trip(store: Store):
    users = _tenants(store)
    robot = users["robot"]["user_id"]
    key = create_api_key(store, user_id=robot, label="loan system 信贷系统")
    key_id, secret = parse_api_key(key)
    assert key == f"dk_{key_id}_{secret}" and len(key_id) == 12 and len(secret) == 32
    assert principal_from_api_key(store, key) == Principal(actor=f"key:{key_id}", role="bank", org_id="BANK-QH-001",
                                                           credit_code=None, user_id=robot)
    listed = list_api_keys(store, user_id=robot)
    assert listed == [{"key_id": key_id, "user_id": robot, "label": "loan system 信贷系统",
                       "created_at": listed[0]["created_at"], "revoked_at": None}]
    with store.engine.connect() as con:  # only a hash of the secret is stored
        row = con.execute(sa.select(schema.api_keys)).mappings().one()
    assert secret not in str(dict(row)) and row["secret_hash"].startswith("$argon2id$")
    ent_key = create_api_key(store, user_id=users["ent"]["user_id"], label="ERP")
    assert principal_from_api_key(store, ent_key).credit_code == ENT


def test_api_key_refusals(store: Store):
    users = _tenants(store)
    robot = users["robot"]["user_id"]
    key = create_api_key(store, user_id=robot, label="loan system")
    key_id, secret = parse_api_key(key)
    wrong_secret = f"dk_{key_id}_{'A' * 32}"
    unknown = f"dk_{'0' * 12}_{secret}"
    for bad in [wrong_secret, unknown, "dk_short_x", key + "x", "", "Bearer " + key, key.upper()]:
        with pytest.raises(AuthError, match="invalid or revoked API key"):
            principal_from_api_key(store, bad)
    set_user_active(store, user_id=robot, active=False)
    with pytest.raises(AuthError):
        principal_from_api_key(store, key)
    with pytest.raises(Conflict):
        create_api_key(store, user_id=robot, label="another")
    set_user_active(store, user_id=robot, active=True)
    assert principal_from_api_key(store, key).user_id == robot
    revoke_api_key(store, key_id=key_id)
    with pytest.raises(AuthError):
        principal_from_api_key(store, key)
    assert list_api_keys(store, user_id=robot)[0]["revoked_at"] is not None
    with pytest.raises(Conflict):
        revoke_api_key(store, key_id=key_id)
    with pytest.raises(NotFound):
        revoke_api_key(store, key_id="0123456789ab")
    with pytest.raises(NotFound):
        create_api_key(store, user_id=999, label="x")
    with pytest.raises(UsageError):
        create_api_key(store, user_id=robot, label="  ")


@given(key=st.text(max_size=60))
def test_arbitrary_text_is_not_a_key(key: str):
    if key.startswith("dk_") and len(key) == 48:
        return  # may be well-formed by chance
    with pytest.raises(AuthError):
        parse_api_key(key)
