"""Users carry a token generation: tokens of an older generation are refused (issue 12)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every existing user starts at generation 0, which tokens issued before this revision (no `gen` claim)
    # count as: they keep working until the user's generation is first bumped
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('token_generation', sa.Integer(), server_default=sa.text('0'), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('token_generation')
