"""Runs record the newest batch they saw and whether they were incremental

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runs') as batch:
        batch.add_column(sa.Column('last_batch_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('mode', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('runs') as batch:
        batch.drop_column('mode')
        batch.drop_column('last_batch_id')
