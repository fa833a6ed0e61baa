"""Invariants of ingest and accounts (hypothesis), through the real store and engine."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pyarrow as pa
from conftest import credit_code, write_table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from dianta.accounts.build import by_credit_code
from dianta.accounts.compute import compute_year
from dianta.ingest.apply import ingest_batch
from dianta.ledger.store import Store

SLOW = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]
kwh = st.integers(0, 5_000_000).map(lambda x: x / 10)
meter_months = st.lists(st.lists(kwh, min_size=12, max_size=12), min_size=1, max_size=4)


def _province(folder: Path, meters: list[list[float]], *, trade_kwh: float = 0, cert_mwh: float = 0) -> Path:
    code = credit_code(42)
    write_table(folder, "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(code, "性质测试", "C3216", "630000")])
    write_table(folder, "meters", ["meter_id", "credit_code"], [(f"M{i}", code) for i in range(len(meters))])
    write_table(folder, "consumption_monthly", ["meter_id", "month", "kwh"],
                [(f"M{i}", m, v) for i, values in enumerate(meters) for m, v in zip(MONTHS, values, strict=True)])
    write_table(folder, "economics", ["credit_code", "year", "value_added_10k_cny"], [(code, 2023, 1000)])
    if trade_kwh:
        write_table(folder, "green_trades", ["contract_id", "credit_code", "month", "kwh", "technology"],
                    [("T1", code, "2023-06", trade_kwh, "wind")])
    if cert_mwh:
        write_table(folder, "green_certificates", ["certificate_id", "credit_code", "vintage_month", "mwh",
                                                   "technology", "retired_on", "bundled"],
                    [("GEC1", code, "2023-02", cert_mwh, "solar", "2023-12-31", "false")])
    return folder


def _account(meters: list[list[float]], **green: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s")
        ingest_batch(store, _province(Path(tmp) / "b", meters, **green))
        (acc,) = compute_year(store, 2023).records
        return acc


def _fingerprint(store: Store) -> str:
    digest = hashlib.sha256()
    with store.engine.connect() as con:
        for name in ("data_enterprises", "data_meters", "data_consumption_monthly", "batches", "history"):
            digest.update(repr(con.exec_driver_sql(f"SELECT * FROM {name} ORDER BY 1").all()).encode())
    for f in sorted(store.lake.rglob("*.parquet")):
        digest.update(f.as_posix().encode() + f.read_bytes())
    return digest.hexdigest()


@SLOW
@given(meter_months)
def test_reingest_is_a_no_op(meters):
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "s")
        folder = _province(Path(tmp) / "b", meters)
        assert ingest_batch(store, folder).status == "applied"
        before = _fingerprint(store)
        again = ingest_batch(store, folder)
        assert again.status == "unchanged" and again.batch_id is None
        assert _fingerprint(store) == before


@SLOW
@given(meter_months)
def test_sum_over_meters_equals_enterprise_total(meters):
    acc = _account(meters)
    assert_allclose(acc["kwh_grid"], sum(sum(m) for m in meters), rtol=1e-12)
    assert_allclose(acc["electricity"]["monthly_kwh"], [sum(m[i] for m in meters) for i in range(12)], rtol=1e-12)


@SLOW
@given(meter_months, st.integers(1, 100_000))
def test_location_based_emissions_never_depend_on_certificates(meters, cert_mwh):
    assert_allclose(_account(meters, cert_mwh=cert_mwh)["emissions_location_t"],
                    _account(meters)["emissions_location_t"], rtol=1e-12)


@SLOW
@given(meter_months, st.integers(1, 10_000_000), st.integers(0, 10_000))
def test_market_based_emissions_never_increase_with_green_power(meters, trade_kwh, cert_mwh):
    without = _account(meters)
    with_green = _account(meters, trade_kwh=trade_kwh, cert_mwh=cert_mwh)
    assert with_green["emissions_market_t"] <= without["emissions_market_t"] + 1e-9
    assert with_green["kwh_contract"] <= with_green["kwh_grid"] + 1e-9


@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["B", "A", "C", "AA"]), st.floats(0, 1e6), st.integers(0, 23)),
                max_size=60))
def test_by_credit_code_groups_every_row_once(rows):
    """The engine outputs grouped by enterprise without a Python object per row hold, per enterprise, exactly its
    rows' values (as a multiset: the calculations on them do not depend on the order)."""
    table = pa.table({"credit_code": pa.array([r[0] for r in rows], pa.string()),
                      "kwh": pa.array([r[1] for r in rows], pa.float64()),
                      "hour": pa.array([r[2] for r in rows], pa.int64())})
    grouped = by_credit_code(table, "kwh", "hour")
    expected: dict[str, list[tuple[float, int]]] = {}
    for code, kwh, hour in rows:
        expected.setdefault(code, []).append((kwh, hour))
    assert grouped.keys() == expected.keys()
    for code, (kwh, hour) in grouped.items():
        assert sorted(zip(kwh.tolist(), hour.tolist(), strict=True)) == sorted(expected[code])
