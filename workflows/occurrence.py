"""One occurrence of a plan task (task × unit × period), chased until it is done.

Why one workflow per period, started when the plan is loaded, rather than a parent that starts
each period's child in time and continues-as-new: each period is its own obligation, with its
own deadline, extensions, evidence and audit trail, and the set of periods is known when the plan
is loaded (a 2025-2030 plan with quarterly reports from 13 units is ~300 workflows). A sleeping
workflow costs nothing; a deterministic id per period makes loading idempotent, lets `status`,
`complete` and `history` address a period directly, and lets a plan amendment be a diff of two
known sets. A parent would add a second workflow type and put amendment logic in workflow code.

The loop: compute the upcoming steps (reminders, the overdue mark, escalations, check-ins) from
the current deadline with the pure schedule, wait for the next one or for a change (an Update
moves the deadline, pauses, completes), fire it, repeat. Missed steps after downtime or a late
start become at most one catch-up notice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from plans import difference, schedule, steps
    from plans.access import Operation, Target, decide
    from plans.evidence import BadEvidence, check_evidence
    from plans.schedule import END_OF_DAY, Occurrence
    from plans.steps import NoticeKind, Planned, Role
    from workflows.activity_options import (
        ACTIVITY_RETRY,
        NOTICE_HEARTBEAT,
        NOTICE_START_TO_CLOSE,
        RECORD_EVENT,
        RECORD_START_TO_CLOSE,
        SEND_NOTICE,
    )
    from workflows.messages import (
        DONE,
        ActorReason,
        Amendment,
        Checkin,
        Complete,
        Completion,
        Delivery,
        EventType,
        Extension,
        ExtensionRequest,
        Notice,
        OccurrenceEvent,
        OccurrenceInput,
        PlanContext,
        Progress,
        Recipient,
        Request,
        Standing,
        State,
        Status,
        Trigger,
    )
    from workflows.search_attributes import (
        DUE_AT,
        ESCALATION_LEVEL,
        HELD_UNTIL,
        LEADER_ID,
        OCCURRENCE_STATE,
        PLAN_ID,
        SPEC_HASH,
        TASK_ID,
        UNIT_ID,
        UNIT_IDS,
        WAITS_FOR,
    )

# Patches (workflow.patched): histories written before them replay the old way.
NOTICES_IN_LOOP = "notices-in-loop"  # operations queue their notices for the loop
QUIET_HOURS = "quiet-hours"  # no notice inside the policy's quiet hours
PRINCIPALS = "principals"  # operations record the authenticated account that did them
SMALL_NOTICES = "small-notices"  # a notice names only the parties its message names
COORDINATING_TOLD = "coordinating-told"  # coordinating units get the policy's steps too
SIGNED_AMENDMENTS = "signed-amendments"  # an amendment records the office account that loaded it
WHOLE_LADDER = "whole-ladder"  # after an outage, every rung due is in the one catch-up
HELD_SHOWN = "held-shown"  # notices held by quiet hours say until when (status, history)
EXTENSION_TOLD = "extension-told"  # an extension notice says which date, why, and the decision

REVIEW_PERIOD = timedelta(days=30)  # a completed occurrence stays open this long for `reopen`

class Rejected(ApplicationError):
    """An Update refused by its validator; `type` tells the CLI which message to print."""

    def __init__(self, message: str, kind: str = "Rejected") -> None:
        super().__init__(message, type=kind, non_retryable=True)


@workflow.defn(name="OccurrenceWorkflow")
class OccurrenceWorkflow:
    @workflow.init
    def __init__(self, input: OccurrenceInput) -> None:
        self.input = input
        occ = input.occurrence
        self.p = input.resume or Progress(state=initial_state(occ), due=occ.due,
                                          original_due=occ.due)
        self.changed = False
        self.lock = asyncio.Lock()
        self.tell_coordinating = False
        self.whole_ladder = False

    # -- the loop ------------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: OccurrenceInput) -> Status:
        # Decided once per run: a run that began before the change keeps its schedule.
        self.tell_coordinating = workflow.patched(COORDINATING_TOLD)
        self.whole_ladder = workflow.patched(WHOLE_LADDER)
        if self.p.started_at is None:
            self.p.started_at = workflow.now()
            await self.record("started", details={
                "due": _iso(self.p.due), "plan_version": input.plan_version,
                "lead": self.occ.lead, "coordinating": self.occ.coordinating,
                "leader": self.occ.leader,
                "kpis": [k.model_dump(mode="json", exclude_none=True) for k in self.occ.kpis]})
        while not self.finished() or self.p.outgoing:
            if self.history_is_long():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self.input.model_copy(update={"resume": self.p}))
            await self.step()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.record("closed", details={"state": self.p.state})
        return self.status()

    def history_is_long(self) -> bool:
        info, limit = workflow.info(), self.input.max_history_length
        return info.is_continue_as_new_suggested() or (
            limit is not None and info.get_current_history_length() > limit)

    def finished(self) -> bool:
        now = workflow.now()
        if self.p.state == "cancelled":
            return True
        if self.p.state in DONE:
            return self.p.review_until is not None and now >= self.p.review_until
        if self.occ.kind == "ongoing" and self.p.state == "ongoing":
            return not self.upcoming() and self.last_checkin_passed(now)
        return False

    async def step(self) -> None:
        self.changed = False
        if self.p.outgoing:
            await self.flush()
            return
        if self.p.state == "waiting_trigger" or self.p.state == "paused":
            await workflow.wait_condition(lambda: self.changed)
            return
        if self.p.state in DONE:
            # complete() sets review_until with the state; a missing one closes at once.
            await self.wait_until(self.p.review_until or workflow.now(), "review-period-ends")
            return
        now = workflow.now()
        ahead = self.upcoming()
        missed = [s for s in ahead if s.at <= now]
        if missed:
            await self.fire(missed, now)
        elif ahead:
            await self.wait_until(ahead[0].at, ahead[0].name)
        else:
            await workflow.wait_condition(lambda: self.changed)

    async def wait_until(self, at: datetime, name: str) -> None:
        delay = at - workflow.now()
        if delay <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.changed, timeout=delay, timeout_summary=name)

    def upcoming(self) -> list[Planned]:
        """Steps not yet done, earliest first, for the current deadline."""
        if self.p.state in ("waiting_trigger", "paused", "cancelled") or self.p.state in DONE:
            return []
        return steps.upcoming(self.occ, self.input.calendar, due=self.p.due,
                              escalation_level=self.p.escalation_level,
                              done=self.p.done_steps, tell_coordinating=self.tell_coordinating,
                              through=workflow.now() if self.whole_ladder else None)

    def step_key(self, step: Planned) -> str:
        return steps.step_key(step, self.p.due)

    async def fire(self, missed: list[Planned], now: datetime) -> None:
        """Do the state changes; send the notices: one normally, or at most one catch-up."""
        for step in missed:
            self.p.done_steps.append(self.step_key(step))
            if step.action == "mark_overdue":
                await self.set_state("overdue")
                await self.record("overdue", details={"due": _iso(self.p.due)})
            elif (step.action == "checkin_due"
                  and step.name.removeprefix("checkin-due-") not in self.p.checkins
                  and self.p.started_at is not None and step.at > self.p.started_at):
                # A period that closed before the occurrence started was never asked for.
                label = step.name.removeprefix("checkin-due-")
                self.p.missed_checkins.append(label)
                await self.record("checkin.missed", details={"period": label})
                await self.notify(Planned(name=f"checkin-missed-{label}", at=step.at,
                                          action="notify", kind="checkin_missed", role="lead"))
            if step.kind == "escalation":
                self.p.escalation_level = max(self.p.escalation_level, step.level)
        notices = [s for s in missed if s.action == "notify"]
        if not notices:
            return
        if workflow.patched(QUIET_HOURS):
            allowed = schedule.next_allowed(now.astimezone(self.tz), self.occ.policy)
            if allowed > now:
                # Night: the notices wait for the morning (their steps stay due until then).
                for step in notices:
                    self.p.done_steps.remove(self.step_key(step))
                await self.hold(notices, allowed)
                await self.wait_until(allowed, "quiet-hours-end")
                return
            await self.release()
        firing = steps.firing(notices, now=now, occ=self.occ, tz=self.tz)
        for skipped in firing.skipped:
            await self.record("reminder.skipped", details={
                "step": skipped.name, "at": _iso(skipped.at), "reason": "catch-up"})
        for skipped in firing.dropped:
            await self.record("reminder.skipped", details={
                "step": skipped.name, "at": _iso(skipped.at), "reason": "catch_up: none"})
        current = firing.send
        if any(s.kind in ("reminder", "due_today") for s in current) and self.p.state == "scheduled":
            await self.set_state("due_soon")
        if any(s.kind == "escalation" for s in current):
            await self.upsert(ESCALATION_LEVEL.value_set(self.p.escalation_level))
        for step in current:
            await self.notify(step, catch_up=firing.catch_up)

    async def notify(self, step: Planned, *, catch_up: bool = False) -> None:
        if step.role is None or step.kind is None:  # only notify steps reach here
            return
        recipients = self.recipients(step.role)
        if not recipients:
            return
        working_days = None
        if self.p.due is not None:
            working_days = self.input.calendar.working_days_between(self.today(),
                                                                    self.p.due.date())
        plan = self.plan
        if workflow.patched(SMALL_NOTICES):
            # The plan's every party made a notice grow with the plan (60 KB at 1,000 units).
            plan = plan.naming([*self.occ.lead, *self.occ.coordinating, plan.office])
        deliveries = await asyncio.gather(*(
            workflow.execute_activity(
                SEND_NOTICE,
                Notice(
                    key=f"{self.occ.ref}/{step.name}@{_iso(self.p.due)}/{r.role}/{r.party.id}",
                    kind=step.kind, ref=self.occ.ref, plan=plan, occurrence=self.occ,
                    to=r, due=self.p.due, original_due=self.p.original_due, step=step.name,
                    planned_at=step.at, working_days=working_days, catch_up=catch_up,
                    escalation_level=step.level, details=self.notice_details(step),
                ),
                result_type=Delivery,
                start_to_close_timeout=NOTICE_START_TO_CLOSE,
                heartbeat_timeout=NOTICE_HEARTBEAT,
                retry_policy=ACTIVITY_RETRY,
                summary=f"{step.name} -> {r.role} {r.party.id}",
            )
            for r in recipients
        ))
        event: EventType = {
            "escalation": "escalated", "checkin": "checkin.requested", "reminder": "reminder.sent",
            "due_today": "reminder.sent", "overdue": "reminder.sent",
        }.get(step.kind, "notice.sent")  # type: ignore[assignment]
        await self.record(event, details={
            "step": step.name, "notice": step.kind, "catch_up": catch_up, "level": step.level,
            "recipients": [
                {"role": r.role, "id": r.party.id, "channel": d.channel, "outcome": d.outcome,
                 "address": d.recipient, "provider_code": d.provider_code, "key": d.key}
                for r, d in zip(recipients, deliveries, strict=True)
            ],
        })

    async def conclude(self, operation: Operation, request: Request, event: EventType,
                       details: dict[str, object], *,
                       tell: Sequence[tuple[str, NoticeKind, Role]] = (), wake: bool = True
                       ) -> Status:
        """How every operation ends, inside its lock: the audit row, for whom it was done and
        by which account; the notices it causes (`tell`: name, kind, role), each named after
        that row; the loop woken to plan again."""
        actor, operator = self.attribution(operation, request)
        await self.record(event, actor=actor, details=details | operator)
        for name, kind, role in tell:
            await self.announce(Planned(name=f"{name}-{self.p.seq}", at=workflow.now(),
                                        action="notify", kind=kind, role=role))
        if wake:
            self.changed = True
        return self.status()

    async def announce(self, step: Planned) -> None:
        """A notice an operation causes: queued for the loop, so the Update returns at once and
        the notice waits for the morning when the operation happens at night."""
        if workflow.patched(NOTICES_IN_LOOP):
            self.p.outgoing.append(step)
            self.changed = True
        else:
            await self.notify(step)

    async def flush(self) -> None:
        now = workflow.now()
        allowed = schedule.next_allowed(now.astimezone(self.tz), self.occ.policy)
        if allowed > now:
            await self.hold(self.p.outgoing, allowed)
            await self.wait_until(allowed, "quiet-hours-end")
            return
        await self.release()
        while self.p.outgoing:
            await self.notify(self.p.outgoing.pop(0))

    async def hold(self, notices: list[Planned], until: datetime) -> None:
        """Notices wait for the end of quiet hours: `status` and `history` say until when."""
        if self.p.held_until == until or not workflow.patched(HELD_SHOWN):
            return
        self.p.held_until = until
        await self.upsert(HELD_UNTIL.value_set(until))
        await self.record("notice.held", details={"until": _iso(until),
                                                  "steps": [s.name for s in notices]})

    async def release(self) -> None:
        if self.p.held_until is not None:
            self.p.held_until = None
            await self.upsert(HELD_UNTIL.value_unset())

    def recipients(self, role: Role) -> list[Recipient]:
        occ, plan = self.occ, self.plan
        ids = {
            "lead": occ.lead,
            "coordinating": occ.coordinating,
            "leader": [occ.leader] if occ.leader else [],
            "steering_committee": [plan.steering_committee],
            "office": [plan.office],
        }[role]
        return [Recipient(role=role, party=plan.parties[i]) for i in ids if i in plan.parties]

    # -- operations ------------------------------------------------------------------------------

    @workflow.update
    async def complete(self, request: Complete) -> Status:
        async with self.lock:
            due = self.p.due
            original = self.p.original_due
            on_time_ext = due is None or request.evidence.date <= due.date()
            on_time_orig = original is None or request.evidence.date <= original.date()
            actor, _ = self.attribution("complete", request)
            self.p.completion = Completion(
                by=actor, at=workflow.now(), evidence=request.evidence,
                on_time_original=on_time_orig, on_time_extended=on_time_ext)
            self.p.review_until = workflow.now() + REVIEW_PERIOD
            await self.set_state("done_on_time" if on_time_ext else "done_late")
            return await self.conclude("complete", request, "completed", {
                "evidence": request.evidence.model_dump(mode="json"),
                "on_time_original": on_time_orig, "on_time_extended": on_time_ext,
                "due": _iso(due), "original_due": _iso(original)},
                tell=[("completion", "completion", "office"),
                      ("completion", "completion", "coordinating")])

    @complete.validator
    def _validate_complete(self, request: Complete) -> None:
        self.authorize("complete", request)
        if self.p.state in DONE and self.p.completion is not None:
            raise Rejected(
                f"{self.occ.ref} was already completed by {self.p.completion.by} on "
                f"{self.p.completion.evidence.date:%d/%m/%Y}; nothing changed", "AlreadyDone")
        self.require_open()
        evidence = request.evidence
        try:
            check_evidence(evidence.number, evidence.date, has_file=evidence.file_sha256 is not None,
                           not_before=self.occ.start or self.plan.issued, today=self.today())
        except BadEvidence as error:
            raise Rejected(str(error), error.code) from None

    @workflow.update
    async def reopen(self, request: ActorReason) -> Status:
        async with self.lock:
            previous = self.p.completion
            self.p.completion = None
            self.p.review_until = None
            await self.set_state(self.open_state())
            return await self.conclude("reopen", request, "reopened", {
                "reason": request.reason,
                "evidence": previous.evidence.model_dump(mode="json") if previous else None},
                tell=[("reopened", "reopened", "lead")])

    @reopen.validator
    def _validate_reopen(self, request: ActorReason) -> None:
        self.authorize("reopen", request)
        self.require_reason(request.reason)
        if self.p.state not in DONE:
            raise Rejected(f"{self.occ.ref} is not completed ({self.p.state}); nothing to reopen",
                           "NotCompleted")

    @workflow.update
    async def request_extension(self, request: ExtensionRequest) -> Status:
        async with self.lock:
            actor, operator = self.attribution("request_extension", request)
            self.p.extensions.append(Extension(
                requested_by=actor, requested_at=workflow.now(), until=request.until,
                reason=request.reason, requested_by_account=operator.get("operator")))
            # Nothing to reschedule until a decision: the loop sleeps on (notices still wake it).
            return await self.conclude("request_extension", request, "extension.requested", {
                "until": request.until.isoformat(), "reason": request.reason,
                "due": _iso(self.p.due)}, tell=[("extension", "extension", "leader")], wake=False)

    @request_extension.validator
    def _validate_request_extension(self, request: ExtensionRequest) -> None:
        self.authorize("request_extension", request)
        self.require_open()
        self.require_reason(request.reason)
        if self.p.due is None:
            raise Rejected(f"{self.occ.ref} has no deadline yet to extend", "NoDeadline")
        if request.until <= self.p.due.date():
            raise Rejected(f"the new date {request.until:%d/%m/%Y} is not after the current "
                           f"deadline {self.p.due:%d/%m/%Y}", "NotAfterDeadline")
        if self.pending_extension() is not None:
            raise Rejected("an extension request is already waiting for a decision",
                           "ExtensionPending")

    @workflow.update
    async def approve_extension(self, request: ActorReason) -> Status:
        return await self.decide(request, approved=True)

    @approve_extension.validator
    def _validate_approve(self, request: ActorReason) -> None:
        self.validate_decision("approve_extension", request)

    @workflow.update
    async def deny_extension(self, request: ActorReason) -> Status:
        return await self.decide(request, approved=False)

    @deny_extension.validator
    def _validate_deny(self, request: ActorReason) -> None:
        self.validate_decision("deny_extension", request)
        self.require_reason(request.reason)

    async def decide(self, request: ActorReason, *, approved: bool) -> Status:
        async with self.lock:
            pending = self.pending_extension()
            if pending is None:  # the validator saw one; an earlier decision took it meanwhile
                raise Rejected(f"{self.occ.ref} has no extension request waiting for a decision")
            operation: Operation = "approve_extension" if approved else "deny_extension"
            actor, _ = self.attribution(operation, request)
            decided = pending.model_copy(update={
                "decision": "approved" if approved else "denied", "decided_by": actor,
                "decided_at": workflow.now(), "decision_reason": request.reason or None})
            self.p.extensions[self.p.extensions.index(pending)] = decided
            if approved:
                self.p.due = self.end_of(pending.until)
                self.p.escalation_level = 0
                await self.upsert(DUE_AT.value_set(self.p.due), ESCALATION_LEVEL.value_set(0))
                await self.set_state(self.open_state())
            return await self.conclude(operation, request,
                                       "extension.approved" if approved else "extension.denied", {
                "until": pending.until.isoformat(), "reason": request.reason,
                "original_due": _iso(self.p.original_due), "due": _iso(self.p.due)},
                tell=[("extension-decision", "extension", "lead")])

    def validate_decision(self, operation: Operation, request: ActorReason) -> None:
        self.authorize(operation, request)
        if self.pending_extension() is None:
            raise Rejected(f"{self.occ.ref} has no extension request waiting for a decision",
                           "NoExtensionPending")

    @workflow.update
    async def pause(self, request: ActorReason) -> Status:
        async with self.lock:
            self.p.state_before_pause = self.p.state
            self.p.paused_since = workflow.now()
            await self.set_state("paused")
            return await self.conclude("pause", request, "paused", {"reason": request.reason})

    @pause.validator
    def _validate_pause(self, request: ActorReason) -> None:
        self.authorize("pause", request)
        self.require_reason(request.reason)
        self.require_open()
        if self.p.state == "paused":
            raise Rejected(f"{self.occ.ref} is already paused", "AlreadyPaused")

    @workflow.update
    async def resume(self, request: ActorReason) -> Status:
        async with self.lock:
            # What fell due while paused was paused on purpose: skip it, no catch-up.
            now = workflow.now()
            restored = self.p.state_before_pause or "scheduled"
            self.p.paused_since = None
            self.p.state = restored if restored != "overdue" else "scheduled"
            for step in self.upcoming():
                if step.at <= now and step.action == "notify":
                    self.p.done_steps.append(self.step_key(step))
            await self.set_state(self.open_state() if restored != "waiting_trigger"
                                 else "waiting_trigger")
            return await self.conclude("resume", request, "resumed", {"reason": request.reason})

    @resume.validator
    def _validate_resume(self, request: ActorReason) -> None:
        self.authorize("resume", request)
        if self.p.state != "paused":
            raise Rejected(f"{self.occ.ref} is not paused ({self.p.state})", "NotPaused")

    @workflow.update
    async def cancel(self, request: ActorReason) -> Status:
        async with self.lock:
            await self.set_state("cancelled")
            return await self.conclude("cancel", request, "cancelled", {"reason": request.reason},
                                       tell=[("cancelled", "cancelled", "lead")])

    @cancel.validator
    def _validate_cancel(self, request: ActorReason) -> None:
        self.authorize("cancel", request)
        self.require_reason(request.reason)
        if self.p.state == "cancelled":
            raise Rejected(f"{self.occ.ref} is already cancelled", "AlreadyDone")
        if self.p.state in DONE:
            raise Rejected(f"{self.occ.ref} is completed; reopen it first to cancel it",
                           "Completed")

    @workflow.update
    async def trigger(self, request: Trigger) -> Status:
        async with self.lock:
            occ, calendar = self.occ, self.input.calendar
            if occ.trigger_within_working_days is not None:
                after = calendar.add_working_days(request.at, occ.trigger_within_working_days)
            else:
                after = request.at + (occ.trigger_within or timedelta(0))
            due_day = max(occ.due_date, after) if occ.due_date else after
            self.p.triggered_at = request.at
            self.p.due = self.p.original_due = self.end_of(due_day)
            await self.upsert(DUE_AT.value_set(self.p.due))
            await self.set_state("scheduled")
            return await self.conclude("trigger", request, "triggered", {
                "event": request.event, "at": request.at.isoformat(), "due": _iso(self.p.due)})

    @trigger.validator
    def _validate_trigger(self, request: Trigger) -> None:
        self.authorize("trigger", request)
        if request.event != self.occ.waits_for:
            raise Rejected(f"{self.occ.ref} waits for {self.occ.waits_for!r}, not {request.event!r}",
                           "OtherEvent")
        if self.p.triggered_at is not None:
            raise Rejected(f"{self.occ.ref} was already triggered on "
                           f"{self.p.triggered_at:%d/%m/%Y}", "AlreadyDone")
        if request.at > self.today():
            raise Rejected(f"the event date {request.at:%d/%m/%Y} is in the future", "FutureEvent")

    @workflow.update
    async def checkin(self, request: Checkin) -> Status:
        async with self.lock:
            label = self.current_checkin()
            self.p.checkins.append(label)
            return await self.conclude("checkin", request, "checkin.received",
                                       {"period": label, "note": request.note})

    @checkin.validator
    def _validate_checkin(self, request: Checkin) -> None:
        self.authorize("checkin", request)
        if self.occ.kind != "ongoing":
            raise Rejected(f"{self.occ.ref} has a deadline; report it with complete, not checkin",
                           "HasDeadline")
        if not request.note.strip():
            raise Rejected("a check-in needs a note on progress", "NoNote")

    @workflow.update
    async def amend(self, amendment: Amendment) -> Status:
        async with self.lock:
            actor: str | None = None
            operator: dict[str, object] = {}
            if amendment.principal is not None and workflow.patched(SIGNED_AMENDMENTS):
                actor = decide(amendment.principal, "amend", self.target()).acting_as
                operator = {"operator": amendment.principal.account}
            before = self.occ
            self.input = self.input.model_copy(update={
                "occurrence": amendment.occurrence, "plan": amendment.plan,
                "calendar": amendment.calendar, "spec_hash": amendment.spec_hash,
                "plan_version": amendment.plan_version})
            changes = difference.changes(before, amendment.occurrence)
            if "due" in changes and not any(e.decision == "approved" for e in self.p.extensions):
                self.p.due = self.p.original_due = amendment.occurrence.due
                await self.upsert(DUE_AT.value_set(self.p.due) if self.p.due else
                                  DUE_AT.value_unset())
                if self.p.state == "overdue" and self.p.due and self.p.due > workflow.now():
                    await self.set_state("scheduled")
            await self.upsert(SPEC_HASH.value_set(amendment.spec_hash),
                              LEADER_ID.value_set(amendment.occurrence.leader or ""))
            await self.record("amended", actor=actor, details={
                "plan_version": amendment.plan_version, "changes": changes, **operator})
            self.changed = True
            return self.status()

    @amend.validator
    def _validate_amend(self, amendment: Amendment) -> None:
        self.authorize("amend", amendment)
        if amendment.occurrence.ref != self.occ.ref:
            raise Rejected(f"amendment for {amendment.occurrence.ref} sent to {self.occ.ref}")
        if amendment.spec_hash == self.input.spec_hash:
            raise Rejected(f"{self.occ.ref} already has this version", "AlreadyDone")

    @workflow.query
    def specification(self) -> Occurrence:
        """The occurrence as the plan's loaded version specifies it (amendments included)."""
        return self.occ

    @workflow.query
    def status(self) -> Status:
        occ = self.occ
        ahead = self.upcoming()
        return Status(
            ref=occ.ref, plan=occ.plan_id, task=occ.task_id, unit=occ.unit_id, title=occ.title,
            state=self.p.state, due=self.p.due, original_due=self.p.original_due,
            escalation_level=self.p.escalation_level, waits_for=occ.waits_for,
            triggered_at=self.p.triggered_at, completion=self.p.completion,
            extensions=self.p.extensions, paused_since=self.p.paused_since,
            missed_checkins=self.p.missed_checkins,
            next_step=ahead[0].name if ahead else None, next_at=ahead[0].at if ahead else None,
            held_until=self.p.held_until if self.p.held_until and self.p.held_until > workflow.now()
            else None,
        )

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def occ(self) -> Occurrence:
        return self.input.occurrence

    @property
    def plan(self) -> PlanContext:
        return self.input.plan

    def today(self) -> date:
        return workflow.now().astimezone(self.tz).date()

    @property
    def tz(self) -> timezone:
        # The plan's zone as a fixed offset: zoneinfo reads the system's tz database, which the
        # sandbox forbids and which could change under a replay.
        return timezone(self.occ.utc_offset)

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY, self.tz)

    def open_state(self) -> State:
        if self.occ.kind == "ongoing":
            return "ongoing"
        if self.p.due is None:
            return "waiting_trigger"
        if self.p.due <= workflow.now():
            return "overdue"
        reminders = schedule.reminders(self.p.due.date(), self.p.due, self.occ.policy,
                                       self.input.calendar)
        started = reminders and reminders[0].at <= workflow.now()
        return "due_soon" if started else "scheduled"

    def notice_details(self, step: Planned) -> dict[str, object]:
        """What a notice needs beyond the occurrence: an extension's date, reason and decision."""
        if step.kind != "extension" or not self.p.extensions:
            return {}
        if not workflow.patched(EXTENSION_TOLD):
            return {}
        asked = self.p.extensions[-1]
        return {"until": asked.until.isoformat(), "reason": asked.reason,
                "decision": asked.decision, "decision_reason": asked.decision_reason}

    def pending_extension(self) -> Extension | None:
        return next((e for e in self.p.extensions if e.decision == "pending"), None)

    def current_checkin(self) -> str:
        now = workflow.now()
        for step in self.upcoming():
            if step.name.startswith("checkin-due-") and step.at >= now:
                return step.name.removeprefix("checkin-due-")
        return f"{self.today():%Y-%m-%d}"

    def last_checkin_passed(self, now: datetime) -> bool:
        last = schedule.checkins(self.occ, self.input.calendar, self.occ.years[-1:])
        return not last or last[-1].at <= now

    def target(self) -> Target:
        pending = self.pending_extension()
        return Target(plan=self.plan.plan_id, lead=tuple(self.occ.lead),
                      coordinating=tuple(self.occ.coordinating), leader=self.occ.leader,
                      steering_committee=self.plan.steering_committee, office=self.plan.office,
                      requester=pending.requested_by_account if pending else None,
                      ref=self.occ.ref)

    def authorize(self, operation: Operation, request: Request | Amendment) -> None:
        """The authorization table, before anything enters the history."""
        if request.principal is None:
            raise Rejected("an operation needs an authenticated account (dondoc login or "
                           "DONDOC_API_KEY)", "NoIdentity")
        decision = decide(request.principal, operation, self.target())
        if not decision.allowed:
            raise Rejected(decision.message, decision.code)

    def attribution(self, operation: Operation, request: Request) -> tuple[str, dict[str, object]]:
        """Who the operation is recorded for, and the account that did it (for the audit row).
        Histories from before identities have no principal and keep `by` as typed."""
        principal = request.principal
        if principal is None or not workflow.patched(PRINCIPALS):
            return request.by, {}
        decision = decide(principal, operation, self.target())
        operator: dict[str, object] = {"operator": principal.account}
        if principal.acting_for:
            operator |= {"acted_for": principal.acting_for, "on_behalf_reason": principal.reason}
        return decision.acting_as or request.by, operator

    def require_open(self) -> None:
        if self.p.state == "cancelled":
            raise Rejected(f"{self.occ.ref} is cancelled", "Cancelled")
        if self.p.state in DONE:
            raise Rejected(f"{self.occ.ref} is already completed", "Completed")

    @staticmethod
    def require_reason(reason: str) -> None:
        if not reason.strip():
            raise Rejected("a reason is required", "ReasonRequired")

    async def set_state(self, state: State) -> None:
        if state != self.p.state:
            self.p.state = state
        await self.upsert(OCCURRENCE_STATE.value_set(state))

    async def upsert(self, *updates: object) -> None:
        workflow.upsert_search_attributes(list(updates))  # type: ignore[arg-type]

    async def record(self, type: EventType, *, actor: str | None = None,
                     details: dict[str, object] | None = None) -> None:
        self.p.seq += 1
        await workflow.execute_activity(
            RECORD_EVENT,
            OccurrenceEvent(key=f"{self.occ.ref}#{self.p.seq}", ref=self.occ.ref,
                            plan=self.occ.plan_id, type=type, at=workflow.now(), actor=actor,
                            details=details or {},
                            standing=self.standing(running=type != "closed")),
            start_to_close_timeout=RECORD_START_TO_CLOSE,
            retry_policy=ACTIVITY_RETRY,
            summary=type,
        )

    def standing(self, *, running: bool) -> Standing:
        """What `status` shows of the occurrence, kept with each event (an activity's input, so
        replays are unchanged by it)."""
        return initial_standing(self.input).model_copy(update={
            "state": self.p.state, "due": self.p.due, "escalation_level": self.p.escalation_level,
            "held_until": self.p.held_until, "running": running})


def initial_search_attributes(input: OccurrenceInput) -> list[SearchAttributePair[Any]]:
    """The search attributes a new occurrence workflow starts with (for `load`)."""
    occ = input.occurrence
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(PLAN_ID, occ.plan_id),
        SearchAttributePair(TASK_ID, occ.task_id),
        SearchAttributePair(UNIT_ID, occ.unit_id or ",".join(occ.lead)),
        SearchAttributePair(UNIT_IDS, [occ.unit_id] if occ.unit_id else list(occ.lead)),
        SearchAttributePair(LEADER_ID, occ.leader or ""),
        SearchAttributePair(SPEC_HASH, input.spec_hash),
        SearchAttributePair(OCCURRENCE_STATE, initial_state(occ)),
        SearchAttributePair(ESCALATION_LEVEL, 0),
    ]
    if occ.waits_for:
        pairs.append(SearchAttributePair(WAITS_FOR, occ.waits_for))
    if occ.due:
        pairs.append(SearchAttributePair(DUE_AT, occ.due))
    return pairs


def initial_standing(input: OccurrenceInput) -> Standing:
    """Where a new occurrence stands before its workflow has run (`load` keeps it)."""
    occ = input.occurrence
    return Standing(task=occ.task_id, units=[occ.unit_id] if occ.unit_id else list(occ.lead),
                    leader=occ.leader, state=initial_state(occ), due=occ.due, escalation_level=0,
                    listed=schedule.listing(occ))


def initial_state(occ: Occurrence) -> State:
    if occ.kind == "ongoing":
        return "ongoing"
    return "waiting_trigger" if occ.kind == "event" else "scheduled"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None

