"""Signing in as a person does it, in a real Chromium: ask for a code, read it in the e-mail
that reached the loopback SMTP server, type it; and what the app refuses. Temporal is down in
this module (its address is a closed port): the pages that need it say so plainly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from selenium import webdriver
from sqlalchemy import create_engine

from dondoc.db import upgrade
from dondoc.services.signin import SignInAccount
from dondoc.settings import Settings
from dondoc.web.app import create_app
from storage.audit import AuditLog
from tests.activities.servers import Mailbox, free_port, smtp_server
from tests.web.site import (
    Directory,
    chromium,
    code_from,
    fill,
    page_text,
    press,
    screenshots,
    served,
    sign_in_with_code,
    utc_now,
)
from webserver import build

HEAD = SignInAccount(account="ttyt.a@syt.example.invalid", name="Trần Thị Hoa",
              email="ttyt.a@syt.example.invalid")


@dataclass
class Site:
    url: str
    mailbox: Mailbox
    database: str
    browser: webdriver.Chrome

    def open(self, path: str) -> str:
        self.browser.get(self.url + path)
        return page_text(self.browser)

    def submit(self, fields: dict[str, str], button: str) -> str:
        fill(self.browser, fields)
        return press(self.browser, button)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    state = tmp_path_factory.mktemp("web")
    database = f"sqlite:///{state / 'dondoc.db'}"
    upgrade(database)
    with smtp_server() as (mailbox, port):
        settings = Settings(
            state_dir=state, session_key="test-secret-" + "x" * 32,
            smtp_url=f"mailto://127.0.0.1:{port}?mode=insecure&from=nhacviec@syt.example.invalid",
            public_url="http://127.0.0.1:0", temporal_address=f"127.0.0.1:{free_port()}")
        directory = Directory({HEAD.account: HEAD})
        app = create_app(build(settings, directory, utc_now))
        with served(app) as url:
            app.state.web.signin.link_base = url
            with chromium() as browser:
                yield Site(url, mailbox, database, browser)


def test_a_unit_head_signs_in_with_the_code_from_the_email(site: Site) -> None:
    text = site.open("/")
    assert "Đăng nhập" in text and "Gửi mã đăng nhập" in text
    screenshots(site.browser, "dang-nhap")
    text, code = sign_in_with_code(site.browser, site.mailbox, HEAD.email or "", shot="nhap-ma")
    assert HEAD.name in text and "Đăng xuất" in text  # signed in
    assert "Tạm thời chưa kết nối được" in text and "Traceback" not in text  # Temporal is down
    screenshots(site.browser, "tam-thoi-chua-ket-noi")
    # The same code does not work twice.
    press(site.browser, "Đăng xuất")
    site.open("/dang-nhap/ma?login=" + (HEAD.email or ""))
    text = site.submit({"code": code}, "Đăng nhập")
    assert "Mã không đúng, đã dùng hoặc đã hết hạn" in text
    audit = AuditLog(create_engine(site.database))
    kinds = [(r.type, r.actor, json.loads(r.details).get("method"))
             for r in audit.events(plan="_signin")]
    assert ("signed_in", HEAD.account, "code") in kinds
    assert ("signed_out", HEAD.account, None) in kinds


def test_the_link_in_the_email_signs_in_once(site: Site) -> None:
    site.open("/dang-nhap")
    site.submit({"login": HEAD.account}, "Gửi mã đăng nhập")
    _code, link = code_from(site.mailbox, HEAD.email or "")
    text = site.open(link.removeprefix(site.url))
    assert HEAD.name in text and "Đăng xuất" in text
    press(site.browser, "Đăng xuất")
    assert "Liên kết đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn" in \
        site.open(link.removeprefix(site.url))


def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    site.open("/dang-nhap")
    site.browser.execute_script(
        "document.querySelector('form[action=\"/dang-nhap\"] [name=csrf_token]').remove()")
    before = len(site.mailbox.messages)
    text = site.submit({"login": HEAD.email or ""}, "Gửi mã đăng nhập")
    assert "Biểu mẫu đã hết hiệu lực" in text and "Traceback" not in text
    assert len(site.mailbox.messages) == before  # nothing was sent
    screenshots(site.browser, "loi-csrf")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(site: Site) -> None:
    site.open("/dang-nhap")
    before = len(site.mailbox.messages)
    text = site.submit({"login": "ai.do@example.invalid"}, "Gửi mã đăng nhập")
    assert "Nhập mã đăng nhập" in text
    assert len(site.mailbox.messages) == before


def test_an_unknown_page_is_a_vietnamese_404(site: Site) -> None:
    text = site.open("/khong-co")
    assert "Không tìm thấy trang" in text
