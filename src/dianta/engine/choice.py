"""Which engine runs the aggregation: chosen by name from one table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dianta.engine.base import Engine
from dianta.engine.duckdb_engine import DuckDBEngine
from dianta.errors import UsageError


def _spark(temp_dir: Path | None) -> Engine:
    from dianta.engine.spark_engine import SparkEngine  # PySpark is optional: imported only when chosen

    return SparkEngine(temp_dir=temp_dir)


ENGINES: dict[str, Callable[[Path | None], Engine]] = {
    "duckdb": lambda temp_dir: DuckDBEngine(temp_dir=temp_dir),
    "spark": _spark,
}


def get_engine(name: str = "duckdb", *, temp_dir: Path | None = None) -> Engine:
    try:
        return ENGINES[name](temp_dir)
    except KeyError:
        raise UsageError.of("unknown_engine", name=name, engines=", ".join(ENGINES)) from None
