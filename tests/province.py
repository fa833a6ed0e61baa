"""A small hand-computed province: the fixture of the end-to-end tests (built by this script).

Eight enterprises; every expected number in test_accounts_worked.py is worked out by hand there.
Run ``python tests/province.py DIR`` to write the two batch folders for a look.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from conftest import credit_code, write_table

A, B, C, D, E, F, G, H = (credit_code(i) for i in range(1, 9))
INDUSTRY = {A: "C3216", B: "C3216", C: "C3217", D: "C3216", E: "C3216", F: "C3011", G: "I6450", H: "D4430"}
MONTHS_2022 = [f"2022-{m:02d}" for m in range(1, 13)]
MONTHS_2023 = [f"2023-{m:02d}" for m in range(1, 13)]
# 2023 monthly grid kWh (H has 15-minute data only)
MONTHLY_2023 = {A: [100_000] * 5 + [40_000] + [100_000] * 6, B: [50_000] * 12, C: [100_000] * 12,
                D: [25_000] * 12, E: [10_000] * 12, F: [200_000] * 12, G: [80_000] * 12}


def write_batch_2022(folder: Path) -> Path:
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code", "opened_on"],
                [(c, f"测试企业{i}", INDUSTRY[c], "630100", "2022-01-01") for i, c in enumerate(INDUSTRY)])
    write_table(folder, "meters", ["meter_id", "credit_code", "valid_from", "valid_to"],
                [(f"M{c[-3:]}", c, None, None) for c in INDUSTRY])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{A[-3:]}", m, 100_000) for m in MONTHS_2022])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(A, 2022, 1000)])
    return folder


def write_batch_2023(folder: Path) -> Path:
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{c[-3:]}", m, kwh) for c, values in MONTHLY_2023.items()
                 for m, kwh in zip(MONTHS_2023, values, strict=True)])
    # H: 10 kWh in every quarter hour of 2023
    start = dt.datetime(2023, 1, 1)
    ts = [start + dt.timedelta(minutes=15 * i) for i in range(365 * 96)]
    pq.write_table(pa.table({"meter_id": [f"M{H[-3:]}"] * len(ts), "ts": pa.array(ts, pa.timestamp("us")),
                             "kwh": [10.0] * len(ts)}), folder / "interval_readings.parquet")
    days = {m: calendar.monthrange(2023, int(m[5:]))[1] for m in MONTHS_2023}
    write_table(folder, "green_trades", ["contract_id", "credit_code", "month", "kwh", "technology"],
                [("GT-A", A, "2023-03", 120_000, "wind"), ("GT-A", A, "2023-09", 80_000, "wind")]
                + [("K1", H, m, 240 * days[m], "solar") for m in MONTHS_2023])
    # K1 delivers 60 kWh in each hour 10:00–14:00
    write_table(folder, "green_trade_profiles", ["contract_id", "ts", "kwh"],
                [("K1", (dt.datetime(2023, 1, 1, h) + dt.timedelta(days=d)).isoformat(), 60)
                 for d in range(365) for h in (10, 11, 12, 13)])
    # the trades come with their bundled certificates (证电合一, GREEN-POWER.md §9), whole MWh rounded up: GT-A 120
    # and 80 MWh, K1 ⌈240 × days / 1000⌉ MWh a month (January: 7,440 kWh -> 8 MWh); bundled ones never count as
    # certificates (the 50 MWh one of June, which backs no trade, neither)
    write_table(folder, "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh", "technology",
                                               "retired_on", "bundled"],
                [("GEC000000000001", A, "2023-05", 100, "wind", "2023-12-01", "false"),
                 ("GEC000000000002", A, "2023-06", 50, "wind", "2023-12-01", "true"),
                 ("GEC000000000003", A, "2023-03", 120, "wind", "2023-12-01", "true"),
                 ("GEC000000000004", A, "2023-09", 80, "wind", "2023-12-01", "true")]
                + [(f"GEC0000000001{m[5:]}", H, m, math.ceil(240 * days[m] / 1000), "solar", "2024-01-15", "true")
                   for m in MONTHS_2023])
    write_table(folder, "onsite_generation", ["credit_code", "month", "kwh_generated", "kwh_self_consumed",
                                              "technology"], [(G, m, 12_000, 10_000, "solar") for m in MONTHS_2023])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny", "revenue_10k_cny"],
                [(A, 2023, 1000, None), (B, 2023, 600, None), (C, 2023, 400, None), (D, 2023, 1000, None),
                 (E, 2023, None, 500), (F, 2023, 2000, None), (G, 2023, 300, None), (H, 2023, 100, None)])
    return folder


if __name__ == "__main__":
    root = Path(sys.argv[1])
    write_batch_2022(root / "2022")
    write_batch_2023(root / "2023")
