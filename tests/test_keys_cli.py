"""The two keys and the retention path as an operator meets them: production without a key
stops at once naming it; the embedded default generates it privately; `audit retain` removes
only what is old enough, and the log still verifies."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from dondoc.db import upgrade
from dondoc.keys import require
from dondoc.settings import Settings
from storage.audit import AuditLog
from storage.ledger import Ledger
from tests.activities.test_audit import record_life

DONDOC = str(Path(sys.executable).parent / "dondoc")
POSTGRES = "postgresql+psycopg://dondoc@127.0.0.1:9/dondoc"  # never reached: keys come first


def dondoc(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    return subprocess.run([DONDOC, *args], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60)


def test_production_without_keys_stops_naming_the_variable(tmp_path):
    worker = dondoc("worker", DONDOC_DATABASE_URL=POSTGRES, DONDOC_STATE_DIR=str(tmp_path))
    assert worker.returncode == 1 and "Traceback" not in worker.stderr
    assert worker.stderr.startswith("DONDOC_ROUTE_KEY is not set")
    kpi = dondoc("kpi", "record", "p/T1", "--value", "1", "--as-of", "01/03/2025", "--by", "HL",
                 DONDOC_DATABASE_URL=POSTGRES, DONDOC_ROUTE_KEY="r")
    assert kpi.returncode == 1 and kpi.stderr.startswith("DONDOC_AUDIT_KEY is not set")
    assert not (tmp_path / "keys").exists()  # nothing generated beside a production database


def test_the_embedded_default_generates_each_key_once_and_privately(tmp_path):
    settings = Settings(state_dir=tmp_path)  # type: ignore[call-arg]
    first = require(settings, "audit")
    assert require(settings, "audit") == first != require(settings, "route")
    path = tmp_path / "keys" / "audit.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) >= 32


def test_retention_through_the_cli(tmp_path):
    state = tmp_path / "state"
    url = f"sqlite:///{state / 'dondoc.db'}"
    state.mkdir()
    upgrade(url)
    audit = AuditLog(Ledger.connect(url).engine, require(Settings(state_dir=state), "audit"))  # type: ignore[call-arg]
    record_life(audit)  # seven rows from 21/03/2025
    env = {"DONDOC_STATE_DIR": str(state)}
    young = dondoc("audit", "retain", "--before", f"{datetime.now() - timedelta(days=30):%d/%m/%Y}",
                   "--by", "gd", **env)
    assert young.returncode == 1 and "within the 3653 days the log must keep" in young.stderr
    done = dondoc("audit", "retain", "--before", "25/03/2025", "--by", "gd",
                  DONDOC_AUDIT_KEEP_DAYS="30", **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("4 audit rows older than 25/03/2025 removed")
    verified = dondoc("audit", "verify", "--no-temporal", **env)
    assert verified.returncode == 0 and "audit log intact: 4 rows" in verified.stdout
