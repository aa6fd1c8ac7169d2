"""Closed workflows' full Temporal histories (JSON), archived beside the audit log before the
namespace's retention deletes them: by the hourly `archive_closed` activity and by
`dondoc audit archive`."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from storage.base import Base

if TYPE_CHECKING:
    from temporalio.client import Client  # the audit log reads archives without Temporal

    from storage.audit import AuditLog


class ArchivedHistory(Base):
    __tablename__ = "archived_histories"

    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(300), index=True)
    workflow_type: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    history: Mapped[str] = mapped_column(Text, doc="the history as Temporal's JSON")
    sha256: Mapped[str] = mapped_column(String(64))


class HistoryArchive:
    """With an audit log, each archived history's SHA-256 also goes into the log."""

    def __init__(self, client: Client, engine: Engine, audit: AuditLog | None = None) -> None:
        self.client = client
        self.engine = engine
        self.audit = audit

    async def archive_closed(self, lookback_hours: int) -> int:
        """Archive the runs closed in the last `lookback_hours` that are not archived yet."""
        since = (datetime.now(UTC) - timedelta(hours=lookback_hours)).isoformat()
        query = (f"ExecutionStatus != 'Running' AND CloseTime >= '{since}' AND "
                 "WorkflowType IN ('OccurrenceWorkflow', 'PlanWorkflow', 'DigestWorkflow')")
        with Session(self.engine) as session:
            done = set(session.scalars(select(ArchivedHistory.run_id)))
        count = 0
        async for execution in self.client.list_workflows(query):
            if execution.run_id in done:
                continue
            history = await self.client.get_workflow_handle(
                execution.id, run_id=execution.run_id).fetch_history()
            document = history.to_json()
            with Session(self.engine) as session:
                archived = ArchivedHistory(
                    run_id=execution.run_id, workflow_id=execution.id,
                    workflow_type=execution.workflow_type,
                    closed_at=execution.close_time or datetime.now(UTC), history=document,
                    sha256=hashlib.sha256(document.encode()).hexdigest())
                session.add(archived)
                try:
                    session.flush()
                    if self.audit is not None:
                        self.audit.log_archived(session, archived)
                    session.commit()
                    count += 1
                except IntegrityError:  # archived meanwhile by another run
                    session.rollback()
        return count

    def archived(self, workflow_id: str) -> list[ArchivedHistory]:
        with Session(self.engine) as session:
            return list(session.scalars(select(ArchivedHistory).where(
                ArchivedHistory.workflow_id == workflow_id).order_by(ArchivedHistory.closed_at)))
