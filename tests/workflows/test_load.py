"""Loading plans on the time-skipping server: idempotent reloads, new versions as a diff, and
a year of quarterly reports."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from dondoc.files import Loaded
from dondoc.services import load as loading
from plans.calendar import WorkingCalendar
from plans.validation import check_plan
from tests.plans.factory import plan_text
from tests.workflows.conftest import Harness, who
from workflows.messages import Complete, Evidence, Status
from workflows.occurrence import OccurrenceWorkflow
from workflows.plan import plan_workflow_id

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ANY_HOUR = "policy: {quiet_hours: null}"


def loaded(text: str) -> Loaded:
    checked = check_plan(text, "kh.yaml")
    assert checked.ok, [str(p) for p in checked.problems]
    plan = checked.value
    return Loaded(plan, WorkingCalendar.vietnam(range(plan.plan.year, plan.plan.year + 3)), None,
                  [], text)


def tasks(*items: tuple[str, str]) -> str:
    return "".join(f"""
  - id: {task_id}
    title: Nhiệm vụ {task_id}
    source: Phụ lục I
    lead: [VP]
    deadline: "{deadline}"
""" for task_id, deadline in items)


async def load(h: Harness, text: str) -> loading.LoadSummary:
    now = await h.env.get_current_time()
    summary = await loading.load(h.client, loaded(text), task_queue=h.task_queue, now=now,
                                 principal=who("VP", plan="*"))
    h.started += [h.client.get_workflow_handle(ref) for ref, o in summary.outcomes.items()
                  if o == "started"] + [h.client.get_workflow_handle(plan_workflow_id(summary.plan))]
    return summary


async def status(h: Harness, ref: str) -> Status:
    return await h.client.get_workflow_handle(ref).query(OccurrenceWorkflow.status)


async def test_reloading_starts_nothing_and_a_new_version_applies_the_difference(harness: Harness):
    today = (await harness.env.get_current_time()).astimezone(HCM).date()
    year = today.year + 1
    first = plan_text(plan_id="nap", year=year, issued=f"{today:%d/%m/%Y}", policy=ANY_HOUR,
                      tasks=tasks(
        ("T1", f"Quý I/{year}"), ("T2", f"Quý II/{year}"), ("T3", f"Quý III/{year}")))
    summary = await load(harness, first)
    assert summary.outcomes == {"nap/T1": "started", "nap/T2": "started", "nap/T3": "started"}

    again = await load(harness, first)
    assert again.outcomes == {"nap/T1": "unchanged", "nap/T2": "unchanged", "nap/T3": "unchanged"}

    second = plan_text(plan_id="nap", year=year, issued=f"{today:%d/%m/%Y}", policy=ANY_HOUR,
                       tasks=tasks(
        ("T1", f"Quý II/{year}"), ("T2", f"Quý II/{year}"), ("T4", f"Năm {year}")))
    changed = await load(harness, second)
    assert changed.outcomes == {"nap/T1": "amended", "nap/T2": "unchanged",
                                "nap/T4": "started", "nap/T3": "cancelled"}
    assert (await status(harness, "nap/T1")).due.date() == date(year, 6, 30)
    loads = [e for e in harness.recorder.events if e.type == "plan.loaded"]
    assert {(e.actor, e.details["operator"]) for e in loads} == {("VP", "vp")}
    amended = next(e for e in harness.recorder.events if e.type == "amended")
    assert (amended.ref, amended.actor, amended.details["operator"]) == ("nap/T1", "VP", "vp")
    cancelled = await harness.client.get_workflow_handle("nap/T3", result_type=Status).result()
    assert cancelled.state == "cancelled"
    event = next(e for e in harness.recorder.events if e.type == "cancelled")
    assert (event.actor, event.details["reason"]) == (
        "VP", f"removed from plan nap (version {changed.version})")
    assert (await load(harness, second)).outcomes == {
        "nap/T1": "unchanged", "nap/T2": "unchanged", "nap/T4": "unchanged"}


async def test_a_year_of_quarterly_reports(harness: Harness):
    today = (await harness.env.get_current_time()).astimezone(HCM).date()
    year = today.year + 1
    text = plan_text(plan_id="quy", year=year, issued=f"{today:%d/%m/%Y}", policy=ANY_HOUR,
                     tasks="""
  - id: BC-QUY
    title: Báo cáo quý
    source: Mục IV.8
    for_each: {group: dia-phuong}
    deadline: định kỳ hằng quý trước ngày 30 của tháng 03, 06, 09 và trước ngày 15 của tháng 12
""")
    summary = await load(harness, text)
    refs = sorted(summary.outcomes)
    assert refs == sorted(f"quy/BC-QUY/{u}@{year}-Q{q}" for u in ("HL", "CP") for q in range(1, 5))
    # Hạ Long reports every quarter a few days early; Cẩm Phả never does.
    for quarter, due in enumerate([date(year, 3, 30), date(year, 6, 30), date(year, 9, 30),
                                   date(year, 12, 15)], start=1):
        report_day = due - timedelta(days=3)
        now = (await harness.env.get_current_time()).astimezone(HCM).date()
        await harness.env.sleep(timedelta(days=(report_day - now).days))
        await harness.client.get_workflow_handle(f"quy/BC-QUY/HL@{year}-Q{quarter}").execute_update(
            OccurrenceWorkflow.complete,
            Complete(by="HL", principal=who("HL", plan="quy"),
                     evidence=Evidence(number=f"{quarter}/BC-TTYT", date=report_day)))
    await harness.env.sleep(timedelta(days=20))
    states = {ref: (await status(harness, ref)).state for ref in refs}
    assert {s for r, s in states.items() if "/HL@" in r} == {"done_on_time"}
    assert {s for r, s in states.items() if "/CP@" in r} == {"overdue"}
    sent = [(n.ref, n.step) for _, n in harness.recorder.notices]
    for quarter in range(1, 5):
        ref = f"quy/BC-QUY/CP@{year}-Q{quarter}"
        assert (ref, "reminder-7wd") in sent and (ref, "escalation-1") in sent
    assert sum(1 for ref, step in sent if step.startswith("escalation")) >= 4 * 2


def test_a_start_input_names_only_its_own_parties_however_many_units_the_plan_has():
    """A task given to each of 300 commune stations: each station's input names that station,
    the responsible leader, the Steering Committee and the office, not the other 299, so its
    size does not grow with the plan."""
    units = "".join(f"  - {{id: X{i:03d}, name: Trạm Y tế xã số {i}, kind: center, "
                    "groups: [xa]}\n" for i in range(300))
    text = f"""\
plan: {{id: xa, title: Kế hoạch tiêm chủng, issuer: Sở Y tế, year: 2025}}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
{units}groups:
  - {{id: xa, name: Các trạm y tế xã}}
people:
  - {{id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
tasks:
  - id: T1
    title: Báo cáo số liệu tiêm chủng
    source: Phụ lục I
    for_each: {{group: xa}}
    coordinating: [VP]
    deadline: "trước ngày 30/06/2025"
"""
    items = loading.inputs(loaded(text))
    assert len(items) == 300
    station = next(i for i in items if i.occurrence.ref == "xa/T1/X007")
    assert {pid: p.name for pid, p in station.plan.parties.items()} == {
        "X007": "Trạm Y tế xã số 7", "VP": "Văn phòng Sở Y tế",
        "pgd": "Trần Văn B - Phó Giám đốc Sở",
        "bcd": "Ban Chỉ đạo"}
    assert (station.plan.office, station.plan.steering_committee) == ("VP", "bcd")
    assert max(len(i.model_dump_json()) for i in items) < 4_000


async def test_the_plans_record_keeps_its_occurrences_in_dondocs_database(
        harness: Harness, database_url: str):
    """The plan's workflow holds a hash, not a map that grows 43 bytes per occurrence; a new
    version still applies as the exact difference, read back from the database."""
    from sqlalchemy import create_engine

    from storage.plans import LoadedOccurrences
    from workflows.plan import plan_record

    kept = LoadedOccurrences(create_engine(database_url))
    today = (await harness.env.get_current_time()).astimezone(HCM).date()
    year = today.year + 1
    now = await harness.env.get_current_time()

    async def load_kept(text: str) -> loading.LoadSummary:
        summary = await loading.load(harness.client, loaded(text), task_queue=harness.task_queue,
                                     now=now, principal=who("VP", plan="*"), kept=kept)
        harness.started += [harness.client.get_workflow_handle(ref)
                            for ref, o in summary.outcomes.items() if o == "started"]
        harness.started.append(harness.client.get_workflow_handle(plan_workflow_id("so")))
        return summary

    first = plan_text(plan_id="so", year=year, issued=f"{today:%d/%m/%Y}", policy=ANY_HOUR,
                      tasks=tasks(*((f"T{i}", f"Quý I/{year}") for i in range(40))))
    assert set((await load_kept(first)).outcomes.values()) == {"started"}
    record = await plan_record(harness.client, "so")
    assert record is not None and (record.occurrences, record.occurrence_count) == ({}, 40)
    assert record.occurrences_sha256 is not None
    assert len(kept.read(record.occurrences_sha256)[0]) == 40

    second = plan_text(plan_id="so", year=year, issued=f"{today:%d/%m/%Y}", policy=ANY_HOUR,
                       tasks=tasks(*((f"T{i}", f"Quý I/{year}") for i in range(1, 40)),
                                   ("T0", f"Quý II/{year}"), ("T40", f"Năm {year}")))
    changed = await load_kept(second)
    assert {ref: o for ref, o in changed.outcomes.items() if o != "unchanged"} == {
        "so/T0": "amended", "so/T40": "started"}
