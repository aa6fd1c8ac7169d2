"""The occurrence workflow on the time-skipping server: weeks pass in milliseconds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.render import render
from dondoc.services.read import timeline_rows
from plans import schedule
from plans.access import Grant, Principal
from plans.calendar import WorkingCalendar
from tests.plans.factory import plan_text
from tests.workflows.conftest import Harness, occurrences, pin_clock, who
from workflows.messages import (
    ActorReason,
    Amendment,
    Checkin,
    Complete,
    Evidence,
    ExtensionRequest,
    Trigger,
)
from workflows.occurrence import OccurrenceWorkflow
from workflows.search_attributes import HELD_UNTIL

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.vietnam(range(2025, 2031))


async def refused(handle, update, argument) -> ApplicationError:
    """The validator's refusal of an Update, which leaves no trace in history."""
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(update, argument)
    assert isinstance(failure.value.cause, ApplicationError)
    return failure.value.cause


async def accepted_updates(handle) -> int:
    history = await handle.fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
               for e in history.events)


async def today(h: Harness) -> date:
    return (await h.env.get_current_time()).astimezone(HCM).date()


def task(deadline: str, extra: str = "") -> str:
    return f"""
  - id: T1
    title: Báo cáo kết quả triển khai
    source: Phụ lục I, dòng 1
    lead: [HL]
    coordinating: [CP]
    leader: pgd
    deadline: "{deadline}"
{extra}"""


# These tests run at whatever time of day it is: no quiet hours unless a test sets them.
ANY_HOUR = "policy: {quiet_hours: null}"


async def one(h: Harness, deadline: str, extra: str = "", policy: str = ANY_HOUR):
    start = await today(h)
    (item,) = occurrences(plan_text(tasks=task(deadline, extra), year=start.year,
                                    issued=f"{start:%d/%m/%Y}", policy=policy))
    return item, await h.start(item)


async def sleep_until(h: Harness, at: datetime) -> None:
    now = await h.env.get_current_time()
    if at > now:
        await h.env.sleep(at - now)


async def test_reminders_go_out_at_the_scheduled_instants_on_working_days(harness: Harness):
    due = CAL.add_working_days(await today(harness), 15)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    expected = schedule.reminders(due, item.occurrence.due, item.occurrence.policy, CAL)
    await sleep_until(harness, item.occurrence.due - timedelta(minutes=1))
    sent = [(at, n) for at, n in harness.recorder.notices if n.to.role == "lead"]
    assert [(n.step, n.planned_at) for _, n in sent] == [(r.name, r.at) for r in expected]
    assert all(timedelta(0) <= at - n.planned_at < timedelta(seconds=1) for at, n in sent)
    assert [n.to.party.id for _, n in sent] == ["HL"] * 4
    assert all(CAL.is_working_day(n.planned_at.astimezone(HCM).date()) for _, n in sent)
    assert all(n.planned_at.astimezone(HCM).time() == item.occurrence.policy.send_time
               for _, n in sent)
    assert [n.kind for _, n in sent] == ["reminder", "reminder", "reminder", "due_today"]
    assert (await handle.query(OccurrenceWorkflow.status)).state == "due_soon"
    # A notice names the parties its message names (lead, coordinating, the office), not the
    # whole plan: its size does not grow with the number of units.
    assert {frozenset(n.plan.parties) for _, n in sent} == {frozenset({"HL", "CP", "VP"})}
    # The coordinating unit is told with the first reminder, by default.
    told = [(n.step, n.to.party.id, n.planned_at) for _, n in harness.recorder.notices
            if n.to.role == "coordinating"]
    assert told == [(f"{expected[0].name}-coordinating", "CP", expected[0].at)]


async def test_overdue_then_the_escalation_ladder_repeats_while_open(harness: Harness):
    due = CAL.add_working_days(await today(harness), 8)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    ladder = schedule.escalations(due, item.occurrence.due, item.occurrence.policy, CAL, count=4)
    await sleep_until(harness, ladder[-1].at + timedelta(minutes=1))
    status = await handle.query(OccurrenceWorkflow.status)
    assert (status.state, status.escalation_level) == ("overdue", 4)
    escalations = [(n.step, n.to.role, n.planned_at) for _, n in harness.recorder.notices
                   if n.kind in ("escalation", "overdue")]
    assert escalations == [
        ("overdue-notice", "lead", ladder[0].at),
        ("overdue-notice-coordinating", "coordinating", ladder[0].at),
        ("escalation-1", "leader", ladder[0].at),
        ("escalation-2", "steering_committee", ladder[1].at),
        ("escalation-3", "steering_committee", ladder[2].at),
        ("escalation-4", "steering_committee", ladder[3].at),
    ]
    assert "overdue" in harness.recorder.types()


async def test_the_policy_can_keep_coordinating_units_out_of_the_notices(harness: Harness):
    due = CAL.add_working_days(await today(harness), 8)
    item, _ = await one(harness, f"trước ngày {due:%d/%m/%Y}", policy=(
        "policy: {quiet_hours: null, coordinating_told: [overdue]}"))
    ladder = schedule.escalations(due, item.occurrence.due, item.occurrence.policy, CAL, count=1)
    await sleep_until(harness, ladder[0].at + timedelta(minutes=1))
    told = [(n.step, n.kind) for _, n in harness.recorder.notices if n.to.role == "coordinating"]
    assert told == [("overdue-notice-coordinating", "overdue")]


async def test_repeated_escalations_end_with_one_notice_to_the_office(harness: Harness):
    due = CAL.add_working_days(await today(harness), 3)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}", policy=(
        "policy: {quiet_hours: null, escalation_repeat: {working_days: 5, at_most: 2}}"))
    ladder = schedule.escalations(due, item.occurrence.due, item.occurrence.policy, CAL, count=9)
    assert len(ladder) == 4  # the two rungs, then two repeats
    await sleep_until(harness, ladder[-1].at + timedelta(days=60))
    sent = [(n.step, n.to.role, n.planned_at) for _, n in harness.recorder.notices
            if n.kind in ("escalation", "escalation_ended")]
    assert sent == [
        ("escalation-1", "leader", ladder[0].at),
        ("escalation-2", "steering_committee", ladder[1].at),
        ("escalation-3", "steering_committee", ladder[2].at),
        ("escalation-4", "steering_committee", ladder[3].at),
        ("escalation-final", "office", ladder[3].at),
    ]
    status = await handle.query(OccurrenceWorkflow.status)
    assert (status.state, status.escalation_level, status.next_step) == ("overdue", 4, None)


async def test_completion_on_time_notifies_the_office_and_coordinating_units(harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    await harness.env.sleep(timedelta(days=2))
    evidence = Evidence(number="123/BC-TTYT", date=await today(harness))
    status = await handle.execute_update(OccurrenceWorkflow.complete,
                                         Complete(by="HL", principal=who("HL"), evidence=evidence))
    assert status.state == "done_on_time"
    assert status.completion.on_time_original and status.completion.on_time_extended
    await harness.env.sleep(timedelta(seconds=1))  # the loop sends what the operation queued
    completions = [(n.to.role, n.to.party.id) for _, n in harness.recorder.notices
                   if n.kind == "completion"]
    assert completions == [("office", "VP"), ("coordinating", "CP")]
    office = render(next(n for _, n in harness.recorder.notices if n.kind == "completion"),
                    link="https://dondoc.example/lien-ket/t")
    assert "Thành phố Hạ Long đã báo cáo hoàn thành nhiệm vụ." in office.text
    assert "Xem nhiệm vụ và diễn biến tại: https://dondoc.example/lien-ket/t" in office.text
    assert "Khi hoàn thành" not in office.text  # nothing is asked of whoever is only told
    # Nothing more is sent for it: the pending reminders were cancelled.
    before = len(harness.recorder.notices)
    await sleep_until(harness, item.occurrence.due + timedelta(days=10))
    assert len(harness.recorder.notices) == before
    event = next(e for e in harness.recorder.events if e.type == "completed")
    assert (event.actor, event.details["evidence"]["number"]) == ("HL", "123/BC-TTYT")


async def test_completion_after_the_deadline_is_late_and_a_second_is_refused(harness: Harness):
    due = CAL.add_working_days(await today(harness), 3)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    await sleep_until(harness, item.occurrence.due + timedelta(days=3))
    done = Complete(by="HL", principal=who("HL"),
                    evidence=Evidence(number="45/BC-TTYT", date=await today(harness)))
    status = await handle.execute_update(OccurrenceWorkflow.complete, done)
    assert status.state == "done_late"
    assert not status.completion.on_time_original
    refusal = await refused(handle, OccurrenceWorkflow.complete, done)
    assert refusal.type == "AlreadyDone" and "already completed" in refusal.message
    assert await accepted_updates(handle) == 1  # the first completion only


async def test_reopen_puts_it_back_to_overdue_and_chases_again(harness: Harness):
    due = CAL.add_working_days(await today(harness), 2)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    await sleep_until(harness, item.occurrence.due + timedelta(hours=1))
    done = Complete(by="HL", principal=who("HL"),
                    evidence=Evidence(number="45/BC-TTYT", date=await today(harness)))
    await handle.execute_update(OccurrenceWorkflow.complete, done)
    status = await handle.execute_update(OccurrenceWorkflow.reopen, ActorReason(
        by="VP", principal=who("VP"), reason="Báo cáo thiếu phụ lục số liệu"))
    assert (status.state, status.completion) == ("overdue", None)
    await harness.env.sleep(timedelta(days=9))
    kinds = [n.kind for _, n in harness.recorder.notices]
    assert "reopened" in kinds and kinds.count("escalation") >= 1
    assert "reopened" in harness.recorder.types()


async def test_extension_approved_moves_the_timers_and_keeps_the_original(harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    new_due = CAL.add_working_days(due, 20)
    await handle.execute_update(OccurrenceWorkflow.request_extension, ExtensionRequest(
        by="HL", principal=who("HL"), until=new_due, reason="Chờ số liệu từ các trạm y tế"))
    status = await handle.execute_update(OccurrenceWorkflow.approve_extension,
                                         ActorReason(by="pgd", principal=who("pgd"), reason="Đồng ý"))
    approved_at = await harness.env.get_current_time()
    assert status.due.date() == new_due and status.original_due.date() == due
    await sleep_until(harness, status.due - timedelta(minutes=1))
    assert (await handle.query(OccurrenceWorkflow.status)).state == "due_soon"
    assert not any(n.kind in ("overdue", "escalation") for _, n in harness.recorder.notices)
    expected = schedule.reminders(new_due, status.due, item.occurrence.policy, CAL)
    sent = [(n.step, n.planned_at) for _, n in harness.recorder.notices
            if n.step.startswith("reminder") and n.to.role == "lead"]
    assert sent == [(r.name, r.at) for r in expected if r.at > approved_at]
    decision = next(e for e in harness.recorder.events if e.type == "extension.approved")
    assert decision.actor == "pgd" and decision.details["original_due"].startswith(f"{due}")


async def test_extension_denied_or_invalid_leaves_the_deadline(harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    early = ExtensionRequest(by="HL", principal=who("HL"), until=due - timedelta(days=1), reason="x")
    refusal = await refused(handle, OccurrenceWorkflow.request_extension, early)
    assert "is not after the current deadline" in refusal.message
    await handle.execute_update(OccurrenceWorkflow.request_extension, ExtensionRequest(
        by="HL", principal=who("HL"), until=due + timedelta(days=30), reason="Thiếu nhân lực"))
    refusal = await refused(handle, OccurrenceWorkflow.deny_extension,
                            ActorReason(by="HL", principal=who("HL"), reason="tự duyệt"))
    assert refusal.type == "Forbidden"
    assert "chỉ lãnh đạo phụ trách hoặc Ban Chỉ đạo được làm việc này" in refusal.message
    status = await handle.execute_update(OccurrenceWorkflow.deny_extension, ActorReason(
        by="pgd", principal=who("pgd"), reason="Không đủ căn cứ"))
    assert status.due == item.occurrence.due
    assert [e.decision for e in status.extensions] == ["denied"]
    assert harness.recorder.types().count("extension.denied") == 1
    # The leader was asked with the date and the reason; the unit is told the decision and why.
    await harness.env.sleep(timedelta(seconds=1))
    told = {n.to.role: render(n, link="https://dondoc.example/lien-ket/t")
            for _, n in harness.recorder.notices if n.kind == "extension"}
    wanted = f"{due + timedelta(days=30):%d/%m/%Y}"
    assert told["leader"].subject.startswith("[Đề nghị gia hạn]")
    assert (f"Thành phố Hạ Long đề nghị gia hạn nhiệm vụ dưới đây đến ngày {wanted}, lý do: "
            "Thiếu nhân lực. Đề nghị đồng chí xem xét, quyết định.") in told["leader"].text
    assert "Quyết định gia hạn tại: https://dondoc.example/lien-ket/t" in told["leader"].text
    assert "Khi hoàn thành" not in told["leader"].text
    assert told["lead"].subject.startswith("[Kết quả đề nghị gia hạn]")
    assert (f"Đề nghị gia hạn đến ngày {wanted} không được chấp thuận, lý do: Không đủ căn cứ. "
            "Thời hạn giữ nguyên") in told["lead"].text
    assert "Khi hoàn thành, đơn vị báo cáo tại trang nhiệm vụ" in told["lead"].text


async def test_operations_by_someone_with_no_role_leave_no_trace(harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    _, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    messages = [
        (await refused(handle, update, argument)).message for update, argument in [
            (OccurrenceWorkflow.complete, Complete(by="nobody", principal=who("nobody"), evidence=Evidence(
                number="1/BC-TTYT", date=await today(harness)))),
            (OccurrenceWorkflow.complete, Complete(by="HL", principal=who("HL"), evidence=Evidence(
                number=" ", date=await today(harness)))),
            (OccurrenceWorkflow.complete, Complete(by="HL", principal=who("HL"), evidence=Evidence(
                number="1/BC-TTYT", date=await today(harness) + timedelta(days=3)))),
            (OccurrenceWorkflow.pause, ActorReason(by="ghost", principal=who("ghost"), reason="x")),
        ]
    ]
    assert messages[0] == ("nobody không có quyền 'complete' trên thu/T1; chỉ trưởng đơn vị chủ "
                           "trì hoặc Văn phòng thay mặt đơn vị chủ trì (có lý do) được làm việc "
                           "này")
    assert "số ký hiệu văn bản" in messages[1] and "ở tương lai" in messages[2]
    assert messages[3].startswith("ghost không có quyền 'pause'")
    assert await accepted_updates(handle) == 0


async def test_the_validator_applies_the_authorization_table_before_the_history(
        harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    _, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    proof = Evidence(number="12/BC-UBND", date=await today(harness))
    anonymous = await refused(handle, OccurrenceWorkflow.complete,
                              Complete(by="HL", evidence=proof))
    other_unit = await refused(handle, OccurrenceWorkflow.complete,
                               Complete(by="", evidence=proof, principal=who("CP")))
    unit_pauses = await refused(handle, OccurrenceWorkflow.pause,
                                ActorReason(by="", reason="x", principal=who("HL")))
    on_behalf = who("CP").model_copy(update={"acting_for": "HL", "reason": "x"})
    not_office = await refused(handle, OccurrenceWorkflow.complete,
                               Complete(by="HL", evidence=proof, principal=on_behalf))
    assert [anonymous.type, other_unit.type, unit_pauses.type, not_office.type] == [
        "NoIdentity", "Forbidden", "Forbidden", "NotOnBehalf"]
    assert "chỉ Văn phòng theo dõi kế hoạch được làm việc này" in unit_pauses.message
    assert await accepted_updates(handle) == 0
    # The office on behalf of the lead unit, with its reason: recorded as HL, done by vp.
    office = who("VP").model_copy(update={"acting_for": "HL", "reason": "HL gửi bản giấy"})
    await handle.execute_update(OccurrenceWorkflow.complete,
                                Complete(by="HL", evidence=proof, principal=office))
    event = next(e for e in harness.recorder.events if e.type == "completed")
    assert (event.actor, event.details["operator"], event.details["acted_for"],
            event.details["on_behalf_reason"]) == ("HL", "vp", "HL", "HL gửi bản giấy")


async def test_only_the_office_amends_and_the_amendment_names_its_account(harness: Harness):
    """A new version of the plan reaches a running occurrence as `amend`, checked against the
    table like every operation: the office's account is recorded, anyone else's is refused."""
    due = CAL.add_working_days(await today(harness), 10)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    later = CAL.add_working_days(due, 5)
    changed = item.occurrence.model_copy(update={"due": item.occurrence.due + (later - due)})

    def amendment(principal: Principal | None) -> Amendment:
        return Amendment(occurrence=changed, plan=item.plan, calendar=item.calendar,
                         spec_hash="v2", plan_version="v2", principal=principal)

    refusals = [await refused(handle, OccurrenceWorkflow.amend, amendment(principal))
                for principal in (None, who("HL"), who("pgd"))]
    assert [r.type for r in refusals] == ["NoIdentity", "Forbidden", "Forbidden"]
    assert refusals[1].message.startswith("hl không có quyền 'amend' trên thu/T1")
    assert await accepted_updates(handle) == 0
    assert (await handle.query(OccurrenceWorkflow.status)).due == item.occurrence.due

    status = await handle.execute_update(OccurrenceWorkflow.amend, amendment(who("VP")))
    assert status.due == changed.due
    event = next(e for e in harness.recorder.events if e.type == "amended")
    assert (event.actor, event.details["operator"]) == ("VP", "vp")
    assert event.details["changes"]["due"]["to"] == changed.due.isoformat()


async def test_evidence_must_be_a_document_of_the_task(harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    _, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    issued = await today(harness)  # the test plans are issued the day they start

    async def refusal(number: str, day: date, file: str | None = None) -> str:
        return (await refused(handle, OccurrenceWorkflow.complete, Complete(
            by="HL", principal=who("HL"),
            evidence=Evidence(number=number, date=day, file_sha256=file)))).type

    assert [await refusal("đã xong", issued), await refusal("45/BC", issued),
            await refusal("12/BC-UBND", issued - timedelta(days=400)),
            await refusal("12/BC-UBND", issued - timedelta(days=1), "ab" * 32)] == [
        "BadDocumentNumber", "BadDocumentNumber", "BackdatedEvidence", "BackdatedEvidence"]
    assert await accepted_updates(handle) == 0
    # A free-text reference is enough when the document itself is attached.
    status = await handle.execute_update(OccurrenceWorkflow.complete, Complete(
        by="HL", principal=who("HL"), evidence=Evidence(
            number="Báo cáo gửi qua hệ thống", date=issued, file_sha256="ab" * 32,
            file_name="bao-cao.pdf", file_size=1200, file_kind="pdf")))
    assert status.state == "done_on_time"
    event = next(e for e in harness.recorder.events if e.type == "completed")
    assert event.details["evidence"]["file_sha256"] == "ab" * 32


async def test_whoever_asked_for_an_extension_cannot_decide_it(harness: Harness):
    due = CAL.add_working_days(await today(harness), 10)
    _, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    # One person heads the lead unit and is the task's responsible leader.
    both = Principal(account="pgd", name="pgd", grants=(
        Grant(role="unit_head", plan="thu", party="HL"),
        Grant(role="leader", plan="thu", party="pgd")))
    await handle.execute_update(OccurrenceWorkflow.request_extension, ExtensionRequest(
        by="", until=due + timedelta(days=20), reason="Chờ số liệu", principal=both))
    own = await refused(handle, OccurrenceWorkflow.approve_extension,
                        ActorReason(by="", reason="", principal=both))
    assert own.type == "OwnRequest"
    status = await handle.execute_update(OccurrenceWorkflow.approve_extension, ActorReason(
        by="", reason="Đồng ý", principal=who("bcd")))
    assert status.extensions[0].decided_by == "bcd"
    assert status.extensions[0].requested_by_account == "pgd"


async def test_pause_suspends_reminders_and_resume_skips_what_fell_due(harness: Harness):
    due = CAL.add_working_days(await today(harness), 12)
    item, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    await handle.execute_update(OccurrenceWorkflow.pause,
                                ActorReason(by="VP", principal=who("VP"), reason="Chờ hướng dẫn của Bộ Y tế"))
    await sleep_until(harness, item.occurrence.due - timedelta(days=2))
    assert harness.recorder.notices == []
    assert (await handle.query(OccurrenceWorkflow.status)).state == "paused"
    status = await handle.execute_update(OccurrenceWorkflow.resume,
                                         ActorReason(by="VP", principal=who("VP"), reason="Đã có hướng dẫn"))
    assert status.state == "due_soon"
    await sleep_until(harness, item.occurrence.due - timedelta(minutes=1))
    steps = [n.step for _, n in harness.recorder.notices]
    assert "reminder-7wd" not in steps and "reminder-3wd" not in steps
    assert steps[-1] == "reminder-0wd" or steps[-1] == "reminder-1wd"


async def test_cancel_closes_the_workflow_with_its_reason(harness: Harness):
    due = CAL.add_working_days(await today(harness), 12)
    _, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}")
    await handle.execute_update(OccurrenceWorkflow.cancel,
                                ActorReason(by="VP", principal=who("VP"), reason="Nhiệm vụ bị bãi bỏ"))
    result = await handle.result()
    assert result.state == "cancelled"
    event = next(e for e in harness.recorder.events if e.type == "cancelled")
    assert (event.actor, event.details["reason"]) == ("VP", "Nhiệm vụ bị bãi bỏ")


async def test_a_trigger_starts_the_clock_of_an_event_task(harness: Harness):
    _, handle = await one(harness, "Khi UBND tỉnh ban hành KH", extra="    when: ubnd-kh")
    await harness.env.sleep(timedelta(days=40))
    status = await handle.query(OccurrenceWorkflow.status)
    assert (status.state, status.due, harness.recorder.notices) == ("waiting_trigger", None, [])
    triggered_on = await today(harness)
    status = await handle.execute_update(OccurrenceWorkflow.trigger, Trigger(
        event="ubnd-kh", at=triggered_on, by="VP", principal=who("VP")))
    assert status.due.date() == triggered_on + timedelta(days=30)  # policy trigger_within
    await sleep_until(harness, status.due - timedelta(minutes=1))
    assert [n.step for _, n in harness.recorder.notices][-1] in ("reminder-0wd", "reminder-1wd")
    again = Trigger(event="ubnd-kh", at=triggered_on, by="VP", principal=who("VP"))
    assert "already triggered" in (await refused(handle, OccurrenceWorkflow.trigger, again)).message


async def test_a_late_start_sends_one_catch_up_notice_not_a_burst(harness: Harness):
    start = await today(harness)
    due = CAL.add_working_days(start, 2)  # 7 and 3 working days before are already past
    await one(harness, f"trước ngày {due:%d/%m/%Y}")
    await harness.env.sleep(timedelta(minutes=5))
    first = harness.recorder.notices
    assert len(first) <= 1
    if first:
        assert first[0][1].catch_up
    skipped = [e.details["step"] for e in harness.recorder.events if e.type == "reminder.skipped"]
    assert "reminder-7wd" in skipped


async def test_ongoing_tasks_ask_for_check_ins_and_flag_missed_ones(harness: Harness):
    start = await today(harness)
    item, handle = await one(harness, "Thường xuyên")
    checkins = schedule.checkins(item.occurrence, CAL, item.occurrence.years)
    upcoming = [c for c in checkins if c.at.date() >= start]
    await handle.execute_update(OccurrenceWorkflow.checkin, Checkin(
        by="HL", principal=who("HL"), note="Đã triển khai tại 13/13 trạm y tế"))
    await sleep_until(harness, upcoming[0].at + timedelta(minutes=1))
    status = await handle.query(OccurrenceWorkflow.status)
    assert status.state == "ongoing" and status.missed_checkins == []
    if len(upcoming) > 1:
        await sleep_until(harness, upcoming[1].at + timedelta(minutes=1))
        status = await handle.query(OccurrenceWorkflow.status)
        assert status.missed_checkins == [upcoming[1].name.removeprefix("checkin-")]
        assert status.state == "ongoing"  # never "overdue"


async def test_at_night_an_operations_notice_waits_for_the_end_of_quiet_hours(harness: Harness):
    now = (await harness.env.get_current_time()).astimezone(HCM)
    night = datetime.combine(now.date() + timedelta(days=1), time(22, 30), HCM)
    await sleep_until(harness, night)
    due = CAL.add_working_days(night.date(), 10)
    _, handle = await one(harness, f"trước ngày {due:%d/%m/%Y}", policy="")  # default policy
    status = await handle.execute_update(OccurrenceWorkflow.complete, Complete(
        by="HL", principal=who("HL"), evidence=Evidence(number="7/BC-TTYT", date=night.date())))
    assert status.state == "done_on_time"  # the Update does not wait for the morning
    await harness.env.sleep(timedelta(hours=2))
    assert not [n for _, n in harness.recorder.notices if n.kind == "completion"]
    await sleep_until(harness, datetime.combine(night.date() + timedelta(days=1), time(7, 1), HCM))
    sent = [at.astimezone(HCM) for at, n in harness.recorder.notices if n.kind == "completion"]
    assert len(sent) == 2 and all(at.time() >= time(7, 0) for at in sent)


async def test_a_step_due_at_night_goes_out_when_quiet_hours_end(harness: Harness):
    now = (await harness.env.get_current_time()).astimezone(HCM)
    night = datetime.combine(now.date() + timedelta(days=1), time(20, 0), HCM)
    await sleep_until(harness, night)
    due = night + timedelta(hours=3)  # 23:00: the exact reminders fall in the night
    policy = "policy:\n  reminders: [{before: PT1H}]\n  escalation: [{after: PT1H, to: leader}]"
    _, handle = await one(
        harness, f"trước {due:%H}h00 ngày {due:%d/%m/%Y}", policy=policy)
    await sleep_until(harness, datetime.combine(due.date() + timedelta(days=1), time(6, 59), HCM))
    assert harness.recorder.notices == []
    await sleep_until(harness, datetime.combine(due.date() + timedelta(days=1), time(7, 1), HCM))
    sent = [(n.step, n.catch_up, at.astimezone(HCM).time() >= time(7, 0))
            for at, n in harness.recorder.notices]
    # The 22:00 reminder is skipped; the morning brings the overdue notice and the escalation
    # once each, marked as catch-up notices since they stand in for what was skipped.
    assert sent == [("overdue-notice", True, True), ("overdue-notice-coordinating", True, True),
                    ("escalation-1", True, True)]
    skipped = [e.details["step"] for e in harness.recorder.events if e.type == "reminder.skipped"]
    assert skipped == ["reminder-PT1H", "reminder-PT1H-coordinating"]
    assert (await handle.query(OccurrenceWorkflow.status)).state == "overdue"


# A fixed working-day anchor for the clock: Monday 04/03/2030, weeks after the Tết holidays.
ANCHOR_DAY = date(2030, 3, 4)


async def test_two_months_late_the_whole_ladder_is_one_catch_up_in_the_morning(harness: Harness):
    """Started (or back from an outage) 53 days after the deadline and at night: nothing goes
    out in the quiet hours; at 07:00 each party gets one catch-up notice, the rungs missed in
    between are recorded as skipped, and the ladder, which has ended meanwhile, sends no more."""
    night = datetime.combine(ANCHOR_DAY - timedelta(days=1), time(22, 30), HCM)
    await pin_clock(harness, night)
    (item,) = occurrences(plan_text(tasks=task("trước ngày 10/01/2030"), year=2030,
                                    issued="02/01/2030"))  # the default policy
    handle = await harness.start(item)
    await sleep_until(harness, datetime.combine(ANCHOR_DAY, time(6, 59), HCM))
    assert harness.recorder.notices == []
    # Held: `status` and `history` say until when, and so does the HeldUntil search attribute.
    morning = datetime.combine(ANCHOR_DAY, time(7), HCM)
    assert (await handle.query(OccurrenceWorkflow.status)).held_until == morning
    (held,) = [e for e in harness.recorder.events if e.type == "notice.held"]
    (row,) = timeline_rows(held)
    assert row["note"] == "chờ đến 07:00 Thứ Hai, 04/03/2030"
    assert {"escalation-6", "escalation-final"} <= set(row["steps"])
    assert (await handle.describe()).typed_search_attributes.get(HELD_UNTIL) == morning
    await sleep_until(harness, datetime.combine(ANCHOR_DAY, time(7, 1), HCM))
    sent = [(n.step, n.to.role, n.to.party.id, n.catch_up) for _, n in harness.recorder.notices]
    # Two rungs then four repeats every 5 working days: the sixth rung is due by now, and with it
    # the office hears that the repeats have ended.
    assert sorted(sent) == [("escalation-6", "steering_committee", "bcd", True),
                            ("escalation-final", "office", "VP", True)]
    assert {(at.astimezone(HCM).date(), at.astimezone(HCM).hour)
            for at, _ in harness.recorder.notices} == {(ANCHOR_DAY, 7)}
    skipped = {e.details["step"] for e in harness.recorder.events if e.type == "reminder.skipped"}
    assert {"reminder-7wd", "overdue-notice", "escalation-1", "escalation-5"} <= skipped
    status = await handle.query(OccurrenceWorkflow.status)
    assert (status.state, status.escalation_level, status.next_step) == ("overdue", 6, None)
    assert status.held_until is None  # (the test server cannot describe an unset datetime)
    await harness.env.sleep(timedelta(days=30))
    assert len(harness.recorder.notices) == 2


async def test_a_long_history_continues_as_new_and_nobody_can_tell(harness: Harness):
    """With the history-length knob set low, an occurrence hands over to new runs
    on its way through reminders, the overdue mark, escalations and a completion; what people
    receive and what the audit log holds are those of a twin that never hands over."""
    start = await today(harness)
    due = CAL.add_working_days(start, 8)
    (item,) = occurrences(plan_text(tasks=task(f"trước ngày {due:%d/%m/%Y}"), year=start.year,
                                    issued=f"{start:%d/%m/%Y}", policy=ANY_HOUR))
    twin = await harness.start(item)
    short = await harness.start(item.model_copy(update={"max_history_length": 40}))
    await sleep_until(harness, datetime.combine(CAL.add_working_days(due, 12), time(12), HCM))
    done_on = (await harness.env.get_current_time()).astimezone(HCM).date()
    for started in (twin, short):
        latest = harness.client.get_workflow_handle(started.id)  # whichever run is current
        status = await latest.execute_update(OccurrenceWorkflow.complete, Complete(
            by="HL", principal=who("HL"), evidence=Evidence(number="5/BC-TTYT", date=done_on)))
        assert status.state == "done_late"
    await harness.env.sleep(timedelta(minutes=5))  # the loop sends the completion notices

    first_run = await harness.client.get_workflow_handle(
        short.id, run_id=short.first_execution_run_id).fetch_history()
    assert first_run.events[-1].event_type == \
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    latest = await harness.client.get_workflow_handle(short.id).describe()
    assert latest.run_id != short.first_execution_run_id
    latest = await harness.client.get_workflow_handle(twin.id).describe()
    assert latest.run_id == twin.first_execution_run_id

    def sent(workflow_id: str) -> list[tuple[str, str, str]]:
        return [(n.step, n.to.role, n.to.party.id) for (_, n), by in
                zip(harness.recorder.notices, harness.recorder.notice_senders, strict=True)
                if by == workflow_id]

    def recorded(workflow_id: str) -> list[tuple[str, str]]:
        return [(e.key, e.type) for e, by in
                zip(harness.recorder.events, harness.recorder.event_senders, strict=True)
                if by == workflow_id]

    assert sent(short.id) == sent(twin.id)
    steps = {step for step, _, _ in sent(short.id)}
    assert {"reminder-7wd", "overdue-notice", "escalation-1", "escalation-2"} <= steps
    assert any(step.startswith("completion-") for step in steps)
    assert recorded(short.id) == recorded(twin.id)
    keys = [key for key, _ in recorded(short.id)]
    assert len(keys) == len(set(keys))  # the count of audit rows carried over, none reused
