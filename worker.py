"""Composition root of a dondoc worker: settings -> logging -> database -> clients -> Worker.

Run it as `dondoc worker` or `python worker.py`; it stops cleanly on Ctrl-C or SIGTERM, letting
running activities finish (up to the graceful shutdown timeout).
"""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor

import structlog
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.anchors import Anchoring
from activities.archive import Archiver
from activities.audit import AuditActivities
from activities.channels import Channel
from activities.digest import DigestActivities
from activities.notify import ContactsBook, Notifier
from activities.smtp import EmailChannel, SmtpServer, SmtpUrlError
from activities.zalo import TokenStore, ZaloChannel, ZaloConfig
from dondoc import db, keys, logs
from dondoc.settings import BadSetting, Settings, load_settings
from dondoc.temporal import Unreachable, connect, register_search_attributes
from plans.links import NoticeLinks
from storage.archive import HistoryArchive
from storage.audit import AuditLog
from storage.ledger import Ledger
from workflows.anchors import AnchorHeadsWorkflow, AuditAnchorsWorkflow
from workflows.archive import ArchiveWorkflow
from workflows.digest import DigestWorkflow
from workflows.occurrence import OccurrenceWorkflow
from workflows.plan import PlanWorkflow

log = structlog.get_logger("dondoc.worker")
ZALO_SETTINGS = ("zalo_app_id", "zalo_secret_key", "zalo_refresh_token")


class Misconfigured(Exception):
    """The settings cannot run a worker; the message names the variable to set."""


def check(settings: Settings, *, dev: bool = False) -> None:
    """Refuse to start a worker that would lose or fake notices: Zalo set in part, an unusable
    SMTP URL, or no channel at all outside `dondoc dev` (notices would only reach a folder)."""
    given = [name for name in ZALO_SETTINGS if getattr(settings, name)]
    if given and len(given) < len(ZALO_SETTINGS):
        missing = [f"DONDOC_{n.upper()}" for n in ZALO_SETTINGS if n not in given]
        raise Misconfigured(f"Zalo is configured in part: {', '.join(missing)} "
                            f"{'is' if len(missing) == 1 else 'are'} missing (set all three "
                            "DONDOC_ZALO_* settings, or none)")
    if settings.smtp_url is not None:
        try:
            SmtpServer.from_url(settings.smtp_url.get_secret_value())
        except SmtpUrlError as error:
            raise Misconfigured(str(error)) from None
    if not given and settings.smtp_url is None and not (dev or settings.outbox_only):
        raise Misconfigured(
            "no channel is configured: set DONDOC_SMTP_URL (e-mail) or DONDOC_ZALO_APP_ID, "
            "DONDOC_ZALO_SECRET_KEY and DONDOC_ZALO_REFRESH_TOKEN (Zalo); "
            "DONDOC_OUTBOX_ONLY=true writes notices to the outbox folder instead (tests)")


def channels(settings: Settings, ledger: Ledger) -> dict[str, Channel]:
    """The channels the settings configure; none means notices go to the local outbox."""
    out: dict[str, Channel] = {}
    if settings.smtp_url is not None:
        out["email"] = EmailChannel(settings.smtp_url.get_secret_value(),
                                    connections=settings.smtp_connections,
                                    timeout=settings.smtp_timeout.total_seconds())
    if settings.zalo_app_id and settings.zalo_secret_key and settings.zalo_refresh_token:
        config = ZaloConfig(
            oa_base_url=settings.zalo_oa_base_url, zns_base_url=settings.zns_base_url,
            oauth_base_url=settings.zalo_oauth_base_url, app_id=settings.zalo_app_id,
            secret_key=settings.zalo_secret_key.get_secret_value(),
            refresh_token=settings.zalo_refresh_token.get_secret_value(),
            templates=settings.zns_templates)
        out["zalo"] = ZaloChannel(TokenStore(ledger.engine, config), config)
    return out


def build_worker(client: Client, settings: Settings, *, dev: bool = False) -> Worker:
    check(settings, dev=dev)
    route_key, audit_key = keys.require(settings, "route"), keys.require(settings, "audit")
    url = db.database_url(settings)
    db.require_current(url)
    ledger = Ledger.connect(url, route_key)
    notifier = Notifier(
        ledger=ledger,
        contacts=ContactsBook(settings.contacts_dir or settings.state_dir / "contacts"),
        channels=channels(settings, ledger),
        outbox=settings.state_dir / "outbox",
        links=NoticeLinks(settings.public_url, route_key),
    )
    audit_log = AuditLog(ledger.engine, audit_key)
    audit = AuditActivities(audit_log)
    digest = DigestActivities(client, notifier, audit_log)
    anchoring = Anchoring(client, audit_log, settings.task_queue)
    archiver = Archiver(HistoryArchive(client, ledger.engine, audit_log))
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[OccurrenceWorkflow, PlanWorkflow, DigestWorkflow, ArchiveWorkflow,
                   AuditAnchorsWorkflow, AnchorHeadsWorkflow],
        activities=[notifier.send_notice, audit.record_event, digest.build_digests,
                    digest.send_digest, archiver.archive_closed,
                    anchoring.anchor_heads],
        activity_executor=ThreadPoolExecutor(settings.max_concurrent_activities),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_task_polls=settings.workflow_task_pollers,
        max_concurrent_activity_task_polls=settings.activity_task_pollers,
        # dondoc's deterministic modules are imported once, not again in every workflow's
        # sandbox: less memory per cached workflow and less CPU per replay.
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(
                "plans", "workflows.messages")),
        graceful_shutdown_timeout=settings.graceful_shutdown_timeout,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    for name in ("route", "audit"):  # before anything starts: a missing key stops it here
        keys.require(settings, name)
    check(settings)
    db.require_current(db.database_url(settings))
    client = await connect(settings)
    try:
        added = await register_search_attributes(client, settings.temporal_namespace)
        if added:
            log.info("search_attributes.registered", added=added)
    except RPCError as error:  # a managed cluster may not let workers do it: its admins do
        log.warning("search_attributes.not_registered", error=error.message)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with build_worker(client, settings):
        log.info("worker.started", address=settings.temporal_address,
                 namespace=settings.temporal_namespace, task_queue=settings.task_queue)
        await stop.wait()
        log.info("worker.stopping")
    log.info("worker.stopped")


def main() -> int:
    try:
        settings = load_settings()
    except BadSetting as error:
        logs.configure("INFO")
        log.error("worker.refused", error=str(error))
        return 1
    logs.configure(settings.log_level)
    try:
        asyncio.run(run_worker(settings))
    except Unreachable as error:
        log.error("worker.unreachable", error=str(error))
        return 1
    except (keys.MissingKey, Misconfigured, db.SchemaBehind) as error:
        log.error("worker.refused", error=str(error))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
