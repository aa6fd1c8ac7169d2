"""The web app for tests: served by uvicorn on loopback, with a real database, a real SMTP
server (aiosmtpd) and the accounts a test gives; a real Chromium (Debian's package, driven by
Selenium through Debian's chromedriver) that keeps screenshots at desktop and phone width; and
the whole site on the real stack (`stack_site`), as the unit and office pages tests use it."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import create_engine
from starlette.applications import Starlette

from dondoc.db import upgrade
from dondoc.services.identity import hash_password
from dondoc.services.signin import SignInAccount
from dondoc.settings import Settings
from dondoc.web.accounts import AccountDirectory
from dondoc.web.app import create_app
from plans.access import Grant, PlanRole, Principal
from storage.accounts import Accounts
from tests.activities.servers import Mailbox, free_port, smtp_server
from tests.stack import Stack, start_stack
from webserver import build

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = Path(__file__).parents[2] / "build" / "screenshots"  # build/ is not committed
DESKTOP, PHONE = (1280, 900), (360, 780)


@dataclass
class Directory:
    """The accounts a test signs in with (the same interface as the accounts table's)."""

    people: dict[str, SignInAccount] = field(default_factory=dict)
    grants: dict[str, tuple[Grant, ...]] = field(default_factory=dict)

    def principal(self, account: str) -> Principal:
        person = self.people[account]
        return Principal(account=account, name=person.name, grants=self.grants.get(account, ()))

    def find(self, login: str) -> SignInAccount | None:
        login = login.lower()
        return next((p for p in self.people.values()
                     if login in (p.account.lower(), (p.email or "").lower())), None)

    def get(self, account: str) -> SignInAccount | None:
        return self.people.get(account)

    def password_hash(self, account: str) -> str | None:
        return None  # these accounts sign in with codes only


@contextmanager
def served(app: Starlette, port: int | None = None) -> Iterator[str]:
    """Serve the app on loopback (a free port unless given); its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--lang=vi-VN", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshots(driver: webdriver.Chrome, name: str) -> None:
    """Keep the page at desktop and at phone width; at phone width nothing may overflow."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        driver.set_window_size(width, height)
        driver.save_screenshot(str(SHOTS / f"{name}-{label}.png"))
        if label == "phone":
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px wider than a 360px phone"
    driver.set_window_size(*DESKTOP)


def fill(driver: webdriver.Chrome, fields: dict[str, str]) -> None:
    """Type into the form's fields, by name, what was there replaced."""
    for name, value in fields.items():
        box = driver.find_element(By.NAME, name)
        box.clear()
        box.send_keys(value)


def page_text(driver: webdriver.Chrome) -> str:
    for _ in range(50):  # a page still loading can lose its body between two calls
        try:
            return str(driver.find_element(By.TAG_NAME, "body").text)
        except WebDriverException:
            time.sleep(0.1)
    return str(driver.find_element(By.TAG_NAME, "body").text)


def press(driver: webdriver.Chrome, button: str) -> str:
    """Click the button labelled so, wait for the next page, and read it."""
    element = driver.find_element(By.XPATH, f"//button[normalize-space()='{button}']")
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 20).until(gone(old))
    return page_text(driver)


def gone(element: WebElement) -> Callable[[object], bool]:
    """A wait's condition: the element has left the document. Selenium's `staleness_of` asks
    in a way Chromium may answer with an error that is not 'stale' while it swaps documents."""

    def left(_: object) -> bool:
        try:
            element.tag_name  # noqa: B018  (asks the browser whether the node is still there)
        except WebDriverException:  # stale, or Chromium says the node left the document
            return True
        return False

    return left




def code_from(mailbox: Mailbox, address: str, timeout: float = 20) -> tuple[str, str]:
    """The 6-digit code and the sign-in link of the last message to `address`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for recipients, message in reversed(mailbox.messages):
            if address in recipients and "Mã đăng nhập" in str(message["Subject"]):
                body = message.get_body(("plain", "html"))
                assert body is not None
                text = body.get_content()
                code = re.search(r"\b(\d{6})\b", str(message["Subject"]))
                link = re.search(r'(http://[^\s"<>]+/dang-nhap/lien-ket/[\w-]+(?:\?next=[^\s"<>]+)?)',
                                 text)
                assert code and link, text
                return code.group(1), link.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no message to {address}: {mailbox.messages}")


def sign_in_with_code(driver: webdriver.Chrome, mailbox: Mailbox, login: str, *,
                      shot: str | None = None) -> tuple[str, str]:
    """On the sign-in form: ask for a code for `login` (an account's e-mail address), read it in
    the e-mail, type it. The page signed in to and the code; `shot` keeps the code's page."""
    fill(driver, {"login": login})
    asked = press(driver, "Gửi mã đăng nhập")
    assert "Nhập mã đăng nhập" in asked, asked
    code, _link = code_from(mailbox, login)
    if shot:
        screenshots(driver, shot)
    fill(driver, {"code": code})
    return press(driver, "Đăng nhập"), code


def mail_to(mailbox: Mailbox, address: str, subject: str, timeout: float = 60) -> EmailMessage:
    """The first message to `address` whose subject holds `subject`, as it arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for recipients, message in list(mailbox.messages):
            if address in recipients and subject in str(message["Subject"]):
                return message
        time.sleep(0.2)
    raise AssertionError(f"no message '{subject}' to {address}: "
                         f"{[str(m['Subject']) for _, m in mailbox.messages]}")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Clock:
    """The web app's clock: the real time, moved forward when a test lets a session idle."""

    ahead: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.ahead


@dataclass
class Site:
    """The web app on the real stack, and a Chromium to use it."""

    clock: Clock
    stack: Stack
    url: str
    mailbox: Mailbox
    browser: webdriver.Chrome

    def open(self, path: str) -> str:
        self.browser.get(self.url + path)
        return page_text(self.browser)

    def fill(self, fields: dict[str, str]) -> None:
        fill(self.browser, fields)

    def sign_in(self, account: str) -> str:
        if "Đăng xuất" in page_text(self.browser):
            press(self.browser, "Đăng xuất")
        self.clock.ahead += timedelta(minutes=16)  # past the window of the codes' rate limit
        self.open("/dang-nhap")
        return sign_in_with_code(self.browser, self.mailbox, account)[0]


@dataclass(frozen=True)
class Person:
    """An account (an e-mail address) and the one role it holds in the plan."""

    account: str
    name: str
    role: PlanRole
    party: str | None = None


@contextmanager
def stack_site(folder: Path, *, plan_id: str, plan: str, office: str, people: Sequence[Person],
               office_password: str | None = None, contacts: str | None = None
               ) -> Iterator[Site]:
    """The real stack behind the web app: the Temporal dev server, `dondoc worker`, the office
    of every plan (`dondoc` acts with its API key; it signs in to the web app with a code, or
    `office_password`), `people` with their roles in the plan, the plan loaded by `dondoc
    load`; with `contacts`, the worker e-mails the notices to them (links to the web app),
    else keeps them in the outbox. The loopback SMTP server takes the e-mail."""
    stack = start_stack(folder)
    try:
        database = f"sqlite:///{stack.state / 'dondoc.db'}"
        upgrade(database)
        accounts = Accounts(create_engine(database))
        accounts.add(office, name="Văn phòng Sở", email=office, password_hash=hash_password(
            office_password) if office_password else None)
        accounts.grant(office, Grant(role="office", plan="*"))
        stack.env["DONDOC_API_KEY"] = accounts.issue_token(office, "api_key", at=utc_now(),
                                                           lifetime=None)
        for person in people:
            accounts.add(person.account, name=person.name, email=person.account)
            accounts.grant(person.account, Grant(role=person.role, plan=plan_id,
                                                 party=person.party))
        with smtp_server() as (mailbox, port):
            smtp = f"mailto://127.0.0.1:{port}?mode=insecure&from=nhacviec@syt.example.invalid"
            web_port = free_port()
            public_url = f"http://127.0.0.1:{web_port}"
            plan_file = stack.state / f"{plan_id}.yaml"
            plan_file.write_text(plan, "utf-8")
            load = [str(plan_file)]
            if contacts is not None:
                del stack.env["DONDOC_OUTBOX_ONLY"]
                stack.env |= {"DONDOC_SMTP_URL": smtp, "DONDOC_PUBLIC_URL": public_url}
                (stack.state / "lien-he.yaml").write_text(contacts, "utf-8")
                load += ["--contacts", str(stack.state / "lien-he.yaml")]
            stack.start_worker()
            stack.dondoc("load", *load)
            settings = Settings(
                state_dir=stack.state, temporal_address=stack.server.address,
                session_key="e2e-" + "s" * 40, smtp_url=smtp, public_url=public_url)
            clock = Clock()
            app = create_app(build(settings, AccountDirectory(accounts), clock))
            with served(app, web_port) as url, chromium() as browser:
                yield Site(clock, stack, url, mailbox, browser)
    finally:
        stack.stop()
