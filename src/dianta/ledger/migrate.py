"""Schema migrations of the ledger (Alembic), for SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

HERE = Path(__file__).parent / "migrations"
#: the revision that equals the schema of stores created before migrations existed (schema_version 1)
FIRST = "0001"


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or FIRST


def upgrade(engine: sa.Engine) -> None:
    """Bring the ledger to the newest schema. A store made before migrations (tables, no alembic_version)
    is stamped at the first revision, which is its schema, then upgraded."""
    with engine.begin() as con:
        current = MigrationContext.configure(con).get_current_revision()
        if current == head():
            return
        if current is None and sa.inspect(con).has_table("batches"):
            command.stamp(_config(con), FIRST)
        command.upgrade(_config(con), "head")
