"""The `dondoc` command: a package of small command groups, each a few lines per command that
parse the arguments, call a service (dondoc.services) or plans/, and print the result."""

from __future__ import annotations

import os
import sys

from dondoc.cli import audit, db, operations, plans, reading, runtime, users, web
from dondoc.cli.common import err, group

app = group("Đôn đốc: nhắc việc, đôn đốc và theo dõi các nhiệm vụ của kế hoạch.")
# The top-level commands keep their names (`dondoc load`, `dondoc complete` ...): each group's
# commands join the root; audit, db and kpi stay sub-commands.
for _group in (users.login_app, plans.app, operations.app, reading.app, runtime.app, web.app):
    app.registered_commands += _group.registered_commands
app.add_typer(users.app, name="users")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
app.add_typer(operations.kpi_app, name="kpi")


def main() -> None:
    code: int | str | None = 0
    try:
        app()
    except SystemExit as done:  # click ends every run this way, usage errors (2) included
        code = done.code
    except KeyboardInterrupt:
        err.print("interrupted")
        code = 130
    sys.stdout.flush()
    sys.stderr.flush()
    # The Temporal client's native threads can call back into Python while the interpreter
    # finalizes and abort it ("PyGILState_Release"); all work is done and flushed here.
    os._exit(code if isinstance(code, int) else 1 if code else 0)
