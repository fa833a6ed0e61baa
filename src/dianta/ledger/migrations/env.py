"""Alembic environment: migrations run on the connection the store passes in (never from a config URL)."""

from alembic import context

from dianta.ledger.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
