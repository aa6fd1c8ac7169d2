"""Sign-in pages: ask for a code, type it (or follow the link), sign out."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.services.signin import SignInRefused
from dondoc.web import session
from dondoc.web.app import blocking, form_action, redirect, render
from dondoc.web.context import WebContext


def _web(request: Request) -> WebContext:
    return request.app.state.web  # type: ignore[no-any-return]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def safe_next(value: object) -> str:
    """Only a path of this site: never send someone elsewhere after sign-in."""
    return value if isinstance(value, str) and value.startswith("/") and \
        not value.startswith("//") else "/"


async def ask(request: Request) -> Response:
    if getattr(request.state, "person", None) is not None:
        return redirect(safe_next(request.query_params.get("next")))
    expired = request.session.pop("expired", False)
    return render(request, "signin.html", next=safe_next(request.query_params.get("next")),
                  expired=expired, login="", error=None)


@form_action
async def send_code(request: Request, form: FormData) -> Response:
    login, next_url = str(form.get("login", "")).strip(), safe_next(form.get("next"))
    if not login:
        return render(request, "signin.html", 400, next=next_url, expired=False, login="",
                      error="Hãy nhập tên tài khoản hoặc địa chỉ e-mail.")
    web = _web(request)
    try:
        await blocking(web.signin.request, login, address=client_address(request), now=web.clock(),
                       then=next_url)
    except SignInRefused as refused:
        return render(request, "signin.html", refused.status, next=next_url, expired=False,
                      login=login, error=str(refused))
    return redirect(f"/dang-nhap/ma?login={quote(login)}&next={quote(next_url)}")


async def code_page(request: Request) -> Response:
    return render(request, "code.html", login=request.query_params.get("login", ""),
                  next=safe_next(request.query_params.get("next")), error=None)


@form_action
async def check_code(request: Request, form: FormData) -> Response:
    login, code = str(form.get("login", "")), str(form.get("code", ""))
    next_url = safe_next(form.get("next"))
    web = _web(request)
    try:
        person = await blocking(web.signin.with_code, login, code, address=client_address(request),
                            now=web.clock())
    except SignInRefused as refused:
        return render(request, "code.html", refused.status, login=login, next=next_url,
                      error=str(refused))
    session.begin(request.session, person.account, now=web.clock())
    return redirect(next_url)


async def follow_link(request: Request) -> Response:
    web = _web(request)
    try:
        person = await blocking(web.signin.with_link, request.path_params["token"],
                            address=client_address(request), now=web.clock())
    except SignInRefused as refused:
        return render(request, "error.html", 400, title="Không đăng nhập được", text=str(refused))
    session.begin(request.session, person.account, now=web.clock())
    return redirect(safe_next(request.query_params.get("next")))


@form_action
async def sign_out(request: Request, form: FormData) -> Response:
    web = _web(request)
    person = getattr(request.state, "person", None)
    if person is not None:
        await blocking(web.signin.signed_out, person.account, address=client_address(request),
                       now=web.clock(), everywhere=form.get("everywhere") == "1")
    request.session.clear()
    return redirect("/dang-nhap")


def routes() -> list[BaseRoute]:
    return [
        Route("/dang-nhap", ask, methods=["GET"]),
        Route("/dang-nhap", send_code, methods=["POST"]),
        Route("/dang-nhap/ma", code_page, methods=["GET"]),
        Route("/dang-nhap/ma", check_code, methods=["POST"]),
        Route("/dang-nhap/lien-ket/{token}", follow_link, methods=["GET"]),
        Route("/dang-xuat", sign_out, methods=["POST"]),
    ]
