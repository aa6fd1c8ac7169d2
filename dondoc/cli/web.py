"""`dondoc web`: serve the web app where people act."""

from __future__ import annotations

from typing import Annotated

import typer

from dondoc.cli.common import StateDir, fail, group, settings

app = group("The web app.")


@app.command()
def web(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8080,
    state_dir: StateDir = None,
) -> None:
    """Serve the web app (behind a TLS reverse proxy at DONDOC_PUBLIC_URL in production)."""
    import uvicorn
    from sqlalchemy.exc import OperationalError

    from dondoc import logs
    from dondoc.keys import MissingKey
    from webserver import web_app

    config = settings(state_dir)
    logs.configure(config.log_level)
    try:
        application = web_app(config)
    except MissingKey as error:
        raise fail(f"dondoc web: {error}") from None
    except OperationalError as error:
        reason = str(error.orig or error).splitlines()[0]
        raise fail(f"dondoc web: cannot reach the database ({reason}); check "
                   "DONDOC_DATABASE_URL") from None
    # The proxy in front gives the client's address (rate limits, audit) in X-Forwarded-For.
    uvicorn.run(application, host=host, port=port, proxy_headers=True, log_level="warning",
                forwarded_allow_ips="127.0.0.1")
