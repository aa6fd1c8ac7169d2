"""The delivery ledger on SQLite and PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from storage.ledger import Base, Ledger


def test_migrations_match_the_models(database_url: str):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_a_notice_is_claimed_once_and_its_attempts_are_kept(database_url: str):
    ledger = Ledger.connect(database_url)
    route = dict(notice_key="p/T1/reminder-7wd@x/lead/HL", channel="email",
                 address="vanthu@ttyt.example.invalid")
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "new"
    # Claimed and nothing recorded: the attempt died while sending.
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "interrupted"
    ledger.record(**route, outcome="retrying", provider_code="smtp", detail="refused")
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "retry"  # may send again
    ledger.record(**route, outcome="sent")
    assert ledger.claim(**route, ref="p/T1", recipient="HL") == "sent"
    (row,) = ledger.deliveries("p/T1")
    assert (row.status, [a.outcome for a in row.attempts]) == ("sent", ["retrying", "sent"])
    assert row.address == "v***@ttyt.example.invalid"  # the ledger keeps no full address


def test_concurrent_claims_have_one_winner(database_url: str):
    ledger = Ledger.connect(database_url)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: ledger.claim(
            notice_key="k", channel="zalo", address="84912345678", ref="p/T1", recipient="HL"),
            range(8)))
    assert results.count("new") == 1 and set(results) <= {"new", "interrupted"}
