"""GB/T 2260 administrative levels of a region code: worked examples."""

from numpy.testing import assert_array_equal

from dianta.calc import regions


def test_province_and_prefecture_of_a_county_code():
    # 630102 西宁市城中区: province 630000 青海省, prefecture 630100 西宁市
    assert regions.province_code("630102") == "630000"
    assert regions.prefecture_code("630102") == "630100"


def test_many_codes_at_once():
    assert_array_equal(regions.prefecture_code(["630102", "110105", "630100"]), ["630100", "110100", "630100"])
    assert_array_equal(regions.province_code(("630102", "110105")), ["630000", "110000"])
