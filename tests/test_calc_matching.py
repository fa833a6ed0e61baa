"""METHODOLOGY.md §7 worked examples and properties."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dianta.calc import matching


def test_surplus_never_moves_between_hours():
    # load 40, 40, 40; green 100, 0, 20 -> matched 40 + 0 + 20 = 60 of 120 = 0.5, although annual green 120 ≥ 120
    load = np.array([40.0, 40, 40])
    green = np.array([100.0, 0, 20])
    m = matching.matched_kwh(load, green)
    assert_allclose(m, [40, 0, 20])
    assert_allclose(matching.cfe_score(m.sum(), load.sum()), 0.5)


def test_contract_share():
    assert_allclose(matching.share_of_contract([300, 100, 0], [400, 400, 0]), [0.75, 0.25, 0.0])


@given(st.lists(st.tuples(st.floats(0, 1e6, allow_subnormal=False), st.floats(0, 1e6, allow_subnormal=False)),
                min_size=1, max_size=50))
def test_cfe_is_a_fraction_and_at_most_annual_share(pairs):
    load = np.array([p[0] for p in pairs])
    green = np.array([p[1] for p in pairs])
    score = matching.cfe_score(matching.matched_kwh(load, green).sum(), load.sum())
    assert 0.0 <= score <= 1.0 + 1e-12
    # never above annual matching: score × ΣL ≤ ΣG
    assert score * load.sum() <= green.sum() * (1 + 1e-9) + 1e-300
