"""Zalo: Official Account messages to followers, ZNS template messages by phone number.

Zalo answers HTTP 200 with {"error": <code>, "message": ..., "data": ...}; `error` 0 is success.
The OA access token lasts about 25 hours; its refresh token is single-use, so refreshing holds a
database lock and stores the new pair before anything uses it (two workers refreshing at once
would burn it). Apprise 2.2 ships `zalo://` for the Zalo Bot service: dondoc registers its own
`zalooa://` and `zns://` schemes instead, so the same notifier carries e-mail and Zalo.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import requests
from apprise import NotificationManager, NotifyBase, NotifyType
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from activities.channels import Message, Sent
from activities.render import LINK_LABEL
from storage.ledger import ZaloToken

# Zalo's documented error codes, by what dondoc does about them.
RETRYABLE = {-32: "rate limit", -100: "unknown error"}
TOKEN = {-216: "access token invalid", -220: "access token expired", -124: "access token invalid"}
TOKEN_CODES = {str(code) for code in TOKEN}
PERMANENT = {
    -213: "user has not followed the OA", -230: "no interaction with the OA for 7 days",
    -232: "interaction expired", -227: "user banned or inactive", -244: "user refused this type",
    -108: "phone number invalid", -118: "no Zalo account for this number",
    -114: "user cannot receive ZNS", -119: "account cannot receive ZNS",
    -139: "user refused this ZNS type", -141: "user refused ZNS from this OA",
    -115: "ZNS account out of balance", -144: "OA reached its daily ZNS quota",
    -133: "ZNS may not be sent between 22:00 and 06:00", -234: "no OA messages at night",
    -109: "template id invalid", -131: "template not approved", -201: "parameter invalid",
}


def classify(code: int) -> Sent:
    if code == 0:
        return Sent(ok=True)
    name = RETRYABLE.get(code) or TOKEN.get(code) or PERMANENT.get(code) or "Zalo error"
    return Sent(ok=False, retryable=code in RETRYABLE, code=str(code), detail=name)


@dataclass(frozen=True)
class ZaloConfig:
    oa_base_url: str
    zns_base_url: str
    oauth_base_url: str
    app_id: str
    secret_key: str
    refresh_token: str  # the first one; later ones live in the database
    templates: dict[str, str]  # notice kind -> approved ZNS template id
    timeout: float = 15


class TokenStore:
    """The OA access token, refreshed under a lock with its single-use refresh token."""

    def __init__(self, engine: Engine, config: ZaloConfig) -> None:
        self.engine = engine
        self.config = config

    def access_token(self, *, force_refresh: bool = False, stale: str | None = None) -> str:
        with Session(self.engine) as session, session.begin():
            # A no-op write takes the lock first: a row lock on PostgreSQL, the database's write
            # lock on SQLite (where FOR UPDATE does nothing), so refreshes never overlap.
            session.execute(update(ZaloToken).where(ZaloToken.id == 1)
                            .values(version=ZaloToken.version))
            row = session.scalar(select(ZaloToken).where(ZaloToken.id == 1).with_for_update())
            if row is None:
                row = ZaloToken(id=1, refresh_token=self.config.refresh_token, version=0)
                session.add(row)
                session.flush()
            fresh = (row.access_token and row.expires_at
                     and _aware(row.expires_at) > datetime.now(UTC) + timedelta(minutes=5))
            # Another worker may have refreshed while this one waited for the lock.
            if fresh and not (force_refresh and row.access_token == stale):
                return row.access_token
            response = requests.post(
                f"{self.config.oauth_base_url}/v4/oa/access_token",
                headers={"secret_key": self.config.secret_key},
                data={"refresh_token": row.refresh_token, "app_id": self.config.app_id,
                      "grant_type": "refresh_token"},
                timeout=self.config.timeout)
            body = response.json()
            if "access_token" not in body:
                raise ZaloAuthError(body.get("error_description") or body.get("message")
                                    or "refresh refused")
            row.access_token = body["access_token"]
            row.refresh_token = body["refresh_token"]
            row.expires_at = datetime.now(UTC) + timedelta(seconds=int(body["expires_in"]))
            row.version += 1
            return row.access_token


class ZaloAuthError(Exception):
    """The refresh token was refused: an OA admin must authorise the app again."""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class NotifyZaloBase(NotifyBase):
    """Shared by the two schemes: one target per URL, the Zalo answer kept for the caller."""

    service_url = "https://developers.zalo.me/"
    request_rate_per_sec = 0  # Apprise's default waits 5.5 s between requests
    title_maxlen = 0
    body_maxlen = 2000
    templates = ("{schema}://{token}/{target}",)
    # Apprise's plugin contract: class-level dicts, copied from the base and extended.
    template_tokens: ClassVar[dict[str, Any]] = dict(NotifyBase.template_tokens, **{  # type: ignore[misc]
        "token": {"name": "Access Token", "type": "string", "private": True, "required": True},
        "target": {"name": "Target", "type": "string", "required": True},
    })
    template_args: ClassVar[dict[str, Any]] = dict(NotifyBase.template_args, **{  # type: ignore[misc]
        "base": {"name": "API base URL", "type": "string"},
    })

    def __init__(self, token: str, target: str, base: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.token, self.target, self.base = token, target, base
        self.answer: dict[str, Any] = {}

    def post(self, url: str, payload: dict[str, Any]) -> bool:
        try:
            response = requests.post(url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                     headers={"access_token": self.token,
                                              "Content-Type": "application/json"},
                                     timeout=self.request_timeout)
            self.answer = response.json()
        except (requests.RequestException, ValueError) as error:
            self.answer = {"error": -100, "message": f"no answer: {error}"}
        return self.answer.get("error") == 0

    def url(self, privacy: bool = False, *args: Any, **kwargs: Any) -> str:
        params = self.url_parameters(privacy=privacy, *args, **kwargs)  # noqa: B026
        if self.base:
            params["base"] = self.base
        return (f"{self.secure_protocol}://{self.pprint(self.token, privacy, safe='')}/"
                f"{self.pprint(self.target, privacy, safe='')}?{self.urlencode(params)}")

    @classmethod
    def parse_url(cls, url: str) -> dict[str, Any] | None:
        results = NotifyBase.parse_url(url, verify_host=False)
        if not results:
            return results
        results["token"] = cls.unquote(results["host"])
        results["target"] = next(iter(cls.split_path(results["fullpath"])), "")
        if results["qsd"].get("base"):
            results["base"] = results["qsd"]["base"]
        return results

    @property
    def url_identifier(self) -> tuple[str, str, str]:
        return (self.secure_protocol, self.token, self.target)

    def __len__(self) -> int:
        return 1


class NotifyZaloOA(NotifyZaloBase):
    """`zalooa://{access_token}/{user_id}?base=...`: a consultation message to a follower."""

    service_name = "Zalo Official Account"
    secure_protocol = "zalooa"
    button: tuple[str, str] | None = None  # (label, url): the notice's link to its page

    def send(self, body: str, title: str = "", notify_type: str = NotifyType.INFO,
             **kwargs: Any) -> bool:
        base = self.base or "https://openapi.zalo.me"
        message: dict[str, Any] = {"text": body}
        if self.button is not None:  # a text message with a button that opens a page
            label, url = self.button
            message["attachment"] = {"type": "template", "payload": {"buttons": [
                {"title": label, "type": "oa.open.url", "payload": {"url": url}}]}}
        return self.post(f"{base}/v3.0/oa/message/cs", {
            "recipient": {"user_id": self.target}, "message": message})


class NotifyZaloZNS(NotifyZaloBase):
    """`zns://{access_token}/{84phone}?base=...`: a ZNS template message; the body is JSON with
    `template_id`, `template_data` and `tracking_id`."""

    service_name = "Zalo Notification Service"
    secure_protocol = "zns"

    def send(self, body: str, title: str = "", notify_type: str = NotifyType.INFO,
             **kwargs: Any) -> bool:
        base = self.base or "https://business.openapi.zalo.me"
        return self.post(f"{base}/message/template", {"phone": self.target, **json.loads(body)})


def register() -> None:
    """Register the schemes with Apprise once (the manager is a process-wide singleton)."""
    manager = NotificationManager()
    for plugin in (NotifyZaloOA, NotifyZaloZNS):
        if plugin.secure_protocol not in manager:
            manager.add(plugin)


register()


class ZaloChannel:
    """Zalo by user id (OA) or by phone (ZNS), refreshing the token once when Zalo refuses it.
    A refused refresh is a permanent failure of the channel: the notifier falls back."""

    name = "zalo"

    def __init__(self, tokens: TokenStore, config: ZaloConfig) -> None:
        self.tokens = tokens
        self.config = config

    def send(self, address: str, message: Message, *, key: str,
             handed: Callable[[], None]) -> Sent:
        try:
            token = self.tokens.access_token()
            sent = self._send_once(token, address, message, key, handed)
            if sent.code in TOKEN_CODES:
                sent = self._send_once(self.tokens.access_token(force_refresh=True, stale=token),
                                       address, message, key, handed)
        except ZaloAuthError as error:
            return Sent(ok=False, code="oauth", detail=f"token refresh refused: {error}")
        except (requests.RequestException, ValueError, KeyError) as error:
            return Sent(ok=False, retryable=True, code="oauth-unreachable",
                        detail=f"Zalo OAuth: {type(error).__name__}: {error}")
        return sent

    def _send_once(self, token: str, address: str, message: Message, key: str,
                   handed: Callable[[], None]) -> Sent:
        from apprise import Apprise

        if address.startswith("uid:"):
            oa = NotifyZaloOA(token=token, target=address[4:], base=self.config.oa_base_url)
            if message.link:
                oa.button = (LINK_LABEL, message.link)
            plugin: NotifyZaloBase = oa
            body = f"{message.subject}\n\n{message.text}"
        else:
            template = self.config.templates.get(message.template or "")
            if template is None:
                return Sent(ok=False, code="template",
                            detail=f"no ZNS template for {message.template!r}: add it to "
                                   "DONDOC_ZNS_TEMPLATES")
            plugin = NotifyZaloZNS(token=token, target=address, base=self.config.zns_base_url)
            # tracking_id: the same on a resend, so the office can match Zalo's delivery
            # webhook to the ledger and see a resend for what it is.
            body = json.dumps({"template_id": template, "template_data": message.template_data,
                               "tracking_id": key[:48]}, ensure_ascii=False)
        notifier = Apprise()
        notifier.add(plugin)
        handed()
        notifier.notify(body=body)
        answer = plugin.answer
        try:
            code = int(answer.get("error", -100))
        except (TypeError, ValueError):
            code = -100
        sent = classify(code)
        data = answer.get("data") or {}
        return Sent(ok=sent.ok, retryable=sent.retryable, code=sent.code,
                    detail=sent.detail or answer.get("message"),
                    message_id=data.get("msg_id") or data.get("message_id"))
