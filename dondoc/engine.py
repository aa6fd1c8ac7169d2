"""What the office does to running plans, through a Temporal client: load, status, operate,
trigger, history. The CLI is a thin layer over these functions; tests call them directly."""

from __future__ import annotations

import asyncio
import difflib
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from dondoc.files import Loaded
from dondoc.temporal import register_search_attributes
from plans.model import Plan
from plans.schedule import Occurrence, expand
from workflows.messages import (
    Amendment,
    OccurrenceEvent,
    OccurrenceInput,
    Party,
    PlanContext,
    Status,
)
from workflows.occurrence import (
    DUE_AT,
    ESCALATION_LEVEL,
    OCCURRENCE_STATE,
    PLAN_ID,
    SPEC_HASH,
    TASK_ID,
    UNIT_ID,
    OccurrenceWorkflow,
    initial_search_attributes,
)

LoadOutcome = Literal["started", "unchanged", "amended", "cancelled", "exists"]


class UnknownRef(Exception):
    def __init__(self, ref: str, suggestions: list[str]) -> None:
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no occurrence {ref!r}{hint}")
        self.suggestions = suggestions


class Refused(Exception):
    """An operation refused by the workflow's validator; `kind` says why (AlreadyDone ...)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- building workflow inputs -------------------------------------------------------------------


def plan_version(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_context(plan: Plan) -> PlanContext:
    parties = {u.id: Party(id=u.id, name=u.name) for u in plan.units}
    parties |= {p.id: Party(id=p.id, name=p.display) for p in plan.people}
    return PlanContext(plan_id=plan.plan.id, number=plan.plan.number, title=plan.plan.title,
                       office=plan.roles.office, steering_committee=plan.roles.steering_committee,
                       parties=parties)


def spec_hash(occurrence: Occurrence) -> str:
    return hashlib.sha256(occurrence.model_dump_json().encode()).hexdigest()[:16]


def inputs(loaded: Loaded) -> list[OccurrenceInput]:
    context, version = plan_context(loaded.plan), plan_version(loaded.text)
    return [
        OccurrenceInput(occurrence=occ, plan=context, calendar=loaded.calendar,
                        spec_hash=spec_hash(occ), plan_version=version)
        for occ in expand(loaded.plan)
    ]


# -- load -----------------------------------------------------------------------------------------


@dataclass
class LoadSummary:
    plan: str
    version: str
    outcomes: dict[str, LoadOutcome] = field(default_factory=dict)
    past_due: list[str] = field(default_factory=list)

    def count(self, outcome: LoadOutcome) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan, "version": self.version,
            **{o: self.count(o) for o in ("started", "unchanged", "amended", "cancelled", "exists")},
            "past_due": len(self.past_due),
            "occurrences": self.outcomes,
        }


async def running_specs(client: Client, plan_id: str) -> dict[str, str]:
    """ref -> spec hash of the plan's running occurrence workflows."""
    query = f"PlanId = '{plan_id}' AND ExecutionStatus = 'Running'"
    out = {}
    async for execution in client.list_workflows(query):
        out[execution.id] = execution.typed_search_attributes.get(SPEC_HASH) or ""
    return out


async def load(
    client: Client,
    loaded: Loaded,
    *,
    task_queue: str,
    now: datetime,
    dry_run: bool = False,
    on_progress: Callable[[str, LoadOutcome], None] | None = None,
    concurrency: int = 16,
) -> LoadSummary:
    """Start what is new, amend what changed, cancel what the new version removed.

    Every step is idempotent (the workflow id is the reference), so a load interrupted halfway
    finishes when it is run again, and loading the same file twice starts nothing.
    """
    items = inputs(loaded)
    version = items[0].plan_version if items else plan_version(loaded.text)
    summary = LoadSummary(plan=loaded.plan.plan.id, version=version)
    await register_search_attributes(client, client.namespace)
    running = await running_specs(client, loaded.plan.plan.id)
    wanted = {i.occurrence.ref for i in items}
    gate = asyncio.Semaphore(concurrency)

    async def one(item: OccurrenceInput) -> None:
        ref = item.occurrence.ref
        async with gate:
            if ref in running:
                outcome: LoadOutcome = "unchanged" if running[ref] == item.spec_hash else "amended"
                if outcome == "amended" and not dry_run:
                    await client.get_workflow_handle(ref).execute_update(
                        OccurrenceWorkflow.amend,
                        Amendment(occurrence=item.occurrence, plan=item.plan,
                                  calendar=item.calendar, spec_hash=item.spec_hash,
                                  plan_version=item.plan_version),
                        id=f"amend-{item.plan_version}")
            else:
                outcome = "started" if dry_run else await _start(client, item, task_queue)
        if outcome == "started" and item.occurrence.due and item.occurrence.due < now:
            summary.past_due.append(ref)
        summary.outcomes[ref] = outcome
        if on_progress:
            on_progress(ref, outcome)

    async def remove(ref: str) -> None:
        async with gate:
            if not dry_run:
                from workflows.messages import ActorReason

                try:
                    await client.get_workflow_handle(ref).execute_update(
                        OccurrenceWorkflow.cancel,
                        ActorReason(by=loaded.plan.roles.office,
                                    reason=f"removed from plan {loaded.plan.plan.id} "
                                           f"(version {version})"),
                        id=f"remove-{version}")
                except WorkflowUpdateFailedError as error:
                    if _failure_kind(error) != "AlreadyDone":
                        raise
        summary.outcomes[ref] = "cancelled"
        if on_progress:
            on_progress(ref, "cancelled")

    await asyncio.gather(*(one(i) for i in items),
                         *(remove(ref) for ref in sorted(set(running) - wanted)))
    return summary


async def _start(client: Client, item: OccurrenceInput, task_queue: str) -> LoadOutcome:
    occ = item.occurrence
    try:
        await client.start_workflow(
            OccurrenceWorkflow.run,
            item,
            id=occ.ref,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes(initial_search_attributes(item)),
            static_summary=f"{occ.title[:180]}",
        )
    except WorkflowAlreadyStartedError:
        return "exists"
    return "started"


# -- finding and reading occurrences --------------------------------------------------------------


async def all_refs(client: Client, plan_id: str | None = None) -> list[str]:
    query = f"PlanId = '{plan_id}'" if plan_id else "WorkflowType = 'OccurrenceWorkflow'"
    return sorted({e.id async for e in client.list_workflows(query, limit=20000)})


async def handle_for(client: Client, ref: str) -> WorkflowHandle[Any, Any]:
    handle = client.get_workflow_handle(ref)
    try:
        await handle.describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        plan_id = ref.split("/", 1)[0]
        refs = await all_refs(client, plan_id) or await all_refs(client)
        raise UnknownRef(ref, difflib.get_close_matches(ref, refs, n=3, cutoff=0.4)) from None
    return handle


class StatusRow(BaseModel):
    ref: str
    plan: str
    task: str
    unit: str | None
    due: datetime | None
    state: str
    escalation_level: int
    running: bool


async def status(client: Client, *, plan: str | None = None, unit: str | None = None,
                 state: str | None = None) -> list[StatusRow]:
    clauses = ["WorkflowType = 'OccurrenceWorkflow'"]
    if plan:
        clauses.append(f"PlanId = '{plan}'")
    if unit:
        clauses.append(f"UnitId = '{unit}'")
    if state:
        clauses.append(f"OccurrenceState = '{state}'")
    rows = []
    async for e in client.list_workflows(" AND ".join(clauses), limit=20000):
        attrs = e.typed_search_attributes
        rows.append(StatusRow(
            ref=e.id, plan=attrs.get(PLAN_ID) or "", task=attrs.get(TASK_ID) or "",
            unit=attrs.get(UNIT_ID), due=attrs.get(DUE_AT), state=attrs.get(OCCURRENCE_STATE) or "",
            escalation_level=attrs.get(ESCALATION_LEVEL) or 0,
            running=e.status == WorkflowExecutionStatus.RUNNING))
    return sorted(rows, key=lambda r: (r.plan, r.due or datetime.max.replace(tzinfo=None).astimezone(),
                                       r.ref))


async def operate(client: Client, ref: str, update: Any, argument: BaseModel) -> Status:
    """Send an Update; a validator's refusal becomes `Refused` with its kind."""
    handle = await handle_for(client, ref)
    try:
        result = await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as error:
        raise Refused(_failure_message(error), _failure_kind(error)) from None
    except RPCError as error:
        if "completed" in str(error).lower() or error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"{ref} is closed; nothing can change it now", "Closed") from None
        raise
    assert isinstance(result, Status)
    return result


def _failure_kind(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.type or "Rejected" if isinstance(cause, ApplicationError) else "Rejected"


def _failure_message(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or error)


async def waiting_for(client: Client, plan_id: str, event: str) -> list[str]:
    query = (f"PlanId = '{plan_id}' AND WaitsFor = '{event}' AND "
             f"OccurrenceState = 'waiting_trigger' AND ExecutionStatus = 'Running'")
    return sorted({e.id async for e in client.list_workflows(query)})


async def history(client: Client, ref: str) -> list[dict[str, Any]]:
    """The occurrence's timeline: every recorded event of every run, oldest first."""
    await handle_for(client, ref)
    runs = [e.run_id async for e in client.list_workflows(f"WorkflowId = '{ref}'")]
    events: list[OccurrenceEvent] = []
    for run_id in runs or [None]:
        handle = client.get_workflow_handle(ref, run_id=run_id)
        async for event in handle.fetch_history_events():
            if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                continue
            attributes = event.activity_task_scheduled_event_attributes
            if attributes.activity_type.name != "record_event":
                continue
            (decoded,) = pydantic_data_converter.payload_converter.from_payloads(
                attributes.input.payloads, [OccurrenceEvent])
            events.append(decoded)
    unique = {e.key: e for e in events}
    return [row for e in sorted(unique.values(), key=lambda e: (e.at, e.key))
            for row in timeline_rows(e)]


def timeline_rows(event: OccurrenceEvent) -> Iterable[dict[str, Any]]:
    """One row per recipient for a sent notice, else one row per event."""
    base = {"at": event.at.isoformat(), "type": event.type, "actor": event.actor}
    details = dict(event.details)
    recipients = details.pop("recipients", None)
    if not recipients:
        yield base | details
        return
    for recipient in recipients:
        yield base | details | {
            "recipient_role": recipient["role"], "recipient": recipient["id"],
            "channel": recipient["channel"], "outcome": recipient["outcome"]}
