"""Delivery on the time-skipping server, with the real notifier: a Zalo failure falls back to
e-mail inside the workflow's own retries, and the history says which channel carried it."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio.common import TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notify import ContactsBook, Notifier
from activities.smtp import EmailChannel
from activities.zalo import TokenStore, ZaloChannel, ZaloConfig
from dondoc.db import upgrade
from storage.ledger import Ledger
from tests.activities.servers import FakeZalo, smtp_server, zalo_server
from tests.plans.factory import plan_text
from tests.workflows.conftest import Recorder, occurrences
from tests.workflows.test_occurrence import ANY_HOUR, CAL, HCM
from workflows.occurrence import OccurrenceWorkflow, initial_search_attributes

CONTACTS = """\
plan: thu
contacts:
  - {of: HL, email: giamdoc@ttyt-halong.example.invalid, zalo_user_id: "2468458835296197922",
     prefer: [zalo, email]}
"""


async def test_a_zalo_failure_falls_back_to_email_and_history_says_so(env: WorkflowEnvironment,
                                                                      tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    (tmp_path / "contacts").mkdir()
    (tmp_path / "contacts" / "thu.yaml").write_text(CONTACTS, "utf-8")
    zalo = FakeZalo(errors={"2468458835296197922": -230})  # no interaction for 7 days
    with smtp_server() as (mailbox, port), zalo_server(zalo) as base:
        config = ZaloConfig(oa_base_url=base, zns_base_url=base, oauth_base_url=base,
                            app_id="a", secret_key="s", refresh_token="refresh-0", templates={})
        ledger = Ledger.connect(url, b"test-route-key")
        notifier = Notifier(ledger=ledger, contacts=ContactsBook(tmp_path / "contacts"),
                            outbox=tmp_path / "outbox", channels={
                                "zalo": ZaloChannel(TokenStore(ledger.engine, config), config),
                                "email": EmailChannel(f"mailto://127.0.0.1:{port}?mode=insecure"
                                                      "&from=nhacviec@syt.example.invalid")})
        events = Recorder()
        queue = f"delivery-{uuid.uuid4().hex[:6]}"
        today = (await env.get_current_time()).astimezone(HCM).date()
        due = CAL.add_working_days(today, 2)
        (item,) = occurrences(plan_text(year=today.year, issued=f"{today:%d/%m/%Y}",
                                        policy=ANY_HOUR, tasks=f"""
  - id: T1
    title: Báo cáo nhanh
    source: Mục IV
    lead: [HL]
    deadline: trước ngày {due:%d/%m/%Y}
"""))
        async with Worker(env.client, task_queue=queue, workflows=[OccurrenceWorkflow],
                          activities=[notifier.send_notice, events.record_event],
                          activity_executor=ThreadPoolExecutor(4)):
            await env.client.start_workflow(
                OccurrenceWorkflow.run, item, id=item.occurrence.ref, task_queue=queue,
                search_attributes=TypedSearchAttributes(initial_search_attributes(item)))
            await env.sleep(item.occurrence.due - (await env.get_current_time())
                            - timedelta(minutes=1))
    sent = [e for e in events.events if e.type == "reminder.sent"]
    assert sent and all(r["channel"] == "email" and r["outcome"] == "sent"
                        for e in sent for r in e.details["recipients"])
    assert len(mailbox.messages) == len(sent)  # one e-mail per reminder, none twice
    assert len(zalo.sent("/v3.0/oa/message/cs")) == len(sent)  # Zalo tried once each
    zalo_rows = [d for d in ledger.deliveries() if d.channel == "zalo"]
    assert {(d.status, d.provider_code) for d in zalo_rows} == {("failed", "-230")}
