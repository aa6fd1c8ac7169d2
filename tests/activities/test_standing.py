"""Where each occurrence stands, kept by `record_event` with its audit row (SQLite and
PostgreSQL): what `status` reads, under the same authorization rule as Temporal's listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from activities.audit import AuditActivities
from dondoc.services.read import standing
from plans.access import Grant, Principal
from storage.audit import AuditLog
from storage.ledger import Ledger
from storage.standing import Standings
from workflows.messages import OccurrenceEvent, Standing
from workflows.search_attributes import NotAnId

T0 = datetime(2025, 3, 20, 1, 0, tzinfo=UTC)
DUE = datetime(2025, 3, 31, 16, 59, 59, tzinfo=UTC)
LISTED = {"title": "Báo cáo quý", "period": "2025-Q1", "kind": "recurring",
          "deadline_text": "trước ngày 31 hằng quý", "start": None, "lead": ["HL"],
          "coordinating": ["TT"], "leader": "pgd"}
AT_START = Standing(task="T1", units=["HL"], leader="pgd", state="scheduled", due=DUE,
                    escalation_level=0, listed=LISTED)
REF = "p/T1/HL@2025-Q1"
LIFE = [  # (event, where the occurrence stands after it), as the workflow records them
    ("started", {}),
    ("reminder.sent", {"state": "due_soon"}),
    ("overdue", {"state": "overdue"}),
    ("escalated", {"state": "overdue", "escalation_level": 1}),
    ("extension.approved", {"state": "due_soon", "escalation_level": 0,
                            "due": DUE + timedelta(days=10)}),
    ("completed", {"state": "done_on_time", "due": DUE + timedelta(days=10)}),
    ("closed", {"state": "done_on_time", "due": DUE + timedelta(days=10), "running": False}),
]


def event(seq: int, ref: str = REF, standing: Standing | None = AT_START) -> OccurrenceEvent:
    type, change = LIFE[seq - 1]
    return OccurrenceEvent(key=f"{ref}#{seq}", ref=ref, plan=ref.split("/")[0], type=type,
                           at=T0 + timedelta(days=seq), details={},
                           standing=standing.model_copy(update=change) if standing else None)


def office(plan: str = "p") -> Principal:
    return Principal(account="vp", name="VP", grants=(Grant(role="office", plan=plan),))


async def stands(standings: Standings, principal: Principal | None = None, **filters: str
                 ) -> list[tuple[str, str, int, bool]]:
    rows = await standing(standings, principal or office(), **filters) or []
    return [(r.ref, r.state, r.escalation_level, r.running) for r in rows]


async def test_the_row_follows_each_event_and_a_retry_or_a_late_one_moves_nothing(database_url):
    engine = Ledger.connect(database_url).engine
    standings, recorder = Standings(engine), AuditActivities(AuditLog(engine))
    seen = []
    for seq in range(1, len(LIFE) + 1):
        recorder.record_event(event(seq))
        seen.append((await stands(standings))[0])
    assert seen == [(REF, "scheduled", 0, True), (REF, "due_soon", 0, True),
                    (REF, "overdue", 0, True), (REF, "overdue", 1, True),
                    (REF, "due_soon", 0, True), (REF, "done_on_time", 0, True),
                    (REF, "done_on_time", 0, False)]
    recorder.record_event(event(3))  # a retried write: its audit row is there already
    engine_rows = await standing(standings, office())
    assert engine_rows is not None and engine_rows[0].due == DUE + timedelta(days=10)
    assert await stands(standings) == [(REF, "done_on_time", 0, False)]
    assert len(AuditLog(engine).events(ref=REF)) == len(LIFE)


def test_the_row_and_its_audit_row_commit_together(database_url):
    engine = Ledger.connect(database_url).engine
    audit = AuditLog(engine)

    def fails(_: object) -> None:
        raise RuntimeError("the worker dies before the commit")

    with pytest.raises(RuntimeError):
        audit.append(event(1), fails)
    assert audit.events(ref=REF) == []  # neither: the activity's retry writes both
    assert AuditActivities(audit).record_event(event(1)) is None
    assert [e.type for e in audit.events(ref=REF)] == ["started"]
    assert len(Standings(engine).read(plan="p")) == 1


async def test_a_loaded_row_gives_way_to_the_events_and_never_replaces_them(database_url):
    engine = Ledger.connect(database_url).engine
    standings = Standings(engine)
    assert standings.loaded([(REF, "p", AT_START), ("p/T2", "p", AT_START)]) == 2
    assert await stands(standings) == [(REF, "scheduled", 0, True),
                                       ("p/T2", "scheduled", 0, True)]
    AuditActivities(AuditLog(engine)).record_event(event(3))
    # Loading again, or a backfill from Temporal, adds only what has no row.
    assert standings.loaded([(REF, "p", AT_START), ("p/T3", "p", AT_START)]) == 1
    assert [r[:2] for r in await stands(standings)] == [
        (REF, "overdue"), ("p/T2", "scheduled"), ("p/T3", "scheduled")]


async def test_status_reads_whom_the_authorization_table_lets_read(database_url):
    engine = Ledger.connect(database_url).engine
    standings = Standings(engine)

    def at(units: list[str], leader: str | None = "pgd", **change: object) -> Standing:
        return AT_START.model_copy(update={"units": units, "leader": leader, **change})

    standings.loaded([("p/T1/HL", "p", at(["HL"])), ("p/T1/TT", "p", at(["TT"])),
                      ("p/T2", "p", at(["HL", "TT"], None, state="overdue")),
                      ("q/T1", "q", at(["HL"], "pgd"))])
    head = Principal(account="hl", name="HL", grants=(Grant(role="unit_head", plan="p",
                                                            party="HL"),))
    leader = Principal(account="pgd", name="PGĐ", grants=(Grant(role="leader", plan="*",
                                                                party="pgd"),))
    auditor = Principal(account="tt", name="TT", grants=(Grant(role="auditor"),))

    async def refs(principal: Principal, **filters: str) -> list[str]:
        return [r[0] for r in await stands(standings, principal, **filters)]

    assert await refs(head) == ["p/T1/HL", "p/T2"]  # its unit's, co-led ones too; not plan q's
    assert await refs(office("p")) == ["p/T1/HL", "p/T1/TT", "p/T2"]
    assert await refs(leader) == ["p/T1/HL", "p/T1/TT", "q/T1"]  # the tasks it answers for
    assert await refs(auditor) == ["p/T1/HL", "p/T1/TT", "p/T2", "q/T1"]
    assert await refs(auditor, unit="TT") == ["p/T1/TT", "p/T2"]
    assert await refs(auditor, plan="q") == ["q/T1"]
    assert await refs(auditor, state="overdue") == ["p/T2"]
    # Nothing kept for the question: Temporal's listing answers it instead.
    assert await standing(standings, auditor, plan="r") is None
    with pytest.raises(NotAnId, match="PlanId: \"p' OR PlanId != '\" is not an id"):
        await standing(standings, auditor, plan="p' OR PlanId != '")
