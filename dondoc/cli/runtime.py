"""Running dondoc: the worker, everything on this machine (`dev`), the Temporal Schedules."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from dondoc.cli.common import StateDir, client_for, fail, group, out, run, settings

app = group("Running dondoc.")


@app.command()
def schedules(
    run_now: Annotated[bool, typer.Option("--run-now", help="also run the digest now")] = False,
    state_dir: StateDir = None,
) -> None:
    """Create or update the Temporal Schedules: the weekly digest (Monday 07:30)."""
    from dondoc.schedules import ensure_schedules, run_digest_now

    config = settings(state_dir)

    async def work() -> str:
        client = await client_for(config)
        outcome = await ensure_schedules(client, config.task_queue)
        if run_now:
            await run_digest_now(client)
        return outcome

    outcome = run(work())
    out.print(f"weekly digest schedule {outcome} (Thứ Hai 07:30, Asia/Ho_Chi_Minh)"
              + ("; running it now" if run_now else ""), markup=False)


@app.command()
def worker(state_dir: StateDir = None) -> None:
    """Run a worker against the Temporal cluster of the settings (DONDOC_TEMPORAL_ADDRESS)."""
    import worker as worker_module
    from dondoc import logs
    from dondoc.db import SchemaBehind
    from dondoc.keys import MissingKey
    from dondoc.temporal import Unreachable

    config = settings(state_dir)
    logs.configure(config.log_level)
    try:
        asyncio.run(worker_module.run_worker(config))
    except (Unreachable, MissingKey, worker_module.Misconfigured, SchemaBehind) as error:
        raise fail(str(error)) from None


@app.command()
def dev(
    state_dir: StateDir = None,
    port: Annotated[int, typer.Option(help="Temporal frontend port")] = 7233,
    ui_port: Annotated[int, typer.Option(help="Temporal web UI port")] = 8233,
    web_port: Annotated[int, typer.Option(help="dondoc's web app port")] = 8080,
    demo: Annotated[bool, typer.Option("--demo", help="load a demo plan due in minutes")] = False,
) -> None:
    """Everything on this machine: the Temporal dev server (SQLite in the state folder, web UI),
    dondoc's search attributes, a worker, dondoc's web app; Ctrl-C stops it all."""
    from dondoc.dev import run_dev
    from dondoc.keys import MissingKey

    config = settings(state_dir).model_copy(update={"temporal_address": f"127.0.0.1:{port}"})
    try:
        asyncio.run(run_dev(config, port=port, ui_port=ui_port, web_port=web_port, demo=demo,
                            console=out))
    except (OSError, RuntimeError, TimeoutError, MissingKey) as error:
        raise fail(f"dondoc dev: {error}") from None
