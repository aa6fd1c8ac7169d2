"""What flows into, out of and through an occurrence workflow.

These models are the workflow's contract with the CLI and the activities: add fields with
defaults, never rename or remove one, or running workflows and saved histories stop replaying.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plans.access import Principal
from plans.calendar import WorkingCalendar
from plans.model import QuietHours
from plans.schedule import Occurrence
from plans.steps import NoticeKind, Planned, Role

State = Literal[
    "scheduled",
    "due_soon",
    "overdue",
    "done_on_time",
    "done_late",
    "paused",
    "cancelled",
    "waiting_trigger",
    "ongoing",
]
DONE: frozenset[State] = frozenset({"done_on_time", "done_late"})
EventType = Literal[
    "plan.loaded",
    "started",
    "amended",
    "reminder.sent",
    "reminder.skipped",
    "notice.held",
    "notice.sent",
    "overdue",
    "escalated",
    "completed",
    "reopened",
    "extension.requested",
    "extension.approved",
    "extension.denied",
    "paused",
    "resumed",
    "cancelled",
    "triggered",
    "checkin.requested",
    "checkin.received",
    "checkin.missed",
    "kpi.recorded",
    "closed",
    "audit.retained",
    "history.archived",
    "signin.code_sent",  # the web app's sign-ins (plan "_signin"), beside the plans' events
    "signed_in",
    "signed_out",
    "signed_out_everywhere",
    "account.added",  # account administration (plan "_accounts"): `dondoc users ...`
    "account.granted",
    "account.revoked",
    "account.disabled",
    "account.enabled",
    "account.password_set",
    "account.api_key_issued",
    "accounts.synced",
]
class Wire(BaseModel):
    """What crosses between clients, workflows and activities (and is kept in histories):
    frozen, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Party(Wire):
    id: str
    name: str


class PlanContext(Wire):
    """What notices and checks need to know about the plan, carried by each workflow."""

    plan_id: str
    number: str | None
    title: str
    office: str
    steering_committee: str
    parties: dict[str, Party] = Field(description="every unit and person of the plan, by id")
    issued: date | None = Field(None, description="the plan's issue date: no evidence before it")
    quiet_hours: QuietHours | None = Field(
        default_factory=QuietHours, description="the plan's quiet hours: its digests wait too")
    utc_offset: timedelta = Field(timedelta(hours=7), description="of the plan's timezone")

    def naming(self, ids: list[str]) -> PlanContext:
        """The same context with only the parties `ids` name: what one notice needs."""
        wanted = set(ids)
        return self.model_copy(update={"parties": {
            pid: party for pid, party in self.parties.items() if pid in wanted}})


class Evidence(Wire):
    """The unit's report: its document number and date (số, ngày văn bản), optional link and note."""

    number: str
    date: date
    link: str | None = None
    note: str | None = None
    file_sha256: str | None = Field(None, description="the attached file, kept by this hash")
    file_name: str | None = None
    file_size: int | None = None
    file_kind: str | None = Field(None, description="pdf, docx, xlsx, png, jpeg (by content)")


class Extension(Wire):
    requested_by: str
    requested_by_account: str | None = Field(None, description="who asked: never its decider")
    requested_at: datetime
    until: date
    reason: str
    decision: Literal["pending", "approved", "denied"] = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None


class Completion(Wire):
    by: str
    at: datetime
    evidence: Evidence
    on_time_original: bool
    on_time_extended: bool


class Progress(BaseModel):
    """Everything an occurrence workflow has learned; carried over continue-as-new."""

    state: State
    due: datetime | None
    original_due: datetime | None
    done_steps: list[str] = []
    escalation_level: int = 0
    seq: int = 0
    completion: Completion | None = None
    extensions: list[Extension] = []
    paused_since: datetime | None = None
    state_before_pause: State | None = None
    triggered_at: date | None = None
    checkins: list[str] = []
    missed_checkins: list[str] = []
    review_until: datetime | None = None
    started_at: datetime | None = None
    held_until: datetime | None = Field(None, description="notices wait for quiet hours to end")
    outgoing: list[Planned] = Field([], description="notices from operations, sent by the loop")


class OccurrenceInput(Wire):
    occurrence: Occurrence
    plan: PlanContext
    calendar: WorkingCalendar
    spec_hash: str
    plan_version: str = Field(description="hash of the plan file that started or last amended it")
    resume: Progress | None = Field(None, description="set when continuing as new")
    max_history_length: int | None = Field(
        None, description="continue as new past this many history events, not only when "
        "Temporal suggests it (tests set it low to exercise the hand-over)")


class Request(Wire):
    """An operation on an occurrence: `by` is the unit or person it is recorded for, the
    principal the account that did it (the validators check it against plans/access.py)."""

    by: str
    principal: Principal | None = Field(
        None, description="required by the validators since identities; older histories have none")


class Complete(Request):
    evidence: Evidence


class ActorReason(Request):
    reason: str


class ExtensionRequest(Request):
    until: date
    reason: str


class Trigger(Request):
    event: str
    at: date


class Checkin(Request):
    note: str


class Amendment(Wire):
    occurrence: Occurrence
    plan: PlanContext
    calendar: WorkingCalendar
    spec_hash: str
    plan_version: str
    principal: Principal | None = Field(
        None, description="the office account that loaded the new version; older histories "
        "have none")


class Status(Wire):
    """The occurrence as the office sees it now (the `status` query)."""

    ref: str
    plan: str
    task: str
    unit: str | None
    title: str
    state: State
    due: datetime | None
    original_due: datetime | None
    escalation_level: int
    waits_for: str | None
    triggered_at: date | None
    completion: Completion | None
    extensions: list[Extension]
    paused_since: datetime | None
    missed_checkins: list[str]
    next_step: str | None
    next_at: datetime | None
    held_until: datetime | None = Field(None, description="notices held by quiet hours until")


class Recipient(Wire):
    role: Role
    party: Party


class Notice(Wire):
    """One message to one party, sent at most once: `key` is its idempotency key."""

    key: str
    kind: NoticeKind
    ref: str
    plan: PlanContext
    occurrence: Occurrence
    to: Recipient
    due: datetime | None
    original_due: datetime | None = None
    step: str
    planned_at: datetime | None = Field(None, description="when the schedule meant it to go")
    working_days: int | None = Field(None, description="left before the due day; negative: late")
    catch_up: bool = False
    escalation_level: int = 0
    details: dict[str, Any] = {}


class Delivery(Wire):
    key: str
    outcome: Literal["sent", "already_sent", "failed", "rerouted", "uncertain"]
    channel: str
    recipient: str = Field(description="masked address: never a full e-mail or phone")
    at: datetime
    provider_code: str | None = None


class Standing(Wire):
    """Where an occurrence stands after an event: what `status` and the lists show of it. The
    `record_event` activity keeps it as the occurrence's row in dondoc's database, in the
    transaction of the event's audit row (storage/standing.py)."""

    task: str
    units: list[str] = Field(description="the unit it was fanned out to, else its lead units")
    leader: str | None
    state: State
    due: datetime | None
    escalation_level: int
    held_until: datetime | None = None
    running: bool = True
    listed: dict[str, Any] = Field({}, description="plans.schedule.listing of the occurrence")


class OccurrenceEvent(Wire):
    """A state change, written once by the `record_event` activity (the audit stream)."""

    key: str = Field(description="workflow id + sequence: a retried write is one row")
    ref: str
    plan: str
    type: EventType
    at: datetime
    actor: str | None = None
    details: dict[str, Any] = {}
    standing: Standing | None = Field(None, description="not hashed into the audit row: a "
                                      "projection of the workflow's state, not an event")


class PlanRecord(Wire):
    """What `load` last applied for a plan (the PlanWorkflow's state)."""

    plan_id: str
    version: str | None = None
    occurrences: dict[str, str] = Field({}, description="ref -> spec hash")
    waits_for: dict[str, str] = Field({}, description="ref -> event id, for event tasks")
    occurrences_sha256: str | None = Field(
        None, description="the two maps above kept in dondoc's database under this hash "
        "(storage/plans.py), and empty here: they grow with the plan")
    occurrence_count: int | None = Field(None, description="with occurrences_sha256")
    context: PlanContext | None = Field(None, description="names of the plan's parties")
    file_sha256: str | None = Field(None, description="hash of the plan file loaded")
    previous_version: str | None = None
    loaded_by: str | None = Field(None, description="the office account that loaded it")
