"""A notice's link names one occurrence, cannot be altered or made without the key, and stops
working after its lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plans.links import PATH, BadLink, NoticeLinks

SENT = datetime(2025, 3, 20, 2, 0, tzinfo=UTC)
LIFETIME = timedelta(days=90)
LINKS = NoticeLinks("https://dondoc.syt.example.invalid/", b"route-key")


def token(url: str) -> str:
    assert url.startswith("https://dondoc.syt.example.invalid" + PATH)
    return url.rsplit("/", 1)[1]


def test_a_link_names_its_occurrence_until_its_lifetime_ends() -> None:
    made = token(LINKS.to("kh12/BA/HL@2025-Q1", at=SENT))
    assert LINKS.ref(made, now=SENT + LIFETIME, lifetime=LIFETIME) == "kh12/BA/HL@2025-Q1"
    with pytest.raises(BadLink) as late:
        LINKS.ref(made, now=SENT + LIFETIME + timedelta(seconds=1), lifetime=LIFETIME)
    assert late.value.reason == "expired"


@pytest.mark.parametrize("altered", [
    lambda t: t.rsplit(".", 1)[0] + ".AAAA" + t.rsplit(".", 1)[1][4:],  # another signature
    lambda t: token(LINKS.to("kh12/BA/CP@2025-Q1", at=SENT)).rsplit(".", 1)[0] + "." +
    t.rsplit(".", 1)[1],  # another unit's occurrence under this link's signature
    lambda t: t[:20],  # cut while copied
    lambda t: "x" + t,
    lambda t: token(NoticeLinks("https://dondoc.syt.example.invalid", b"other-key").to(
        "kh12/BA/HL@2025-Q1", at=SENT)),  # made with another key
])
def test_an_altered_or_foreign_link_is_forged(altered) -> None:  # type: ignore[no-untyped-def]
    made = token(LINKS.to("kh12/BA/HL@2025-Q1", at=SENT))
    with pytest.raises(BadLink) as forged:
        LINKS.ref(altered(made), now=SENT, lifetime=LIFETIME)
    assert forged.value.reason == "forged"
