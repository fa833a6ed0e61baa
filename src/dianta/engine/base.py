"""The small interface every engine implements (STYLE.md 8)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import pyarrow as pa


@dataclass(frozen=True, slots=True)
class ParquetInput:
    """Parquet files of the lake read as one table; ``schema`` is used when there are no files. ``between``
    (column, low, high): only the rows whose ``column`` lies in ``[low, high]`` (a part of the enterprises' meters:
    the engine skips the row groups outside it by their statistics)."""

    paths: tuple[Path, ...]
    schema: pa.Schema
    between: tuple[str, Any, Any] | None = None


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement of a script. ``output`` statements are returned as Arrow tables; the others are
    intermediate results later statements read by ``name`` (materialised when ``materialise``)."""

    name: str
    sql: str
    output: bool = False
    materialise: bool = False


Input: TypeAlias = pa.Table | ParquetInput


class Engine(Protocol):
    name: str
    #: a full computation runs the year's script over parts of the enterprises holding about this many meters
    #: each, so that its hourly tables stay within the engine's memory (None: all at once)
    meters_per_part: int | None

    def run(self, script: list[Statement], inputs: dict[str, Input]) -> dict[str, pa.Table]:
        """Run a script over named inputs and return its output tables."""
        ...
