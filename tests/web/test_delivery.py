"""Where a sign-in code goes: the person's own Zalo (a ZNS OTP template by phone, through the
notifier and the loopback server that speaks Zalo's API), once; nowhere else when the person
has no channel (a code is never rerouted to the office as notices are)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dondoc.db import database_url, upgrade
from dondoc.services.signin import SignInAccount
from dondoc.settings import Settings
from tests.activities.servers import FakeZalo, zalo_server
from tests.web.site import Directory
from webserver import build

NOW = datetime(2025, 3, 20, 2, 0, tzinfo=UTC)
PHONE_ONLY = SignInAccount(account="zalo:84912345678", name="Đỗ Văn Hải", zalo_phone="84912345678")
NOWHERE = SignInAccount(account="khong-kenh", name="Người không có kênh liên lạc")


@pytest.fixture
def zalo() -> Iterator[tuple[FakeZalo, str]]:
    fake = FakeZalo()
    with zalo_server(fake) as url:
        yield fake, url


def test_a_code_goes_by_zns_to_the_persons_phone_once(tmp_path: Path,
                                                     zalo: tuple[FakeZalo, str]) -> None:
    fake, base = zalo
    settings = Settings(state_dir=tmp_path, zalo_app_id="app-1", zalo_secret_key="secret",
                        zalo_refresh_token="refresh-0", zns_templates={"signin": "300001"},
                        zalo_oa_base_url=base, zns_base_url=base, zalo_oauth_base_url=base)
    upgrade(database_url(settings))
    web = build(settings, Directory({p.account: p for p in (PHONE_ONLY, NOWHERE)}), lambda: NOW)

    web.signin.request(PHONE_ONLY.account, address="10.0.0.1", now=NOW)
    (sent,) = fake.sent("/message/template")
    assert sent["phone"] == "84912345678" and sent["template_id"] == "300001"
    code = sent["template_data"]["otp"]
    assert web.signin.with_code(PHONE_ONLY.account, code, address="10.0.0.1", now=NOW) \
        == PHONE_ONLY

    web.signin.request(NOWHERE.account, address="10.0.0.1", now=NOW)
    assert len(fake.requests) == 2  # one token refresh, one ZNS message: nothing more
    assert not (tmp_path / "outbox").exists()  # and nothing to the office's outbox
