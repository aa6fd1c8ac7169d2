"""Read occurrences: find them, where they stand, their timeline (the audit log first: it
outlives Temporal's retention)."""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from dondoc.services.identity import require
from plans.access import Principal, Target, decide
from plans.vietnamese import held_until
from storage.audit import AuditLog, utc
from workflows.messages import OccurrenceEvent

if TYPE_CHECKING:
    # Temporal's client is imported where it is used: a timeline the audit log holds is read
    # without it, and the CLI starts faster (tests/test_cli_startup.py).
    from temporalio.api.workflow.v1 import WorkflowExecutionInfo
    from temporalio.client import Client, WorkflowHandle

    from storage.ledger import Ledger
    from storage.plans import LoadedOccurrences
    from storage.standing import Standings
    from workflows.messages import PlanRecord


class UnknownRef(Exception):
    def __init__(self, ref: str, suggestions: list[str]) -> None:
        hint = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"no occurrence {ref!r}{hint}")
        self.suggestions = suggestions



async def all_refs(client: Client, plan_id: str | None = None) -> list[str]:
    from workflows.search_attributes import PLAN_ID, equals

    query = equals(PLAN_ID, plan_id) if plan_id else "WorkflowType = 'OccurrenceWorkflow'"
    return sorted({e.id async for e in client.list_workflows(query, limit=20000)})


async def handle_for(client: Client, ref: str) -> WorkflowHandle[Any, Any]:
    from temporalio.service import RPCError, RPCStatusCode

    from workflows.search_attributes import is_id

    handle = client.get_workflow_handle(ref)
    try:
        await handle.describe()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        plan_id = ref.split("/", 1)[0]
        refs = (await all_refs(client, plan_id) if is_id(plan_id) else []) or await all_refs(client)
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
    leader: str | None = None
    memo: dict[str, Any] = {}  # with status(..., memo=True): what load kept with it at start
    held_until: datetime | None = None


LISTED = "listed"  # the memo an occurrence starts with: what a list shows of it


async def status(client: Client, principal: Principal, *, plan: str | None = None,
                 unit: str | None = None, state: str | None = None,
                 memo: bool = False, standings: Standings | None = None,
                 audit: AuditLog | None = None) -> list[StatusRow]:
    """The occurrences the principal may read (plans/access.py), with the filters given: from
    dondoc's database with `standings` when it holds rows for the question, else from
    Temporal's visibility listing. Both name the lead unit; with `audit`, the occurrences the
    principal's units coordinate are listed too (see `Readable`)."""
    from workflows.search_attributes import OCCURRENCE_STATE, PLAN_ID, equals, led_by

    clauses = ["WorkflowType = 'OccurrenceWorkflow'"]  # built first: each value is checked
    if plan:
        clauses.append(equals(PLAN_ID, plan))
    if unit:
        clauses.append(led_by(unit))
    if state:
        clauses.append(equals(OCCURRENCE_STATE, state))
    if standings is not None:
        kept = await standing(standings, principal, plan=plan, unit=unit, state=state, memo=memo,
                              audit=audit)
        if kept is not None:
            return kept
    return by_plan_and_due(await visible(client, principal, " AND ".join(clauses), memo,
                                         audit=audit))


async def standing(standings: Standings, principal: Principal, *, plan: str | None = None,
                   unit: str | None = None, state: str | None = None, memo: bool = False,
                   audit: AuditLog | None = None) -> list[StatusRow] | None:
    """`status` from dondoc's database: the row each occurrence's last event left there. None
    when it has no row for the question (occurrences started before it kept them, before
    `dondoc db backfill-status`, or another database): Temporal's listing answers then."""
    from workflows.ids import require_id  # not Temporal's client: this read does without it

    for name, value in (("PlanId", plan), ("UnitIds", unit), ("OccurrenceState", state)):
        if value:  # the same refusal as the visibility query's
            require_id(name, value)
    rows = [r for r in await asyncio.to_thread(standings.read, plan=plan or None,
                                               state=state or None, listed=memo)
            if not unit or unit in r.units]
    if not rows:
        return None
    readable = Readable(principal, audit)
    # Built without validation: the values are the typed columns of dondoc's own table.
    return by_plan_and_due([
        StatusRow.model_construct(
            ref=r.ref, plan=r.plan, task=r.task, unit=",".join(r.units) or None, due=r.due,
            state=r.state, escalation_level=r.escalation_level, running=r.running,
            leader=r.leader, held_until=r.held_until,
            memo={LISTED: r.listed} if memo and r.listed else {})
        for r in rows if await readable(Target(
            plan=r.plan, lead=tuple(r.units), leader=r.leader, ref=r.ref))])


@dataclass(frozen=True)
class Listed:
    """What Temporal's listing says of an occurrence: its search attributes and run status."""

    ref: str
    plan: str
    task: str
    units: list[str]
    leader: str | None
    state: str | None
    due: datetime | None
    escalation_level: int
    held_until: datetime | None
    running: bool

    @classmethod
    def of(cls, info: WorkflowExecutionInfo, attrs: dict[str, Any]) -> Listed:
        from temporalio.api.enums.v1 import WorkflowExecutionStatus

        from workflows.search_attributes import (
            DUE_AT,
            ESCALATION_LEVEL,
            HELD_UNTIL,
            LEADER_ID,
            OCCURRENCE_STATE,
            PLAN_ID,
            TASK_ID,
            UNIT_ID,
            UNIT_IDS,
        )

        return cls(
            ref=info.execution.workflow_id, plan=attrs.get(PLAN_ID.name) or "",
            task=attrs.get(TASK_ID.name) or "",
            units=attrs.get(UNIT_IDS.name) or (attrs.get(UNIT_ID.name) or "").split(","),
            leader=attrs.get(LEADER_ID.name) or None, state=attrs.get(OCCURRENCE_STATE.name),
            due=instant(attrs.get(DUE_AT.name)),
            escalation_level=attrs.get(ESCALATION_LEVEL.name) or 0,
            held_until=instant(attrs.get(HELD_UNTIL.name)),
            running=info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING)


async def visible(client: Client, principal: Principal, query: str, memo: bool, *,
                  audit: AuditLog | None = None) -> list[StatusRow]:
    """The rows of Temporal's visibility listing the principal may read."""
    readable = Readable(principal, audit)
    rows = []
    async for info, attrs in listed(client, query):
        found = Listed.of(info, attrs)
        target = Target(plan=found.plan, lead=tuple(found.units), leader=found.leader,
                        ref=found.ref)
        if not await readable(target):
            continue
        rows.append(StatusRow(
            ref=found.ref, plan=found.plan, task=found.task, unit=",".join(found.units) or None,
            due=found.due, state=found.state or "", escalation_level=found.escalation_level,
            running=found.running, leader=found.leader,
            memo=await memo_of(client, info) if memo else {}, held_until=found.held_until))
    return rows


async def backfill(client: Client, standings: Standings) -> tuple[int, int]:
    """A row for each occurrence Temporal lists that dondoc's database has none for (those
    started before the database kept them), from its search attributes and memo: how many
    were listed, how many added. Rows already there are newer and stay."""
    from workflows.messages import Standing

    found = []
    async for info, attrs in listed(client, "WorkflowType = 'OccurrenceWorkflow'"):
        facts = (await memo_of(client, info)).get(LISTED)
        one = Listed.of(info, attrs)
        found.append((one.ref, one.plan, Standing(
            task=one.task, units=one.units, leader=one.leader, state=one.state or "scheduled",
            due=one.due, escalation_level=one.escalation_level, held_until=one.held_until,
            running=one.running, listed=facts if isinstance(facts, dict) else {})))
    return len(found), await asyncio.to_thread(standings.loaded, found)


def by_plan_and_due(rows: list[StatusRow]) -> list[StatusRow]:
    return sorted(rows, key=lambda r: (r.plan, r.due is None, r.due or datetime.min, r.ref))


def instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


async def listed(client: Client, query: str
                 ) -> AsyncIterator[tuple[WorkflowExecutionInfo, dict[str, Any]]]:
    """Each workflow the query finds, with its search attributes' values. The next page is
    asked for as soon as a page arrives, so the server pages while we read (visibility paging
    was most of `status`'s time), and only the values are decoded (the SDK's listing decodes
    each attribute twice, typed and untyped, with its converter)."""
    from temporalio.api.workflowservice.v1 import (
        ListWorkflowExecutionsRequest,
        ListWorkflowExecutionsResponse,
    )

    def ask(token: bytes) -> asyncio.Future[ListWorkflowExecutionsResponse]:
        return asyncio.ensure_future(client.workflow_service.list_workflow_executions(
            ListWorkflowExecutionsRequest(namespace=client.namespace, query=query,
                                          page_size=1000, next_page_token=token)))

    pending: asyncio.Future[ListWorkflowExecutionsResponse] | None = ask(b"")
    while pending is not None:
        page = await pending
        pending = ask(page.next_page_token) if page.next_page_token else None
        for info in page.executions:
            yield info, {name: json.loads(payload.data)
                         for name, payload in info.search_attributes.indexed_fields.items()}


async def memo_of(client: Client, info: WorkflowExecutionInfo) -> dict[str, Any]:
    """The memo kept at start, decoded by the client's converter."""
    names = list(info.memo.fields)
    values = await client.data_converter.decode([info.memo.fields[n] for n in names])
    return dict(zip(names, values, strict=True))


class Readable:
    """Whether the principal may read an occurrence. The lead unit is in every row that lists
    one; the coordinating units are in its `started` row of the audit log, read (a plan at a
    time) only when the lead unit alone does not let the principal in."""

    def __init__(self, principal: Principal, audit: AuditLog | None) -> None:
        self.principal, self.audit = principal, audit
        self.coordinating: dict[str, dict[str, tuple[str, ...]]] = {}  # plan -> ref -> units

    async def __call__(self, target: Target) -> bool:
        if decide(self.principal, "read", target).allowed:
            return True
        if self.audit is None:
            return False
        if target.plan not in self.coordinating:
            self.coordinating[target.plan] = await asyncio.to_thread(
                coordinating_units, self.audit, target.plan)
        coordinators = self.coordinating[target.plan].get(target.ref or "", ())
        return bool(coordinators) and decide(self.principal, "read", replace(
            target, coordinating=coordinators)).allowed


def coordinating_units(audit: AuditLog, plan_id: str) -> dict[str, tuple[str, ...]]:
    """Each occurrence's coordinating units, from its `started` row (the latest wins)."""
    return {row.ref: tuple(json.loads(row.details).get("coordinating") or ())
            for row in audit.stream(plan=plan_id, type="started")}


async def waiting_for(client: Client, plan_id: str, event: str,
                      kept: LoadedOccurrences | None = None) -> list[str]:
    """The plan's occurrences that wait for `event`, from the plan's record."""
    from workflows.plan import loaded_plans

    record = await full_record(client, plan_id, kept)
    if record is None:
        raise UnknownRef(plan_id, difflib.get_close_matches(
            plan_id, await loaded_plans(client), n=3, cutoff=0.4))
    return sorted(ref for ref, waits in record.waits_for.items() if waits == event)


async def full_record(client: Client, plan_id: str, kept: LoadedOccurrences | None
                      ) -> PlanRecord | None:
    """The plan's record with its occurrences, read from dondoc's database when the record
    names them by hash."""
    from workflows.plan import plan_record

    record = await plan_record(client, plan_id)
    if record is None or record.occurrences_sha256 is None:
        return record
    if kept is None:
        raise RecordElsewhere(f"the record of plan {plan_id} is in dondoc's database: "
                              "set DONDOC_DATABASE_URL (or --state-dir) to the database it was "
                              "loaded with")
    try:
        occurrences, waits_for = kept.read(record.occurrences_sha256)
    except LookupError:
        raise RecordElsewhere(f"the record of plan {plan_id} ({record.occurrences_sha256[:12]}…) "
                              "is not in this dondoc database: use the database it was loaded "
                              "with") from None
    return record.model_copy(update={"occurrences": occurrences, "waits_for": waits_for})


class RecordElsewhere(Exception):
    """The plan's record names occurrences this dondoc database does not hold."""


def target_of(ref: str, events: list[OccurrenceEvent]) -> Target:
    """What the authorization table needs of an occurrence, from its `started` event."""
    started = next((e.details for e in events if e.type == "started"), {})
    return Target(plan=ref.split("/", 1)[0], lead=tuple(started.get("lead") or ()),
                  coordinating=tuple(started.get("coordinating") or ()),
                  leader=started.get("leader"), ref=ref)


def audited_events(audit: AuditLog, ref: str) -> list[OccurrenceEvent]:
    return [OccurrenceEvent(key=row.key, ref=row.ref, plan=row.plan, type=row.type,
                            at=utc(row.at), actor=row.actor, details=json.loads(row.details))
            for row in audit.events(ref=ref)]


async def history(client: Client | None, ref: str, principal: Principal,
                  ledger: Ledger | None = None, audit: AuditLog | None = None
                  ) -> list[dict[str, Any]]:
    """The occurrence's timeline, oldest first: from the audit log when there is one (it
    outlives Temporal's retention), else from the workflow's history. With the delivery
    ledger, each notice row lists its attempts (outcome, provider code, when)."""
    # The database is read in a thread: a slow query holds up no other request of a server.
    events = await asyncio.to_thread(audited_events, audit, ref) if audit is not None else []
    if not events:
        if client is None:
            raise UnknownRef(ref, [])
        events = await temporal_events(client, ref)
    require(principal, "read", target_of(ref, events))
    rows = [row for e in sorted({e.key: e for e in events}.values(), key=lambda e: (e.at, e.key))
            for row in timeline_rows(e)]
    return await asyncio.to_thread(with_attempts, rows, ref, ledger)


async def temporal_events(client: Client, ref: str) -> list[OccurrenceEvent]:
    from temporalio.api.enums.v1 import EventType
    from temporalio.contrib.pydantic import pydantic_data_converter

    from workflows.search_attributes import workflow_id_is

    await handle_for(client, ref)
    events: list[OccurrenceEvent] = []
    runs: list[str | None] = [e.run_id async for e in client.list_workflows(workflow_id_is(ref))]
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
    if event.type == "notice.held":
        details["note"] = held_until(datetime.fromisoformat(details["until"]))
    recipients = details.pop("recipients", None)
    if not recipients:
        yield base | details
        return
    for recipient in recipients:
        yield base | details | {
            "recipient_role": recipient["role"], "recipient": recipient["id"],
            "channel": recipient["channel"], "outcome": recipient["outcome"],
            "provider_code": recipient.get("provider_code"), "key": recipient.get("key")}
