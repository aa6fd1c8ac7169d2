"""What people's pages show of occurrences: the open work of the units a person answers for,
and one occurrence with the names of its plan's parties. Every read passes the authorization
table (plans/access.py), as the CLI's do."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from dondoc.services.identity import require
from dondoc.services.read import LISTED, StatusRow, handle_for, status, target_of
from plans.access import EVERY_PLAN, Decision, Operation, Principal, Target, decide
from plans.model import Kpi
from plans.schedule import Occurrence, listing
from storage.audit import AuditLog, utc
from storage.standing import Standings
from workflows.messages import (
    DONE,
    Completion,
    Extension,
    OccurrenceEvent,
    OccurrenceInput,
    Party,
    PlanContext,
    State,
)
from workflows.occurrence import OccurrenceWorkflow
from workflows.plan import plan_record

QUERY_TIMEOUT = timedelta(seconds=10)
CLOSED: frozenset[str] = DONE | {"cancelled"}


class Work(BaseModel):
    """An occurrence as a page shows it: names, never ids."""

    ref: str
    plan_id: str
    plan_number: str | None
    plan_title: str
    title: str
    period: str | None
    kind: str
    deadline_text: str
    start: date | None
    lead: list[Party]
    coordinating: list[Party]
    leader: Party | None
    names: dict[str, str]  # every party of the plan: id -> name
    state: State
    due: datetime | None
    original_due: datetime | None = None
    completion: Completion | None = None
    extensions: list[Extension] = []
    kpis: list[Kpi] = []
    target: Target

    model_config = {"arbitrary_types_allowed": True}

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED

    @property
    def pending_extension(self) -> Extension | None:
        return next((e for e in self.extensions if e.decision == "pending"), None)

    def may(self, principal: Principal, operation: Operation) -> Decision:
        return decide(principal, operation, self.target)


async def started_with(client: Client, ref: str) -> OccurrenceInput:
    """The occurrence's input: the first event of its latest run."""
    handle = await handle_for(client, ref)
    async for event in handle.fetch_history_events():
        payloads = event.workflow_execution_started_event_attributes.input.payloads
        (started,) = pydantic_data_converter.payload_converter.from_payloads(
            payloads, [OccurrenceInput])
        return started  # type: ignore[no-any-return]
    raise LookupError(ref)


def target_from(started: OccurrenceInput, requester: str | None = None) -> Target:
    occ, plan = started.occurrence, started.plan
    return Target(plan=plan.plan_id, lead=tuple(occ.lead), coordinating=tuple(occ.coordinating),
                  leader=occ.leader, steering_committee=plan.steering_committee,
                  office=plan.office, requester=requester, ref=occ.ref)


def work_of(started: OccurrenceInput, state: State, due: datetime | None,
            requester: str | None = None) -> Work:
    occ, plan = started.occurrence, started.plan

    def party(pid: str) -> Party:
        return plan.parties.get(pid) or Party(id=pid, name=pid)

    return Work(ref=occ.ref, plan_id=plan.plan_id, plan_number=plan.number,
                plan_title=plan.title, title=occ.title, period=occ.period, kind=occ.kind,
                deadline_text=occ.deadline_text, start=occ.start,
                lead=[party(u) for u in occ.lead], coordinating=[party(u) for u in occ.coordinating],
                leader=party(occ.leader) if occ.leader else None,
                names={pid: p.name for pid, p in plan.parties.items()}, state=state, due=due,
                kpis=list(occ.kpis), target=target_from(started, requester))


def listing_memo(occ: Occurrence) -> dict[str, Any]:
    """What lists show of an occurrence beside its plan's names, kept with it when it starts
    (Temporal returns memos with the list): a page of N occurrences reads no N histories."""
    return {LISTED: listing(occ)}


def listed_work(row: StatusRow, plan: PlanContext) -> Work | None:
    """The row as a page lists it, from its memo and its plan's record; None for an
    occurrence started before occurrences carried the memo."""
    facts = row.memo.get(LISTED)
    if not isinstance(facts, dict):
        return None

    def party(pid: str) -> Party:
        return plan.parties.get(pid) or Party(id=pid, name=pid)

    lead, coordinating, leader = facts["lead"], facts["coordinating"], facts["leader"]
    return Work(ref=row.ref, plan_id=plan.plan_id, plan_number=plan.number,
                plan_title=plan.title, title=facts["title"], period=facts["period"],
                kind=facts["kind"], deadline_text=facts["deadline_text"],
                start=date.fromisoformat(facts["start"]) if facts["start"] else None,
                lead=[party(u) for u in lead], coordinating=[party(u) for u in coordinating],
                leader=party(leader) if leader else None,
                names={pid: p.name for pid, p in plan.parties.items()},
                state=row.state, due=row.due,
                target=Target(plan=plan.plan_id, lead=tuple(lead),
                              coordinating=tuple(coordinating), leader=leader,
                              steering_committee=plan.steering_committee, office=plan.office,
                              ref=row.ref))


async def works(client: Client, rows: list[StatusRow]) -> list[Work]:
    """The rows (read with their memo) as pages list them: one read of each plan's record,
    and a history read only for occurrences started without the memo."""
    records = {plan: await plan_record(client, plan) for plan in {r.plan for r in rows}}
    found: dict[str, Work] = {}
    for row in rows:
        record = records[row.plan]
        item = listed_work(row, record.context) if record and record.context else None
        if item is not None:
            found[row.ref] = item
    older = [r for r in rows if r.ref not in found]
    started = await asyncio.gather(*(started_with(client, r.ref) for r in older))
    for begun, row in zip(started, older, strict=True):
        found[row.ref] = work_of(begun, row.state, row.due)  # type: ignore[arg-type]
    return [found[r.ref] for r in rows]


def by_deadline(items: list[Work]) -> list[Work]:
    return sorted(items, key=lambda w: (w.due is None, w.due.timestamp() if w.due else 0, w.ref))


async def occurrence(client: Client, ref: str, principal: Principal) -> Work:
    """One occurrence, if the principal may read it (NotAllowed otherwise)."""
    started = await started_with(client, ref)
    require(principal, "read", target_from(started))
    now = await client.get_workflow_handle(ref).query(OccurrenceWorkflow.status,
                                                       rpc_timeout=QUERY_TIMEOUT)
    pending = next((e for e in now.extensions if e.decision == "pending"), None)
    work = work_of(started, now.state, now.due,
                   pending.requested_by_account if pending else None)
    return work.model_copy(update={"original_due": now.original_due,
                                   "completion": now.completion, "extensions": now.extensions})


async def open_work(client: Client, principal: Principal, standings: Standings | None = None,
                    audit: AuditLog | None = None) -> list[Work]:
    """The open occurrences the principal may read (with the audit log: those its units
    coordinate too), the nearest deadline first."""
    rows = [r for r in await status(client, principal, memo=True, standings=standings,
                                    audit=audit)
            if r.running and r.state not in CLOSED]
    return by_deadline(await works(client, rows))


def awaiting_decision(audit: AuditLog, principal: Principal) -> list[str]:
    """The occurrences whose extension request waits for a decision the principal may take
    (responsible leader, Steering Committee), from the audit log: oldest request first."""
    plans = {g.plan for g in principal.grants if g.role in ("leader", "steering_committee")}
    if not plans:
        return []
    rows = audit.events() if EVERY_PLAN in plans else \
        sorted((r for plan in plans for r in audit.events(plan=plan)), key=lambda r: r.id)
    events: dict[str, list[OccurrenceEvent]] = defaultdict(list)
    for row in rows:
        events[row.ref].append(OccurrenceEvent(
            key=row.key, ref=row.ref, plan=row.plan, type=row.type,
            at=utc(row.at), actor=row.actor, details=json.loads(row.details)))
    waiting: list[tuple[datetime, str]] = []
    for ref, history in events.items():
        asked = [e for e in history if e.type == "extension.requested"]
        decided = [e for e in history if e.type in ("extension.approved", "extension.denied")]
        if len(asked) <= len(decided):
            continue
        request = asked[-1]
        target = replace(target_of(ref, history), requester=request.details.get("operator"))
        if decide(principal, "approve_extension", target).allowed:
            waiting.append((request.at, ref))
    return [ref for _, ref in sorted(waiting)]


def answers_for(principal: Principal, plan: str, leader: str | None) -> bool:
    """The principal is the task's responsible leader, or on the plan's Steering Committee."""
    return bool(principal.holds("steering_committee", plan)) or (
        leader is not None and bool(principal.holds("leader", plan, leader)))


async def overdue_by_unit(client: Client, principal: Principal,
                          standings: Standings | None = None) -> list[tuple[str, list[Work]]]:
    """The overdue occurrences of the tasks the principal answers for, by lead unit (units in
    alphabetical order, each unit's most overdue first)."""
    rows = [r for r in await status(client, principal, state="overdue", memo=True,
                                    standings=standings)
            if r.running and answers_for(principal, r.plan, r.leader)]
    groups: dict[str, list[Work]] = defaultdict(list)
    for item in await works(client, rows):
        groups[", ".join(p.name for p in item.lead)].append(item)
    return [(unit, by_deadline(items)) for unit, items in sorted(groups.items())]


async def search(client: Client, principal: Principal, text: str, *, limit: int = 50,
                 standings: Standings | None = None, audit: AuditLog | None = None
                 ) -> list[Work]:
    """Occurrences the principal may read whose reference holds `text` (any state, closed
    ones included), nearest deadline first."""
    wanted = text.strip().lower()
    rows = [r for r in await status(client, principal, memo=True, standings=standings,
                                    audit=audit)
            if wanted in r.ref.lower()][:limit]
    return by_deadline(await works(client, rows))
