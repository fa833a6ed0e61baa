"""Programme statistics for the regulator (METHODOLOGY.md §8): aggregates only, never one enterprise's data."""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa

from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_sections, region_codes


def programme_statistics(store: Store, *, year: int, profile_id: str = "default") -> dict[str, object]:
    """Accounts by grade, industry section and prefecture; energy, emissions and the kWh-weighted green
    share of each group; loans and amounts by bank."""
    acc, loans = schema.accounts, schema.data_tables["loans"]
    with store.engine.connect() as con:
        records = [json.loads(r) for r in con.execute(sa.select(acc.c.record_json).where(
            acc.c.year == year, acc.c.profile_id == profile_id)).scalars()]
        loan_rows = con.execute(sa.select(loans.c.bank_id, sa.func.count(), sa.func.sum(loans.c.principal_cny),
                                          sa.func.sum(loans.c.outstanding_cny)).group_by(loans.c.bank_id)
                                .order_by(loans.c.bank_id)).all()
    sections, regions = industry_sections(), region_codes()

    def group(key_of) -> list[dict[str, object]]:  # noqa: ANN001 - a record -> group key
        sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
        for r in records:
            s = sums[key_of(r)]
            s[0] += 1
            s[1] += float(r["kwh_total"] or 0)
            s[2] += float(r["kwh_green"] or 0)
            s[3] += float(r["emissions_t"] or 0)
        return [{"group": k, "accounts": int(v[0]), "kwh_total": v[1], "kwh_green": v[2],
                 "green_share": v[2] / v[1] if v[1] else 0.0, "emissions_t": v[3]} for k, v in sorted(sums.items())]

    by_section = group(lambda r: str(r["industry_code"])[:1])
    for g in by_section:
        g["name"] = sections.get(str(g["group"]), "")
    by_region = group(lambda r: str(r["region_code"])[:4] + "00")
    for g in by_region:
        g["name"] = regions.get(str(g["group"]), "")
    return {
        "year": year, "profile_id": profile_id, "accounts": len(records),
        "by_grade": group(lambda r: str(r["grade"] or "not rated")),
        "by_industry": by_section, "by_region": by_region,
        "loans_by_bank": [{"bank_id": b, "loans": n, "principal_cny": float(p or 0), "outstanding_cny": float(o or 0)}
                          for b, n, p, o in loan_rows],
    }
