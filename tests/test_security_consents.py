"""Consents (the issue: an Enterprise "grants and revokes consent to named banks, with scope summary / full /
reports and expiry"; a Bank "reads accounts of enterprises that granted this bank consent; never sees another
bank's loans, consents or users")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import credit_code, write_table
from hypothesis import given
from hypothesis import strategies as st

from dianta.clock import today_cst
from dianta.errors import Conflict, NotFound, UsageError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.security.consents import (
    consented_codes,
    get_consent,
    grant_consent,
    is_live,
    list_consents,
    live_scopes,
    revoke_consent,
)
from dianta.security.users import create_organisation

A, B, C = credit_code(11), credit_code(12), credit_code(13)
BANK_A, BANK_B = "BANK-QH-001", "BANK-QH-002"


@pytest.fixture
def ledger(store: Store, tmp_path: Path) -> Store:
    """Three enterprises in the ledger, two banks, a regulator."""
    write_table(tmp_path / "batch", "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(A, "青海甲铝业有限公司", "C3216", "632801"), (B, "乙公司", "C3217", "630100"),
                 (C, "丙公司", "I6450", "630100")])
    ingest_batch(store, tmp_path / "batch", user="test")
    create_organisation(store, org_id=BANK_A, kind="bank", name="甲银行")
    create_organisation(store, org_id=BANK_B, kind="bank", name="乙银行")
    create_organisation(store, org_id="PBOC-QH", kind="regulator", name="人民银行青海省分行")
    return store


def _days(n: int) -> str:
    return (today_cst() + dt.timedelta(days=n)).isoformat()


def test_grant_and_read_back(ledger: Store):
    c = grant_consent(ledger, credit_code=A, bank_org_id=BANK_A, scope="summary", expires_on=_days(30),
                      granted_by="ent_staff")
    assert c == {"consent_id": c["consent_id"], "credit_code": A, "bank_org_id": BANK_A, "scope": "summary",
                 "granted_at": c["granted_at"], "granted_by": "ent_staff", "expires_on": _days(30),
                 "revoked_at": None, "revoked_by": None, "live": True}
    assert get_consent(ledger, c["consent_id"]) == c
    assert list_consents(ledger) == [c]
    assert live_scopes(ledger, credit_code=A, bank_org_id=BANK_A) == {"summary"}
    grant_consent(ledger, credit_code=A, bank_org_id=BANK_A, scope="reports", expires_on=_days(1), granted_by="x")
    assert live_scopes(ledger, credit_code=A, bank_org_id=BANK_A) == {"summary", "reports"}
    with pytest.raises(NotFound):
        get_consent(ledger, 999)


def test_grant_refusals(ledger: Store):
    ok = {"credit_code": A, "bank_org_id": BANK_A, "scope": "full", "expires_on": _days(10), "granted_by": "x"}
    with pytest.raises(UsageError, match="scope"):
        grant_consent(ledger, **{**ok, "scope": "everything"})
    with pytest.raises(UsageError, match="ISO date"):
        grant_consent(ledger, **{**ok, "expires_on": "31/12/2030"})
    with pytest.raises(UsageError, match="in the past"):
        grant_consent(ledger, **{**ok, "expires_on": _days(-1)})
    with pytest.raises(NotFound, match="no organisation"):
        grant_consent(ledger, **{**ok, "bank_org_id": "BANK-NONE"})
    with pytest.raises(UsageError, match="not a bank"):
        grant_consent(ledger, **{**ok, "bank_org_id": "PBOC-QH"})
    with pytest.raises(NotFound, match="no enterprise"):
        grant_consent(ledger, **{**ok, "credit_code": credit_code(99)})
    assert list_consents(ledger) == []
    assert grant_consent(ledger, **{**ok, "expires_on": _days(0)})["live"]  # today is allowed


def test_expiry_is_inclusive(ledger: Store):
    today = today_cst()
    grant_consent(ledger, credit_code=A, bank_org_id=BANK_A, scope="full", expires_on=_days(0), granted_by="x")
    grant_consent(ledger, credit_code=B, bank_org_id=BANK_A, scope="full", expires_on=_days(5), granted_by="x")
    assert live_scopes(ledger, credit_code=A, bank_org_id=BANK_A, on=today) == {"full"}  # expires today: live
    yesterday_expiry = today + dt.timedelta(days=1)  # seen from tomorrow, A's consent expired yesterday
    assert live_scopes(ledger, credit_code=A, bank_org_id=BANK_A, on=yesterday_expiry) == set()
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes={"full"}, on=today) == {A, B}
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes={"full"}, on=yesterday_expiry) == {B}
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes={"full"}, on=today + dt.timedelta(days=6)) == set()
    tomorrow = list_consents(ledger, on=yesterday_expiry)
    assert [c["live"] for c in tomorrow] == [False, True]
    assert [c["credit_code"] for c in list_consents(ledger, live_only=True, on=yesterday_expiry)] == [B]


def test_revocation(ledger: Store):
    c = grant_consent(ledger, credit_code=A, bank_org_id=BANK_A, scope="full", expires_on=_days(30), granted_by="x")
    revoked = revoke_consent(ledger, consent_id=c["consent_id"], revoked_by="ent_boss")
    assert revoked["revoked_by"] == "ent_boss" and revoked["revoked_at"] is not None and revoked["live"] is False
    assert live_scopes(ledger, credit_code=A, bank_org_id=BANK_A) == set()
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes={"full", "summary", "reports"}) == set()
    assert list_consents(ledger, live_only=True) == []
    assert list_consents(ledger)[0]["revoked_by"] == "ent_boss"  # kept, not deleted
    with pytest.raises(Conflict, match="revoked already"):
        revoke_consent(ledger, consent_id=c["consent_id"], revoked_by="again")
    with pytest.raises(NotFound):
        revoke_consent(ledger, consent_id=999, revoked_by="x")


def test_tenant_isolation(ledger: Store):
    """Bank A's consents are not bank B's: each bank sees only the enterprises that consented to it."""
    grant_consent(ledger, credit_code=A, bank_org_id=BANK_A, scope="full", expires_on=_days(30), granted_by="x")
    grant_consent(ledger, credit_code=B, bank_org_id=BANK_A, scope="summary", expires_on=_days(30), granted_by="x")
    grant_consent(ledger, credit_code=C, bank_org_id=BANK_B, scope="full", expires_on=_days(30), granted_by="x")
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes={"full"}) == {A}
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes={"full", "summary"}) == {A, B}
    assert consented_codes(ledger, bank_org_id=BANK_B, scopes={"full", "summary", "reports"}) == {C}
    assert live_scopes(ledger, credit_code=A, bank_org_id=BANK_B) == set()
    assert live_scopes(ledger, credit_code=C, bank_org_id=BANK_A) == set()
    assert [c["credit_code"] for c in list_consents(ledger, bank_org_id=BANK_B)] == [C]
    assert [c["bank_org_id"] for c in list_consents(ledger, credit_code=A)] == [BANK_A]
    assert consented_codes(ledger, bank_org_id=BANK_A, scopes=set()) == set()
    with pytest.raises(UsageError):
        consented_codes(ledger, bank_org_id=BANK_A, scopes={"all"})


@given(expiry_offset=st.integers(-400, 400), on_offset=st.integers(-400, 400), revoked=st.booleans())
def test_live_rule(expiry_offset: int, on_offset: int, revoked: bool):
    base = dt.date(2025, 6, 30)
    expires_on, on = base + dt.timedelta(days=expiry_offset), base + dt.timedelta(days=on_offset)
    live = is_live(revoked_at="2025-01-01T00:00:00+00:00" if revoked else None, expires_on=expires_on.isoformat(),
                   on=on)
    assert live == (not revoked and on <= expires_on)
