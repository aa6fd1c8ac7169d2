"""The audit log at scale: appending rows (HMAC-keyed, and unkeyed SHA-256 as before the audit
key), `verify` over them with anchors, and `dondoc audit verify` run as a user runs it.
Run: .venv/bin/python bench/audit.py [--rows 50000]. Numbers go in the README's Benchmarks."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from dondoc.db import upgrade  # noqa: E402
from dondoc.keys import require  # noqa: E402
from dondoc.settings import Settings  # noqa: E402
from storage.audit import AuditLog  # noqa: E402
from storage.ledger import Ledger  # noqa: E402
from workflows.messages import OccurrenceEvent  # noqa: E402

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def fill(audit: AuditLog, rows: int) -> float:
    """Append `rows` events over 5 plans and 100 occurrences each; seconds taken."""
    start = time.perf_counter()
    for i in range(rows):
        plan, occ = f"kh{i % 5}", (i // 5) % 100
        audit.append(OccurrenceEvent(
            key=f"{plan}/T{occ}#{i}", ref=f"{plan}/T{occ}", plan=plan, type="reminder.sent",
            at=T0 + timedelta(minutes=i), details={"step": "reminder-3wd", "n": i}))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        for label, keyed in (("unkeyed SHA-256 (before)", False), ("HMAC-SHA-256", True)):
            state = Path(folder) / label.split()[0]
            state.mkdir()
            url = f"sqlite:///{state / 'dondoc.db'}"
            upgrade(url)
            key = require(Settings(state_dir=state), "audit") if keyed else None  # type: ignore[call-arg]
            audit = AuditLog(Ledger.connect(url).engine, key)
            took = fill(audit, rows)
            print(f"append, {label}: {rows} rows in {took:.1f} s, {rows / took:,.0f} rows/s")
            anchors = audit.heads(datetime.now(UTC))
            tracemalloc.start()
            start = time.perf_counter()
            verified = audit.verify(anchors=anchors)
            took = time.perf_counter() - start
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert verified.findings == [], verified.findings[:3]
            print(f"verify, {label}: {rows} rows, {len(anchors)} anchors in {took:.2f} s, "
                  f"{rows / took:,.0f} rows/s, peak traced memory {peak / 2**20:.1f} MiB")
        dondoc = str(Path(sys.executable).parent / "dondoc")
        env = {**os.environ, "DONDOC_STATE_DIR": str(state)}
        added = subprocess.run([dondoc, "users", "add", "admin", "--name", "Văn phòng", "--role",
                                "office", "--plan", "*", "--api-key"], env=env,
                               capture_output=True, text=True, check=True)
        env["DONDOC_API_KEY"] = added.stdout.splitlines()[-1].strip()
        start = time.perf_counter()
        done = subprocess.run([dondoc, "audit", "verify", "--no-temporal"], env=env,
                              capture_output=True, text=True)
        print(f"`dondoc audit verify --no-temporal`, {rows} keyed rows: "
              f"{time.perf_counter() - start:.2f} s, exit {done.returncode}: "
              f"{(done.stdout or done.stderr).strip()}")


if __name__ == "__main__":
    main()
