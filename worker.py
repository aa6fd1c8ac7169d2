"""Composition root of a dondoc worker: settings -> logging -> client -> Worker.

Run it as `dondoc worker` or `python worker.py`; it stops cleanly on Ctrl-C or SIGTERM, letting
running activities finish (up to the graceful shutdown timeout).
"""

from __future__ import annotations

import asyncio
import signal

import structlog
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.occurrence import OccurrenceActivities
from dondoc import logs
from dondoc.settings import Settings, load_settings
from dondoc.temporal import Unreachable, connect, register_search_attributes
from workflows.occurrence import OccurrenceWorkflow
from workflows.plan import PlanWorkflow

log = structlog.get_logger("dondoc.worker")


def build_worker(client: Client, settings: Settings) -> Worker:
    occurrence = OccurrenceActivities(settings.state_dir)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[OccurrenceWorkflow, PlanWorkflow],
        activities=[occurrence.send_notice, occurrence.record_event],
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        graceful_shutdown_timeout=settings.graceful_shutdown_timeout,
    )


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
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
    settings = load_settings()
    logs.configure(settings.log_level)
    try:
        asyncio.run(run_worker(settings))
    except Unreachable as error:
        log.error("worker.unreachable", error=str(error))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
