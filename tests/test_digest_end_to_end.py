"""The weekly digest on the dev server: the Schedule exists, and run now it sends each leader
and the Steering Committee their digest, in Vietnamese, once."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.stack import Stack

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

pytestmark = pytest.mark.slow


def test_the_weekly_digest_reaches_the_leader_and_the_committee(stack: Stack, tmp_path: Path):
    today = datetime.now(HCM).date()
    plan = f"""\
plan:
  id: tuan
  number: 3/KH-SYT
  title: Kế hoạch kiểm thử tổng hợp tuần
  issuer: Sở Y tế
  year: {today.year}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: HL, name: Trung tâm Y tế Hạ Long, kind: center}}
people:
  - {{id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo Chuyển đổi số, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
policy: {{quiet_hours: null, reminders: [], escalation: [], escalation_repeat: null}}
tasks:
  - id: QUA-HAN
    source: x
    title: Nhiệm vụ đã quá hạn
    lead: [HL]
    deadline: {{rule: {{kind: before_date, date: {today - timedelta(days=3)}}}}}
"""
    (tmp_path / "tuan.yaml").write_text(plan, "utf-8")
    stack.start_worker()
    stack.dondoc("load", str(tmp_path / "tuan.yaml"))
    deadline = time.monotonic() + 60
    while "overdue" not in stack.dondoc("status", "--plan", "tuan", "--json").stdout:
        assert time.monotonic() < deadline, "the occurrence never went overdue"
        time.sleep(0.5)
    assert "created" in stack.dondoc("schedules", "--run-now").stdout
    stack.wait_for(lambda: len([n for n in stack.outbox() if n["kind"] == "digest"]) >= 2,
                   timeout=60, what="the digests")
    digests = {n["to"]["id"]: n for n in stack.outbox() if n["kind"] == "digest"}
    assert set(digests) == {"pgd", "bcd"}
    text = str(digests["bcd"]["text"])
    assert "Quá hạn chưa hoàn thành (1):" in text and "tuan/QUA-HAN" in text
    assert str(digests["pgd"]["subject"]).startswith("[Tổng hợp tuần ")
    assert "1 quá hạn" in str(digests["pgd"]["subject"])
    assert "updated" in stack.dondoc("schedules").stdout  # running it again only updates it
