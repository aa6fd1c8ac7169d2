"""The difference between the loaded version of a plan and a new one: what `dondoc load` and
the office's preview both read."""

from __future__ import annotations

from plans.difference import changes, difference
from plans.schedule import expand
from plans.validation import check_plan
from tests.plans.factory import plan_text


def occurrences(tasks: str) -> dict:
    checked = check_plan(plan_text(tasks=tasks), "thu.yaml")
    assert checked.ok and checked.value is not None, checked.problems
    return {o.ref: o for o in expand(checked.value)}


REPORT = """\
  - id: BC
    source: Mục 1
    title: Báo cáo kết quả
    lead: [HL]
    deadline: trước ngày {day}
"""
PLAN = """\
  - id: KH
    source: Mục 2
    title: Xây dựng kế hoạch
    lead: [{lead}]
    deadline: Quý II/2025
"""


def test_added_changed_cancelled_and_unchanged_by_their_hashes():
    diff = difference({"p/A": "1", "p/B": "2", "p/C": "3"}, {"p/B": "2", "p/C": "9", "p/D": "4"})
    assert (diff.added, diff.changed, diff.cancelled, diff.unchanged) == (
        ("p/D",), ("p/C",), ("p/A",), ("p/B",))
    assert not diff.empty
    assert difference({"p/A": "1"}, {"p/A": "1"}).empty
    assert difference({}, {"p/A": "1"}).added == ("p/A",)  # never loaded: everything is new


def test_changes_name_each_field_with_its_old_and_new_value():
    before = occurrences(REPORT.format(day="30/04/2025") + PLAN.format(lead="HL"))
    after = occurrences(REPORT.format(day="15/05/2025") + PLAN.format(lead="CP"))
    moved = changes(before["thu/BC"], after["thu/BC"])
    assert set(moved) == {"due", "deadline_text"}
    assert moved["deadline_text"] == {"from": "trước ngày 30/04/2025",
                                      "to": "trước ngày 15/05/2025"}
    assert moved["due"]["from"].startswith("2025-04-30") and \
        moved["due"]["to"].startswith("2025-05-15")
    assert changes(before["thu/KH"], after["thu/KH"]) == {"lead": {"from": ["HL"], "to": ["CP"]}}
    assert changes(before["thu/KH"], before["thu/KH"]) == {}
