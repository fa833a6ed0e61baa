"""METHODOLOGY.md §7b worked examples."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from dianta.calc import evaluation
from dianta.reference.profile import load_profile

P = load_profile("default")


def test_benchmark_division_then_section_then_table_then_none():
    codes = ["C3216", "C3216", "C3217", "C3216", "C3216", "C3011", "C3216", "I6450"]
    e = [10, 20, 30, 40, 50, 60, 70, 5]
    v = [100, 100, 100, 100, 100, 100, 100, 10]
    va = [True, True, True, True, True, True, False, True]
    b = evaluation.industry_benchmarks(codes, e, v, va, min_group_size=5, table={})
    # C32 members: rows 0–4 (row 6 is revenue-based, never a member): (10+20+30+40+50)/500 = 0.3
    assert b.group[:5] == ["C32"] * 5 and list(b.size[:5]) == [5] * 5
    assert_allclose(b.value[:5], 0.3)
    # the revenue-based account is rated against its division's benchmark
    assert b.group[6] == "C32" and b.value[6] == 0.3
    # C30 has one member -> section C: rows 0–5: 210 / 600 = 0.35
    assert b.group[5] == "C" and b.size[5] == 6
    assert_allclose(b.value[5], 0.35)
    # I: one member, no table -> not rated
    assert b.group[7] is None and np.isnan(b.value[7])
    t = evaluation.industry_benchmarks(["I6450"], [5], [10], [True], min_group_size=5, table={"I": 0.25})
    assert t.group == ["I"] and t.size[0] == 0 and t.value[0] == 0.25


def test_aspect_cut_points_inclusive():
    k = [0.6, 0.6000001, 0.8, 1.2, 2.0, 2.01, np.nan]
    assert_allclose(evaluation.score_at_most(k, P.intensity_cuts, P.intensity_else), [100, 80, 80, 60, 40, 20, np.nan])
    # r = 0.9 / 1.0 − 1 is −10 % exactly despite floating point
    r = evaluation.intensity_change([0.9, 0.95, 1.0, 1.05, 1.06, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0, 0.0])
    assert_allclose(evaluation.score_at_most(r, P.reduction_cuts, P.reduction_else), [100, 80, 60, 40, 20, np.nan])
    g = [0.8, 0.79, 0.5, 0.2, 0.05, 0.049]
    assert_allclose(evaluation.score_at_least(g, P.green_cuts, P.green_else), [100, 80, 80, 60, 40, 20])


def test_score_rescales_weights_and_grades():
    aspects = np.array([[80, 100, 60], [np.nan, np.nan, 40], [100, np.nan, 100], [np.nan] * 3])
    s = evaluation.weighted_score(aspects, [0.5, 0.25, 0.25])
    # 0.5·80 + 0.25·100 + 0.25·60 = 80; only green 40 -> 40; (0.5·100 + 0.25·100)/0.75 = 100; none -> NaN
    assert_allclose(s, [80, 40, 100, np.nan])
    grades, colours = evaluation.grade(np.array([85, 84.99, 70, 55, 40, 39.9, np.nan]), P.grades, P.grade_else)
    assert_array_equal(grades, [1, 2, 2, 3, 4, 5, 0])
    assert colours == ["dark_green", "light_green", "light_green", "yellow", "orange", "red", None]


def test_k_not_rated_when_benchmark_zero():
    assert_allclose(evaluation.intensity_ratio([0.5, 0.5, np.nan], [0.0, 0.625, 1]), [np.nan, 0.8, np.nan])


def _record(code: str, industry: str, emissions_t: float, value: float | None) -> dict:
    """The fields evaluate_accounts reads of an account record (accounts/build.py)."""
    intensity = None if not value else emissions_t / value
    return {"credit_code": code, "year": 2023, "industry_code": industry, "emissions_t": emissions_t,
            "value_10k_cny": value, "value_basis": None if value is None else "value_added", "intensity": intensity,
            "intensity_prev": None, "green_share": 0.0, "flags": []}


def test_benchmark_null_whenever_the_intensity_aspect_is_not_rated():
    from dianta.accounts.build import evaluate_accounts

    # C32: five value-added accounts with 0 t -> benchmark 0 / 500 = 0: K not rated, so no benchmark shown
    zero = [_record(f"Z{i}", "C3216", 0.0, 100.0) for i in range(5)]
    # D44: five accounts of 10 t on V 100 -> benchmark 50 / 500 = 0.1; a sixth without V (null intensity) is
    # not rated on intensity: no benchmark for it, while the others show theirs (K = 0.1 / 0.1 = 1 -> 60)
    rated = [_record(f"R{i}", "D4430", 10.0, 100.0) for i in range(5)]
    no_value = _record("N", "D4430", 10.0, None)
    out = {r["credit_code"]: r for r in evaluate_accounts([*zero, *rated, no_value], P)}
    for i in range(5):
        assert out[f"Z{i}"]["benchmark"] is None and out[f"Z{i}"]["k"] is None
        assert out[f"Z{i}"]["aspect_scores"]["intensity"] is None
        assert out[f"R{i}"]["benchmark"] == {"group": "D44", "size": 5, "value": 0.1}
        assert out[f"R{i}"]["aspect_scores"]["intensity"] == 60
    assert out["N"]["benchmark"] is None and out["N"]["k"] is None
    # green share 0 -> 20 on the green aspect alone; score 20 -> grade 5
    assert out["N"]["score"] == 20 and out["N"]["grade"] == 5
