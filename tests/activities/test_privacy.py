"""No address reaches a log line, at any level, in any encoding: a notice is sent through the
real SMTP server and the Zalo fake with every logger at DEBUG, and the output is searched for
each form the addresses take in URLs and protocol dialogues."""

from __future__ import annotations

from urllib.parse import quote

from activities.smtp import EmailChannel
from dondoc import logs
from tests.activities.test_notify import notice, notifier, smtp, zalo, zalo_channel  # noqa: F401 (fixtures)

EMAIL = "giamdoc@ttyt-halong.example.invalid"  # the contacts of test_notify
REFUSED = "bad-address@ttyt-campha.example.invalid"
PHONE = "84987654321"


def forms(address: str) -> set[str]:
    """The address as it is, percent-encoded (once, twice, '@' kept) and by its local part."""
    once = quote(address, safe="")
    return {address, once, quote(once, safe=""), quote(address, safe="@"),
            address.split("@")[0] + "%40", address.split("@")[0] + "@"}


def test_debug_logs_hold_no_address_in_any_encoding(tmp_path, database_url, smtp, zalo,  # noqa: F811
                                                    capsys):
    mailbox, url = smtp
    fake, base = zalo
    logs.configure("DEBUG", json=True)
    try:
        sender = notifier(tmp_path, database_url, {"email": EmailChannel(url),
                                                   "zalo": zalo_channel(database_url, base)})
        assert sender.send_notice(notice("HL")).outcome == "sent"  # e-mail
        assert sender.send_notice(notice("pgd", role="leader", kind="escalation",
                                         step="escalation-1")).outcome == "sent"  # ZNS
        sender.send_notice(notice("CP"))  # Zalo OA, then a refused address (550)
    finally:
        logs.configure("INFO")
    logged = capsys.readouterr().err
    assert len(mailbox.messages) == 1 and fake.sent("/message/template")
    # The SMTP dialogue (the server's DEBUG) and Apprise's (Zalo) were logged, masked.
    assert "rcpt to:" in logged.lower() and "Notifying 1 service(s)" in logged
    for address in (EMAIL, REFUSED):
        for form in forms(address):
            assert form.lower() not in logged.lower(), form
    for form in (PHONE, "0987654321", "0987 654 321", "987654321"):
        assert form not in logged
    details = [a.detail or "" for d in sender.ledger.deliveries() for a in d.attempts]
    assert not any(address in detail for detail in details for address in (EMAIL, REFUSED))
