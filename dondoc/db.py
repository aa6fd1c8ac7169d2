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


AUDITOR_ROLE = "dondoc_auditor"
READ_ONLY_TABLES = ("audit_events", "audit_heads", "archived_histories", "deliveries",
                    "delivery_attempts")


def grant_auditor(url: str, login: str, password: str) -> None:
    """Create the read-only group role (SELECT on the audit and report tables, nothing else) and
    a login role in it. PostgreSQL only; run with an administrator's URL."""
    import re

    from sqlalchemy import create_engine, text

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", login):
        raise ValueError(f"{login!r} is not a plain lower-case role name")
    engine = create_engine(url)
    if engine.dialect.name != "postgresql":
        raise ValueError("auditor roles need PostgreSQL: SQLite has no users "
                         "(give auditors a copy of the file instead)")
    with engine.begin() as db:
        exists = db.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                            {"r": AUDITOR_ROLE}).first()
        if not exists:
            db.execute(text(f"CREATE ROLE {AUDITOR_ROLE} NOLOGIN"))
        db.execute(text(f"GRANT SELECT ON {', '.join(READ_ONLY_TABLES)} TO {AUDITOR_ROLE}"))
        db.execute(text(f"GRANT USAGE ON SCHEMA public TO {AUDITOR_ROLE}"))
        quoted = db.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
        if db.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": login}).first():
            db.execute(text(f"ALTER ROLE {login} LOGIN PASSWORD {quoted}"))
        else:
            db.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD {quoted} IN ROLE {AUDITOR_ROLE}"))
    engine.dispose()


def is_read_only_refusal(error: Exception) -> bool:
    """True when the database refused a write for lack of privilege (an auditor's role)."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) == "42501"
