"""dondoc's database: migrations, auditor access."""

from __future__ import annotations

from typing import Annotated

import typer

from dondoc.cli.common import StateDir, fail, group, out, settings

app = group("dondoc's database: migrations, auditor access.")


@app.command("upgrade")
def db_upgrade(state_dir: StateDir = None) -> None:
    """Bring the database to the latest schema (before starting workers: they check, not
    migrate)."""
    from dondoc.db import database_url, upgrade

    upgrade(database_url(settings(state_dir)))
    out.print("database schema up to date", markup=False)


@app.command("backfill-status")
def db_backfill_status(state_dir: StateDir = None) -> None:
    """Once, after upgrading to a dondoc that keeps where each occurrence stands in its
    database: a row for each occurrence Temporal lists and the database has none for. Rows
    already there are newer and stay; running it again adds nothing."""
    from dondoc.cli.common import client_for, run
    from dondoc.db import database_url
    from dondoc.services.read import backfill
    from storage.base import connect
    from storage.standing import Standings

    config = settings(state_dir)
    standings = Standings(connect(database_url(config)))

    async def work() -> tuple[int, int]:
        return await backfill(await client_for(config), standings)

    listed, added = run(work())
    out.print(f"{listed} occurrences in Temporal, {added} rows added", markup=False)


@app.command("rekey-routes")
def db_rekey_routes(state_dir: StateDir = None) -> None:
    """Re-key ledger rows written before the route key (an unkeyed hash of the address can be
    reversed) for every address in the contacts files; rows are also re-keyed when next read."""
    from dondoc import keys
    from dondoc.db import database_url
    from plans.validation import check_contacts
    from storage.ledger import Ledger

    config = settings(state_dir)
    try:
        ledger = Ledger.connect(database_url(config), keys.require(config, "route"))
    except keys.MissingKey as error:
        raise fail(str(error)) from None
    folder = config.contacts_dir or config.state_dir / "contacts"
    addresses = set()
    for path in sorted(folder.glob("*.yaml")) if folder.exists() else []:
        checked = check_contacts(path.read_text("utf-8"), str(path))
        if checked.value is not None:
            addresses |= {a for c in checked.value.contacts for a in c.addresses()}
    out.print(f"{ledger.rekey_legacy(addresses)} ledger rows re-keyed, from "
              f"{len(addresses)} addresses in {folder}", markup=False)


@app.command("grant-auditor")
def db_grant_auditor(
    login: Annotated[str, typer.Argument(help="the auditor's PostgreSQL login, e.g. thanh_tra")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          help="the login's password")],
    state_dir: StateDir = None,
) -> None:
    """Give an auditor read-only access: SELECT on the audit and report tables, nothing else."""
    from dondoc.db import database_url, grant_auditor

    try:
        grant_auditor(database_url(settings(state_dir)), login, password)
    except ValueError as error:
        raise fail(str(error)) from None
    out.print(f"{login} can now read the audit log and reports, and write nothing", markup=False)
