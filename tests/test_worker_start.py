"""A worker refuses to start on settings that would lose or fake notices, and says which
setting to fix; a worker does not migrate, it checks (`dondoc db upgrade` is its own step)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DONDOC = str(Path(sys.executable).parent / "dondoc")
SMTP = "mailto://127.0.0.1:2525?mode=insecure&from=nhacviec@syt.example.invalid"


def dondoc(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DONDOC_")}
    return subprocess.run(
        [DONDOC, *args], capture_output=True, text=True, timeout=60,
        env={**clean, "DONDOC_STATE_DIR": str(tmp_path), "DONDOC_TEMPORAL_ADDRESS": "127.0.0.1:1",
             **{f"DONDOC_{k.upper()}": v for k, v in env.items()}})


def test_without_a_channel_the_worker_names_what_to_set(tmp_path: Path):
    done = dondoc(tmp_path, "worker")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no channel is configured: set DONDOC_SMTP_URL" in done.stderr
    assert "DONDOC_ZALO_APP_ID" in done.stderr


def test_zalo_configured_in_part_names_the_missing_setting(tmp_path: Path):
    done = dondoc(tmp_path, "worker", smtp_url=SMTP, zalo_app_id="1234",
                  zalo_refresh_token="r-0")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "Zalo is configured in part: DONDOC_ZALO_SECRET_KEY is missing" in done.stderr


def test_an_unusable_smtp_url_is_refused_at_start(tmp_path: Path):
    done = dondoc(tmp_path, "worker", smtp_url="mailto://mail.syt.example.invalid")
    assert done.returncode == 1
    assert "DONDOC_SMTP_URL needs the sender's address: add from=" in done.stderr


def test_a_worker_whose_schema_is_behind_says_so_and_stops(tmp_path: Path):
    done = dondoc(tmp_path, "worker", smtp_url=SMTP)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "the database schema is at nothing" in done.stderr
    assert "run `dondoc db upgrade` first" in done.stderr
    assert dondoc(tmp_path, "db", "upgrade").returncode == 0
    # Up to date, the worker goes on to Temporal (here unreachable: another message).
    again = dondoc(tmp_path, "worker", smtp_url=SMTP)
    assert "schema" not in again.stderr and again.returncode == 1
