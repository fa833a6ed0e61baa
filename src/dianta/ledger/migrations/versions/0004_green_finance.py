"""Green finance: pricing policies, loan pricings, alert events

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pricing_policies',
    sa.Column('bank_id', sa.String(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('effective_from', sa.String(), nullable=False),
    sa.Column('body_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.String(), nullable=False),
    sa.Column('created_by', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['organisations.org_id'], ),
    sa.PrimaryKeyConstraint('bank_id', 'version')
    )
    op.create_table('loan_pricings',
    sa.Column('pricing_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('loan_id', sa.String(), nullable=False),
    sa.Column('bank_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('policy_version', sa.Integer(), nullable=False),
    sa.Column('account_year', sa.Integer(), nullable=True),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('base_rate_pct', sa.Float(), nullable=False),
    sa.Column('discount_bp', sa.Float(), nullable=False),
    sa.Column('final_rate_pct', sa.Float(), nullable=False),
    sa.Column('reasons_json', sa.Text(), nullable=False),
    sa.Column('effective_on', sa.String(), nullable=False),
    sa.Column('priced_at', sa.String(), nullable=False),
    sa.Column('priced_by', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id', 'policy_version'], ['pricing_policies.bank_id', 'pricing_policies.version'], ),
    sa.PrimaryKeyConstraint('pricing_id')
    )
    op.create_index('ix_loan_pricings_loan', 'loan_pricings', ['loan_id', 'effective_on'], unique=False)
    op.create_table('alert_events',
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('month', sa.String(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], ),
    sa.PrimaryKeyConstraint('credit_code', 'year', 'profile_id', 'code', 'month')
    )
    op.create_index('ix_alert_events_seen', 'alert_events', ['first_seen_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_events_seen', table_name='alert_events')
    op.drop_table('alert_events')
    op.drop_index('ix_loan_pricings_loan', table_name='loan_pricings')
    op.drop_table('loan_pricings')
    op.drop_table('pricing_policies')
