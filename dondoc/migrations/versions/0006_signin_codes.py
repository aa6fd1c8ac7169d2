"""one-time sign-in codes of the web app

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signin_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=200), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('link_hash', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signin_codes')),
    sa.UniqueConstraint('link_hash', name=op.f('uq_signin_codes_link_hash'))
    )
    with op.batch_alter_table('signin_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signin_codes_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_codes_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_signin_codes_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('signin_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signin_codes_created_at'))
        batch_op.drop_index(batch_op.f('ix_signin_codes_address'))
        batch_op.drop_index(batch_op.f('ix_signin_codes_account'))

    op.drop_table('signin_codes')
