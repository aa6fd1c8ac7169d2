"""The weekly digest on the dev server: the Schedule exists, and run now it sends each leader
and the Steering Committee their digest, in Vietnamese, once. The committee's copy carries the
plan's audit head; with the head anchored in Temporal too, a rewritten log contradicts both."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine

from storage.audit import AuditLog
from tests.activities.test_tamper import insider, rechain, rows_of
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

    # The committee's digest carries the audit anchor; the leader's does not.
    assert "dondoc-anchor: plan=tuan rows=" in text
    assert "dondoc-anchor" not in str(digests["pgd"]["text"])
    kept = tmp_path / "digest-bcd.txt"  # the committee keeps its copy
    kept.write_text(text, "utf-8")
    # The plan's head and the accounts' (the office's account was made and audited).
    assert "2 plan heads anchored in Temporal" in stack.dondoc("audit", "anchor").stdout
    intact = stack.dondoc("audit", "verify", "--digest", str(kept)).stdout
    # The plan's: sent, kept, Temporal; the accounts': Temporal.
    assert "audit log intact" in intact and "; 4 anchors agree" in intact

    # An insider with the database and the audit key rewrites the plan's whole chain.
    assert stack.worker is not None
    stack.worker.terminate()
    stack.worker.wait(timeout=30)
    audit = AuditLog(create_engine(f"sqlite:///{stack.state / 'dondoc.db'}"))
    with insider(audit) as db:
        rows = rows_of(db, "tuan")
        rows[0]["actor"] = "HL"  # the load's row, done by the office (VP)
        rechain(db, "tuan", rows, (stack.state / "keys" / "audit.key").read_bytes().strip())
    broken = stack.dondoc("audit", "verify", "--digest", str(kept), check=False)
    assert broken.returncode == 1 and "Traceback" not in broken.stderr
    caught = [line for line in broken.stderr.splitlines() if line.startswith("audit log broken")]
    assert len(caught) == 3 and all("[anchor]" in line for line in caught), broken.stderr
    assert any("Temporal anchor of" in line for line in caught)
    assert any("digest anchor digest/tuan/" in line and "steering_committee/bcd" in line
               for line in caught)  # as recorded when sent
    assert any(f"{kept} (" in line for line in caught)  # as the committee kept it
