"""Every notice carries a signed link to its occurrence's page: in the e-mail (text and HTML),
as the Zalo OA message's button, as the ZNS template's `lien_ket` parameter; the weekly digest
links each item. The links lead back to the occurrence the notice names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from activities.digest import DigestActivities
from activities.notify import Notifier
from activities.smtp import EmailChannel
from dondoc.services.load import plan_context
from plans.digest import Digest, DigestItem
from plans.links import NoticeLinks
from plans.validation import check_plan
from tests.activities.test_notify import (  # noqa: F401 (fixtures)
    PLAN,
    notice,
    notifier,
    smtp,
    zalo,
    zalo_channel,
)

LINKS = NoticeLinks("https://dondoc.syt.example.invalid", b"test-route-key")
LIFETIME = timedelta(days=90)


def linked(tmp_path: Path, database_url: str, channels: dict) -> Notifier:  # type: ignore[type-arg]
    sender = notifier(tmp_path, database_url, channels)
    sender.links = LINKS
    return sender


def ref_of(url: str) -> str:
    assert url.startswith("https://dondoc.syt.example.invalid/lien-ket/"), url
    return LINKS.ref(url.rsplit("/", 1)[1], now=datetime.now(UTC), lifetime=LIFETIME)


def test_the_reminder_email_links_its_occurrences_page(tmp_path, database_url, smtp):  # noqa: F811
    mailbox, url = smtp
    sender = linked(tmp_path, database_url, {"email": EmailChannel(url)})
    assert sender.send_notice(notice("HL")).outcome == "sent"
    assert sender.send_notice(notice("HL")).outcome == "already_sent"  # the ledger: still once
    (_, message), = mailbox.messages
    text = message.get_body(("plain",)).get_content()
    (link,) = re.findall(r"https://\S+/lien-ket/\S+", text)
    assert ref_of(link) == "thu/T1"
    assert "Báo cáo hoàn thành, đề nghị gia hạn và xem diễn biến của nhiệm vụ tại" in text
    html = message.get_body(("html",)).get_content()
    assert f'<a href="{link}">Mở trang nhiệm vụ</a>' in html


def test_overdue_and_escalation_by_zalo_carry_the_link(tmp_path, database_url, zalo):  # noqa: F811
    fake, base = zalo
    sender = linked(tmp_path, database_url, {"zalo": zalo_channel(database_url, base)})
    assert sender.send_notice(notice("CP", kind="overdue", step="overdue-notice")).outcome == "sent"
    assert sender.send_notice(notice("pgd", role="leader", kind="escalation",
                                     step="escalation-1")).outcome == "sent"
    (oa,) = fake.sent("/v3.0/oa/message/cs")  # the OA message: its button opens the page
    (button,) = oa["message"]["attachment"]["payload"]["buttons"]
    assert (button["type"], button["title"]) == ("oa.open.url", "Mở trang nhiệm vụ")
    assert ref_of(button["payload"]["url"]) == "thu/T1"
    assert button["payload"]["url"] in oa["message"]["text"]
    (zns,) = fake.sent("/message/template")  # ZNS: the template's button takes the parameter
    assert ref_of(zns["template_data"]["lien_ket"]) == "thu/T1"


def test_the_digest_links_each_item(tmp_path, database_url, smtp):  # noqa: F811
    mailbox, url = smtp
    checked = check_plan(PLAN, "thu.yaml")
    assert checked.ok
    sender = linked(tmp_path, database_url, {"email": EmailChannel(url)})
    week = datetime(2025, 4, 28, tzinfo=UTC)
    items = [DigestItem(ref=f"thu/T1/{unit}@2025-Q1", plan="thu", task="T1", unit=unit,
                        leader="pgd", due=week, state=state)
             for unit, state in (("HL", "overdue"), ("CP", "scheduled"))]
    digest = Digest(plan="thu", week="2025-W18", role="leader", recipient="pgd",
                    due_this_week=items[1:], overdue=items[:1], done_late=[])
    activities = DigestActivities(client=None, notifier=sender)  # type: ignore[arg-type]
    (tmp_path / "contacts" / "thu.yaml").write_text(
        "plan: thu\ncontacts:\n  - {of: pgd, email: pgd@syt.example.invalid}\n", "utf-8")
    assert activities.send_digest(digest, plan_context(checked.value)).outcome == "sent"
    (_, message), = mailbox.messages
    text = message.get_body(("plain",)).get_content()
    links = re.findall(r"- (Thành phố [^:]+): (\S+) \(hạn [^)]+\)[^:]*: (\S+)", text)
    assert [(unit, ref, ref_of(link)) for unit, ref, link in links] == [
        ("Thành phố Cẩm Phả", "thu/T1/CP@2025-Q1", "thu/T1/CP@2025-Q1"),
        ("Thành phố Hạ Long", "thu/T1/HL@2025-Q1", "thu/T1/HL@2025-Q1")]
    html = message.get_body(("html",)).get_content()
    assert all(f'<a href="{link}">{ref}</a>' in html for _, ref, link in links)
