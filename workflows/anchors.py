"""The audit log's anchors in Temporal: a record of each plan's chain head that the owner of
dondoc's database cannot edit.

Once a day the anchor schedule starts `AnchorHeadsWorkflow`, whose activity reads each plan's
head and row count from the database and signals them to the long-running
`AuditAnchorsWorkflow` (`dondoc-audit-anchors`). That workflow's history, in Temporal's own
store, is the anchor: `dondoc audit verify` reads it (no worker needed) and names the anchor a
rewritten chain contradicts. The workflow continues as new now and then, carrying what it holds
in a compact form (every anchor of the last 62 days, then one a month per plan).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from plans.digest import Digest
    from workflows.activity_options import ACTIVITY_RETRY

ANCHORS_WORKFLOW_ID = "dondoc-audit-anchors"
ANCHOR_SCHEDULE = "dondoc-audit-anchor-heads"
KEEP_DAILY = timedelta(days=62)
SIGNALS_PER_RUN = 500


class Anchor(BaseModel):
    """Plan `plan` had `rows` audit rows, the last one hashing to `head`, at `at`."""

    model_config = ConfigDict(frozen=True)

    plan: str
    rows: int
    head: str
    at: datetime
    source: str = "temporal"  # or "digest"
    reference: str = ""  # where the anchor lives: a day, a digest's notice key


def compact(anchors: list[Anchor]) -> list[Anchor]:
    """Every anchor of the KEEP_DAILY before the newest, one a month per plan (its latest)
    before that: a rewrite of any row still contradicts the anchors after it."""
    keep: dict[tuple[str, str], Anchor] = {}
    newest = max((a.at for a in anchors), default=None)
    for anchor in sorted(anchors, key=lambda a: a.at):
        recent = newest is not None and newest - anchor.at < KEEP_DAILY
        slot = anchor.at.isoformat() if recent else f"{anchor.at:%Y-%m}"
        keep[(anchor.plan, slot)] = anchor
    return sorted(keep.values(), key=lambda a: (a.at, a.plan))


def anchor_line(digest: Digest) -> str:
    """The anchor a Steering Committee's digest carries, as `audit verify --digest` reads it."""
    return (f"dondoc-anchor: plan={digest.plan} rows={digest.audit_rows} "
            f"head={digest.audit_head} week={digest.week}")


ANCHOR_LINE = re.compile(r"dondoc-anchor: plan=(\S+) rows=(\d+) head=([0-9a-f]{64}) "
                         r"week=(\d{4})-W(\d{2})")


def anchors_in(text: str, source: str) -> list[Anchor]:
    """The anchors a received digest (its text, e.g. of a saved .eml) carries; once each,
    though the text and the HTML part both carry it."""
    found = dict.fromkeys(m.groups() for m in ANCHOR_LINE.finditer(text))
    return [Anchor(plan=plan, rows=int(rows), head=head,
                   at=datetime.fromisocalendar(int(year), int(week), 1),
                   source="digest", reference=f"{source} ({year}-W{week})")
            for plan, rows, head, year, week in found]


@workflow.defn(name="AuditAnchorsWorkflow")
class AuditAnchorsWorkflow:
    @workflow.init
    def __init__(self, carried: list[Anchor]) -> None:
        # Here, not in run: the start signal is handled before run begins.
        self.received = 0
        self.anchors: list[Anchor] = list(carried)

    @workflow.run
    async def run(self, carried: list[Anchor]) -> None:
        await workflow.wait_condition(
            lambda: self.received >= SIGNALS_PER_RUN
            or workflow.info().is_continue_as_new_suggested())
        workflow.continue_as_new(compact(self.anchors))

    @workflow.signal
    def record(self, anchors: list[Anchor]) -> None:
        self.received += 1
        self.anchors.extend(anchors)

    @workflow.query
    def latest(self) -> list[Anchor]:
        return self.anchors


@workflow.defn(name="AnchorHeadsWorkflow")
class AnchorHeadsWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            "anchor_heads", result_type=int,
            start_to_close_timeout=timedelta(minutes=10), retry_policy=ACTIVITY_RETRY)
