"""Synthetic batches in the DATA-REQUIREMENTS.md format.

``write_demo_province`` writes a sample province modelled on Qinghai (青海): its big power users
(electrolytic aluminium, ferroalloy, potash, polysilicon, data centres ...) in one batch folder per year,
with deliberate patterns that the platform must catch: a stoppage month, sharp drops, sustained declines,
one meter-month whose 15-minute sum disagrees with its monthly total, a gap in 15-minute data, meters that
move between enterprises, enterprises opened or closed during the period, green shares above 80 %, green
instruments traced to plants in Qinghai, elsewhere in the northwest grid (Gansu, Xinjiang) and outside it
(Sichuan), and a few trade months not backed by their bundled certificates (证电合一). It also has two parks
(GREEN-POWER.md §10): Golmud's zero-carbon industrial park (格尔木零碳产业园) of Haixi's smelters and chemical
plants with an energy company (PV, wind, a battery, a hydro contract) that brings it close to 100 % green, and
Xining's 甘河 industrial park far from its target; and two data centres (§11), one green around the clock, one
matched annually only.
``build_demo_province`` does the same and also says where those patterns are.
``write_interval_benchmark`` writes one large batch of 15-minute data for benchmarks.

Everything is drawn from seeded numpy generators: the same arguments give the same files (the parks and
data centres from a generator of their own, so that the rest of the province draws what it drew before them).
Time stamps are China Standard Time without an offset (METHODOLOGY.md §1).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
from stdnum.cn import uscc

from dianta.errors import ReferenceDataError, UsageError
from dianta.glossary import TABLES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

INTERVAL_SCHEMA = pa.schema([("meter_id", pa.string()), ("ts", pa.timestamp("us")), ("kwh", pa.float64())])
"""Columns of ``interval_readings.parquet``: time stamps without a zone mean China Standard Time."""


@dataclass(frozen=True)
class _LoadShape:
    """Typical load of a kind of plant: weekday hourly factors, weekend factors, season, noise."""

    hourly: tuple[float, ...]  # 24 factors for hours 0..23 of a weekday
    saturday: float
    sunday: float
    monthly: tuple[float, ...]  # 12 seasonal factors, January first
    noise: float  # relative standard deviation of one 15-minute reading


def _shift(base: float, on: float, start: int, end: int) -> tuple[float, ...]:
    """Hourly factors: ``on`` for hours start..end-1, ``base`` otherwise."""
    return tuple(on if start <= h < end else base for h in range(24))


_FLAT_YEAR = (1.01, 1.01, 1.0, 1.0, 0.99, 0.99, 0.99, 0.99, 1.0, 1.0, 1.01, 1.01)
_SHAPES: dict[str, _LoadShape] = {
    # potlines, submerged-arc furnaces, electrolysis, reactors: round the clock
    "continuous": _LoadShape(_shift(1.0, 1.0, 0, 24), 1.0, 1.0, _FLAT_YEAR, 0.012),
    # cell and module lines: three shifts, busier equipment swings
    "three_shift": _LoadShape(_shift(0.96, 1.02, 8, 20), 0.98, 0.97, _FLAT_YEAR, 0.03),
    # servers flat, cooling follows the afternoon heat and the summer
    "data_centre": _LoadShape(
        tuple(1.0 + 0.05 * float(np.cos(2 * np.pi * (h - 15) / 24)) for h in range(24)), 1.0, 1.0,
        (0.95, 0.95, 0.97, 0.99, 1.02, 1.06, 1.09, 1.08, 1.03, 0.99, 0.96, 0.95), 0.015),
    # kiln round the clock, mills and crushers on the day shift; winter peak-shifting stops (错峰生产)
    "cement": _LoadShape(_shift(0.6, 1.0, 8, 20), 0.95, 0.85,
                         (0.35, 0.3, 0.75, 1.05, 1.1, 1.1, 1.1, 1.1, 1.1, 1.05, 0.8, 0.45), 0.04),
    # food, drink, pharmaceuticals: one day shift, quiet Sundays, busier in summer
    "day_shift": _LoadShape((0.25,) * 7 + (0.6,) + (1.0,) * 10 + (0.6, 0.4, 0.4) + (0.25,) * 3, 0.8, 0.45,
                            (0.85, 0.8, 0.9, 0.95, 1.05, 1.1, 1.15, 1.15, 1.1, 1.0, 0.95, 0.9), 0.05),
    # mines: two shifts, less work in the coldest months
    "two_shift": _LoadShape(_shift(0.3, 1.0, 7, 23), 0.95, 0.85,
                            (0.8, 0.75, 0.95, 1.0, 1.05, 1.05, 1.05, 1.05, 1.05, 1.0, 0.95, 0.85), 0.05),
    # hotels: evening peak, summer tourist season
    "commercial": _LoadShape((0.45,) * 6 + (0.6, 0.8, 0.8, 0.8) + (0.75,) * 7 + (0.85,) + (1.0,) * 5 + (0.6,),
                             1.05, 1.0, (0.8, 0.85, 0.85, 0.9, 1.0, 1.15, 1.3, 1.3, 1.1, 0.95, 0.85, 0.85), 0.05),
}


@dataclass(frozen=True)
class _Industry:
    """An industry of the sample province and how its enterprises use electricity."""

    code: str  # GB/T 4754-2017 class
    words: tuple[str, ...]  # business words for enterprise names
    weight: float  # relative number of enterprises
    gwh_median: float  # median annual grid consumption [GWh]
    gwh_sigma: float  # log-normal spread of annual consumption
    kwh_per_10k_cny: float  # industry-average electricity per value added [kWh/10k CNY]
    shape: str  # key of _SHAPES
    regions: tuple[str, ...]  # GB/T 2260 codes where it is found


_INDUSTRIES: tuple[_Industry, ...] = (
    _Industry("C3216", ("铝业", "铝电", "电解铝"), 7.0, 250, 0.6, 42000, "continuous",
              ("630102", "630105", "630202", "630203", "630200", "632801", "630000")),
    _Industry("C3217", ("镁业", "金属镁"), 2.5, 60, 0.5, 30000, "continuous", ("632801", "632802", "630105")),
    _Industry("C3150", ("铁合金", "硅铁", "冶金"), 11.0, 70, 0.6, 28000, "continuous",
              ("630202", "630203", "630123", "632221", "632802", "630106")),
    _Industry("C3120", ("特钢", "钢铁"), 0.8, 150, 0.4, 9000, "continuous", ("630105", "630100")),
    _Industry("C2622", ("钾肥", "盐湖钾业"), 6.0, 25, 0.7, 3500, "continuous",
              ("632801", "632803", "632802", "632800")),
    _Industry("C2619", ("化工", "化学"), 8.0, 15, 0.8, 4000, "continuous", ("632801", "632802", "630105", "630202")),
    _Industry("C2613", ("锂业", "锂材料"), 3.0, 20, 0.6, 2500, "continuous", ("632801", "632802", "632803")),
    _Industry("C3985", ("硅材料", "硅业", "光伏材料"), 4.0, 150, 0.7, 11000, "continuous",
              ("630102", "630106", "632802", "630000")),
    _Industry("C3825", ("光伏科技", "新能源科技", "光电"), 3.6, 20, 0.6, 1500, "three_shift",
              ("630102", "630106", "630105")),
    _Industry("C3011", ("水泥", "建材"), 5.0, 35, 0.5, 3500, "cement",
              ("630202", "630123", "632221", "632521", "632801", "630203")),
    _Industry("I6450", ("数据科技", "云计算", "大数据"), 2.0, 30, 0.6, 5000, "data_centre",
              ("632521", "632500", "630102", "630106", "632802")),
    _Industry("C1391", ("淀粉", "薯业", "食品"), 4.0, 3, 0.6, 700, "day_shift",
              ("630202", "630123", "632221", "632300", "630106")),
    _Industry("C1440", ("乳业", "乳品"), 4.0, 3, 0.6, 450, "day_shift",
              ("630105", "632200", "632221", "630104", "632500")),
    _Industry("C1512", ("青稞酒业", "酒业"), 0.45, 2, 0.5, 250, "day_shift", ("630202", "630203", "630100")),
    _Industry("C2710", ("药业", "生物医药"), 0.5, 4, 0.5, 500, "day_shift", ("630102", "630104", "630106")),
    _Industry("B1020", ("矿业", "矿产"), 0.5, 10, 0.6, 1500, "two_shift", ("632801", "632803", "632221")),
    _Industry("H6110", ("大酒店", "酒店"), 0.3, 1.5, 0.4, 300, "commercial", ("630103", "630104", "630100")),
)

# Current GB/T 2260 codes in Qinghai and the place word an enterprise name there may start with.
_PLACES = {
    "630000": "青海", "630100": "西宁", "630102": "西宁", "630103": "西宁", "630104": "西宁", "630105": "西宁",
    "630106": "湟中", "630123": "湟源", "630200": "海东", "630202": "乐都", "630203": "平安", "632200": "海北",
    "632221": "门源", "632300": "黄南", "632500": "海南", "632521": "共和", "632800": "海西", "632801": "格尔木",
    "632802": "德令哈", "632803": "茫崖",
}
_TRADE_FIRST = "昆祥泰鑫盛华源金瑞通宏恒川湟青柴雪高德兴丰达汇博正远明天润嘉晟景新永安宇锦"
_TRADE_SECOND = "仑海源峰达盛泰隆鑫能瑞丰和元诚信邦康宝利业晖光辉誉祥"
_LEGAL_FORMS = ("有限公司", "有限责任公司", "股份有限公司")

# Time-of-use period of each hour with the default profile (METHODOLOGY.md §6): 0 peak, 1 flat, 2 valley.
_TOU_PERIOD = np.array([0 if 18 <= h < 23 else 2 if 9 <= h < 17 else 1 for h in range(24)])

# Monthly energy per kW in Qinghai [kWh/kW] and the monthly pattern of hydropower (flood season in summer).
_SOLAR_KWH_PER_KW = np.array([105, 115, 140, 155, 165, 160, 155, 150, 135, 125, 105, 95], dtype=float)
_WIND_KWH_PER_KW = np.array([150, 170, 190, 200, 180, 140, 120, 110, 120, 150, 160, 160], dtype=float)
_HYDRO_MONTHLY = np.array([0.55, 0.5, 0.6, 0.8, 1.0, 1.3, 1.5, 1.5, 1.3, 1.0, 0.75, 0.6])
_TECH_SEASON = {"solar": _SOLAR_KWH_PER_KW / _SOLAR_KWH_PER_KW.mean(),
                "wind": _WIND_KWH_PER_KW / _WIND_KWH_PER_KW.mean(),
                "hydro": _HYDRO_MONTHLY / _HYDRO_MONTHLY.mean()}


@dataclass(frozen=True)
class _Plant:
    """A green-power plant the demo's trades and certificates name (GREEN-POWER.md §9)."""

    name: str
    technology: str  # glossary TECHNOLOGIES_PLANT
    region_code: str  # GB/T 2260, where it generates
    capacity_mw: float
    commissioned_on: str
    sequence: int  # its number among the projects filed in that place and year

    @property
    def trade_technology(self) -> str:
        """The technology a trade or certificate of it states (glossary TECHNOLOGIES_GREEN: solar thermal is solar)."""
        return "solar" if self.technology == "solar_thermal" else self.technology

    @property
    def filing_code(self) -> str:
        """Its plant_id: a made-up national filing code (建档立卡编码) of 17 characters in the confirmed order of
        reference/codes/green-certificate-numbering.toml (project type, energy type, technology type, approval
        year, address, sequence, check character); the widths and the check character are the demo's own."""
        energy, kind = {"solar": ("1", "1"), "solar_thermal": ("1", "2"), "wind": ("2", "1"),
                        "hydro": ("3", "1")}[self.technology]
        body = f"1{energy}{kind}{int(self.commissioned_on[:4]) - 1}{self.region_code}{self.sequence:03d}"
        return body + str(sum((i % 7 + 1) * int(ch) for i, ch in enumerate(body)) % 10)


# Qinghai's big solar, solar-thermal, wind and hydro plants, some in Gansu and Xinjiang (the same northwest
# regional grid) and one in Sichuan (the southwest grid): under a province or regional-grid market boundary the
# instruments of the plants outside are reported as outside (kwh_outside_boundary).
_PLANTS: tuple[_Plant, ...] = (
    _Plant("格尔木东出口光伏电站", "solar", "632801", 500, "2019-12-20", 12),
    _Plant("共和塔拉滩光伏电站", "solar", "632521", 1000, "2018-06-30", 3),
    _Plant("德令哈塔式光热电站", "solar_thermal", "632802", 50, "2018-12-30", 1),
    _Plant("茫崖风电场", "wind", "632803", 400, "2020-11-30", 7),
    _Plant("共和切吉风电场", "wind", "632521", 200, "2021-06-30", 21),
    _Plant("龙羊峡水电站", "hydro", "632521", 1280, "1989-06-04", 1),
    _Plant("李家峡水电站", "hydro", "632322", 2000, "1997-02-18", 2),
    _Plant("酒泉瓜州风电场", "wind", "620900", 300, "2015-10-30", 44),
    _Plant("敦煌光伏电站", "solar", "620982", 200, "2017-06-28", 9),
    _Plant("哈密东南部风电场", "wind", "650500", 400, "2016-12-26", 15),
    _Plant("雅砻江两河口水电站", "hydro", "513400", 3000, "2021-09-29", 2),
)
# the plant of each of the ten contracts (_N_CONTRACTS): the first three, which carry the champions' big shares,
# in Qinghai; then Gansu, Xinjiang, Sichuan, and Qinghai again
_CONTRACT_PLANTS = (0, 3, 5, 8, 9, 10, 2, 7, 6, 1)

_RAMP_UP = np.array([0.35, 0.65, 0.9])  # first months of a newly opened plant
# (trade share, certificate share) of annual grid kWh for the enterprises with big green shares
_CHAMPION_TARGETS = ((0.75, 0.35), (0.70, 0.15), (0.65, 0.20), (0.55, 0.10), (0.45, 0.0), (0.30, 0.25))
_N_CONTRACTS = len(_CONTRACT_PLANTS)
_BANKS = tuple(f"BANK-QH-{i:03d}" for i in range(1, 5))
_GAP_READINGS = 16  # four hours of 15-minute readings
#: the smallest demo province (see :func:`check_size`)
MIN_ENTERPRISES = 20
_ID_SPREAD = 100  # identifier numbers per enterprise of a block (write_interval_benchmark's first_enterprise)
MAX_BLOCK_ENTERPRISES = 10**8 // _ID_SPREAD  # first_enterprise + n_enterprises at most


# ---------------------------------------------------------------------------------------------------------
# small helpers


def _count(n: int, rate: float, minimum: int = 1) -> int:
    """How many of n enterprises get a feature that a share ``rate`` of them has (at least ``minimum``)."""
    return max(minimum, round(n * rate))


def _allocate(n: int, weights: FloatArray) -> IntArray:
    """Split n into integer counts proportional to weights (largest remainder)."""
    exact = n * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    counts[np.argsort(counts - exact, kind="stable")[: n - int(counts.sum())]] += 1
    return counts


def _random_date(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    """A uniformly drawn date from first to last inclusive."""
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _month_end(year: int, month: int) -> dt.date:
    """The last day of the month."""
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _text(value: float, decimals: int) -> str:
    """A plain decimal (no exponent, no negative zero)."""
    return f"{value + 0.0:.{decimals}f}"


def _org_code(body: str) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and their check character."""
    total = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _credit_codes(rng: np.random.Generator, regions: Sequence[str], block: int | None = None) -> list[str]:
    """Unique unified social credit codes (GB 32100): registered by market regulation ('9'), enterprise
    ('1'), the region, an organisation code, and the check character. With ``block`` (the number of the first
    enterprise, see :func:`write_interval_benchmark`) the organisation codes' bodies come from
    ``[block * 100, (block + n) * 100)``, so that batches of disjoint blocks never share a code."""
    n = len(regions)
    bodies = (rng.choice(10**8, size=n, replace=False) if block is None
              else block * _ID_SPREAD + rng.choice(n * _ID_SPREAD, size=n, replace=False))
    codes = []
    for region, body in zip(regions, bodies, strict=True):
        first17 = "91" + region + _org_code(f"{int(body):08d}")
        codes.append(first17 + uscc.calc_check_digit(first17))
    return codes


def _names(rng: np.random.Generator, industries: Sequence[_Industry], regions: Sequence[str]) -> list[str]:
    """Unique names such as 青海昆仑铝业有限公司 or 格尔木盛泰化工有限公司."""
    used: set[str] = set()
    names = []
    for industry, region in zip(industries, regions, strict=True):
        while True:
            place = "青海" if rng.random() < 0.55 else _PLACES[region]
            trade = _TRADE_FIRST[rng.integers(len(_TRADE_FIRST))] + _TRADE_SECOND[rng.integers(len(_TRADE_SECOND))]
            word = industry.words[rng.integers(len(industry.words))]
            name = place + trade + word + _LEGAL_FORMS[rng.choice(3, p=[0.6, 0.25, 0.15])]
            if name not in used:
                break
        used.add(name)
        names.append(name)
    return names


@dataclass(frozen=True)
class _Clock:
    """The time stamps of one calendar year at a fixed step, China Standard Time."""

    ts: npt.NDArray[np.datetime64]  # datetime64[m]
    hour: FloatArray  # hour of day, 0 ≤ hour < 24
    day: IntArray  # day of the year, 0-based
    weekday: IntArray  # Monday = 0
    month: IntArray  # 0..11
    bounds: IntArray  # 13 indices: month k covers [bounds[k], bounds[k + 1])

    @property
    def counts(self) -> IntArray:
        """Number of time stamps in each month."""
        return np.diff(self.bounds)

    def monthly_sums(self, values: FloatArray) -> FloatArray:
        """Sum values (last axis along the clock) by month."""
        return np.add.reduceat(values, self.bounds[:-1], axis=-1)

    def scale_to_months(self, shape: FloatArray, totals: FloatArray) -> FloatArray:
        """Scale a non-negative shape month by month so that each month sums to its total (rounded to Wh)."""
        sums = self.monthly_sums(shape)
        factor = np.divide(totals, sums, out=np.zeros(12), where=sums > 0)
        return np.round(shape * np.repeat(factor, self.counts), 3)


def _clock(year: int, step_minutes: int) -> _Clock:
    """Every ``step_minutes`` of the calendar year, from 1 January 00:00."""
    start = np.datetime64(f"{year}-01-01T00:00", "m")
    ts = np.arange(start, np.datetime64(f"{year + 1}-01-01T00:00", "m"), np.timedelta64(step_minutes, "m"))
    minutes = (ts - start).astype(np.int64)
    month_starts = np.arange(np.datetime64(f"{year}-01", "M"), np.datetime64(f"{year + 1}-02", "M"))
    bounds = np.searchsorted(ts, month_starts.astype("datetime64[m]")).astype(np.int64)
    return _Clock(ts=ts, hour=(minutes % 1440) / 60, day=minutes // 1440,
                  weekday=(ts.astype("datetime64[D]").astype(np.int64) + 3) % 7,
                  month=np.repeat(np.arange(12), np.diff(bounds)), bounds=bounds)


def _load_profile(shape: _LoadShape, clock: _Clock) -> FloatArray:
    """Expected load of a plant of this shape at each time stamp (hourly factors interpolated)."""
    hourly = np.interp(clock.hour, np.arange(24) + 0.5, shape.hourly, period=24)
    week = np.select([clock.weekday == 5, clock.weekday == 6], [shape.saturday, shape.sunday], 1.0)
    return hourly * week * np.asarray(shape.monthly)[clock.month]


def _generation_shape(rng: np.random.Generator, technology: str, clock: _Clock) -> FloatArray:
    """Relative generation of a solar, wind or hydro plant at each time stamp of the clock.

    Solar: a sine between sunrise and sunset (day length at latitude 36° N, solar noon 13:20 China Standard
    Time at 100° E) times a daily clearness, zero at night. Wind: smoothed noise, a little stronger at night.
    Hydro (regulating): near flat with an evening peak."""
    if technology == "solar":
        day_length = 12 + 2.6 * np.sin(2 * np.pi * (clock.day - 80) / 365.25)
        phase = (clock.hour + 0.5 - (13.33 - day_length / 2)) / day_length
        sun = np.where((phase > 0) & (phase < 1), np.sin(np.pi * np.clip(phase, 0, 1)), 0.0) ** 1.3
        return sun * rng.uniform(0.35, 1.0, int(clock.day[-1]) + 1)[clock.day]
    if technology == "wind":
        kernel = np.exp(-np.arange(48) / 12.0)
        smooth = np.convolve(rng.standard_normal(clock.ts.size + kernel.size - 1), kernel, "valid")
        smooth /= np.sqrt((kernel**2).sum())
        return np.clip(0.45 + 0.3 * smooth + 0.1 * np.cos(2 * np.pi * (clock.hour - 2) / 24), 0.02, None)
    return 1.0 + 0.2 * np.cos(2 * np.pi * (clock.hour - 20) / 24)


def _tou_split(kwh: float, shares: FloatArray) -> tuple[str, str, str]:
    """Peak, flat and valley kWh (0.1 kWh) that sum to kwh exactly."""
    peak = round(kwh * shares[0], 1)
    valley = round(kwh * shares[2], 1)
    return _text(peak, 1), _text(round(kwh - peak - valley, 1), 1), _text(valley, 1)


class _Batch:
    """Rows of the batch tables by year, column-wise as text; written as CSV in the glossary's order."""

    def __init__(self) -> None:
        self._tables: dict[tuple[int, str], dict[str, list[str]]] = {}

    def add(self, folder_year: int, table: str, /, **cells: str) -> None:
        """Add one row to the table of a year's folder; every row of a table names the same columns."""
        columns = self._tables.setdefault((folder_year, table), {name: [] for name in cells})
        for name, value in cells.items():
            columns[name].append(value)

    def extend(self, folder_year: int, table: str, /, **columns: Sequence[str]) -> None:
        """Add many rows given column-wise."""
        existing = self._tables.setdefault((folder_year, table), {name: [] for name in columns})
        for name, values in columns.items():
            existing[name].extend(values)

    def rows(self, folder_year: int, table: str) -> list[dict[str, str]]:
        """The rows of the table of a year's folder added so far."""
        columns = self._tables.get((folder_year, table), {})
        return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]

    def write(self, year: int, folder: Path) -> None:
        """Write the year's tables as ``<table>.csv`` (UTF-8, header row, comma) into folder."""
        for (table_year, table), columns in self._tables.items():
            if table_year != year:
                continue
            spec = TABLES[table]
            unknown = set(columns) - set(spec.column_names)
            if unknown:
                raise ReferenceDataError(f"{table}: columns {sorted(unknown)} are not in the glossary",
                                         zh=f"{table}：列 {sorted(unknown)} 不在术语表中")
            names = [name for name in spec.column_names if name in columns]
            with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(names)
                writer.writerows(zip(*(columns[name] for name in names), strict=True))


class _IntervalWriter:
    """Writes 15-minute readings to ``interval_readings.parquet``, buffering them into large row groups."""

    def __init__(self, path: Path, group_rows: int = 2_000_000) -> None:
        self._writer = pq.ParquetWriter(path, INTERVAL_SCHEMA, compression="zstd", use_dictionary=["meter_id", "ts"])
        self._group_rows = group_rows
        self._ids: list[str] = []
        self._counts: list[IntArray] = []
        self._ts: list[npt.NDArray[np.datetime64]] = []
        self._kwh: list[FloatArray] = []
        self._rows = 0

    def add(self, meter_ids: Sequence[str], counts: IntArray, ts: npt.NDArray[np.datetime64], kwh: FloatArray
            ) -> None:
        """Queue readings: ``counts[i]`` rows of ``meter_ids[i]`` in order; ts is datetime64[us]."""
        self._ids.extend(meter_ids)
        self._counts.append(np.asarray(counts, dtype=np.int64))
        self._ts.append(ts)
        self._kwh.append(kwh)
        self._rows += kwh.size
        if self._rows >= self._group_rows:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        index = np.repeat(np.arange(len(self._ids)), np.concatenate(self._counts))
        table = pa.Table.from_arrays([pa.array(self._ids, pa.string()).take(pa.array(index)),
                                      pa.array(np.concatenate(self._ts), pa.timestamp("us")),
                                      pa.array(np.concatenate(self._kwh), pa.float64())], schema=INTERVAL_SCHEMA)
        self._writer.write_table(table, row_group_size=self._rows)
        self._ids, self._counts, self._ts, self._kwh, self._rows = [], [], [], [], 0

    def __enter__(self) -> _IntervalWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
                 ) -> None:
        if kind is None:
            self._flush()
        self._writer.close()


def _prepare_folder(folder: Path) -> None:
    """Create the folder and remove the table files an earlier run may have left in it (nothing else)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        for suffix in (".csv", ".parquet"):
            (folder / f"{table}{suffix}").unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------------------
# enterprises and meters


@dataclass
class _Enterprises:
    """The enterprises of a province, column-wise."""

    credit_code: list[str]
    name: list[str]
    industry: list[_Industry]
    region_code: list[str]
    opened_on: list[dt.date]
    closed_on: list[dt.date | None]
    annual_kwh: FloatArray  # grid consumption a year at the start of the period [kWh]
    growth: FloatArray  # yearly growth of consumption (negative: decline)
    efficiency: FloatArray  # multiplier on the industry's kWh per value added
    revenue_only: BoolArray  # economics give revenue but no value added

    def __len__(self) -> int:
        return len(self.credit_code)


def _make_enterprises(rng: np.random.Generator, n: int, first_year: int, last_year: int, *, lifecycle: bool,
                      block: int | None = None) -> _Enterprises:
    """Enterprises of the Qinghai industry mix; with ``lifecycle`` some open during the period and a few
    close at a month's end in the last year (September to November)."""
    counts = _allocate(n, np.array([i.weight for i in _INDUSTRIES]))
    industries = [_INDUSTRIES[i] for i in rng.permutation(np.repeat(np.arange(len(_INDUSTRIES)), counts))]
    regions = [i.regions[rng.integers(len(i.regions))] for i in industries]
    opened = [_random_date(rng, dt.date(1995, 1, 1), dt.date(first_year - 1, 12, 31)) for _ in range(n)]
    closed: list[dt.date | None] = [None] * n
    if lifecycle:
        order = rng.permutation(n)
        n_open, n_close = _count(n, 0.04), _count(n, 0.008)
        for i in order[:n_open]:
            opened[i] = _random_date(rng, dt.date(first_year, 2, 1), dt.date(last_year, 6, 30))
        for i in order[n_open:n_open + n_close]:
            closed[i] = _month_end(last_year, int(rng.integers(9, 12)))
    median = np.array([i.gwh_median for i in industries]) * 1e6
    sigma = np.array([i.gwh_sigma for i in industries])
    efficiency = np.exp(0.3 * rng.standard_normal(n))
    outlier = rng.random(n)
    efficiency[outlier < 0.04] *= 2.5
    efficiency[outlier > 0.96] *= 0.4
    return _Enterprises(
        credit_code=_credit_codes(rng, regions, block), name=_names(rng, industries, regions), industry=industries,
        region_code=regions, opened_on=opened, closed_on=closed,
        annual_kwh=median * np.exp(sigma * np.clip(rng.standard_normal(n), -2.2, 2.2)),
        growth=rng.uniform(0.03, 0.12, n), efficiency=efficiency, revenue_only=rng.random(n) < 0.05)


@dataclass(frozen=True)
class _Period:
    """One row of ``meters``: who holds a meter from when to when (inclusive; open when None)."""

    meter: int
    holder: int
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass
class _Meters:
    """Meters (户号): the plant each measures and the holding periods."""

    meter_id: list[str]
    owner: IntArray  # enterprise whose plant the meter measures
    share: FloatArray  # share of the owner's consumption
    has_tou: BoolArray  # monthly rows carry peak/flat/valley kWh
    periods: list[_Period]

    def __len__(self) -> int:
        return len(self.meter_id)

    def of(self, enterprise: int) -> IntArray:
        """The enterprise's meters, largest first."""
        mine = np.flatnonzero(self.owner == enterprise)
        return mine[np.argsort(-self.share[mine], kind="stable")]


def _make_meters(rng: np.random.Generator, ents: _Enterprises, per_enterprise: IntArray, block: int | None = None
                 ) -> _Meters:
    """Meters numbered 6300 + 9 digits, held by their owner from its opening to its closing; with ``block`` (one
    meter per enterprise, see :func:`write_interval_benchmark`) the 9 digits come from ``[block * 1000,
    (block + n) * 1000)``."""
    owner = np.repeat(np.arange(len(ents)), per_enterprise)
    share = np.concatenate([rng.dirichlet((4.0, 1.5, 1.0)[:k]) for k in per_enterprise])
    numbers = (rng.choice(10**9, size=owner.size, replace=False) if block is None
               else block * _ID_SPREAD * 10 + rng.choice(owner.size * _ID_SPREAD * 10, size=owner.size, replace=False))
    ids = [f"6300{int(x):09d}" for x in numbers]
    periods = [_Period(m, int(e), ents.opened_on[e], ents.closed_on[e]) for m, e in enumerate(owner)]
    return _Meters(ids, owner, share, rng.random(owner.size) < 0.5, periods)


def _move_meter(meters: _Meters, ents: _Enterprises, seller: int, buyer: int, on: dt.date) -> int:
    """Move the seller's smallest meter to the buyer on a month's first day; returns the meter."""
    meter = int(meters.of(seller)[-1])
    meters.periods[meter] = _Period(meter, seller, ents.opened_on[seller], on - dt.timedelta(days=1))
    meters.periods.append(_Period(meter, buyer, on, ents.closed_on[buyer]))
    return meter


def _holders(meters: _Meters, month_first: Sequence[dt.date]) -> IntArray:
    """Holder of each meter on each month's first day (-1: nobody), shape (meters, months)."""
    first = np.array(month_first, dtype="datetime64[D]")
    holder = np.full((len(meters), first.size), -1, dtype=np.int64)
    for p in meters.periods:
        held = first >= np.datetime64(p.valid_from)
        if p.valid_to is not None:
            held &= first <= np.datetime64(p.valid_to)
        holder[p.meter, held] = p.holder
    return holder


# ---------------------------------------------------------------------------------------------------------
# the demo province


@dataclass(frozen=True)
class DemoProvince:
    """What ``build_demo_province`` wrote and where its deliberate patterns are (credit codes, meter ids)."""

    folders: list[Path]
    interval_enterprises: tuple[str, ...]
    stoppage: dict[str, str]  # credit code -> month with zero kWh
    sharp_drop: dict[str, tuple[str, ...]]  # credit code -> months below 50 % of the same month last year
    sustained_decline: tuple[str, ...]  # consumption falling all through the period
    meter_mismatch: tuple[str, str, str] | None  # (meter_id, month, credit_code): monthly 5 % above the sum
    interval_gap: tuple[str, str, int] | None  # (meter_id, first missing ts, number of readings missing)
    moved_meters: tuple[tuple[str, str, str, str], ...]  # (meter_id, from credit code, to credit code, on)
    green_champions: tuple[str, ...]  # green trades and certificates near or above their grid kWh
    unbacked_trades: tuple[tuple[str, str, str], ...]  # (credit code, month, plant_id or ""): bundled 30–60 %
    plants_outside: dict[str, str]  # plant_id -> region code of the plants outside Qinghai
    opened_mid_period: tuple[str, ...]
    closed: tuple[str, ...]
    parks: dict[str, tuple[str, ...]]  # park_id -> its members' credit codes (GREEN-POWER.md §10)
    park_supplier: str  # the Golmud park's energy company (PV, wind, storage, a hydro contract)
    data_centres: tuple[str, str]  # (24/7 green, annually matched only) data centres (§11)


@dataclass(frozen=True)
class _Roles:
    """Which enterprises (indices) carry which deliberate pattern."""

    transfers: tuple[tuple[int, int], ...]  # (seller, buyer)
    stoppage: tuple[int, ...]
    sharp_drop: tuple[int, ...]
    decline: tuple[int, ...]
    interval: tuple[int, ...]
    mismatch: int | None
    gap: int | None
    champions: tuple[int, ...]
    quiet: tuple[int, ...]  # steady enterprises with none of the roles above (except interval data)
    onsite: tuple[int, ...]


def _assign_roles(rng: np.random.Generator, ents: _Enterprises, first_year: int, interval_share: float) -> _Roles:
    """Pick the enterprises of each pattern among those open the whole period, so that the patterns do not
    mix: two meter sellers and their buyers (same industry when possible), stoppage, sharp drop, decline
    (their growth turns negative here), then the interval enterprises (never a seller or buyer), of which
    three steady ones carry the mismatch, the gap and the first green champion; on-site generation goes to
    about 15 % of all enterprises, two of them interval enterprises."""
    n = len(ents)
    steady = [i for i in range(n) if ents.opened_on[i].year < first_year and ents.closed_on[i] is None]
    pool = [int(i) for i in rng.permutation(steady)]

    def take(k: int) -> tuple[int, ...]:
        out = tuple(pool[:k])
        del pool[:k]
        return out

    transfers = []
    for seller in take(2):
        buyer = next((p for p in pool if ents.industry[p].code == ents.industry[seller].code), pool[0])
        pool.remove(buyer)
        transfers.append((seller, buyer))
    stoppage, sharp, decline = take(_count(n, 0.006)), take(_count(n, 0.006)), take(_count(n, 0.008))
    moved = {e for pair in transfers for e in pair}
    candidates = [i for i in range(n) if i not in moved]
    n_interval = min(len(candidates), round(interval_share * n))
    interval = tuple(sorted(int(i) for i in rng.choice(candidates, size=n_interval, replace=False)))
    quiet_interval = [p for p in pool if p in set(interval)][:3]  # steady, no pattern: mismatch, gap, champion
    for p in quiet_interval:
        pool.remove(p)
    mismatch = quiet_interval[0] if quiet_interval else None
    gap = quiet_interval[1] if len(quiet_interval) > 1 else None
    n_champions = min(_count(n, 0.012, minimum=2), len(_CHAMPION_TARGETS))
    champions = tuple(quiet_interval[2:]) + take(n_champions - len(quiet_interval[2:]))
    quiet = tuple(pool) + tuple(p for p in (mismatch, gap) if p is not None)
    solar_interval = [e for e in interval if e not in champions][:2]
    others = [i for i in rng.permutation(n) if i not in solar_interval]
    onsite = tuple(solar_interval) + tuple(int(i) for i in others[: _count(n, 0.15) - len(solar_interval)])
    ents.growth[list(decline)] = rng.uniform(-0.15, -0.06, len(decline))
    return _Roles(tuple(transfers), stoppage, sharp, decline, interval, mismatch, gap, champions, quiet, onsite)


def _monthly_model(rng: np.random.Generator, ents: _Enterprises, meters: _Meters, holder: IntArray,
                   years: Sequence[int]) -> FloatArray:
    """Grid kWh of each meter and month (0 where nobody holds it): the owner's annual level spread by days
    and season, compounded growth, ±1 % noise, and a ramp-up for plants opened during the period."""
    n_months = 12 * len(years)
    month = np.tile(np.arange(12), len(years))
    days = np.array([calendar.monthrange(y, m)[1] for y in years for m in range(1, 13)], dtype=float)
    season = np.array([_SHAPES[i.shape].monthly for i in ents.industry])
    days_365 = np.array([calendar.monthrange(2023, m)[1] for m in range(1, 13)], dtype=float)
    norm = season @ days_365 / 365
    o = meters.owner
    trend = (1 + ents.growth[o])[:, None] ** (np.arange(n_months) / 12)[None, :]
    kwh = ((ents.annual_kwh[o] * meters.share / 365)[:, None] * days[None, :] * season[o][:, month]
           / norm[o][:, None] * trend * rng.uniform(0.99, 1.01, (len(meters), n_months)))
    active = holder >= 0
    first_active = np.argmax(active, axis=1)
    period_start = dt.date(years[0], 1, 1)
    for m in np.flatnonzero(active.any(axis=1)):
        if ents.opened_on[o[m]] > period_start:
            t0 = first_active[m]
            kwh[m, t0:t0 + 3] *= _RAMP_UP[: n_months - t0]
    return np.where(active, kwh, 0.0)


def _enterprise_months(holder: IntArray, kwh: FloatArray, n: int) -> tuple[FloatArray, BoolArray]:
    """Grid kWh and 'has data' of each enterprise and month, by the meters it holds on the month's first day."""
    active = holder >= 0
    rows, months = np.nonzero(active)
    total = np.zeros((n, holder.shape[1]))
    np.add.at(total, (holder[rows, months], months), kwh[rows, months])
    has = np.zeros((n, holder.shape[1]), dtype=bool)
    has[holder[rows, months], months] = True
    return total, has


def _write_demo_intervals(rng: np.random.Generator, folders: dict[int, Path], years: Sequence[int],
                          ents: _Enterprises, meters: _Meters, holder: IntArray, kwh: FloatArray, roles: _Roles,
                          extra: _ExtraReadings,
                          ) -> tuple[FloatArray, tuple[str, str, str] | None, tuple[str, str, int] | None]:
    """Write 15-minute readings of the interval enterprises' meters for the last two years and make ``kwh``
    agree with them (updated in place: each month is its readings' sum rounded to 0.1 kWh), except one
    meter-month set 5 % above its sum. One meter misses four hours of readings (the month's total is the
    sum of the readings present). Returns the kWh of each meter, month and time-of-use period (NaN where
    there are no readings), the mismatch and the gap. ``extra``: readings of the park members given interval data
    and of the data centres, drawn from its own generator after the others (what ``rng`` draws is unchanged)."""
    tou = np.full((*kwh.shape, 3), np.nan)
    interval_meters = np.flatnonzero(np.isin(meters.owner, roles.interval))
    extra_meters = np.flatnonzero(np.isin(meters.owner, extra.members))
    if interval_meters.size + extra_meters.size == 0 and not extra.series:
        return tou, None, None
    last = 12 * (len(years) - 1)
    gap_meter = int(meters.of(roles.gap)[0]) if roles.gap is not None else -1
    gap_month, gap_offset = int(rng.integers(0, 12)), int(rng.integers(9, 20)) * 96 + int(rng.integers(0, 20)) * 4
    gap: tuple[str, str, int] | None = None
    for y in years[-2:]:
        y0 = 12 * (y - years[0])
        clock = _clock(y, 15)
        ts_us = clock.ts.astype("datetime64[us]")
        period = _TOU_PERIOD[clock.hour.astype(np.int64)]
        profiles: dict[str, FloatArray] = {}
        with _IntervalWriter(folders[y] / "interval_readings.parquet") as out:
            for m, draw in [(m, rng) for m in interval_meters] + [(m, extra.rng) for m in extra_meters]:
                name = ents.industry[meters.owner[m]].shape
                if name not in profiles:
                    profiles[name] = _load_profile(_SHAPES[name], clock)
                raw = profiles[name] * (1 + _SHAPES[name].noise * draw.standard_normal(clock.ts.size))
                x = clock.scale_to_months(np.clip(raw, 0, None), kwh[m, y0:y0 + 12])
                active = holder[m, y0:y0 + 12] >= 0
                keep = np.repeat(active, clock.counts)
                if m == gap_meter and y == years[-1]:
                    start = int(clock.bounds[gap_month]) + gap_offset
                    keep[start:start + _GAP_READINGS] = False
                    gap = (meters.meter_id[m], str(clock.ts[start].astype("datetime64[s]")), _GAP_READINGS)
                present = np.where(keep, x, 0.0)
                kwh[m, y0:y0 + 12] = np.where(active, np.round(clock.monthly_sums(present), 1), 0.0)
                tou[m, y0:y0 + 12] = np.bincount(clock.month * 3 + period, weights=present, minlength=36
                                                 ).reshape(12, 3)
                out.add([meters.meter_id[m]], np.array([keep.sum()]), ts_us[keep], x[keep])
            for meter_id, readings in extra.series.get(y, []):
                out.add([meter_id], np.array([readings.size]), ts_us, readings)
    mismatch: tuple[str, str, str] | None = None
    if roles.mismatch is not None:
        meter = int(meters.of(roles.mismatch)[0])
        t = last + int(rng.integers(0, 12))
        kwh[meter, t] = round(kwh[meter, t] * 1.05, 1)
        mismatch = (meters.meter_id[meter], f"{years[-1]}-{t - last + 1:02d}", ents.credit_code[roles.mismatch])
    return tou, mismatch, gap


def _add_enterprises(batch: _Batch, year: int, ents: _Enterprises) -> None:
    """Rows of ``enterprises`` in the given year's folder."""
    for i in range(len(ents)):
        closed = ents.closed_on[i]
        batch.add(year, "enterprises", credit_code=ents.credit_code[i], name=ents.name[i],
                  industry_code=ents.industry[i].code, region_code=ents.region_code[i],
                  opened_on=ents.opened_on[i].isoformat(), closed_on=closed.isoformat() if closed else "")


def _add_meters(batch: _Batch, year: int, ents: _Enterprises, meters: _Meters) -> None:
    """Rows of ``meters`` (one per holding period) in the given year's folder."""
    for p in sorted(meters.periods, key=lambda p: (p.meter, p.valid_from)):
        batch.add(year, "meters", meter_id=meters.meter_id[p.meter], credit_code=ents.credit_code[p.holder],
                  valid_from=p.valid_from.isoformat(), valid_to=p.valid_to.isoformat() if p.valid_to else "")


def _add_consumption(rng: np.random.Generator, batch: _Batch, years: Sequence[int], ents: _Enterprises,
                     meters: _Meters, holder: IntArray, kwh: FloatArray, tou: FloatArray) -> None:
    """Monthly rows of every held meter-month; half the meters also split peak/flat/valley, from their
    readings where there are some, else from their plant's shape."""
    noise = rng.uniform(0.93, 1.07, (len(meters), 3))
    for m in range(len(meters)):
        hours = np.asarray(_SHAPES[ents.industry[meters.owner[m]].shape].hourly)
        base = np.bincount(_TOU_PERIOD, weights=hours, minlength=3) * noise[m]
        base /= base.sum()
        for t in np.flatnonzero(holder[m] >= 0):
            year, value = years[int(t) // 12], float(kwh[m, t])
            peak = flat = valley = ""
            if meters.has_tou[m]:
                split = tou[m, t]
                shares = split / split.sum() if np.isfinite(split).all() and split.sum() > 0 else base
                peak, flat, valley = _tou_split(value, shares)
            batch.add(year, "consumption_monthly", meter_id=meters.meter_id[m], month=f"{year}-{t % 12 + 1:02d}",
                      kwh=_text(value, 1), kwh_peak=peak, kwh_flat=flat, kwh_valley=valley)


def _hourly_rows(batch: _Batch, year: int, table: str, key: str, value: str, clock: _Clock, kwh: FloatArray,
                 months: BoolArray) -> None:
    """Hourly rows (ts like 2024-06-01T12:00:00, kWh to 0.001) of the months flagged in ``months``."""
    keep = np.repeat(months, clock.counts)
    batch.extend(year, table, **{key: [value] * int(keep.sum())},
                 ts=np.datetime_as_string(clock.ts[keep], unit="s").tolist(),
                 kwh=np.char.mod("%.3f", kwh[keep] + 0.0).tolist())


def _add_onsite(rng: np.random.Generator, batch: _Batch, years: Sequence[int], ents: _Enterprises, roles: _Roles,
                ent_kwh: FloatArray, ent_has: BoolArray, clocks: dict[int, _Clock]) -> None:
    """Monthly on-site generation (solar, some wind) sized at 3–25 % of consumption, 75–97 % self-consumed;
    hourly self-consumption for the interval enterprises in the interval years, summing to the month."""
    n_months = ent_kwh.shape[1]
    for rank, e in enumerate(roles.onsite):
        if not ent_has[e].any():
            continue
        technology = "solar" if rank < 2 or rng.random() < 0.8 else "wind"
        per_kw = _SOLAR_KWH_PER_KW if technology == "solar" else _WIND_KWH_PER_KW
        ratio = rng.uniform(0.75, 0.97)
        annual = ent_kwh[e, ent_has[e]].mean() * 12
        capacity_kw = rng.uniform(0.03, 0.25) * annual / (ratio * per_kw.sum())
        start = 0 if rng.random() < 0.7 else int(rng.integers(1, max(2, n_months - 12)))
        months = ent_has[e] & (np.arange(n_months) >= start)
        generated = capacity_kw * np.tile(per_kw, len(years)) * rng.uniform(0.9, 1.1, n_months)
        consumed = np.round(generated * ratio * rng.uniform(0.97, 1.0, n_months), 1)
        if e in roles.interval:
            for y, clock in clocks.items():
                y0 = 12 * (y - years[0])
                if not months[y0:y0 + 12].any():
                    continue
                hourly = clock.scale_to_months(_generation_shape(rng, technology, clock),
                                               np.where(months[y0:y0 + 12], consumed[y0:y0 + 12], 0.0))
                consumed[y0:y0 + 12] = np.round(clock.monthly_sums(hourly), 1)
                _hourly_rows(batch, y, "onsite_generation_interval", "credit_code", ents.credit_code[e], clock,
                             hourly, months[y0:y0 + 12])
        generated = np.maximum(np.round(generated, 1), consumed)
        for t in np.flatnonzero(months):
            year = years[int(t) // 12]
            batch.add(year, "onsite_generation", credit_code=ents.credit_code[e], month=f"{year}-{t % 12 + 1:02d}",
                      kwh_generated=_text(generated[t], 1), kwh_self_consumed=_text(consumed[t], 1),
                      technology=technology)


@dataclass(frozen=True)
class _Trade:
    """One settled row of ``green_trades``."""

    contract_id: str
    enterprise: int
    month: int  # month index in the period
    kwh: float
    technology: str
    plant_id: str


def _add_green_trades(rng: np.random.Generator, batch: _Batch, years: Sequence[int], ents: _Enterprises,
                      roles: _Roles, ent_kwh: FloatArray, clocks: dict[int, _Clock]) -> list[_Trade]:
    """Ten green-power contracts with 1–4 buyers each. The first three (solar, wind, hydro) run the whole
    period and carry the champions' big shares; the others are shorter, with buyers taking 5–30 % of their
    consumption. Hourly profiles for contracts with an interval buyer, in the interval years, sum to the
    contract's monthly settled total."""
    n_months = ent_kwh.shape[1]
    regulars = [e for e in roles.quiet if e not in roles.champions]
    specs = []
    for k in range(_N_CONTRACTS):
        technology = _PLANTS[_CONTRACT_PLANTS[k]].trade_technology  # solar, wind, hydro in turn
        if k < 3:
            months = range(n_months)
            buyers = [(e, _CHAMPION_TARGETS[i][0]) for i, e in enumerate(roles.champions) if i % 3 == k]
            n_more = int(rng.integers(0 if buyers else 1, 5 - len(buyers)))
        else:
            start = int(rng.integers(0, max(1, n_months - 6)))
            months = range(start, min(n_months, start + int(rng.integers(6, 25))))
            buyers, n_more = [], int(rng.integers(1, 5))
        chosen = rng.choice(regulars, size=min(n_more, len(regulars)), replace=False)
        buyers += [(int(e), float(rng.uniform(0.05, 0.3))) for e in chosen]
        # 4 in 5 contracts name their plant (drawn as before plants were named: the demo's other figures stay)
        named = rng.random() < 0.8 and rng.integers(1, 400) > 0
        plant = _PLANTS[_CONTRACT_PLANTS[k]].filing_code if named else ""
        specs.append((months, technology, plant, buyers))
    specs.sort(key=lambda s: s[0].start)
    trades: list[_Trade] = []
    numbers: dict[int, int] = {}
    for months, technology, plant, buyers in specs:
        first_year = years[months.start // 12]
        numbers[first_year] = numbers.get(first_year, 0) + 1
        contract_id = f"QH-GT-{first_year}-{numbers[first_year]:03d}"
        settled = np.zeros(n_months)
        for e, share in buyers:
            for t in months:
                value = round(share * ent_kwh[e, t] * _TECH_SEASON[technology][t % 12])
                if value > 0:
                    trades.append(_Trade(contract_id, e, t, value, technology, plant))
                    settled[t] += value
        if not any(e in roles.interval for e, _ in buyers):
            continue
        for y, clock in clocks.items():
            y0 = 12 * (y - years[0])
            totals = settled[y0:y0 + 12]
            if totals.any():
                hourly = clock.scale_to_months(_generation_shape(rng, technology, clock), totals)
                _hourly_rows(batch, y, "green_trade_profiles", "contract_id", contract_id, clock, hourly, totals > 0)
    for trade in trades:
        year = years[trade.month // 12]
        batch.add(year, "green_trades", contract_id=trade.contract_id, credit_code=ents.credit_code[trade.enterprise],
                  month=f"{year}-{trade.month % 12 + 1:02d}", kwh=_text(trade.kwh, 1), technology=trade.technology,
                  plant_id=trade.plant_id)
    return trades


def _certificate_id(filing_code: str, month: str, serial: int, bundled: bool) -> str:
    """A certificate number in the national numbering (32 characters): the plant's filing code, then 15 characters
    of electricity information in the confirmed order (production date, certificate sequence, electricity class,
    trade class); their widths here (YYYYMM, 7 digits, 1, 1) are the demo's own, not a confirmed layout."""
    return f"{filing_code}{month.replace('-', '')}{serial % 10**7:07d}1{2 if bundled else 1}"


def _add_plants(batch: _Batch, year: int) -> None:
    for plant in _PLANTS:
        batch.add(year, "plants", plant_id=plant.filing_code, name=plant.name, technology=plant.technology,
                  region_code=plant.region_code, capacity_mw=_text(plant.capacity_mw, 1),
                  commissioned_on=plant.commissioned_on)


class _Certificates:
    """Writes green certificates into the folder of their vintage year, retired within their validity (1–150 days
    after the production month). ``green`` draws what plant names were added with (the plants of unbundled
    certificates), so that ``rng`` draws what it drew before."""

    def __init__(self, rng: np.random.Generator, green: np.random.Generator, batch: _Batch, years: Sequence[int],
                 ents: _Enterprises) -> None:
        self.rng, self.green, self.batch, self.years, self.ents = rng, green, batch, years, ents
        self.next_id = int(rng.integers(10**11, 3 * 10**11))
        self.plants = {t: [p for p in _PLANTS if p.trade_technology == t] for t in ("solar", "wind", "hydro")}

    def add(self, e: int, t: int, mwh: int, technology: str, bundled: bool, plant: str, *, new: bool = False
            ) -> None:
        """One row; ``new``: a kind of row added with the plants, drawn from ``green``."""
        rng = self.green if new else self.rng
        self.next_id += int(rng.integers(1, 40))
        year = self.years[t // 12]
        month = f"{year}-{t % 12 + 1:02d}"
        retired = _month_end(year, t % 12 + 1) + dt.timedelta(days=int(rng.integers(1, 150)))
        # a certificate whose plant the operator left out still carries one in its number
        filing = plant or self._any_plant(technology)
        self.batch.add(year, "green_certificates",
                       certificate_id=_certificate_id(filing, month, self.next_id, bundled),
                       credit_code=self.ents.credit_code[e], vintage_month=month, mwh=str(mwh), technology=technology,
                       retired_on=retired.isoformat(), bundled="true" if bundled else "false", plant_id=plant)

    def unbundled(self, e: int, t: int, mwh: int) -> None:
        technology = ("solar", "wind", "hydro")[int(self.rng.integers(3))]
        named = self.rng.random() < 0.7 and self.rng.integers(1, 400) > 0  # drawn as before plants were named
        self.add(e, t, mwh, technology, False, self._any_plant(technology) if named else "")

    def _any_plant(self, technology: str) -> str:
        plants = self.plants[technology]
        return plants[int(self.green.integers(len(plants)))].filing_code


def _add_certificates(rng: np.random.Generator, certs: _Certificates, years: Sequence[int], ents: _Enterprises,
                      roles: _Roles, ent_kwh: FloatArray, ent_has: BoolArray) -> None:
    """Unbundled green certificates: the champions' big batches (1,000 MWh a row) and single 1-MWh certificates
    of a few other enterprises."""
    for rank, e in enumerate(roles.champions):
        share = _CHAMPION_TARGETS[rank][1]
        for yi in range(len(years)):
            active = np.flatnonzero(ent_has[e, 12 * yi:12 * yi + 12]) + 12 * yi
            left = int(share * ent_kwh[e, 12 * yi:12 * yi + 12].sum() / 1000)
            while left > 0 and active.size:
                mwh = min(left, 1000)
                certs.unbundled(e, int(rng.choice(active)), mwh)
                left -= mwh
    buyers = [e for e in roles.quiet if e not in roles.champions]
    for e in rng.choice(buyers, size=min(len(buyers), _count(len(ents), 0.04)), replace=False):
        for yi in range(len(years)):
            active = np.flatnonzero(ent_has[e, 12 * yi:12 * yi + 12]) + 12 * yi
            if active.size and rng.random() < 0.7:
                for t in np.sort(rng.choice(active, size=int(rng.integers(5, 120)))):
                    certs.unbundled(int(e), int(t), 1)


def _add_bundled(rng: np.random.Generator, certs: _Certificates, years: Sequence[int], ents: _Enterprises,
                 trades: Sequence[_Trade]) -> tuple[tuple[str, str, str], ...]:
    """The certificates bundled with the trades (证电合一), one row per trade month (enterprise, month, plant):
    every one backed in full (its settled kWh / 1,000 rounded up), except four backed at 30–60 % (the warning
    trade_not_backed_by_certificates), returned as (credit code, month, plant_id)."""
    settled: dict[tuple[int, int, str], float] = {}
    technology: dict[tuple[int, int, str], str] = {}
    for trade in trades:
        group = (trade.enterprise, trade.month, trade.plant_id)
        settled[group] = settled.get(group, 0.0) + trade.kwh
        technology[group] = trade.technology
    short: list[tuple[int, int, str]] = []
    for i in rng.choice(len(trades), size=min(4, len(trades)), replace=False):
        group = (trades[i].enterprise, trades[i].month, trades[i].plant_id)
        mwh = max(1, int(settled[group] * rng.uniform(0.3, 0.6) / 1000))
        if group not in short:
            short.append(group)
            certs.add(group[0], group[1], mwh, technology[group], True, group[2])
    for group, kwh in sorted(settled.items()):
        if group not in short:
            certs.add(group[0], group[1], math.ceil(kwh / 1000), technology[group], True, group[2], new=True)
    return tuple((ents.credit_code[e], f"{years[t // 12]}-{t % 12 + 1:02d}", plant) for e, t, plant in short)


def _add_economics(rng: np.random.Generator, batch: _Batch, years: Sequence[int], ents: _Enterprises,
                   ent_kwh: FloatArray) -> dict[tuple[int, int], float]:
    """Economics of every enterprise in every year it used grid power: value added from its kWh and its
    industry's intensity times its own efficiency (so intensities spread around the industry average), revenue
    at a 18–40 % value-added ratio, equity plus debt at 0.8–2.2 times revenue; about 5 % give revenue only.
    Returns total equity plus debt [CNY] by (enterprise, year)."""
    yearly = ent_kwh.reshape(len(ents), len(years), 12).sum(axis=2)
    totals: dict[tuple[int, int], float] = {}
    for e in range(len(ents)):
        for yi, year in enumerate(years):
            if yearly[e, yi] <= 0:
                continue
            value_added = max(0.01, yearly[e, yi] / (ents.industry[e].kwh_per_10k_cny * ents.efficiency[e])
                              * rng.uniform(0.92, 1.08))
            revenue = value_added / rng.uniform(0.18, 0.4)
            total = round(revenue * rng.uniform(0.8, 2.2), 0) * 1e4
            totals[(e, year)] = total
            batch.add(year, "economics", credit_code=ents.credit_code[e], year=str(year),
                      value_added_10k_cny="" if ents.revenue_only[e] else _text(value_added, 2),
                      revenue_10k_cny=_text(revenue, 2), total_equity_plus_debt_cny=_text(total, 0))
    return totals


def _add_loans(rng: np.random.Generator, batch: _Batch, years: Sequence[int], ents: _Enterprises, roles: _Roles,
               totals: dict[tuple[int, int], float]) -> None:
    """About 0.16 loans per enterprise from four banks, to steady borrowers weighted by size. A loan is in the
    folder of the year it was drawn (earlier loans in the first folder), outstanding as of that year's end
    (straight-line repayment for loans over a year)."""
    borrowers = np.array(sorted(roles.quiet + roles.champions + roles.stoppage + roles.sharp_drop + roles.decline))
    weight = np.sqrt(ents.annual_kwh[borrowers])
    for k in range(_count(len(ents), 0.16)):
        e = int(rng.choice(borrowers, p=weight / weight.sum()))
        drawn = max(_random_date(rng, dt.date(years[0] - 3, 1, 1), dt.date(years[-1], 11, 30)),
                    ents.opened_on[e] + dt.timedelta(days=60))
        folder_year = max(drawn.year, years[0])
        as_of = dt.date(folder_year, 12, 31)
        term = int(rng.choice([1, 2, 3, 5, 8, 10], p=[0.35, 0.1, 0.2, 0.2, 0.1, 0.05]))
        while (maturity := _add_years(drawn, term)) <= as_of:
            term += 1
        principal = max(1e6, round(totals[(e, folder_year)] * rng.uniform(0.03, 0.3), -4))
        left = 1 - (as_of - drawn).days / (maturity - drawn).days
        outstanding = principal if term == 1 else round(principal * left, 2)
        rate = rng.uniform(3.1, 3.65) if term == 1 else rng.uniform(3.55, 4.2)
        green = ents.industry[e].code in ("C3825", "C3985", "I6450") and rng.random() < 0.6
        product = "绿色贷款" if green else "流动资金贷款" if term == 1 else "固定资产贷款"
        if rng.random() < 0.15:
            product = ""
        batch.add(folder_year, "loans", loan_id=f"QH-LN-{drawn.year}-{k + 1:04d}",
                  bank_id=_BANKS[int(rng.integers(len(_BANKS)))], credit_code=ents.credit_code[e],
                  principal_cny=_text(principal, 0), outstanding_cny=_text(outstanding, 2), as_of=as_of.isoformat(),
                  drawn_on=drawn.isoformat(), maturity_on=maturity.isoformat(), base_rate_pct=_text(rate, 2),
                  product=product)


def _apply_patterns(rng: np.random.Generator, roles: _Roles, holder: IntArray, kwh: FloatArray, n_years: int
                    ) -> tuple[dict[int, int], dict[int, tuple[int, ...]]]:
    """Zero one month of each stoppage enterprise and cut one or two months of each sharp-drop enterprise to
    30–45 %, after the first year; returns the months chosen."""
    n_months = kwh.shape[1]
    first = 12 if n_years > 1 else 0
    stoppage = {}
    for e in roles.stoppage:
        t = int(rng.integers(first, n_months))
        kwh[holder[:, t] == e, t] = 0.0
        stoppage[e] = t
    sharp = {}
    for e in roles.sharp_drop:
        t = int(rng.integers(first, n_months))
        months = tuple(range(t, min(n_months, t + int(rng.integers(1, 3)))))
        for u in months:
            kwh[holder[:, u] == e, u] *= rng.uniform(0.3, 0.45)
        sharp[e] = months
    return stoppage, sharp


# ---------------------------------------------------------------------------------------------------------
# Golmud's zero-carbon park, a park far from its target (GREEN-POWER.md §10) and two data centres (§11).
# Everything here is drawn from a generator of its own, after the rest: the province's other figures stay.

#: smelters and chemical plants, the industries of Golmud's zero-carbon industrial park (格尔木零碳产业园)
_PARK_INDUSTRIES = frozenset({"C3216", "C3217", "C3150", "C2622", "C2619", "C2613"})
#: (park_id, name, region code, target year); both target a green share of 1.0
_GOLMUD_PARK = ("QH-GEM-ZCP", "格尔木零碳产业园", "632801", 2030)
_XINING_PARK = ("QH-XN-GHP", "西宁甘河工业园区", "630106", 2035)  # 甘河工业园区 lies in 湟中区
_PARK_COVERED = (3, 6)  # the Golmud park's members with 15-minute data: at least (given data if need be), at most
_PARK_UNCOVERED = 3  # the most members without 15-minute data
_UNCOVERED_SHARE = 0.05  # the most of its members' load those without 15-minute data may carry (limit: 10 %)
_XINING_MEMBERS = 5
#: the Golmud park's annual green share its supplier is sized for in the last year, and the rise each year to it
_GOLMUD_GOAL, _GOLMUD_RISE = 0.95, 0.07
_SUPPLIER_TRADE_SHARE = 0.25  # of the green supply the park lacks: a hydro contract the supplier signed
_BATTERY = (0.25, 4.0, 0.88)  # power [share of the mean park load], hours at full power, charge efficiency
_HYDRO_PLANT = 5  # 龙羊峡水电站 in _PLANTS: the supplier's and the 24/7 data centre's contracts
_CERT_PLANTS = (1, 4)  # 共和塔拉滩光伏电站, 共和切吉风电场: the annual-only data centre's certificates


@dataclass(frozen=True)
class _Site:
    """An enterprise the additions bring: the park's energy company or a data centre."""

    name: str
    industry: _Industry
    region_code: str
    opened_on: dt.date
    annual_kwh: float  # grid kWh a year at the start of the period (0 for the supplier)
    site_name: str = ""  # a data centre's site


_DATA_CENTRE_INDUSTRY = next(i for i in _INDUSTRIES if i.code == "I6450")
_SITES = (
    _Site("格尔木零碳产业园综合能源有限公司", _Industry("D4420", ("综合能源",), 0.0, 0.0, 0.0, 2500, "continuous",
                                                     ("632801",)), "632801", dt.date(2020, 9, 1), 0.0),
    _Site("青海共和绿算数据科技有限公司", _DATA_CENTRE_INDUSTRY, "632521", dt.date(2019, 4, 15), 60e6,
          "海南州共和绿色算力基地一号数据中心"),
    _Site("西宁云谷大数据有限公司", _DATA_CENTRE_INDUSTRY, "630105", dt.date(2018, 11, 1), 35e6,
          "西宁城北云谷数据中心"),
)
_PUE = (1.18, 0.6)  # the 24/7 data centre's PUE: base + slope × (season − 0.95) (cooling follows the summer)


@dataclass(frozen=True)
class _ExtraReadings:
    """15-minute readings the additions bring, written after the province's others: the park members given
    interval data (drawn from ``rng``) and the data centres' (meter_id, kWh of each 15 minutes of the year)."""

    rng: np.random.Generator
    members: tuple[int, ...] = ()
    series: dict[int, list[tuple[str, FloatArray]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Additions:
    """The new enterprises (supplier, 24/7 data centre, annual-only data centre), their meters (grid meter of each
    data centre, then the 24/7 one's IT sub-meter) and the data centres' grid and IT kWh by month."""

    ents: _Enterprises
    meter_ids: tuple[str, str, str]
    grid_kwh: FloatArray  # (2, months): the data centres' grid kWh
    it_kwh: FloatArray  # (months,): the 24/7 data centre's IT sub-meter
    golmud: tuple[tuple[int, dt.date], ...]  # (member, member from)
    readings: _ExtraReadings


def _park_start(years: Sequence[int]) -> dt.date:
    """The day the parks' memberships start: 1 January of the first year with 15-minute data (the last two years),
    so that their first account year already has the pooled hourly figures."""
    return dt.date(years[-2] if len(years) > 1 else years[0], 1, 1)


def _golmud_members(ents: _Enterprises, roles: _Roles, ent_kwh: FloatArray, years: Sequence[int]
                    ) -> tuple[tuple[tuple[int, dt.date], ...], tuple[int, ...]]:
    """The Golmud park's members from the parks' start (:func:`_park_start`): steady smelters and chemical plants of
    Haixi (海西, 6328xx) without a deliberate pattern, those with 15-minute data first (largest first, 3–6 of them;
    when fewer, the largest others are given 15-minute data), then up to 3 of the smallest others while they carry
    at most 5 % of the members' load. The smallest member with 15-minute data joins on 1 July of the last year.
    Returns the members and those given data."""
    skip = {roles.mismatch, roles.gap, *roles.champions}
    candidates = [e for e in roles.quiet if e not in skip and ents.region_code[e].startswith("6328")
                  and ents.industry[e].code in _PARK_INDUSTRIES]
    size = ent_kwh[:, -12:].sum(axis=1)
    by_size = sorted(candidates, key=lambda e: (-size[e], e))
    covered = [e for e in by_size if e in roles.interval][:_PARK_COVERED[1]]
    given = [e for e in by_size if e not in roles.interval and e not in roles.onsite
             ][:max(0, _PARK_COVERED[0] - len(covered))]
    covered += given
    uncovered: list[int] = []
    for e in reversed(by_size):
        if len(uncovered) < _PARK_UNCOVERED and e not in covered and (sum(size[uncovered]) + size[e]) <= \
                _UNCOVERED_SHARE * (sum(size[covered]) + sum(size[uncovered]) + size[e]):
            uncovered.append(e)
    first = _park_start(years)
    joiner = min(covered, key=lambda e: (size[e], e)) if len(covered) > 1 else -1
    members = sorted(covered + uncovered)
    return (tuple((e, dt.date(years[-1], 7, 1) if e == joiner else first) for e in members),
            tuple(sorted(given)))


def _plan_additions(seed: int, years: Sequence[int], ents: _Enterprises, meters: _Meters, roles: _Roles,
                    holder: IntArray, kwh: FloatArray) -> _Additions:
    """The new enterprises and the data centres' electricity, drawn from their own generator; the Golmud park's
    members, chosen from the province by the monthly model (before 15-minute readings round it)."""
    rng = np.random.default_rng([seed, 16])
    used = set(ents.credit_code)
    regions = [s.region_code for s in _SITES]
    codes = _credit_codes(rng, regions)
    while used & set(codes):
        codes = _credit_codes(rng, regions)
    new = _Enterprises(codes, [s.name for s in _SITES], [s.industry for s in _SITES], regions,
                       [s.opened_on for s in _SITES], [None] * len(_SITES),
                       np.array([s.annual_kwh for s in _SITES]), np.full(len(_SITES), 0.06), np.ones(len(_SITES)),
                       np.zeros(len(_SITES), dtype=bool))
    ids = set(meters.meter_id)
    meter_ids: list[str] = []
    while len(meter_ids) < 3:
        meter_id = f"6300{int(rng.integers(10**9)):09d}"
        if meter_id not in ids:
            ids.add(meter_id)
            meter_ids.append(meter_id)
    shape = _SHAPES["data_centre"]
    n_months = 12 * len(years)
    days = np.array([calendar.monthrange(y, m)[1] for y in years for m in range(1, 13)], dtype=float)
    season = np.tile(shape.monthly, len(years))
    trend = 1.06 ** (np.arange(n_months) / 12)
    grid = np.array([s.annual_kwh for s in _SITES[1:]])[:, None] * days / 365 * season / np.mean(shape.monthly) \
        * trend * rng.uniform(0.99, 1.01, (2, n_months))
    series: dict[int, list[tuple[str, FloatArray]]] = {}
    for y in years[-2:]:
        y0 = 12 * (y - years[0])
        clock = _clock(y, 15)
        profile = _load_profile(shape, clock)
        for d in range(2):
            raw = profile * (1 + shape.noise * rng.standard_normal(clock.ts.size))
            x = clock.scale_to_months(np.clip(raw, 0, None), grid[d, y0:y0 + 12])
            grid[d, y0:y0 + 12] = np.round(clock.monthly_sums(x), 1)
            series.setdefault(y, []).append((meter_ids[d], x))
    grid = np.round(grid, 1)
    it_kwh = np.round(grid[0] / (_PUE[0] + _PUE[1] * (season - 0.95)), 1)
    ent_kwh, _ = _enterprise_months(holder, kwh, len(ents))
    golmud, given = _golmud_members(ents, roles, ent_kwh, years)
    return _Additions(new, (meter_ids[0], meter_ids[1], meter_ids[2]), grid, it_kwh, golmud,
                      _ExtraReadings(rng, given, series))


def _battery(load: FloatArray, generated: FloatArray, other_green: FloatArray, power: float, energy: float,
             efficiency: float) -> tuple[FloatArray, FloatArray]:
    """Hourly charge and discharge [kWh] of the park's battery: it charges from the generation that the load,
    less the other green supply, leaves over (so every charge is green, §9c), up to its power and room, holding
    charge × efficiency, and discharges into the load the green supply leaves unmet."""
    surplus = generated + other_green - load
    charged, discharged = np.zeros_like(load), np.zeros_like(load)
    held = 0.0
    for h in range(load.size):
        if surplus[h] > 0:
            charged[h] = min(surplus[h], generated[h], power, (energy - held) / efficiency)
            held += charged[h] * efficiency
        elif held > 0:
            discharged[h] = min(-surplus[h], power, held)
            held -= discharged[h]
    return charged, discharged


def _park_green(batch: _Batch, years: Sequence[int], codes: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """The members' own on-site self-consumption and green instruments (trades, unbundled certificates) by month
    of the period [kWh], counted in their months of membership (``codes``: credit code -> (months,) bool)."""
    n_months = 12 * len(years)
    onsite, instruments = np.zeros(n_months), np.zeros(n_months)
    for table, target, column, factor in (("onsite_generation", onsite, "kwh_self_consumed", 1.0),
                                          ("green_trades", instruments, "kwh", 1.0),
                                          ("green_certificates", instruments, "mwh", 1000.0)):
        for y in years:
            for row in batch.rows(y, table):
                month = row.get("month") or row["vintage_month"]
                t = 12 * (int(month[:4]) - years[0]) + int(month[5:7]) - 1
                if row["credit_code"] in codes and row.get("bundled") != "true" and 0 <= t < n_months \
                        and codes[row["credit_code"]][t]:
                    target[t] += float(row[column]) * factor
    return onsite, instruments


class _CertificateIds:
    """Certificate numbers of the additions, none already in the batch."""

    def __init__(self, rng: np.random.Generator, batch: _Batch, years: Sequence[int]) -> None:
        self.rng = rng
        self.used = {row["certificate_id"] for y in years for row in batch.rows(y, "green_certificates")}

    def __call__(self, plant: str, month: str, bundled: bool) -> str:
        serial = int(self.rng.integers(10**7))
        while (number := _certificate_id(plant, month, serial, bundled)) in self.used:
            serial += 1
        self.used.add(number)
        return number


def _add_contract(batch: _Batch, ids: _CertificateIds, years: Sequence[int], contract_id: str, code: str,
                  plant: _Plant, monthly: FloatArray, hourly: dict[int, FloatArray]) -> None:
    """A green-power contract of one buyer over the period: settled kWh by month, the hourly profile of the given
    years, and its bundled certificates (证电合一, settled kWh / 1,000 rounded up, retired the month after)."""
    for t in np.flatnonzero(monthly > 0):
        year, k = years[int(t) // 12], int(t) % 12 + 1
        month = f"{year}-{k:02d}"
        batch.add(year, "green_trades", contract_id=contract_id, credit_code=code, month=month,
                  kwh=_text(monthly[t], 1), technology=plant.trade_technology, plant_id=plant.filing_code)
        batch.add(year, "green_certificates", certificate_id=ids(plant.filing_code, month, True), credit_code=code,
                  vintage_month=month, mwh=str(math.ceil(monthly[t] / 1000)), technology=plant.trade_technology,
                  retired_on=(_month_end(year, k) + dt.timedelta(days=20)).isoformat(), bundled="true",
                  plant_id=plant.filing_code)
    for y, values in hourly.items():
        _hourly_rows(batch, y, "green_trade_profiles", "contract_id", contract_id, _clock(y, 60), values,
                     np.ones(12, dtype=bool))


def _add_supplier(rng: np.random.Generator, batch: _Batch, ids: _CertificateIds, years: Sequence[int], code: str,
                  load: FloatArray, onsite: FloatArray, instruments: FloatArray) -> FloatArray:
    """The Golmud park's energy company: PV and wind (60:40 by energy, ``onsite_generation_interval``) and a
    battery (``storage_interval``, §9c), hourly, and a hydro contract with its profile in the interval years,
    sized each year so that the park's green share reaches its goal (95 % in the last year, 7 points less each
    year before): what the park lacks (goal × load − its members' own green), a quarter by contract, the rest
    supplied by PV, wind and battery (their green supply calibrated by simulating the battery), from the parks'
    start (nothing before: the company is set up with the park). ``load``: the
    members' grid kWh by month in their months of membership. Returns its green supply by month [kWh]."""
    n_months = 12 * len(years)
    supplied = np.zeros(n_months)
    trade = np.zeros(n_months)
    profiles: dict[int, FloatArray] = {}
    hydro_plant = _PLANTS[_HYDRO_PLANT]
    for yi, y in enumerate(years):
        if y < _park_start(years).year:
            continue
        y0 = 12 * yi
        clock = _clock(y, 60)
        goal = _GOLMUD_GOAL - _GOLMUD_RISE * (years[-1] - y)
        lacking = goal * (load[y0:y0 + 12].sum() + onsite[y0:y0 + 12].sum()) - onsite[y0:y0 + 12].sum() \
            - instruments[y0:y0 + 12].sum()
        lacking = max(lacking, 0.05 * load[y0:y0 + 12].sum())
        weights = _HYDRO_MONTHLY * clock.counts
        trade[y0:y0 + 12] = np.round(_SUPPLIER_TRADE_SHARE * lacking * weights / weights.sum(), 1)
        trade_hourly = clock.scale_to_months(_generation_shape(rng, "hydro", clock), trade[y0:y0 + 12])
        if y in years[-2:]:
            profiles[y] = trade_hourly
        pv = clock.scale_to_months(_generation_shape(rng, "solar", clock), _SOLAR_KWH_PER_KW)
        wind = clock.scale_to_months(_generation_shape(rng, "wind", clock), _WIND_KWH_PER_KW)
        base = 0.6 * pv / pv.sum() + 0.4 * wind / wind.sum()
        hourly_load = np.repeat(load[y0:y0 + 12] / clock.counts, clock.counts)
        power = _BATTERY[0] * hourly_load.mean()
        target = (1 - _SUPPLIER_TRADE_SHARE) * lacking
        scale = target
        for _ in range(3):
            generated = np.round(scale * base, 3)
            charged, discharged = _battery(hourly_load, generated, trade_hourly, power, _BATTERY[1] * power,
                                           _BATTERY[2])
            supply = generated - charged + discharged
            scale *= target / supply.sum()
        charged, discharged = np.round(charged, 3), np.round(discharged, 3)
        supplied[y0:y0 + 12] = clock.monthly_sums(generated - charged + discharged)
        _hourly_rows(batch, y, "onsite_generation_interval", "credit_code", code, clock, generated,
                     np.ones(12, dtype=bool))
        batch.extend(y, "storage_interval", credit_code=[code] * clock.ts.size,
                     ts=np.datetime_as_string(clock.ts, unit="s").tolist(),
                     kwh_charged=np.char.mod("%.3f", charged + 0.0).tolist(),
                     kwh_discharged=np.char.mod("%.3f", discharged + 0.0).tolist())
    _add_contract(batch, ids, years, f"QH-ZCP-GT-{years[0]}-001", code, hydro_plant, trade, profiles)
    return supplied + trade


def _add_data_centres(rng: np.random.Generator, batch: _Batch, ids: _CertificateIds, years: Sequence[int],
                      add: _Additions) -> None:
    """The two data centres' meters, monthly kWh (their 15-minute readings are in ``add.readings``) and green power:
    the 24/7 one (共和) buys its whole load from a hydro contract with a flat hourly profile (bundled certificates
    with it) and has an IT sub-meter; the annual-only one (西宁) retires unbundled certificates of solar and wind
    plants a little above its load each month, which no hour matches."""
    codes = add.ents.credit_code
    first = years[0]
    grid_meters = add.meter_ids[:2]
    for d, meter_id in enumerate(grid_meters):
        batch.add(first, "meters", meter_id=meter_id, credit_code=codes[1 + d], valid_from=add.ents.opened_on[1 + d]
                  .isoformat(), valid_to="")
    batch.add(first, "meters", meter_id=add.meter_ids[2], credit_code=codes[1],
              valid_from=add.ents.opened_on[1].isoformat(), valid_to="")
    for t in range(add.grid_kwh.shape[1]):
        year, month = years[t // 12], f"{years[t // 12]}-{t % 12 + 1:02d}"
        for d, meter_id in enumerate(grid_meters):
            batch.add(year, "consumption_monthly", meter_id=meter_id, month=month, kwh=_text(add.grid_kwh[d, t], 1),
                      kwh_peak="", kwh_flat="", kwh_valley="")
        batch.add(year, "consumption_monthly", meter_id=add.meter_ids[2], month=month, kwh=_text(add.it_kwh[t], 1),
                  kwh_peak="", kwh_flat="", kwh_valley="")
    for d, site in enumerate(_SITES[1:]):
        batch.add(first, "data_centres", credit_code=codes[1 + d], site_name=site.site_name,
                  it_meter_id=add.meter_ids[2] if d == 0 else "")
    monthly = np.ceil(add.grid_kwh[0])
    counts = {y: _clock(y, 60).counts for y in years[-2:]}
    flat = {y: np.repeat(monthly[12 * (y - first):12 * (y - first) + 12] / n, n) for y, n in counts.items()}
    _add_contract(batch, ids, years, f"QH-DC-GT-{first}-001", codes[1], _PLANTS[_HYDRO_PLANT], monthly, flat)
    for t in range(add.grid_kwh.shape[1]):
        year, k = years[t // 12], t % 12 + 1
        left = math.ceil(add.grid_kwh[1, t] * rng.uniform(1.01, 1.04) / 1000)
        for plant_index in _CERT_PLANTS:
            plant = _PLANTS[plant_index]
            mwh = left // 2 if plant_index == _CERT_PLANTS[0] else left - left // 2
            batch.add(year, "green_certificates", certificate_id=ids(plant.filing_code, f"{year}-{k:02d}", False),
                      credit_code=codes[2], vintage_month=f"{year}-{k:02d}", mwh=str(mwh),
                      technology=plant.trade_technology,
                      retired_on=(_month_end(year, k) + dt.timedelta(days=int(rng.integers(10, 90)))).isoformat(),
                      bundled="false", plant_id=plant.filing_code)


def _add_parks(rng: np.random.Generator, batch: _Batch, years: Sequence[int], ents: _Enterprises, roles: _Roles,
               ent_kwh: FloatArray, add: _Additions) -> tuple[str, ...]:
    """The two parks and their memberships, the Golmud park's supplier and the data centres (with economics for
    the new enterprises). The Xining park's members are its steady industrial enterprises (西宁, 6301xx) without
    any green power, so that it stays far from its target. Returns the Xining park's members."""
    first, n_months = years[0], 12 * len(years)
    ids = _CertificateIds(rng, batch, years)
    supplier = add.ents.credit_code[0]
    _add_enterprises(batch, first, add.ents)
    park_months = {ents.credit_code[e]: np.array([dt.date(years[t // 12], t % 12 + 1, 1) >= start
                                                  for t in range(n_months)]) for e, start in add.golmud}
    load = np.zeros(n_months)
    for e, _ in add.golmud:
        load += np.where(park_months[ents.credit_code[e]], ent_kwh[e], 0.0)
    onsite, instruments = _park_green(batch, years, park_months)
    supply = _add_supplier(rng, batch, ids, years, supplier, load, onsite, instruments)
    _add_data_centres(rng, batch, ids, years, add)
    green = {row["credit_code"] for y in years for table in ("onsite_generation", "green_trades", "green_certificates")
             for row in batch.rows(y, table)}
    golmud = {e for e, _ in add.golmud}
    xining = sorted((e for e in roles.quiet if ents.region_code[e].startswith("6301") and e not in golmud
                     and ents.industry[e].code[0] == "C" and ents.credit_code[e] not in green
                     and e not in (roles.mismatch, roles.gap)), key=lambda e: (-ent_kwh[e].sum(), e))[:_XINING_MEMBERS]
    for park_id, name, region, target_year in (_GOLMUD_PARK, _XINING_PARK):
        batch.add(first, "parks", park_id=park_id, name=name, region_code=region,
                  supplier_credit_code=supplier if park_id == _GOLMUD_PARK[0] else "", target_green_share="1",
                  target_year=str(target_year))
    for park_id, members in ((_GOLMUD_PARK[0], add.golmud),
                             (_XINING_PARK[0], [(e, _park_start(years)) for e in xining])):
        for e, start in members:
            batch.add(first, "park_members", park_id=park_id, credit_code=ents.credit_code[e],
                      valid_from=start.isoformat(), valid_to="")
    _add_economics(rng, batch, years, add.ents, np.vstack([supply, add.grid_kwh]))
    return tuple(ents.credit_code[e] for e in xining)


def check_size(n_enterprises: int) -> None:
    """UsageError unless the province has at least :data:`MIN_ENTERPRISES` enterprises: each deliberate pattern
    (two meters moved between enterprises, a stoppage, a sharp drop, a sustained decline, green champions, the
    interval enterprises with a meter mismatch and a gap) needs enterprises of its own among those open the whole
    period, and the loans need borrowers. With fewer, the patterns run out of enterprises (below 7 the generator
    fails outright; from 7 to 19 patterns would be missing or share enterprises)."""
    if n_enterprises < MIN_ENTERPRISES:
        raise UsageError(f"the demo province needs at least {MIN_ENTERPRISES} enterprises, not {n_enterprises}, so "
                         "that each of its deliberate patterns (meters moved between enterprises, a stoppage, a sharp "
                         "drop, a sustained decline, green champions, interval data) has enterprises of its own",
                         zh=f"示例省份至少需要 {MIN_ENTERPRISES} 家企业（而不是 {n_enterprises} 家），"
                            "才能让每种刻意设置的情形（户号在企业间转移、停产、用电骤降、持续下降、"
                            "绿电领先企业、15 分钟数据）各有自己的企业")


def build_demo_province(root: Path, *, n_enterprises: int = 500, years: tuple[int, ...] = (2022, 2023, 2024),
                        interval_share: float = 0.12, seed: int = 20240601) -> DemoProvince:
    """Write the demo province (see ``write_demo_province``) and say where its deliberate patterns are."""
    check_size(n_enterprises)
    if not years or list(years) != list(range(years[0], years[0] + len(years))):
        raise UsageError(f"the demo's years must be consecutive and ascending, not {list(years)}",
                         zh=f"示例的年份必须连续且递增，而不是 {list(years)}")
    if not 0 <= interval_share <= 1:
        raise UsageError(f"interval_share must be between 0 and 1, not {interval_share}",
                         zh=f"interval_share 必须在 0 到 1 之间，而不是 {interval_share}")
    rng = np.random.default_rng(seed)
    folders = {y: root / str(y) for y in years}
    for folder in folders.values():
        _prepare_folder(folder)
    ents = _make_enterprises(rng, n_enterprises, years[0], years[-1], lifecycle=True)
    roles = _assign_roles(rng, ents, years[0], interval_share)
    per_enterprise = rng.choice([1, 2, 3], size=n_enterprises, p=[0.45, 0.35, 0.2])
    per_enterprise[[seller for seller, _ in roles.transfers]] = 3
    meters = _make_meters(rng, ents, per_enterprise)
    month_first = [dt.date(y, m, 1) for y in years for m in range(1, 13)]
    n_months = len(month_first)
    moved = []
    for (seller, buyer), t in zip(roles.transfers, (n_months // 2, max(1, n_months - 9)), strict=True):
        meter = _move_meter(meters, ents, seller, buyer, month_first[t])
        moved.append((meters.meter_id[meter], ents.credit_code[seller], ents.credit_code[buyer],
                      month_first[t].isoformat()))
    holder = _holders(meters, month_first)
    kwh = _monthly_model(rng, ents, meters, holder, years)
    stoppage, sharp = _apply_patterns(rng, roles, holder, kwh, len(years))
    add = _plan_additions(seed, years, ents, meters, roles, holder, kwh)
    tou, mismatch, gap = _write_demo_intervals(rng, folders, years, ents, meters, holder, kwh, roles, add.readings)

    batch = _Batch()
    _add_enterprises(batch, years[0], ents)
    _add_meters(batch, years[0], ents, meters)
    _add_consumption(rng, batch, years, ents, meters, holder, kwh, tou)
    ent_kwh, ent_has = _enterprise_months(holder, kwh, n_enterprises)
    clocks = {y: _clock(y, 60) for y in years[-2:]}
    _add_onsite(rng, batch, years, ents, roles, ent_kwh, ent_has, clocks)
    trades = _add_green_trades(rng, batch, years, ents, roles, ent_kwh, clocks)
    _add_plants(batch, years[0])
    certs = _Certificates(rng, np.random.default_rng([seed, 15]), batch, years, ents)
    _add_certificates(rng, certs, years, ents, roles, ent_kwh, ent_has)
    unbacked = _add_bundled(rng, certs, years, ents, trades)
    totals = _add_economics(rng, batch, years, ents, ent_kwh)
    _add_loans(rng, batch, years, ents, roles, totals)
    xining = _add_parks(add.readings.rng, batch, years, ents, roles, ent_kwh, add)
    for y, folder in folders.items():
        batch.write(y, folder)

    def month(t: int) -> str:
        return f"{years[t // 12]}-{t % 12 + 1:02d}"

    code = ents.credit_code
    return DemoProvince(
        folders=list(folders.values()),
        interval_enterprises=tuple(code[e] for e in sorted(roles.interval + add.readings.members)),
        stoppage={code[e]: month(t) for e, t in stoppage.items()},
        sharp_drop={code[e]: tuple(month(t) for t in ts) for e, ts in sharp.items()},
        sustained_decline=tuple(code[e] for e in roles.decline),
        meter_mismatch=mismatch, interval_gap=gap, moved_meters=tuple(moved),
        green_champions=tuple(code[e] for e in roles.champions),
        unbacked_trades=unbacked,
        plants_outside={p.filing_code: p.region_code for p in _PLANTS if not p.region_code.startswith("63")},
        opened_mid_period=tuple(code[e] for e in range(n_enterprises) if ents.opened_on[e].year >= years[0]),
        closed=tuple(code[e] for e in range(n_enterprises) if ents.closed_on[e] is not None),
        parks={_GOLMUD_PARK[0]: tuple(code[e] for e, _ in add.golmud), _XINING_PARK[0]: xining},
        park_supplier=add.ents.credit_code[0], data_centres=(add.ents.credit_code[1], add.ents.credit_code[2]))


def write_demo_province(root: Path, *, n_enterprises: int = 500, years: tuple[int, ...] = (2022, 2023, 2024),
                        interval_share: float = 0.12, seed: int = 20240601) -> list[Path]:
    """Write one batch folder per year under root (root/'2022', root/'2023', ...) and return them in order.

    The first folder holds ``enterprises`` and ``meters`` and the first year's data; each later folder holds
    its year's data: monthly consumption of every held meter-month, 15-minute readings of the
    ``interval_share`` of enterprises for the last two years (``interval_readings.parquet``), on-site
    generation, green trades and their hourly profiles, green certificates (by vintage year), economics and
    loans (by the year drawn); the parks, their members and the data centres in the first folder, the park
    supplier's hourly generation and storage in each year's. Table files of an earlier run in those folders are
    replaced."""
    return build_demo_province(root, n_enterprises=n_enterprises, years=years, interval_share=interval_share,
                               seed=seed).folders


# ---------------------------------------------------------------------------------------------------------
# the interval benchmark


def write_interval_benchmark(root: Path, *, n_enterprises: int, year: int, seed: int = 7,
                             first_enterprise: int | None = None) -> Path:
    """One batch folder for benchmarks: n enterprises, one meter each, a full year of 15-minute readings
    for every meter (35,040 per meter per non-leap year), as interval_readings.parquet, plus
    enterprises.csv, meters.csv, consumption_monthly.csv (monthly totals equal to the interval sums),
    economics.csv. Must handle n=5000 (175 M rows) without holding it all in memory: write the parquet
    with pyarrow.parquet.ParquetWriter in chunks of a few hundred meters, meters in id order.

    ``first_enterprise`` (default: none) makes the batch one region of a larger province (bench/bench_province.py):
    its enterprises are numbers ``first_enterprise .. first_enterprise + n_enterprises - 1`` of the province, and
    their credit codes and meter ids are drawn from ranges reserved for those numbers, so batches of disjoint
    ranges never share an identifier (give each its own ``seed`` too). Without it the identifiers are drawn from
    the whole range, as always.

    The folder is root itself; it is returned."""
    if n_enterprises < 1:
        raise UsageError(f"the benchmark needs at least 1 enterprise, not {n_enterprises}",
                         zh=f"基准测试至少需要 1 家企业，而不是 {n_enterprises}")
    if first_enterprise is not None and not 0 <= first_enterprise <= MAX_BLOCK_ENTERPRISES - n_enterprises:
        most = MAX_BLOCK_ENTERPRISES - n_enterprises
        raise UsageError(f"first_enterprise must be from 0 to {most:,}, not {first_enterprise}",
                         zh=f"first_enterprise 须在 0 到 {most:,} 之间，而不是 {first_enterprise}")
    rng = np.random.default_rng(seed)
    _prepare_folder(root)
    ents = _make_enterprises(rng, n_enterprises, year, year, lifecycle=False, block=first_enterprise)
    meters = _make_meters(rng, ents, np.ones(n_enterprises, dtype=np.int64), block=first_enterprise)
    clock = _clock(year, 15)
    ts_us = clock.ts.astype("datetime64[us]")
    profiles = {name: _load_profile(shape, clock) for name, shape in _SHAPES.items()}
    profiles = {name: profile / profile.mean() for name, profile in profiles.items()}
    monthly = np.zeros((n_enterprises, 12))
    chunk = 200
    # meters in the order of their ids, each meter's readings in time order: as the grid's metering system exports
    # them (ingest sums such a file in one streaming pass, ingest/sorted_readings.py)
    by_id = np.argsort(np.asarray(meters.meter_id, dtype=str), kind="stable")
    with _IntervalWriter(root / "interval_readings.parquet", group_rows=1) as out:
        for lo in range(0, n_enterprises, chunk):
            idx = by_id[lo:lo + chunk]
            shapes = [_SHAPES[ents.industry[e].shape] for e in idx]
            x = np.stack([profiles[ents.industry[e].shape] for e in idx])
            x *= 1 + np.array([s.noise for s in shapes])[:, None] * rng.standard_normal(x.shape)
            np.clip(x, 0, None, out=x)
            x *= (ents.annual_kwh[idx] / clock.ts.size)[:, None]
            x = np.round(x, 3)
            monthly[idx] = clock.monthly_sums(x)
            out.add([meters.meter_id[e] for e in idx], np.full(idx.size, clock.ts.size), np.tile(ts_us, idx.size),
                    x.ravel())
    batch = _Batch()
    _add_enterprises(batch, year, ents)
    _add_meters(batch, year, ents, meters)
    for e in range(n_enterprises):
        for k in range(12):
            batch.add(year, "consumption_monthly", meter_id=meters.meter_id[e], month=f"{year}-{k + 1:02d}",
                      kwh=_text(round(monthly[e, k], 1), 1))
    _add_economics(rng, batch, [year], ents, monthly)
    batch.write(year, root)
    return root
