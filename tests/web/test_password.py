"""Office staff's password sign-in, beside the codes: the argon2 hash `dondoc users password`
sets, for office accounts only, limited per account and per address, every sign-in audited."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from starlette.testclient import TestClient

from dondoc.db import upgrade
from dondoc.services.identity import hash_password
from dondoc.services.signin import (
    PASSWORDS_PER_ACCOUNT,
    WRONG_PER_ADDRESS,
    WRONG_PER_CODE,
    SignIn,
)
from dondoc.settings import Settings
from dondoc.web.accounts import AccountDirectory
from dondoc.web.app import create_app
from dondoc.web.context import WebContext
from plans.access import Grant
from storage.accounts import Accounts
from storage.audit import AuditLog
from storage.signin import SignInCodes
from tests.web.test_app import START, Clock, Outbox

OFFICE, HEAD = "vanphong@syt.example.invalid", "hl@ttyt.example.invalid"
SECRET = "mat-khau-van-phong-2026"
HASHED = hash_password(SECRET)  # once: argon2 is slow on purpose


@dataclass
class Site:
    client: TestClient
    clock: Clock
    outbox: Outbox
    audit: AuditLog

    def sign_in(self, login: str, password: str) -> tuple[int, str]:
        page = self.client.get("/dang-nhap")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token and 'action="/dang-nhap/mat-khau"' in page.text
        answer = self.client.post("/dang-nhap/mat-khau", follow_redirects=False, data={
            "csrf_token": token.group(1), "login": login, "password": password,
            "next": "/ke-hoach"})
        return answer.status_code, answer.headers.get("location") or answer.text


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(database)
    engine = create_engine(database)
    accounts = Accounts(engine)
    for account, grant in ((OFFICE, Grant(role="office", plan="*")),
                           (HEAD, Grant(role="unit_head", plan="kh", party="HL"))):
        accounts.add(account, name=account.split("@")[0], email=account,
                     password_hash=HASHED)
        accounts.grant(account, grant)
    settings = Settings(state_dir=tmp_path, database_url=database, session_key="s" * 40)
    directory, clock, outbox, audit = AccountDirectory(accounts), Clock(), Outbox(), \
        AuditLog(engine)
    signin = SignIn(codes=SignInCodes(engine), directory=directory, send=outbox, audit=audit,
                    secret=b"k" * 32, lifetime=settings.signin_code_lifetime,
                    link_base="https://dondoc.test", passwords=directory.password_hash)
    web = WebContext(settings=settings, session_key=b"s" * 40, audit_key=None, engine=engine,
                     directory=directory, signin=signin, clock=clock)
    with TestClient(create_app(web), base_url="https://testserver") as client:
        yield Site(client, clock, outbox, audit)


def signed_in(site: Site) -> list[dict[str, object]]:
    return [json.loads(e.details) | {"actor": e.actor} for e in site.audit.events(plan="_signin")
            if e.type == "signed_in"]


def test_office_staff_sign_in_with_their_password_and_it_is_audited(site: Site) -> None:
    assert site.sign_in(OFFICE, SECRET) == (303, "/ke-hoach")
    assert "Đăng xuất" in site.client.get("/dang-nhap/ma").text  # the session is there
    assert signed_in(site) == [{"method": "password", "address": "testclient", "actor": OFFICE}]
    assert site.outbox.sent == []  # no code was needed


@pytest.mark.parametrize(("login", "password"), [
    (OFFICE, "sai-mat-khau-roi"),
    (HEAD, SECRET),  # a unit head signs in with a code, even with a password set for the CLI
    ("ai-do@syt.example.invalid", SECRET),
])
def test_a_wrong_password_a_unit_head_or_nobody_get_the_same_answer(
        site: Site, login: str, password: str) -> None:
    status, page = site.sign_in(login, password)
    assert status == 400 and "Sai tài khoản hoặc mật khẩu" in page
    assert signed_in(site) == []


def test_wrong_passwords_are_limited_per_account_and_per_address(site: Site) -> None:
    for _ in range(PASSWORDS_PER_ACCOUNT):
        assert site.sign_in(OFFICE, "sai-mat-khau-roi")[0] == 400
    status, page = site.sign_in(OFFICE, SECRET)  # even the right one, for a while
    assert status == 429 and "Đã thử quá nhiều lần" in page
    site.clock.now = START + timedelta(minutes=16)
    assert site.sign_in(OFFICE, SECRET)[0] == 303
    # Password attempts are not codes sent: the office may still ask for codes; and wrong
    # codes and wrong passwords from one address count against the same limit.
    signin, now = site.client.app.state.web.signin, site.clock.now  # type: ignore[attr-defined]
    for _ in range(WRONG_PER_ADDRESS // WRONG_PER_CODE):
        signin.request(OFFICE, address="10.9.9.9", now=now)
        wrong = f"{(int(site.outbox.last_code()) + 1) % 10**6:06d}"
        for _ in range(WRONG_PER_CODE):
            with pytest.raises(Exception, match="Mã không đúng"):
                signin.with_code(OFFICE, wrong, address="10.9.9.9", now=now)
    with pytest.raises(Exception, match="quá nhiều lần"):
        signin.with_password(OFFICE, SECRET, address="10.9.9.9", now=now)
    assert len(signed_in(site)) == 1
