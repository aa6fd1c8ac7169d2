"""The search attributes of occurrence workflows: what `status`, the digest and an operator's
`temporal workflow list --query` filter on. `dondoc dev` and the deployment register them."""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey

PLAN_ID = SearchAttributeKey.for_keyword("PlanId")
TASK_ID = SearchAttributeKey.for_keyword("TaskId")
UNIT_ID = SearchAttributeKey.for_keyword("UnitId")
LEADER_ID = SearchAttributeKey.for_keyword("LeaderId")
OCCURRENCE_STATE = SearchAttributeKey.for_keyword("OccurrenceState")
WAITS_FOR = SearchAttributeKey.for_keyword("WaitsFor")
SPEC_HASH = SearchAttributeKey.for_keyword("SpecHash")
DUE_AT = SearchAttributeKey.for_datetime("DueAt")
ESCALATION_LEVEL = SearchAttributeKey.for_int("EscalationLevel")
SEARCH_ATTRIBUTES: list[SearchAttributeKey[Any]] = [
    PLAN_ID, TASK_ID, UNIT_ID, LEADER_ID, OCCURRENCE_STATE, WAITS_FOR, SPEC_HASH, DUE_AT,
    ESCALATION_LEVEL]
