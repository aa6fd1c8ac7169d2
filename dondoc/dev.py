"""`dondoc dev`: the Temporal dev server, dondoc's search attributes and a worker, together on
this machine, with the notices printed as they reach the local outbox. Ctrl-C stops it all."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn
from rich.console import Console
from sqlalchemy import create_engine

import worker
from dondoc import db, keys, logs
from dondoc.db import database_url
from dondoc.demo import DEMO_UNIT_HEAD, demo_contacts, demo_plan
from dondoc.devserver import DevServer, port_free
from dondoc.files import read_plan
from dondoc.schedules import ensure_schedules
from dondoc.services import load as loading
from dondoc.services import users
from dondoc.services.identity import sign_in_dev_operator
from dondoc.settings import Settings
from dondoc.temporal import connect, register_search_attributes
from plans.access import Principal
from storage.accounts import Accounts
from storage.audit import AuditLog
from storage.plans import LoadedOccurrences

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


async def run_dev(config: Settings, *, port: int, ui_port: int, web_port: int, demo: bool,
                  console: Console) -> None:
    logs.configure("WARNING")
    if not port_free(web_port):
        raise OSError(f"port {web_port} is taken: choose another with --web-port")
    if "public_url" not in config.model_fields_set:
        config = config.model_copy(update={"public_url": f"http://127.0.0.1:{web_port}"})
    server = DevServer(config.state_dir, port=port, ui_port=ui_port)
    server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await server.wait_ready()
        client = await connect(config)
        await register_search_attributes(client, config.temporal_namespace)
        await ensure_schedules(client, config.task_queue)
        console.print(f"Temporal dev server: {server.address} (state in {config.state_dir})")
        console.print(f"Temporal web UI:     {server.ui}")
        db.upgrade(database_url(config))
        async with worker.build_worker(client, config, dev=True):
            console.print(f"worker running on task queue {config.task_queue!r}; Ctrl-C stops")
            operator = local_operator(config)
            console.print(f"signed in as {operator.account!r} (office of every plan) for "
                          f"{config.state_dir}")
            async with serving_web(config, web_port):
                console.print(f"dondoc web app:      {config.public_url}")
                if demo:
                    await load_demo(client, config, console, operator)
                await watch_outbox(config.state_dir / "outbox", console, stop)
        console.print("worker stopped")
    finally:
        server.stop()
        console.print("Temporal dev server stopped")


def local_operator(config: Settings) -> Principal:
    """This machine's office account, signed in for the state folder; made (and audited, on
    the chain `_accounts`, as made before anyone could sign in) on the first start."""
    engine = create_engine(database_url(config))
    at = datetime.now(UTC)
    accounts = users.audited(Accounts(engine), AuditLog(engine, keys.require(config, "audit")),
                             None, at=at)
    return sign_in_dev_operator(config, accounts, at=at)


class EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # `dondoc dev` handles Ctrl-C itself and stops everything in order


@contextlib.asynccontextmanager
async def serving_web(config: Settings, port: int) -> AsyncIterator[None]:
    """dondoc's web app on this machine, beside the worker, until the block ends."""
    from webserver import web_app

    server = EmbeddedServer(uvicorn.Config(web_app(config), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # raises why it stopped
            raise OSError(f"the web app did not start on port {port}")
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await serving


async def load_demo(client: object, config: Settings, console: Console,
                    operator: Principal) -> None:
    path = config.state_dir / "demo-plan.yaml"
    path.write_text(demo_plan(datetime.now(HCM)), encoding="utf-8")
    loaded, problems = read_plan(path)
    assert loaded is not None, problems
    summary = await loading.load(client, loaded, task_queue=config.task_queue,  # type: ignore[arg-type]
                                 now=datetime.now(HCM), principal=operator,
                                 kept=LoadedOccurrences(create_engine(database_url(config))))
    console.print(f"demo plan loaded from {path}: {summary.count('started')} occurrences; "
                  "reminders arrive within a few minutes, escalations after the deadlines")
    engine = create_engine(database_url(config))
    audit = AuditLog(engine, keys.require(config, "audit"))
    users.sync(users.audited(Accounts(engine), audit, operator, at=datetime.now(UTC)), operator,
               loaded.plan, demo_contacts())
    console.print(f"web: open {config.public_url}, sign in as {DEMO_UNIT_HEAD} (head of "
                  "Trung tâm Y tế huyện A); the sign-in code prints below")


async def watch_outbox(outbox: Path, console: Console, stop: asyncio.Event) -> None:
    """Print each notice once, as it lands in the outbox."""
    seen = {p.name for p in outbox.glob("*.json")} if outbox.exists() else set()
    while not stop.is_set():
        for path in sorted(outbox.glob("*.json"), key=lambda p: p.stat().st_mtime) \
                if outbox.exists() else []:
            if path.name in seen:
                continue
            seen.add(path.name)
            notice = json.loads(path.read_text("utf-8"))
            at = datetime.fromisoformat(notice["at"]).astimezone(HCM)
            console.print(f"[bold]{at:%H:%M:%S}[/] → {notice['to']['name']} "
                          f"({notice['to']['role']}): {notice['subject']}", highlight=False)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1)
