"""Carbon-price scenarios for transition risk (METHODOLOGY.md §8): versioned TOML data files with their source.

``load_scenarios`` takes a shipped id (``default`` → ``finance/carbon-price-scenarios.toml``) or the path of an
operator's own ``.toml`` file, like methodology profiles. Every value is checked; a missing or malformed one is
a :class:`ReferenceDataError`, never a silent default.
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dianta.errors import ReferenceDataError
from dianta.reference.tables import HERE

#: shipped scenario sets: id -> file under reference/finance/
SHIPPED = {"default": "carbon-price-scenarios.toml"}


@dataclass(frozen=True, slots=True)
class Scenario:
    """One carbon price [CNY per tCO2] with its names and source."""

    scenario_id: str
    name_zh: str
    name_en: str
    price_cny_per_t: float
    source: str


@dataclass(frozen=True, slots=True)
class ScenarioSet:
    """A frozen, validated set of scenarios and the flagging threshold (a share of value added, 0–1)."""

    set_id: str
    version: str
    source: str
    fingerprint: str
    threshold_share: float
    scenarios: tuple[Scenario, ...]

    def provenance(self) -> dict[str, object]:
        """What a result records about the scenarios it used (STYLE.md 6)."""
        return {"id": self.set_id, "version": self.version, "fingerprint": self.fingerprint, "source": self.source,
                "threshold_share": self.threshold_share,
                "scenarios": [{"id": s.scenario_id, "name_zh": s.name_zh, "name_en": s.name_en,
                               "price_cny_per_t": s.price_cny_per_t, "source": s.source} for s in self.scenarios]}


def _number(value: Any, name: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReferenceDataError(f"carbon-price scenarios {source}: '{name}' must be a number, not {value!r}",
                                 zh=f"碳价情景 {source}：“{name}”须为数字，而不是 {value!r}")
    return float(value)


def _text(data: dict[str, Any], name: str, source: str, where: str = "") -> str:
    if name not in data:
        raise ReferenceDataError(f"carbon-price scenarios {source}: value '{where}{name}' is missing; add it "
                                 "(see the shipped default set for its meaning)",
                                 zh=f"碳价情景 {source}：缺少取值“{where}{name}”；请补上"
                                    f"（其含义见随软件提供的默认情景集）")
    return str(data[name])


def _entries(data: dict[str, Any], source: str) -> list[Any]:
    entries = data.get("scenarios")
    if not isinstance(entries, list) or not entries:
        raise ReferenceDataError(f"carbon-price scenarios {source}: at least one [[scenarios]] entry is needed",
                                 zh=f"碳价情景 {source}：至少需要一个 [[scenarios]] 条目")
    return entries


def _scenario(entry: object, where: str, source: str) -> Scenario:
    """One ``[[scenarios]]`` entry (``where``: its place in the file, for messages)."""
    if not isinstance(entry, dict):
        raise ReferenceDataError(f"carbon-price scenarios {source}: {where[:-1]} must be a table",
                                 zh=f"碳价情景 {source}：{where[:-1]} 须为表")
    if "price_cny_per_t" not in entry:
        raise ReferenceDataError(f"carbon-price scenarios {source}: value '{where}price_cny_per_t' is missing",
                                 zh=f"碳价情景 {source}：缺少取值“{where}price_cny_per_t”")
    price = _number(entry["price_cny_per_t"], where + "price_cny_per_t", source)
    if price < 0:
        raise ReferenceDataError(f"carbon-price scenarios {source}: {where}price_cny_per_t {price} is negative",
                                 zh=f"碳价情景 {source}：{where}price_cny_per_t {price} 为负数")
    return Scenario(scenario_id=_text(entry, "id", source, where), name_zh=_text(entry, "name_zh", source, where),
                    name_en=_text(entry, "name_en", source, where), price_cny_per_t=price,
                    source=_text(entry, "source", source, where))


def load_scenarios(id_or_path: str | Path = "default") -> ScenarioSet:
    """Load a shipped scenario set by id (``default``) or an operator's scenario file by path."""
    path = Path(id_or_path)
    if path.suffix != ".toml":
        if str(id_or_path) not in SHIPPED:
            raise ReferenceDataError(f"carbon-price scenarios '{id_or_path}' not found: give a shipped id "
                                     f"({', '.join(SHIPPED)}) or the path of a .toml scenario file",
                                     zh=f"碳价情景“{id_or_path}”不存在：请给出随软件提供的编号"
                                        f"（{'、'.join(SHIPPED)}）或 .toml 情景文件的路径")
        path = HERE / "finance" / SHIPPED[str(id_or_path)]
    if not path.exists():
        raise ReferenceDataError(f"carbon-price scenario file {path} not found",
                                 zh=f"碳价情景文件 {path} 不存在")
    raw = path.read_bytes()
    source = str(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"carbon-price scenarios {source} is not valid TOML: {exc}",
                                 zh=f"碳价情景 {source} 不是有效的 TOML：{exc}") from exc
    if "threshold_share" not in data:
        raise ReferenceDataError(f"carbon-price scenarios {source}: value 'threshold_share' is missing; add it "
                                 "(a share of value added, e.g. 0.05 for 5 %)",
                                 zh=f"碳价情景 {source}：缺少取值“threshold_share”；请补上（占增加值的比例，"
                                    f"如 0.05 表示 5%）")
    threshold = _number(data["threshold_share"], "threshold_share", source)
    if not 0 < threshold <= 1:
        raise ReferenceDataError(f"carbon-price scenarios {source}: threshold_share {threshold} must be in (0, 1] "
                                 "(a share of value added: 0.05 = 5 %)",
                                 zh=f"碳价情景 {source}：threshold_share {threshold} 须在 (0, 1] 之间"
                                    f"（占增加值的比例：0.05 = 5%）")
    scenarios = [_scenario(entry, f"scenarios[{i}].", source) for i, entry in enumerate(_entries(data, source), 1)]
    ids = [s.scenario_id for s in scenarios]
    if len(set(ids)) != len(ids):
        raise ReferenceDataError(f"carbon-price scenarios {source}: scenario ids must be unique ({', '.join(ids)})",
                                 zh=f"碳价情景 {source}：情景编号不能重复（{'、'.join(ids)}）")
    return ScenarioSet(set_id=_text(data, "id", source), version=_text(data, "version", source),
                       source=_text(data, "source", source), fingerprint=hashlib.sha256(raw).hexdigest()[:16],
                       threshold_share=threshold, scenarios=tuple(scenarios))
