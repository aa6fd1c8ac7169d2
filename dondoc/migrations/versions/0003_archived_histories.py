"""archived histories

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:40:06.304033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('archived_histories',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('workflow_id', sa.String(length=300), nullable=False),
    sa.Column('workflow_type', sa.String(length=64), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('history', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_archived_histories'))
    )
    with op.batch_alter_table('archived_histories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_archived_histories_workflow_id'), ['workflow_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('archived_histories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_archived_histories_workflow_id'))

    op.drop_table('archived_histories')
