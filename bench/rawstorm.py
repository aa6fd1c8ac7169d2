"""The raw Temporal anchor of bench/storm.py: the least a storm can cost on the same server.

N minimal workflows, each sleeping until the same instant and then running one activity that
sends one e-mail with plain smtplib over a pooled connection (as dondoc's e-mail channel does),
into the same SMTP server, on the same dev server, with its own worker tuned by the same
settings as `dondoc worker` (DONDOC_MAX_* and pollers). What dondoc adds on top (its ledger,
audit events, search attributes, routing, rendering) is the ratio of the two storms.

storm.py starts the workflows (`start`) and runs the worker as a subprocess:
    .venv/bin/python bench/rawstorm.py ADDRESS TASK_QUEUE SMTP_PORT MESSAGE_FILE
"""

from __future__ import annotations

import asyncio
import queue
import signal
import smtplib
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

SENDER = "nhacviec@syt.example.invalid"


@workflow.defn(name="RawReminder")
class RawReminder:
    @workflow.run
    async def run(self, at: str, recipient: str) -> None:
        await workflow.sleep(max(timedelta(0), datetime.fromisoformat(at) - workflow.now()))
        await workflow.execute_activity("raw_send", recipient,
                                        start_to_close_timeout=timedelta(minutes=5))


class RawSender:
    """One message per call over at most `size` open connections, reused between messages."""

    def __init__(self, port: int, message: bytes, size: int) -> None:
        self.port, self.message = port, message
        self.idle: queue.LifoQueue[smtplib.SMTP] = queue.LifoQueue()
        for _ in range(size):
            self.idle.put(smtplib.SMTP("127.0.0.1", port, timeout=60))

    @activity.defn(name="raw_send")
    def send(self, recipient: str) -> None:
        smtp = self.idle.get()
        try:
            smtp.sendmail(SENDER, [recipient], self.message)
        except (OSError, smtplib.SMTPException):
            smtp.close()
            smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=60)
            raise
        finally:
            self.idle.put(smtp)


async def start(address: str, task_queue: str, at: datetime, n: int,
                concurrency: int = 16) -> None:
    """Start the N workflows, as many at once as `dondoc load` does (16)."""
    client = await Client.connect(address)
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.start_workflow(RawReminder.run, args=[at.isoformat(),
                                                               f"raw{i:05d}@xa.example.invalid"],
                                        id=f"raw-{i:05d}", task_queue=task_queue)

    await asyncio.gather(*(one(i) for i in range(n)))


async def run_worker(address: str, task_queue: str, port: int, message: bytes) -> None:
    from dondoc.settings import Settings  # the same tuning as `dondoc worker`

    settings = Settings()
    client = await Client.connect(address)
    sender = RawSender(port, message, settings.smtp_connections)
    worker = Worker(
        client, task_queue=task_queue, workflows=[RawReminder], activities=[sender.send],
        activity_executor=ThreadPoolExecutor(settings.max_concurrent_activities),
        max_concurrent_activities=settings.max_concurrent_activities,
        max_concurrent_workflow_tasks=settings.max_concurrent_workflow_tasks,
        max_cached_workflows=settings.max_cached_workflows,
        max_concurrent_workflow_task_polls=settings.workflow_task_pollers,
        max_concurrent_activity_task_polls=settings.activity_task_pollers)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parents[1]))
    # Imported again under its own name, so the workflow sandbox can import its module.
    import rawstorm

    address, task_queue, port, message_file = sys.argv[1:5]
    asyncio.run(rawstorm.run_worker(address, task_queue, int(port),
                                    Path(message_file).read_bytes()))
