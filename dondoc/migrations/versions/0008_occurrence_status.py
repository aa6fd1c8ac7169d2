"""where each occurrence stands, one row each, kept by record_event with its audit row (status reads
it); `dondoc db backfill-status` fills it for occurrences started before

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:07:58
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('occurrence_status',
    sa.Column('ref', sa.String(length=300), nullable=False),
    sa.Column('plan', sa.String(length=64), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('units', sa.Text(), nullable=False),
    sa.Column('leader', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('held_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('utc_offset', sa.Integer(), nullable=True),
    sa.Column('running', sa.Boolean(), nullable=False),
    sa.Column('listed', sa.Text(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=True),
    sa.Column('event_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('ref', name=op.f('pk_occurrence_status'))
    )
    with op.batch_alter_table('occurrence_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_occurrence_status_plan'), ['plan'], unique=False)
        batch_op.create_index(batch_op.f('ix_occurrence_status_state'), ['state'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('occurrence_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_occurrence_status_state'))
        batch_op.drop_index(batch_op.f('ix_occurrence_status_plan'))

    op.drop_table('occurrence_status')
