"""Park organisations (园区管理机构): an organisation of kind ``park`` names the park it manages (issue 16,
GREEN-POWER.md §10)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN and a unique index: no table rebuild (SQLite), which would fail on the users that refer to
    # the organisations; existing organisations have no park
    op.add_column('organisations', sa.Column('park_id', sa.String(), nullable=True))
    op.create_index('ux_organisations_park_id', 'organisations', ['park_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_organisations_park_id', table_name='organisations')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('park_id')
