"""Plants: the green-power sources that trades and certificates name (issue 15, GREEN-POWER.md §9)

``storage_interval`` (§9c) is a lake table (Parquet files), so it needs no ledger table.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_plants',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('plant_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('technology', sa.String(), nullable=False),
    sa.Column('region_code', sa.String(), nullable=False),
    sa.Column('capacity_mw', sa.Float(), nullable=True),
    sa.Column('commissioned_on', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )


def downgrade() -> None:
    op.drop_table('data_plants')
