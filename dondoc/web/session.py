"""The signed session cookie's content: who signed in and when, and the form token.

Starlette's SessionMiddleware signs the cookie (itsdangerous) and sets HttpOnly, SameSite and
Secure; here are the two expiries it cannot express (idle and absolute, checked against the
clock the app is given) and the CSRF token every form carries."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

CSRF_FIELD = "csrf_token"


def begin(session: dict[str, Any], account: str, *, now: datetime) -> None:
    """A new session for `account`: nothing of the anonymous one survives (no fixation) but a
    form's content kept when the previous session ended as it was sent."""
    draft = session.get("draft")
    session.clear()
    session.update(account=account, signed_in_at=now.timestamp(), seen_at=now.timestamp(),
                   csrf=secrets.token_urlsafe(32))
    if draft:
        session["draft"] = draft


def account(session: dict[str, Any], *, now: datetime, idle: timedelta, absolute: timedelta,
            ended: datetime | None = None) -> str | None:
    """The signed-in account, or None; an expired session is emptied and says so once.
    `ended`: when the account signed out everywhere, if it did."""
    who = session.get("account")
    if who is None:
        return None
    at = now.timestamp()
    if at - session["seen_at"] > idle.total_seconds() or \
            at - session["signed_in_at"] > absolute.total_seconds() or \
            (ended is not None and session["signed_in_at"] <= ended.timestamp()):
        end(session)
        return None
    session["seen_at"] = at
    return str(who)


def end(session: dict[str, Any]) -> None:
    """The identity goes; the form token stays, so a form sent just after the session ended
    is recognised as this browser's and what it held is kept for after sign-in."""
    csrf = session.get("csrf")
    session.clear()
    session.update(expired=True, csrf=csrf)


def csrf_token(session: dict[str, Any]) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


DRAFT_LIMIT = 4000  # characters of typed text kept in the cookie across a sign-in


def keep_draft(session: dict[str, Any], action: str, form: FormData) -> None:
    """Keep what a form held, for the page that shows the form again after sign-in."""
    fields = {k: v for k, v in form.items() if isinstance(v, str) and k != CSRF_FIELD}
    if sum(len(v) for v in fields.values()) <= DRAFT_LIMIT:
        session["draft"] = {"action": action, "fields": fields}


def take_draft(session: dict[str, Any], actions: set[str]) -> dict[str, str] | None:
    """The kept content of one of these forms, once."""
    draft = session.get("draft")
    if not draft or draft.get("action") not in actions:
        return None
    del session["draft"]
    return dict(draft["fields"])


async def checked_form(request: Request) -> FormData:
    """The posted form, refused (403) unless it carries this session's CSRF token."""
    form = await request.form(max_files=2, max_fields=40)
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "csrf")
    return form
