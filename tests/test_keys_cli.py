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
from tests.stack import bootstrap_office

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
    rekey = dondoc("db", "rekey-routes", DONDOC_DATABASE_URL=POSTGRES,
                   DONDOC_STATE_DIR=str(tmp_path))
    assert rekey.returncode == 1 and rekey.stderr.startswith("DONDOC_ROUTE_KEY is not set")
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
    env["DONDOC_API_KEY"] = bootstrap_office(env)  # retention is the office's
    young = dondoc("audit", "retain", "--before", f"{datetime.now() - timedelta(days=30):%d/%m/%Y}",
                   "--by", "gd", **env)
    assert young.returncode == 1 and "within the 3653 days the log must keep" in young.stderr
    done = dondoc("audit", "retain", "--before", "25/03/2025", "--by", "gd",
                  DONDOC_AUDIT_KEEP_DAYS="30", **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("4 audit rows older than 25/03/2025 removed")
    verified = dondoc("audit", "verify", "--no-temporal", **env)
    # The plan's four rows left, and the three that made the office's account.
    assert verified.returncode == 0 and "audit log intact: 7 rows" in verified.stdout


def test_rekey_routes_leaves_no_unkeyed_hash_of_a_known_address(tmp_path):
    from sqlalchemy import text

    from storage.ledger import legacy_route_of, route_of

    state = tmp_path / "state"
    (state / "contacts").mkdir(parents=True)
    (state / "contacts" / "kh.yaml").write_text(
        "plan: kh\ncontacts:\n  - {of: pgd, zalo_phone: '0987 654 321', prefer: [zalo]}\n",
        "utf-8")
    url = f"sqlite:///{state / 'dondoc.db'}"
    upgrade(url)
    ledger = Ledger.connect(url)
    with ledger.engine.begin() as db:  # a row written before the route key
        db.execute(text(
            "INSERT INTO deliveries (notice_key, channel, route, ref, recipient, address, status, "
            "created_at, updated_at) VALUES ('k', 'zalo', :r, 'kh/T1', 'pgd', '8498****21', "
            "'sent', :t, :t)"), {"r": legacy_route_of("zalo", "84987654321"),
                                 "t": "2025-03-01 00:00:00"})
    done = dondoc("db", "rekey-routes", DONDOC_STATE_DIR=str(state))
    assert done.returncode == 0 and done.stdout.startswith("1 ledger rows re-keyed"), done.stderr
    key = require(Settings(state_dir=state), "route")  # type: ignore[call-arg]
    (row,) = ledger.deliveries()
    assert row.route == route_of("zalo", "84987654321", key)
