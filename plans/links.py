"""The link a notice carries to its occurrence's page: the reference and the time it was made,
signed with itsdangerous (a key dondoc already holds, a salt of its own) so nobody can make one
for a reference the notice did not name or keep one working past its lifetime. A link proves
nothing about who follows it: the page still asks for the session's person and applies the
authorization table. Pure: the key and the clock are parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "dondoc.notice-link"  # a link's signature is never valid as any other signed value
PATH = "/lien-ket/"


class BadLink(ValueError):
    """A link that cannot be followed: `expired`, or `forged` (altered, cut, or signed with
    another key)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class NoticeLinks:
    base: str  # the web app's public address (DONDOC_PUBLIC_URL)
    key: bytes

    def to(self, ref: str, *, at: datetime) -> str:
        """The link to `ref`'s page, made at `at`."""
        token = self._serializer().dumps([ref, int(at.timestamp())])
        return f"{self.base.rstrip('/')}{PATH}{token}"

    def ref(self, token: str, *, now: datetime, lifetime: timedelta) -> str:
        """The reference a link names; BadLink when it is forged or older than `lifetime`."""
        try:
            ref, made = self._serializer().loads(token)
        except (BadSignature, ValueError, TypeError):
            raise BadLink("forged") from None
        if not isinstance(ref, str) or not isinstance(made, int):
            raise BadLink("forged")
        if now - datetime.fromtimestamp(made, UTC) > lifetime:
            raise BadLink("expired")
        return ref

    def _serializer(self) -> URLSafeSerializer:
        return URLSafeSerializer(self.key, salt=SALT)
