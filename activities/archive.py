"""The hourly archiving activity: closed runs' histories copied into dondoc's database."""

from __future__ import annotations

import structlog
from temporalio import activity

from storage.archive import HistoryArchive

log = structlog.get_logger("dondoc.archive")


class Archiver:
    def __init__(self, archive: HistoryArchive) -> None:
        self.archive = archive

    @activity.defn(name="archive_closed")
    async def archive_closed(self, lookback_hours: int) -> int:
        count = await self.archive.archive_closed(lookback_hours)
        log.info("histories.archived", count=count)
        return count
