"""How each bank handles the credit-risk alerts it sees (issue 17: the officer's credit view)

``alert_actions``: a bank's acknowledgement of an alert event, or its assignment to one of the bank's users, one
row per action, never changed: the newest assignment names who follows the alert up, and an alert is
acknowledged once any user of the bank acknowledged it. Another bank's actions are its own.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_actions',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.String(), nullable=False),
    sa.Column('credit_code', sa.String(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('profile_id', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=False),
    sa.Column('month', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('assignee', sa.String(), nullable=True),
    sa.Column('at', sa.String(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['organisations.org_id'], ),
    sa.ForeignKeyConstraint(['credit_code', 'year', 'profile_id', 'code', 'month'],
                            ['alert_events.credit_code', 'alert_events.year', 'alert_events.profile_id',
                             'alert_events.code', 'alert_events.month'], ),
    sa.PrimaryKeyConstraint('action_id')
    )
    op.create_index('ix_alert_actions_bank', 'alert_actions', ['bank_id', 'credit_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_alert_actions_bank', table_name='alert_actions')
    op.drop_table('alert_actions')
