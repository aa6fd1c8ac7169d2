"""The CLI starts without the heavy libraries it does not need for what was asked: `--help`
needs none of them, a timeline the audit log holds needs no Temporal client. (The time itself
is measured in bench/startup.py; here, what a run imported.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
DONDOC = str(Path(sys.executable).parent / "dondoc")
HEAVY = ("temporalio", "sqlalchemy", "pydantic", "pydantic_settings", "alembic", "apprise",
         "starlette", "jinja2", "lark", "openpyxl", "argon2", "psycopg", "structlog", "yaml",
         "holidays", "uvicorn")
# Runs the command as `dondoc` does, then prints which of HEAVY it imported.
PROBE = """
import json, sys
from dondoc.cli import app
try:
    app(sys.argv[1:], prog_name="dondoc")
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(HEAVY))), file=sys.stderr)
"""


def imported(*args: str, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})
    *messages, modules = done.stderr.strip().splitlines()
    return done.stdout + "\n".join(messages), json.loads(modules)


def test_help_imports_none_of_the_heavy_libraries():
    shown, modules = imported("--help")
    assert "history" in shown and "audit" in shown
    assert modules == []


def test_help_of_a_command_imports_only_what_typer_parses_options_with():
    shown, modules = imported("status", "--help")
    assert "--plan" in shown
    assert modules == ["pydantic"]  # typer's own option parsing, not dondoc's


def test_a_timeline_from_the_audit_log_needs_no_temporal_client(tmp_path: Path):
    env = {"DONDOC_STATE_DIR": str(tmp_path)}
    assert subprocess.run([DONDOC, "db", "upgrade"], env={**os.environ, **env},
                          capture_output=True).returncode == 0
    added = subprocess.run([DONDOC, "users", "add", "admin", "--name", "Văn phòng", "--role",
                            "office", "--plan", "*", "--api-key"], env={**os.environ, **env},
                           capture_output=True, text=True)
    env["DONDOC_API_KEY"] = added.stdout.splitlines()[-1]
    append = ("from datetime import datetime, UTC\n"
              "from dondoc.cli.common import audit_or_exit, settings\n"
              "from workflows.messages import OccurrenceEvent\n"
              "audit_or_exit(settings(), write=True).append(OccurrenceEvent(key='k1', "
              "ref='kh/T1/TTYT', plan='kh', type='started', at=datetime(2025, 3, 3, 1, "
              "tzinfo=UTC), details={'lead': ['TTYT']}))")
    assert subprocess.run([sys.executable, "-c", append], env={**os.environ, **env},
                          cwd=ROOT).returncode == 0
    shown, modules = imported("history", "kh/T1/TTYT", env=env)
    assert "08:00 Thứ Hai, 03/03/2025  started" in shown
    assert "temporalio" not in modules and "alembic" not in modules and "lark" not in modules
