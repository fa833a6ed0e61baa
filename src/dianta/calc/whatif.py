"""What-if: how far an account is from the next grade (METHODOLOGY.md §7b), one lever at a time.

Each lever keeps everything else of the account as it is, the industry benchmark included (an enterprise's
own change moves its group's benchmark only a little; the next computation says exactly):

* green power: the lowest green-aspect step above the current green share that lifts the score to the next
  grade, and the green kWh (trades or certificates, which leave ``E_total`` as it is) that reach it;
* intensity: the highest carbon intensity, below the current one, at which the intensity and reduction
  aspects together lift the score to the next grade (candidates: each intensity cut × benchmark and each
  reduction cut applied to last year's intensity), and the reduction it takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dianta.calc import evaluation
from dianta.calc.missing import nan_if_none as _nan

Cuts = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class Scales:
    """The profile's §7b tables."""

    intensity_cuts: Cuts
    intensity_else: float
    reduction_cuts: Cuts
    reduction_else: float
    green_cuts: Cuts
    green_else: float
    weights: tuple[float, float, float]  # intensity, reduction, green
    grades: tuple[tuple[float, int, str], ...]
    grade_else: tuple[int, str]


def score_of(scales: Scales, *, intensity: float | None, benchmark: float | None, intensity_prev: float | None,
             green_share: float | None) -> tuple[float, int]:
    """The §7b score and grade (0: not rated) of an account with these figures."""
    k = evaluation.intensity_ratio(_nan(intensity), _nan(benchmark))
    change = evaluation.intensity_change(_nan(intensity), _nan(intensity_prev))
    aspects = np.array([[evaluation.score_at_most(k, scales.intensity_cuts, scales.intensity_else),
                         evaluation.score_at_most(change, scales.reduction_cuts, scales.reduction_else),
                         evaluation.score_at_least(_nan(green_share), scales.green_cuts, scales.green_else)]],
                       dtype=float)
    score = evaluation.weighted_score(aspects, scales.weights)
    grades, _ = evaluation.grade(score, scales.grades, scales.grade_else)
    return float(score[0]), int(grades[0])


def green_to_next_grade(scales: Scales, *, grade: int, intensity: float | None, benchmark: float | None,
                        intensity_prev: float | None, green_share: float, kwh_total: float, kwh_green: float
                        ) -> dict[str, float] | None:
    """The green share step that reaches grade ``grade − 1`` and the extra green kWh it takes; None when no
    green step reaches it (or the account is at grade 1)."""
    if grade <= 1:
        return None
    for bound in sorted(b for b, _ in scales.green_cuts):
        if bound <= green_share:
            continue
        score, new_grade = score_of(scales, intensity=intensity, benchmark=benchmark, intensity_prev=intensity_prev,
                                    green_share=bound)
        if 0 < new_grade < grade:
            extra = float(evaluation.green_kwh_to_share(bound, kwh_total, kwh_green))
            return {"green_share": bound, "extra_green_kwh": extra, "score": score, "grade": new_grade}
    return None


def intensity_to_next_grade(scales: Scales, *, grade: int, intensity: float | None, benchmark: float | None,
                            intensity_prev: float | None, green_share: float | None) -> dict[str, float] | None:
    """The highest intensity [tCO2 / 10k CNY] below the current one that reaches grade ``grade − 1``, and the
    reduction it takes [fraction]; None when none does (or intensity is not rated, or grade 1)."""
    if grade <= 1 or intensity is None or intensity <= 0:
        return None
    candidates = set()
    if benchmark:
        candidates |= {cut * benchmark for cut, _ in scales.intensity_cuts}
    if intensity_prev:
        candidates |= {(1 + cut) * intensity_prev for cut, _ in scales.reduction_cuts}
    for target in sorted((c for c in candidates if 0 <= c < intensity), reverse=True):
        score, new_grade = score_of(scales, intensity=target, benchmark=benchmark, intensity_prev=intensity_prev,
                                    green_share=green_share)
        if 0 < new_grade < grade:
            return {"intensity": target, "reduction": 1 - target / intensity, "score": score, "grade": new_grade}
    return None
