"""Carbon evaluation labels (碳评价标识, METHODOLOGY.md §7b) and their verification codes.

Every graded account's label gets a verification code when it is published: an HMAC of what the label
states (enterprise, year, profile, grade, colour, score) under a secret kept with the store (outside the
ledger, :mod:`dianta.ledger.secrets`), so codes cannot be guessed or forged, and a recomputation that changes
nothing keeps the code. Anyone holding a label can check it with ``dianta verify-label CODE`` or
``GET /api/v1/labels/{code}``: *valid* while the published account still states it, *superseded* once a later
run changed the account, unknown when the store never issued it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Sequence

import sqlalchemy as sa

from dianta.accounts.park_labels import verify_park_label
from dianta.accounts.record import Account
from dianta.clock import now_iso
from dianta.errors import NotFound, UsageError
from dianta.ledger import schema
from dianta.ledger.secrets import store_secret
from dianta.ledger.store import Store, insert_if_absent

#: the name of the secret the codes are made with, in the store's secrets file
SECRET_KEY = "label_secret"
CODE_PATTERN = r"^[A-Za-z2-7]{4}(-?[A-Za-z2-7]{4}){3}$"


def label_code(secret: str, *, credit_code: str, year: int, profile_id: str, grade: int, colour: str,
               score: float, flags: Sequence[str] = ()) -> str:
    """``XXXX-XXXX-XXXX-XXXX``: 80 bits of HMAC-SHA256 over the label's statement, in RFC 4648 base32. The
    statement holds the flags that qualify the grade when there are any (a label without them keeps the code
    it had before flags were stated), so a change of those flags is a new label."""
    statement = (f"{credit_code}|{year}|{profile_id}|{grade}|{colour}|{score:.6f}"
                 + (f"|{','.join(flags)}" if flags else "")).encode()
    digest = hmac.new(secret.encode(), statement, hashlib.sha256).digest()[:10]
    text = base64.b32encode(digest).decode()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    """Accept a code as typed (lower case, without dashes); refuse anything that cannot be one."""
    if not re.fullmatch(CODE_PATTERN, code.strip()):
        raise UsageError.of("bad_label_code", code=code)
    text = code.strip().replace("-", "").upper()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def label_secret(store: Store) -> str:
    """The store's secret for label codes (read it before opening the publishing transaction)."""
    return store_secret(store, SECRET_KEY)


def issue_labels(tx: sa.Connection, secret: str, records: Sequence[Account], run_id: int) -> None:
    """Give each graded record's label its verification code (``label.verification_code``) and record the
    codes not issued before, in the publishing transaction ``tx``."""
    issued_at = now_iso()
    rows: list[dict[str, object]] = []
    for r in records:
        label, score = r.get("label"), r["score"]
        if label is None or score is None:
            continue
        code = label_code(secret, credit_code=r["credit_code"], year=label["year"], profile_id=label["profile_id"],
                          grade=label["grade"], colour=label["colour"], score=score, flags=label.get("flags", []))
        label["verification_code"] = code
        values = {"credit_code": r["credit_code"], "year": label["year"], "profile_id": label["profile_id"],
                  "grade": label["grade"], "colour": label["colour"], "score": score}
        rows.append({"code": code, **values, "run_id": run_id, "issued_at": issued_at})
    insert_if_absent(tx, schema.labels, rows)


def verify_label(store: Store, code: str) -> dict[str, object]:
    """What the label with ``code`` states, who it belongs to and whether the published account still
    states it (``status``: ``valid`` or ``superseded``; ``kind``: ``enterprise``, and a park label's code answers
    with :func:`dianta.accounts.park_labels.verify_park_label`, ``kind: park``). A superseded label says only
    that: the account's current grade is not public (anyone holding an old label could otherwise read it).
    ``flags``: the flags that qualify the grade, as the valid label states them (null for a superseded one)."""
    code = normalise_code(code)
    lab, acc, ent = schema.labels, schema.accounts, schema.data_tables["enterprises"]
    with store.engine.connect() as con:
        row = con.execute(sa.select(lab).where(lab.c.code == code)).mappings().first()
    if row is None:  # a park label's code (GREEN-POWER.md §10) answers on the same check
        park = verify_park_label(store, code)
        if park is None:
            raise NotFound(f"no label with verification code {code} was issued by this platform; the label is "
                           "not genuine or the code was mistyped",
                           zh=f"本平台从未签发验证码为 {code} 的标识：该标识不是真的，或验证码输入有误")
        return park
    with store.engine.connect() as con:
        name = con.execute(sa.select(ent.c.name).where(ent.c.credit_code == row["credit_code"])).scalar()
        current = con.execute(sa.select(acc.c.record_json).where(
            acc.c.credit_code == row["credit_code"], acc.c.year == row["year"],
            acc.c.profile_id == row["profile_id"])).scalar()
    now = json.loads(current) if current else None
    now_label = now.get("label") if now else None
    valid = isinstance(now_label, dict) and now_label.get("verification_code") == code
    return {"kind": "enterprise", "code": code, "status": "valid" if valid else "superseded",
            "credit_code": row["credit_code"],
            "name": name, "year": row["year"], "profile_id": row["profile_id"], "grade": row["grade"],
            "colour": row["colour"], "score": row["score"], "issued_at": row["issued_at"],
            "flags": list(now_label.get("flags", [])) if valid and isinstance(now_label, dict) else None}
