"""Data centres and their green-computing certificates (issue 16, GREEN-POWER.md §11)

``data_data_centres``: the enterprises whose load is a data centre, with their IT-load sub-meter.
``computing_certificates``: each green-computing certificate (绿电绿算溯源证书) as issued, with its verification
code; kept when a later computation changes its figures (``superseded``), as labels are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_data_centres',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('site_name', sa.String(), nullable=False),
    sa.Column('it_meter_id', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('computing_certificates',
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('period', sa.String(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('level', sa.String(), nullable=False),
    sa.Column('statement_json', sa.Text(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('issued_at', sa.String(), nullable=False),
    sa.Column('superseded_at', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('computing_certificates', schema=None) as batch_op:
        batch_op.create_index('ix_computing_certificates_period', ['credit_code', 'period', 'profile_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('computing_certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_computing_certificates_period')
    op.drop_table('computing_certificates')
    op.drop_table('data_data_centres')
