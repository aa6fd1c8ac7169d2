"""The Steering Committee's digest carries the plan's audit anchor through a real SMTP
exchange; the message as the committee saves it (.eml) is what `audit verify --digest` reads,
quoted-printable line breaks and all."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.digest import DigestActivities
from activities.notify import ContactsBook, Notifier
from activities.smtp import EmailChannel
from dondoc.services.audit import digest_text
from dondoc.services.load import plan_context
from plans.digest import Digest, DigestItem
from plans.validation import check_plan
from storage.audit import AuditLog
from storage.ledger import Ledger
from tests.activities.test_audit import record_life
from tests.activities.test_notify import PLAN, smtp  # noqa: F401 (fixture)
from workflows.anchors import anchors_in

WEEK = datetime(2025, 4, 28, tzinfo=UTC)
CONTACTS = """\
plan: thu
contacts:
  - {of: bcd, email: bancd@syt.example.invalid, prefer: [email]}
  - {of: VP, email: vanphong@syt.example.invalid, prefer: [email]}
"""


def test_the_committee_receives_the_anchor_and_its_saved_mail_verifies(
        tmp_path, database_url, smtp):  # noqa: F811
    mailbox, url = smtp
    checked = check_plan(PLAN, "thu.yaml")
    assert checked.ok
    context = plan_context(checked.value)
    ledger = Ledger.connect(database_url, b"route-key")
    audit = AuditLog(ledger.engine, b"audit-key")
    record_life(audit, "thu/T1/HL@2025-Q1")
    (tmp_path / "contacts").mkdir()
    (tmp_path / "contacts" / "thu.yaml").write_text(CONTACTS, "utf-8")
    notifier = Notifier(ledger=ledger, contacts=ContactsBook(tmp_path / "contacts"),
                        channels={"email": EmailChannel(url)}, outbox=tmp_path / "outbox")
    overdue = DigestItem(ref="thu/T1/HL@2025-Q1", plan="thu", task="T1", unit="HL", leader="gd",
                         due=WEEK, state="overdue")
    (head,) = audit.heads(WEEK)
    activities = DigestActivities(client=None, notifier=notifier, audit=audit)  # type: ignore[arg-type]
    digest = Digest(plan="thu", week="2025-W18", role="steering_committee", recipient="bcd",
                    due_this_week=[], overdue=[overdue], done_late=[], audit_rows=head.rows,
                    audit_head=head.head)
    assert activities.send_digest(digest, context).outcome == "sent"
    (recipients, message), = mailbox.messages
    assert recipients == ["bancd@syt.example.invalid"]
    saved = tmp_path / "tong-hop-tuan-18.eml"
    saved.write_bytes(message.as_bytes())
    (anchor,) = anchors_in(digest_text(saved), str(saved))
    assert (anchor.plan, anchor.rows, anchor.head) == ("thu", 7, head.head)
    assert audit.verify(anchors=[anchor]).findings == []
    (kept,) = audit.recorded_anchors()  # dondoc's own record of what it sent
    assert kept.reference == "digest/thu/2025-W18/steering_committee/bcd"
    assert (kept.rows, kept.head) == (7, head.head)
