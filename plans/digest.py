"""The weekly digest: for each responsible leader, and for the Steering Committee of each plan,
what falls due this week, what is overdue and what was done late, by unit. Pure: the caller
gives the occurrences as they stand and the instant the week starts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

DigestAudience = Literal["leader", "steering_committee"]


class DigestItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    ref: str
    plan: str
    task: str
    unit: str | None
    leader: str | None
    due: datetime | None
    state: str
    escalation_level: int = 0
    closed_at: datetime | None = None


class Digest(BaseModel):
    model_config = ConfigDict(frozen=True)

    plan: str
    week: str  # ISO week, "2025-W14": part of the notice key, so each is sent once
    role: DigestAudience
    recipient: str  # person id
    due_this_week: list[DigestItem]
    overdue: list[DigestItem]
    done_late: list[DigestItem]
    # The plan's audit chain as the committee's copy anchors it (activities/digest.py).
    audit_rows: int = 0
    audit_head: str = ""

    @property
    def empty(self) -> bool:
        return not (self.due_this_week or self.overdue or self.done_late)


def _sections(items: list[DigestItem], start: datetime) -> dict[str, list[DigestItem]]:
    end = start + timedelta(days=7)

    def order(item: DigestItem) -> tuple[str, datetime, str]:
        return (item.unit or "", item.due or start, item.ref)

    return {
        "due_this_week": sorted((i for i in items if i.due and start <= i.due < end
                                 and i.state in ("scheduled", "due_soon")), key=order),
        "overdue": sorted((i for i in items if i.state == "overdue"), key=order),
        "done_late": sorted((i for i in items if i.state == "done_late"
                             and i.closed_at is not None and i.closed_at >= start - timedelta(
                                 days=7)), key=order),
    }


def digests(items: list[DigestItem], *, week_start: datetime,
            steering_committees: dict[str, str]) -> list[Digest]:
    """One digest per (plan, leader) and per plan's Steering Committee, empty ones left out.
    `steering_committees` maps each plan id to its committee's person id."""
    week = f"{week_start.isocalendar().year}-W{week_start.isocalendar().week:02d}"
    out = []
    by_plan: dict[str, list[DigestItem]] = {}
    for item in items:
        by_plan.setdefault(item.plan, []).append(item)
    for plan, plan_items in sorted(by_plan.items()):
        leaders = sorted({i.leader for i in plan_items if i.leader})
        audiences: list[tuple[DigestAudience, str, list[DigestItem]]] = [
            ("leader", leader, [i for i in plan_items if i.leader == leader]) for leader in leaders]
        if plan in steering_committees:
            audiences.append(("steering_committee", steering_committees[plan], plan_items))
        for role, recipient, mine in audiences:
            digest = Digest(plan=plan, week=week, role=role, recipient=recipient,
                            **_sections(mine, week_start))
            if not digest.empty:
                out.append(digest)
    return out
