"""The official factor table (METHODOLOGY.md §2): its content and provenance, the year and area fallbacks, the
shipped profiles that use it, and accounts computed with a provincial location factor (issue 15).

Worked example (test_provincial_profile_uses_the_province_factor), 2023, every enterprise 100,000 kWh from the
grid each month = 1,200,000 kWh; residual = national excl. market non-fossil 0.6096 kgCO2/kWh for all:
  J, Jiangsu (320102): EF_location = Jiangsu 2023 average 0.5827 -> C_loc = 1,200,000 × 0.5827 / 1000 = 699.24 t;
     C_mkt = 1,200,000 × 0.6096 / 1000 = 731.52 t.
  Q, Qinghai (630102): EF_location = Qinghai 2023 average 0.1796 -> C_loc = 1,200,000 × 0.1796 / 1000 = 215.52 t;
     green trade 200,000 kWh -> E_contract = 200,000, C_mkt = 1,000,000 × 0.6096 / 1000 = 609.6 t,
     green_reduction_t = 200,000 × 0.1796 / 1000 = 35.92 t.
  T, Tibet (540102): no Tibetan factor is published -> southwest grid 2023 average 0.2472, flag factor_area_fallback;
     C_loc = 1,200,000 × 0.2472 / 1000 = 296.64 t; C_mkt = 731.52 t.
  Under the default profile (national average 0.5306) every C_loc is 1,200,000 × 0.5306 / 1000 = 636.72 t and the
  market-based figures are the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import credit_code, write_table
from numpy.testing import assert_allclose

from dianta.accounts.compute import compute_year
from dianta.errors import MissingFactorError, ReferenceDataError
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store
from dianta.reference import tables
from dianta.reference.profile import load_profile, shipped_profile_ids
from dianta.reference.tables import FactorTable, regional_grids

TABLE = "china-electricity-factors-2025-12-31"
GRIDS = ("north", "northeast", "east", "central", "northwest", "south", "southwest")
URL_2021 = "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202404/t20240412_1070565.html"


@pytest.fixture(scope="module")
def table() -> FactorTable:
    return FactorTable.load(TABLE)


def test_the_table_holds_every_official_value(table: FactorTable):
    co2 = [f for f in table.factors if f.kind != "footprint"]
    provinces = {c for c in regional_grids() if c.endswith("0000")} - {"540000"}
    for year in (2021, 2022, 2023):
        areas = {f.area for f in co2 if f.year == year and f.kind == "average"}
        assert areas == {"national", *GRIDS, *provinces}  # the 30 provinces: every one but Tibet
        assert {(f.kind, f.area) for f in co2 if f.year == year and f.kind != "average"} == {
            ("excl_market_nonfossil", "national"), ("fossil_only", "national")}
    assert len(co2) == 3 * (1 + 7 + 30 + 2)
    footprint = [f for f in table.factors if f.kind == "footprint"]
    assert {f.unit for f in footprint} == {"kgCO2e/kWh"} and {f.unit for f in co2} == {"kgCO2/kWh"}
    assert len({f.factor_id for f in table.factors}) == len(table.factors) == 120 + 10 + 11
    assert all(f.announcement and f.published_on and f.status in ("confirmed", "single-source")
               for f in table.factors)
    assert all(f.announcement_no for f in table.factors if f.kind != "footprint")


def test_values_and_provenance_as_announced(table: FactorTable):
    residual_2021, fallback = table.select("excl_market_nonfossil", "national", 2021)
    assert not fallback and residual_2021.value_kg_per_kwh == 0.5942 and residual_2021.status == "single-source"
    assert residual_2021.announcement_no == "公告2024年第12号" and residual_2021.published_on == "2024-04-12"
    assert residual_2021.source == URL_2021 and residual_2021.factor_id == "excl_market_nonfossil:national:2021"
    assert table.select("average", "320000", 2023)[0].value_kg_per_kwh == 0.5827  # Jiangsu
    assert table.select("average", "630000", 2023)[0].value_kg_per_kwh == 0.1796  # Qinghai
    assert table.select("average", "630000", 2022)[0].announcement_no == "公告2024年第33号"
    coal = next(f for f in table.factors if f.factor_id == "footprint:national:coal:2024")
    assert (coal.value_kg_per_kwh, coal.unit, coal.technology, coal.announcement_no) == (
        0.924, "kgCO2e/kWh", "coal", None)
    # the 2023 footprint factors have no official URL in the table: the announcement names the source
    pv = next(f for f in table.factors if f.factor_id == "footprint:national:solar_pv:2023")
    assert pv.source == "关于发布2023年电力碳足迹因子数据的公告" and pv.value_kg_per_kwh == 0.0545


def test_the_earlier_table_stays_and_the_default_numbers_are_unchanged(table: FactorTable):
    old = FactorTable.load("mee-nbs-electricity-co2")
    assert len(old.factors) == 23 and old.factors[0].announcement_no is None
    for f in old.factors:
        assert table.select(f.kind, f.area, f.year)[0].value_kg_per_kwh == f.value_kg_per_kwh, f.factor_id
    # 2021 has no residual factor in the earlier table: that year was refused there, it is computable now
    with pytest.raises(MissingFactorError, match="'excl_market_nonfossil' for area 'national' in or before 2021"):
        old.select("excl_market_nonfossil", "national", 2021)


def test_each_regional_factor_lies_within_its_provinces(table: FactorTable):
    """The regional-grid division (codes/regional-grids.csv) against the published values: a regional factor is
    close to its provinces' generation-weighted mean, so it lies within their range, every year and grid."""
    members = {g: [c for c, grid in regional_grids().items() if grid == g and c.endswith("0000")] for g in GRIDS}
    assert sorted(c for cs in members.values() for c in cs) == sorted(c for c in regional_grids()
                                                                     if c.endswith("0000"))
    for year in (2021, 2022, 2023):
        for grid, provinces in members.items():
            values = [table.select("average", p, year)[0].value_kg_per_kwh for p in provinces if p != "540000"]
            assert min(values) <= table.select("average", grid, year)[0].value_kg_per_kwh <= max(values), (year, grid)


def test_area_fallback_takes_the_regional_grid_of_the_same_year_and_kind(table: FactorTable):
    tibet = table.choose("average", "540000", 2023)
    assert (tibet.factor.area, tibet.factor.year, tibet.factor.value_kg_per_kwh) == ("southwest", 2023, 0.2472)
    assert tibet.area_fallback and not tibet.year_fallback
    assert table.choose("average", "540000", 2021).factor.value_kg_per_kwh == 0.2113
    # 2024 has no factor anywhere: the southwest's 2023 value, both fallbacks
    later = table.choose("average", "540000", 2024)
    assert (later.factor.value_kg_per_kwh, later.year_fallback, later.area_fallback) == (0.2472, True, True)
    jiangsu = table.choose("average", "320000", 2024)  # a province with factors: its own latest year
    assert (jiangsu.factor.value_kg_per_kwh, jiangsu.year_fallback, jiangsu.area_fallback) == (0.5827, True, False)
    assert table.choose("average", "national", 2023) == (table.select("average", "national", 2023)[0], False, False)


def test_a_missing_factor_is_an_error_never_a_zero(table: FactorTable):
    with pytest.raises(MissingFactorError, match="'average' for area '810000' in or before 2023") as err:
        table.choose("average", "810000", 2023)  # Hong Kong: in no regional grid
    assert err.value.message_zh and "810000" in err.value.message_zh
    # no provincial nor regional residual mix is published: the area fallback does not reach the national one
    with pytest.raises(MissingFactorError, match="'excl_market_nonfossil' for area '540000'"):
        table.choose("excl_market_nonfossil", "540000", 2023)
    with pytest.raises(MissingFactorError, match="'average' for area 'national' in or before 2020"):
        table.choose("average", "national", 2020)


HEADER = ("year,kind,area,technology,area_name_zh,value,unit,announcement,announcement_no,published_on,official_url,"
          "status")


@pytest.mark.parametrize(("row", "reason"), [
    ("2023,average,national,,全国,0.5306,kgCO2e/kWh,A,N,2025-12-31,,confirmed", "unit 'kgCO2e/kWh' of kind 'average'"),
    ("2023,footprint,national,,全国,0.6205,kgCO2e/kWh,A,N,2025-01-17,,confirmed", "names its technology"),
    ("2023,average,national,,全国,0.5306,kgCO2/kWh,A,N,2025-12-31,,probable", "status 'probable'"),
    ("2023,average,national,,全国,-0.5,kgCO2/kWh,A,N,2025-12-31,,confirmed", "value -0.5"),
    ("2023,residual,national,,全国,0.6,kgCO2/kWh,A,N,2025-12-31,,confirmed", "kind 'residual'"),
    ("2023,average,national,,全国,0.5306,kgCO2/kWh,,N,2025-12-31,,confirmed", "names no source"),
])
def test_a_malformed_row_is_refused_with_its_row(row: str, reason: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "factors").mkdir()
    good = "2022,average,national,,全国,0.5366,kgCO2/kWh,A,N,2024-12-20,https://example.org/a,confirmed"
    table_id = f"bad-{abs(hash(row))}"
    (tmp_path / "factors" / f"{table_id}.csv").write_text(f"# test\n{HEADER}\n{good}\n{row}\n", encoding="utf-8")
    monkeypatch.setattr(tables, "HERE", tmp_path)
    with pytest.raises(ReferenceDataError, match="row 3 is malformed") as err:
        FactorTable.load(table_id)
    assert reason in str(err.value)


def test_a_repeated_factor_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "factors").mkdir()
    row = "2023,footprint,national,coal,燃煤,0.944,kgCO2e/kWh,A,N,2025-01-17,,single-source"
    (tmp_path / "factors" / "twice.csv").write_text(f"{HEADER}\n{row}\n{row}\n", encoding="utf-8")
    monkeypatch.setattr(tables, "HERE", tmp_path)
    with pytest.raises(ReferenceDataError, match="row 3 repeats the factor footprint:national:coal:2023"):
        FactorTable.load("twice")


def test_shipped_profiles():
    assert shipped_profile_ids() == ["default", "hourly", "provincial"]
    default, hourly, provincial = (load_profile(p) for p in ("default", "hourly", "provincial"))
    assert default.factor_table.table_id == hourly.factor_table.table_id == provincial.factor_table.table_id == TABLE
    assert (default.location.kind, default.location.area) == ("average", "national")
    assert (default.residual.kind, default.residual.area) == ("excl_market_nonfossil", "national")
    assert (default.market_method, hourly.market_method) == ("annual", "hourly")
    assert (provincial.location.kind, provincial.location.area) == ("average", "province")
    assert provincial.residual == default.residual
    # every other value is the default's
    for p in (hourly, provincial):
        same = {k: getattr(p, k) for k in p.__slots__ if k not in ("profile_id", "fingerprint", "location",
                                                                    "market_method")}
        assert same == {k: getattr(default, k) for k in same}


def test_a_footprint_factor_takes_no_role(tmp_path: Path):
    default = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
    profile = tmp_path / "footprint.toml"
    profile.write_text(default.read_text(encoding="utf-8").replace('kind = "average"', 'kind = "footprint"'),
                       encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="factors.location.kind 'footprint' is not a CO2 emission factor"):
        load_profile(profile)
    with pytest.raises(ReferenceDataError, match="default, hourly, provincial") as err:
        load_profile("nonesuch")
    assert err.value.message_zh and "nonesuch" in err.value.message_zh


J, Q, T = credit_code(1, "320102"), credit_code(2, "630102"), credit_code(3, "540102")
MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    root = tmp_path_factory.mktemp("provincial")
    folder = root / "batch"
    where = {J: "320102", Q: "630102", T: "540102"}
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(c, f"省级因子企业{i}", "C3216", r, "2022-01-01") for i, (c, r) in enumerate(where.items())])
    write_table(folder, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [(f"P{c[-4:]}", c, None, None) for c in where])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"P{c[-4:]}", m, 100_000) for c in where for m in MONTHS])
    write_table(folder, "green_trades", ["contract_id", "credit_code", "month", "kwh", "technology"],
                [("GT-Q", Q, "2023-04", 200_000, "solar")])
    # the trade's bundled certificates (证电合一, GREEN-POWER.md §9): 200 × 1 MWh = its 200,000 kWh
    write_table(folder, "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh", "technology",
                                               "retired_on", "bundled"],
                [(f"GEC-Q-{k:03d}", Q, "2023-04", 1, "solar", "2023-05-10", "true") for k in range(200)])
    s = Store(root / "store")
    assert ingest_batch(s, folder).status == "applied"
    yield s
    s.close()


def test_provincial_profile_uses_the_province_factor(store: Store):
    accounts = {a["credit_code"]: a for a in compute_year(store, 2023, profile="provincial").records}
    j, q, t = accounts[J], accounts[Q], accounts[T]
    assert [a["factors"]["location"]["area"] for a in (j, q, t)] == ["320000", "630000", "southwest"]
    assert [a["factors"]["location"]["value_kg_per_kwh"] for a in (j, q, t)] == [0.5827, 0.1796, 0.2472]
    assert {a["factors"]["location"]["announcement_no"] for a in (j, q, t)} == {"公告2025年第47号"}
    assert_allclose([a["emissions_location_t"] for a in (j, q, t)], [699.24, 215.52, 296.64])
    assert_allclose([a["emissions_market_t"] for a in (j, q, t)], [731.52, 609.6, 731.52])
    assert_allclose(q["green_reduction_t"], 35.92)
    assert [a["flags"] for a in (j, q, t)] == [[], [], ["factor_area_fallback"]]
    assert all(a["factors"]["residual"]["value_kg_per_kwh"] == 0.6096 for a in (j, q, t))
    assert {a["profile_id"] for a in (j, q, t)} == {"provincial"}


def test_default_profile_uses_the_national_factor(store: Store):
    accounts = compute_year(store, 2023).records
    assert_allclose([a["emissions_location_t"] for a in accounts], [636.72] * 3)
    assert_allclose(sorted(a["emissions_market_t"] for a in accounts), [609.6, 731.52, 731.52])
    assert all(a["flags"] == [] for a in accounts)


def test_2021_is_computable_with_the_2021_residual(tmp_path: Path):
    """METHODOLOGY.md §2: with the 2021 residual 0.5942, activity year 2021 is computed, not refused.
    One enterprise, 50,000 kWh a month in 2021 = 600,000 kWh: C_loc = 600,000 × 0.5568 / 1000 = 334.08 t,
    C_mkt = 600,000 × 0.5942 / 1000 = 356.52 t."""
    folder = tmp_path / "b"
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(J, "二〇二一企业", "C3216", "320102", "2020-01-01")])
    write_table(folder, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"], [("M21", J, None, None)])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"],
                [("M21", f"2021-{m:02d}", 50_000) for m in range(1, 13)])
    s = Store(tmp_path / "store")
    try:
        assert ingest_batch(s, folder).status == "applied"
        (acc,) = compute_year(s, 2021).records
    finally:
        s.close()
    assert_allclose([acc["emissions_location_t"], acc["emissions_market_t"]], [334.08, 356.52])
    assert acc["factors"]["residual"]["year"] == 2021 and acc["flags"] == []
    assert acc["factors"]["residual"]["source"] == URL_2021

