"""Methodology profiles (METHODOLOGY.md, "[platform rule]" values): versioned TOML data files.

The default profile ``default`` reproduces METHODOLOGY.md exactly. ``load_profile`` takes a shipped id
or a path to an operator's own file; every value is checked, and a missing one is a
:class:`ReferenceDataError` (exit 1 at compute), never a silent default.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dianta.errors import ReferenceDataError
from dianta.glossary import HOUR_BANDS
from dianta.reference.tables import CO2_KINDS, HERE, FactorTable

EmissionsBasis = Literal["market", "location"]
MarketMethod = Literal["annual", "hourly"]
MarketBoundary = Literal["national", "regional_grid", "province"]
AREAS = {"national", "north", "northeast", "east", "central", "northwest", "south", "southwest", "province"}


@dataclass(frozen=True, slots=True)
class FactorRole:
    kind: str
    area: str


@dataclass(frozen=True, slots=True)
class Profile:
    """A frozen, validated methodology profile."""

    profile_id: str
    version: str
    fingerprint: str
    factor_table: FactorTable
    location: FactorRole
    residual: FactorRole
    emissions_basis: EmissionsBasis
    meter_mismatch_tolerance: float
    sharp_drop_ratio: float
    sustained_decline_months: int
    operating_day_threshold: float
    operating_day_quantile: float
    tou_valley_hours: tuple[tuple[int, int], ...]
    tou_peak_hours: tuple[tuple[int, int], ...]
    benchmark_min_group_size: int
    intensity_cuts: tuple[tuple[float, float], ...]
    intensity_else: float
    reduction_cuts: tuple[tuple[float, float], ...]
    reduction_else: float
    green_cuts: tuple[tuple[float, float], ...]
    green_else: float
    weight_intensity: float
    weight_reduction: float
    weight_green: float
    grades: tuple[tuple[float, int, str], ...]
    grade_else: tuple[int, str]
    benchmark_table: dict[str, float]
    # GREEN-POWER.md §9–§9b
    market_method: MarketMethod
    market_boundary: MarketBoundary
    certificate_validity_months: int
    bundled_certificate_tolerance: float
    # GREEN-POWER.md §11: the green-computing certificate's levels
    computing_levels: ComputingLevels
    uncovered_load_limit: float = 0.10  # GREEN-POWER.md §10 [parks]
    # GREEN-POWER.md §10 "what would close the gap" [parks]: (band code, start hour, end hour) covering the day, and
    # the round-trip efficiency assumed for the storage that would shift the surplus
    hour_bands: tuple[tuple[str, int, int], ...] = (("night", 0, 6), ("morning", 6, 10), ("midday", 10, 16),
                                                    ("evening_peak", 16, 22), ("late_evening", 22, 24))
    storage_round_trip_efficiency: float = 0.85
    # [disclosure] (issue 17): the fewest enterprises behind any figure the regulator is shown (a programme
    # breakdown cell, a region of the map)
    disclosure_min_group_size: int = 3
    # issue 17 [peers]: the smallest peer distribution an account's rank and percentile are shown over
    peers_min_group_size: int = 5



@dataclass(frozen=True, slots=True)
class ComputingLevels:
    """Profile ``[green_computing]`` (GREEN-POWER.md §11) [platform rule]: the least hourly CFE of levels A, B
    and C, and the least annual green share of level ``annual``."""

    a_min_cfe: float
    b_min_cfe: float
    c_min_cfe: float
    annual_min_green_share: float


def _computing_levels(data: dict[str, Any], source: str) -> ComputingLevels:
    try:
        levels = ComputingLevels(*(float(_get(data, f"green_computing.{k}", source))
                                   for k in ("a_min_cfe", "b_min_cfe", "c_min_cfe", "annual_min_green_share")))
    except (TypeError, ValueError) as exc:
        raise ReferenceDataError(f"methodology profile {source}: green_computing values must be numbers",
                                 zh=f"方法学配置 {source}：green_computing 的取值须为数字") from exc
    if not 0 <= levels.c_min_cfe <= levels.b_min_cfe <= levels.a_min_cfe <= 1:
        raise ReferenceDataError(f"methodology profile {source}: green_computing needs 0 ≤ c_min_cfe ≤ b_min_cfe ≤ "
                                 "a_min_cfe ≤ 1",
                                 zh=f"方法学配置 {source}："
                                    f"green_computing 须满足 0 ≤ c_min_cfe ≤ b_min_cfe ≤ a_min_cfe ≤ 1")
    return levels


def _hour_bands(value: Any, source: str) -> tuple[tuple[str, int, int], ...]:
    """``[parks] hour_bands``: [code, start, end) bands of the glossary's codes covering 0–24 in order."""
    where = f"methodology profile {source}: parks.hour_bands"
    try:
        bands = tuple((str(c), int(a), int(b)) for c, a, b in value)
    except (TypeError, ValueError) as exc:
        raise ReferenceDataError(f"{where} must be a list of [band, start hour, end hour]",
                                 zh=f"方法学配置 {source}：parks.hour_bands 须为 [时段, 起始小时, 结束小时] 的列表"
                                 ) from exc
    unknown = [c for c, _, _ in bands if c not in HOUR_BANDS]
    if unknown or len({c for c, _, _ in bands}) != len(bands):
        raise ReferenceDataError(f"{where}: each band once, of {', '.join(HOUR_BANDS)} (not {', '.join(unknown)})",
                                 zh=f"方法学配置 {source}：parks.hour_bands 的时段须各出现一次，取自 "
                                    f"{'、'.join(HOUR_BANDS)}（不可为 {'、'.join(unknown)}）")
    ends = [0] + [b for _, _, b in bands]
    if not bands or any(a != ends[i] or not a < b for i, (_, a, b) in enumerate(bands)) or ends[-1] != 24:
        raise ReferenceDataError(f"{where}: the bands must follow each other from hour 0 to 24 without gap or overlap "
                                 "([start, end), start < end)",
                                 zh=f"方法学配置 {source}：parks.hour_bands 须从 0 时到 24 时首尾相接、不重叠、不留空"
                                    "（[起始, 结束)，起始 < 结束）")
    return bands


def _get(data: dict[str, Any], dotted: str, source: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ReferenceDataError(f"methodology profile {source}: value '{dotted}' is missing; add it "
                                     "(see the default profile for its meaning)",
                                     zh=f"方法学配置 {source}：缺少取值“{dotted}”；请补上（其含义见默认配置）")
        node = node[part]
    return node


def _pairs(value: Any, name: str, source: str) -> tuple[tuple[float, float], ...]:
    try:
        return tuple((float(a), float(b)) for a, b in value)
    except (TypeError, ValueError) as exc:
        raise ReferenceDataError(f"methodology profile {source}: '{name}' must be a list of [bound, score]"
                                 ,
                                 zh=f"方法学配置 {source}：“{name}”须为 [界值, 得分] 的列表") from exc


def _hours(value: Any, name: str, source: str) -> tuple[tuple[int, int], ...]:
    try:
        spans = tuple((int(a), int(b)) for a, b in value)
    except (TypeError, ValueError) as exc:
        raise ReferenceDataError(f"methodology profile {source}: '{name}' must be a list of [start, end) hours"
                                 ,
                                 zh=f"方法学配置 {source}：“{name}”须为 [起始, 结束) 小时的列表") from exc
    if any(not 0 <= a < b <= 24 for a, b in spans):
        raise ReferenceDataError(f"methodology profile {source}: '{name}' hours must satisfy 0 ≤ start < end ≤ 24",
                                 zh=f"方法学配置 {source}：“{name}”的小时须满足 0 ≤ 起始 < 结束 ≤ 24")
    return spans


def _role(data: dict[str, Any], role: str, source: str) -> FactorRole:
    kind = str(_get(data, f"factors.{role}.kind", source))
    area = str(_get(data, f"factors.{role}.area", source))
    if kind not in CO2_KINDS:
        raise ReferenceDataError(f"methodology profile {source}: factors.{role}.kind '{kind}' is not a CO2 emission "
                                 f"factor kind ({', '.join(CO2_KINDS)}); carbon-footprint factors are life-cycle "
                                 "kgCO2e/kWh by technology and take no role of METHODOLOGY.md §4",
                                 zh=f"方法学配置 {source}：factors.{role}.kind“{kind}”不是二氧化碳排放因子类别"
                                    f"（{'、'.join(CO2_KINDS)}）；"
                                    "碳足迹因子是按技术划分的生命周期 kgCO2e/kWh，不承担 METHODOLOGY.md §4 中的角色")
    if area not in AREAS and not (len(area) == 6 and area.isdigit()):
        raise ReferenceDataError(f"methodology profile {source}: factors.{role}.area '{area}' is not national, "
                                 "a regional grid, 'province' or a 6-digit province code",
                                 zh=f"方法学配置 {source}：factors.{role}.area“{area}”不是 national、区域电网、"
                                    f"province 或 6 位省级代码")
    return FactorRole(kind, area)


def _min_group_size(value: Any, source: str) -> int:
    if not isinstance(value, int) or value < 1:
        raise ReferenceDataError(f"methodology profile {source}: disclosure.min_group_size must be a whole number of "
                                 "at least 1", zh=f"方法学配置 {source}：disclosure.min_group_size 须为不小于 1 的整数")
    return value


def _peers_min_group_size(value: Any, source: str) -> int:
    """Issue 17 [peers]: the smallest peer distribution shown, at least 2 (one peer besides the account)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        raise ReferenceDataError(f"methodology profile {source}: peers.min_group_size must be a whole number ≥ 2, "
                                 f"not {value!r}",
                                 zh=f"方法学配置 {source}：peers.min_group_size 须为不小于 2 的整数，而不是 {value!r}")
    return value


def load_profile(id_or_path: str | Path = "default") -> Profile:
    """Load a shipped profile by id (``default``) or an operator's profile file by path."""
    path = Path(id_or_path)
    if path.suffix != ".toml":
        path = HERE / "profiles" / f"{id_or_path}.toml"
    if not path.exists():
        raise ReferenceDataError(f"methodology profile '{id_or_path}' not found: give a shipped profile id "
                                 f"({', '.join(shipped_profile_ids())}) or the path of a .toml profile file",
                                 zh=f"未找到方法学配置“{id_or_path}”：请给出随附配置的编号（{'、'.join(shipped_profile_ids())}）"
                                    "或 .toml 配置文件的路径")
    raw = path.read_bytes()
    source = str(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"methodology profile {source} is not valid TOML: {exc}",
                                 zh=f"方法学配置 {source} 不是有效的 TOML：{exc}") from exc

    def g(name: str) -> Any:
        return _get(data, name, source)

    basis = g("accounting.emissions_basis")
    if basis not in ("market", "location"):
        raise ReferenceDataError(f"methodology profile {source}: accounting.emissions_basis must be "
                                 f"'market' or 'location', not '{basis}'",
                                 zh=f"方法学配置 {source}：accounting.emissions_basis 须为 market 或 location，"
                                    f"而不是“{basis}”")
    weights = g("evaluation.weights")
    method, boundary = g("green_power.market_method"), g("green_power.market_boundary")
    if method not in ("annual", "hourly"):
        raise ReferenceDataError(f"methodology profile {source}: green_power.market_method must be 'annual' or "
                                 f"'hourly', not '{method}'",
                                 zh=f"方法学配置 {source}：green_power.market_method 须为 annual 或 hourly，"
                                    f"而不是“{method}”")
    if boundary not in ("national", "regional_grid", "province"):
        raise ReferenceDataError(f"methodology profile {source}: green_power.market_boundary must be 'national', "
                                 f"'regional_grid' or 'province', not '{boundary}'",
                                 zh=f"方法学配置 {source}：green_power.market_boundary 须为 national、"
                                    f"regional_grid 或 province，而不是“{boundary}”")
    validity = int(g("green_power.certificate_validity_months"))
    tolerance = float(g("green_power.bundled_certificate_tolerance"))
    if validity < 1 or not 0 <= tolerance < 1:
        raise ReferenceDataError(f"methodology profile {source}: green_power.certificate_validity_months must be "
                                 "≥ 1 and bundled_certificate_tolerance a fraction in [0, 1)",
                                 zh=f"方法学配置 {source}：green_power.certificate_validity_months 须 ≥ 1，"
                                    f"bundled_certificate_tolerance 须为 [0, 1) 之间的比例")
    uncovered = float(g("parks.uncovered_load_limit"))
    if not 0 <= uncovered <= 1:
        raise ReferenceDataError(f"methodology profile {source}: parks.uncovered_load_limit must be a fraction in "
                                 "[0, 1]",
                                 zh=f"方法学配置 {source}：parks.uncovered_load_limit 须为 [0, 1] 之间的比例")
    efficiency = float(g("parks.storage_round_trip_efficiency"))
    if not 0 < efficiency <= 1:
        raise ReferenceDataError(f"methodology profile {source}: parks.storage_round_trip_efficiency must be a "
                                 "fraction in (0, 1]",
                                 zh=f"方法学配置 {source}：parks.storage_round_trip_efficiency 须为 (0, 1] 内的比例")
    peers_min = _peers_min_group_size(g("peers.min_group_size"), source)
    try:
        grades = tuple((float(a), int(b), str(c)) for a, b, c in g("evaluation.grades"))
        grade_else = (int(g("evaluation.grade_else")[0]), str(g("evaluation.grade_else")[1]))
        benchmarks = {str(k): float(v) for k, v in g("evaluation.benchmarks").items()}
    except (TypeError, ValueError, IndexError) as exc:
        raise ReferenceDataError(f"methodology profile {source}: evaluation grades/benchmarks malformed: {exc}"
                                 ,
                                 zh=f"方法学配置 {source}：evaluation 的等级或基准格式有误：{exc}") from exc
    return Profile(
        profile_id=str(g("id")),
        version=str(g("version")),
        fingerprint=hashlib.sha256(raw).hexdigest()[:16],
        factor_table=FactorTable.load(str(g("factor_table"))),
        location=_role(data, "location", source),
        residual=_role(data, "residual", source),
        emissions_basis=basis,
        meter_mismatch_tolerance=float(g("accounting.meter_mismatch_tolerance")),
        sharp_drop_ratio=float(g("electricity.sharp_drop_ratio")),
        sustained_decline_months=int(g("electricity.sustained_decline_months")),
        operating_day_threshold=float(g("electricity.operating_day_threshold")),
        operating_day_quantile=float(g("electricity.operating_day_quantile")),
        tou_valley_hours=_hours(g("electricity.time_of_use.valley"), "valley", source),
        tou_peak_hours=_hours(g("electricity.time_of_use.peak"), "peak", source),
        benchmark_min_group_size=int(g("evaluation.benchmark_min_group_size")),
        intensity_cuts=_pairs(g("evaluation.intensity_cuts"), "intensity_cuts", source),
        intensity_else=float(g("evaluation.intensity_else")),
        reduction_cuts=_pairs(g("evaluation.reduction_cuts"), "reduction_cuts", source),
        reduction_else=float(g("evaluation.reduction_else")),
        green_cuts=_pairs(g("evaluation.green_cuts"), "green_cuts", source),
        green_else=float(g("evaluation.green_else")),
        weight_intensity=float(_get(weights, "intensity", source)),
        weight_reduction=float(_get(weights, "reduction", source)),
        weight_green=float(_get(weights, "green", source)),
        grades=grades,
        grade_else=grade_else,
        benchmark_table=benchmarks,
        market_method=method,
        market_boundary=boundary,
        certificate_validity_months=validity,
        bundled_certificate_tolerance=tolerance,
        computing_levels=_computing_levels(data, source),
        uncovered_load_limit=uncovered,
        hour_bands=_hour_bands(g("parks.hour_bands"), source),
        storage_round_trip_efficiency=efficiency,
        disclosure_min_group_size=_min_group_size(g("disclosure.min_group_size"), source),
        peers_min_group_size=peers_min,
    )


def shipped_profile_ids() -> list[str]:
    """The ids of the shipped profiles (``default``, ``hourly``, ``provincial``, …)."""
    return sorted(p.stem for p in (HERE / "profiles").glob("*.toml"))


def shipped_profile(profile_id: str) -> Profile | None:
    """The shipped profile an account was computed with (None for an operator's own profile file)."""
    try:
        return load_profile(profile_id)
    except ReferenceDataError:
        return None
