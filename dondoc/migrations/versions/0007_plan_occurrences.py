"""the occurrences each plan load applied, kept beside the plan's workflow

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 20:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plan_occurrences',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_plan_occurrences'))
    )
    with op.batch_alter_table('plan_occurrences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_occurrences_plan_id'), ['plan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('plan_occurrences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_occurrences_plan_id'))

    op.drop_table('plan_occurrences')
