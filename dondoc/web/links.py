"""Following the link a notice carries: its signature and age checked, then the occurrence's
page, which asks for sign-in first when there is no session and applies the authorization table
as for any visit. The link itself grants nothing."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dondoc.web.app import redirect, render
from dondoc.web.context import WebContext
from plans.links import PATH, BadLink, NoticeLinks

REFUSED = {
    "expired": ("Liên kết đã hết hạn",
                "Liên kết trong thông báo này đã quá thời hạn sử dụng. Đồng chí vẫn xem và xử lý "
                "được nhiệm vụ: đăng nhập rồi mở mục “Việc của đơn vị”, hoặc mở liên kết trong "
                "thông báo mới nhất."),
    "forged": ("Liên kết không hợp lệ",
               "Liên kết này không đúng (có thể bị cắt mất một phần khi sao chép). Hãy mở lại "
               "liên kết đầy đủ trong thông báo, hoặc đăng nhập rồi mở mục “Việc của đơn vị”."),
}


async def follow(request: Request) -> Response:
    web: WebContext = request.app.state.web
    try:
        if web.link_key is None:
            raise BadLink("forged")
        ref = NoticeLinks(web.settings.public_url, web.link_key).ref(
            request.path_params["token"], now=web.clock(),
            lifetime=web.settings.notice_link_lifetime)
    except BadLink as bad:
        title, text = REFUSED[bad.reason]
        return render(request, "error.html", 400 if bad.reason == "forged" else 410,
                      title=title, text=text)
    page = f"/viec/{quote(ref)}"
    if getattr(request.state, "person", None) is None:
        return redirect(f"/dang-nhap?next={quote(page)}")
    return redirect(page)


def routes() -> list[BaseRoute]:
    return [Route(PATH + "{token}", follow, methods=["GET"])]
