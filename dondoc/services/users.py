"""Accounts: provisioned from a plan's contacts file, managed by the office of every plan;
every change is a row of the audit log (chain `_accounts`) naming the account that made it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from dondoc.services.identity import require
from plans.access import EVERY_PLAN, Grant, Principal, Target
from plans.model import Contacts, Plan
from storage.accounts import Accounts, Provision, SyncReport
from storage.audit import AuditLog
from workflows.messages import EventType, OccurrenceEvent

AUDIT_PLAN = "_accounts"  # the audit log's chain for account changes, beside each plan's


def audited(accounts: Accounts, audit: AuditLog, operator: Principal | None, *,
            at: datetime) -> Accounts:
    """The same accounts, each change written to the audit log in its own transaction, with
    the operator's account (None: the first office account, made before anyone could sign in)."""

    def record(session: Session, type: EventType, subject: str,
               details: dict[str, object]) -> None:
        who: dict[str, object] = ({"operator": operator.account} if operator is not None
                                  else {"operator": None, "bootstrap": True})
        audit.append_in(session, OccurrenceEvent(
            key=f"{AUDIT_PLAN}/{subject}#{uuid.uuid4().hex}", ref=f"{AUDIT_PLAN}/{subject}",
            plan=AUDIT_PLAN, type=type, at=at,
            actor=operator.account if operator is not None else None,
            details={"account" if type != "accounts.synced" else "source": subject,
                     **details, **who}))

    return Accounts(accounts.engine, record)


def account_id(plan_id: str, party: str, email: str | None, zalo_phone: str | None) -> str:
    """A person is one account across plans: their e-mail address (else their Zalo phone);
    a contact with neither is an account of that plan's party."""
    if email:
        return email.lower()
    if zalo_phone:
        return f"zalo:{zalo_phone}"
    return f"{plan_id}.{party}"


def provisions(plan: Plan, contacts: Contacts) -> list[Provision]:
    """The accounts and roles a contacts file gives: the head of each unit (and the office's
    head, office of the plan), each leader, the Steering Committee's member."""
    plan_id = plan.plan.id
    units = {u.id: u for u in plan.units}
    people = {p.id: p for p in plan.people}
    merged: dict[str, Provision] = {}
    for contact in contacts.contacts:
        grants: list[Grant] = []
        if contact.of in units:
            grants.append(Grant(role="unit_head", plan=plan_id, party=contact.of))
            if contact.of == plan.roles.office:
                grants.append(Grant(role="office", plan=plan_id, party=contact.of))
            default_name = units[contact.of].name
        elif contact.of in people:
            role = ("steering_committee" if contact.of == plan.roles.steering_committee
                    else "leader")
            grants.append(Grant(role=role, plan=plan_id, party=contact.of))
            default_name = people[contact.of].display
        else:
            continue  # validated against the plan before: cannot happen
        key = account_id(plan_id, contact.of, contact.email, contact.zalo_phone)
        before = merged.get(key)
        merged[key] = Provision(
            id=key, name=before.name if before else (contact.name or default_name),
            email=contact.email, zalo_phone=contact.zalo_phone,
            zalo_user_id=contact.zalo_user_id,
            grants=(*(before.grants if before else ()), *grants))
    return list(merged.values())


def sync(accounts: Accounts, principal: Principal, plan: Plan, contacts: Contacts) -> SyncReport:
    require(principal, "manage_users", Target(plan=plan.plan.id))
    return accounts.sync(provisions(plan, contacts), source=f"contacts:{plan.plan.id}")


def may_bootstrap(accounts: Accounts, grant: Grant | None) -> bool:
    """The first office account of every plan is created without an identity (there is none
    to prove yet); every later change needs one."""
    return (grant is not None and grant.role == "office" and grant.plan == EVERY_PLAN
            and accounts.count_office_of_every_plan() == 0)
