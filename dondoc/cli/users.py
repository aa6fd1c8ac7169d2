"""Accounts and sign-in: `dondoc login`, and `dondoc users` for the office of every plan."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dondoc.cli.common import (
    EVERY_PLAN,
    AsJson,
    StateDir,
    accounts_of,
    allowed,
    audit_or_exit,
    authorize,
    fail,
    group,
    identity,
    load_or_exit,
    out,
    print_json,
    print_problems,
    settings,
)

if TYPE_CHECKING:
    from plans.access import Grant, PlanRole, Principal
    from storage.accounts import Accounts

app = group("Accounts: who may act, in which roles.")
login_app = group("Sign in.")

RoleOption = Annotated[str, typer.Option(
    "--role", help="unit_head, leader, steering_committee, office or auditor")]
PlanOption = Annotated[str, typer.Option("--plan", help="plan id, or * for every plan")]
PartyOption = Annotated[str | None, typer.Option(
    "--party", help="the unit (unit_head) or person (leader, steering_committee) id")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="read the password from standard input (scripts)")]
ROLES: tuple[PlanRole, ...] = ("unit_head", "leader", "steering_committee", "office", "auditor")


def _now() -> datetime:
    return datetime.now(UTC)


def _password(from_stdin: bool, *, confirm: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=confirm))


def _grant(role: str, plan: str, party: str | None) -> Grant:
    from plans.access import Grant

    if role not in ROLES:
        raise fail(f"--role: {role!r} is not one of {', '.join(ROLES)}", 2)
    needs_party = role in ("unit_head", "leader", "steering_committee")
    if needs_party and not party:
        raise fail(f"--role {role} needs --party (the unit or person id)", 2)
    if role == "unit_head" and plan == EVERY_PLAN:
        raise fail("--role unit_head needs --plan: a unit belongs to one plan", 2)
    return Grant(role=role, plan=plan, party=party)


def _manage(state_dir: Path | None) -> Principal:
    """Account changes are for the office of every plan."""
    principal = identity(settings(state_dir))
    authorize(principal, "manage_users", EVERY_PLAN)
    return principal


def _audited(state_dir: Path | None, accounts: Accounts, operator: Principal | None
             ) -> Accounts:
    """The accounts, each change recorded in the audit log with the operator's account."""
    from dondoc.services import users as accounts_service

    config = settings(state_dir)
    return accounts_service.audited(accounts, audit_or_exit(config, write=True), operator,
                                    at=_now())


def _change(work: Callable[[], object]) -> None:
    """Run an account change; a missing account or a duplicate is one line."""
    try:
        work()
    except ValueError as error:
        raise fail(f"refused: {error}") from None


@login_app.command("login")
def login(
    account: Annotated[str, typer.Argument(help="your account id")],
    password_stdin: PasswordStdin = False,
    state_dir: StateDir = None,
) -> None:
    """Sign in: the token is kept for this OS user (mode 0600 in the state folder)."""
    from dondoc.services import identity as identities
    from storage.accounts import NotAuthenticated

    config = settings(state_dir)
    accounts = accounts_of(config)
    try:
        path = identities.login(config, accounts, account, _password(password_stdin,
                                                                     confirm=False), at=_now())
    except NotAuthenticated as error:
        raise fail(f"refused: {error}") from None
    until = datetime.now(UTC) + config.login_lifetime
    out.print(f"đã đăng nhập: {account} (đến {until.astimezone():%H:%M %d/%m/%Y}; {path})",
              markup=False)


@login_app.command("logout")
def logout(state_dir: StateDir = None) -> None:
    """Sign out: the token is revoked and removed."""
    from dondoc.services import identity as identities

    config = settings(state_dir)
    done = identities.logout(config, accounts_of(config), at=_now())
    out.print("đã đăng xuất" if done else "chưa đăng nhập", markup=False)


@login_app.command("whoami")
def whoami(as_json: AsJson = False, state_dir: StateDir = None) -> None:
    """The account this command acts as, and its roles."""
    principal = identity(settings(state_dir))
    if as_json:
        print_json(principal.model_dump(mode="json"))
        return
    out.print(f"{principal.account} ({principal.name}): "
              + ("; ".join(str(g) for g in principal.grants) or "không có vai trò"), markup=False)


@app.command("list")
def users_list(as_json: AsJson = False, state_dir: StateDir = None) -> None:
    """Every account, its status and roles."""
    _manage(state_dir)
    rows = [{"id": a.id, "name": a.name, "status": a.status,
             "roles": [str(r.grant()) for r in a.roles]}
            for a in accounts_of(settings(state_dir)).all()]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']}  {row['name']}  [{row['status']}]  {'; '.join(row['roles'])}",
                  markup=False)


def _manage_or_exit(state_dir: Path | None) -> Accounts:
    """The accounts, for a change by the office of every plan (audited)."""
    accounts = accounts_of(settings(state_dir))
    return _audited(state_dir, accounts, _manage(state_dir))


@app.command("add")
def users_add(
    account: Annotated[str, typer.Argument(help="account id, e.g. an e-mail address")],
    name: Annotated[str, typer.Option(help="display name: 'Chánh Văn phòng Nguyễn Văn A'")],
    email: Annotated[str | None, typer.Option(help="e-mail address")] = None,
    role: Annotated[str | None, typer.Option(help="a first role (see users grant)")] = None,
    plan: Annotated[str, typer.Option(help="plan id of the role, or *")] = EVERY_PLAN,
    party: PartyOption = None,
    password: Annotated[bool, typer.Option("--password", help="set a password (prompted)")]
    = False,
    password_stdin: PasswordStdin = False,
    api_key: Annotated[bool, typer.Option(
        "--api-key", help="also print an API key for it (its last line of output)")] = False,
    state_dir: StateDir = None,
) -> None:
    """Create an account. The very first office account of every plan needs no sign-in."""
    from dondoc.services import identity as identities
    from dondoc.services import users as accounts_service

    config = settings(state_dir)
    accounts = accounts_of(config)
    grant = _grant(role, plan, party) if role else None
    operator = None if accounts_service.may_bootstrap(accounts, grant) else _manage(state_dir)
    accounts = _audited(state_dir, accounts, operator)
    secret = None
    if password or password_stdin:
        try:
            secret = identities.hash_password(_password(password_stdin, confirm=True))
        except ValueError as error:
            raise fail(f"refused: {error}") from None
    _change(lambda: accounts.add(account, name=name, email=email, password_hash=secret))
    if grant is not None:
        accounts.grant(account, grant)
    out.print(f"đã tạo tài khoản {account}" + (f": {grant}" if grant else ""), markup=False)
    if api_key:
        sys.stdout.flush()
        sys.stdout.write(accounts.issue_token(account, "api_key", at=_now(), lifetime=None)
                         + "\n")


@app.command("grant")
def users_grant(account: Annotated[str, typer.Argument()], role: RoleOption,
                plan: PlanOption = EVERY_PLAN, party: PartyOption = None,
                state_dir: StateDir = None) -> None:
    """Give an account a role (a person may hold several)."""
    accounts = _manage_or_exit(state_dir)
    grant = _grant(role, plan, party)
    changed: list[bool] = []
    _change(lambda: changed.append(accounts.grant(account, grant)))
    out.print(f"{account}: {grant}" + ("" if changed[0] else " (đã có)"), markup=False)


@app.command("revoke")
def users_revoke(account: Annotated[str, typer.Argument()], role: RoleOption,
                 plan: PlanOption = EVERY_PLAN, party: PartyOption = None,
                 state_dir: StateDir = None) -> None:
    """Take a role back."""
    accounts = _manage_or_exit(state_dir)
    grant = _grant(role, plan, party)
    changed: list[bool] = []
    _change(lambda: changed.append(accounts.revoke(account, grant)))
    if not changed[0]:
        raise fail(f"{account} does not hold {grant}")
    out.print(f"{account}: đã thu hồi {grant}", markup=False)


@app.command("disable")
def users_disable(account: Annotated[str, typer.Argument()], state_dir: StateDir = None) -> None:
    """Lock an account: its tokens stop working at once."""
    accounts = _manage_or_exit(state_dir)
    changed: list[bool] = []
    _change(lambda: changed.append(accounts.set_status(account, "disabled")))
    out.print(f"{account}: đã khóa" + ("" if changed[0] else " (đã khóa từ trước)"), markup=False)


@app.command("enable")
def users_enable(account: Annotated[str, typer.Argument()], state_dir: StateDir = None) -> None:
    """Unlock an account (it signs in again)."""
    accounts = _manage_or_exit(state_dir)
    _change(lambda: accounts.set_status(account, "active"))
    out.print(f"{account}: đã mở khóa", markup=False)


@app.command("password")
def users_password(account: Annotated[str, typer.Argument()],
                   password_stdin: PasswordStdin = False, state_dir: StateDir = None) -> None:
    """Set an account's password (for `dondoc login`)."""
    from dondoc.services import identity as identities

    accounts = _manage_or_exit(state_dir)
    try:
        secret = identities.hash_password(_password(password_stdin, confirm=True))
    except ValueError as error:
        raise fail(f"refused: {error}") from None
    _change(lambda: accounts.set_password(account, secret))
    out.print(f"{account}: đã đặt mật khẩu", markup=False)


@app.command("api-key")
def users_api_key(
    account: Annotated[str, typer.Argument()],
    days: Annotated[int | None, typer.Option(help="valid this many days (default: no end)")]
    = None,
    state_dir: StateDir = None,
) -> None:
    """A key for scripts (DONDOC_API_KEY=...), printed once; only its hash is kept."""
    accounts = _manage_or_exit(state_dir)
    keys: list[str] = []
    _change(lambda: keys.append(accounts.issue_token(
        account, "api_key", at=_now(), lifetime=timedelta(days=days) if days else None)))
    sys.stdout.write(keys[0] + "\n")


@app.command("sync")
def users_sync(
    contacts: Annotated[Path, typer.Option(help="the plan's contacts file")],
    plan: Annotated[Path | None, typer.Option(
        help="the plan file (default: definitions/<the contacts' plan id>.yaml)")] = None,
    as_json: AsJson = False,
    state_dir: StateDir = None,
) -> None:
    """Accounts and roles from a contacts file: the head of each unit, the leaders, the
    Steering Committee, the office. Running it again changes only what the file changed."""
    from dondoc.files import read_contacts
    from dondoc.services import users as accounts_service

    checked = read_contacts(contacts)
    print_problems(checked.problems)
    if not checked.ok or checked.value is None:
        raise fail(f"{contacts}: not read")
    if checked.value.plan is None and plan is None:
        raise fail(f"{contacts}: names no plan; give --plan FILE", 2)
    plan_file = plan or Path("definitions") / f"{checked.value.plan}.yaml"
    loaded = load_or_exit(plan_file, contacts)
    assert loaded.contacts is not None
    config = settings(state_dir)
    principal = identity(config)
    accounts = _audited(state_dir, accounts_of(config), principal)
    report = allowed(lambda: accounts_service.sync(accounts, principal, loaded.plan,
                                                   loaded.contacts))  # type: ignore[arg-type]
    if as_json:
        print_json({"added": report.added, "updated": report.updated,
                    "granted": report.granted, "revoked": report.revoked,
                    "unchanged": report.unchanged})
        return
    for title, lines in (("thêm tài khoản", report.added), ("cập nhật", report.updated),
                         ("cấp vai trò", report.granted), ("thu hồi vai trò", report.revoked)):
        for line in lines:
            out.print(f"{title}: {line}", markup=False)
    out.print(f"{loaded.plan.plan.id}: {len(report.added)} added, {len(report.updated)} updated, "
              f"{len(report.granted)} roles granted, {len(report.revoked)} revoked, "
              f"{report.unchanged} unchanged", markup=False)
