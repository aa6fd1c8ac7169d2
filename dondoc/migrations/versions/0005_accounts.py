"""accounts, their plan roles and access tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('zalo_phone', sa.String(length=20), nullable=True),
    sa.Column('zalo_user_id', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    op.create_table('access_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_access_tokens_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_tokens')),
    sa.UniqueConstraint('sha256', name=op.f('uq_access_tokens_sha256'))
    )
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_tokens_account_id'), ['account_id'], unique=False)

    op.create_table('account_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('plan', sa.String(length=64), nullable=False),
    sa.Column('party', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_account_roles_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_roles')),
    sa.UniqueConstraint('account_id', 'role', 'plan', 'party', name=op.f('uq_account_roles_account_id'))
    )
    with op.batch_alter_table('account_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_roles_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_roles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_roles_account_id'))
    op.drop_table('account_roles')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_tokens_account_id'))
    op.drop_table('access_tokens')
    op.drop_table('accounts')
