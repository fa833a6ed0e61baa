"""Peers and trend (calc/peers.py, issue 17): worked examples computed by hand, and properties."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from dianta.calc.peers import peer_ranks, year_on_year


def test_five_firm_group_intensity_with_a_tie_and_a_null():
    # firms P, Q, R, S, T; intensity [tCO2/10k CNY] 0.5, 0.3, null, 0.5, 0.9; lower is better
    # distribution (R left out, counted): 0.3 (Q), 0.5 (P), 0.5 (S), 0.9 (T): size 4, excluded 1
    # ranks: Q 1; P and S tie at 2 (one better); T 4 (three better); R not ranked (0)
    # percentile = (worse + ½ tied) / others, others = 3: Q 3/3 = 1; P (1 + ½·1)/3 = 0.5; S 0.5; T 0/3 = 0
    r = peer_ranks([0.5, 0.3, np.nan, 0.5, 0.9], higher_is_better=False)
    assert_array_equal(r.rank, [2, 1, 0, 2, 4])
    assert_allclose(r.percentile, [0.5, 1.0, np.nan, 0.5, 0.0])
    assert (r.size, r.excluded) == (4, 1)
    assert_allclose(r.distribution, [0.3, 0.5, 0.5, 0.9])  # best first


def test_five_firm_group_score_higher_is_better():
    # scores 80, 46.667, 20, 73.333, 73.333 (the province's A–E, tests/province.py); higher is better
    # ranks: 80 -> 1; the two 73.333 -> 2; 46.667 -> 4; 20 -> 5 (competition ranking "12245")
    # percentile, others = 4: 80 4/4 = 1; 46.667 1/4 = 0.25; 20 0; 73.333 (2 + ½·1)/4 = 0.625
    r = peer_ranks([80, 140 / 3, 20, 220 / 3, 220 / 3], higher_is_better=True)
    assert_array_equal(r.rank, [1, 4, 5, 2, 2])
    assert_allclose(r.percentile, [1.0, 0.25, 0.0, 0.625, 0.625])
    assert_allclose(r.distribution, [80, 220 / 3, 220 / 3, 140 / 3, 20])


def test_an_account_outside_the_distribution_is_placed_against_it():
    # §7b: an intensity on revenue is rated against the benchmark but never forms it. Members 0.3, 0.5, 0.5, 0.9;
    # the outsider 0.1 beats all four: rank 1, percentile 4/4 = 1; an outsider at 0.5: one better -> rank 2,
    # worse 1, tied 2, others 4 (it does not count itself) -> (1 + ½·2)/4 = 0.5
    r = peer_ranks([0.3, 0.5, 0.5, 0.9, 0.1, 0.5], higher_is_better=False,
                   member=[True, True, True, True, False, False])
    assert_array_equal(r.rank, [1, 2, 2, 4, 1, 2])
    assert_allclose(r.percentile, [1.0, 0.5, 0.5, 0.0, 1.0, 0.5])
    assert (r.size, r.excluded) == (4, 2)


def test_a_lone_member_has_no_percentile():
    r = peer_ranks([0.4, np.nan], higher_is_better=False)
    assert_array_equal(r.rank, [1, 0])
    assert np.isnan(r.percentile).all()


def test_year_on_year_only_against_the_calendar_year_before():
    # 2021 0.8, 2022 0.6, 2024 0.3 (2023 not on record), 2025 null:
    # relative 2022: 0.6/0.8 − 1 = −0.25; 2024 none (no 2023); 2025 null; difference 2022: −0.2
    years, values = [2024, 2021, 2022, 2025], [0.3, 0.8, 0.6, np.nan]
    assert_allclose(year_on_year(years, values, relative=True), [np.nan, np.nan, -0.25, np.nan])
    assert_allclose(year_on_year(years, values, relative=False), [np.nan, np.nan, -0.2, np.nan])
    assert_allclose(year_on_year([2022, 2023], [0.0, 5.0], relative=True), [np.nan, np.nan])  # from zero: undefined
    assert year_on_year([], [], relative=True).size == 0


values_st = st.lists(st.one_of(st.none(), st.integers(0, 6).map(lambda i: i / 4),
                               st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=30)


@given(values_st, st.booleans())
def test_percentile_in_unit_interval_and_rank_follows_the_order(raw, higher):
    v = np.array([np.nan if x is None else x for x in raw], dtype=float)
    r = peer_ranks(v, higher_is_better=higher)
    valued = ~np.isnan(v)
    assert r.size == valued.sum() and r.excluded == (~valued).sum()
    assert (r.rank[~valued] == 0).all() and np.isnan(r.percentile[~valued]).all()
    p = r.percentile[valued]
    if r.size > 1:
        assert ((p >= 0) & (p <= 1)).all()
    else:
        assert np.isnan(p).all()  # no other member: undefined
    idx = np.flatnonzero(valued)
    for i in idx:
        for j in idx:
            better = v[i] > v[j] if higher else v[i] < v[j]
            if better:
                assert r.rank[i] < r.rank[j] and r.percentile[i] > r.percentile[j]
            elif v[i] == v[j]:
                assert r.rank[i] == r.rank[j]
                assert_allclose(r.percentile[i], r.percentile[j])
    # the best has rank 1; the ranks are 1 + the number strictly better
    if idx.size:
        assert r.rank[idx].min() == 1
    # percentiles of a group sum to half of its size (each pair shares one win)
    if r.size > 1:
        assert_allclose(np.nansum(r.percentile), r.size / 2)
