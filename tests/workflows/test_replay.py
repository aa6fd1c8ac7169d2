"""Saved histories replay against the current workflow code, so a change that would break the
workflows already running fails here, not in production. After a deliberate, patched change,
add a set with `DONDOC_SAVE_HISTORIES=<label> pytest tests/workflows` and keep the older sets:
they are the histories of workflows that run the old paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.occurrence import OccurrenceWorkflow
from workflows.plan import PlanWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*/*.json"))


def test_histories_were_saved():
    assert len(HISTORIES) >= 10, "run DONDOC_SAVE_HISTORIES=<label> pytest tests/workflows"


@pytest.mark.parametrize("path", HISTORIES, ids=[f"{p.parent.name}/{p.stem}" for p in HISTORIES])
async def test_saved_history_replays(path: Path):
    replayer = Replayer(workflows=[OccurrenceWorkflow, PlanWorkflow],
                        data_converter=pydantic_data_converter)
    history = WorkflowHistory.from_json(path.stem, path.read_text("utf-8"))
    await replayer.replay_workflow(history)


def test_amendments_replay_with_and_without_the_office_account():
    """v4 holds an amendment from before `signed-amendments` (no account), v5 the office's
    signed ones; both replay above, and v5's name the account that loaded the version."""
    from temporalio.api.enums.v1 import EventType

    def amendments(label: str) -> list[dict[str, object]]:
        found = []
        for path in (p for p in HISTORIES if p.parent.name == label):
            history = WorkflowHistory.from_json(path.stem, path.read_text("utf-8"))
            for event in history.events:
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                    request = (event.workflow_execution_update_accepted_event_attributes
                               .accepted_request)
                    if request.input.name == "amend":
                        found += pydantic_data_converter.payload_converter.from_payloads(
                            request.input.args.payloads, [dict])
        return found

    assert [a.get("principal") for a in amendments("v4-amend-unsigned")] == [None]
    signed = amendments("v5-signed-amendments")
    assert len(signed) == 2
    assert {a["principal"]["account"] for a in signed} == {"vp"}  # type: ignore[index]


def test_plan_records_name_the_account_that_loaded_them():
    """v7: each load's record names the office account (its `plan.loaded` row shows it); the
    older records, without one, replay above unchanged."""
    from workflows.messages import PlanRecord

    saved = [p for p in HISTORIES if p.parent.name == "v7-loaded-by"]
    assert saved
    for path in saved:
        history = WorkflowHistory.from_json(path.stem, path.read_text("utf-8"))
        started = history.events[0].workflow_execution_started_event_attributes
        (record,) = pydantic_data_converter.payload_converter.from_payloads(
            started.input.payloads, [PlanRecord])
        assert record.loaded_by == "vp"


def test_the_newest_histories_carry_the_principal_of_each_operation():
    """The v3 set guards the `principals` patch: every accepted Update names its account, and
    v1/v2 (no principals) replay beside it above."""
    from temporalio.api.enums.v1 import EventType

    from plans.access import Principal

    saved = [p for p in HISTORIES if p.parent.name == "v3-principals"]
    assert saved
    accounts = set()
    for path in saved:
        history = WorkflowHistory.from_json(path.stem, path.read_text("utf-8"))
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                request = event.workflow_execution_update_accepted_event_attributes.accepted_request
                (argument,) = pydantic_data_converter.payload_converter.from_payloads(
                    request.input.args.payloads, [dict])
                if request.input.name == "amend":  # the office's load, checked before it
                    continue
                accounts.add(Principal.model_validate(argument["principal"]).account)
    assert {"hl", "vp", "pgd"} <= accounts
