"""One settings object for every dondoc process, read from DONDOC_* environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from plans.limits import MAX_FILE_BYTES


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DONDOC_", extra="ignore")

    state_dir: Path = Field(Path(".dondoc"), description="local state: dev server DB, outbox, SQLite")
    calendar_file: Path = Field(
        Path("definitions/calendar.yaml"),
        description="override table of days off and working Saturdays (skipped when missing)",
    )

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "dondoc"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_api_key: SecretStr | None = None

    max_concurrent_activities: int = Field(20, ge=1, description="and the threads running them")
    max_concurrent_workflow_tasks: int = Field(20, ge=1)
    max_cached_workflows: int = Field(
        2000, ge=0, description="workflows kept in memory between tasks (~0.2-0.3 MiB each); "
        "one evicted is replayed from its history on its next task")
    workflow_task_pollers: int = Field(4, ge=1, description="concurrent polls for workflow tasks")
    activity_task_pollers: int = Field(4, ge=1, description="concurrent polls for activity tasks")
    graceful_shutdown_timeout: timedelta = timedelta(seconds=30)
    log_level: str = "INFO"

    contacts_dir: Path | None = Field(
        None, description="folder of <plan id>.yaml contacts files; default: state folder/contacts")

    outbox_only: bool = Field(
        False, description="no channel: notices go to the state folder's outbox (development, "
        "tests); without it a worker refuses to start with no channel configured")
    smtp_url: SecretStr | None = Field(
        None, description="mailto:// or mailtos:// URL of the SMTP server and sender")
    smtp_connections: int = Field(4, ge=1, description="SMTP connections a worker keeps open")
    smtp_timeout: timedelta = Field(timedelta(seconds=20), description="per SMTP operation")
    zalo_app_id: str | None = None
    zalo_secret_key: SecretStr | None = None
    zalo_refresh_token: SecretStr | None = Field(None, description="the first one, from the OA")
    zns_templates: dict[str, str] = Field(
        {}, description='JSON: notice kind -> approved ZNS template id, {"reminder": "231677"}')
    zalo_oa_base_url: str = "https://openapi.zalo.me"
    zns_base_url: str = "https://business.openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"

    api_key: SecretStr | None = Field(
        None, description="a dondoc API key (`dondoc users api-key`), for scripts: the identity "
        "every command acts with, instead of `dondoc login`")
    login_lifetime: timedelta = Field(timedelta(hours=12),
                                      description="how long a `dondoc login` stays valid")
    public_url: str = Field(
        "http://127.0.0.1:8080", description="the web app's address as people reach it (links)")
    session_key: SecretStr | None = Field(
        None, description="signs the web app's session cookies and sign-in codes; required with "
        "DONDOC_DATABASE_URL, generated in the state folder for the embedded default")
    session_idle: timedelta = Field(timedelta(minutes=30),
                                    description="a web session unused this long ends")
    session_absolute: timedelta = Field(timedelta(hours=12),
                                        description="a web session ends this long after sign-in")
    signin_code_lifetime: timedelta = Field(timedelta(minutes=10),
                                            description="how long a sign-in code or link works")
    notice_link_lifetime: timedelta = Field(
        timedelta(days=90), description="how long the link a notice carries to its occurrence's "
        "page works after the notice was sent")

    evidence_dir: Path | None = Field(
        None, description="where evidence files are kept by SHA-256; default: state folder/evidence")
    evidence_max_bytes: int = Field(20_000_000, description="largest evidence file accepted")
    plan_upload_max_bytes: int = Field(
        MAX_FILE_BYTES, ge=1, le=MAX_FILE_BYTES,
        description="largest plan file the office may upload in the web app (at most the plan "
        "reader's own limit)")

    database_url: SecretStr | None = Field(
        None, description="SQLAlchemy URL (postgresql+psycopg://...); default: SQLite in the "
        "state folder")
    route_key: SecretStr | None = Field(
        None, description="HMAC key of the delivery ledger's address hashes; required with "
        "PostgreSQL, generated in the state folder for SQLite (see dondoc/keys.py)")
    audit_key: SecretStr | None = Field(
        None, description="HMAC key of the audit log's row hashes; required with PostgreSQL, "
        "generated in the state folder for SQLite")
    audit_keep_days: int = Field(
        3653, description="`audit retain` never removes rows younger than this (days)")

    def with_state_dir(self, state_dir: Path | None) -> Settings:
        """`--state-dir` wins over DONDOC_STATE_DIR, which wins over `.dondoc/`."""
        return self if state_dir is None else self.model_copy(update={"state_dir": state_dir})


class BadSetting(ValueError):
    """A DONDOC_* variable that does not read as its setting: which, and why."""


def load_settings() -> Settings:
    # Built once by the CLI or the worker and passed down; nothing else reads the environment.
    try:
        return Settings()
    except ValidationError as error:
        # The value is not repeated: it may be a password or a token.
        raise BadSetting("; ".join(
            f"DONDOC_{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
            for problem in error.errors(include_url=False))) from None



