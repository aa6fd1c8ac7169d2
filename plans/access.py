"""Who may do what: the one authorization table, as data, and the pure rule that reads it.

The CLI's services, the web app and the occurrence workflow's Update validators all call
`decide`; none keeps a rule of its own. A principal is an authenticated account with the plan
roles it was granted; `acting_for` is the unit or person an office account acts on behalf of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

PlanRole = Literal["unit_head", "leader", "steering_committee", "office", "auditor"]
EVERY_PLAN = "*"

Operation = Literal[
    "complete", "checkin", "request_extension", "record_kpi",
    "approve_extension", "deny_extension", "reopen",
    "pause", "resume", "cancel", "trigger", "load", "amend", "archive",
    "read", "report", "audit", "manage_users",
]

# Who qualifies, in the words of the plan (the keys of ALLOWED's tuples).
Qualification = Literal[
    "lead_unit_head",        # trưởng đơn vị chủ trì of the occurrence
    "office_on_behalf",      # Văn phòng, on behalf of the lead unit, with a reason
    "responsible_leader",    # lãnh đạo phụ trách of the task
    "steering_committee",    # a member of the plan's Ban Chỉ đạo
    "office",                # Văn phòng of the plan (or of every plan)
    "office_of_every_plan",  # Văn phòng of every plan: manages accounts
    "unit_of_occurrence",    # head of a lead or coordinating unit of the occurrence
    "auditor",               # thanh tra: reads everything, writes nothing
]

ALLOWED: dict[Operation, tuple[Qualification, ...]] = {
    "complete": ("lead_unit_head", "office_on_behalf"),
    "checkin": ("lead_unit_head", "office_on_behalf"),
    "request_extension": ("lead_unit_head", "office_on_behalf"),
    "record_kpi": ("lead_unit_head", "office_on_behalf"),
    "approve_extension": ("responsible_leader", "steering_committee"),
    "deny_extension": ("responsible_leader", "steering_committee"),
    "reopen": ("office", "responsible_leader"),
    "pause": ("office",),
    "resume": ("office",),
    "cancel": ("office",),
    "trigger": ("office",),
    "load": ("office",),
    "amend": ("office",),
    "archive": ("office",),
    "read": ("unit_of_occurrence", "responsible_leader", "steering_committee", "office",
             "auditor"),
    "report": ("steering_committee", "office", "auditor"),
    "audit": ("office", "auditor"),
    "manage_users": ("office_of_every_plan",),
}
# An extension is decided by someone other than whoever asked for it.
NEVER_THE_REQUESTER: frozenset[Operation] = frozenset({"approve_extension", "deny_extension"})
READS: frozenset[Operation] = frozenset({"read", "report", "audit"})

VIETNAMESE: dict[Qualification, str] = {
    "lead_unit_head": "trưởng đơn vị chủ trì",
    "office_on_behalf": "Văn phòng thay mặt đơn vị chủ trì (có lý do)",
    "responsible_leader": "lãnh đạo phụ trách",
    "steering_committee": "Ban Chỉ đạo",
    "office": "Văn phòng theo dõi kế hoạch",
    "office_of_every_plan": "Văn phòng theo dõi mọi kế hoạch",
    "unit_of_occurrence": "đơn vị chủ trì hoặc phối hợp",
    "auditor": "thanh tra",
}


class Grant(BaseModel):
    """One role of an account: head of unit `party` in `plan`, leader `party`, member of the
    Steering Committee `party`, office of `plan` (or of every plan, "*"), auditor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: PlanRole
    plan: str = EVERY_PLAN
    party: str | None = None

    def covers(self, plan: str) -> bool:
        return self.plan in (EVERY_PLAN, plan)

    def __str__(self) -> str:
        where = "mọi kế hoạch" if self.plan == EVERY_PLAN else self.plan
        return f"{self.role}{f' {self.party}' if self.party else ''} ({where})"


class Principal(BaseModel):
    """An authenticated account, as it travels with an operation (and into its history)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account: str
    name: str
    grants: tuple[Grant, ...] = ()
    acting_for: str | None = None
    reason: str | None = None

    def holds(self, role: PlanRole, plan: str, party: str | None = None) -> list[Grant]:
        return [g for g in self.grants if g.role == role and g.covers(plan)
                and (party is None or g.party == party)]

    def is_office(self, plan: str | None = None) -> bool:
        return any(g.role == "office" and (plan is None or g.covers(plan)) for g in self.grants)


@dataclass(frozen=True)
class Target:
    """What the rule needs to know about the thing acted on."""

    plan: str
    lead: tuple[str, ...] = ()
    coordinating: tuple[str, ...] = ()
    leader: str | None = None
    steering_committee: str | None = None
    office: str | None = None
    requester: str | None = None  # the account that asked for the pending extension
    ref: str | None = None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str  # for scripts: Allowed, Forbidden, NotOnBehalf, OwnRequest, NoReason
    message: str  # one line, Vietnamese, for people
    acting_as: str | None = None  # the unit or person the operation is recorded for
    qualification: Qualification | None = None

    def __str__(self) -> str:
        return f"{self.message} [{self.code}]"


def decide(principal: Principal, operation: Operation, target: Target) -> Decision:
    """Allowed, and as whom; or why not, naming who would be allowed."""
    what = f"'{operation}'" + (f" trên {target.ref}" if target.ref else f" (kế hoạch {target.plan})")
    if principal.acting_for is not None and not principal.is_office(target.plan):
        return Decision(False, "NotOnBehalf",
                        f"{principal.account} không được thay mặt {principal.acting_for}: chỉ "
                        "Văn phòng được làm thay (bỏ --by)")
    for qualification in ALLOWED[operation]:
        acting_as = _qualifies(principal, qualification, target)
        if acting_as is None:
            continue
        if operation in NEVER_THE_REQUESTER and target.requester == principal.account:
            return Decision(False, "OwnRequest", f"{principal.account} đã đề nghị gia hạn này "
                            "nên không tự quyết định được; Ban Chỉ đạo hoặc lãnh đạo khác quyết định")
        if qualification == "office_on_behalf" and not (principal.reason or "").strip():
            return Decision(False, "NoReason",
                            f"Văn phòng làm thay {principal.acting_for} cần ghi lý do (--reason)")
        return Decision(True, "Allowed", f"{principal.account}: {what} được phép",
                        acting_as or None, qualification)
    allowed = " hoặc ".join(VIETNAMESE[q] for q in ALLOWED[operation])
    return Decision(False, "Forbidden",
                    f"{principal.account} không có quyền {what}; chỉ {allowed} được làm việc này")


def _qualifies(principal: Principal, qualification: Qualification, target: Target) -> str | None:
    """The party the principal acts as under this qualification ("" when none), or None."""
    plan, acting_for = target.plan, principal.acting_for
    if qualification == "lead_unit_head":
        if acting_for is not None:
            return None
        heads = [g.party for g in principal.holds("unit_head", plan) if g.party in target.lead]
        return heads[0] if heads else None
    if qualification == "office_on_behalf":
        if acting_for is None or acting_for not in target.lead or not principal.is_office(plan):
            return None
        return acting_for
    if acting_for is not None and qualification != "office":
        return None
    if qualification == "responsible_leader":
        return target.leader if target.leader and principal.holds(
            "leader", plan, target.leader) else None
    if qualification == "steering_committee":
        committee = target.steering_committee
        found = [g for g in principal.holds("steering_committee", plan)
                 if committee is None or g.party in (None, committee)]
        return (committee or found[0].party or "") if found else None
    if qualification == "office":
        if not principal.is_office(plan):
            return None
        return acting_for or target.office or ""
    if qualification == "office_of_every_plan":
        every = any(g.role == "office" and g.plan == EVERY_PLAN for g in principal.grants)
        return "" if every else None
    if qualification == "unit_of_occurrence":
        units = set(target.lead) | set(target.coordinating)
        heads = [g.party for g in principal.holds("unit_head", plan) if g.party in units]
        return heads[0] if heads else None
    if qualification == "auditor":
        return "" if principal.holds("auditor", plan) else None
    raise ValueError(qualification)
