"""Every lake file's size and SHA-256, recorded when it is published and checked before it is read (issue 13)

Lake files (``lake_files``) and quarantined rows kept as Parquet (``quarantine``) get ``size_bytes`` and
``sha256``; the old values of corrected lake rows (history rows keyed ``lake:<path>``) carry them in their
``old_json``. Rows of earlier stores keep null: the migration does not read the lake (it may be large, and on a
PostgreSQL ledger the migration does not know where the lake is). ``dianta lake verify --record`` records the
digests of such files as they are now; until then a read of one is refused (dianta.ledger.lake).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('lake_files', 'quarantine'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('size_bytes', sa.BigInteger(), nullable=True))
            batch.add_column(sa.Column('sha256', sa.String(), nullable=True))


def downgrade() -> None:
    for table in ('lake_files', 'quarantine'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('sha256')
            batch.drop_column('size_bytes')
