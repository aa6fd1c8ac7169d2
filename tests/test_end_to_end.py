"""End to end: the real Temporal dev server, `dondoc worker` as a subprocess, and the CLI as a
user types it, including a worker killed mid-plan and restarted with nothing lost or repeated."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError

from tests.stack import Stack

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.slow


def plan(due: datetime, *, second_task: bool = False, due_shift: timedelta = timedelta(0)) -> str:
    moved = due + due_shift

    def rule(at: datetime) -> str:
        return f'{{kind: before_date, date: {at:%Y-%m-%d}, time: "{at:%H:%M:%S}"}}'

    extra = f"""
  - id: T2
    source: Phụ lục I, dòng 2
    title: Báo cáo bổ sung
    lead: [HL, VP]
    deadline: {{text: "trước {moved:%H:%M} ngày {moved:%d/%m/%Y}", rule: {rule(moved + timedelta(hours=1))}}}
""" if second_task else ""
    return f"""\
plan:
  id: e2e
  number: 9/KH-E2E
  title: Kế hoạch kiểm thử đầu cuối
  issuer: Sở Y tế
  issued: {due:%d/%m/%Y}
  year: {due.year}
units:
  - {{id: VP, name: Văn phòng Sở Y tế, kind: department}}
  - {{id: HL, name: Trung tâm Y tế Hạ Long, kind: center}}
people:
  - {{id: pgd, name: Trần Văn B, title: Phó Giám đốc Sở}}
  - {{id: bcd, title: Ban Chỉ đạo, kind: committee}}
roles: {{office: VP, steering_committee: bcd, default_leader: pgd}}
policy:
  quiet_hours: null
  reminders: [{{before: PT40S}}, {{before: PT20S}}]
  escalation: [{{after: PT10S, to: leader}}]
  escalation_repeat: null
tasks:
  - id: T1
    source: Phụ lục I, dòng 1
    title: Báo cáo kết quả bệnh án điện tử
    lead: [HL]
    deadline: {{text: "trước {moved:%H:%M} ngày {moved:%d/%m/%Y}", rule: {rule(moved)}}}
{extra}"""


async def archived_histories(stack: Stack, workflow_id: str) -> list:  # type: ignore[type-arg]
    from storage.archive import HistoryArchive
    from storage.ledger import Ledger

    ledger = Ledger.connect(f"sqlite:///{stack.state / 'dondoc.db'}")
    return HistoryArchive(None, ledger.engine).archived(workflow_id)  # type: ignore[arg-type]


def await_replay(document: str) -> None:
    """An archived history still replays against the workflow code."""
    from temporalio.client import WorkflowHistory
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from workflows.occurrence import OccurrenceWorkflow

    replayer = Replayer(workflows=[OccurrenceWorkflow], data_converter=pydantic_data_converter)
    asyncio.run(replayer.replay_workflow(WorkflowHistory.from_json("archived", document)))


async def delete_from_temporal(address: str, workflow_id: str) -> None:
    """What retention does to closed runs: the workflow and its history are gone."""
    client = await Client.connect(address)
    await client.workflow_service.delete_workflow_execution(DeleteWorkflowExecutionRequest(
        namespace="default", workflow_execution=WorkflowExecution(workflow_id=workflow_id)))
    for _ in range(50):
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{workflow_id} was not deleted")


def test_a_plan_runs_end_to_end_through_a_worker_crash(stack: Stack, tmp_path: Path):
    due = datetime.now(HCM).replace(microsecond=0) + timedelta(seconds=75)
    plan_file = tmp_path / "e2e.yaml"
    plan_file.write_text(plan(due), "utf-8")

    # Before a worker runs, loading still starts the workflows; loading twice starts nothing.
    first = json.loads(stack.dondoc("load", str(plan_file), "--json").stdout)
    assert (first["started"], first["unchanged"] + first["exists"]) == (1, 0)
    again = stack.dondoc("load", str(plan_file))
    assert "0 started" in again.stdout and "already loaded" in again.stdout

    stack.start_worker()
    stack.wait_for(lambda: any(n["kind"] in ("reminder", "due_today") for n in stack.outbox()),
                   timeout=60, what="the first reminder")
    stack.kill_worker()  # mid-plan: the second reminder is due while no worker runs
    time.sleep(max(0.0, (due - timedelta(seconds=15) - datetime.now(HCM)).total_seconds()))
    stack.start_worker()
    stack.wait_for(lambda: any(n["kind"] == "escalation" for n in stack.outbox()),
                   timeout=90, what="the escalation to the leader")

    outbox = stack.outbox()
    assert all(count == 1 for count in Counter(n["key"] for n in outbox).values())
    reminders = sorted(str(n["key"]).split("/")[2] for n in outbox
                       if n["kind"] in ("reminder", "due_today"))
    # Both reminders went out once: the one due while no worker ran, when it came back.
    assert reminders == ["reminder-PT20S@" + reminders[0].split("@")[1],
                         "reminder-PT40S@" + reminders[0].split("@")[1]]
    assert [(n["kind"], n["to"]["id"]) for n in outbox if n["kind"] == "escalation"] == [
        ("escalation", "pgd")]

    # `status` shows the escalation once its audit row is written, just after the notice.
    stack.wait_for(lambda: [(r["ref"], r["state"], r["escalation_level"]) for r in json.loads(
        stack.dondoc("status", "--plan", "e2e", "--json").stdout)] == [("e2e/T1", "overdue", 1)],
        timeout=30, what="the escalation in status")

    done = stack.dondoc("complete", "e2e/T1", "--by", "HL", "--reason", "HL gửi bản giấy",
                        "--evidence", f"số 12/BC-TTYT ngày {datetime.now(HCM):%d/%m/%Y}")
    assert "hoàn thành" in done.stdout
    history = json.loads(stack.dondoc("history", "e2e/T1", "--json").stdout)
    types = [row["type"] for row in history]
    assert types[0] == "started" and "overdue" in types and "escalated" in types
    completed = next(row for row in history if row["type"] == "completed")
    assert completed["actor"] == "HL" and completed["evidence"]["number"] == "12/BC-TTYT"
    assert (completed["operator"], completed["acted_for"]) == ("admin", "HL")
    sent_rows = [r for r in history if r["type"] == "reminder.sent"]
    assert {r["recipient"] for r in sent_rows} == {"HL"} and all(
        r["channel"] == "outbox" for r in sent_rows)

    # A new version of the plan: the new task starts, the moved deadline reaches T1 ...
    plan_file.write_text(plan(due, second_task=True, due_shift=timedelta(hours=1)), "utf-8")
    changed = json.loads(stack.dondoc("load", str(plan_file), "--json").stdout)
    assert changed["occurrences"] == {"e2e/T1": "amended", "e2e/T2": "started"}
    # T2 is led by two units: each finds it (UnitIds); a --plan that is no id reaches no query.
    for unit in ("HL", "VP"):
        stack.wait_for(lambda unit=unit: "e2e/T2" in {r["ref"] for r in json.loads(stack.dondoc(
            "status", "--unit", unit, "--json").stdout)}, timeout=30, what=f"T2 for {unit}")
    hostile = stack.dondoc("status", "--plan", "e2e' OR PlanId != '", check=False)
    assert (hostile.returncode, hostile.stdout) == (2, "")
    assert hostile.stderr == "PlanId: \"e2e' OR PlanId != '\" is not an id (letters, digits, " \
                             "'_', '.', '-')\n"
    amended = [r for r in json.loads(stack.dondoc("history", "e2e/T1", "--json").stdout)
               if r["type"] == "amended"]
    assert {"due", "deadline_text"} <= set(amended[0]["changes"])
    assert (amended[0]["actor"], amended[0]["operator"]) == ("VP", "admin")
    # Every occurrence, or the first N and how many more: nothing is cut silently.
    stack.wait_for(lambda: len(json.loads(stack.dondoc("status", "--plan", "e2e", "--json")
                                          .stdout)) == 2, timeout=30, what="both in status")
    every = json.loads(stack.dondoc("status", "--plan", "e2e", "--json").stdout)
    first_only = stack.dondoc("status", "--plan", "e2e", "--json", "--limit", "1")
    assert json.loads(first_only.stdout) == every[:1]
    assert first_only.stderr == ("1 more occurrences not shown (--limit 1); --limit 2 shows "
                                 "them all\n")
    table = stack.dondoc("status", "--plan", "e2e").stdout.splitlines()
    assert table[0].split() == ["Mã", "(ref)", "Đơn", "vị", "Hạn", "Trạng", "thái", "Mức", "báo",
                                "cáo"]
    assert [line.split()[0] for line in table[1:3]] == [r["ref"] for r in every]
    assert table[-1] == "2 occurrences"
    # ... and going back to the first version cancels the task it does not have.
    plan_file.write_text(plan(due), "utf-8")
    back = json.loads(stack.dondoc("load", str(plan_file), "--json").stdout)
    assert back["occurrences"] == {"e2e/T1": "amended", "e2e/T2": "cancelled"}
    cancelled = next(r for r in json.loads(stack.dondoc("history", "e2e/T2", "--json").stdout)
                     if r["type"] == "cancelled")
    assert (cancelled["actor"], cancelled["reason"]) == ("VP", f"removed from plan e2e (version "
                                                                f"{back['version']})")

    # Auditors, after Temporal has deleted the runs (retention): the log still answers.
    assert "audit log intact" in stack.dondoc("audit", "verify", "--plan", "e2e").stdout
    exported = json.loads(stack.dondoc("audit", "export", "--plan", "e2e", "--format",
                                       "json").stdout)
    loads = [r["details"] for r in exported if r["type"] == "plan.loaded"]
    # Every load after the worker started, each with its file's SHA-256 (the very first run
    # was replaced by the second load before a worker could record it).
    assert [d["version"] for d in loads] == [first["version"], changed["version"],
                                             first["version"]]
    assert all(len(d["file_sha256"]) == 64 and d["operator"] == "admin" for d in loads)
    assert [d["previous_version"] for d in loads[1:]] == [first["version"], changed["version"]]
    assert "archived" in stack.dondoc("audit", "archive").stdout
    archived = asyncio.run(archived_histories(stack, "e2e/T2"))
    assert archived and archived[0].workflow_type == "OccurrenceWorkflow"
    await_replay(archived[0].history)
    before = json.loads(stack.dondoc("history", "e2e/T1", "--json").stdout)
    asyncio.run(delete_from_temporal(stack.server.address, "e2e/T1"))
    after = json.loads(stack.dondoc("history", "e2e/T1", "--json").stdout)
    assert after == before and any(r["type"] == "completed" for r in after)

    unknown = stack.dondoc("complete", "e2e/T9", "--by", "HL", "--reason", "x", "--evidence",
                           "1/BC-TTYT", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr == "no occurrence 'e2e/T9'; closest: e2e/T2\n"  # T1 was deleted
    assert "Traceback" not in unknown.stderr


def test_status_from_the_database_lists_what_temporal_lists_and_a_backfill_fills_it(
        stack: Stack, tmp_path: Path):
    from sqlalchemy import create_engine, text

    plan_file = tmp_path / "e2e.yaml"
    plan_file.write_text(plan(datetime.now(HCM).replace(microsecond=0) + timedelta(days=30),
                              second_task=True), "utf-8")
    stack.dondoc("load", str(plan_file))  # no worker: the rows are the ones load keeps

    def status(*args: str) -> list[dict[str, object]]:
        return json.loads(stack.dondoc("status", "--json", *args).stdout)  # type: ignore[no-any-return]

    kept = status("--plan", "e2e")
    assert [(r["ref"], r["unit"], r["state"], r["running"]) for r in kept] == [
        ("e2e/T1", "HL", "scheduled", True), ("e2e/T2", "HL,VP", "scheduled", True)]
    assert [r["ref"] for r in status("--unit", "VP")] == ["e2e/T2"]
    # Temporal out of reach: the database still answers.
    stack.env["DONDOC_TEMPORAL_ADDRESS"], address = "127.0.0.1:9", stack.env[
        "DONDOC_TEMPORAL_ADDRESS"]
    assert status("--plan", "e2e") == kept
    stack.env["DONDOC_TEMPORAL_ADDRESS"] = address

    # A database upgraded from a dondoc that did not keep the rows: Temporal's listing answers,
    # the same rows; `db backfill-status` fills the database once.
    engine = create_engine(f"sqlite:///{stack.state / 'dondoc.db'}")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM occurrence_status"))
    stack.wait_for(lambda: len(status("--plan", "e2e")) == 2, timeout=30,
                   what="Temporal's listing of both")
    assert status("--plan", "e2e") == kept
    assert stack.dondoc("db", "backfill-status").stdout == (
        "2 occurrences in Temporal, 2 rows added\n")
    assert stack.dondoc("db", "backfill-status").stdout == (
        "2 occurrences in Temporal, 0 rows added\n")
    stack.env["DONDOC_TEMPORAL_ADDRESS"] = "127.0.0.1:9"
    assert status("--plan", "e2e") == kept
