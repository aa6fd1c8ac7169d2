"""The time-skipping test server, with dondoc's search attributes and fake activities that
record what the workflow asked for, under the real activity names."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from dondoc.files import Loaded
from dondoc.services.load import inputs
from dondoc.temporal import register_search_attributes
from plans.access import Grant, Principal
from plans.calendar import WorkingCalendar
from plans.validation import check_plan
from tests.conftest import binary
from workflows.messages import Delivery, Notice, OccurrenceEvent, OccurrenceInput
from workflows.occurrence import OccurrenceWorkflow, initial_search_attributes
from workflows.plan import PlanWorkflow


@pytest_asyncio.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of its own for each test (it starts in ~0.1 s): time is global to
    a server, and work a test leaves behind would hold time back for the next one."""
    environment = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
        # The SDK's 5 s default is too short on two busy cores (seen once under load 18).
        test_server_startup_timeout=timedelta(seconds=60),
    )
    await register_search_attributes(environment.client, environment.client.namespace)
    yield environment
    await environment.shutdown()


@dataclass
class Recorder:
    """What the workflow sent and recorded, with the (skipped) server time of each."""

    notices: list[tuple[datetime, Notice]] = field(default_factory=list)
    events: list[OccurrenceEvent] = field(default_factory=list)
    # The workflow that asked, beside each notice and event (tests that run two at once).
    notice_senders: list[str] = field(default_factory=list)
    event_senders: list[str] = field(default_factory=list)

    @activity.defn(name="send_notice")
    async def send_notice(self, notice: Notice) -> Delivery:
        at = activity.info().current_attempt_scheduled_time
        self.notices.append((at, notice))
        self.notice_senders.append(activity.info().workflow_id)
        return Delivery(key=notice.key, outcome="sent", channel="test", recipient=notice.to.party.id,
                        at=at)

    @activity.defn(name="record_event")
    async def record_event(self, event: OccurrenceEvent) -> None:
        self.events.append(event)
        self.event_senders.append(activity.info().workflow_id)

    def sent(self) -> list[tuple[str, str, str]]:
        """(step, recipient role, recipient id) in sending order."""
        return [(n.step, n.to.role, n.to.party.id) for _, n in self.notices]

    def types(self) -> list[str]:
        return [e.type for e in self.events]


@dataclass
class Harness:
    env: WorkflowEnvironment
    recorder: Recorder
    task_queue: str
    started: list[WorkflowHandle] = field(default_factory=list)

    @property
    def client(self) -> Client:
        return self.env.client

    async def start(self, item: OccurrenceInput) -> WorkflowHandle:
        handle = await self.client.start_workflow(
            OccurrenceWorkflow.run, item, id=f"{item.occurrence.ref}#{uuid.uuid4().hex[:6]}",
            task_queue=self.task_queue,
            search_attributes=TypedSearchAttributes(initial_search_attributes(item)))
        self.started.append(handle)
        return handle


HISTORIES = Path(__file__).parent / "histories"


async def save_histories(harness: Harness, test_name: str, label: str) -> None:
    """Keep the histories this test produced, for the replay test: DONDOC_SAVE_HISTORIES=<label>
    writes `<label>/<test>-<n>.json`; keep the sets of earlier versions, they guard old paths."""
    folder = HISTORIES / label
    folder.mkdir(parents=True, exist_ok=True)
    for i, handle in enumerate(harness.started):
        history = await handle.fetch_history()
        (folder / f"{test_name}-{i}.json").write_text(history.to_json(), "utf-8")


@pytest_asyncio.fixture
async def harness(env: WorkflowEnvironment, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    recorder = Recorder()
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    async with Worker(env.client, task_queue=task_queue,
                      workflows=[OccurrenceWorkflow, PlanWorkflow],
                      activities=[recorder.send_notice, recorder.record_event]):
        harness = Harness(env, recorder, task_queue)
        yield harness
        if os.environ.get("DONDOC_SAVE_HISTORIES"):
            await save_histories(harness, request.node.name, os.environ["DONDOC_SAVE_HISTORIES"])


async def pin_clock(harness: Harness, at: datetime) -> None:
    """Move the time-skipping server's clock to a fixed instant, so a test sees the same
    weekdays, holidays and hours whatever day it runs (the server starts at the real now)."""
    now = await harness.env.get_current_time()
    assert now <= at, f"the pinned instant {at} is in the past: pick a later one"
    await harness.env.sleep(at - now)


def who(party: str, plan: str = "thu") -> Principal:
    """The account of a party of the test plan, with the role the plan gives it: the head of a
    unit (VP's head is also the office), a leader, the Steering Committee; else no role."""
    grants: list[Grant] = []
    if party in ("VP", "HL", "CP"):
        grants.append(Grant(role="unit_head", plan=plan, party=party))
    if party == "VP":
        grants.append(Grant(role="office", plan=plan, party="VP"))
    if party in ("gd", "pgd"):
        grants.append(Grant(role="leader", plan=plan, party=party))
    if party == "bcd":
        grants.append(Grant(role="steering_committee", plan=plan, party="bcd"))
    return Principal(account=party.lower(), name=party, grants=tuple(grants))


def occurrences(text: str) -> list[OccurrenceInput]:
    checked = check_plan(text, "test.yaml")
    assert checked.ok, [str(p) for p in checked.problems]
    plan = checked.value
    loaded = Loaded(plan, WorkingCalendar.vietnam(range(plan.plan.year, plan.plan.year + 3)), None,
                    [], text)
    return inputs(loaded)
