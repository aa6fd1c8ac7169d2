"""Who is acting: the account a `dondoc login` token or DONDOC_API_KEY proves, and the checks
of the authorization table (plans/access.py) for what the services do themselves."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dondoc.settings import Settings
from plans.access import Decision, Grant, Operation, Principal, Target, decide
from storage.accounts import Accounts, NotAuthenticated

HASHER = PasswordHasher()


class NotAllowed(Exception):
    """The authorization table refused: the decision says why and who would be allowed."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(str(decision))
        self.decision = decision


def token_file(config: Settings) -> Path:
    return config.state_dir / "session.token"


def current(config: Settings, accounts: Accounts, *, at: datetime) -> Principal:
    """The principal of this command: DONDOC_API_KEY, else the local `dondoc login`."""
    token = config.api_key.get_secret_value() if config.api_key else None
    if token is None and token_file(config).exists():
        token = token_file(config).read_text("utf-8").strip()
    if not token:
        raise NotAuthenticated("chưa đăng nhập: chạy `dondoc login TÀI_KHOẢN` hoặc đặt "
                               "DONDOC_API_KEY", "NoIdentity")
    return accounts.principal(token, at=at)


def acting(principal: Principal, *, by: str | None, reason: str | None) -> Principal:
    """The principal, on behalf of `by` when given (the table allows it to office only)."""
    return principal.model_copy(update={"acting_for": by, "reason": reason})


def require(principal: Principal, operation: Operation, target: Target) -> Decision:
    decision = decide(principal, operation, target)
    if not decision.allowed:
        raise NotAllowed(decision)
    return decision


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("mật khẩu cần ít nhất 10 ký tự")
    return HASHER.hash(password)


def login(config: Settings, accounts: Accounts, account_id: str, password: str, *,
          at: datetime) -> Path:
    """Check the password and keep a token for this OS user (mode 0600 in the state folder)."""
    account = accounts.get(account_id)
    try:
        if account is None or account.password_hash is None:
            raise VerificationError
        HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("sai tài khoản hoặc mật khẩu", "BadCredentials") from None
    if account.status != "active":
        raise NotAuthenticated(f"tài khoản {account_id} đã bị khóa", "DisabledAccount")
    token = accounts.issue_token(account_id, "login", at=at, lifetime=config.login_lifetime)
    path = token_file(config)
    _write_token(path, token)
    return path


def _write_token(path: Path, token: str) -> None:
    """Readable by this OS user only, and never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    os.chmod(temporary, 0o600)  # even when the file existed with wider rights
    temporary.replace(path)


DEV_ACCOUNT = "dev"


def sign_in_dev_operator(config: Settings, accounts: Accounts, *, at: datetime) -> Principal:
    """`dondoc dev` only: a local office account of every plan, signed in for this state
    folder, so a newcomer can load and answer the demo from the same machine."""
    if accounts.get(DEV_ACCOUNT) is None:
        accounts.add(DEV_ACCOUNT, name="Văn phòng (dondoc dev, máy này)")
    accounts.grant(DEV_ACCOUNT, Grant(role="office"), source="dev")
    token = accounts.issue_token(DEV_ACCOUNT, "login", at=at, lifetime=config.login_lifetime)
    _write_token(token_file(config), token)
    return accounts.principal(token, at=at)


def logout(config: Settings, accounts: Accounts, *, at: datetime) -> bool:
    path = token_file(config)
    if not path.exists():
        return False
    accounts.revoke_token(path.read_text("utf-8").strip(), at=at)
    path.unlink()
    return True
