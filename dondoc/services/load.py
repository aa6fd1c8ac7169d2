"""Load a plan: one workflow per occurrence; a new version applies the exact difference."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from dondoc.files import Loaded
from dondoc.services.identity import require
from dondoc.services.operate import failure_kind
from dondoc.services.read import full_record
from dondoc.services.work import listing_memo
from dondoc.settings import Settings
from dondoc.temporal import register_search_attributes
from plans.access import Principal, Target
from plans.difference import changes, difference
from plans.model import Plan
from plans.schedule import Occurrence, expand
from storage.plans import LoadedOccurrences
from storage.standing import Standings
from workflows.messages import (
    ActorReason,
    Amendment,
    OccurrenceInput,
    Party,
    PlanContext,
    PlanRecord,
)
from workflows.occurrence import OccurrenceWorkflow, initial_search_attributes, initial_standing
from workflows.plan import PlanWorkflow, plan_workflow_id

LoadOutcome = Literal["started", "unchanged", "amended", "cancelled", "exists"]
# "exists": an occurrence of the previous version that has closed, or a start that found its
# workflow already there (a load interrupted after starting it).


# -- building workflow inputs -------------------------------------------------------------------


def plan_version(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def plan_context(plan: Plan) -> PlanContext:
    parties = {u.id: Party(id=u.id, name=u.name) for u in plan.units}
    parties |= {p.id: Party(id=p.id, name=p.display) for p in plan.people}
    return PlanContext(plan_id=plan.plan.id, number=plan.plan.number, title=plan.plan.title,
                       office=plan.roles.office, steering_committee=plan.roles.steering_committee,
                       parties=parties, issued=plan.plan.issued,
                       quiet_hours=plan.policy.quiet_hours,
                       utc_offset=datetime(plan.plan.year, 1, 1, tzinfo=plan.plan.tz).utcoffset()
                       or timedelta(0))


def spec_hash(occurrence: Occurrence) -> str:
    return hashlib.sha256(occurrence.model_dump_json().encode()).hexdigest()[:16]


def inputs(loaded: Loaded) -> list[OccurrenceInput]:
    """One start input per occurrence. Of the plan's parties it carries those its workflow
    names (a task fanned out to 1,000 units made every input list all 1,000); the calendar
    stays whole: any day an operation may ask how many working days are left."""
    context, version = plan_context(loaded.plan), plan_version(loaded.text)
    calendar = loaded.calendar.dates_only()
    return [
        OccurrenceInput(occurrence=occ, plan=naming(context, occ), calendar=calendar,
                        spec_hash=spec_hash(occ), plan_version=version)
        for occ in expand(loaded.plan)
    ]


def naming(context: PlanContext, occ: Occurrence) -> PlanContext:
    """The context with the parties an occurrence's workflow may address or check: its units,
    its leader, the Steering Committee and the office."""
    named = [*occ.lead, *occ.coordinating, *([occ.leader] if occ.leader else []),
             context.steering_committee, context.office]
    return context.model_copy(update={"parties": {
        i: context.parties[i] for i in dict.fromkeys(named) if i in context.parties}})



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



class LoadInterrupted(Exception):
    """A Temporal request failed midway (the server stopped, overloaded past its deadline).
    What was done stays done and the rest was not tried; the plan's record is not saved, so
    loading the same file again finishes the job and leaves alone what already runs."""

    def __init__(self, summary: LoadSummary, total: int, error: RPCError) -> None:
        self.summary, self.total = summary, total
        reason = error.message or (error.status.name if error.status else "no answer")
        super().__init__(
            f"load of {summary.plan} stopped: a request to Temporal failed ({reason}); "
            f"{summary.count('started')} started, {summary.count('amended')} amended, "
            f"{summary.count('cancelled')} cancelled, "
            f"{summary.count('unchanged') + summary.count('exists')} already running, "
            f"{total - len(summary.outcomes)} not done; run the same command again to finish "
            "(it leaves alone what is already done)")


@dataclass(frozen=True)
class Change:
    occurrence: Occurrence  # as the new version specifies it
    fields: dict[str, dict[str, Any]]  # what changes (plans.difference.changes); {} when the
    # loaded occurrence could not be asked (closed and gone from Temporal)


@dataclass(frozen=True)
class Preview:
    """What loading this version would do, before anything is done."""

    plan: str
    title: str
    version: str
    file_sha256: str
    loaded_version: str | None  # None: the plan was never loaded
    already_loaded: bool  # this very file is the loaded version
    added: list[Occurrence]
    changed: list[Change]
    cancelled: list[Occurrence | str]  # the loaded occurrence, or its ref when it is gone
    unchanged: int


async def preview(client: Client, loaded: Loaded, *, principal: Principal,
                  kept: LoadedOccurrences | None = None, concurrency: int = 16) -> Preview:
    """The exact difference against the loaded version: what `load` would start, amend (field
    by field, as the amendment will record it) and cancel."""
    plan_id = loaded.plan.plan.id
    require(principal, "load", Target(plan=plan_id, office=loaded.plan.roles.office))
    items = inputs(loaded)
    previous = await full_record(client, plan_id, kept) or PlanRecord(plan_id=plan_id)
    diff = difference(previous.occurrences, {i.occurrence.ref: i.spec_hash for i in items})
    new = {i.occurrence.ref: i.occurrence for i in items}
    gate = asyncio.Semaphore(concurrency)

    async def specification(ref: str) -> Occurrence | None:
        async with gate:
            try:
                return await client.get_workflow_handle(ref).query(
                    OccurrenceWorkflow.specification)
            except (RPCError, WorkflowQueryFailedError):
                return None

    before = dict(zip(diff.changed + diff.cancelled, await asyncio.gather(
        *(specification(ref) for ref in diff.changed + diff.cancelled)), strict=True))
    file_sha256 = hashlib.sha256(loaded.text.encode()).hexdigest()

    def change(ref: str) -> Change:
        old = before[ref]
        return Change(new[ref], changes(old, new[ref]) if old else {})

    return Preview(
        plan=plan_id, title=loaded.plan.plan.title, version=plan_version(loaded.text),
        file_sha256=file_sha256, loaded_version=previous.version,
        already_loaded=previous.file_sha256 == file_sha256,
        added=[new[ref] for ref in diff.added], changed=[change(ref) for ref in diff.changed],
        cancelled=[before[ref] or ref for ref in diff.cancelled], unchanged=len(diff.unchanged))


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
    principal: Principal,
    dry_run: bool = False,
    on_progress: Callable[[str, LoadOutcome], None] | None = None,
    concurrency: int = 16,
    kept: LoadedOccurrences | None = None,
) -> LoadSummary:
    """Start what is new, amend what changed, cancel what the new version removed.

    Every step is idempotent (the workflow id is the reference), so a load interrupted halfway
    finishes when it is run again, and loading the same file twice starts nothing. The plan's
    record (PlanWorkflow) says what the previous version had; with `kept` (dondoc's database)
    its occurrences are kept there and the record names them by hash.
    """
    plan_id = loaded.plan.plan.id
    require(principal, "load", Target(plan=plan_id, office=loaded.plan.roles.office))
    items = inputs(loaded)
    version = items[0].plan_version if items else plan_version(loaded.text)
    summary = LoadSummary(plan=plan_id, version=version)
    try:
        await register_search_attributes(client, client.namespace)
        previous = await full_record(client, plan_id, kept) or PlanRecord(plan_id=plan_id)
    except RPCError as error:
        raise LoadInterrupted(summary, len(items), error) from None
    diff = difference(previous.occurrences, {i.occurrence.ref: i.spec_hash for i in items})
    changed, added = set(diff.changed), set(diff.added)
    gate = asyncio.Semaphore(concurrency)
    failed: list[RPCError] = []  # the first failure stops the load: the rest is not tried

    def done(ref: str, outcome: LoadOutcome) -> None:
        summary.outcomes[ref] = outcome
        if on_progress:
            on_progress(ref, outcome)

    async def one(item: OccurrenceInput) -> None:
        ref = item.occurrence.ref
        async with gate:
            if failed:
                return
            try:
                if ref in changed:
                    outcome: LoadOutcome = "amended" if dry_run else await _amend(
                        client, item, principal)
                elif ref in added:
                    outcome = "started" if dry_run else await _start(client, item, task_queue)
                else:
                    outcome = "unchanged"
            except RPCError as error:
                failed.append(error)
                return
        if outcome == "started" and item.occurrence.due and item.occurrence.due < now:
            summary.past_due.append(ref)
        done(ref, outcome)

    async def remove(ref: str) -> None:
        async with gate:
            if failed:
                return
            try:
                if not dry_run:
                    await _cancel(client, ref, ActorReason(
                        by=loaded.plan.roles.office, principal=principal,
                        reason=f"removed from plan {plan_id} (version {version})"))
            except RPCError as error:
                failed.append(error)
                return
        done(ref, "cancelled")

    await asyncio.gather(*(one(i) for i in items),
                         *(remove(ref) for ref in diff.cancelled))
    if not dry_run and kept is not None:
        # Listed by `status` at once, before a worker has run them, even when the load stops
        # midway; "exists": started by an earlier, interrupted load (a row a worker wrote since
        # stays).
        Standings(kept.engine).loaded(
            (i.occurrence.ref, summary.plan, initial_standing(i)) for i in items
            if summary.outcomes.get(i.occurrence.ref) in ("started", "exists"))
    try:
        if failed:
            raise failed[0]
        if not dry_run:
            await _save(client, loaded, items, summary, previous, kept, task_queue,
                        principal)
    except RPCError as error:
        raise LoadInterrupted(summary, len(items) + len(diff.cancelled), error) from None
    return summary


async def _save(client: Client, loaded: Loaded, items: list[OccurrenceInput],
                summary: LoadSummary, previous: PlanRecord, kept: LoadedOccurrences | None,
                task_queue: str, principal: Principal) -> None:
    """The plan's record: what this version holds, for the next version's difference, and
    the office account that loaded it."""
    plan_id = summary.plan
    occurrences = {i.occurrence.ref: i.spec_hash for i in items}
    waits_for = {i.occurrence.ref: i.occurrence.waits_for for i in items
                 if i.occurrence.waits_for}
    maps: dict[str, Any] = {"occurrences": occurrences, "waits_for": waits_for}
    if kept is not None:
        maps = {"occurrences_sha256": kept.keep(plan_id, occurrences, waits_for),
                "occurrence_count": len(occurrences)}
    await save_plan_record(client, PlanRecord(
        plan_id=plan_id, version=summary.version, **maps, context=plan_context(loaded.plan),
        file_sha256=hashlib.sha256(loaded.text.encode()).hexdigest(),
        previous_version=previous.version, loaded_by=principal.account), task_queue)


async def _amend(client: Client, item: OccurrenceInput, principal: Principal) -> LoadOutcome:
    try:
        await client.get_workflow_handle(item.occurrence.ref).execute_update(
            OccurrenceWorkflow.amend,
            Amendment(occurrence=item.occurrence, plan=item.plan, calendar=item.calendar,
                      spec_hash=item.spec_hash, plan_version=item.plan_version,
                      principal=principal))
    except WorkflowUpdateFailedError as error:
        if failure_kind(error) != "AlreadyDone":
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
        if failure_kind(error) != "AlreadyDone":
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
            memo=listing_memo(occ),
            static_summary=f"{occ.title[:180]}",
        )
    except WorkflowAlreadyStartedError:
        return "exists"
    return "started"




def install_contacts(source: Path, plan_id: str, config: Settings) -> Path:
    """Put a validated contacts file where workers read it: <contacts dir>/<plan id>.yaml."""
    folder = config.contacts_dir or config.state_dir / "contacts"
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{plan_id}.yaml.tmp"
    temporary.write_text(source.read_text("utf-8"), "utf-8")
    temporary.replace(folder / f"{plan_id}.yaml")  # atomic: a worker never reads half a file
    return folder
