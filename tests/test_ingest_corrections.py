"""Re-sends and corrections (ingest/apply.py): a key already in the store with equal values is a no-op;
with different values the new value is stored, the old kept in history with who, when and why, and the
accounts it affects marked for recalculation. Corrected interval data rewrites the lake month."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from conftest import (
    CERTIFICATES,
    ECONOMICS,
    ENTERPRISES,
    METERS,
    MONTHLY,
    PROFILES,
    READINGS,
    TRADES,
    credit_code,
    write_table,
)

from dianta.errors import InputRefused
from dianta.ingest.apply import IngestResult, ingest_batch
from dianta.ledger import schema
from dianta.ledger.store import Store

A, B = credit_code(1), credit_code(2)
JAN = [f"2023-01-01T00:{m:02d}" for m in (0, 15, 30, 45)]


def first_batch(folder: Path) -> Path:
    """A (C3216) holds M1 until June 2023, then B (C3011); a year of monthly totals and an hour of January
    and of July 15-minute readings."""
    write_table(folder, "enterprises", ENTERPRISES, [(A, "青海甲铝业有限公司", "C3216", "632801", "2022-01-01", None),
                                                     (B, "西宁乙建材有限公司", "C3011", "630100", None, None)])
    write_table(folder, "meters", METERS, [("M1", A, None, "2023-06-30"), ("M1", B, "2023-07-01", None)])
    write_table(folder, "consumption_monthly", MONTHLY, [("M1", f"2023-{m:02d}", 1000) for m in range(1, 13)])
    write_table(folder, "interval_readings", READINGS, [("M1", ts, 10) for ts in JAN]
                + [("M1", f"2023-07-01T00:{m:02d}", 20) for m in (0, 15, 30, 45)])
    write_table(folder, "economics", ECONOMICS, [(A, 2023, 500, None)])
    write_table(folder, "green_trades", TRADES, [("K1", A, "2023-01", 40, "wind")])
    write_table(folder, "green_trade_profiles", PROFILES, [("K1", "2023-01-01T10:00", 20),
                                                           ("K1", "2023-01-01T11:00", 20)])
    write_table(folder, "green_certificates", CERTIFICATES, [("GEC1", A, "2023-05", 1, "wind", "2023-12-01", "0")])
    return folder


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    result = ingest_batch(store, first_batch(tmp_path / "first"), user="loader")
    assert result.status == "applied" and result.batch_id == 1 and result.marked_accounts == 0
    return store


def select(store: Store, table: sa.Table, *where: sa.ColumnElement[bool]) -> list[sa.Row]:
    with store.engine.connect() as con:
        return list(con.execute(sa.select(table).where(*where)).all())


def marks(store: Store) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    with store.engine.connect() as con:
        recalc = sorted(con.execute(sa.select(schema.recalc_marks.c.credit_code, schema.recalc_marks.c.year)).all())
        bench = sorted(con.execute(sa.select(schema.benchmark_marks.c.division, schema.benchmark_marks.c.year)).all())
    return [tuple(r) for r in recalc], [tuple(r) for r in bench]  # type: ignore[misc]


def store_state(store: Store) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    with store.engine.connect() as con:
        tables = {t.name: sorted(repr(tuple(r)) for r in con.execute(sa.select(t)).all())
                  for t in schema.metadata.sorted_tables}
    files = {p.relative_to(store.root).as_posix(): p.read_bytes() for p in store.lake.rglob("*") if p.is_file()}
    return tables, files


def engine_view(store: Store, sql: str, table: str = "interval_readings") -> list[tuple]:
    """What the engine sees: the active lake files only."""
    con = duckdb.connect()
    try:
        con.read_parquet([str(p) for p in store.active_files(table)]).create_view(table)
        return con.sql(sql).fetchall()
    finally:
        con.close()


def correct(store: Store, folder: Path, **kwargs: object) -> IngestResult:
    result = ingest_batch(store, folder, **kwargs)  # type: ignore[arg-type]
    assert result.status == "applied", result
    return result


# -- re-sending -----------------------------------------------------------------------------------------------
def test_resending_the_same_batch_changes_nothing(loaded: Store, tmp_path: Path):
    before = store_state(loaded)
    result = ingest_batch(loaded, tmp_path / "first", reason="sent twice by mistake")
    assert (result.status, result.batch_id, result.marked_accounts) == ("unchanged", None, 0)
    assert result.counts["consumption_monthly"].unchanged == 12 and result.counts["interval_readings"].unchanged == 8
    assert all(c.new == c.corrected == c.quarantined == 0 for c in result.counts.values())
    assert store_state(loaded) == before


def test_equal_values_written_differently_are_a_resend(loaded: Store, tmp_path: Path):
    folder = tmp_path / "again"
    write_table(folder, "consumption_monthly", MONTHLY, [("M1", "2023/1", "1,000.0"), ("M1", "2023-02", "1e3")])
    write_table(folder, "enterprises", ENTERPRISES, [(A, "青海甲铝业有限公司", "c3216", "632801", "2022/1/1", "")])
    write_table(folder, "interval_readings", READINGS, [("M1", "2022-12-31T16:00:00Z", "10.0")])
    before = store_state(loaded)
    assert ingest_batch(loaded, folder).status == "unchanged"
    assert store_state(loaded) == before


# -- ledger corrections ---------------------------------------------------------------------------------------
def test_changed_monthly_kwh_is_a_correction_with_history_and_marks(loaded: Store, tmp_path: Path):
    write_table(tmp_path / "fix", "consumption_monthly", MONTHLY, [("M1", "2023-03", 1000), ("M1", "2023-04", 1250.5)])
    result = correct(loaded, tmp_path / "fix", reason="meter misread in April", user="auditor-7")
    assert result.batch_id == 2 and result.marked_accounts == 2
    counts = result.counts["consumption_monthly"]
    assert (counts.new, counts.unchanged, counts.corrected, counts.quarantined) == (0, 1, 1, 0)

    mc = schema.data_tables["consumption_monthly"]
    (april,) = select(loaded, mc, mc.c.month == "2023-04")
    assert (april.kwh, april.batch_id) == (1250.5, 2)
    (batch,) = select(loaded, schema.batches, schema.batches.c.batch_id == 2)
    assert (batch.received_by, batch.reason, batch.status) == ("auditor-7", "meter misread in April", "applied")
    received = dt.datetime.fromisoformat(batch.received_at)
    assert received.tzinfo is not None and abs(dt.datetime.now(dt.UTC) - received) < dt.timedelta(minutes=5)
    assert json.loads(batch.summary_json)["counts"]["consumption_monthly"]["corrected"] == 1

    (hist,) = select(loaded, schema.history)
    assert (hist.batch_id, hist.table_name, hist.row_key) == (2, "consumption_monthly", '["M1", "2023-04"]')
    assert json.loads(hist.old_json)["kwh"] == 1000.0 and json.loads(hist.new_json)["kwh"] == 1250.5
    # April 2023: A holds the meter; its accounts of 2023 and 2024 and the benchmark groups of its division
    assert marks(loaded) == ([(A, 2023), (A, 2024)], [("C32", 2023), ("C32", 2024)])


def test_correction_marks_the_enterprise_holding_the_meter_that_month(loaded: Store, tmp_path: Path):
    write_table(tmp_path / "fix", "consumption_monthly", MONTHLY, [("M1", "2023-12", 900)])
    correct(loaded, tmp_path / "fix")
    # December: also 2025, whose sustained_decline compares December 2024 with it (METHODOLOGY.md §6)
    assert marks(loaded) == ([(B, 2023), (B, 2024), (B, 2025)], [("C30", 2023), ("C30", 2024), ("C30", 2025)])


def test_economics_and_certificate_corrections_mark_their_years(loaded: Store, tmp_path: Path):
    write_table(tmp_path / "fix", "economics", ECONOMICS, [(A, 2023, 520, None)])
    write_table(tmp_path / "fix", "green_certificates", CERTIFICATES,
                [("GEC1", A, "2024-01", 1, "wind", "2024-03-01", "0")])  # vintage moved to 2024
    result = correct(loaded, tmp_path / "fix", reason="audited accounts")
    assert {t: c.corrected for t, c in result.counts.items()} == {"green_certificates": 1, "economics": 1}
    assert marks(loaded)[0] == [(A, 2023), (A, 2024), (A, 2025)]
    assert sorted(h.table_name for h in select(loaded, schema.history)) == ["economics", "green_certificates"]


def test_enterprise_correction_marks_every_year_and_both_divisions(loaded: Store, tmp_path: Path):
    write_table(tmp_path / "fix", "enterprises", ENTERPRISES,
                [(A, "青海甲铝业有限公司", "C3011", "632801", "2022-01-01", None)])  # C32 -> C30
    correct(loaded, tmp_path / "fix")
    # year 0: every year; the group A left and the one it joined
    assert marks(loaded) == ([(A, 0)], [("C30", 0), ("C32", 0)])


def test_meter_period_correction_marks_every_year_of_its_holder(loaded: Store, tmp_path: Path):
    write_table(tmp_path / "fix", "meters", METERS, [("M1", B, "2023-07-01", "2024-12-31")])
    result = correct(loaded, tmp_path / "fix", reason="contract ends")
    assert result.counts["meters"].corrected == 1
    (hist,) = select(loaded, schema.history)
    assert hist.row_key == '["M1", "2023-07-01"]'
    assert (json.loads(hist.old_json)["valid_to"], json.loads(hist.new_json)["valid_to"]) == (None, "2024-12-31")
    assert marks(loaded) == ([(B, 0)], [("C30", 0)])


def test_an_omitted_optional_column_keeps_its_value_and_an_empty_cell_clears_it(loaded: Store, tmp_path: Path):
    ent = schema.data_tables["enterprises"]
    write_table(tmp_path / "rename", "enterprises", ["credit_code", "name", "industry_code", "region_code"],
                [(A, "青海甲铝业股份有限公司", "C3216", "632801")])
    correct(loaded, tmp_path / "rename", reason="renamed")
    (a,) = select(loaded, ent, ent.c.credit_code == A)
    assert (a.name, a.opened_on) == ("青海甲铝业股份有限公司", "2022-01-01")
    (hist,) = select(loaded, schema.history)
    assert json.loads(hist.new_json)["opened_on"] == "2022-01-01"

    write_table(tmp_path / "clear", "enterprises", ENTERPRISES,
                [(A, "青海甲铝业股份有限公司", "C3216", "632801", "", "")])
    correct(loaded, tmp_path / "clear")
    (a,) = select(loaded, ent, ent.c.credit_code == A)
    assert a.opened_on is None


def test_a_refused_correction_loses_nothing(loaded: Store, tmp_path: Path):
    before = store_state(loaded)
    write_table(tmp_path / "bad", "consumption_monthly", MONTHLY, [("M1", "2023-04", 2000), ("M1", "2023-05", "n/a")])
    write_table(tmp_path / "bad", "interval_readings", READINGS, [("M1", JAN[0], 99)])
    with pytest.raises(InputRefused) as info:
        ingest_batch(loaded, tmp_path / "bad", reason="should not apply")
    assert [(f.code, f.row, f.value) for f in info.value.findings if f.severity == "error"] == [
        ("not_a_number", 3, "n/a")]
    assert store_state(loaded) == before


# -- lake corrections -----------------------------------------------------------------------------------------
def test_corrected_readings_rewrite_the_month_and_keep_the_old_file(loaded: Store, tmp_path: Path):
    lf = schema.lake_files
    readings = lf.c.table_name == "interval_readings"
    (old_jan,) = select(loaded, lf, readings, lf.c.month == "2023-01")
    (old_jul,) = select(loaded, lf, readings, lf.c.month == "2023-07")
    assert engine_view(loaded, "SELECT sum(kwh) FROM interval_readings") == [(120.0,)]

    # 00:15 and 00:30 corrected, 00:45 re-sent unchanged, 01:00 new
    write_table(tmp_path / "fix", "interval_readings", READINGS, [
        ("M1", JAN[1], 12.5), ("M1", JAN[2], 7), ("M1", JAN[3], 10), ("M1", "2023-01-01T01:00", 11)])
    result = correct(loaded, tmp_path / "fix", reason="AMI re-read", user="grid-company")
    counts = result.counts["interval_readings"]
    assert (counts.new, counts.unchanged, counts.corrected) == (1, 1, 2)

    (superseded,) = select(loaded, lf, lf.c.path == old_jan.path)
    assert (superseded.state, superseded.superseded_by) == ("superseded", 2)
    assert (loaded.lake / old_jan.path).exists()  # the old file stays
    assert pq.read_table(loaded.lake / old_jan.path).column("kwh").to_pylist() == [10.0] * 4
    # the file holding the corrected rows is written again, corrected; the new row goes to a file of its own
    # (issue 18: a correction rewrites only the files holding corrected rows, not every file of the month)
    new_jan = {r.path: (r.batch_id, r.n_rows)
               for r in select(loaded, lf, readings, lf.c.month == "2023-01", lf.c.state == "active")}
    assert new_jan == {"interval_readings/month=2023-01/b000002-corrected.parquet": (2, 4),
                       "interval_readings/month=2023-01/b000002.parquet": (2, 1)}
    assert select(loaded, lf, lf.c.path == old_jul.path)[0].state == "active"  # other months untouched

    # the engine sees only the corrected values
    assert engine_view(loaded, "SELECT strftime(ts, '%H:%M'), kwh FROM interval_readings "
                               "WHERE ts < TIMESTAMP '2023-02-01' ORDER BY ts") == [
        ("00:00", 10.0), ("00:15", 12.5), ("00:30", 7.0), ("00:45", 10.0), ("01:00", 11.0)]
    assert engine_view(loaded, "SELECT sum(kwh), count(*) FROM interval_readings") == [(130.5, 9)]

    # a history parquet keeps the old values, the ledger's history points to it
    (hist,) = select(loaded, schema.history)
    assert hist.row_key == "lake:_history/interval_readings/b000002.parquet" and hist.batch_id == 2
    old = pq.read_table(loaded.lake / json.loads(hist.old_json)["file"]).to_pylist()
    assert [(r["ts"], r["kwh"], r["old_kwh"]) for r in old] == [
        (dt.datetime(2023, 1, 1, 0, 15), 12.5, 10.0), (dt.datetime(2023, 1, 1, 0, 30), 7.0, 10.0)]
    (batch,) = select(loaded, schema.batches, schema.batches.c.batch_id == 2)
    assert (batch.received_by, batch.reason) == ("grid-company", "AMI re-read")
    # January: A holds M1
    assert marks(loaded) == ([(A, 2023), (A, 2024)], [("C32", 2023), ("C32", 2024)])


def test_new_readings_in_a_stored_month_add_a_file(loaded: Store, tmp_path: Path):
    write_table(tmp_path / "more", "interval_readings", READINGS, [("M1", "2023-01-01T01:00", 5)])
    result = correct(loaded, tmp_path / "more")
    assert result.counts["interval_readings"].new == 1 and result.marked_accounts == 0
    lf = schema.lake_files
    assert sorted((r.batch_id, r.state) for r in select(loaded, lf, lf.c.table_name == "interval_readings",
                                                        lf.c.month == "2023-01")) == [
        (1, "active"), (2, "active")]
    assert engine_view(loaded, "SELECT sum(kwh), count(*) FROM interval_readings") == [(125.0, 9)]
    assert marks(loaded) == ([], [])


def test_corrected_profile_marks_every_enterprise_the_contract_settled_to(loaded: Store, tmp_path: Path):
    # the batch also settles K1 to B in January: visible only inside the batch's own transaction
    write_table(tmp_path / "fix", "green_trades", TRADES, [("K1", B, "2023-01", 10, "wind")])
    write_table(tmp_path / "fix", "green_trade_profiles", PROFILES, [("K1", "2023-01-01T10:00", 25)])
    result = correct(loaded, tmp_path / "fix")
    assert result.counts["green_trade_profiles"].corrected == 1
    assert marks(loaded)[0] == [(A, 2023), (A, 2024), (B, 2023), (B, 2024)]
    assert engine_view(loaded, "SELECT sum(kwh) FROM green_trade_profiles", "green_trade_profiles") == [(45.0,)]


def test_a_batch_racing_another_on_the_same_month_is_refused_whole(store: Store, tmp_path: Path, monkeypatch):
    """The lake files of a batch are written before its ledger transaction; if another batch changed the
    same month meanwhile, the batch is refused (nothing applied) and can simply be sent again."""
    from dianta.errors import Conflict
    from dianta.ingest import apply

    write_table(tmp_path / "base", "enterprises", ENTERPRISES, [(A, "甲", "C3216", "630100", None, None)])
    write_table(tmp_path / "base", "meters", METERS, [("M1", A, None, None)])
    ingest_batch(store, tmp_path / "base")
    write_table(tmp_path / "one", "interval_readings", READINGS, [("M1", t, 1) for t in JAN])
    write_table(tmp_path / "two", "interval_readings", READINGS,
                [("M1", f"2023-01-01T01:{m:02d}", 2) for m in (0, 15, 30, 45)])
    original = apply._LakeStage.run

    def racing(self: apply._LakeStage) -> None:
        original(self)
        monkeypatch.setattr(apply._LakeStage, "run", original)
        assert ingest_batch(store, tmp_path / "two").status == "applied"  # lands between the two phases

    monkeypatch.setattr(apply._LakeStage, "run", racing)
    with pytest.raises(Conflict, match="another batch changed interval_readings of 2023-01"):
        ingest_batch(store, tmp_path / "one")
    assert [f.name for f in store.active_files("interval_readings")] == ["b000002.parquet"]
    assert ingest_batch(store, tmp_path / "one").status == "applied"
    files = [str(f) for f in store.active_files("interval_readings")]
    with duckdb.connect() as con:
        assert con.sql("SELECT count(*), sum(kwh) FROM read_parquet($f)", params={"f": files}).fetchall() == [(8, 12.0)]
