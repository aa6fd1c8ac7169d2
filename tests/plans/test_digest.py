"""The weekly digest's grouping: per leader and per Steering Committee, by section."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plans.digest import DigestItem, digests

MONDAY = datetime(2025, 3, 31, tzinfo=UTC)


def item(ref: str, state: str, due_days: int | None, leader: str = "pgd", plan: str = "p",
         **extra: object) -> DigestItem:
    return DigestItem(ref=ref, plan=plan, task=ref.split("/")[1], unit=ref.split("/")[-1],
                      leader=leader, due=MONDAY + timedelta(days=due_days) if due_days is not None
                      else None, state=state, **extra)  # type: ignore[arg-type]


def test_each_leader_and_the_committee_get_their_own_sections():
    items = [
        item("p/T1/HL", "due_soon", 3),
        item("p/T2/CP", "overdue", -10, escalation_level=2),
        item("p/T3/HL", "scheduled", 30),  # not this week
        item("p/T4/CP", "done_late", -20, leader="pgd2", closed_at=MONDAY - timedelta(days=2)),
        item("p/T5/CP", "done_on_time", -1, leader="pgd2", closed_at=MONDAY - timedelta(days=2)),
    ]
    out = {(d.role, d.recipient): d for d in digests(items, week_start=MONDAY,
                                                   steering_committees={"p": "bcd"})}
    assert set(out) == {("leader", "pgd"), ("leader", "pgd2"), ("steering_committee", "bcd")}
    mine = out[("leader", "pgd")]
    assert ([i.ref for i in mine.due_this_week], [i.ref for i in mine.overdue], mine.done_late) == (
        ["p/T1/HL"], ["p/T2/CP"], [])
    assert [i.ref for i in out[("leader", "pgd2")].done_late] == ["p/T4/CP"]
    committee = out[("steering_committee", "bcd")]
    assert (len(committee.due_this_week), len(committee.overdue), len(committee.done_late)) == (
        1, 1, 1)
    assert committee.week == "2025-W14"


def test_nothing_to_report_sends_nothing():
    assert digests([item("p/T3/HL", "scheduled", 30), item("p/T5/HL", "done_on_time", -1)],
                   week_start=MONDAY, steering_committees={"p": "bcd"}) == []
