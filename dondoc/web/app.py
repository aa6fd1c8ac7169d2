"""The web app: settings and services in, a Starlette application out (`create_app`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import quote

import structlog
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

from dondoc.temporal import Unreachable
from dondoc.web import formatting, session
from dondoc.web.context import WebContext

HERE = Path(__file__).parent
log = structlog.get_logger("dondoc.web")
P = ParamSpec("P")
T = TypeVar("T")
Handler = Callable[[Request], Awaitable[Response]]

templates = Jinja2Templates(directory=HERE / "templates")
formatting.install(templates.env)


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """A page: the template with the session's form token and who is signed in."""
    web: WebContext = request.app.state.web
    context |= {"csrf": session.csrf_token(request.session),
                "me": getattr(request.state, "person", None), "public_url": web.settings.public_url}
    return templates.TemplateResponse(request, name, context, status_code=status)


def redirect(url: str) -> RedirectResponse:
    """POST-redirect-GET: a reload never sends the form again."""
    return RedirectResponse(url, status_code=303)


MESSAGES = {
    403: ("Không có quyền truy cập",
          "Trang này không thuộc những việc bạn được xem hoặc xử lý. Nếu cần, xin liên hệ "
          "Văn phòng Sở Y tế."),
    404: ("Không tìm thấy trang", "Địa chỉ này không có trong hệ thống. Hãy quay lại trang chủ."),
    405: ("Không thực hiện được", "Thao tác này không dùng được ở đây."),
    413: ("Dữ liệu gửi lên quá lớn",
          "Tệp hoặc biểu mẫu vượt quá giới hạn cho phép. Hãy chọn tệp nhỏ hơn rồi gửi lại."),
    429: ("Thử quá nhiều lần", "Xin đợi vài phút rồi thử lại."),
}
CSRF = ("Biểu mẫu đã hết hiệu lực",
        "Biểu mẫu này không còn hợp lệ (đã quá lâu hoặc không gửi từ trang của hệ thống). Hãy "
        "mở lại trang và gửi lại.")


class SignInFirst(Exception):
    """A page for signed-in people only: sign in, then come back here."""


async def sign_in_first(request: Request, error: Exception) -> Response:
    return redirect(f"/dang-nhap?next={quote(request.url.path)}")


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    title, text = CSRF if error.detail == "csrf" else MESSAGES.get(
        error.status_code, ("Không thực hiện được", "Xin thử lại sau."))
    return render(request, "error.html", error.status_code, title=title, text=text)


def unavailable(error: Exception) -> bool:
    """Temporal or the database cannot be reached: the person can only wait and retry."""
    if isinstance(error, Unreachable | OperationalError | InterfaceError):
        return True
    return isinstance(error, RPCError) and error.status in (
        RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)


# What the forms' fields are called, to show back what was typed (the others stay hidden).
LABELS = {"login": "Tài khoản hoặc địa chỉ e-mail", "code": "Mã đăng nhập",
          "number": "Số văn bản báo cáo", "date": "Ngày văn bản", "note": "Nội dung, ghi chú",
          "until": "Gia hạn đến ngày", "reason": "Lý do, ý kiến"}


def unavailable_page(request: Request, form: FormData | None = None) -> Response:
    """503, with what was typed kept in a form that sends it again."""
    kept = [(k, v, LABELS.get(k)) for k, v in (form.multi_items() if form else [])
            if isinstance(v, str) and k != session.CSRF_FIELD]
    had_file = bool(form) and any(isinstance(v, UploadFile) and v.filename
                                  for _, v in form.multi_items())  # type: ignore[union-attr]
    return render(request, "unavailable.html", 503, kept=kept, had_file=had_file,
                  action=request.url.path if request.method == "POST" else None)


async def server_error(request: Request, error: Exception) -> Response:
    if unavailable(error):
        log.warning("web.unavailable", path=request.url.path, error=str(error).splitlines()[0])
        return unavailable_page(request)
    log.exception("web.error", path=request.url.path)
    return render(request, "error.html", 500, title="Đã có lỗi",
                  text="Hệ thống gặp lỗi khi xử lý yêu cầu này. Xin thử lại; nếu lỗi còn, hãy báo "
                  "Văn phòng Sở Y tế.")


def form_action(handler: Callable[[Request, FormData], Awaitable[Response]]) -> Handler:
    """A POST route: the CSRF token checked first; if Temporal or the database is down, the
    page says so and keeps what was typed."""

    async def endpoint(request: Request) -> Response:
        form = await session.checked_form(request)
        try:
            return await handler(request, form)
        except SignInFirst:
            # The session ended while the form was being filled: sign in, then find it again.
            session.keep_draft(request.session, request.url.path, form)
            back = form.get("page")
            page = back if isinstance(back, str) and back.startswith("/") else "/"
            return redirect(f"/dang-nhap?next={quote(page)}")
        except Exception as error:
            if unavailable(error):
                log.warning("web.unavailable", path=request.url.path,
                            error=str(error).splitlines()[0])
                return unavailable_page(request, form)
            raise

    return endpoint


FORM_ALLOWANCE = 64 * 1024  # a form's own fields, beside its largest allowed file


class BodyLimit:
    """Refuse a request body over the limit (413) before anything reads it into memory or disk."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"")
        seen = 0

        async def limited() -> Message:
            # Raised while a route reads its form, so the error page renders as a 413.
            nonlocal seen
            if length.isdigit() and int(length) > self.limit:
                raise HTTPException(413)
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise HTTPException(413)
            return message

        await self.app(scope, limited, send)


class Identify:
    """Put the signed-in person and their principal (or None) on request.state, expiring the
    session as needed; the accounts are read in a thread, off the event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            web: WebContext = request.app.state.web
            settings = web.settings
            who = request.session.get("account")
            ended = await blocking(web.signin.ended_everywhere, who) if who else None
            who = session.account(request.session, now=web.clock(), idle=settings.session_idle,
                                  absolute=settings.session_absolute, ended=ended)
            request.state.person, request.state.principal = \
                await blocking(web.signed_in, who) if who else (None, None)
        await self.app(scope, receive, send)


def create_app(web: WebContext) -> Starlette:
    from dondoc.web import office, pages, signin

    settings = web.settings
    app = Starlette(
        routes=[*signin.routes(), *pages.routes(), *office.routes(),
                Mount("/tinh", StaticFiles(directory=HERE / "static"), name="static")],
        middleware=[
            Middleware(BodyLimit, limit=settings.evidence_max_bytes + FORM_ALLOWANCE),
            Middleware(SessionMiddleware, secret_key=web.session_key.decode(),
                       session_cookie="dondoc_session",
                       max_age=int(settings.session_idle.total_seconds()),
                       same_site="lax", https_only=True),
            Middleware(Identify),
        ],
        exception_handlers={HTTPException: http_error, SignInFirst: sign_in_first,
                            Exception: server_error},
    )
    app.state.web = web
    return app


def utc_now() -> datetime:
    return datetime.now(UTC)


async def blocking(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Database and mail calls run off the event loop, so one slow request holds no other."""
    return await asyncio.to_thread(function, *args, **kwargs)
