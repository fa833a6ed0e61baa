"""Carbon evaluation labels (碳评价标识) with verification codes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('labels',
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_index('ix_labels_account', 'labels', ['credit_code', 'year', 'profile_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_labels_account', table_name='labels')
    op.drop_table('labels')
