"""Peers and trend over published accounts (issue 17: an account's place in its benchmark group, METHODOLOGY.md
§7b, and its figures year on year).

Rank convention: rank 1 = the best; for intensity [tCO2/10k CNY] lower is better, for score [0–100] and green share
[fraction 0–1] higher is better. Ties share the best rank of their run (standard competition ranking, "1224"): the
rank is 1 + the number of distribution members strictly better.

Percentile: the share of the *other* members of the distribution this account does better than, a tie counting
half: ``(worse + ½ · tied) / others`` [fraction 0–1]; 1 = better than every other, 0 = worse than every other,
0.5 = the middle. An account does not compare with itself; an account outside the distribution (e.g. an intensity
on revenue, §7b) is placed against all of its members. Undefined (NaN) without another member.

Null values (NaN) are excluded from the distribution and from ranking, and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PeerRanks:
    """Per account of the group: its rank (0 = not ranked: a null value) and percentile (NaN: not ranked or no
    other member); ``size`` members form the distribution, ``excluded`` accounts of the group have a null value or
    are outside it (``member`` false)."""

    rank: I64
    percentile: F
    size: int
    excluded: int
    distribution: F  # the members' values, sorted best first


def peer_ranks(values: ArrayLike, *, higher_is_better: bool, member: ArrayLike | None = None) -> PeerRanks:
    """Rank [1 = best] and percentile [fraction 0–1] of every account of a peer group by ``values`` (one element
    per account, NaN = null), in the module's convention. ``member``: which accounts form the distribution (default
    all); a non-member with a value is placed against it."""
    v = np.asarray(values, dtype=float).reshape(-1)
    m = np.ones(v.shape, dtype=bool) if member is None else np.asarray(member, dtype=bool).reshape(-1)
    valued = ~np.isnan(v)
    forming = valued & m
    # on a "higher is better" scale, sorted ascending
    scaled = v if higher_is_better else -v
    ascending = np.sort(scaled[forming])
    n = ascending.size
    worse = np.searchsorted(ascending, scaled, side="left")
    better = n - np.searchsorted(ascending, scaled, side="right")
    itself = forming.astype(np.int64)
    tied = n - worse - better - itself
    others = n - itself
    with np.errstate(divide="ignore", invalid="ignore"):
        percentile = np.where(valued & (others > 0), (worse + 0.5 * tied) / np.where(others > 0, others, 1), np.nan)
    rank = np.where(valued, 1 + better, 0).astype(np.int64)
    best_first = ascending[::-1] if higher_is_better else -ascending[::-1]
    return PeerRanks(rank, percentile.astype(float), int(n), int(v.size - n), best_first.astype(float))


def year_on_year(years: ArrayLike, values: ArrayLike, *, relative: bool) -> F:
    """The change of each year's value against the value of the calendar year before (NaN when that year is not on
    record or either value is null): ``relative`` → ``v / v_prev − 1`` [fraction] (NaN when ``v_prev`` = 0, e.g.
    intensity and emissions), else ``v − v_prev`` [the values' unit] (score points, grade steps, share points)."""
    y = np.asarray(years, dtype=np.int64).reshape(-1)
    v = np.asarray(values, dtype=float).reshape(-1)
    if y.size == 0:
        return np.zeros(0)
    order = np.argsort(y, kind="stable")
    ys, vs = y[order], v[order]
    at = np.minimum(np.searchsorted(ys, y - 1), ys.size - 1)
    found = ys[at] == y - 1
    prev = np.where(found, vs[at], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        if relative:
            return np.where(found & (prev != 0), v / np.where(prev != 0, prev, 1.0) - 1.0, np.nan).astype(float)
        return np.where(found, v - prev, np.nan).astype(float)
