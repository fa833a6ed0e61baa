"""Group figures over accounts (programme statistics §8, portfolios): worked examples."""

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from dianta.calc import groups


def test_group_index_sorts_keys():
    labels, index = groups.group_index(["C", "A", "C", "B"])
    assert labels == ["A", "B", "C"]
    assert_array_equal(index, [2, 0, 2, 1])


def test_group_sum_treats_missing_as_nothing():
    labels, index = groups.group_index(["x", "y", "x"])
    assert_allclose(groups.group_sum(index, len(labels), [1.5, 2.0, np.nan]), [1.5, 2.0])


def test_kwh_weighted_green_share_is_not_a_mean_of_shares():
    # group x: (300,000 + 0) / (1,140,000 + 860,000) = 0.15, not the mean of 0.263 and 0; group y has no kWh
    labels, index = groups.group_index(["x", "x", "y"])
    share = groups.group_green_share(index, len(labels), [300_000, 0, 0], [1_140_000, 860_000, 0])
    assert_allclose(share, [0.15, np.nan])


def test_group_intensity_over_members_with_a_value():
    # (512.064 + 100) t / (1000 + 500) 10k CNY = 0.408042...; the member without V or without emissions is left out
    labels, index = groups.group_index(["g"] * 4)
    intensity = groups.group_intensity(index, len(labels), [512.064, 100, 999, np.nan], [1000, 500, 0, 700])
    assert_allclose(intensity, [612.064 / 1500])
    _, one = groups.group_index(["g"])
    assert_allclose(groups.group_intensity(one, 1, [5.0], [0.0]), [np.nan])  # no value: not defined
