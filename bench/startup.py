"""The CLI's start-up, measured as a user runs it: wall time of `dondoc --help` and of
`dondoc history REF` answered from the audit log (no Temporal call), against the bare
interpreter. Run: .venv/bin/python bench/startup.py [--runs 15]. Numbers go in the README."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
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

REF = "kh-bench/T1/TTYT"


def wall(command: list[str], env: dict[str, str], runs: int) -> tuple[float, float, float]:
    """Median and worst wall time and median CPU time (user + system) in seconds; the first run
    warms the file cache, uncounted. CPU time shows the work when others share the cores."""
    times, cpu = [], []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times[1:]), max(times[1:]), statistics.median(cpu[1:])


def state_with_history(state: Path) -> dict[str, str]:
    """A SQLite state folder with an office account and one occurrence's audit rows."""
    url = f"sqlite:///{state / 'dondoc.db'}"
    upgrade(url)
    audit = AuditLog(Ledger.connect(url).engine,
                     require(Settings(state_dir=state), "audit"))  # type: ignore[call-arg]
    t0 = datetime(2025, 3, 3, 1, tzinfo=UTC)
    audit.append(OccurrenceEvent(key=f"{REF}#started", ref=REF, plan="kh-bench",
                                 type="started", at=t0, details={"lead": ["TTYT"]}))
    for i in range(5):
        audit.append(OccurrenceEvent(key=f"{REF}#reminder-{i}", ref=REF, plan="kh-bench",
                                     type="reminder.sent", at=t0 + timedelta(days=i),
                                     details={"step": f"reminder-{i}"}))
    env = {**os.environ, "DONDOC_STATE_DIR": str(state)}
    added = subprocess.run([dondoc(), "users", "add", "admin", "--name", "Văn phòng", "--role",
                            "office", "--plan", "*", "--api-key"], env=env,
                           capture_output=True, text=True, check=True)
    return env | {"DONDOC_API_KEY": added.stdout.splitlines()[-1].strip()}


def dondoc() -> str:
    return str(Path(sys.executable).parent / "dondoc")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        env = state_with_history(Path(folder))
        print(f"| command | wall, median | wall, worst ({runs} runs) | CPU, median |\n"
              "|---|---|---|---|")
        for label, command in (
            ("python -c pass (the floor)", [sys.executable, "-c", "pass"]),
            ("dondoc --help", [dondoc(), "--help"]),
            ("dondoc history REF (audit log)", [dondoc(), "history", REF]),
            ("dondoc history REF --json", [dondoc(), "history", REF, "--json"]),
        ):
            median, worst, cpu = wall(command, env, runs)
            print(f"| `{label}` | {median:.3f} s | {worst:.3f} s | {cpu:.3f} s |")


if __name__ == "__main__":
    main()
