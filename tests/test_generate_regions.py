"""``write_interval_benchmark(..., first_enterprise=...)``: the regions of bench/bench_province.py share no credit
code or meter id, their codes are valid, and the default stays as it was."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from stdnum.cn import uscc

from dianta.demo.generate import MAX_BLOCK_ENTERPRISES, write_interval_benchmark
from dianta.errors import UsageError


def _column(folder: Path, table: str, column: str) -> list[str]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as f:
        return [row[column] for row in csv.DictReader(f)]


def test_regions_share_no_identifier(tmp_path: Path):
    codes: list[str] = []
    meters: list[str] = []
    for k in range(3):  # adjacent blocks of 25 enterprises, each with its own seed
        folder = write_interval_benchmark(tmp_path / f"r{k}", n_enterprises=25, year=2023, seed=100 + k,
                                          first_enterprise=25 * k)
        codes += _column(folder, "enterprises", "credit_code")
        meters += _column(folder, "meters", "meter_id")
    assert len(codes) == len(set(codes)) == 75 and all(uscc.is_valid(c) for c in codes)
    assert len(meters) == len(set(meters)) == 75 and all(len(m) == 13 and m.startswith("6300") for m in meters)


def test_default_draws_unchanged(tmp_path: Path):
    a = write_interval_benchmark(tmp_path / "a", n_enterprises=20, year=2023, seed=7)
    b = write_interval_benchmark(tmp_path / "b", n_enterprises=20, year=2023, seed=7, first_enterprise=None)
    for name in ("enterprises.csv", "meters.csv", "interval_readings.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_block_out_of_range(tmp_path: Path):
    with pytest.raises(UsageError):
        write_interval_benchmark(tmp_path, n_enterprises=10, year=2023, first_enterprise=MAX_BLOCK_ENTERPRISES - 5)
