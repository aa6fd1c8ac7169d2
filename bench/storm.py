"""A province's 08:00: N notices due in the same minute, measured from outside dondoc.

    .venv/bin/python bench/storm.py --n 10000 [--units 100] [--zalo 0.1] [--workers 1]

One command runs the Temporal dev server (dondoc.devserver), a loopback SMTP server (aiosmtpd),
the loopback Zalo server of the tests, and `dondoc worker` subprocesses; `dondoc load` loads a
plan whose N occurrences (tasks × units, one reminder each) are all due at the same instant.
It prints the time from that instant to the last delivery, lateness p50/p99, deliveries per
second, the same-run anchor of a plain `smtplib` loop into the same SMTP server and the ratio,
duplicates by Message-ID and recipient, and the workers' peak RSS. Nothing is mocked inside
dondoc: what arrives at the servers is what a unit head would receive.

Then, on the same dev server and SMTP server with the same lead, the raw Temporal anchor
(bench/rawstorm.py) and the ratio dondoc / raw; for each storm where the time went per notice
(bench/stormprofile.py: CPU of worker, server and bench, the server's /metrics, one history).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import math
import os
import signal
import smtplib
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

import rawstorm  # noqa: E402
from stormprofile import Phase, history_shape  # noqa: E402
from temporalio.api.enums.v1 import EventType  # noqa: E402
from temporalio.client import Client  # noqa: E402

from dondoc.devserver import DevServer  # noqa: E402
from tests.activities.servers import FakeZalo, free_port, zalo_server  # noqa: E402

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DONDOC = str(Path(sys.executable).parent / "dondoc")
OA_PATH = "/v3.0/oa/message/cs"


@dataclass
class Arrivals:
    """Every message the loopback servers accepted: when, to whom, with which Message-ID."""

    times: list[float] = field(default_factory=list)  # wall clock, seconds since the epoch
    recipients: list[str] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (recipient, subject)
    message_ids: list[str] = field(default_factory=list)
    sample: bytes = b""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, recipient: str, message_id: str, subject: str) -> None:
        with self.lock:
            self.times.append(time.time())
            self.recipients.append(recipient)
            self.notices.append((recipient, subject))
            self.message_ids.append(message_id)


class StormMailbox:
    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals
        self.counting = True  # off while the smtplib anchor runs

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.counting:
            headers = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.arrivals.sample = self.arrivals.sample or envelope.content
            self.arrivals.add(",".join(envelope.rcpt_tos), str(headers.get("Message-ID", "")),
                              str(headers.get("Subject", "")))
        return "250 Message accepted"


class TimedZalo(FakeZalo):
    """The tests' Zalo server, noting when each OA message arrived and for whom."""

    arrivals: Arrivals | None = None

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        answer = super().answer(path, headers, body)
        if path == OA_PATH and answer.get("error") == 0 and self.arrivals is not None:
            text = json.loads(body)["message"]["text"]
            self.arrivals.add("zalo:" + answer["data"]["user_id"], "", text.split("\n")[0])
        return answer


def plan_yaml(n: int, units: int, due: datetime, plan_id: str = "bao") -> str:
    """`ceil(n / units)` tasks, each given to every unit (for_each), one reminder 1 h before a
    due instant shared by all: n occurrences whose reminders fall due together."""
    tasks = math.ceil(n / units)
    lines = [
        "plan:", f"  id: {plan_id}", "  title: Kế hoạch đo tải nhắc việc", "  issuer: Sở Y tế",
        f"  year: {due.year}",
        "units:", "  - {id: VP, name: Văn phòng Sở Y tế, kind: department}",
        *(f"  - {{id: U{i:05d}, name: Trạm Y tế xã số {i}, kind: center, groups: [xa]}}"
          for i in range(units)),
        "groups:", "  - {id: xa, name: Các trạm y tế xã}",
        "people:", "  - {id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}",
        "  - {id: bcd, title: Ban Chỉ đạo, kind: committee}",
        "roles: {office: VP, steering_committee: bcd, default_leader: pgd}",
        "policy:", "  quiet_hours: null", "  reminders: [{before: PT1H}]",
        "  escalation: [{after: P30D, to: leader}]", "  escalation_repeat: null",
        "tasks:",
    ]
    for t in range(tasks):
        in_task = min(units, n - t * units)
        exclude = [f"U{i:05d}" for i in range(in_task, units)]
        lines += [
            f"  - id: T{t:04d}", f"    source: Phụ lục I, dòng {t + 1}",
            f"    title: Báo cáo số liệu tiêm chủng đợt {t + 1}",
            f"    for_each: {{group: xa, exclude: [{', '.join(exclude)}]}}",
            f"    deadline: {{rule: {{kind: before_date, date: {due:%Y-%m-%d}, "
            f"time: \"{due:%H:%M:%S}\"}}}}",
        ]
    return "\n".join(lines) + "\n"


def contacts_yaml(units: int, zalo_share: float, plan_id: str = "bao") -> str:
    zalo_every = round(1 / zalo_share) if zalo_share > 0 else 0
    lines = [f"plan: {plan_id}", "contacts:",
             "  - {of: VP, email: vanphong@syt.example.invalid, prefer: [email]}",
             "  - {of: pgd, email: pgd@syt.example.invalid, prefer: [email]}"]
    for i in range(units):
        if zalo_every and i % zalo_every == 0:
            lines.append(f"  - {{of: U{i:05d}, zalo_user_id: '{10**9 + i}', "
                         f"email: tram{i:05d}@xa.example.invalid, prefer: [zalo, email]}}")
        else:
            lines.append(f"  - {{of: U{i:05d}, email: tram{i:05d}@xa.example.invalid, "
                         "prefer: [email]}")
    return "\n".join(lines) + "\n"


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def started(db: Path) -> int:
    """Occurrences whose worker has run their first task (the `started` event is written)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return int(con.execute(
                "SELECT count(*) FROM audit_events WHERE type = 'started'").fetchone()[0])
    except sqlite3.Error:
        return 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def smtplib_anchor(port: int, sample: bytes, count: int, *, reuse: bool) -> float:
    """Messages per second of a plain smtplib loop sending `sample` to distinct recipients."""
    start = time.perf_counter()
    connection = smtplib.SMTP("127.0.0.1", port) if reuse else None
    for i in range(count):
        smtp = connection or smtplib.SMTP("127.0.0.1", port)
        smtp.sendmail("nhacviec@syt.example.invalid", [f"neo{i}@xa.example.invalid"], sample)
        if connection is None:
            smtp.quit()
    if connection is not None:
        connection.quit()
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="notices due together")
    parser.add_argument("--units", type=int, default=100, help="units per plan (task fan-out)")
    parser.add_argument("--zalo", type=float, default=0.1, help="share of units on Zalo OA")
    parser.add_argument("--workers", type=int, default=1, help="`dondoc worker` processes")
    parser.add_argument("--lead", type=float, default=None,
                        help="seconds from the load to the storm (default: enough to load)")
    parser.add_argument("--timeout", type=float, default=None, help="give up after (s)")
    parser.add_argument("--anchor", type=int, default=None,
                        help="messages of the smtplib anchor (default: min(n, 2000))")
    parser.add_argument("--state-dir", type=Path, default=None, help="keep the state here")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy the first worker during the storm into this SVG")
    parser.add_argument("--sqlite-pragma", action="append", default=[],
                        help="PRAGMA=VALUE for the dev server's SQLite file, instead of "
                        "dondoc's (repeatable; e.g. journal_mode=delete)")
    parser.add_argument("--no-raw", action="store_true",
                        help="skip the raw Temporal storm (bench/rawstorm.py) that follows")
    args = parser.parse_args()
    # SIGTERM (a `timeout`, a CI runner) unwinds like Ctrl-C: the servers and workers stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="storm-") as tmp:
        state = args.state_dir or Path(tmp) / "state"
        return storm(args, state)


def storm(args: argparse.Namespace, state: Path) -> int:
    n, units = args.n, min(args.units, args.n)
    lead = args.lead if args.lead is not None else 60 + n / 12  # load ~40/s, first tasks ~15/s
    timeout = args.timeout if args.timeout is not None else 600 + n
    state.mkdir(parents=True, exist_ok=True)
    arrivals = Arrivals()
    mailbox, smtp_port = StormMailbox(arrivals), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    zalo = TimedZalo()
    zalo.arrivals = arrivals
    server = DevServer(state, port=free_port(), ui_port=free_port(), metrics_port=free_port())
    server.sqlite_pragmas = tuple(args.sqlite_pragma) or server.sqlite_pragmas
    workers: list[subprocess.Popen[bytes]] = []
    with zalo_server(zalo) as zalo_url:
        env = {**os.environ, "DONDOC_STATE_DIR": str(state),
               "DONDOC_TEMPORAL_ADDRESS": server.address,
               "DONDOC_SMTP_URL": f"mailto://127.0.0.1:{smtp_port}?mode=insecure"
                                  "&from=nhacviec@syt.example.invalid&name=Sở Y tế",
               "DONDOC_ZALO_APP_ID": "1234", "DONDOC_ZALO_SECRET_KEY": "bench-secret",
               "DONDOC_ZALO_REFRESH_TOKEN": "refresh-0",
               "DONDOC_ZALO_OA_BASE_URL": zalo_url, "DONDOC_ZNS_BASE_URL": zalo_url,
               "DONDOC_ZALO_OAUTH_BASE_URL": zalo_url}
        # Workers read compiled bytecode, as an installed package does: the sandbox imports the
        # workflow's module again for every new workflow, and without its .pyc it compiled
        # the source each time (a quarter of the worker's time during a 10,000 storm's first tasks).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        try:
            server.start()
            asyncio.run(server.wait_ready())
            assert server.process is not None and server.metrics_port is not None
            print(f"uptime before: {uptime()}", flush=True)
            at = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=lead)
            (state / "bao.yaml").write_text(plan_yaml(n, units, at + timedelta(hours=1)), "utf-8")
            (state / "lien-he.yaml").write_text(contacts_yaml(units, args.zalo), "utf-8")
            # `dondoc db upgrade` first when it exists, so workers do not race to migrate.
            subprocess.run([DONDOC, "db", "upgrade"], env=env, capture_output=True)
            # Signed in as the office (`dondoc load` needs it where accounts exist).
            office = subprocess.run([DONDOC, "users", "add", "bench", "--name", "Văn phòng",
                                     "--role", "office", "--plan", "*", "--api-key"], env=env,
                                    capture_output=True, text=True)
            if office.returncode == 0:
                env["DONDOC_API_KEY"] = office.stdout.splitlines()[-1].strip()
            for i in range(args.workers):
                log = (state / f"worker-{i}.log").open("ab")
                workers.append(subprocess.Popen([DONDOC, "worker"], env=env, stdout=log,
                                                stderr=log))
            pids = {"worker": workers[0].pid, "server": server.process.pid, "bench": os.getpid()}
            loading = Phase("dondoc, load to the instant", pids, server.metrics_port)
            loading.begin()
            began = time.time()
            for _ in range(3):  # a load Temporal cut short finishes when run again
                loaded = subprocess.run([DONDOC, "load", str(state / "bao.yaml"), "--contacts",
                                         str(state / "lien-he.yaml")], env=env,
                                        capture_output=True, text=True)
                if loaded.returncode == 0:
                    break
                print(loaded.stdout[-2000:], loaded.stderr[-2000:], file=sys.stderr)
            else:
                return 1
            load_s = time.time() - began
            print(f"storm: n={n} units={units} zalo={args.zalo:.0%} workers={args.workers} "
                  f"cores={os.cpu_count()} lead={lead:.0f} s load={load_s:.1f} s "
                  f"({n / load_s:.0f} starts/s)", flush=True)
            db, ready_at = state / "dondoc.db", None
            peak = Peak(workers)
            while time.time() < at.timestamp():
                peak.sample()
                if ready_at is None and started(db) >= n:
                    ready_at = time.time()
                time.sleep(0.5)
            ready = started(db)
            print(f"at the storm instant: {ready}/{n} occurrences had started"
                  + (f" ({ready_at - began:.0f} s after the load began)" if ready_at else
                     " (the rest start late: raise --lead)"), flush=True)
            loading.end()
            storming = Phase("dondoc, the storm", pids, server.metrics_port)
            storming.begin()
            profiler = None
            if args.profile:
                profiler = subprocess.Popen(
                    [str(Path(sys.executable).parent / "py-spy"), "record", "-p",
                     str(workers[0].pid), "-o", str(args.profile), "--nonblocking",
                     "-d", str(int(timeout))])
            wait_for(arrivals, n, time.time() + timeout, peak)
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait()
            storming.end()
            ours = report("dondoc", arrivals, at.timestamp(), n, peak.kib)
            shape = asyncio.run(history_of(server.address, "WorkflowType = 'OccurrenceWorkflow'"))
            print(loading.report(n), storming.report(n), f"one occurrence's history: {shape}",
                  sep="\n", flush=True)
            stop(workers)
            raw = Arrivals()
            mailbox.arrivals = raw
            sample = arrivals.sample or b"Subject: neo\r\n\r\nneo\r\n"
            if not args.no_raw:
                raw_storm(args, n, lead, timeout, state, env, server, smtp_port, sample, raw,
                          ours)
            print(f"uptime after: {uptime()}", flush=True)
            mailbox.counting = False
            count = args.anchor or min(n, 2000)
            fresh = smtplib_anchor(smtp_port, sample, count, reuse=False)
            reused = smtplib_anchor(smtp_port, sample, count, reuse=True)
            rate = rate_of(arrivals, at.timestamp())
            print(f"smtplib anchor ({count} messages, same server, same run): "
                  f"{fresh:.0f}/s with a connection per message, {reused:.0f}/s on one "
                  f"connection; dondoc / anchor = {rate / fresh:.2f}x "
                  f"({rate / reused:.2f}x of the one-connection loop)")
            return 0 if len(arrivals.times) >= n else 1
        finally:
            stop(workers)
            server.stop()
            controller.stop()


def raw_storm(args: argparse.Namespace, n: int, lead: float, timeout: float, state: Path,
              env: dict[str, str], server: DevServer, smtp_port: int, sample: bytes,
              arrivals: Arrivals, ours: Figures) -> None:
    """The same storm as raw Temporal workflows (bench/rawstorm.py) on the same server."""
    assert server.process is not None and server.metrics_port is not None
    (state / "raw-message.eml").write_bytes(sample)
    log = (state / "raw-worker.log").open("ab")
    worker = subprocess.Popen([sys.executable, str(Path(__file__).with_name("rawstorm.py")),
                               server.address, "raw", str(smtp_port),
                               str(state / "raw-message.eml")], env=env, stdout=log, stderr=log)
    try:
        pids = {"worker": worker.pid, "server": server.process.pid, "bench": os.getpid()}
        loading = Phase("raw, load to the instant", pids, server.metrics_port)
        loading.begin()
        began = time.time()
        at = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=lead)
        asyncio.run(rawstorm.start(server.address, "raw", at, n))
        load_s = time.time() - began
        print(f"raw: n={n} lead={lead:.0f} s start={load_s:.1f} s ({n / load_s:.0f} starts/s)",
              flush=True)
        peak = Peak([worker])
        while time.time() < at.timestamp():
            peak.sample()
            time.sleep(0.5)
        loading.end()
        storming = Phase("raw, the storm", pids, server.metrics_port)
        storming.begin()
        wait_for(arrivals, n, time.time() + timeout, peak)
        storming.end()
        theirs = report("raw", arrivals, at.timestamp(), n, peak.kib)
        shape = asyncio.run(history_of(server.address, "WorkflowType = 'RawReminder'"))
        print(loading.report(n), storming.report(n), f"one raw workflow's history: {shape}",
              sep="\n", flush=True)
        if theirs.delivered:
            print(f"dondoc / raw: time to the last delivery {ours.last / theirs.last:.2f}x, "
                  f"lateness p50 {ours.p50 / max(theirs.p50, 1e-3):.2f}x, "
                  f"p99 {ours.p99 / max(theirs.p99, 1e-3):.2f}x, "
                  f"deliveries/s {ours.rate / max(theirs.rate, 1e-3):.2f}x", flush=True)
    finally:
        stop([worker])


@dataclass
class Peak:
    """The highest summed RSS of some processes, sampled."""

    processes: list[subprocess.Popen[bytes]]
    kib: int = 0

    def sample(self) -> None:
        self.kib = max(self.kib, sum(rss_kib(p.pid) for p in self.processes))


def wait_for(arrivals: Arrivals, n: int, give_up: float, peak: Peak) -> None:
    while len(arrivals.times) < n and time.time() < give_up:
        peak.sample()
        if any(p.poll() is not None for p in peak.processes):
            print("a worker exited; see its log in the state folder", file=sys.stderr)
            return
        time.sleep(0.5)


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


async def history_of(address: str, query: str) -> str:
    """The event types of one workflow's history (the first the query lists)."""
    client = await Client.connect(address)
    async for listed in client.list_workflows(query, limit=1):
        history = await client.get_workflow_handle(listed.id).fetch_history()
        return history_shape([EventType.Name(e.event_type) for e in history.events])
    return "(none)"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def rate_of(arrivals: Arrivals, at: float) -> float:
    if not arrivals.times:
        return 0.0
    return len(arrivals.times) / max(max(arrivals.times) - at, 1e-3)


@dataclass(frozen=True)
class Figures:
    delivered: int
    last: float
    p50: float
    p99: float
    rate: float


def report(who: str, arrivals: Arrivals, at: float, n: int, peak_kib: int) -> Figures:
    got = len(arrivals.times)
    if not got:
        print(f"{who}: delivered 0/{n}")
        return Figures(0, math.inf, math.inf, math.inf, 0.0)
    lateness = [t - at for t in arrivals.times]
    per_notice = Counter(arrivals.notices)
    ids = Counter(i for i in arrivals.message_ids if i)
    by_zalo = sum(r.startswith("zalo:") for r in arrivals.recipients)
    figures = Figures(got, max(lateness), percentile(lateness, 0.5),
                      percentile(lateness, 0.99), rate_of(arrivals, at))
    # The raw storm sends one sample message, Message-ID and all, to every recipient.
    by_id = f", {sum(c - 1 for c in ids.values())} by Message-ID" if who == "dondoc" else ""
    print(f"{who}: delivered {len(per_notice)} distinct notices of {n}, {got} messages "
          f"({by_zalo} by Zalo); duplicates: {sum(c - 1 for c in per_notice.values())} by "
          f"recipient and subject{by_id}")
    print(f"{who}: time to the last delivery: {figures.last:.1f} s; lateness p50 "
          f"{figures.p50:.1f} s, p99 {figures.p99:.1f} s; {figures.rate:.1f} deliveries/s; "
          f"worker peak RSS {peak_kib / 1024:.0f} MiB", flush=True)
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
