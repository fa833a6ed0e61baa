"""A supplier's storage (储能) over one year: each storage owner's hourly green supply (GREEN-POWER.md §9c).

Load → aggregate → calculate, as the accounts: the lake files of ``storage_interval`` and
``onsite_generation_interval`` are listed in one snapshot of the ledger, the engine sums them into hours
(:data:`dianta.engine.queries.STORAGE_SCRIPT`), and :func:`dianta.calc.storage.storage_flows` keeps the green
and grid pools hour by hour. A park account (§10) adds the supplier's green supply to the park's.

The owner's green generation is its ``onsite_generation_interval`` kWh [Dianta's reading: the only hourly
generation series per enterprise in DATA-REQUIREMENTS.md; for a park supplier it is the generation made
available to the park, §10]. An owner with monthly ``onsite_generation`` only has no hourly generation here:
all its charging counts as grid, so none of its discharge is green (never more green than the data show).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from dianta.accounts.inputs import months_of
from dianta.calc.storage import StorageFlows, storage_flows
from dianta.engine.base import Engine, Input, ParquetInput
from dianta.engine.choice import get_engine
from dianta.engine.queries import STORAGE_SCRIPT
from dianta.findings import Finding, finding
from dianta.glossary import TABLES
from dianta.ledger.store import Store

_ARROW = {"credit_code": pa.string(), "text": pa.string(), "ts_quarter_hour": pa.timestamp("us"),
          "ts_hour": pa.timestamp("us"), "kwh": pa.float64()}


def _lake_schema(table: str) -> pa.Schema:
    """The columns of a lake table as its files hold them (glossary ``TABLES``)."""
    return pa.schema([(c.name, _ARROW[c.type]) for c in TABLES[table].columns])


def year_hours(year: int) -> np.ndarray:
    """The start of every hour of ``year`` in China Standard Time (8,760 or 8,784), ``datetime64[h]``."""
    return np.arange(np.datetime64(f"{year}-01-01T00", "h"), np.datetime64(f"{year + 1}-01-01T00", "h"))


@dataclass(frozen=True, slots=True)
class StorageYear:
    """The storage owners of a year and their hourly series; arrays are (owners, hours of the year) [kWh]."""

    year: int
    credit_codes: tuple[str, ...]  # the owners, sorted: the rows of every array
    hours: np.ndarray  # (hours,) datetime64[h], China Standard Time: the columns of every array
    kwh_generated: np.ndarray  # the owner's green generation (onsite_generation_interval)
    kwh_charged: np.ndarray
    kwh_discharged: np.ndarray
    flows: StorageFlows  # green supply, green and grid discharge, end-of-hour pools, η
    findings: list[Finding] = field(default_factory=list)  # η capped at 1 (warnings)

    def green_supply_kwh(self, credit_code: str) -> np.ndarray:
        """The owner's hourly green supply [kWh] over the year (zeros for an enterprise without storage)."""
        if credit_code not in self.credit_codes:
            return np.zeros(len(self.hours))
        return self.flows.kwh_green_supply[self.credit_codes.index(credit_code)]


def storage_inputs(con: sa.Connection, store: Store, year: int) -> dict[str, Input]:
    """What :data:`STORAGE_SCRIPT` reads for ``year``: the current lake files, listed in ``con`` (a snapshot,
    e.g. the one a computation reads its other inputs in)."""
    months = months_of(year)
    ts = pa.timestamp("us")
    return {
        "storage_interval": ParquetInput(tuple(store.active_files("storage_interval", months, con=con)),
                                         _lake_schema("storage_interval")),
        "onsite_interval": ParquetInput(tuple(store.active_files("onsite_generation_interval", months, con=con)),
                                        _lake_schema("onsite_generation_interval")),
        "bounds": pa.table({"prev_start": pa.array([dt.datetime(year - 1, 1, 1)], ts),
                            "y_start": pa.array([dt.datetime(year, 1, 1)], ts),
                            "y_end": pa.array([dt.datetime(year + 1, 1, 1)], ts)}),
    }


def storage_year(storage_hour: pa.Table, year: int) -> StorageYear:
    """The pools of every storage owner from the engine's ``storage_hour`` table (GREEN-POWER.md §9c)."""
    hours = year_hours(year)
    codes = tuple(sorted(set(storage_hour.column("credit_code").to_pylist())))
    row = {c: i for i, c in enumerate(codes)}
    series = {name: np.zeros((len(codes), len(hours))) for name in ("kwh_generated", "kwh_charged", "kwh_discharged")}
    if codes:
        rows = np.array([row[c] for c in storage_hour.column("credit_code").to_pylist()], dtype=np.int64)
        stamps = storage_hour.column("hour").to_numpy().astype("datetime64[h]")
        cols = (stamps - hours[0]).astype(np.int64)
        for name, values in series.items():
            np.add.at(values, (rows, cols), storage_hour.column(name).to_numpy(zero_copy_only=False))
    flows = storage_flows(series["kwh_generated"], series["kwh_charged"], series["kwh_discharged"])
    charged, discharged = series["kwh_charged"].sum(axis=1), series["kwh_discharged"].sum(axis=1)
    findings = [finding("storage_efficiency_capped", table="storage_interval", column="kwh_discharged",
                        value=codes[i], severity="warning", year=year, kwh_charged=f"{charged[i]:,.1f}",
                        kwh_discharged=f"{discharged[i]:,.1f}")
                for i in np.flatnonzero(flows.efficiency_capped)]
    return StorageYear(year, codes, hours, series["kwh_generated"], series["kwh_charged"], series["kwh_discharged"],
                       flows, findings)


def storage_green_supply(store: Store, year: int, *, engine: str | Engine = "duckdb") -> StorageYear:
    """Each storage owner's hourly green supply in ``year`` (GREEN-POWER.md §9c) from the store, through the
    engine (``duckdb`` or ``spark``, or an :class:`Engine`)."""
    with store.snapshot() as view:
        inputs = storage_inputs(view, store, year)
    runner = get_engine(engine, temp_dir=store.temp_dir()) if isinstance(engine, str) else engine
    return storage_year(runner.run(STORAGE_SCRIPT, inputs)["storage_hour"], year)
