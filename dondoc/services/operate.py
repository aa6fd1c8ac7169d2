"""Operate on running occurrences through their workflows' Updates: complete, extend, approve,
pause, trigger ... The workflow's validator has the last word; its refusal becomes `Refused`."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from dondoc.services.identity import require
from dondoc.services.read import handle_for, waiting_for
from plans.access import Principal, Target
from storage.plans import LoadedOccurrences
from workflows.messages import Status, Trigger
from workflows.occurrence import OccurrenceWorkflow


class Refused(Exception):
    """An operation refused by the workflow's validator; `kind` says why (AlreadyDone ...)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind



async def operate(client: Client, ref: str, update: Any, argument: BaseModel) -> Status:
    """Send an Update; a validator's refusal becomes `Refused` with its kind."""
    handle = await handle_for(client, ref)
    try:
        result = await handle.execute_update(update, argument)
    except WorkflowUpdateFailedError as error:
        raise Refused(failure_message(error), failure_kind(error)) from None
    except RPCError as error:
        if "completed" in str(error).lower() or error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"{ref} is closed; nothing can change it now", "Closed") from None
        raise
    assert isinstance(result, Status)
    return result


def failure_kind(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.type or "Rejected" if isinstance(cause, ApplicationError) else "Rejected"


def failure_message(error: WorkflowUpdateFailedError) -> str:
    cause = error.cause
    return cause.message if isinstance(cause, ApplicationError) else str(cause or error)




async def trigger(client: Client, plan_id: str, event: str, *, at: date, principal: Principal,
                  kept: LoadedOccurrences | None = None) -> list[tuple[str, Status | Refused]]:
    """The event happened: start the clock of every occurrence waiting for it. Each one's new
    state, or why it refused (already triggered)."""
    require(principal, "trigger", Target(plan=plan_id))
    results: list[tuple[str, Status | Refused]] = []
    for ref in await waiting_for(client, plan_id, event, kept):
        try:
            results.append((ref, await operate(client, ref, OccurrenceWorkflow.trigger,
                                               Trigger(event=event, at=at,
                                                       by=principal.acting_for or "",
                                                       principal=principal))))
        except Refused as refusal:
            if refusal.kind != "AlreadyDone":
                raise
            results.append((ref, refusal))
    return results


def split_evidence(text: str) -> tuple[str, str | None]:
    """'số 123/BC-TTYT ngày 28/03/2025' -> ('123/BC-TTYT', '28/03/2025'): the document number,
    and the date written with it if there is one."""
    match = re.match(r"^\s*(?P<number>.+?)\s*(?:,|ngày)\s*(?P<date>\d{1,2}/\d{1,2}/\d{4})\s*$", text)
    number = re.sub(r"^(?:số|so)\s+", "", match.group("number") if match else text.strip(),
                    flags=re.IGNORECASE)
    return number, match.group("date") if match else None
