"""The delivery ledger on SQLite and PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from storage.ledger import Ledger
from storage.schema import metadata


def test_migrations_match_the_models(database_url: str):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_only_a_delivery_handed_to_the_provider_without_an_outcome_is_in_doubt(
        database_url: str):
    ledger = Ledger.connect(database_url, b"test-route-key")
    route = dict(notice_key="p/T1/reminder-7wd@x/lead/HL", channel="email",
                 address="vanthu@ttyt.example.invalid")
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "send"
    # Claimed, never handed over (the attempt died connecting): nothing left, send it.
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "send"
    ledger.handed(**route)
    ledger.record(**route, outcome="retrying", provider_code="smtp-451", detail="try later")
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "send"  # may send again
    ledger.handed(**route)
    # Handed over and nothing recorded: the attempt died in the provider's window.
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "in_doubt"
    ledger.record(**route, outcome="in_doubt")
    ledger.record(**route, outcome="sent", message_id="<abc@syt.example.invalid>")
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "sent"
    (row,) = ledger.deliveries("p/T1")
    assert (row.status, [a.outcome for a in row.attempts]) == (
        "sent", ["retrying", "in_doubt", "sent"])
    assert row.provider_message_id == "<abc@syt.example.invalid>"
    assert row.address == "v***@ttyt.example.invalid"  # the ledger keeps no full address


def test_the_message_key_is_stable_and_reveals_no_address(database_url: str):
    ledger = Ledger.connect(database_url, b"test-route-key")
    route = dict(notice_key="p/T1/reminder-7wd@x/lead/HL", channel="email",
                 address="vanthu@ttyt.example.invalid")
    key = ledger.message_key(**route)
    assert key == Ledger.connect(database_url, b"test-route-key").message_key(**route)
    assert len(key) == 40 and "vanthu" not in key
    assert key != ledger.message_key(**{**route, "notice_key": "p/T1/reminder-3wd@x/lead/HL"})


def test_concurrent_claims_make_one_delivery(database_url: str):
    # Attempts of one notice overlap only when Temporal retried one it believed dead; both may
    # then send, under the same message id (see test_notify), but the ledger holds one row.
    ledger = Ledger.connect(database_url, b"test-route-key")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ledger.claim(
            notice_key="k", channel="zalo", address="84912345678", ref="p/T1", recipient="HL"),
            range(8)))
    assert "send" in results and set(results) <= {"send", "busy"}
    assert len(ledger.deliveries("p/T1")) == 1


def test_the_route_is_an_hmac_the_database_cannot_reverse(database_url: str):
    from storage.ledger import legacy_route_of, route_of

    number = "84912345678"
    ledger = Ledger.connect(database_url, b"route-key-one")
    assert ledger.claim(notice_key="k", channel="zalo", address=number, ref="p/T1",
                        recipient="HL") == "send"
    (row,) = ledger.deliveries()
    # Trying every phone number against the stored route needs the key, not just the number.
    assert row.route == route_of("zalo", number, b"route-key-one") != \
        route_of("zalo", number, b"route-key-two")
    assert row.route != legacy_route_of("zalo", number) and row.address == "8491****78"


def test_a_row_of_the_legacy_hash_is_rekeyed_and_not_sent_again(database_url: str):
    from sqlalchemy import text

    from storage.ledger import legacy_route_of, route_of

    ledger = Ledger.connect(database_url, b"route-key")
    address = "vanthu@ttyt.example.invalid"
    with ledger.engine.begin() as db:  # written by a worker before the route key existed
        db.execute(text(
            "INSERT INTO deliveries (notice_key, channel, route, ref, recipient, address, "
            "status, created_at, updated_at) VALUES ('k', 'email', :r, 'p/T1', 'HL', 'v***', "
            "'sent', :t, :t)"), {"r": legacy_route_of("email", address),
                                 "t": "2025-03-01 00:00:00"})
    assert ledger.claim(notice_key="k", channel="email", address=address, ref="p/T1",
                        recipient="HL") == "sent"
    (row,) = ledger.deliveries()
    assert row.route == route_of("email", address, b"route-key")
