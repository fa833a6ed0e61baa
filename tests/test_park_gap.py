"""What would close a park's gap (GREEN-POWER.md §10, issue 16): the pooled hourly shortfall by hour band and the
storage that would shift the day's surplus into its later shortfall hours (calc/parks.py), through the real ledger
and engine for the park account, and the profile's ``[parks]`` rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import write_table
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from test_parks import ENTERPRISES, MEMBERS, A, B, C, supplier_batch, worked_batch

from dianta.accounts.compute import compute_year
from dianta.accounts.export import PARK_FIELDS, render
from dianta.calc import parks as calc
from dianta.errors import ReferenceDataError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reference.profile import load_profile

BANDS = [(0, 6), (6, 10), (10, 16), (16, 22), (22, 24)]  # the shipped profiles' bands


def _day(**hours: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """One day's (load, green) [kWh] with the given ``h12=(L, G)`` hours, 0 elsewhere."""
    load, green = np.zeros(24), np.zeros(24)
    for key, (lo, gr) in hours.items():
        load[int(key[1:])], green[int(key[1:])] = lo, gr
    return load, green


# the worked example: hours 0–5 L 100, G 0 (night shortfall 600 before any surplus); 12:00 L 100, G 500 (surplus
# 400); 13:00 L 100, G 300 (surplus 200); 18:00 L 400 (shortfall 400); 20:00 L 300 (300); 23:00 L 50 (50); η 0.8
WORKED = _day(h0=(100, 0), h1=(100, 0), h2=(100, 0), h3=(100, 0), h4=(100, 0), h5=(100, 0), h12=(100, 500),
              h13=(100, 300), h18=(400, 0), h20=(300, 0), h23=(50, 0))


def test_shortfall_by_band_worked_example():
    """Bands: night 0–6 6 × 100 = 600 kWh = 0.6 MWh; morning 0; midday 0 (12 and 13 have surplus); evening peak 16–22
    400 + 300 = 0.7 MWh; late evening 22–24 50 kWh = 0.05 MWh; the sum 1.35 MWh = Σ max(L − G, 0) / 1000."""
    load, green = WORKED
    bands = calc.shortfall_by_band_mwh(load[None], green[None], np.arange(24), calc.band_of_hour(BANDS), 5)
    assert_allclose(bands, [[0.6, 0.0, 0.0, 0.7, 0.05]], atol=1e-12)


def test_storage_worked_example():
    """η 0.8: the store gains 0.8 × 400 = 320 at 12:00 and 0.8 × 200 = 160 at 13:00 (480); 18:00 discharges 400
    (80 left), 20:00 the last 80, 23:00 nothing: covered 480 kWh = 600 × 0.8, the night's 600 came before any
    surplus. Shortfall 600 + 400 + 300 + 50 = 1,350, remaining 1,350 − 480 = 870 kWh.
    Least store (backward from 23:00, N = 0): N_20..22 = 0; N_19 = N_18 = 0 + 80 = 80; N_13..17 = 80 + 400 = 480;
    N_12 = max(480 − 160, 0) = 320, charge at 13:00 (480 − 320) / 0.8 = 200; N_11 = max(320 − 320, 0) = 0, charge at
    12:00 320 / 0.8 = 400. Capacity max N = 480 kWh = 0.48 MWh; power max(400, 200 charged; 400, 80 discharged)
    = 400 kW = 0.4 MW."""
    load, green = WORKED
    out = calc.storage_to_close_gap(load, green, 0.8)
    assert_allclose([out[k][0] for k in ("surplus_mwh", "shortfall_mwh", "covered_mwh", "energy_mwh", "power_mw",
                                          "remaining_mwh")], [0.6, 1.35, 0.48, 0.48, 0.4, 0.87], atol=1e-12)


def test_storage_smaller_than_the_surplus_when_the_shortfall_is_small():
    """Only 18:00 short (200 kWh), surplus as above: covered 200; N_13..17 = 200, N_12 = max(200 − 160, 0) = 40,
    charge 13:00 (200 − 40) / 0.8 = 200, 12:00 40 / 0.8 = 50: capacity 0.2 MWh, power max(200, 50, 200) = 0.2 MW,
    remaining 0."""
    load, green = _day(h12=(100, 500), h13=(100, 300), h18=(200, 0))
    out = calc.storage_to_close_gap(load, green, 0.8)
    assert_allclose([out[k][0] for k in ("covered_mwh", "energy_mwh", "power_mw", "remaining_mwh")],
                    [0.2, 0.2, 0.2, 0.0], atol=1e-12)


def test_no_energy_is_carried_to_the_next_day():
    """Surplus 1,000 at 12:00 of day 1, shortfall 500 at 02:00 of day 2: the store starts each day empty, so nothing
    is covered (a store that kept it overnight is another thing: the issue asks the same day)."""
    load, green = np.zeros(48), np.zeros(48)
    green[12], load[26] = 1000, 500
    out = calc.storage_to_close_gap(load, green, 1.0)
    assert_allclose([out["covered_mwh"][0], out["energy_mwh"][0], out["remaining_mwh"][0]], [0.0, 0.0, 0.5])


def test_bad_shapes_and_efficiency_are_refused():
    with pytest.raises(ValueError, match="days × 24"):
        calc.storage_to_close_gap(np.zeros(25), np.zeros(25), 0.8)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        calc.storage_to_close_gap(np.zeros(24), np.zeros(24), 0.0)
    with pytest.raises(ValueError, match="leave hours"):
        calc.band_of_hour([(0, 6), (7, 24)])


_kwh = st.floats(0, 5_000, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(_kwh, min_size=96, max_size=96), st.lists(_kwh, min_size=96, max_size=96), st.floats(0.05, 1.0))
def test_storage_and_band_invariants(load_l: list[float], green_l: list[float], eta: float):
    """covered ≤ surplus × η, covered ≤ the shortfall, remaining ≥ 0, remaining + covered = the shortfall, the capacity
    at most what is covered; the bands sum to the shortfall map's sum (pooled_hourly); a better η covers no less."""
    load, green = np.array(load_l).reshape(2, 48), np.array(green_l).reshape(2, 48)
    out = calc.storage_to_close_gap(load, green, eta)
    tol = 1e-9 * (1 + load.sum() + green.sum())
    assert np.all(out["covered_mwh"] <= out["surplus_mwh"] * eta + tol)
    assert np.all(out["covered_mwh"] <= out["shortfall_mwh"] + tol)
    assert np.all(out["remaining_mwh"] >= 0)
    assert_allclose(out["remaining_mwh"] + out["covered_mwh"], out["shortfall_mwh"], atol=tol)
    assert np.all(out["energy_mwh"] <= out["covered_mwh"] + tol) and np.all(out["power_mw"] >= 0)
    better = calc.storage_to_close_gap(load, green, min(1.0, eta + 0.1))
    assert np.all(better["covered_mwh"] >= out["covered_mwh"] - tol)
    hod, month = np.tile(np.arange(24), 2), np.full(48, 3)
    bands = calc.shortfall_by_band_mwh(load, green, hod, calc.band_of_hour(BANDS), 5)
    hourly = calc.pooled_hourly(load, green, month, hod, [True, True])
    assert_allclose(bands.sum(axis=1), hourly["shortfall_map_mwh"].sum(axis=(1, 2)), atol=tol)
    assert_allclose(bands.sum(axis=1), out["shortfall_mwh"], atol=tol)


# -- through the ledger ------------------------------------------------------------------------------------------

def test_park_account_carries_the_gap(tmp_path: Path):
    """The supplier park of tests/test_parks.py (S: 1,000 kWh at 12:00 of 15 March, 500 charged into its battery, 400
    back at 20:00; member B: 1,000 kWh at 20:00): pooled L = (0 at 12:00, 1,000 at 20:00), G = (500, 400).
    Bands: the one short hour 20:00 is in the evening peak (16–22): 0.6 MWh, others 0. Storage (η 0.85 of the
    default profile): surplus 500 at 12:00 → 425 into the store, 20:00 takes 425 of its 600 short: covered 0.425 MWh,
    capacity 0.425 MWh, power max(500 charged, 425 discharged) = 0.5 MW, remaining 0.6 − 0.425 = 0.175 MWh."""
    store = Store(tmp_path / "store")
    try:
        assert ingest_batch(store, supplier_batch(tmp_path / "batch")).status == "applied"
        [park] = compute_year(store, 2023).parks
    finally:
        store.close()
    assert park["hour_bands"] == {"night": [0, 6], "morning": [6, 10], "midday": [10, 16], "evening_peak": [16, 22],
                                  "late_evening": [22, 24]}
    assert_allclose(list(park["shortfall_by_band_mwh"].values()), [0, 0, 0, 0.6, 0], atol=1e-12)
    gap = park["gap_storage"]
    assert gap is not None and gap["round_trip_efficiency"] == 0.85
    assert_allclose([gap["surplus_mwh"], gap["shortfall_mwh"], gap["covered_mwh"], gap["energy_mwh"], gap["power_mw"],
                     gap["remaining_mwh"]], [0.5, 0.6, 0.425, 0.425, 0.5, 0.175], atol=1e-12)
    # the export: JSON has the objects, CSV flattens them with dotted names
    head, row = render([park], "csv", PARK_FIELDS).decode("utf-8-sig").splitlines()[:2]
    cells = dict(zip(head.split(","), row.split(","), strict=True))
    assert cells["shortfall_by_band_mwh.evening_peak"] == "0.6" and cells["gap_storage.covered_mwh"] == "0.425"
    assert float(cells["gap_storage.remaining_mwh"]) == pytest.approx(0.175)


def test_gap_is_null_when_the_hourly_figures_are(tmp_path: Path):
    """A member with monthly data only (3,000 of 5,000 kWh: uncovered 0.6 > 0.10): no hourly figures, no gap."""
    folder = worked_batch(tmp_path / "batch")
    write_table(folder, "enterprises", ENTERPRISES, [(A, "园区甲", "C3216", "630100"), (B, "园区乙", "C3216", "630100"),
                                                     (C, "园区丙", "C3216", "630100")])
    write_table(folder, "park_members", MEMBERS, [("PK", A, "", ""), ("PK", B, "", ""), ("PK", C, "", "")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [("MA", A), ("MB", B), ("MC", C)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"], [("MC", "2023-03", 3000)])
    store = Store(tmp_path / "store")
    try:
        assert ingest_batch(store, folder).status == "applied"
        [park] = compute_year(store, 2023).parks
    finally:
        store.close()
    assert park["cfe_score"] is None
    assert park["hour_bands"] is None and park["shortfall_by_band_mwh"] is None and park["gap_storage"] is None


def _profile_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "p.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "match"), [
    ('["late_evening", 22, 24]', '["late_evening", 22, 23]', "from hour 0 to 24"),
    ('["morning", 6, 10]', '["morning", 7, 10]', "without gap or overlap"),
    ('["night", 0, 6]', '["dawn", 0, 6]', "not dawn"),
    ('["midday", 10, 16]', '["night", 10, 16]', "each band once"),
    ("storage_round_trip_efficiency = 0.85", "storage_round_trip_efficiency = 1.2", r"\(0, 1\]"),
])
def test_profile_bands_and_efficiency_are_checked(tmp_path: Path, old: str, new: str, match: str):
    with pytest.raises(ReferenceDataError, match=match) as err:
        load_profile(_profile_with(tmp_path, old, new))
    assert err.value.message_zh and "方法学配置" in err.value.message_zh


def test_every_shipped_profile_has_the_bands():
    from dianta.reference.profile import shipped_profile_ids

    for pid in shipped_profile_ids():
        p = load_profile(pid)
        assert [b[0] for b in p.hour_bands] == ["night", "morning", "midday", "evening_peak", "late_evening"], pid
        assert p.storage_round_trip_efficiency == 0.85


def test_an_account_published_before_the_gap_still_reads():
    """Park accounts published before issue 16 lack the new fields; the record type marks them NotRequired."""
    from dianta.accounts.record import ParkAccount

    assert {"hour_bands", "shortfall_by_band_mwh", "gap_storage", "verification_code"} <= ParkAccount.__optional_keys__
