"""A worker killed while a reminder is on its way does not send it twice: the dev server, a
worker subprocess sending e-mail to a real SMTP server, and that server killing the worker
right after it took the message, before it answered."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
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
    """Takes each message; for the first one, kills the worker before answering 250."""

    def __init__(self) -> None:
        super().__init__()
        self.worker_pid: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1 and self.worker_pid:
            os.kill(self.worker_pid, signal.SIGKILL)
        return answer


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


def test_a_worker_killed_mid_send_sends_nothing_twice(tmp_path: Path):
    state = tmp_path / "state"
    (tmp_path / "lien-he.yaml").write_text(CONTACTS, "utf-8")
    mailbox, smtp_port = KillingMailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = DevServer(state, port=free_port(), ui_port=free_port())
    server.start()
    env = {**os.environ, "DONDOC_STATE_DIR": str(state),
           "DONDOC_TEMPORAL_ADDRESS": server.address,
           "DONDOC_SMTP_URL": f"mailto://127.0.0.1:{smtp_port}?mode=insecure"
                              "&from=nhacviec@syt.example.invalid&name=Sở Y tế"}
    workers: list[subprocess.Popen[bytes]] = []

    def start_worker() -> None:
        log = (tmp_path / "worker.log").open("ab")
        workers.append(subprocess.Popen([DONDOC, "worker"], env=env, stdout=log, stderr=log))
        mailbox.worker_pid = workers[-1].pid

    def dondoc(*args: str) -> str:
        done = subprocess.run([DONDOC, *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        asyncio.run(server.wait_ready())
        env["DONDOC_API_KEY"] = bootstrap_office(env)
        due = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=55)
        (tmp_path / "giao.yaml").write_text(plan(due), "utf-8")
        start_worker()
        loaded = dondoc("load", str(tmp_path / "giao.yaml"), "--contacts",
                        str(tmp_path / "lien-he.yaml"))
        assert f"contacts of giao installed in {state / 'contacts'}" in loaded
        deadline = time.monotonic() + 60
        while workers[-1].poll() is None:  # the SMTP server kills it when the reminder arrives
            assert time.monotonic() < deadline, "the reminder never reached the SMTP server"
            time.sleep(0.2)
        mailbox.worker_pid = None
        start_worker()

        def escalated() -> bool:
            return any(r == ["pgd@syt.example.invalid"] for r, _ in mailbox.messages)

        deadline = time.monotonic() + 90
        while not escalated():
            assert time.monotonic() < deadline, f"no escalation; got {mailbox.messages}"
            time.sleep(0.5)
        to_unit = [m["Subject"].split("]")[0] + "]" for r, m in mailbox.messages
                   if r == ["giamdoc@ttyt-halong.example.invalid"]]
        # The reminder the worker died sending went out once; the overdue notice is its own.
        assert to_unit == ["[Đến hạn hôm nay]", "[Quá hạn]"]
        history = json.loads(dondoc("history", "giao/T1", "--json"))
        sent = [(r["step"], r["recipient"], r["outcome"]) for r in history
                if r["type"] in ("reminder.sent", "escalated")]
        assert sent == [("reminder-PT40S", "HL", "uncertain"), ("overdue-notice", "HL", "sent"),
                        ("escalation-1", "pgd", "sent")]
        attempts = [[(a["channel"], a["outcome"]) for a in r["attempts"]] for r in history
                    if r["type"] in ("reminder.sent", "escalated")]
        assert attempts == [[("email", "uncertain")], [("email", "sent")], [("email", "sent")]]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        server.stop()
        controller.stop()
