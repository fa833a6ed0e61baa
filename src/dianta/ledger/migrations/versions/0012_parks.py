"""Parks (园区): park and member tables, published park accounts and their recalculation marks (issue 16,
GREEN-POWER.md §10)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_parks',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('park_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('region_code', sa.String(), nullable=False),
    sa.Column('supplier_credit_code', sa.String(), nullable=True),
    sa.Column('target_green_share', sa.Float(), nullable=True),
    sa.Column('target_year', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('data_park_members',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('park_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('valid_from', sa.String(), nullable=True),
    sa.Column('valid_to', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('park_accounts',
    sa.Column('park_id', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('record_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], ),
    sa.PrimaryKeyConstraint('park_id', 'year', 'profile_id')
    )
    op.create_table('park_marks',
    sa.Column('park_id', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('park_id', 'year')
    )


def downgrade() -> None:
    op.drop_table('park_marks')
    op.drop_table('park_accounts')
    op.drop_table('data_park_members')
    op.drop_table('data_parks')
