"""What the office does to running plans, through a Temporal client: load, status, operate,
trigger, history. The CLI is a thin layer over these functions; tests call them directly."""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
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

from activities.audit import AuditLog, utc
from activities.ledger import Ledger
from dondoc.files import Loaded
from dondoc.temporal import register_search_attributes
from plans.model import Plan
from plans.schedule import Occurrence, expand
from workflows.messages import (
    ActorReason,
    Amendment,
    OccurrenceEvent,
    OccurrenceInput,
    Party,
    PlanContext,
    PlanRecord,
    Status,
)
from workflows.occurrence import (
    DUE_AT,
    ESCALATION_LEVEL,
    OCCURRENCE_STATE,
    PLAN_ID,
    TASK_ID,
    UNIT_ID,
    OccurrenceWorkflow,
    initial_search_attributes,
)
from workflows.plan import PlanWorkflow, plan_workflow_id

LoadOutcome = Literal["started", "unchanged", "amended", "cancelled", "exists"]
# "exists": an occurrence of the previous version that has closed, or a start that found its
# workflow already there (a load interrupted after starting it).


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


async def plan_record(client: Client, plan_id: str) -> PlanRecord | None:
    """What the last `load` of the plan applied, or None if it was never loaded."""
    handle = client.get_workflow_handle(plan_workflow_id(plan_id))
    try:
        async for event in handle.fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            (record,) = pydantic_data_converter.payload_converter.from_payloads(
                payloads, [PlanRecord])
            return record  # type: ignore[no-any-return]
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
    return None


async def save_plan_record(client: Client, record: PlanRecord, task_queue: str) -> None:
    await client.start_workflow(
        PlanWorkflow.run, record, id=plan_workflow_id(record.plan_id), task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
        static_summary=f"plan {record.plan_id}, version {record.version}")


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
    finishes when it is run again, and loading the same file twice starts nothing. The plan's
    record (PlanWorkflow) says what the previous version had.
    """
    items = inputs(loaded)
    plan_id = loaded.plan.plan.id
    version = items[0].plan_version if items else plan_version(loaded.text)
    summary = LoadSummary(plan=plan_id, version=version)
    await register_search_attributes(client, client.namespace)
    previous = await plan_record(client, plan_id) or PlanRecord(plan_id=plan_id)
    wanted = {i.occurrence.ref for i in items}
    gate = asyncio.Semaphore(concurrency)

    def done(ref: str, outcome: LoadOutcome) -> None:
        summary.outcomes[ref] = outcome
        if on_progress:
            on_progress(ref, outcome)

    async def one(item: OccurrenceInput) -> None:
        ref = item.occurrence.ref
        async with gate:
            if previous.occurrences.get(ref) == item.spec_hash:
                outcome: LoadOutcome = "unchanged"
            elif ref in previous.occurrences:
                outcome = "amended" if dry_run else await _amend(client, item)
            else:
                outcome = "started" if dry_run else await _start(client, item, task_queue)
        if outcome == "started" and item.occurrence.due and item.occurrence.due < now:
            summary.past_due.append(ref)
        done(ref, outcome)

    async def remove(ref: str) -> None:
        async with gate:
            if not dry_run:
                await _cancel(client, ref, ActorReason(
                    by=loaded.plan.roles.office,
                    reason=f"removed from plan {plan_id} (version {version})"))
        done(ref, "cancelled")

    await asyncio.gather(*(one(i) for i in items),
                         *(remove(ref) for ref in sorted(set(previous.occurrences) - wanted)))
    if not dry_run:
        await save_plan_record(client, PlanRecord(
            plan_id=plan_id, version=version,
            occurrences={i.occurrence.ref: i.spec_hash for i in items},
            waits_for={i.occurrence.ref: i.occurrence.waits_for for i in items
                       if i.occurrence.waits_for},
            context=plan_context(loaded.plan),
            file_sha256=hashlib.sha256(loaded.text.encode()).hexdigest(),
            previous_version=previous.version), task_queue)
    return summary


async def _amend(client: Client, item: OccurrenceInput) -> LoadOutcome:
    try:
        await client.get_workflow_handle(item.occurrence.ref).execute_update(
            OccurrenceWorkflow.amend,
            Amendment(occurrence=item.occurrence, plan=item.plan, calendar=item.calendar,
                      spec_hash=item.spec_hash, plan_version=item.plan_version))
    except WorkflowUpdateFailedError as error:
        if _failure_kind(error) != "AlreadyDone":
            raise
    except RPCError as error:  # closed: completed and past its review period, or cancelled
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        return "exists"
    return "amended"


async def _cancel(client: Client, ref: str, reason: ActorReason) -> None:
    try:
        await client.get_workflow_handle(ref).execute_update(OccurrenceWorkflow.cancel, reason)
    except WorkflowUpdateFailedError as error:
        if _failure_kind(error) != "AlreadyDone":
            raise
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise


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
    return sorted(rows, key=lambda r: (r.plan, r.due is None, r.due or datetime.min, r.ref))


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
    """The plan's occurrences that wait for `event`, from the plan's record."""
    record = await plan_record(client, plan_id)
    if record is None:
        raise UnknownRef(plan_id, difflib.get_close_matches(
            plan_id, await loaded_plans(client), n=3, cutoff=0.4))
    return sorted(ref for ref, waits in record.waits_for.items() if waits == event)


async def loaded_plans(client: Client) -> list[str]:
    query = "WorkflowType = 'PlanWorkflow'"
    return sorted({e.id.removeprefix("plan:") async for e in client.list_workflows(query)})


def audited_events(audit: AuditLog, ref: str) -> list[OccurrenceEvent]:
    return [OccurrenceEvent(key=row.key, ref=row.ref, plan=row.plan, type=row.type,  # type: ignore[arg-type]
                            at=utc(row.at), actor=row.actor, details=json.loads(row.details))
            for row in audit.events(ref=ref)]


async def history(client: Client | None, ref: str, ledger: Ledger | None = None,
                  audit: AuditLog | None = None) -> list[dict[str, Any]]:
    """The occurrence's timeline, oldest first: from the audit log when there is one (it
    outlives Temporal's retention), else from the workflow's history. With the delivery
    ledger, each notice row lists its attempts (outcome, provider code, when)."""
    events = audited_events(audit, ref) if audit is not None else []
    if not events:
        if client is None:
            raise UnknownRef(ref, [])
        events = await temporal_events(client, ref)
    rows = [row for e in sorted({e.key: e for e in events}.values(), key=lambda e: (e.at, e.key))
            for row in timeline_rows(e)]
    return with_attempts(rows, ref, ledger)


async def temporal_events(client: Client, ref: str) -> list[OccurrenceEvent]:
    await handle_for(client, ref)
    events: list[OccurrenceEvent] = []
    runs = [e.run_id async for e in client.list_workflows(f"WorkflowId = '{ref}'")]
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
    return events


def with_attempts(rows: list[dict[str, Any]], ref: str, ledger: Ledger | None
                  ) -> list[dict[str, Any]]:
    if ledger is not None:
        by_key: dict[str, list[dict[str, Any]]] = {}
        for delivery in ledger.deliveries(ref):
            by_key.setdefault(delivery.notice_key, []).extend(
                {"at": a.at.isoformat(), "channel": delivery.channel, "outcome": a.outcome,
                 "provider_code": a.provider_code, "detail": a.detail}
                for a in delivery.attempts)
        for row in rows:
            found = by_key.get(row.pop("key", None) or "")
            if found:
                row["attempts"] = sorted(found, key=lambda a: a["at"])
    else:
        for row in rows:
            row.pop("key", None)
    return rows


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
            "channel": recipient["channel"], "outcome": recipient["outcome"],
            "provider_code": recipient.get("provider_code"), "key": recipient.get("key")}
