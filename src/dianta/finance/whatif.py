"""What-if for an enterprise: the green power or the intensity reduction that reaches the next grade under
the profile its account was computed with, and the rate discount that would follow under a bank's policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dianta.accounts import query
from dianta.calc import evaluation, whatif
from dianta.clock import today_cst
from dianta.errors import UsageError
from dianta.finance.pricing import policy_in_effect, quote
from dianta.reference.profile import Profile, shipped_profile


def scales(profile: Profile) -> whatif.Scales:
    return whatif.Scales(intensity_cuts=profile.intensity_cuts, intensity_else=profile.intensity_else,
                         reduction_cuts=profile.reduction_cuts, reduction_else=profile.reduction_else,
                         green_cuts=profile.green_cuts, green_else=profile.green_else,
                         weights=(profile.weight_intensity, profile.weight_reduction, profile.weight_green),
                         grades=profile.grades, grade_else=profile.grade_else)


def what_if(store: Any, *, credit_code: str, year: int, bank_id: str | None = None, base_rate_pct: float = 0.0,
            on: dt.date | None = None, profile_id: str = "default") -> dict[str, Any]:
    """The account's distance to the next grade, lever by lever (calc/whatif.py), and with ``bank_id`` the
    quote now and at the next grade (``base_rate_pct`` the loan's base rate)."""
    record = query.get_account(store, credit_code=credit_code, year=year, profile_id=profile_id)
    profile = shipped_profile(str(record["profile_id"]))
    if profile is None:
        raise UsageError.of("whatif_profile", profile_id=record["profile_id"])
    s = scales(profile)
    grade = int(record["grade"] or 0)
    benchmark = record["benchmark"]
    bench = benchmark["value"] if benchmark else None
    common = {"intensity": record["intensity"], "benchmark": bench, "intensity_prev": record.get("intensity_prev")}
    next_grade = grade - 1 if grade > 1 else None
    bound = next((b for b, g, _ in profile.grades if g == next_grade), None)
    out: dict[str, Any] = {
        "credit_code": credit_code, "year": year, "profile_id": record["profile_id"], "grade": record["grade"],
        "score": record["score"], "next_grade": next_grade, "next_grade_score": bound,
        "benchmark_held": bench,
        "green": None if not grade or record["green_share"] is None else whatif.green_to_next_grade(
            s, grade=grade, green_share=float(record["green_share"]), kwh_total=float(record["kwh_total"]),
            kwh_green=float(record["kwh_green"]), **common),
        "intensity": None if not grade else whatif.intensity_to_next_grade(
            s, grade=grade, green_share=record["green_share"], **common),
    }
    intensity, value = record["intensity"], record.get("value_10k_cny")
    if out["intensity"] and intensity is not None and value:
        out["intensity"]["emissions_cut_t"] = (intensity - out["intensity"]["intensity"]) * value
    if bank_id is not None:
        day = on or today_cst()
        policy = policy_in_effect(store, bank_id=bank_id, on=day)
        now = quote(policy, record, credit_code=credit_code, base_rate_pct=base_rate_pct, on=day)
        out["quote_now"] = now.as_dict()
        lever = out["green"] or out["intensity"]
        if lever:
            _, colour = evaluation.grade([lever["score"]], profile.grades, profile.grade_else)
            better = {**record, "grade": lever["grade"], "score": lever["score"],
                      "label": {**(record.get("label") or {}), "grade": lever["grade"], "colour": colour[0]}}
            then = quote(policy, better, credit_code=credit_code, base_rate_pct=base_rate_pct, on=day)
            out["quote_next_grade"] = then.as_dict()
            out["discount_gain_bp"] = then.discount_bp - now.discount_bp
    return out
