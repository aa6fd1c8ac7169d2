"""Composition root of the web app: settings -> database -> the notifier's routing, ledger and
channels -> the sign-in service -> the Starlette app. `dondoc web` and `dondoc dev` build it;
like worker.py it is the one place that joins dondoc's services to the activities' adapters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import create_engine
from starlette.applications import Starlette
from temporalio.exceptions import ApplicationError

from activities.channels import Message
from activities.notify import ContactsBook, Notifier, Outgoing
from dondoc import db, keys
from dondoc.services.signin import AUDIT_PLAN, Send, SignIn, SignInAccount, SignInMessage
from dondoc.settings import Settings
from dondoc.web.accounts import AccountDirectory
from dondoc.web.app import create_app, utc_now
from dondoc.web.context import People, WebContext
from plans.model import Contact
from storage.accounts import Accounts
from storage.audit import AuditLog
from storage.ledger import Ledger
from storage.signin import SignInCodes
from worker import channels
from workflows.messages import Party, PlanContext, Recipient

# Outgoing carries a plan's context for notices; a sign-in belongs to no plan.
SIGNIN_CONTEXT = PlanContext(plan_id=AUDIT_PLAN, number=None, title="Đăng nhập", office="",
                             steering_committee="", parties={})


def notifier_send(notifier: Notifier) -> Send:
    """Deliver a sign-in message by the notifier's routing, ledger and channels: the person's
    channels in their order, each message once. Never rerouted to the office, as notices are
    when someone is unreachable: a sign-in code is for its person only."""

    def send(person: SignInAccount, key: str, text: SignInMessage) -> str | None:
        # By Zalo phone the code goes as the approved ZNS OTP template (DONDOC_ZNS_TEMPLATES
        # "signin"), whose parameter Zalo names `otp`.
        message = Message(subject=text.subject, text=text.text, html=text.html,
                          thread=f"signin.{person.account}", template="signin",
                          template_data={"otp": text.code})
        to = Recipient(role="lead", party=Party(id=person.account, name=person.name))
        item = Outgoing(key=key, ref=key, plan=SIGNIN_CONTEXT, kind="signin", to=to,
                        render=lambda _to, _on_behalf: message)
        if not notifier.channels:
            notifier.to_outbox(item, message)  # `dondoc dev`: the code shows in its console
            return "outbox"
        # `of` names a plan party in contacts files; routing reads only the addresses.
        contact = Contact(of="account", name=person.name, email=person.email,
                          zalo_phone=person.zalo_phone, zalo_user_id=person.zalo_user_id)
        for channel, address in notifier.routes(contact):
            try:
                delivery = notifier.try_channel(item, channel, address, message)
            except ApplicationError:  # a passing failure: try the person's next channel
                continue
            if delivery is not None:
                return channel
        return None

    return send


def build(settings: Settings, directory: People, clock: Callable[[], datetime]) -> WebContext:
    """The web app's services from the settings."""
    session_key = keys.require(settings, "session")
    engine = create_engine(db.database_url(settings))
    route_key = keys.require(settings, "route")
    ledger = Ledger(engine, route_key)
    notifier = Notifier(ledger=ledger, contacts=ContactsBook(None),
                        channels=channels(settings, ledger), outbox=settings.state_dir / "outbox")
    audit_key = keys.require(settings, "audit")
    signin = SignIn(codes=SignInCodes(engine), directory=directory, send=notifier_send(notifier),
                    audit=AuditLog(engine, audit_key),
                    lifetime=settings.signin_code_lifetime, secret=session_key,
                    link_base=settings.public_url, passwords=directory.password_hash)
    return WebContext(settings=settings, session_key=session_key, audit_key=audit_key,
                      engine=engine,
                      directory=directory, signin=signin, clock=clock, link_key=route_key)


def web_app(settings: Settings) -> Starlette:
    """The web app of `dondoc web` and `dondoc dev`: migrated database, accounts, services.
    `MissingKey` when a production setting lacks its session, route or audit key."""
    for name in ("session", "route", "audit"):  # a missing key stops it before anything
        keys.require(settings, name)
    url = db.database_url(settings)
    db.upgrade(url)
    return create_app(build(settings, AccountDirectory(Accounts(create_engine(url))), utc_now))
