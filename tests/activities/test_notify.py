"""Notices reach people, once, over a real SMTP exchange and Zalo's wire format."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.channels import Channel, Sent
from activities.notify import ContactsBook, Notifier
from activities.render import render
from activities.smtp import EmailChannel
from activities.zalo import PERMANENT, RETRYABLE, TokenStore, ZaloChannel, ZaloConfig
from dondoc.services.load import plan_context
from plans.schedule import expand
from plans.validation import check_plan
from storage.ledger import Ledger
from tests.activities.servers import FakeZalo, Mailbox, smtp_server, zalo_server
from tests.plans.factory import plan_text
from workflows.messages import Notice, Recipient

PLAN = plan_text(tasks="""
  - id: T1
    title: Báo cáo kết quả triển khai bệnh án điện tử
    source: Phụ lục I, dòng 1
    lead: [HL]
    coordinating: [CP]
    deadline: trước ngày 30/04/2025
""")
CONTACTS = """\
plan: thu
contacts:
  - {of: HL, name: Giám đốc TTYT Hạ Long, email: giamdoc@ttyt-halong.example.invalid,
     zalo_phone: "0912 345 678", prefer: [email]}
  - {of: CP, email: bad-address@ttyt-campha.example.invalid, zalo_user_id: "2468458835296197922",
     prefer: [zalo, email]}
  - {of: VP, email: vanphong@syt.example.invalid, prefer: [email]}
  - {of: pgd, zalo_phone: "0987 654 321", prefer: [zalo]}
"""


def notice(to: str, role: str = "lead", kind: str = "reminder", step: str = "reminder-3wd"
           ) -> Notice:
    checked = check_plan(PLAN, "kh.yaml")
    assert checked.ok
    plan = checked.value
    (occ,) = expand(plan)
    context = plan_context(plan)
    return Notice(key=f"{occ.ref}/{step}@{occ.due.isoformat()}/{role}/{to}", kind=kind,
                  ref=occ.ref, plan=context, occurrence=occ,
                  to=Recipient(role=role, party=context.parties[to]), due=occ.due, step=step,
                  working_days=3)


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    with smtp_server() as (mailbox, port):
        yield mailbox, (f"mailto://127.0.0.1:{port}?mode=insecure"
                        "&from=nhacviec@syt.example.invalid&name=Sở Y tế Thử")


@pytest.fixture
def zalo() -> Iterator[tuple[FakeZalo, str]]:
    fake = FakeZalo()
    with zalo_server(fake) as url:
        yield fake, url


def notifier(tmp_path: Path, database_url: str, channels: dict[str, Channel]) -> Notifier:
    (tmp_path / "contacts").mkdir(exist_ok=True)
    (tmp_path / "contacts" / "thu.yaml").write_text(CONTACTS, "utf-8")
    return Notifier(ledger=Ledger.connect(database_url, b"test-route-key"),
                    contacts=ContactsBook(tmp_path / "contacts"), channels=channels,
                    outbox=tmp_path / "outbox")


def zalo_channel(database_url: str, base: str, **changes: object) -> ZaloChannel:
    config = ZaloConfig(oa_base_url=base, zns_base_url=base, oauth_base_url=base, app_id="app-1",
                        secret_key="secret", refresh_token="refresh-0",
                        templates={"reminder": "231677", "escalation": "231678"})
    return ZaloChannel(TokenStore(Ledger.connect(database_url).engine, config), config)


def test_a_reminder_arrives_by_email_once_in_vietnamese(tmp_path, database_url, smtp):
    mailbox, url = smtp
    sender = notifier(tmp_path, database_url, {"email": EmailChannel(url)})
    first = sender.send_notice(notice("HL"))
    again = sender.send_notice(notice("HL"))  # a retried activity
    assert (first.outcome, again.outcome) == ("sent", "already_sent")
    assert first.recipient == "g***@ttyt-halong.example.invalid"  # never the full address
    (recipients, message), = mailbox.messages
    assert recipients == ["giamdoc@ttyt-halong.example.invalid"]
    assert message["Subject"] == ("[Nhắc hạn] 1/KH-SYT: Báo cáo kết quả triển khai bệnh án điện tử"
                                  " - hạn Thứ Tư, 30/04/2025")
    assert "Sở Y tế Thử" in message["From"] and message["Auto-Submitted"] == "auto-generated"
    parts = [part.get_content_type() for part in message.walk()]
    assert parts == ["multipart/alternative", "text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()
    for fact in ("Kính gửi: Thành phố Hạ Long", "Đơn vị chủ trì: Thành phố Hạ Long",
                 "Đơn vị phối hợp: Thành phố Cẩm Phả", "Thứ Tư, 30/04/2025",
                 "Còn 3 ngày làm việc", "Mã nhiệm vụ: thu/T1"):
        assert fact in text
    (row,) = sender.ledger.deliveries("thu/T1")
    assert (row.channel, row.address, row.status, [a.outcome for a in row.attempts]) == (
        "email", "g***@ttyt-halong.example.invalid", "sent", ["sent"])


def test_zalo_oa_by_user_id_and_zns_by_phone_speak_zalos_shapes(tmp_path, database_url, zalo):
    fake, base = zalo
    sender = notifier(tmp_path, database_url, {"zalo": zalo_channel(database_url, base)})
    assert sender.send_notice(notice("CP")).outcome == "sent"
    assert sender.send_notice(notice("pgd", role="leader", kind="escalation",
                                     step="escalation-1")).outcome == "sent"
    (oa,) = fake.sent("/v3.0/oa/message/cs")
    assert oa["recipient"] == {"user_id": "2468458835296197922"}
    assert oa["message"]["text"].startswith("[Nhắc hạn] 1/KH-SYT")
    (zns,) = fake.sent("/message/template")
    assert (zns["phone"], zns["template_id"]) == ("84987654321", "231678")
    assert zns["template_data"]["han_chot"] == "30/04/2025"
    assert set(zns["template_data"]) == {"ten_nguoi_nhan", "so_ke_hoach", "nhiem_vu",
                                         "don_vi_chu_tri", "han_chot", "tinh_trang",
                                         "ma_nhiem_vu"}
    assert zns["tracking_id"] and all(h["access_token"] == "access-1"
                                      for p, h, _ in fake.requests if p != "/v4/oa/access_token")


@pytest.mark.parametrize("code", sorted(PERMANENT))
def test_a_permanent_zalo_error_falls_back_to_email(tmp_path, database_url, zalo, smtp, code):
    fake, base = zalo
    mailbox, url = smtp
    fake.errors["2468458835296197922"] = code
    (tmp_path / "contacts").mkdir()
    sender = notifier(tmp_path, database_url, {
        "zalo": zalo_channel(database_url, base), "email": EmailChannel(url)})
    sender.contacts.folder.joinpath("thu.yaml").write_text(CONTACTS.replace(
        "bad-address@ttyt-campha", "truongtram@ttyt-campha"), "utf-8")
    delivery = sender.send_notice(notice("CP"))
    assert (delivery.outcome, delivery.channel) == ("sent", "email")
    assert [r for r, _ in mailbox.messages] == [["truongtram@ttyt-campha.example.invalid"]]
    zalo_row = next(r for r in sender.ledger.deliveries() if r.channel == "zalo")
    assert (zalo_row.status, zalo_row.provider_code) == ("failed", str(code))


@pytest.mark.parametrize("code", sorted(RETRYABLE))
def test_a_passing_zalo_error_is_retried_with_back_off(tmp_path, database_url, zalo, code):
    fake, base = zalo
    fake.errors["2468458835296197922"] = code
    sender = notifier(tmp_path, database_url, {"zalo": zalo_channel(database_url, base)})
    with pytest.raises(ApplicationError) as retry:
        sender.send_notice(notice("CP"))
    assert retry.value.type == "Retrying" and not retry.value.non_retryable
    assert retry.value.next_retry_delay == timedelta(seconds=30)
    fake.errors.clear()
    assert sender.send_notice(notice("CP")).outcome == "sent"


def test_an_expired_token_is_refreshed_once_and_the_new_refresh_token_kept(tmp_path,
                                                                          database_url, zalo):
    fake, base = zalo
    channel = zalo_channel(database_url, base)
    sender = notifier(tmp_path, database_url, {"zalo": channel})
    assert sender.send_notice(notice("CP")).outcome == "sent"
    fake.valid_tokens.clear()  # Zalo revoked it: -216, refresh, retry once
    assert sender.send_notice(notice("CP", step="reminder-1wd")).outcome == "sent"
    refreshes = fake.sent("/v4/oa/access_token")
    assert [r["refresh_token"] for r in refreshes] == ["refresh-0", "refresh-1"]
    assert channel.tokens.access_token() == "access-2"


def test_concurrent_refreshes_spend_the_single_use_token_once(tmp_path, database_url, zalo):
    fake, base = zalo
    channel = zalo_channel(database_url, base)
    channel.tokens.access_token()
    with ThreadPoolExecutor(6) as pool:
        tokens = set(pool.map(lambda _: channel.tokens.access_token(
            force_refresh=True, stale="access-1"), range(6)))
    assert tokens == {"access-2"}  # one refresh; the others saw it done
    assert [r["refresh_token"] for r in fake.sent("/v4/oa/access_token")] == [
        "refresh-0", "refresh-1"]


def test_a_refused_token_fails_once_visibly_and_falls_back_to_email(tmp_path, database_url,
                                                                    zalo, smtp):
    fake, base = zalo
    mailbox, url = smtp
    fake.valid_tokens.clear()
    fake.refuse_refresh = True
    contacts = CONTACTS.replace("prefer: [zalo]}", "email: pgd@syt.example.invalid, prefer: [zalo, email]}")
    sender = notifier(tmp_path, database_url, {
        "zalo": zalo_channel(database_url, base), "email": EmailChannel(url)})
    sender.contacts.folder.joinpath("thu.yaml").write_text(contacts, "utf-8")
    delivery = sender.send_notice(notice("pgd", role="leader", kind="escalation",
                                         step="escalation-1"))
    assert (delivery.outcome, delivery.channel) == ("sent", "email")
    assert [r for r, _ in mailbox.messages] == [["pgd@syt.example.invalid"]]
    zalo_row = next(r for r in sender.ledger.deliveries() if r.channel == "zalo")
    assert (zalo_row.status, zalo_row.provider_code) == ("failed", "oauth")
    assert "refresh refused" in zalo_row.attempts[-1].detail
    assert len(fake.sent("/v4/oa/access_token")) == 1  # not an endless retry


def test_someone_unreachable_is_reported_to_the_office(tmp_path, database_url, smtp):
    mailbox, url = smtp
    sender = notifier(tmp_path, database_url, {"email": EmailChannel(url)})
    sender.contacts.folder.joinpath("thu.yaml").write_text(
        CONTACTS.replace("  - {of: HL, name: Giám đốc TTYT Hạ Long, email: "
                         "giamdoc@ttyt-halong.example.invalid,\n     zalo_phone: \"0912 345 678\","
                         " prefer: [email]}\n", ""), "utf-8")
    delivery = sender.send_notice(notice("HL"))
    assert delivery.outcome == "rerouted"
    (recipients, message), = mailbox.messages
    assert recipients == ["vanphong@syt.example.invalid"]
    assert "Không liên lạc được với Thành phố Hạ Long" in message.get_body(("plain",)).get_content()


def test_an_address_the_server_refuses_falls_over_to_the_office_at_once(tmp_path, database_url,
                                                                        smtp):
    mailbox, url = smtp
    sender = notifier(tmp_path, database_url, {"email": EmailChannel(url)})
    sender.contacts.folder.joinpath("thu.yaml").write_text(
        CONTACTS.replace("giamdoc@ttyt-halong", "bad-giamdoc@ttyt-halong"), "utf-8")
    delivery = sender.send_notice(notice("HL"))
    assert delivery.outcome == "rerouted"
    assert [r for r, _ in mailbox.messages] == [["vanphong@syt.example.invalid"]]
    refused = next(r for r in sender.ledger.deliveries() if r.recipient == "HL")
    (attempt,) = refused.attempts
    assert (refused.status, attempt.provider_code) == ("failed", "smtp-550")
    assert attempt.detail == "SMTP server refused the recipient: 550 5.1.1 No such user"


def test_an_unreachable_smtp_server_is_retried_and_gives_up_after_some_attempts(
        tmp_path, database_url, monkeypatch):
    from tests.activities.servers import free_port

    dead = EmailChannel(f"mailto://127.0.0.1:{free_port()}?mode=insecure"
                        "&from=nhacviec@syt.example.invalid", timeout=2)
    sender = notifier(tmp_path, database_url, {"email": dead})
    attempts = iter(range(1, 10))
    monkeypatch.setattr("activities.notify.activity.in_activity", lambda: True)
    monkeypatch.setattr("activities.notify.activity.info",
                        lambda: type("Info", (), {"attempt": next(attempts)})())
    monkeypatch.setattr("activities.notify.heartbeating", lambda every: contextlib.nullcontext())
    for _ in range(4):
        with pytest.raises(ApplicationError) as retry:
            sender.send_notice(notice("HL"))
        assert retry.value.type == "Retrying" and "giamdoc@" not in retry.value.message
    delivery = sender.send_notice(notice("HL"))  # the fifth attempt gives the channel up
    assert delivery.outcome == "failed"  # and the office is unreachable the same way
    row = next(r for r in sender.ledger.deliveries() if r.recipient == "HL")
    assert [a.outcome for a in row.attempts] == ["retrying"] * 4 + ["failed"]
    assert all(a.provider_code == "smtp-unreachable" for a in row.attempts)


def test_without_channels_notices_go_to_the_outbox_once(tmp_path, database_url):
    sender = notifier(tmp_path, database_url, {})
    assert sender.send_notice(notice("HL")).outcome == "sent"
    assert sender.send_notice(notice("HL")).outcome == "already_sent"
    assert len(list((tmp_path / "outbox").glob("*.json"))) == 1


def test_an_attempt_that_died_before_handing_it_over_is_simply_sent(tmp_path, database_url,
                                                                     smtp):
    mailbox, url = smtp
    sender = notifier(tmp_path, database_url, {"email": EmailChannel(url)})
    # The attempt claimed the delivery and died before the message left (rendering,
    # connecting): nothing reached the server, nothing is in doubt.
    sender.ledger.claim(notice_key=notice("HL").key, channel="email",
                        address="giamdoc@ttyt-halong.example.invalid", ref="thu/T1",
                        recipient="HL")
    assert sender.send_notice(notice("HL")).outcome == "sent"
    assert len(mailbox.messages) == 1
    (row,) = sender.ledger.deliveries("thu/T1")
    assert [a.outcome for a in row.attempts] == ["sent"]


def test_an_attempt_that_died_in_the_providers_window_is_resent_under_the_same_message_id(
        tmp_path, database_url, smtp):
    mailbox, url = smtp
    channel = EmailChannel(url)
    sender = notifier(tmp_path, database_url, {"email": channel})
    route = {"notice_key": notice("HL").key, "channel": "email",
             "address": "giamdoc@ttyt-halong.example.invalid"}
    # The first attempt handed the message to the server, which took it; the worker died
    # before recording the outcome.
    sender.ledger.claim(**route, ref="thu/T1", recipient="HL")
    first = channel.send(route["address"], render(notice("HL")), key=sender.ledger.message_key(**route),
                         handed=lambda: sender.ledger.handed(**route))
    assert first.ok and sender.ledger.status(**route) == "handed"
    retried = sender.send_notice(notice("HL"))
    assert retried.outcome == "sent"
    ids = [m["Message-ID"] for _, m in mailbox.messages]
    assert len(ids) == 2 and len(set(ids)) == 1  # the mailbox shows one message
    assert ids[0] == f"<{sender.ledger.message_key(**route)}@syt.example.invalid>"
    (row,) = sender.ledger.deliveries("thu/T1")
    assert [a.outcome for a in row.attempts] == ["in_doubt", "sent"]
    assert (row.status, row.provider_message_id) == ("sent", ids[0])
    assert sender.send_notice(notice("HL")).outcome == "already_sent"


def test_a_channel_that_raises_leaves_a_reason_not_a_dangling_claim(tmp_path, database_url):
    class Broken:
        name = "email"

        def send(self, address: str, message: object, *, key: str, handed: object) -> Sent:
            raise ConnectionError(f"cannot reach the server for {address}")

    sender = notifier(tmp_path, database_url, {"email": Broken()})  # type: ignore[dict-item]
    with pytest.raises(ApplicationError) as retry:
        sender.send_notice(notice("HL"))
    assert "giamdoc@" not in retry.value.message and "g***@" in retry.value.message
    (row,) = sender.ledger.deliveries("thu/T1")
    (attempt,) = row.attempts
    assert (row.status, attempt.outcome, attempt.provider_code) == ("pending", "retrying", "error")
    assert attempt.detail == "ConnectionError: cannot reach the server for g***@ttyt-halong.example.invalid"


def test_logs_never_hold_a_full_address(tmp_path, database_url, smtp, capsys):
    from dondoc import logs

    mailbox, url = smtp
    logs.configure("INFO", json=True)
    notifier(tmp_path, database_url, {"email": EmailChannel(url)}).send_notice(notice("HL"))
    logged = capsys.readouterr().err
    assert len(mailbox.messages) == 1
    assert '"event": "notice.sent"' in logged and "g***@ttyt-halong.example.invalid" in logged
    assert "giamdoc@" not in logged


def test_a_zns_kind_without_a_template_fails_over_visibly_to_the_office(tmp_path, database_url,
                                                                        zalo, smtp):
    fake, base = zalo
    mailbox, url = smtp
    sender = notifier(tmp_path, database_url, {
        "zalo": zalo_channel(database_url, base), "email": EmailChannel(url)})
    delivery = sender.send_notice(notice("pgd", role="leader", kind="checkin", step="checkin-1"))
    assert delivery.outcome == "rerouted" and fake.sent("/message/template") == []
    assert [r for r, _ in mailbox.messages] == [["vanphong@syt.example.invalid"]]
    zalo_row = next(r for r in sender.ledger.deliveries() if r.channel == "zalo")
    assert (zalo_row.status, zalo_row.provider_code) == ("failed", "template")
    assert zalo_row.attempts[-1].detail == ("no ZNS template for 'checkin': add it to "
                                            "DONDOC_ZNS_TEMPLATES")


def test_an_unreachable_zalo_oauth_endpoint_is_a_passing_failure(tmp_path, database_url):
    from tests.activities.servers import free_port

    channel = zalo_channel(database_url, f"http://127.0.0.1:{free_port()}")
    sender = notifier(tmp_path, database_url, {"zalo": channel})
    with pytest.raises(ApplicationError) as retry:
        sender.send_notice(notice("CP"))
    assert retry.value.type == "Retrying"
    (row,) = sender.ledger.deliveries()
    assert (row.status, [(a.outcome, a.provider_code) for a in row.attempts]) == (
        "pending", [("retrying", "oauth-unreachable")])


def test_a_coordinating_unit_is_asked_to_coordinate_not_to_lead(tmp_path, database_url, smtp):
    mailbox, url = smtp
    sender = notifier(tmp_path, database_url, {"email": EmailChannel(url)})
    sender.contacts.folder.joinpath("thu.yaml").write_text(CONTACTS.replace(
        "bad-address@ttyt-campha", "truongtram@ttyt-campha"), "utf-8")
    assert sender.send_notice(notice("CP", role="coordinating")).outcome == "sent"
    (_, message), = mailbox.messages
    text = message.get_body(("plain",)).get_content()
    assert "Kính gửi: Thành phố Cẩm Phả" in text
    assert ("Đơn vị được giao phối hợp với Thành phố Hạ Long thực hiện nhiệm vụ dưới đây; đề nghị "
            "phối hợp để nhiệm vụ hoàn thành đúng thời hạn.") in text
