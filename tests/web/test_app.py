"""The web app's guards, without a browser: CSRF on every form, the session cookie's flags and
expiries, sign-in codes used once, expiring and rate-limited, oversized requests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine
from starlette.routing import Route
from starlette.testclient import TestClient

from dondoc.db import upgrade
from dondoc.services.signin import (
    CODES_PER_ACCOUNT,
    WRONG_PER_CODE,
    SignIn,
    SignInAccount,
    SignInMessage,
)
from dondoc.settings import Settings
from dondoc.web.app import create_app
from dondoc.web.context import WebContext
from plans.access import Grant
from plans.links import NoticeLinks
from storage.audit import AuditLog
from storage.signin import SignInCodes
from tests.web.site import Directory

HEAD = SignInAccount(account="head@unit.example.invalid", name="Lê Văn Nam",
              email="head@unit.example.invalid")
START = datetime(2025, 3, 20, 2, 0, tzinfo=UTC)  # a Thursday, 09:00 in Hà Nội


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Outbox:
    sent: list[tuple[SignInAccount, SignInMessage]] = field(default_factory=list)

    def __call__(self, person: SignInAccount, key: str, message: SignInMessage) -> str:
        self.sent.append((person, message))
        return "email"

    def last_code(self) -> str:
        match = re.search(r"\d{6}", self.sent[-1][1].subject)
        assert match
        return match.group(0)


@dataclass
class App:
    client: TestClient
    clock: Clock
    outbox: Outbox
    web: WebContext

    def csrf(self, path: str = "/dang-nhap") -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(path).text)
        assert match
        return match.group(1)

    def sign_in(self) -> None:
        self.client.post("/dang-nhap", data={"csrf_token": self.csrf(), "login": HEAD.account})
        answer = self.client.post("/dang-nhap/ma", data={
            "csrf_token": self.csrf(), "login": HEAD.account, "code": self.outbox.last_code()},
            follow_redirects=False)
        assert answer.status_code == 303, answer.text


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    database = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(database)
    engine = create_engine(database)
    settings = Settings(state_dir=tmp_path, database_url=database, session_key="s" * 40,
                        evidence_max_bytes=10_000)
    clock, outbox = Clock(), Outbox()
    directory = Directory({HEAD.account: HEAD})
    signin = SignIn(codes=SignInCodes(engine), directory=directory, send=outbox,
                    audit=AuditLog(engine), secret=b"k" * 32,
                    lifetime=settings.signin_code_lifetime, link_base="https://dondoc.test")
    web = WebContext(settings=settings, session_key=b"s" * 40, audit_key=None, engine=engine,
                     directory=directory, signin=signin, clock=clock, link_key=b"r" * 32)
    with TestClient(create_app(web), base_url="https://testserver") as client:
        yield App(client, clock, outbox, web)


def test_every_form_is_refused_without_its_csrf_token(app: App) -> None:
    app.sign_in()
    posts = [r.path for r in app.client.app.routes  # type: ignore[attr-defined]
             if isinstance(r, Route) and "POST" in (r.methods or ())]
    assert posts
    for path in posts:
        for data in ({}, {"csrf_token": "forged"}):
            answer = app.client.post(path, data=data | {"login": HEAD.account})
            assert answer.status_code == 403, path
            assert "Biểu mẫu đã hết hiệu lực" in answer.text
    assert len(app.outbox.sent) == 1  # only the sign-in's own code


def test_the_session_cookie_is_secure_httponly_samesite(app: App) -> None:
    cookie = app.client.get("/dang-nhap").headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_a_session_ends_when_idle_and_after_its_absolute_lifetime(app: App) -> None:
    settings = app.web.settings
    app.sign_in()
    assert HEAD.name in app.client.get("/dang-nhap/ma").text
    app.clock.now += settings.session_idle + timedelta(seconds=1)
    answer = app.client.get("/dang-nhap")
    assert "Phiên làm việc đã hết hạn" in answer.text and HEAD.name not in answer.text

    app.sign_in()
    for _ in range(int(settings.session_absolute / settings.session_idle) + 1):
        app.clock.now += settings.session_idle - timedelta(minutes=1)  # never idle for long
        app.client.get("/dang-nhap/ma")
    assert "Phiên làm việc đã hết hạn" in app.client.get("/dang-nhap").text


def test_a_code_expires_and_works_once(app: App) -> None:
    signin, now = app.web.signin, app.clock.now
    signin.request(HEAD.account, address="10.0.0.1", now=now)
    code = app.outbox.last_code()
    late = now + app.web.settings.signin_code_lifetime + timedelta(seconds=1)
    with pytest.raises(Exception, match="đã hết hạn"):
        signin.with_code(HEAD.account, code, address="10.0.0.1", now=late)
    signin.request(HEAD.account, address="10.0.0.1", now=now)
    code = app.outbox.last_code()
    assert signin.with_code(HEAD.email or "", code, address="10.0.0.1", now=now) == HEAD
    with pytest.raises(Exception, match="đã dùng"):
        signin.with_code(HEAD.account, code, address="10.0.0.1", now=now)


def test_wrong_guesses_spend_a_code(app: App) -> None:
    signin, now = app.web.signin, app.clock.now
    signin.request(HEAD.account, address="10.0.0.2", now=now)
    code = app.outbox.last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(WRONG_PER_CODE):
        with pytest.raises(Exception, match="Mã không đúng"):
            signin.with_code(HEAD.account, wrong, address="10.0.0.2", now=now)
    with pytest.raises(Exception, match="Mã không đúng"):
        signin.with_code(HEAD.account, code, address="10.0.0.2", now=now)


def test_codes_are_rate_limited_per_account_and_per_address(app: App) -> None:
    signin, now = app.web.signin, app.clock.now
    for i in range(CODES_PER_ACCOUNT):
        signin.request(HEAD.account, address=f"10.0.1.{i}", now=now)
    with pytest.raises(Exception, match="quá nhiều lần") as refused:
        signin.request(HEAD.account, address="10.0.1.99", now=now)
    assert refused.value.status == 429  # type: ignore[attr-defined]
    assert len(app.outbox.sent) == CODES_PER_ACCOUNT
    for _ in range(20):  # unknown logins still count against the address
        signin.request("nobody@example.invalid", address="10.0.2.1", now=now)
    with pytest.raises(Exception, match="quá nhiều lần"):
        signin.request("nobody@example.invalid", address="10.0.2.1", now=now)
    later = now + timedelta(minutes=16)
    signin.request(HEAD.account, address="10.0.1.99", now=later)
    assert len(app.outbox.sent) == CODES_PER_ACCOUNT + 1


def test_a_request_over_the_limit_is_refused_in_vietnamese(app: App) -> None:
    answer = app.client.post("/dang-nhap", data={"csrf_token": app.csrf(), "login": "x" * 100_000})
    assert answer.status_code == 413 and "Dữ liệu gửi lên quá lớn" in answer.text


def test_with_the_database_down_the_page_says_so_and_keeps_what_was_typed(tmp_path: Path) -> None:
    from tests.activities.servers import free_port

    down = create_engine(f"postgresql+psycopg://dondoc@127.0.0.1:{free_port()}/dondoc",
                         connect_args={"connect_timeout": 2})
    settings = Settings(state_dir=tmp_path, session_key="s" * 40)
    directory = Directory({HEAD.account: HEAD})
    signin = SignIn(codes=SignInCodes(down), directory=directory, send=Outbox(),
                    audit=AuditLog(down), secret=b"k" * 32, lifetime=timedelta(minutes=10),
                    link_base="https://dondoc.test")
    web = WebContext(settings=settings, session_key=b"s" * 40, audit_key=None, engine=down,
                     directory=directory, signin=signin, clock=Clock())
    with TestClient(create_app(web), base_url="https://testserver") as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/dang-nhap").text)
        assert token
        answer = client.post("/dang-nhap", data={"csrf_token": token.group(1),
                                                 "login": "head@unit.example.invalid"})
    assert answer.status_code == 503
    assert "Tạm thời chưa kết nối được" in answer.text and "Traceback" not in answer.text
    assert ">head@unit.example.invalid</textarea>" in answer.text  # kept, ready to send again
    assert 'action="/dang-nhap"' in answer.text


def test_signing_out_everywhere_ends_the_sessions_on_other_devices(app: App) -> None:
    app.sign_in()
    other = TestClient(app.client.app, base_url="https://testserver")
    phone = App(other, app.clock, app.outbox, app.web)
    app.clock.now += timedelta(seconds=1)
    phone.sign_in()
    assert HEAD.name in other.get("/dang-nhap/ma").text
    app.clock.now += timedelta(seconds=1)
    app.client.post("/dang-xuat", data={"csrf_token": app.csrf("/dang-nhap/ma"), "everywhere": "1"})
    answer = other.get("/dang-nhap")
    assert "Phiên làm việc đã hết hạn" in answer.text and HEAD.name not in answer.text
    app.clock.now += timedelta(seconds=1)
    app.sign_in()  # a new sign-in after it works
    assert HEAD.name in app.client.get("/dang-nhap/ma").text


def test_a_notices_link_leads_through_sign_in_to_its_page_and_grants_nothing(app: App) -> None:
    sent = NoticeLinks(app.web.settings.public_url, b"r" * 32).to("web/BA/HL", at=app.clock.now)
    path = urlsplit(sent).path
    answer = app.client.get(path, follow_redirects=False)
    assert answer.status_code == 303  # no session: sign in first, then back to the page
    assert answer.headers["location"] == "/dang-nhap?next=/viec/web/BA/HL"
    assert 'name="next" value="/viec/web/BA/HL"' in app.client.get(answer.headers["location"]).text
    app.sign_in()
    answer = app.client.get(path, follow_redirects=False)
    assert answer.headers["location"] == "/viec/web/BA/HL"  # signed in: the page, which
    # applies the authorization table to the session's person as for any visit

    app.clock.now += app.web.settings.notice_link_lifetime + timedelta(seconds=1)
    answer = app.client.get(path)
    assert answer.status_code == 410 and "Liên kết đã hết hạn" in answer.text
    for forged in (path[:-3], path + "x", "/lien-ket/web.BA.HL",
                   urlsplit(NoticeLinks("https://x", b"k" * 32).to("web/BA/HL",
                                                                  at=app.clock.now)).path):
        answer = app.client.get(forged)
        assert answer.status_code == 400 and "Liên kết không hợp lệ" in answer.text, forged
        assert "web/BA" not in answer.text and "Traceback" not in answer.text


def test_the_sign_in_link_leads_back_to_the_page_that_asked_for_it(app: App) -> None:
    answer = app.client.get("/viec/web/BA/HL", follow_redirects=False)
    asked = answer.headers["location"]
    assert asked == "/dang-nhap?next=/viec/web/BA/HL"
    token = re.search(r'name="csrf_token" value="([^"]+)"', app.client.get(asked).text)
    assert token
    app.client.post("/dang-nhap", data={"csrf_token": token.group(1), "login": HEAD.account,
                                        "next": "/viec/web/BA/HL"})
    message = app.outbox.sent[-1][1]
    link = re.search(r"https://dondoc.test(/dang-nhap/lien-ket/\S+)", message.text)
    assert link and link.group(1).endswith("?next=/viec/web/BA/HL")
    assert f'href="https://dondoc.test{link.group(1)}"' in message.html
    answer = app.client.get(link.group(1), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/viec/web/BA/HL"


def test_the_auditor_reads_a_broken_log_and_what_was_not_checked_in_vietnamese(
        tmp_path: Path) -> None:
    """A row edited past the triggers, Temporal out of reach: the page says both in Vietnamese,
    each finding with the check's code the command prints."""
    from sqlalchemy import text

    from tests.activities.servers import free_port
    from tests.activities.test_audit import LIFE, event

    database = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(database)
    engine = create_engine(database)
    audit = AuditLog(engine)
    for seq, (kind, actor, details) in enumerate(LIFE, start=1):
        audit.append(event("p/T1", seq, kind, actor, details))
    with engine.begin() as db:
        for (name,) in db.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")):
            db.execute(text(f'DROP TRIGGER "{name}"'))
        db.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = 3"))
    settings = Settings(state_dir=tmp_path, database_url=database, session_key="s" * 40,
                        temporal_address=f"127.0.0.1:{free_port()}")
    clock, outbox = Clock(), Outbox()
    directory = Directory({HEAD.account: HEAD}, {HEAD.account: (Grant(role="auditor"),)})
    signin = SignIn(codes=SignInCodes(engine), directory=directory, send=outbox, audit=audit,
                    secret=b"k" * 32, lifetime=settings.signin_code_lifetime,
                    link_base="https://dondoc.test")
    web = WebContext(settings=settings, session_key=b"s" * 40, audit_key=None, engine=engine,
                     directory=directory, signin=signin, clock=clock, link_key=b"r" * 32)
    with TestClient(create_app(web), base_url="https://testserver") as client:
        auditor = App(client, clock, outbox, web)
        auditor.sign_in()
        page = client.get("/kiem-tra?plan=p").text
    assert "Nhật ký không còn nguyên vẹn: 1 điểm kiểm tra không đạt" in page
    assert ("Dòng 3 (p/T1): nội dung không khớp mã băm của nó: đã bị sửa, chèn thêm hoặc "
            "chuyển từ kế hoạch khác bởi người không có khóa nhật ký") in page
    assert "[row-hash]" in page
    assert "Chưa đối chiếu được các mốc lưu trên Temporal" in page
    assert "not checked" not in page and "its content" not in page
