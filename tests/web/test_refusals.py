"""Every refusal of the occurrence workflow's validators reaches a page in Vietnamese."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dondoc.services.operate import Refused
from dondoc.services.work import Work
from dondoc.web.refusals import PLAIN, vietnamese
from plans.access import Target

WORKFLOW = Path(__file__).parents[2] / "workflows" / "occurrence.py"
ITEM = Work(ref="web/KH", plan_id="web", plan_number=None, plan_title="Kế hoạch", title="Việc",
            period=None, kind="deadline", deadline_text="", start=None, lead=[],
            coordinating=[], leader=None, names={}, state="scheduled",
            due=datetime(2025, 4, 30, 23, 59, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
            target=Target(plan="web"))


def codes() -> set[str]:
    """The codes the validators refuse with: `Rejected(message, "Code")`."""
    found = set()
    for node in ast.walk(ast.parse(WORKFLOW.read_text("utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Rejected" \
                and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
            found.add(node.args[1].value)
    return found


def test_every_code_a_validator_refuses_with_has_vietnamese_words() -> None:
    # AlreadyDone: a no-op the page says so; NoIdentity: the 403 page.
    handled = set(PLAIN) | {"NotAfterDeadline", "AlreadyDone", "NoIdentity"}
    assert codes() and codes() <= handled


def test_a_date_not_after_the_deadline_is_said_with_both_dates() -> None:
    refused = Refused("the new date 20/04/2025 is not after the current deadline 30/04/2025",
                      "NotAfterDeadline")
    assert vietnamese(refused, ITEM, {"until": "20/04/2025"}) == (
        "Ngày đề nghị gia hạn (20/04/2025) phải sau thời hạn hiện tại (30/04/2025).")


def test_a_refusal_without_words_yet_is_still_a_vietnamese_sentence() -> None:
    said = vietnamese(Refused("web/KH: something new", "Rejected"), ITEM, {})
    assert said == "Hệ thống không ghi nhận thao tác này (web/KH: something new)."
    said = vietnamese(Refused("ngày văn bản 01/01/2099 ở tương lai", "FutureEvidence"), ITEM, {})
    assert said == "Ngày văn bản 01/01/2099 ở tương lai."
