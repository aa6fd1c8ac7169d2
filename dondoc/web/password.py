"""Office staff's other way in: the password set with `dondoc users password` (argon2), beside
the code or link sent to everyone. Limited and audited by the same sign-in service."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.services.signin import SignInRefused
from dondoc.web import session
from dondoc.web.app import blocking, form_action, redirect, render
from dondoc.web.context import WebContext
from dondoc.web.signin import client_address, safe_next


@form_action
async def with_password(request: Request, form: FormData) -> Response:
    login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    next_url = safe_next(form.get("next"))
    web: WebContext = request.app.state.web
    try:
        if not login or not password:
            raise SignInRefused("Hãy nhập tài khoản và mật khẩu.")
        person = await blocking(web.signin.with_password, login, password,
                                address=client_address(request), now=web.clock())
    except SignInRefused as refused:
        return render(request, "signin.html", refused.status, next=next_url, expired=False,
                      login="", error=None, password_login=login, password_error=str(refused))
    session.begin(request.session, person.account, now=web.clock())
    return redirect(next_url)


def routes() -> list[BaseRoute]:
    return [Route("/dang-nhap/mat-khau", with_password, methods=["POST"])]
