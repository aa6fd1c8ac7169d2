"""The search attributes of occurrence workflows: what `status`, the digest and an operator's
`temporal workflow list --query` filter on. `dondoc dev` and the deployment register them."""

from __future__ import annotations

import re
from typing import Any

from temporalio.common import SearchAttributeKey

from workflows.ids import REF, NotAnId, is_id, require_id

__all__ = ["NotAnId", "equals", "is_id", "led_by", "workflow_id_is"]

PLAN_ID = SearchAttributeKey.for_keyword("PlanId")
TASK_ID = SearchAttributeKey.for_keyword("TaskId")
UNIT_ID = SearchAttributeKey.for_keyword("UnitId")  # the lead units joined by ",": as loaded before
UNIT_IDS = SearchAttributeKey.for_keyword_list("UnitIds")  # every lead unit: co-led tasks found
LEADER_ID = SearchAttributeKey.for_keyword("LeaderId")
OCCURRENCE_STATE = SearchAttributeKey.for_keyword("OccurrenceState")
WAITS_FOR = SearchAttributeKey.for_keyword("WaitsFor")
SPEC_HASH = SearchAttributeKey.for_keyword("SpecHash")
DUE_AT = SearchAttributeKey.for_datetime("DueAt")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
HELD_UNTIL = SearchAttributeKey.for_datetime("HeldUntil")  # notices wait for quiet hours to end
SEARCH_ATTRIBUTES: list[SearchAttributeKey[Any]] = [
    PLAN_ID, TASK_ID, UNIT_ID, UNIT_IDS, LEADER_ID, OCCURRENCE_STATE, WAITS_FOR, SPEC_HASH, DUE_AT,
    ESCALATION_LEVEL, HELD_UNTIL]



def equals(key: SearchAttributeKey[Any], value: str) -> str:
    """`Key = 'value'`, for an id (checked before the query is built: no quote or keyword in a
    value can change what it asks); for a keyword list, 'value' is one of its items."""
    return f"{key.name} = '{require_id(key.name, value)}'"


def led_by(unit: str) -> str:
    """Occurrences the unit leads, alone or with others (`UnitId`: those loaded before
    `UnitIds` existed, which have only the joined value)."""
    return f"({equals(UNIT_IDS, unit)} OR {equals(UNIT_ID, unit)})"


def workflow_id_is(ref: str) -> str:
    if re.fullmatch(REF, ref) is None:
        raise NotAnId(f"{ref!r} is not an occurrence reference (PLAN/TASK[/UNIT][@PERIOD])")
    return f"WorkflowId = '{ref}'"
