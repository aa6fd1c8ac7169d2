"""The accounts of dondoc's database as the web app needs them: who may sign in and where
their code goes (a `Directory`), and the principal that the authorization table reads."""

from __future__ import annotations

import contextlib

from dondoc.services.signin import SignInAccount
from plans.access import Principal
from plans.model import normalize_vn_phone
from storage.accounts import Account, Accounts


class AccountDirectory:
    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts

    def find(self, login: str) -> SignInAccount | None:
        """By account id, e-mail address (account ids are e-mail addresses, lower-case) or
        Zalo phone number."""
        login = login.strip()
        candidates = [login, login.lower()]
        with contextlib.suppress(ValueError):  # not a phone number
            candidates.append(f"zalo:{normalize_vn_phone(login)}")
        for candidate in candidates:
            person = self.get(candidate)
            if person is not None:
                return person
        return None

    def get(self, account: str) -> SignInAccount | None:
        found = self.accounts.get(account)
        return _person(found) if found is not None and found.status == "active" else None

    def principal(self, account: str) -> Principal:
        found = self.accounts.get(account)
        if found is None or found.status != "active":
            raise LookupError(account)
        return Principal(account=found.id, name=found.name,
                         grants=tuple(r.grant() for r in found.roles))

    def password_hash(self, account: str) -> str | None:
        """Office staff may also sign in with a password (`dondoc users password`); everyone
        else signs in with a code sent to them."""
        found = self.accounts.get(account)
        if found is None or found.status != "active" or not found.password_hash:
            return None
        return found.password_hash if self.principal(account).is_office() else None


def _person(account: Account) -> SignInAccount:
    return SignInAccount(account=account.id, name=account.name, email=account.email,
                  zalo_phone=account.zalo_phone, zalo_user_id=account.zalo_user_id)
