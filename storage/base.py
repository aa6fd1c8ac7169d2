"""The declarative base every model shares (one metadata: one Alembic history)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def now() -> datetime:
    return datetime.now(UTC)


def utc(at: datetime) -> datetime:
    """The instant in UTC; a naive value (SQLite gives them back so) is UTC already."""
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def connect(url: str) -> Engine:
    """An engine for dondoc's database. SQLite runs in WAL mode (readers never block the
    writer, a commit is an append) and waits up to 10 s for the write lock, so a worker's
    threads queue for it instead of failing under a storm of short transactions."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    return engine


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only session whose every query sees the database as of its first one. Checks
    that compare tables (a chain's rows against its head, a row count against the last row)
    must not see half of what a worker commits meanwhile."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        else:  # pysqlite begins no transaction for reads: without one, each query is its own
            connection.exec_driver_sql("BEGIN")
        with Session(bind=connection) as session:
            yield session
        connection.rollback()
