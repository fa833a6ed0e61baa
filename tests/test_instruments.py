"""GREEN-POWER.md §9: certificate validity, bundled backing and the market boundary, worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from dianta.calc.instruments import (
    bundled_shortfall,
    certificate_valid_until,
    in_market_boundary,
    retired_within_validity,
)
from dianta.reference.tables import regional_grid


def test_validity_ends_on_the_last_day_of_the_24th_month_after_production():
    assert certificate_valid_until(["2024-03", "2023-12", "2024-02"], 24).astype(str).tolist() == [
        "2026-03-31", "2025-12-31", "2026-02-28"]
    assert retired_within_validity(["2024-03", "2024-03"], ["2026-03-31", "2026-04-01"], 24).tolist() == [True, False]


def test_bundled_shortfall_beyond_the_tolerance_only():
    # 10,000 kWh settled: 9.9 MWh bundled is 1 % short (not beyond 1 %), 9.8 MWh is 2 % short
    assert bundled_shortfall([10_000, 10_000, 10_000, 0], [9.9, 9.8, 12, 0], 0.01).tolist() == [
        False, True, False, False]


def test_regional_grids_of_provinces_and_split_inner_mongolia():
    assert regional_grid("630102") == "northwest"  # Xining, Qinghai
    assert regional_grid("320000") == "east"
    assert regional_grid("150400") == "northeast"  # Chifeng: Inner Mongolia east
    assert regional_grid("150100") == "north"  # Hohhot
    assert regional_grid("540000") == "southwest"  # Tibet
    assert regional_grid("810000") is None


def test_market_boundary():
    plants = ["630000", "620000", "320000", None]
    ents = ["630100"] * 4
    grid = {c: regional_grid(c) for c in [*(p for p in plants if p), *ents]}
    assert in_market_boundary(plants, ents, "national", grid).tolist() == [True] * 4
    assert in_market_boundary(plants, ents, "regional_grid", grid).tolist() == [True, True, False, False]
    assert in_market_boundary(plants, ents, "province", grid).tolist() == [True, False, False, False]
    with pytest.raises(ValueError):
        in_market_boundary(plants, ents, "global", grid)
    assert np.asarray(in_market_boundary([], [], "province", grid)).size == 0
