"""Alembic environment: the ledger's metadata, the URL given by dondoc.db."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import activities.archive
import activities.audit  # noqa: F401
from activities.ledger import Base

config = context.config


def run() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
