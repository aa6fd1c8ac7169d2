"""dondoc's own database: SQLite in the state folder by default, PostgreSQL in production.
Alembic owns the schema; `upgrade` brings any database to the latest revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from dondoc.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.state_dir / 'dondoc.db').resolve()}"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
