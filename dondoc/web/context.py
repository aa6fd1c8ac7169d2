"""What the web app's routes share, built once by its composition root (webserver.py): the
settings, the clock, the database, the Temporal client (connected on first use, so the app
starts while Temporal is down and says so on the pages that need it), the sign-in service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.engine import Engine
from temporalio.client import Client

from dondoc.services.signin import Directory, SignIn, SignInAccount
from dondoc.settings import Settings
from plans.access import Principal


class People(Directory, Protocol):
    """The accounts: who signs in (Directory), and what the authorization table knows of them."""

    def principal(self, account: str) -> Principal:
        """The account's principal, with its roles; LookupError when it is not active."""

    def password_hash(self, account: str) -> str | None:
        """The argon2 hash the account signs in with, if it may (office staff), or None."""


@dataclass
class WebContext:
    settings: Settings
    session_key: bytes
    audit_key: bytes | None  # verifies the audit log's keyed rows
    engine: Engine
    directory: People
    signin: SignIn
    clock: Callable[[], datetime]
    link_key: bytes | None = None  # verifies the links notices carry (the worker's route key)
    _client: Client | None = None
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def temporal(self) -> Client:
        """The Temporal client; `Unreachable` while Temporal is down."""
        from dondoc.temporal import connect

        async with self._connecting:
            if self._client is None:
                self._client = await connect(self.settings)
        return self._client

    def person(self, account: str) -> SignInAccount | None:
        return self.directory.get(account)

    def principal(self, account: str) -> Principal:
        return self.directory.principal(account)

    def signed_in(self, account: str) -> tuple[SignInAccount | None, Principal | None]:
        """The active account and its principal; (None, None) when it is no longer active."""
        person = self.person(account)
        try:
            return (person, self.principal(account)) if person else (None, None)
        except LookupError:
            return None, None
