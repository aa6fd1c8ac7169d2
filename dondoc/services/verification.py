"""Verifying the audit log for a front door that has a principal (the web app's auditor page):
the authorization table first, then every check against the anchors dondoc keeps."""

from __future__ import annotations

import asyncio

from dondoc.services.audit import Note, gather_anchors
from dondoc.services.identity import require
from dondoc.settings import Settings
from plans.access import EVERY_PLAN, Principal, Target
from storage.audit import AuditLog, Verified


async def verify(config: Settings, audit: AuditLog, principal: Principal,
                 plan: str | None) -> tuple[Verified, list[Note]]:
    """The result of every check of the plan's rows (all plans' when None), with notes on the
    anchors that could not be read; NotAllowed unless the principal may audit."""
    require(principal, "audit", Target(plan=plan or EVERY_PLAN))
    anchors, notes = await gather_anchors(config, audit, [], temporal=True)
    # Every row is read and hashed: in a thread, so the web app's other requests go on.
    return await asyncio.to_thread(audit.verify, plan, anchors), notes
