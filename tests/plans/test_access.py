"""The authorization table, read as the plan's rules: for an occurrence of plan `kh` led by
Hạ Long (HL) with Cẩm Phả (CP) coordinating, deputy director `pgd` responsible, Steering
Committee `bcd`, office `VP` — who may do each operation. Every role × every operation."""

from __future__ import annotations

import pytest

from plans.access import ALLOWED, Grant, Principal, Target, decide

OCCURRENCE = Target(plan="kh", lead=("HL",), coordinating=("CP",), leader="pgd",
                    steering_committee="bcd", office="VP", ref="kh/T1/HL")


def who(account: str, *grants: Grant, acting_for: str | None = None,
        reason: str | None = None) -> Principal:
    return Principal(account=account, name=account, grants=grants, acting_for=acting_for,
                     reason=reason)


ROLES = {
    "head of the lead unit HL": who("hl", Grant(role="unit_head", plan="kh", party="HL")),
    "head of the coordinating unit CP": who("cp", Grant(role="unit_head", plan="kh", party="CP")),
    "head of another unit BC": who("bc", Grant(role="unit_head", plan="kh", party="BC")),
    "head of HL in another plan": who("hl2", Grant(role="unit_head", plan="khac", party="HL")),
    "the responsible leader pgd": who("pgd", Grant(role="leader", plan="kh", party="pgd")),
    "another leader gd": who("gd", Grant(role="leader", plan="kh", party="gd")),
    "a Steering Committee member": who("bcd", Grant(role="steering_committee", plan="kh",
                                                    party="bcd")),
    "the office of kh": who("vp", Grant(role="office", plan="kh", party="VP")),
    "the office of every plan": who("admin", Grant(role="office")),
    "the office of another plan": who("vp2", Grant(role="office", plan="khac")),
    "the office on behalf of HL, with a reason": who(
        "vp", Grant(role="office", plan="kh", party="VP"), acting_for="HL",
        reason="HL gửi văn bản giấy"),
    "the office on behalf of HL, no reason": who(
        "vp", Grant(role="office", plan="kh", party="VP"), acting_for="HL"),
    "the head of CP on behalf of HL": who(
        "cp", Grant(role="unit_head", plan="kh", party="CP"), acting_for="HL", reason="x"),
    "an auditor": who("thanhtra", Grant(role="auditor")),
    "an account with no role": who("nobody"),
}

LEAD = {"head of the lead unit HL", "the office on behalf of HL, with a reason"}
DECIDE = {"the responsible leader pgd", "a Steering Committee member"}
OFFICE = {"the office of kh", "the office of every plan",
          "the office on behalf of HL, with a reason", "the office on behalf of HL, no reason"}

# The plan's rules, one line per operation: who may.
RULES: dict[str, set[str]] = {
    "complete": LEAD,
    "checkin": LEAD,
    "request_extension": LEAD,
    "record_kpi": LEAD,
    "approve_extension": DECIDE,
    "deny_extension": DECIDE,
    "reopen": OFFICE | {"the responsible leader pgd"},
    "pause": OFFICE,
    "resume": OFFICE,
    "cancel": OFFICE,
    "trigger": OFFICE,
    "load": OFFICE,
    "amend": OFFICE,
    "archive": OFFICE,
    "read": OFFICE | {"head of the lead unit HL", "head of the coordinating unit CP",
                      "the responsible leader pgd", "a Steering Committee member",
                      "an auditor"},
    "report": OFFICE | {"a Steering Committee member", "an auditor"},
    "audit": OFFICE | {"an auditor"},
    "manage_users": {"the office of every plan"},
}


def test_the_rules_cover_every_operation():
    assert set(RULES) == set(ALLOWED)


@pytest.mark.parametrize("operation", sorted(RULES))
@pytest.mark.parametrize("role", sorted(ROLES))
def test_who_may_do_what(role: str, operation: str):
    decision = decide(ROLES[role], operation, OCCURRENCE)  # type: ignore[arg-type]
    assert decision.allowed == (role in RULES[operation]), str(decision)
    if not decision.allowed:
        assert decision.code in ("Forbidden", "NotOnBehalf", "NoReason", "OwnRequest")
        assert "\n" not in decision.message


def test_an_auditor_writes_nothing():
    writes = [op for op in ALLOWED if op not in ("read", "report", "audit")]
    assert not any(decide(ROLES["an auditor"], op, OCCURRENCE).allowed for op in writes)


def test_a_refusal_names_who_would_be_allowed():
    decision = decide(ROLES["head of the coordinating unit CP"], "complete", OCCURRENCE)
    assert decision.code == "Forbidden"
    assert "trưởng đơn vị chủ trì hoặc Văn phòng thay mặt đơn vị chủ trì" in decision.message


def test_the_requester_never_decides_their_own_extension():
    # pgd leads the task and also asked for the extension (as its requester account)
    asked = Target(**{**OCCURRENCE.__dict__, "requester": "pgd"})
    decision = decide(ROLES["the responsible leader pgd"], "approve_extension", asked)
    assert (decision.allowed, decision.code) == (False, "OwnRequest")
    assert decide(ROLES["a Steering Committee member"], "approve_extension", asked).allowed


def test_the_party_recorded_is_the_one_acted_as():
    assert decide(ROLES["head of the lead unit HL"], "complete", OCCURRENCE).acting_as == "HL"
    assert decide(ROLES["the office on behalf of HL, with a reason"], "complete",
                  OCCURRENCE).acting_as == "HL"
    assert decide(ROLES["the office of kh"], "pause", OCCURRENCE).acting_as == "VP"
    assert decide(ROLES["a Steering Committee member"], "approve_extension",
                  OCCURRENCE).acting_as == "bcd"


def test_on_behalf_only_for_the_office():
    decision = decide(ROLES["the head of CP on behalf of HL"], "complete", OCCURRENCE)
    assert (decision.allowed, decision.code) == (False, "NotOnBehalf")
    assert decide(ROLES["the office on behalf of HL, no reason"], "complete",
                  OCCURRENCE).code == "NoReason"
