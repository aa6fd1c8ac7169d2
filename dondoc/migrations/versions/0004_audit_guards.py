"""audit guards: append-only triggers, keyed row hashes, retention, recorded anchors

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 17:10:00

The audit tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) to every role, the
application's own included. The one legitimate removal is retention (`dondoc audit retain`):
it first inserts an `audit_retentions` row, itself insert-only and recorded in the log, and the
triggers let a DELETE through only for rows older than a recorded retention's cut-off. An
audit head may only move forward, to a row that names the old head as its previous one.

SQLite: a later `batch_alter_table` on these tables recreates them and drops their triggers;
such a migration must create them again (`create_sqlite_triggers`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INSERT_ONLY = ("audit_retentions", "audit_retained", "audit_anchors")
REFUSED = "append-only audit table: use dondoc audit retain for retention"


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_audit_events_hash'), ['hash'], unique=False)
    op.create_table('audit_retentions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('event_key', sa.String(length=400), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_retentions'))
    )
    op.create_table('audit_retained',
    sa.Column('retention_id', sa.Integer(), nullable=False),
    sa.Column('chain', sa.String(length=320), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['retention_id'], ['audit_retentions.id'], name=op.f('fk_audit_retained_retention_id_audit_retentions')),
    sa.PrimaryKeyConstraint('retention_id', 'chain', name=op.f('pk_audit_retained'))
    )
    op.create_table('audit_anchors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=500), nullable=False),
    sa.Column('plan', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('head', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_anchors')),
    sa.UniqueConstraint('reference', name=op.f('uq_audit_anchors_reference'))
    )
    if op.get_bind().dialect.name == "postgresql":
        create_postgresql_triggers()
    else:
        create_sqlite_triggers()


def create_sqlite_triggers() -> None:
    def refuse(name: str, event: str, table: str, when: str = "") -> None:
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{table}: {REFUSED}'); END")

    refuse("audit_events_no_update", "UPDATE", "audit_events")
    refuse("audit_events_no_delete", "DELETE", "audit_events",
           "WHEN NOT EXISTS (SELECT 1 FROM audit_retentions r WHERE OLD.at < r.before)")
    refuse("archived_histories_no_update", "UPDATE", "archived_histories")
    refuse("archived_histories_no_delete", "DELETE", "archived_histories",
           "WHEN NOT EXISTS (SELECT 1 FROM audit_retentions r WHERE OLD.closed_at < r.before)")
    refuse("audit_heads_no_delete", "DELETE", "audit_heads")
    refuse("audit_heads_forward_only", "UPDATE", "audit_heads",
           "WHEN NEW.chain IS NOT OLD.chain OR (NEW.last_hash IS NOT OLD.last_hash AND NOT "
           "EXISTS (SELECT 1 FROM audit_events e WHERE e.hash = NEW.last_hash AND "
           "(CASE WHEN substr(OLD.chain, 1, 4) = 'occ:' THEN e.prev_hash ELSE e.plan_prev_hash "
           "END) = OLD.last_hash))")
    for table in INSERT_ONLY:
        refuse(f"{table}_no_update", "UPDATE", table)
        refuse(f"{table}_no_delete", "DELETE", table)


def create_postgresql_triggers() -> None:
    # Nested IFs: OLD and NEW are only read for the row operations that have them.
    op.execute(f"""
CREATE FUNCTION dondoc_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF TG_TABLE_NAME = 'audit_events' THEN
      IF EXISTS (SELECT 1 FROM audit_retentions r WHERE OLD.at < r.before) THEN
        RETURN OLD;
      END IF;
    ELSIF TG_TABLE_NAME = 'archived_histories' THEN
      IF EXISTS (SELECT 1 FROM audit_retentions r WHERE OLD.closed_at < r.before) THEN
        RETURN OLD;
      END IF;
    END IF;
  ELSIF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_heads' THEN
    IF NEW.chain = OLD.chain AND (NEW.last_hash = OLD.last_hash OR EXISTS (
        SELECT 1 FROM audit_events e WHERE e.hash = NEW.last_hash AND
          CASE WHEN left(OLD.chain, 4) = 'occ:' THEN e.prev_hash ELSE e.plan_prev_hash END
            = OLD.last_hash)) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION '%: {REFUSED}', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$""")
    for table in ("audit_events", "archived_histories", "audit_heads", *INSERT_ONLY):
        op.execute(f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION dondoc_audit_guard()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION dondoc_audit_guard()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("audit_events", "archived_histories", "audit_heads", *INSERT_ONLY):
            op.execute(f"DROP TRIGGER {table}_guard ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION dondoc_audit_guard()")
    else:
        for name in ("audit_events_no_update", "audit_events_no_delete",
                     "archived_histories_no_update", "archived_histories_no_delete",
                     "audit_heads_no_delete", "audit_heads_forward_only",
                     *(f"{t}_no_{v}" for t in INSERT_ONLY for v in ("update", "delete"))):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('audit_anchors')
    op.drop_table('audit_retained')
    op.drop_table('audit_retentions')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_hash'))
        batch_op.drop_column('keyed')
