"""The secrets the database must not hold: the route key (the delivery ledger's HMAC of an
address), the audit key (the audit log's HMAC of a row) and the session key (the web app's
signed cookies and its sign-in codes' HMAC).

Production (PostgreSQL, `DONDOC_DATABASE_URL`) reads them from `DONDOC_ROUTE_KEY`,
`DONDOC_AUDIT_KEY` and `DONDOC_SESSION_KEY` and stops at once when one it needs is missing.
The embedded SQLite default (one machine, `dondoc dev`) generates each on first use into
`<state folder>/keys/` (mode 0600), beside the database file, never inside it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from dondoc.settings import Settings

KeyName = Literal["route", "audit", "session"]
GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


class MissingKey(Exception):
    """A production process has no key: the message names the variable and how to make one."""


def variable(name: KeyName) -> str:
    return f"DONDOC_{name.upper()}_KEY"


def configured(settings: Settings, name: KeyName) -> bytes | None:
    """The key when the settings or the embedded state folder hold one; never generates."""
    value = {"route": settings.route_key, "audit": settings.audit_key,
             "session": settings.session_key}[name]
    if value is not None:
        return value.get_secret_value().encode()
    path = _key_file(settings, name)
    return path.read_bytes().strip() if settings.database_url is None and path.exists() else None


def require(settings: Settings, name: KeyName) -> bytes:
    """The key, generated in the state folder for the embedded default; MissingKey otherwise."""
    key = configured(settings, name)
    if key is not None:
        return key
    if settings.database_url is not None:
        raise MissingKey(f"{variable(name)} is not set: every process that writes to a "
                         f"PostgreSQL database needs it; generate one with {GENERATE} and keep "
                         "it outside the database (a secret store or the service's environment)")
    path = _key_file(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32))
    try:  # a link never replaces: of two processes starting together, the first key wins
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_bytes().strip()


def _key_file(settings: Settings, name: KeyName) -> Path:
    return settings.state_dir / "keys" / f"{name}.key"
