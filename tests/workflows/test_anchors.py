"""The audit anchors in Temporal: the daily workflow records each plan's head in the anchors
workflow, whose history `audit verify` reads back, across continue-as-new; compaction keeps
what a check needs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

import workflows.anchors
from activities.anchors import Anchoring
from dondoc.db import upgrade
from storage.anchors import anchor_heads, temporal_anchors
from storage.audit import AuditLog
from storage.ledger import Ledger
from tests.activities.test_audit import LIFE, event
from workflows.anchors import (
    ANCHORS_WORKFLOW_ID,
    Anchor,
    AnchorHeadsWorkflow,
    AuditAnchorsWorkflow,
    compact,
)

NOW = datetime(2025, 6, 30, 16, 50, tzinfo=UTC)


async def test_each_run_anchors_every_plan_and_the_anchors_survive_continue_as_new(
        env, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    audit = AuditLog(Ledger.connect(url).engine, b"k")
    monkeypatch.setattr(workflows.anchors, "SIGNALS_PER_RUN", 2)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    heads = []
    # Unsandboxed so that the lowered SIGNALS_PER_RUN reaches the workflow; no time skipped,
    # or the waiting anchors workflow would be skipped to its run timeout.
    with env.auto_time_skipping_disabled():
        async with Worker(env.client, task_queue=queue, workflow_runner=UnsandboxedWorkflowRunner(),
                          workflows=[AuditAnchorsWorkflow, AnchorHeadsWorkflow],
                          activities=[Anchoring(env.client, audit, queue).anchor_heads]):
            for day, (type, actor, details) in enumerate(LIFE[:3], start=1):
                audit.append(event("p/T1", day, type, actor, details))
                audit.append(event("q/T1", day, type, actor, details))
                assert await env.client.execute_workflow(
                    AnchorHeadsWorkflow.run, id=f"anchor-{day}", task_queue=queue) == 2
                heads.append({(a.plan, a.rows, a.head) for a in audit.heads(NOW)})
    kept = {(a.plan, a.rows, a.head) for a in await temporal_anchors(env.client)}
    assert kept == heads[0] | heads[1] | heads[2]  # all three days...
    first = env.client.get_workflow_handle(ANCHORS_WORKFLOW_ID, run_id=(
        await env.client.get_workflow_handle(ANCHORS_WORKFLOW_ID).describe()
    ).raw_description.workflow_execution_info.first_run_id)
    assert (await first.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW  # ...across
    assert audit.verify(anchors=await temporal_anchors(env.client)).findings == []


async def test_a_run_that_ended_is_carried_into_the_next(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    audit = AuditLog(Ledger.connect(url).engine, b"k")
    audit.append(event("p/T1", 1, *LIFE[0]))
    first = await anchor_heads(env.client, audit, "nobody-polls")
    await env.client.get_workflow_handle(ANCHORS_WORKFLOW_ID).terminate("an insider")
    audit.append(event("p/T1", 2, *LIFE[1]))
    second = await anchor_heads(env.client, audit, "nobody-polls")
    assert [(a.rows, a.head) for a in await temporal_anchors(env.client)] == [
        (a.rows, a.head) for a in first + second]


def test_compaction_keeps_recent_days_and_one_a_month_before():
    def anchor(at: datetime, rows: int) -> Anchor:
        return Anchor(plan="p", rows=rows, head=f"{rows:064x}", at=at)

    days = [anchor(NOW - timedelta(days=n), 200 - n) for n in range(200)]
    kept = compact(days)
    recent = [a for a in kept if NOW - a.at < timedelta(days=62)]
    assert len(recent) == 62 and kept[-1] == days[0]
    older = [a for a in kept if NOW - a.at >= timedelta(days=62)]
    assert len({f"{a.at:%Y-%m}" for a in older}) == len(older)  # one per month
    assert all(a.rows == max(d.rows for d in days if f"{d.at:%Y-%m}" == f"{a.at:%Y-%m}"
                             and NOW - d.at >= timedelta(days=62)) for a in older)
