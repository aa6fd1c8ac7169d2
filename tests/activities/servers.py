"""Real servers on loopback for the notification tests: an SMTP server (aiosmtpd), and an HTTP
server speaking Zalo's OA, ZNS and OAuth request and response shapes, error codes included."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server accepted; addresses starting with 'bad' are refused (550)."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address.startswith("bad"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted"


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()  # aiosmtpd cannot probe port 0
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


@dataclass
class FakeZalo:
    """Zalo as its API answers: HTTP 200 with {"error", "message", "data"}."""

    errors: dict[str, int] = field(default_factory=dict)  # user id or phone -> error code
    valid_tokens: set[str] = field(default_factory=lambda: {"access-0"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"refresh-0"})
    refuse_refresh: bool = False
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    issued: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        if path == "/v4/oa/access_token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.requests.append((path, headers, form))
            with self.lock:
                if self.refuse_refresh or form.get("refresh_token") not in self.refresh_tokens:
                    return {"error": -14014, "error_name": "Invalid refresh token",
                            "error_description": "refresh token is invalid or used"}
                self.refresh_tokens.discard(form["refresh_token"])  # single use
                self.issued += 1
                access, refresh = f"access-{self.issued}", f"refresh-{self.issued}"
                self.valid_tokens.add(access)
                self.refresh_tokens.add(refresh)
            return {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
        payload = json.loads(body)
        self.requests.append((path, headers, payload))
        zns = path == "/message/template"
        if headers.get("access_token") not in self.valid_tokens:
            return {"error": -124 if zns else -216, "message": "Access token is invalid"}
        if not zns and not well_formed(payload["message"]):
            return {"error": -201, "message": "Parameter invalid"}
        target = payload["phone"] if zns else payload["recipient"]["user_id"]
        code = self.errors.get(target, 0)
        if code:
            return {"error": code, "message": f"error {code}"}
        if zns:
            return {"error": 0, "message": "Success", "data": {
                "msg_id": f"zns-{len(self.requests)}", "sent_time": "1626926349402",
                "quota": {"dailyQuota": "500", "remainingQuota": "499"}}}
        return {"error": 0, "message": "Success",
                "data": {"message_id": f"oa-{len(self.requests)}", "user_id": target}}

    def sent(self, path: str) -> list[Any]:
        return [body for p, _, body in self.requests if p == path]


def well_formed(message: dict[str, Any]) -> bool:
    """An OA message: text, and at most a template attachment of buttons that open a URL."""
    if not isinstance(message.get("text"), str) or not 0 < len(message["text"]) <= 2000:
        return False
    attachment = message.get("attachment")
    if attachment is None:
        return set(message) == {"text"}
    buttons = attachment.get("payload", {}).get("buttons", [])
    return attachment.get("type") == "template" and 0 < len(buttons) <= 5 and all(
        b.get("type") == "oa.open.url" and b.get("title") and
        str(b.get("payload", {}).get("url", "")).startswith(("http://", "https://"))
        for b in buttons)


@contextmanager
def zalo_server(zalo: FakeZalo) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            answer = zalo.answer(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
