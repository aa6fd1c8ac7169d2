"""A province's open occurrences at once, on PostgreSQL, measured from outside dondoc.

    .venv/bin/python bench/scale.py --n 38000 [--plans 4] [--runs 9]

One command runs a throwaway PostgreSQL cluster (dondoc's database), the Temporal dev server
(dondoc.devserver) and one `dondoc worker` (outbox only: nothing falls due during the run); it
loads `--plans` plans of n/plans occurrences each (storm.py's plan: tasks × 100 units, due in
60 days), starts the worker, waits until it has started every occurrence, then times the commands as a
user types them: `status --plan P` (JSON and table), `status --json` (all of them),
`history REF`, `report --plan P`, `audit verify`. It prints p50/p99 wall time and peak RSS of
each command, the rows each printed (none may be dropped), and the worker's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench.storm import contacts_yaml, percentile, plan_yaml, rss_kib  # noqa: E402
from dondoc.devserver import DevServer  # noqa: E402
from tests.activities.servers import free_port  # noqa: E402
from tests.db import postgres_cluster, sqlalchemy_url  # noqa: E402

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DONDOC = str(Path(sys.executable).parent / "dondoc")
UNITS = 100


@dataclass
class Run:
    seconds: float
    rss_kib: int
    code: int
    stdout: str
    stderr: str


def command(code: Path | None) -> list[str]:
    """`dondoc`, or the `dondoc` of another checkout (`--before`) run by this interpreter."""
    if code is None:
        return [DONDOC]
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(code)!r}); "
            "from dondoc.cli import main; main()"]


def timed(args: list[str], env: dict[str, str], code: Path | None = None) -> Run:
    """Wall time and peak RSS of one `dondoc` run (os.wait4 gives this child's own rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen([*command(code), *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss, child.returncode, out.read().decode(),
                   err.read().decode())


def started(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM audit_events WHERE type = 'started'").fetchone()
    return int(row[0]) if row else 0


def measure(label: str, args: list[str], env: dict[str, str], runs: int,
            rows: int | None = None, before: Path | None = None) -> None:
    """p50/p99 wall time and peak RSS over `runs`; checks the command succeeded and, for
    JSON lists, how many rows it printed against how many exist. With `before`, the same
    runs of that checkout's code first."""
    for code in ([before] if before else []) + [None]:
        results = [timed(args, env, code) for _ in range(runs)]
        report(label + (" (before)" if code else ""), results, rows)


def report(label: str, results: list[Run], rows: int | None) -> None:
    failed = [r for r in results if r.code != 0]
    if failed:
        print(f"| `{label}` | failed: {failed[0].stderr.strip()[-300:]} | | | |", flush=True)
        return
    shown = ""
    if rows is not None:
        printed = len(json.loads(results[0].stdout))
        shown = f"{printed} of {rows}" + ("" if printed == rows else " (rows dropped)")
    seconds = [r.seconds for r in results]
    print(f"| `{label}` | {percentile(seconds, 0.5):.2f} s | {percentile(seconds, 0.99):.2f} s "
          f"| {max(r.rss_kib for r in results) / 1024:.0f} MiB | {shown} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=38_000, help="open occurrences in all")
    parser.add_argument("--plans", type=int, default=4, help="plans they are spread over")
    parser.add_argument("--runs", type=int, default=9, help="runs of each command")
    parser.add_argument("--wait", type=float, default=None,
                        help="seconds to wait for the worker to start them all (default: n/10)")
    parser.add_argument("--before", type=Path, default=None,
                        help="a checkout of the code before (git worktree add DIR COMMIT): "
                        "each command is also measured with its code, on the same data")
    parser.add_argument("--no-worker", action="store_true",
                        help="measure `status` right after the loads, with no worker (the rows "
                        "are the loaded ones; history, report and audit verify are skipped)")
    parser.add_argument("--hold", action="store_true",
                        help="then keep everything running (to profile by hand) until Ctrl-C")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="scale-") as tmp, postgres_cluster() as server:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute("CREATE DATABASE dondoc")
        url = server.rsplit("/", 1)[0] + "/dondoc"
        return scale(args, Path(tmp), url)


def scale(args: argparse.Namespace, state: Path, url: str) -> int:
    per_plan = math.ceil(args.n / args.plans)
    temporal = DevServer(state, port=free_port(), ui_port=free_port())
    env = {**os.environ, "DONDOC_STATE_DIR": str(state), "DONDOC_OUTBOX_ONLY": "true",
           "DONDOC_DATABASE_URL": sqlalchemy_url(url),
           **{f"DONDOC_{k}_KEY": secrets.token_hex(32) for k in ("ROUTE", "AUDIT", "SESSION")}}
    worker = None
    try:
        temporal.start()
        asyncio.run(temporal.wait_ready())
        env["DONDOC_TEMPORAL_ADDRESS"] = temporal.address
        subprocess.run([DONDOC, "db", "upgrade"], env=env, check=True, capture_output=True)
        office = subprocess.run([DONDOC, "users", "add", "bench", "--name", "Văn phòng",
                                 "--role", "office", "--plan", "*", "--api-key"], env=env,
                                check=True, capture_output=True, text=True)
        env["DONDOC_API_KEY"] = office.stdout.splitlines()[-1].strip()
        due = datetime.now(HCM).replace(microsecond=0) + timedelta(days=60)
        plans = [f"kh{p}" for p in range(args.plans)]
        began = time.time()
        for p, plan in enumerate(plans):
            count = min(per_plan, args.n - p * per_plan)
            (state / f"{plan}.yaml").write_text(plan_yaml(count, UNITS, due, plan), "utf-8")
            (state / f"{plan}-lien-he.yaml").write_text(contacts_yaml(UNITS, 0, plan), "utf-8")
            took = 0.0
            for _ in range(5):  # a loaded dev server sometimes loses its namespace for a moment
                loaded = timed(["load", str(state / f"{plan}.yaml"), "--contacts",
                                str(state / f"{plan}-lien-he.yaml")], env)
                took += loaded.seconds
                if loaded.code == 0 or not any(
                        sign in loaded.stderr for sign in ("Namespace default is not found",
                                                           "Timeout expired")):
                    break
                print(f"load {plan}: the dev server did not keep up "
                      f"({loaded.stderr.strip().splitlines()[-1]}); loading again", flush=True)
                time.sleep(5)
            if loaded.code != 0:
                print(loaded.stdout[-2000:], loaded.stderr[-2000:], file=sys.stderr)
                return 1
            print(f"loaded {plan}: {count} occurrences in {took:.0f} s "
                  f"({count / took:.0f} starts/s)", flush=True)
        # The worker starts after the loads: on this machine the dev server could not take
        # both the starts and the first workflow tasks of thousands of workflows at once.
        if not args.no_worker:
            log = (state / "worker.log").open("ab")
            worker = subprocess.Popen([DONDOC, "worker"], env=env, stdout=log, stderr=log)
            peak, give_up = 0, time.time() + (args.wait or args.n / 10)
            while (done := started(url)) < args.n and time.time() < give_up:
                peak = max(peak, rss_kib(worker.pid))
                time.sleep(2)
            print(f"{done}/{args.n} occurrences started by the worker, "
                  f"{time.time() - began:.0f} s after the first load; worker RSS "
                  f"{rss_kib(worker.pid) / 1024:.0f} MiB "
                  f"(peak {max(peak, rss_kib(worker.pid)) / 1024:.0f} MiB)", flush=True)
        everything = timed(["status", "--json"], env)
        refs = [row["ref"] for row in json.loads(everything.stdout)]
        in_plan = sum(ref.startswith(f"{plans[0]}/") for ref in refs)
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        print(f"\n| command ({args.n} open, {args.runs} runs) | p50 | p99 | peak RSS | rows |\n"
              "|---|---|---|---|---|", flush=True)
        before = args.before
        measure(f"status --plan P --json ({in_plan} rows)", ["status", "--plan", plans[0],
                "--json"], env, args.runs, in_plan, before)
        measure("status --plan P (table)", ["status", "--plan", plans[0]], env, args.runs,
                before=before)
        measure("status --json (all)", ["status", "--json"], env, max(1, args.runs // 3),
                args.n, before)
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        if worker is None:
            return 0
        measure("history REF", ["history", random.Random(1).choice(refs)], env, args.runs,
                before=before)
        measure("report --plan P", ["report", "--plan", plans[0]], env, args.runs,
                before=before)
        measure("audit verify --no-temporal (all rows)", ["audit", "verify", "--no-temporal"],
                env, max(1, args.runs // 3), before=before)
        print(f"\nworker RSS after the commands: {rss_kib(worker.pid) / 1024:.0f} MiB")
        if args.hold:
            (state / "env.json").write_text(json.dumps(
                {k: v for k, v in env.items() if k.startswith("DONDOC_")}), "utf-8")
            print(f"holding; the environment is in {state / 'env.json'}", flush=True)
            signal.pause()
        return 0
    finally:
        if worker is not None and worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        temporal.stop()


if __name__ == "__main__":
    raise SystemExit(main())
