"""A lake file may hold several months: the last one is recorded beside the first

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lake_files') as batch:
        batch.add_column(sa.Column('month_to', sa.String(), nullable=True))
    op.execute("UPDATE lake_files SET month_to = month")


def downgrade() -> None:
    with op.batch_alter_table('lake_files') as batch:
        batch.drop_column('month_to')
