"""A worker killed while a reminder is on its way neither loses it nor shows it twice: the dev
server, a worker subprocess sending e-mail to a real SMTP server, and that server killing the
worker right after it took the message, before it answered. The retry sends it again under the
same Message-ID, which a mailbox shows once."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from dondoc.devserver import DevServer
from tests.activities.servers import Mailbox, free_port
from tests.stack import bootstrap_office

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DONDOC = str(Path(sys.executable).parent / "dondoc")
pytestmark = pytest.mark.slow


class KillingMailbox(Mailbox):
    """Takes each message; on the chosen arrivals (1: the first), kills the worker before
    answering 250."""

    def __init__(self, kill_at: set[int]) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.worker_pid: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) in self.kill_at and self.worker_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.worker_pid, signal.SIGKILL)
        return answer


class TwoAtOnceMailbox(Mailbox):
    """Holds the first message until a second arrives while it is held: with one activity at a
    time per worker, that second message can only come from the other worker."""

    def __init__(self) -> None:
        super().__init__()
        self.second = asyncio.Event()
        self.overlapped = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.messages and not self.second.is_set():
            self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(
                envelope.content, policy=email.policy.default)))  # type: ignore[arg-type]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.second.wait(), timeout=60)
            return "250 Message accepted"
        self.overlapped = self.overlapped or not self.second.is_set()
        self.second.set()
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Delivery:
    """The dev server, a real SMTP server on loopback that takes mail into `mailbox`, the
    office's API key, and `dondoc worker` subprocesses sending through that server."""

    folder: Path
    mailbox: Mailbox
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def state(self) -> Path:
        return self.folder / "state"

    def start_worker(self, log: str = "worker.log") -> subprocess.Popen[bytes]:
        """One more worker; a KillingMailbox kills this one."""
        subprocess.run([DONDOC, "db", "upgrade"], env=self.env, check=True, capture_output=True)
        with (self.folder / log).open("ab") as out:
            worker = subprocess.Popen([DONDOC, "worker"], env=self.env, stdout=out, stderr=out)
        self.workers.append(worker)
        if isinstance(self.mailbox, KillingMailbox):
            self.mailbox.worker_pid = worker.pid
        return worker

    def dondoc(self, *args: str) -> str:
        done = subprocess.run([DONDOC, *args], env=self.env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def load(self, plan: str, contacts: str) -> str:
        """`dondoc load` of the plan with its contacts, as the office types it."""
        (self.folder / "ke-hoach.yaml").write_text(plan, "utf-8")
        (self.folder / "lien-he.yaml").write_text(contacts, "utf-8")
        return self.dondoc("load", str(self.folder / "ke-hoach.yaml"), "--contacts",
                           str(self.folder / "lien-he.yaml"))

    def ledger(self) -> list[tuple[str, str]]:
        """The delivery ledger: each notice's status and the Message-ID it went under."""
        with sqlite3.connect(self.state / "dondoc.db") as db:
            return db.execute("SELECT status, provider_message_id FROM deliveries").fetchall()


@pytest.fixture
def delivery(tmp_path: Path) -> Iterator[Callable[..., Delivery]]:
    """Starts it all for the test's mailbox (and any more DONDOC_* settings); stops it all."""
    with contextlib.ExitStack() as cleanup:
        def start(mailbox: Mailbox, **settings: str) -> Delivery:
            smtp_port = free_port()
            controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
            controller.start()
            cleanup.callback(controller.stop)
            server = DevServer(tmp_path / "state", port=free_port(), ui_port=free_port())
            server.start()
            cleanup.callback(server.stop)
            env = {**os.environ, **settings, "DONDOC_STATE_DIR": str(tmp_path / "state"),
                   "DONDOC_TEMPORAL_ADDRESS": server.address,
                   "DONDOC_SMTP_URL": f"mailto://127.0.0.1:{smtp_port}?mode=insecure"
                                      "&from=nhacviec@syt.example.invalid&name=Sở Y tế"}
            stack = Delivery(tmp_path, mailbox, env)
            cleanup.callback(stop_workers, stack.workers)
            asyncio.run(server.wait_ready())
            env["DONDOC_API_KEY"] = bootstrap_office(env)
            return stack

        yield start


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)


def plan(due: datetime) -> str:
    return f"""\
plan:
  id: giao
  title: Kế hoạch kiểm thử gửi thư
  issuer: Sở Y tế
  year: {due.year}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: HL, name: Trung tâm Y tế Hạ Long, kind: center}}
people:
  - {{id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
policy:
  quiet_hours: null
  reminders: [{{before: PT40S}}]
  escalation: [{{after: PT5S, to: leader}}]
  escalation_repeat: null
tasks:
  - id: T1
    source: Phụ lục I, dòng 1
    title: Báo cáo tiến độ bệnh án điện tử
    lead: [HL]
    deadline: {{rule: {{kind: before_date, date: {due:%Y-%m-%d}, time: "{due:%H:%M:%S}"}}}}
"""


CONTACTS = """\
plan: giao
contacts:
  - {of: HL, email: giamdoc@ttyt-halong.example.invalid, prefer: [email]}
  - {of: pgd, email: pgd@syt.example.invalid, prefer: [email]}
  - {of: VP, email: vanphong@syt.example.invalid, prefer: [email]}
"""


def test_a_worker_killed_mid_send_resends_under_the_same_message_id(
        delivery: Callable[..., Delivery]):
    mailbox = KillingMailbox(kill_at={1})
    stack = delivery(mailbox)
    due = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=55)
    stack.start_worker()
    loaded = stack.load(plan(due), CONTACTS)
    assert f"contacts of giao installed in {stack.state / 'contacts'}" in loaded
    deadline = time.monotonic() + 60
    while stack.workers[-1].poll() is None:  # the SMTP server kills it when the reminder arrives
        assert time.monotonic() < deadline, "the reminder never reached the SMTP server"
        time.sleep(0.2)
    stack.start_worker()

    def escalated() -> bool:
        return any(r == ["pgd@syt.example.invalid"] for r, _ in mailbox.messages)

    deadline = time.monotonic() + 90
    while not escalated():
        assert time.monotonic() < deadline, f"no escalation; got {mailbox.messages}"
        time.sleep(0.5)
    to_unit = [(m["Message-ID"], m["Subject"].split("]")[0] + "]") for r, m in mailbox.messages
               if r == ["giamdoc@ttyt-halong.example.invalid"]]
    # The reminder the worker died sending went out again under its Message-ID: the mailbox
    # shows it once; the overdue notice is its own message.
    assert [subject for _, subject in dict(to_unit).items()] == [
        "[Đến hạn hôm nay]", "[Quá hạn]"]
    assert [subject for _, subject in to_unit] == [
        "[Đến hạn hôm nay]", "[Đến hạn hôm nay]", "[Quá hạn]"]
    history = json.loads(stack.dondoc("history", "giao/T1", "--json"))
    sent = [(r["step"], r["recipient"], r["outcome"]) for r in history
            if r["type"] in ("reminder.sent", "escalated")]
    assert sent == [("reminder-PT40S", "HL", "sent"), ("overdue-notice", "HL", "sent"),
                    ("escalation-1", "pgd", "sent")]
    attempts = [[(a["channel"], a["outcome"]) for a in r["attempts"]] for r in history
                if r["type"] in ("reminder.sent", "escalated")]
    assert attempts == [[("email", "in_doubt"), ("email", "sent")], [("email", "sent")],
                        [("email", "sent")]]


def storm_plan(due: datetime, units: int) -> str:
    unit_lines = "\n".join(f"  - {{id: U{i:02d}, name: Trạm Y tế xã số {i}, kind: center, "
                           "groups: [xa]}" for i in range(units))
    return f"""\
plan:
  id: bao
  title: Kế hoạch kiểm thử gửi thư khi worker bị dừng đột ngột
  issuer: Sở Y tế
  year: {due.year}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
{unit_lines}
groups:
  - {{id: xa, name: Các trạm y tế xã}}
people:
  - {{id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
policy:
  quiet_hours: null
  reminders: [{{before: PT1H}}]
  escalation: [{{after: P30D, to: leader}}]
  escalation_repeat: null
tasks:
  - id: T1
    source: Phụ lục I, dòng 1
    title: Báo cáo số liệu tiêm chủng
    for_each: {{group: xa}}
    deadline: {{rule: {{kind: before_date, date: {due:%Y-%m-%d}, time: "{due:%H:%M:%S}"}}}}
"""


def storm_contacts(units: int) -> str:
    return "plan: bao\ncontacts:\n" + "".join(
        f"  - {{of: U{i:02d}, email: tram{i:02d}@xa.example.invalid, prefer: [email]}}\n"
        for i in range(units)) + "  - {of: VP, email: vanphong@syt.example.invalid}\n"


@pytest.mark.fault
def test_a_worker_killed_at_random_moments_of_a_storm_loses_nothing(
        delivery: Callable[..., Delivery]):
    """Every notice reaches the SMTP server, each under one Message-ID however often it was
    resent, and the ledger says each was sent, with that Message-ID."""
    import random

    units, seed = 16, random.randrange(1_000_000)
    rng = random.Random(seed)
    kill_at = set(rng.sample(range(1, units), 3))  # on these arrivals, before the 250 answer
    mailbox = KillingMailbox(kill_at)
    stack = delivery(mailbox)
    reminder_at = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=25)
    stack.start_worker()
    stack.load(storm_plan(reminder_at + timedelta(hours=1), units), storm_contacts(units))
    # Also at a random moment while the storm is being sent, whatever the worker is doing.
    wall_kill = reminder_at.timestamp() + rng.uniform(0.2, 3.0)
    deadline = time.monotonic() + 240
    while len({m["Message-ID"] for _, m in mailbox.messages}) < units:
        assert time.monotonic() < deadline, f"seed {seed}: {len(mailbox.messages)} arrived"
        if wall_kill and time.time() > wall_kill:
            os.kill(stack.workers[-1].pid, signal.SIGKILL)
            wall_kill = 0
        if stack.workers[-1].poll() is not None:
            stack.start_worker()
        time.sleep(0.1)
    # A delivery the worker died inside the provider's window arrived already; its retry
    # (after the heartbeat timeout) sends it again and settles the ledger.
    while any(status != "sent" for status, _ in stack.ledger()) or len(stack.ledger()) < units:
        assert time.monotonic() < deadline + 60, f"seed {seed}: {stack.ledger()}"
        if stack.workers[-1].poll() is not None:
            stack.start_worker()
        time.sleep(0.5)
    by_id: dict[str, list[list[str]]] = {}
    for recipients, message in mailbox.messages:
        by_id.setdefault(message["Message-ID"], []).append(recipients)
    # Each notice under one Message-ID, to one recipient, whatever the resends.
    assert sorted(r[0][0] for r in by_id.values()) == [
        f"tram{i:02d}@xa.example.invalid" for i in range(units)], seed
    assert all(len({tuple(r) for r in rs}) == 1 for rs in by_id.values()), seed
    rows = stack.ledger()
    with sqlite3.connect(stack.state / "dondoc.db") as db:
        interrupted = db.execute("SELECT count(*) FROM delivery_attempts "
                                 "WHERE outcome = 'in_doubt'").fetchone()[0]
    assert sorted(rows) == sorted(("sent", mid) for mid in by_id), seed
    resends = len(mailbox.messages) - len(by_id)
    assert resends <= interrupted, seed  # a resend only for what was in doubt
    print(f"seed {seed}: {len(stack.workers) - 1} kills, {resends} resends, "
          f"{interrupted} in doubt")


@pytest.mark.fault
def test_two_workers_on_one_queue_send_each_notice_once(delivery: Callable[..., Delivery]):
    """Two `dondoc worker` processes share a storm on one task queue and one ledger: every
    notice reaches the SMTP server once, under one Message-ID, and the ledger agrees."""
    units = 16
    mailbox = TwoAtOnceMailbox()
    stack = delivery(mailbox, DONDOC_MAX_CONCURRENT_ACTIVITIES="1")
    for i in range(2):
        stack.start_worker(f"worker-{i}.log")
    reminder_at = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=25)
    stack.load(storm_plan(reminder_at + timedelta(hours=1), units), storm_contacts(units))
    deadline = time.monotonic() + 240
    while len(mailbox.messages) < units or len(stack.ledger()) < units or any(
            status != "sent" for status, _ in stack.ledger()):
        assert time.monotonic() < deadline, (len(mailbox.messages), stack.ledger())
        assert all(w.poll() is None for w in stack.workers), "a worker exited"
        time.sleep(0.5)
    assert mailbox.overlapped, "the two workers never sent at the same time"
    by_id: dict[str, list[list[str]]] = {}
    for recipients, message in mailbox.messages:
        by_id.setdefault(message["Message-ID"], []).append(recipients)
    assert len(mailbox.messages) == units  # nothing sent twice, not even under another id
    assert sorted(r[0][0] for r in by_id.values()) == [
        f"tram{i:02d}@xa.example.invalid" for i in range(units)]
    assert sorted(stack.ledger()) == sorted(("sent", mid) for mid in by_id)
    sent = [(stack.folder / f"worker-{i}.log").read_text("utf-8").count('"notice.sent"')
            for i in range(2)]
    assert sum(sent) == units and min(sent) > 0, sent
