"""The declarative base every model shares (one metadata: one Alembic history)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

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
