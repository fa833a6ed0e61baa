"""Programme statistics for the regulator (METHODOLOGY.md §8): aggregates only, never one enterprise's data."""

from __future__ import annotations

import json

import numpy as np
import sqlalchemy as sa

from dianta.calc import groups, regions
from dianta.ledger import schema
from dianta.ledger.store import Store
from dianta.reference.tables import industry_sections, region_codes


def programme_statistics(store: Store, *, year: int, profile_id: str = "default") -> dict[str, object]:
    """Accounts by grade, industry section and prefecture; energy, emissions and the kWh-weighted green
    share of each group (the loans by bank, as of a day, are the programme's: finance.interest.programme_totals)."""
    acc = schema.accounts
    with store.engine.connect() as con:
        records = [json.loads(r) for r in con.execute(sa.select(acc.c.record_json).where(
            acc.c.year == year, acc.c.profile_id == profile_id)).scalars()]
    sections, region_names = industry_sections(), region_codes()

    kwh_total, kwh_green, emissions = (np.array([float(r[key] or 0) for r in records], dtype=float)
                                       for key in ("kwh_total", "kwh_green", "emissions_t"))

    def group(keys: list[str]) -> list[dict[str, object]]:
        labels, index = groups.group_index(keys)
        n = len(labels)
        count, total, green, emitted = (groups.group_sum(index, n, x) for x in (np.ones(len(keys)), kwh_total,
                                                                               kwh_green, emissions))
        # a group without electricity shows a green share of 0 (as an account does, §5 indicator 5)
        share = np.nan_to_num(groups.group_green_share(index, n, kwh_green, kwh_total), nan=0.0)
        return [{"group": k, "accounts": int(count[i]), "kwh_total": float(total[i]), "kwh_green": float(green[i]),
                 "green_share": float(share[i]), "emissions_t": float(emitted[i])} for i, k in enumerate(labels)]

    by_section = group([str(r["industry_code"])[:1] for r in records])
    for g in by_section:
        g["name"] = sections.get(str(g["group"]), "")
    by_region = group([str(code) for code in regions.prefecture_code([str(r["region_code"]) for r in records])])
    for g in by_region:
        g["name"] = region_names.get(str(g["group"]), "")
    return {
        "year": year, "profile_id": profile_id, "accounts": len(records),
        "by_grade": group([str(r["grade"] or "not rated") for r in records]),
        "by_industry": by_section, "by_region": by_region,
    }
