"""The audit log's entry ids never reused on SQLite: a high-water mark of the log (issue 12)

On SQLite, ``audit_log`` is rebuilt with AUTOINCREMENT, so ``sqlite_sequence`` keeps the highest entry id ever
written (transactionally: a rolled-back entry does not count) and a log cut back or wiped below it is found by
``dianta audit verify`` from the ledger alone, as the entry sequence already does on PostgreSQL. Nothing changes
on PostgreSQL.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    # the rows are copied with their ids, which sets sqlite_sequence to the highest of them
    with op.batch_alter_table('audit_log', recreate='always', table_kwargs={'sqlite_autoincrement': True}):
        pass
    bind = op.get_bind()
    high = bind.execute(sa.text("SELECT max(entry_id) FROM audit_log")).scalar()
    if high is not None:
        bind.execute(sa.text("UPDATE sqlite_sequence SET seq = max(seq, :high) WHERE name = 'audit_log'"),
                     {"high": high})


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('audit_log', recreate='always', table_kwargs={'sqlite_autoincrement': False}):
        pass
