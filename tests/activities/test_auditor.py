"""An auditor's read-only PostgreSQL role: the read verbs work, writes are refused clearly."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from dondoc.db import grant_auditor, is_read_only_refusal, upgrade
from dondoc.services import report as reporting
from plans.access import Grant, Principal
from storage.accounts import Accounts
from storage.audit import AuditLog
from storage.ledger import Ledger
from tests.db import server_log
from workflows.messages import OccurrenceEvent

DONDOC = str(Path(sys.executable).parent / "dondoc")
AUDITOR = Principal(account="thanh-tra", name="Thanh tra", grants=(Grant(role="auditor"),))
HEAD_OF_VP = Principal(account="van-phong", name="Văn phòng",
                       grants=(Grant(role="unit_head", plan="kh", party="VP"),))
KPI = {"id": "k", "indicator": "Số ca tư vấn từ xa", "unit": "ca", "target": "3000"}


@pytest.fixture
def databases(postgres_url: str) -> tuple[str, str]:
    """(the owner's URL, the auditor's URL) of a fresh, migrated database with a little log."""
    name, login = f"a_{uuid.uuid4().hex[:8]}", f"thanh_tra_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    owner = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(owner)
    audit = AuditLog(Ledger.connect(owner).engine)
    audit.append(OccurrenceEvent(key="kh/T1#1", ref="kh/T1", plan="kh", type="started",
                                 at=datetime(2025, 3, 1, tzinfo=UTC),
                                 details={"due": "2025-12-31T23:59:59+07:00", "lead": ["VP"],
                                          "leader": "gd", "kpis": [KPI]}))
    accounts = Accounts(Ledger.connect(owner).engine)
    accounts.add("thanh-tra", name="Thanh tra Sở")
    accounts.grant("thanh-tra", Grant(role="auditor"))
    accounts.add("van-phong", name="Văn phòng")
    accounts.grant("van-phong", Grant(role="office", plan="kh", party="VP"))
    accounts.grant("van-phong", Grant(role="unit_head", plan="kh", party="VP"))
    grant_auditor(owner, login, "mat-khau-thu")
    auditor = owner.replace("postgresql+psycopg://postgres@",
                            f"postgresql+psycopg://{login}:mat-khau-thu@")
    return owner, auditor


def test_the_auditor_reads_the_log_and_the_reports(databases):
    _, auditor = databases
    audit = AuditLog(Ledger.connect(auditor).engine)
    assert [e.type for e in audit.events(plan="kh")] == ["started"]
    assert audit.verify("kh").findings == []
    data = reporting.build(audit, "kh", by="unit", period=None,
                           now=datetime(2025, 6, 1, tzinfo=UTC), principal=AUDITOR)
    assert data["rows"][0]["open_in_time"] == 1


def test_the_auditor_cannot_write_or_edit(databases):
    _, auditor = databases
    audit = AuditLog(Ledger.connect(auditor).engine)
    with pytest.raises(DBAPIError) as refused:
        reporting.record_kpi(audit, "kh/T1", value="10", as_of=date(2025, 3, 2),
                             principal=HEAD_OF_VP, kpi_id=None, today=date(2025, 3, 3))
    assert is_read_only_refusal(refused.value)
    with pytest.raises(DBAPIError) as edit, audit.engine.begin() as db:
        db.execute(text("UPDATE audit_events SET actor = 'x'"))
    assert is_read_only_refusal(edit.value)


def test_the_cli_says_so_in_one_line(databases):
    owner, auditor = databases
    accounts = Accounts(Ledger.connect(owner).engine)
    now = datetime.now(UTC)
    auditor_key = accounts.issue_token("thanh-tra", "api_key", at=now, lifetime=None)
    office_key = accounts.issue_token("van-phong", "api_key", at=now, lifetime=None)
    env = {**os.environ, "DONDOC_DATABASE_URL": auditor, "DONDOC_API_KEY": auditor_key,
           "DONDOC_AUDIT_KEY": "k"}
    read = subprocess.run([DONDOC, "audit", "verify", "--plan", "kh"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert read.returncode == 0 and "audit log intact: 1 rows" in read.stdout
    kpi = [DONDOC, "kpi", "record", "kh/T1", "--value", "10", "--as-of", "02/03/2025"]
    # An auditor account: refused by the authorization table, before the database.
    write = subprocess.run(kpi, env=env, capture_output=True, text=True, timeout=60)
    assert write.returncode == 1 and "Traceback" not in write.stderr
    assert write.stderr.strip().startswith("refused: thanh-tra không có quyền 'record_kpi'")
    assert write.stderr.strip().endswith("[Forbidden]")
    # An office key through the auditor's database login: the database refuses.
    office = {**env, "DONDOC_API_KEY": office_key}
    write = subprocess.run(kpi, env=office, capture_output=True, text=True, timeout=60)
    assert write.returncode == 1 and "Traceback" not in write.stderr
    assert write.stderr.strip() == ("the database refused to write: this user has read-only "
                                    "(auditor) access; ask the office to do it")
    with pytest.raises(DBAPIError) as secrets, Ledger.connect(auditor).engine.begin() as db:
        db.execute(text("SELECT email, password_hash FROM accounts"))
    assert is_read_only_refusal(secrets.value)


def test_grant_auditor_refuses_reserved_and_existing_roles(databases, postgres_url):
    owner, _ = databases
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE ROLE dondoc_app_x LOGIN")
        before = conn.execute("SELECT rolname, rolpassword FROM pg_authid ORDER BY 1").fetchall()
    for login, says in (("postgres", "reserved"), ("pg_monitor", "reserved"),
                        ("dondoc_auditor", "reserved"), ("dondoc_app_x", "is not an auditor")):
        with pytest.raises(ValueError, match=says):
            grant_auditor(owner, login, "mat-khau-dai-du")
    env = {**os.environ, "DONDOC_DATABASE_URL": owner}
    cli = subprocess.run([DONDOC, "db", "grant-auditor", "postgres", "--password", "x" * 12],
                         env=env, capture_output=True, text=True, timeout=60)
    assert cli.returncode == 1 and "reserved role name" in cli.stderr
    assert "can now read" not in cli.stdout
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        after = conn.execute("SELECT rolname, rolpassword FROM pg_authid ORDER BY 1").fetchall()
    assert after == before  # no password reset, no role changed


def test_the_password_never_reaches_the_server_log(databases, postgres_url):
    owner, _ = databases
    database = owner.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {database} SET log_statement = 'all'")
    log = server_log(postgres_url)
    start = log.stat().st_size
    grant_auditor(owner, "kiem_toan", "Mat-khau-bi-mat-2026")
    with log.open("rb") as f:
        f.seek(start)
        written = f.read().decode("utf-8", "replace")
    assert "CREATE ROLE kiem_toan LOGIN PASSWORD 'SCRAM-SHA-256$4096:" in written
    assert "Mat-khau-bi-mat-2026" not in written
    auditor = owner.replace("postgres@", "kiem_toan:Mat-khau-bi-mat-2026@").replace(
        "+psycopg", "")
    psycopg.connect(auditor).close()  # the verifier computed here is the password's
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(auditor.replace("Mat-khau", "mat-khau")).close()


def test_the_auditor_role_is_bounded_and_cannot_read_secrets(databases):
    _, auditor = databases
    with psycopg.connect(auditor.replace("+psycopg", ""), autocommit=True) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("1min",)
        conn.execute("SET default_transaction_read_only = off")  # a default, not the barrier
        for statement in ("CREATE TEMP TABLE t (x int)", "SELECT * FROM zalo_tokens"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        login = conn.execute("SELECT current_user").fetchone()[0]
        assert conn.execute("SELECT rolconnlimit FROM pg_roles WHERE rolname = %s",
                            (login,)).fetchone() == (3,)
