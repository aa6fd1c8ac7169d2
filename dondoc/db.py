"""dondoc's own database: SQLite in the state folder by default, PostgreSQL in production.
Alembic owns the schema; `upgrade` brings any database to the latest revision."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

    from dondoc.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.state_dir / 'dondoc.db').resolve()}"


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # alembic is needed to migrate, not to read (CLI start-up)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


class SchemaBehind(Exception):
    """The database's schema is not the one this dondoc needs; `dondoc db upgrade` brings it."""


def require_current(url: str) -> None:
    """Raise SchemaBehind unless the database is at the latest revision. Workers check, they do
    not migrate: several starting at once would race, and a deployment migrates in one step."""
    # Imported here, after the worker configured its logs: alembic notes each plugin it sets
    # up at INFO, which is not a worker's event.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if current != head:
        raise SchemaBehind(f"the database schema is at {current or 'nothing'}, this dondoc "
                           f"needs {head}: run `dondoc db upgrade` first")


AUDITOR_ROLE = "dondoc_auditor"
READ_ONLY_TABLES = ("audit_events", "audit_heads", "audit_retentions", "audit_retained",
                    "audit_anchors", "archived_histories", "deliveries", "delivery_attempts",
                    "account_roles", "access_tokens", "occurrence_status")
# Who is who, without their contacts or password hashes: enough to prove an auditor's API key.
READ_ONLY_COLUMNS = {"accounts": ("id", "name", "status", "created_at", "updated_at")}
AUDITOR_LIMITS = {"statement_timeout": "'60s'", "idle_in_transaction_session_timeout": "'60s'",
                  "default_transaction_read_only": "on"}
AUDITOR_CONNECTIONS = 3


class RefusedRole(ValueError):
    """grant-auditor will not touch this role: the message says why and what to do."""


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677), computed
    here so that the password itself never travels in a statement a server may log."""
    import base64
    import hashlib
    import hmac
    import os
    import unicodedata

    salt = salt if salt is not None else os.urandom(16)
    # PostgreSQL applies SASLprep; NFKC is its normalisation step for any printable password.
    salted = hashlib.pbkdf2_hmac("sha256", unicodedata.normalize("NFKC", password).encode(),
                                 salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return (f"SCRAM-SHA-256${iterations}:{b64(salt)}$"
            f"{b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}")


def grant_auditor(url: str, login: str, password: str) -> None:
    """Create the read-only group role (SELECT on the audit and report tables, nothing else) and
    a login role in it, limited (connections, statement time, no TEMP). PostgreSQL only; run
    with an administrator's URL. Refuses reserved names and any existing role that is not
    already an auditor; the password reaches the server only as a SCRAM verifier."""
    import re

    from sqlalchemy import create_engine, text

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", login):
        raise RefusedRole(f"{login!r} is not a plain lower-case role name")
    if login in ("postgres", "public", AUDITOR_ROLE) or login.startswith("pg_"):
        raise RefusedRole(f"{login!r} is a reserved role name: choose another, e.g. thanh_tra")
    if len(password) < 12:
        raise RefusedRole("the password is shorter than 12 characters")
    engine = create_engine(url)
    if engine.dialect.name != "postgresql":
        raise ValueError("auditor roles need PostgreSQL: SQLite has no users "
                         "(give auditors a copy of the file instead)")
    try:
        with engine.begin() as db:
            role = db.execute(text(
                "SELECT r.rolname = current_user OR r.rolsuper OR r.rolcreaterole OR "
                "r.rolcreatedb OR r.rolreplication OR r.rolbypassrls OR NOT pg_has_role("
                "r.oid, :group, 'MEMBER') FROM pg_roles r WHERE r.rolname = :r"),
                {"r": login, "group": AUDITOR_ROLE}).first()
            if role is not None and role[0]:
                raise RefusedRole(f"role {login!r} exists and is not an auditor: grant-auditor "
                                  "only creates auditor logins or renews their password; "
                                  "choose another name")
            if not db.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                              {"r": AUDITOR_ROLE}).first():
                db.execute(text(f"CREATE ROLE {AUDITOR_ROLE} NOLOGIN"))
            database = db.execute(text("SELECT quote_ident(current_database())")).scalar_one()
            owner = db.execute(text("SELECT quote_ident(current_user)")).scalar_one()
            db.execute(text(f"GRANT SELECT ON {', '.join(READ_ONLY_TABLES)} TO {AUDITOR_ROLE}"))
            for table, columns in READ_ONLY_COLUMNS.items():
                db.execute(text(f"GRANT SELECT ({', '.join(columns)}) ON {table} "
                                f"TO {AUDITOR_ROLE}"))
            db.execute(text(f"GRANT USAGE ON SCHEMA public TO {AUDITOR_ROLE}"))
            # What every role gets through PUBLIC, taken back: temporary tables (a place to
            # write) and the functions of dondoc's schema; the owner keeps TEMP by name.
            db.execute(text(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC"))
            db.execute(text(f"GRANT TEMPORARY ON DATABASE {database} TO {owner}"))
            db.execute(text("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC"))
            db.execute(text("ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                            "REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"))
            verifier = db.execute(text("SELECT quote_literal(:v)"),
                                  {"v": scram_verifier(password)}).scalar_one()
            limits = f"LOGIN PASSWORD {verifier} CONNECTION LIMIT {AUDITOR_CONNECTIONS}"
            # Sent as it is: the verifier's ':' would read as bind parameters to text().
            if role is None:
                db.exec_driver_sql(f"CREATE ROLE {login} {limits} IN ROLE {AUDITOR_ROLE}")
            else:
                db.exec_driver_sql(f"ALTER ROLE {login} {limits}")
            for name, value in AUDITOR_LIMITS.items():
                db.execute(text(f"ALTER ROLE {login} SET {name} = {value}"))
    finally:
        engine.dispose()


def is_read_only_refusal(error: Exception) -> bool:
    """True when the database refused a write for lack of privilege (an auditor's role)."""
    from sqlalchemy.exc import DBAPIError

    # 42501: no privilege; 25006: the auditor's sessions are read-only transactions.
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in (
        "42501", "25006")
