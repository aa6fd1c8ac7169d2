"""Where each occurrence stands, one row per occurrence in dondoc's database: what `status` and
the people's lists read, instead of Temporal's visibility listing (about 1 ms a row on the dev
server: seconds for a province's plan).

The row is written by the `record_event` activity in the transaction that appends the event's
audit row, from the workflow's state carried with the event (`Standing`): it is exactly as
durable and as current as the audit log. A worker killed before the commit leaves neither; the
activity's retry writes both. `load` adds the row of each occurrence it starts (its state at
start), so a plan is listed before the worker has run its occurrences; an event's row replaces
it. The workflow stays the authority on what happens next; this is its last recorded state.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, Text, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base, utc
from workflows.messages import OccurrenceEvent, Standing


class OccurrenceStatus(Base):
    __tablename__ = "occurrence_status"

    ref: Mapped[str] = mapped_column(String(300), primary_key=True)
    plan: Mapped[str] = mapped_column(String(64), index=True)
    task: Mapped[str] = mapped_column(String(64))
    units: Mapped[str] = mapped_column(Text, doc="JSON list of the lead (or fanned) units")
    leader: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(40), index=True)
    due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    escalation_level: Mapped[int] = mapped_column(Integer)
    held_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    utc_offset: Mapped[int | None] = mapped_column(Integer, doc="seconds: the zone `due` and "
                                                   "`held_until` are shown in, the plan's")
    running: Mapped[bool] = mapped_column(Boolean)
    listed: Mapped[str] = mapped_column(Text, doc="JSON: plans.schedule.listing")
    seq: Mapped[int] = mapped_column(Integer, doc="the event's number in its occurrence: 0 = load")
    event: Mapped[str | None] = mapped_column(String(40), doc="the last event's type")
    event_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StandingRow:
    """One occurrence as `status` reads it."""

    ref: str
    plan: str
    task: str
    units: list[str]
    leader: str | None
    state: str
    due: datetime | None
    escalation_level: int
    held_until: datetime | None
    running: bool
    listed: dict[str, Any]


def shown(at: datetime | None, offset: int | None) -> datetime | None:
    """The instant in the zone the workflow gave it (the plan's), as Temporal lists it."""
    if at is None:
        return None
    return utc(at).astimezone(timezone(timedelta(seconds=offset))) if offset is not None \
        else utc(at)


def sequence(event: OccurrenceEvent) -> int:
    """The event's number in its occurrence (its key ends with `#N`)."""
    return int(event.key.rpartition("#")[2])


def values(ref: str, plan: str, standing: Standing) -> dict[str, Any]:
    shown = standing.due or standing.held_until
    offset = shown.utcoffset() if shown is not None else None
    return {"ref": ref, "plan": plan, "task": standing.task, "units": json.dumps(standing.units),
            "utc_offset": int(offset.total_seconds()) if offset is not None else None,
            "leader": standing.leader, "state": standing.state,
            "due": utc(standing.due) if standing.due else None,
            "escalation_level": standing.escalation_level,
            "held_until": utc(standing.held_until) if standing.held_until else None,
            "running": standing.running,
            "listed": json.dumps(standing.listed, ensure_ascii=False, sort_keys=True)}


class Standings:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _insert(self) -> Any:
        return pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert

    def keep(self, session: Session, event: OccurrenceEvent) -> None:
        """The event's standing as its occurrence's row, unless a later event's is there
        already (inside the audit row's transaction)."""
        if event.standing is None:
            return
        seq = sequence(event)
        row = values(event.ref, event.plan, event.standing) | {
            "seq": seq, "event": event.type, "event_at": utc(event.at)}
        statement = self._insert()(OccurrenceStatus).values(**row)
        session.execute(statement.on_conflict_do_update(
            index_elements=["ref"], set_={k: v for k, v in row.items() if k != "ref"},
            where=OccurrenceStatus.seq < seq))

    def loaded(self, rows: Iterable[tuple[str, str, Standing]]) -> int:
        """The rows of occurrences just started, or found running by a backfill (ref, plan,
        standing); an occurrence with a row keeps it (its events are newer). How many were
        added."""
        batch = [values(ref, plan, standing) | {"seq": 0, "event": None, "event_at": None}
                 for ref, plan, standing in rows]
        added = 0
        with Session(self.engine) as session, session.begin():
            for start in range(0, len(batch), 1000):
                added += len(session.execute(self._insert()(OccurrenceStatus).values(
                    batch[start:start + 1000]).on_conflict_do_nothing(index_elements=["ref"])
                    .returning(OccurrenceStatus.ref)).all())
        return added

    def read(self, *, plan: str | None = None, state: str | None = None,
             listed: bool = True) -> list[StandingRow]:
        """The rows, with what lists show of each when `listed`."""
        table = OccurrenceStatus.__table__
        query = select(table)  # rows, not objects: a plan's 10,000 are read in a blink
        if plan is not None:
            query = query.where(table.c.plan == plan)
        if state is not None:
            query = query.where(table.c.state == state)
        with self.engine.connect() as connection:
            return [StandingRow(
                ref=r.ref, plan=r.plan, task=r.task, units=json.loads(r.units), leader=r.leader,
                state=r.state, due=shown(r.due, r.utc_offset),
                escalation_level=r.escalation_level,
                held_until=shown(r.held_until, r.utc_offset), running=r.running,
                listed=json.loads(r.listed) if listed else {})
                for r in connection.execute(query)]
