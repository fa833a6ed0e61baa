"""The ledger's schema comes from its migrations, on both backends, and old stores are upgraded."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from dianta.ledger import migrate, schema
from dianta.ledger.store import Store


def test_migrations_build_exactly_the_schema(store: Store):
    with store.engine.connect() as con:
        assert MigrationContext.configure(con).get_current_revision() == migrate.head()
        assert compare_metadata(MigrationContext.configure(con), schema.metadata) == []


def test_store_made_before_migrations_is_upgraded(tmp_path: Path):
    """Stores of the first release were created from the tables of revision 0001 with no alembic_version."""
    folder = tmp_path / "old"
    folder.mkdir()
    engine = sa.create_engine(f"sqlite:///{folder / 'ledger.sqlite'}")
    first = [t for name, t in schema.metadata.tables.items()
             if name not in ("organisations", "users", "api_keys", "revoked_tokens", "consents", "audit_log",
                             "labels", "pricing_policies", "loan_pricings", "alert_events", "data_plants",
                             "data_data_centres", "computing_certificates",
                             "data_parks", "data_park_members", "park_accounts", "park_marks",
                             "park_labels", "alert_actions")]
    schema.metadata.create_all(engine, tables=first)
    with engine.begin() as con:
        for column in ("last_batch_id", "mode"):  # added to runs by revision 0005
            con.execute(sa.text(f"ALTER TABLE runs DROP COLUMN {column}"))
        con.execute(sa.text("ALTER TABLE lake_files DROP COLUMN month_to"))  # revision 0006
        for table in ("lake_files", "quarantine"):  # revision 0009
            for column in ("size_bytes", "sha256"):
                con.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        con.execute(sa.text("INSERT INTO lake_files (path, table_name, month, batch_id, n_rows, state) VALUES "
                            "('interval_readings/month=2023-01/b000001.parquet', 'interval_readings', '2023-01', 1, "
                            "96, 'active')"))
        con.execute(schema.meta.insert().values(key="schema_version", value="1"))
    engine.dispose()
    store = Store(folder)
    with store.engine.connect() as con:
        assert MigrationContext.configure(con).get_current_revision() == migrate.head()
        assert sa.inspect(con).has_table("audit_log")
        # a file of the old layout holds one month: 0006 records it as its last month too
        assert con.execute(sa.select(schema.lake_files.c.month, schema.lake_files.c.month_to)).all() == [
            ("2023-01", "2023-01")]
    assert store.active_files("interval_readings", ["2023-01"], verify=False) == [
        store.lake / "interval_readings/month=2023-01/b000001.parquet"]
    # 0009 reads no lake file: the old file has no digest until `dianta lake verify --record`
    with store.engine.connect() as con:
        assert con.execute(sa.select(schema.lake_files.c.size_bytes, schema.lake_files.c.sha256)).all() == [
            (None, None)]


def test_unreachable_postgres_is_a_clear_error(tmp_path: Path):
    import pytest

    from dianta.errors import StoreError

    with pytest.raises(StoreError, match="cannot open the ledger of 127.0.0.1:1/none"):
        Store("postgresql://nobody:secret@127.0.0.1:1/none", lake=tmp_path / "lake")


def test_organisations_with_users_gain_a_park_column(tmp_path: Path):
    """Revision 0013 adds ``organisations.park_id`` (unique, null for every existing organisation) without rebuilding
    the table that users and consents refer to: a store at 0012 with an organisation and its user upgrades."""
    from alembic import command

    folder = tmp_path / "at-0012"
    folder.mkdir()
    engine = sa.create_engine(f"sqlite:///{folder / 'ledger.sqlite'}")
    with engine.begin() as con:
        command.upgrade(migrate._config(con), "0012")
        con.execute(sa.text("INSERT INTO organisations (org_id, kind, name, created_at) VALUES "
                            "('BANK-A', 'bank', '甲银行', 'now')"))
        con.execute(sa.text("INSERT INTO users (username, role, org_id, active, created_at, token_generation) VALUES "
                            "('bank_a', 'bank', 'BANK-A', 1, 'now', 0)"))
    engine.dispose()
    store = Store(folder)
    try:
        with store.engine.connect() as con:
            assert MigrationContext.configure(con).get_current_revision() == migrate.head()
            assert con.execute(sa.select(schema.organisations.c.org_id, schema.organisations.c.park_id)).all() == [
                ("BANK-A", None)]
            assert con.execute(sa.select(schema.users.c.username)).scalars().all() == ["bank_a"]
    finally:
        store.close()
