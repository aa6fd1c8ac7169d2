"""The `send_notice` activity: a notice reaches its person once, on the channel they prefer.

For each channel the recipient can be reached on (their preference first): the ledger says
whether this notice already went out; if not, it is sent and the outcome recorded. A permanent
failure (not a Zalo follower, no Zalo account, a refused token, an address the server refuses)
moves on to the next channel; a passing one (rate limit, an unreachable server) fails the
attempt so Temporal retries it with back-off. A channel never raises: whatever goes wrong is an
outcome with its reason, recorded with addresses masked. Someone reachable on no channel is
reported to the plan's office instead. Without any channel configured, notices go to the local
outbox (`dondoc dev`).

The activity heartbeats from a helper thread while it waits on the network, so a worker that
died is noticed within the heartbeat timeout while a slow provider is given the time it takes.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import Channel, Message, Sent
from activities.files import write_once
from activities.render import render
from plans.links import NoticeLinks
from plans.masking import mask
from plans.model import Contact, Contacts
from plans.validation import check_contacts
from storage.ledger import Ledger
from workflows.messages import Delivery, Notice, PlanContext, Recipient

log = structlog.get_logger("dondoc.notify")
GIVE_UP_AFTER = 5  # attempts of a channel that keeps failing for a passing reason
HEARTBEAT_EVERY = 5.0  # seconds; the workflow's heartbeat timeout is a few of these


class ContactsBook:
    """Contacts per plan, `<contacts_dir>/<plan id>.yaml`, reread when a file changes."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.cache: dict[str, tuple[float, Contacts | None]] = {}

    def get(self, plan_id: str, party_id: str) -> Contact | None:
        contacts = self.plan(plan_id)
        return contacts.get(party_id) if contacts else None

    def plan(self, plan_id: str) -> Contacts | None:
        if self.folder is None:
            return None
        path = self.folder / f"{plan_id}.yaml"
        if not path.exists():
            return None
        mtime = path.stat().st_mtime
        cached = self.cache.get(plan_id)
        if cached is None or cached[0] != mtime:
            checked = check_contacts(path.read_text("utf-8"), str(path))
            for problem in checked.problems:
                log.warning("contacts.problem", problem=str(problem))
            self.cache[plan_id] = (mtime, checked.value)
        return self.cache[plan_id][1]


@dataclass(frozen=True)
class Outgoing:
    """What the notifier delivers: a keyed message for one recipient, rendered for whoever
    finally receives it (the office, when the recipient cannot be reached)."""

    key: str
    ref: str
    plan: PlanContext
    kind: str
    to: Recipient
    render: Callable[[Recipient, Recipient | None], Message]


def for_notice(notice: Notice, link: str | None = None) -> Outgoing:
    return Outgoing(
        key=notice.key, ref=notice.ref, plan=notice.plan, kind=notice.kind, to=notice.to,
        render=lambda to, on_behalf: render(notice.model_copy(update={"to": to}),
                                            on_behalf=on_behalf, link=link))


@dataclass
class Notifier:
    ledger: Ledger
    contacts: ContactsBook
    channels: dict[str, Channel]  # "email", "zalo": the configured ones
    outbox: Path
    links: NoticeLinks | None = None  # each notice's link to its occurrence's page

    @activity.defn(name="send_notice")
    def send_notice(self, notice: Notice) -> Delivery:
        structlog.contextvars.bind_contextvars(
            plan_id=notice.occurrence.plan_id, task_id=notice.occurrence.task_id,
            unit=notice.occurrence.unit_id, ref=notice.ref)
        try:
            with heartbeating(HEARTBEAT_EVERY):
                return self.deliver(for_notice(notice, self.link(notice.ref)))
        finally:
            structlog.contextvars.clear_contextvars()

    def link(self, ref: str) -> str | None:
        """The signed link to `ref`'s page, made now (here, never in the workflow: a signature
        and the clock are no part of a deterministic history). A resent notice carries a fresh
        one under the same Message-ID, which the mailbox still shows once."""
        return self.links.to(ref, at=datetime.now(UTC)) if self.links else None

    def deliver(self, item: Outgoing, *, on_behalf: Recipient | None = None) -> Delivery:
        message = item.render(item.to, on_behalf)
        if not self.channels:
            return self.to_outbox(item, message)
        contact = self.contacts.get(item.plan.plan_id, item.to.party.id)
        routes = self.routes(contact)
        for channel, address in routes:
            delivery = self.try_channel(item, channel, address, message)
            if delivery is not None:
                return delivery
        return self.unreachable(item, tried=[c for c, _ in routes])

    def routes(self, contact: Contact | None) -> list[tuple[str, str]]:
        """(channel, address) in the person's order of preference, for configured channels."""
        if contact is None:
            return []
        return [(channel, address) for channel in contact.prefer if channel in self.channels
                for kind, address in contact.addresses() if kind == channel]

    def try_channel(self, item: Outgoing, channel: str, address: str,
                    message: Message) -> Delivery | None:
        """The delivery, or None when this channel failed for good (try the next one)."""
        to = item.to
        masked = mask(address)
        route = {"notice_key": item.key, "channel": channel, "address": address}
        status = self.ledger.claim(**route, ref=item.ref, recipient=to.party.id)
        if status == "sent":
            log.info("notice.already_sent", channel=channel, to=to.party.id, address=masked)
            return Delivery(key=item.key, outcome="already_sent", channel=channel,
                            recipient=masked, at=datetime.now(UTC))
        if status == "failed":
            return None
        if status == "uncertain":  # settled so by an earlier version of dondoc
            return Delivery(key=item.key, outcome="uncertain", channel=channel,
                            recipient=masked, at=datetime.now(UTC))
        if status == "busy":
            raise ApplicationError(f"{channel} to {masked}: another attempt is sending it",
                                   type="Busy", next_retry_delay=timedelta(seconds=10))
        if status == "in_doubt":
            # An attempt died after handing it to the provider: sent again under the same
            # message id, which the mailbox (or Zalo, by tracking_id) shows once.
            self.ledger.record(**route, outcome="in_doubt",
                               detail="an attempt stopped after handing it to the provider; "
                                      "sent again under the same message id")
            log.warning("notice.resending", channel=channel, to=to.party.id, address=masked)
        sent = self.send(channel, address, message, route)
        attempt = activity.info().attempt if activity.in_activity() else 1
        if sent.ok:
            self.ledger.record(**route, outcome="sent",
                               provider_code=sent.code, message_id=sent.message_id)
            log.info("notice.sent", channel=channel, kind=item.kind, to=to.party.id,
                     address=masked)
            return Delivery(key=item.key, outcome="sent", channel=channel, recipient=masked,
                            at=datetime.now(UTC), provider_code=sent.code)
        if sent.retryable and attempt < GIVE_UP_AFTER:
            self.ledger.record(**route, outcome="retrying",
                               provider_code=sent.code, detail=sent.detail)
            log.warning("notice.retrying", channel=channel, to=to.party.id, address=masked,
                        code=sent.code, detail=sent.detail, attempt=attempt)
            raise ApplicationError(
                f"{channel} to {masked}: {sent.detail}", type="Retrying",
                next_retry_delay=_delay(sent, attempt))
        self.ledger.record(**route, outcome="failed",
                           provider_code=sent.code, detail=sent.detail)
        log.warning("notice.failed", channel=channel, to=to.party.id, address=masked,
                    code=sent.code, detail=sent.detail)
        return None

    def send(self, channel: str, address: str, message: Message, route: dict[str, str]) -> Sent:
        """The channel's answer, with addresses masked; an exception becomes a passing failure
        (a bug or an outage must not leave the delivery claimed with nothing recorded)."""
        key = self.ledger.message_key(**route)
        try:
            sent = self.channels[channel].send(
                address, message, key=key, handed=lambda: self.ledger.handed(**route))
        except Exception as error:
            log.warning("notice.channel_error", channel=channel,
                        error=f"{type(error).__name__}: {error}")
            sent = Sent(ok=False, retryable=True, code="error",
                        detail=f"{type(error).__name__}: {error}")
        return replace(sent, detail=mask(sent.detail) if sent.detail else None)

    def unreachable(self, item: Outgoing, *, tried: list[str]) -> Delivery:
        """Nobody could be reached: the plan's office is told, once, instead."""
        office = item.plan.office
        if item.to.role == "office" or item.to.party.id == office:
            log.error("notice.unreachable", to=item.to.party.id, tried=tried)
            return self.to_outbox(item, item.render(item.to, None), outcome="failed")
        log.warning("notice.unreachable", to=item.to.party.id, tried=tried, fallback=office)
        rerouted = replace(item, key=f"{item.key}/unreachable/{office}",
                           to=Recipient(role="office", party=item.plan.parties[office]))
        delivery = self.deliver(rerouted, on_behalf=item.to)
        return delivery.model_copy(update={"outcome": "failed" if delivery.outcome == "failed"
                                           else "rerouted"})

    def to_outbox(self, item: Outgoing, message: Message, outcome: str = "sent") -> Delivery:
        now = datetime.now(UTC)
        written = write_once(self.outbox, item.key, {
            "key": item.key, "at": now.isoformat(), "kind": item.kind, "ref": item.ref,
            "to": {"role": item.to.role, "id": item.to.party.id, "name": item.to.party.name},
            "subject": message.subject, "text": message.text,
        })
        log.info("notice.outbox", written=written, kind=item.kind, to=item.to.party.id,
                 subject=message.subject)
        return Delivery(key=item.key, outcome=outcome if written else "already_sent",
                        channel="outbox", recipient=item.to.party.id, at=now)


@contextlib.contextmanager
def heartbeating(every: float) -> Iterator[None]:
    """Heartbeat every `every` seconds from a helper thread while the body runs: a sync
    activity blocked on a provider cannot heartbeat itself."""
    if not activity.in_activity():
        yield
        return
    stop = threading.Event()
    context = contextvars.copy_context()  # carries the activity's context to the thread

    def beat() -> None:
        while not stop.wait(every):
            with contextlib.suppress(Exception):  # a late beat after completion is harmless
                context.run(activity.heartbeat)

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _delay(sent: Sent, attempt: int) -> timedelta:
    if sent.retry_after_seconds is not None:
        return timedelta(seconds=sent.retry_after_seconds)
    return timedelta(seconds=min(30 * 2 ** (attempt - 1), 1800))
