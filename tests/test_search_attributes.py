"""Visibility queries are built from ids only: every reference the seed plans produce passes,
anything that could change a query is refused before a query string exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from plans import schedule
from plans.validation import check_plan
from workflows.search_attributes import PLAN_ID, NotAnId, equals, led_by, workflow_id_is

ROOT = Path(__file__).parents[1]
HOSTILE = ["e2e' OR PlanId != '", "x'", "HL OR 1=1", "HL\nAND", "", "-HL", "a" * 65,
           "Hạ Long", "thu/T1' OR WorkflowId != 'x", "thu/T1/HL/extra/x"]


def test_every_reference_of_the_seed_plans_is_accepted():
    refs = []
    for path in sorted((ROOT / "definitions").glob("*-20*.yaml")):  # the plans, not calendar.yaml
        checked = check_plan(path.read_text("utf-8"), str(path))
        assert checked.ok
        for occ in schedule.expand(checked.value):
            refs.append(occ.ref)
            assert workflow_id_is(occ.ref) == f"WorkflowId = '{occ.ref}'"
            assert equals(PLAN_ID, occ.plan_id) == f"PlanId = '{occ.plan_id}'"
            for unit in occ.lead:
                assert led_by(unit) == f"(UnitIds = '{unit}' OR UnitId = '{unit}')"
    assert len(refs) > 100


@pytest.mark.parametrize("value", HOSTILE)
def test_a_value_that_is_not_an_id_never_enters_a_query(value: str):
    with pytest.raises(NotAnId) as refused:
        workflow_id_is(value)
    assert "\n" not in str(refused.value)
    if "/" not in value:
        with pytest.raises(NotAnId, match=r"^PlanId: .* is not an id"):
            equals(PLAN_ID, value)
        with pytest.raises(NotAnId):
            led_by(value)
