"""`dianta factors` (INTERFACE.md "Green power…"): the factor table of a profile, through real `dianta` processes.
It opens no store: ``--db`` points at a folder that is never made."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_cli import dianta

FIELDS = ["year", "kind", "area", "technology", "value_kg_per_kwh", "unit", "announcement", "announcement_no",
          "published_on", "source"]


def test_json_lists_the_table_of_the_default_profile(tmp_path: Path):
    rows = json.loads(dianta("factors", "--format", "json", db=tmp_path / "none").stdout)
    assert len(rows) == 141 and all(list(r)[:10] == FIELDS for r in rows)
    assert {r["status"] for r in rows} == {"confirmed", "single-source"}
    residual = [r for r in rows if r["kind"] == "excl_market_nonfossil"]
    assert [(r["year"], r["value_kg_per_kwh"], r["announcement_no"]) for r in residual] == [
        (2021, 0.5942, "公告2024年第12号"), (2022, 0.5856, "公告2024年第33号"), (2023, 0.6096, "公告2025年第47号")]
    assert not (tmp_path / "none").exists()


def test_filters(tmp_path: Path):
    (qinghai,) = json.loads(dianta("factors", "--year", "2023", "--area", "630000", "--format", "json",
                                   db=tmp_path).stdout)
    assert qinghai == {"year": 2023, "kind": "average", "area": "630000", "technology": None,
                       "value_kg_per_kwh": 0.1796, "unit": "kgCO2/kWh",
                       "announcement": "关于发布2023年电力二氧化碳排放因子的公告",
                       "announcement_no": "公告2025年第47号", "published_on": "2025-12-31",
                       "source": "https://www.mee.gov.cn/xxgk2018/xxgk/xxgk01/202512/t20251231_1139517.html",
                       "status": "confirmed"}
    footprint = json.loads(dianta("factors", "--kind", "footprint", "--year", "2024", "--format", "json",
                                  db=tmp_path).stdout)
    assert len(footprint) == 11 and {r["unit"] for r in footprint} == {"kgCO2e/kWh"}
    assert next(r for r in footprint if r["technology"] == "wind")["value_kg_per_kwh"] == 0.0324
    grids = json.loads(dianta("factors", "--year", "2022", "--kind", "average", "--format", "json", db=tmp_path).stdout)
    assert len(grids) == 38  # national, 7 grids, 30 provinces
    none = dianta("factors", "--year", "1999", "--format", "json", db=tmp_path)
    assert json.loads(none.stdout) == [] and "因子表中没有符合这些选项的因子" in none.stderr


def test_csv_and_the_table_of_another_profile(tmp_path: Path):
    old = tmp_path / "old.toml"
    default = Path(__file__).parents[1] / "src/dianta/reference/profiles/default.toml"
    old.write_text(default.read_text(encoding="utf-8").replace('id = "default"', 'id = "old"').replace(
        'factor_table = "china-electricity-factors-2025-12-31"', 'factor_table = "mee-nbs-electricity-co2"'),
        encoding="utf-8")
    out = dianta("factors", "--profile", str(old), "--format", "csv", "--year", "2021", db=tmp_path).stdout
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert [(r["kind"], r["value_kg_per_kwh"], r["announcement_no"]) for r in rows] == [
        ("average", "0.5568", ""), ("fossil_only", "0.8426", "")]  # the earlier table: no 2021 residual
    assert list(rows[0])[:10] == FIELDS


def test_a_table_with_chinese_and_english_headers(tmp_path: Path):
    out = dianta("factors", "--profile", "provincial", "--area", "540000", db=tmp_path)
    assert "no factor of the table matches" in out.stderr  # Tibet has no published factor
    out = dianta("factors", "--area", "southwest", "--year", "2023", db=tmp_path).stdout
    assert "因子值" in out and "Value" in out and "公告文号" in out and "Announcement number" in out
    assert "0.2472" in out and "公告2025年第47号" in out and "china-electricity-factors-2025-12-31" in out


@pytest.mark.parametrize(("args", "en", "zh"), [
    (["--year", "20x3"], "--year '20x3': give a year as YYYY", "请按 YYYY 给出年份"),
    (["--kind", "residual"], "--kind 'residual': choose one of average, excl_market_nonfossil", "中选择"),
    (["--area", "mars"], "--area 'mars': give national, a regional grid", "6 位 GB/T 2260 省级代码"),
    (["--format", "xml"], "--format 'xml': choose one of json, csv", "请从 json、csv 中选择"),
    (["--profile", "nonesuch"], "--profile 'nonesuch': give a shipped profile id (default, hourly, provincial)",
     "随附配置的编号"),
])
def test_bad_option_values_are_usage_errors(args: list[str], en: str, zh: str, tmp_path: Path):
    proc = dianta("factors", *args, db=tmp_path, check=2)
    assert en in proc.stderr and zh in proc.stderr and "Traceback" not in proc.stderr
