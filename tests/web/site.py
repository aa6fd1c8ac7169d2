"""The web app for tests: served by uvicorn on loopback, with a real database, a real SMTP
server (aiosmtpd) and the accounts a test gives; a real Chromium (Debian's package, driven by
Selenium through Debian's chromedriver) that keeps screenshots at desktop and phone width."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from starlette.applications import Starlette

from dondoc.services.signin import SignInAccount
from plans.access import Grant, Principal
from tests.activities.servers import Mailbox, free_port

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
