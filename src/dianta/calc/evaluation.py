"""Evaluation (碳效评价): benchmarks, aspect scores, score, grade and label, METHODOLOGY.md §7b.

Thresholds and weights come from the methodology profile. Ratios are rounded to 10 decimals before
they are compared with cut points, so that e.g. ``0.9 / 1.0 − 1`` counts as exactly −10 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
_DECIMALS = 10


@dataclass(frozen=True, slots=True)
class Benchmarks:
    """Per account: the benchmark group (division, section or None), its size and value [tCO2/10k CNY]."""

    group: list[str | None]
    size: NDArray[np.int64]
    value: F


def industry_benchmarks(industry_code: list[str], emissions_t: ArrayLike, value_10k_cny: ArrayLike,
                        basis_is_value_added: ArrayLike, *, min_group_size: int,
                        table: dict[str, float]) -> Benchmarks:
    """Industry benchmark of each account (METHODOLOGY.md §7b).

    The aggregate intensity ``Σ emissions_t / Σ V`` of the accounts of the same GB/T 4754 division (letter +
    2 digits) whose V is value added and > 0, the rated account included, when there are at least
    ``min_group_size`` of them; else the same over the section (letter); else the profile's ``table`` (by
    division, then section; size 0); else not rated (group None, value NaN).
    """
    e = np.asarray(emissions_t, dtype=float)
    v = np.asarray(value_10k_cny, dtype=float)
    member = np.asarray(basis_is_value_added, dtype=bool) & (v > 0) & ~np.isnan(e)
    divisions = [code[:3] for code in industry_code]
    sections = [code[:1] for code in industry_code]
    sums: dict[str, list[float]] = {}
    for key_list in (divisions, sections):
        for key, ok, ei, vi in zip(key_list, member, e, v, strict=True):
            if ok:
                acc = sums.setdefault(key, [0.0, 0.0, 0])
                acc[0] += ei
                acc[1] += vi
                acc[2] += 1
    groups: list[str | None] = []
    size = np.zeros(len(industry_code), dtype=np.int64)
    value = np.full(len(industry_code), np.nan)
    for i, (div, sec) in enumerate(zip(divisions, sections, strict=True)):
        for key in (div, sec):
            group = sums.get(key)
            if group is not None and group[2] >= min_group_size:
                groups.append(key)
                size[i], value[i] = group[2], group[0] / group[1]
                break
        else:
            fallback = div if div in table else sec if sec in table else None
            groups.append(fallback)
            if fallback is not None:
                value[i] = table[fallback]
    return Benchmarks(groups, size, value)


def intensity_ratio(intensity: ArrayLike, benchmark: ArrayLike) -> F:
    """``K = intensity / benchmark`` [–]; NaN (not rated) when either is missing or the benchmark is 0 (§7b)."""
    i = np.asarray(intensity, dtype=float)
    b = np.asarray(benchmark, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((b == 0) | np.isnan(b), np.nan, i / np.where(b == 0, 1.0, b))


def intensity_change(intensity: ArrayLike, intensity_prev: ArrayLike) -> F:
    """Year-on-year intensity change ``r = intensity / intensity_prev − 1`` [fraction]; NaN without a
    previous year or when ``intensity_prev = 0`` (§7b reduction aspect)."""
    i = np.asarray(intensity, dtype=float)
    p = np.asarray(intensity_prev, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((p == 0) | np.isnan(p), np.nan, i / np.where(p == 0, 1.0, p) - 1.0)


def score_at_most(x: ArrayLike, cuts: tuple[tuple[float, float], ...], otherwise: float) -> F:
    """Step score: the score of the first ``(bound, score)`` with ``x ≤ bound``, else ``otherwise``; NaN stays
    NaN. Used for the intensity aspect (x = K) and the reduction aspect (x = r), §7b."""
    a = np.round(np.asarray(x, dtype=float), _DECIMALS)
    out = np.full(a.shape, float(otherwise))
    for bound, score in reversed(cuts):
        out = np.where(a <= bound, score, out)
    return np.where(np.isnan(a), np.nan, out)


def score_at_least(x: ArrayLike, cuts: tuple[tuple[float, float], ...], otherwise: float) -> F:
    """Step score: the score of the first ``(bound, score)`` with ``x ≥ bound``, else ``otherwise``; NaN stays
    NaN. Used for the green aspect (x = green_share), §7b."""
    a = np.round(np.asarray(x, dtype=float), _DECIMALS)
    out = np.full(a.shape, float(otherwise))
    for bound, score in reversed(cuts):
        out = np.where(a >= bound, score, out)
    return np.where(np.isnan(a), np.nan, out)


def weighted_score(aspect_scores: ArrayLike, weights: ArrayLike) -> F:
    """Score = Σ wᵢ·sᵢ / Σ wᵢ over the rated aspects (§7b: an aspect that cannot be rated is left out and
    the remaining weights rescaled); NaN when no aspect is rated. ``aspect_scores`` is ``(n, k)``."""
    s = np.asarray(aspect_scores, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), s.shape)
    rated = ~np.isnan(s)
    wsum = np.where(rated, w, 0.0).sum(axis=-1)
    total = np.where(rated, w * np.nan_to_num(s), 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(wsum > 0, total / np.where(wsum > 0, wsum, 1.0), np.nan)


def grade(score: ArrayLike, grades: tuple[tuple[float, int, str], ...], otherwise: tuple[int, str]
          ) -> tuple[NDArray[np.int64], list[str | None]]:
    """Grade 1–5 and colour code from the score (§7b: ≥85 → 1 dark_green … else 5 red); 0/None when NaN."""
    s = np.round(np.asarray(score, dtype=float), _DECIMALS)
    out = np.full(s.shape, otherwise[0], dtype=np.int64)
    colours = np.full(s.shape, otherwise[1], dtype=object)
    for bound, g, colour in reversed(grades):
        hit = s >= bound
        out = np.where(hit, g, out)
        colours = np.where(hit, colour, colours)
    missing = np.isnan(s)
    out = np.where(missing, 0, out)
    return out, [None if m else str(c) for m, c in zip(missing, colours, strict=True)]


def next_step_at_least(x: ArrayLike, cuts: tuple[tuple[float, float], ...]) -> F:
    """The lowest step bound of ``cuts`` above ``x`` (the next higher score of :func:`score_at_least`), NaN
    when ``x`` already reaches the top step (§7b)."""
    v = np.asarray(x, dtype=float)
    bounds = np.array(sorted(b for b, _ in cuts), dtype=float)
    idx = np.searchsorted(bounds, v, side="right")
    return np.where(idx < len(bounds), bounds[np.minimum(idx, len(bounds) - 1)], np.nan)


def green_kwh_to_share(target_share: ArrayLike, kwh_total: ArrayLike, kwh_green: ArrayLike) -> F:
    """More green kWh (trades or certificates, which leave ``E_total`` unchanged) needed for
    ``green_share = E_green / E_total`` to reach ``target_share`` [kWh]: ``target × E_total − E_green``,
    at least 0 (§5 indicator 5)."""
    t, total, green = (np.asarray(a, dtype=float) for a in (target_share, kwh_total, kwh_green))
    return np.maximum(t * total - green, 0.0)
