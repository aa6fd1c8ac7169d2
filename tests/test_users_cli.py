"""Account administration through the `dondoc users` command is audited: each change is a row
of the audit log (chain `_accounts`) naming the office account that made it and what changed,
`audit export` shows it and `audit verify` still finds the log intact. No Temporal needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dondoc.cli import app
from dondoc.dev import local_operator
from dondoc.settings import Settings

ROOT = Path(__file__).parent.parent
CONTACTS = ROOT / "definitions" / "contacts.example" / "quang-ninh-cds-2025.yaml"
PLAN = ROOT / "definitions" / "quang-ninh-cds-2025.yaml"


class Users:
    def __init__(self, state: Path) -> None:
        self.env = {"DONDOC_STATE_DIR": str(state), "DONDOC_API_KEY": ""}
        self.runner = CliRunner()

    def __call__(self, *args: str, key: str = "", stdin: str | None = None, **env: str
                 ) -> Result:
        return self.runner.invoke(app, list(args), input=stdin,
                                  env={**self.env, "DONDOC_API_KEY": key, **env})

    def ok(self, *args: str, key: str = "", stdin: str | None = None, **env: str) -> Result:
        done = self(*args, key=key, stdin=stdin, **env)
        assert done.exit_code == 0, (args, done.output)
        return done


@pytest.fixture
def users(tmp_path: Path) -> Users:
    runner = Users(tmp_path / "state")
    runner.ok("db", "upgrade")
    return runner


def exported(users: Users, key: str) -> list[dict[str, object]]:
    rows = json.loads(users.ok("audit", "export", "--plan", "_accounts", "--format", "json",
                               key=key).stdout)
    return [{"type": r["type"], "actor": r["actor"], **r["details"]} for r in rows]


def test_every_account_change_is_audited_with_its_operator(users: Users):
    admin = users.ok("users", "add", "admin", "--name", "Văn phòng Sở Y tế", "--role", "office",
                     "--plan", "*", "--api-key").stdout.splitlines()[-1]
    users.ok("users", "add", "thanh-tra", "--name", "Thanh tra Sở Y tế", key=admin)
    users.ok("users", "grant", "thanh-tra", "--role", "auditor", "--plan", "*", key=admin)
    auditor = users.ok("users", "api-key", "thanh-tra", "--days", "90", key=admin).stdout.strip()
    users.ok("users", "grant", "thanh-tra", "--role", "leader", "--plan",
             "quang-ninh-cds-2025", "--party", "gd", key=admin)
    users.ok("users", "revoke", "thanh-tra", "--role", "leader", "--plan",
             "quang-ninh-cds-2025", "--party", "gd", key=admin)
    users.ok("users", "sync", "--contacts", str(CONTACTS), "--plan", str(PLAN), key=admin)
    users.ok("users", "sync", "--contacts", str(CONTACTS), "--plan", str(PLAN), key=admin)
    users.ok("users", "disable", "ubnd-halong@quangninh.example.invalid", key=admin)
    # A change the table refuses, and one that changes nothing, leave no row.
    refused = users("users", "disable", "admin", key=auditor)
    assert refused.exit_code == 1 and refused.output.strip().endswith("[Forbidden]")
    users.ok("users", "disable", "ubnd-halong@quangninh.example.invalid", key=admin)

    rows = exported(users, auditor)
    assert [(r["type"], r["actor"], r.get("account") or r.get("source")) for r in rows] == [
        ("account.added", None, "admin"),
        ("account.granted", None, "admin"),
        ("account.api_key_issued", None, "admin"),
        ("account.added", "admin", "thanh-tra"),
        ("account.granted", "admin", "thanh-tra"),
        ("account.api_key_issued", "admin", "thanh-tra"),
        ("account.granted", "admin", "thanh-tra"),
        ("account.revoked", "admin", "thanh-tra"),
        ("accounts.synced", "admin", "contacts:quang-ninh-cds-2025"),
        ("account.disabled", "admin", "ubnd-halong@quangninh.example.invalid"),
    ]
    assert all(r["operator"] == r["actor"] for r in rows)
    assert rows[0]["bootstrap"] is True  # the first office account: nobody to sign in yet
    assert (rows[4]["role"], rows[4]["plan"]) == ("auditor", "*")
    assert (rows[6]["role"], rows[6]["plan"], rows[6]["party"]) == (
        "leader", "quang-ninh-cds-2025", "gd")
    synced = rows[8]
    assert "ubnd-halong@quangninh.example.invalid (Chủ tịch UBND Thành phố Hạ Long)" in \
        synced["added"]
    assert "vanphong@syt-quangninh.example.invalid: office VP (quang-ninh-cds-2025)" in \
        synced["granted"]
    assert rows[9]["tokens_revoked"] == 0
    verified = users.ok("audit", "verify", "--no-temporal", key=auditor)
    assert verified.stdout.startswith("audit log intact: ")


def test_dondoc_devs_local_account_is_audited(users: Users, tmp_path: Path):
    """`dondoc dev` makes this machine's office account `dev` on its first start, before anyone
    could sign in: that is on the chain too, once; a second start signs in again and adds none."""
    config = Settings(state_dir=tmp_path / "state")
    assert local_operator(config).account == "dev"
    assert local_operator(config).account == "dev"

    rows = exported(users, key="")  # signed in as `dev` by `dondoc dev` (the token file)
    assert [(r["type"], r["actor"], r["account"], r["operator"], r["bootstrap"])
            for r in rows] == [("account.added", None, "dev", None, True),
                               ("account.granted", None, "dev", None, True)]
    assert (rows[1]["role"], rows[1]["plan"]) == ("office", "*")
    verified = users.ok("audit", "verify", "--no-temporal")
    assert verified.stdout.startswith("audit log intact: ")


def test_an_identity_that_no_longer_holds_is_refused_in_one_line(users: Users):
    """A login past its lifetime, a token revoked by `logout`, a disabled account: each
    refused in one line with its code, exit 1, whatever the command."""
    admin = users.ok("users", "add", "admin", "--name", "Văn phòng Sở Y tế", "--role", "office",
                     "--plan", "*", "--api-key").stdout.splitlines()[-1]
    password = "mật khẩu của Hạ Long"
    users.ok("users", "add", "hl", "--name", "Chủ tịch UBND Thành phố Hạ Long", "--password",
             key=admin, stdin=f"{password}\n{password}\n")

    def refused(code: str, *args: str, key: str = "", stdin: str | None = None) -> str:
        done = users(*args, key=key, stdin=stdin)
        line = done.output.strip().splitlines()[-1]
        assert done.exit_code == 1 and line.startswith("refused: ") and line.endswith(
            f"[{code}]"), (args, done.output)
        assert "Traceback" not in done.output
        return line

    users.ok("login", "hl", stdin=f"{password}\n", DONDOC_LOGIN_LIFETIME="PT0S")  # ends at once
    assert refused("ExpiredToken", "whoami") == (
        "refused: phiên đăng nhập đã hết hạn; chạy `dondoc login` [ExpiredToken]")
    token = Path(users.env["DONDOC_STATE_DIR"], "session.token")
    users.ok("login", "hl", stdin=f"{password}\n")
    signed_in = token.read_text("utf-8").strip()
    assert users.ok("whoami").stdout.startswith("hl (Chủ tịch UBND Thành phố Hạ Long)")
    users.ok("logout")
    refused("RevokedToken", "whoami", key=signed_in)

    key = users.ok("users", "api-key", "hl", key=admin).stdout.strip()
    users.ok("users", "disable", "hl", key=admin)
    refused("RevokedToken", "whoami", key=key)  # disabling revoked its keys
    assert refused("DisabledAccount", "login", "hl", stdin=f"{password}\n") == (
        "refused: tài khoản hl đã bị khóa [DisabledAccount]")
    assert not token.exists()
