"""Park labels (园区绿电标识) with verification codes (issue 16, GREEN-POWER.md §10)

``park_labels``: each park label's verification code as issued, with the figures it states; kept when a later run
changes the park account (``superseded_at`` set), so a printed label can be told superseded rather than unknown.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('park_labels',
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('park_id', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('figures_json', sa.Text(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.String(), nullable=False),
    sa.Column('superseded_at', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], ),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_index('ix_park_labels_park', 'park_labels', ['park_id', 'year', 'profile_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_park_labels_park', table_name='park_labels')
    op.drop_table('park_labels')
