"""Park labels (园区绿电标识, GREEN-POWER.md §10 "report, label and API as for an enterprise") and their verification
codes.

Every published park account gets a label stating its green share against the target, its hourly CFE and the year;
its verification code is an HMAC of those figures under the store's label secret (:mod:`dianta.accounts.labels`), so
a recomputation that changes nothing keeps the code and a correction that changes a figure issues a new one. The
codes are kept in ``park_labels``; the public label check (``dianta verify-label CODE``, ``GET /api/v1/labels/{code}``)
answers them too: what the label states, ``valid`` while the published park account still states it, ``superseded``
once a later run changed it — nothing more (no member's figures, not the park's current figures).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence

import sqlalchemy as sa

from dianta.accounts.record import ParkAccount
from dianta.clock import now_iso
from dianta.ledger import schema
from dianta.ledger.store import Store, insert_if_absent

#: what a park label states, in this order (the code's statement and ``park_labels.figures_json``)
STATED = ("park_id", "park_name", "year", "profile_id", "green_share", "target_green_share", "target_year",
          "cfe_score")


def park_label_figures(record: ParkAccount) -> dict[str, object]:
    """The figures a park account's label states."""
    return {k: record[k] for k in STATED}  # type: ignore[literal-required]


def park_label_code(secret: str, figures: dict[str, object]) -> str:
    """``XXXX-XXXX-XXXX-XXXX``: 80 bits of HMAC-SHA256 over the label's statement in RFC 4648 base32, as an
    enterprise label's code (:func:`dianta.accounts.labels.label_code`); the statement starts ``park|`` so no park
    label's statement is ever an enterprise label's."""
    def shown(v: object) -> str:
        return "-" if v is None else f"{v:.6f}" if isinstance(v, float) else str(v)

    statement = "park|" + "|".join(shown(figures[k]) for k in STATED)
    digest = hmac.new(secret.encode(), statement.encode(), hashlib.sha256).digest()[:10]
    text = base64.b32encode(digest).decode()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def issue_park_labels(tx: sa.Connection, secret: str, records: Sequence[ParkAccount], run_id: int, *, year: int,
                      profile_id: str) -> None:
    """Give each park account of the run its label code (``verification_code``), record the codes not issued before
    and mark superseded the year's earlier codes no park account states any more, in the publishing transaction."""
    at = now_iso()
    pl = schema.park_labels
    codes = []
    for r in records:
        figures = park_label_figures(r)
        code = park_label_code(secret, figures)
        r["verification_code"] = code
        codes.append(code)
        insert_if_absent(tx, pl, {"code": code, "park_id": r["park_id"], "year": year, "profile_id": profile_id,
                                  "figures_json": json.dumps(figures, ensure_ascii=False), "run_id": run_id,
                                  "issued_at": at})
    tx.execute(pl.update().where(pl.c.year == year, pl.c.profile_id == profile_id, pl.c.superseded_at.is_(None),
                                 pl.c.code.not_in(codes)).values(superseded_at=at))
    tx.execute(pl.update().where(pl.c.code.in_(codes)).values(superseded_at=None))  # stated again: valid again


def verify_park_label(store: Store, code: str) -> dict[str, object] | None:
    """What the park label with ``code`` (normalised) states and whether the published park account still states
    it; None when no park label has that code. A superseded label states only its own figures."""
    pl, pa_ = schema.park_labels, schema.park_accounts
    with store.engine.connect() as con:
        row = con.execute(sa.select(pl).where(pl.c.code == code)).mappings().first()
        if row is None:
            return None
        current = con.execute(sa.select(pa_.c.record_json).where(
            pa_.c.park_id == row["park_id"], pa_.c.year == row["year"], pa_.c.profile_id == row["profile_id"])).scalar()
    valid = current is not None and json.loads(current).get("verification_code") == code
    figures = json.loads(row["figures_json"])
    return {"kind": "park", "code": code, "status": "valid" if valid else "superseded",
            **{k: figures.get(k) for k in STATED}, "issued_at": row["issued_at"],
            "superseded_at": None if valid else row["superseded_at"]}
