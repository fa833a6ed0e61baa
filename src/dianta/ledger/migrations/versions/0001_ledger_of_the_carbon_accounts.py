"""Ledger of the carbon accounts (issue: carbon accounts end to end)

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batches',
    sa.Column('batch_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('received_at', sa.String(), nullable=False),
    sa.Column('received_by', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('summary_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('batch_id')
    )
    op.create_table('meta',
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('value', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('runs',
    sa.Column('run_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('profile_version', sa.String(), nullable=False),
    sa.Column('profile_fingerprint', sa.String(), nullable=False),
    sa.Column('factor_ids_json', sa.Text(), nullable=False),
    sa.Column('inputs_fingerprint', sa.String(), nullable=False),
    sa.Column('started_at', sa.String(), nullable=False),
    sa.Column('finished_at', sa.String(), nullable=False),
    sa.Column('run_by', sa.String(), nullable=False),
    sa.Column('n_accounts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('run_id')
    )
    op.create_table('accounts',
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('record_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.run_id'], ),
    sa.PrimaryKeyConstraint('credit_code', 'year', 'profile_id')
    )
    op.create_table('benchmark_marks',
    sa.Column('division', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('division', 'year')
    )
    op.create_table('data_consumption_monthly',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('meter_id', sa.String(), nullable=False),
    sa.Column('month', sa.String(), nullable=False),
    sa.Column('kwh', sa.Float(), nullable=False),
    sa.Column('kwh_peak', sa.Float(), nullable=True),
    sa.Column('kwh_flat', sa.Float(), nullable=True),
    sa.Column('kwh_valley', sa.Float(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    with op.batch_alter_table('data_consumption_monthly', schema=None) as batch_op:
        batch_op.create_index('ix_monthly_meter', ['meter_id'], unique=False)

    op.create_table('data_economics',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value_added_10k_cny', sa.Float(), nullable=True),
    sa.Column('revenue_10k_cny', sa.Float(), nullable=True),
    sa.Column('total_equity_plus_debt_cny', sa.Float(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('data_enterprises',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('industry_code', sa.String(), nullable=False),
    sa.Column('region_code', sa.String(), nullable=False),
    sa.Column('opened_on', sa.String(), nullable=True),
    sa.Column('closed_on', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('data_green_certificates',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('certificate_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('vintage_month', sa.String(), nullable=False),
    sa.Column('mwh', sa.Float(), nullable=False),
    sa.Column('technology', sa.String(), nullable=False),
    sa.Column('retired_on', sa.String(), nullable=False),
    sa.Column('bundled', sa.Boolean(), nullable=False),
    sa.Column('plant_id', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('data_green_trades',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('contract_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('month', sa.String(), nullable=False),
    sa.Column('kwh', sa.Float(), nullable=False),
    sa.Column('technology', sa.String(), nullable=False),
    sa.Column('plant_id', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('data_loans',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('loan_id', sa.String(), nullable=False),
    sa.Column('bank_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('principal_cny', sa.Float(), nullable=False),
    sa.Column('outstanding_cny', sa.Float(), nullable=False),
    sa.Column('as_of', sa.String(), nullable=False),
    sa.Column('drawn_on', sa.String(), nullable=False),
    sa.Column('maturity_on', sa.String(), nullable=False),
    sa.Column('base_rate_pct', sa.Float(), nullable=False),
    sa.Column('product', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('data_meters',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('meter_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('valid_from', sa.String(), nullable=True),
    sa.Column('valid_to', sa.String(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    with op.batch_alter_table('data_meters', schema=None) as batch_op:
        batch_op.create_index('ix_meters_meter', ['meter_id'], unique=False)

    op.create_table('data_onsite_generation',
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('month', sa.String(), nullable=False),
    sa.Column('kwh_generated', sa.Float(), nullable=False),
    sa.Column('kwh_self_consumed', sa.Float(), nullable=False),
    sa.Column('technology', sa.String(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('row_key')
    )
    op.create_table('history',
    sa.Column('history_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(), nullable=False),
    sa.Column('row_key', sa.String(), nullable=False),
    sa.Column('old_json', sa.Text(), nullable=False),
    sa.Column('new_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('history_id')
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_key', ['table_name', 'row_key'], unique=False)

    op.create_table('lake_files',
    sa.Column('path', sa.String(), nullable=False),
    sa.Column('table_name', sa.String(), nullable=False),
    sa.Column('month', sa.String(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('n_rows', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.Column('superseded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('path')
    )
    with op.batch_alter_table('lake_files', schema=None) as batch_op:
        batch_op.create_index('ix_lake_files', ['table_name', 'state', 'month'], unique=False)

    op.create_table('quarantine',
    sa.Column('quarantine_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('table_name', sa.String(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=True),
    sa.Column('file', sa.String(), nullable=True),
    sa.Column('values_json', sa.Text(), nullable=True),
    sa.Column('reasons_json', sa.Text(), nullable=False),
    sa.Column('parquet_path', sa.String(), nullable=True),
    sa.Column('n_rows', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('quarantine_id')
    )
    op.create_table('recalc_marks',
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.batch_id'], ),
    sa.PrimaryKeyConstraint('credit_code', 'year')
    )


def downgrade() -> None:
    op.drop_table('recalc_marks')
    op.drop_table('quarantine')
    with op.batch_alter_table('lake_files', schema=None) as batch_op:
        batch_op.drop_index('ix_lake_files')

    op.drop_table('lake_files')
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_key')

    op.drop_table('history')
    op.drop_table('data_onsite_generation')
    with op.batch_alter_table('data_meters', schema=None) as batch_op:
        batch_op.drop_index('ix_meters_meter')

    op.drop_table('data_meters')
    op.drop_table('data_loans')
    op.drop_table('data_green_trades')
    op.drop_table('data_green_certificates')
    op.drop_table('data_enterprises')
    op.drop_table('data_economics')
    with op.batch_alter_table('data_consumption_monthly', schema=None) as batch_op:
        batch_op.drop_index('ix_monthly_meter')

    op.drop_table('data_consumption_monthly')
    op.drop_table('benchmark_marks')
    op.drop_table('accounts')
    op.drop_table('runs')
    op.drop_table('meta')
    op.drop_table('batches')
