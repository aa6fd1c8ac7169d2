"""The plan file: a Kế hoạch as data.

Field names are English (they are code); the content stays in Vietnamese, as the plan wrote it.
Every model is frozen and refuses unknown keys, so a misspelt key is an error, not a silently
ignored line. Cross-references (units, people, events) are checked by `plans.validation`, which
reports every problem at once with its line in the file.
"""

from __future__ import annotations

import itertools
import re
from datetime import time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plans.deadline import Deadline, VnDate

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# -- who ------------------------------------------------------------------------------------

UnitKind = Literal[
    "department",  # phòng chức năng của Sở (Văn phòng, Phòng KHTC, Nghiệp vụ Y ...)
    "hospital",  # bệnh viện
    "center",  # trung tâm (CDC, TTYT ...)
    "station",  # trạm y tế xã/phường
    "ward",  # khoa, phòng của một trung tâm y tế
    "locality",  # địa phương: UBND huyện/thị xã/thành phố
    "agency",  # cơ quan ngoài ngành: Sở KH&CN, Công an tỉnh ...
    "collective",  # một nhóm đơn vị gọi chung: "các đơn vị trực thuộc"
]


class Unit(Model):
    """A unit the plan names: it leads or coordinates tasks; its head gets the reminders."""

    id: Id
    name: str = Field(description="tên đơn vị như trong kế hoạch")
    kind: UnitKind
    groups: list[Id] = Field([], description="nhóm để giao việc cho từng đơn vị (for_each)")
    note: str | None = None


class Group(Model):
    id: Id
    name: str


class Person(Model):
    """Someone the plan names by role: a deputy director, the director, a steering committee."""

    id: Id
    name: str | None = Field(None, description="họ tên; bỏ trống nếu kế hoạch không nêu")
    title: str = Field(description="chức vụ: 'Phó Giám đốc Sở', 'Ban Chỉ đạo ...'")
    kind: Literal["person", "committee"] = "person"

    @property
    def display(self) -> str:
        return f"{self.name} - {self.title}" if self.name else self.title


class Roles(Model):
    office: Id = Field(description="đơn vị theo dõi, tổng hợp kế hoạch (unit id)")
    steering_committee: Id = Field(description="Ban Chỉ đạo (person id)")
    default_leader: Id | None = Field(
        None, description="lãnh đạo phụ trách khi nhiệm vụ không nêu (person id)"
    )


class Event(Model):
    """Something outside the plan that starts tasks: "UBND tỉnh ban hành kế hoạch"."""

    id: Id
    name: str


# -- policies -------------------------------------------------------------------------------


class ReminderStep(Model):
    """A reminder: `working_days_before` the due day (0 = its morning), at the send time; or
    `before`, an exact ISO 8601 duration before the due instant, ignoring the calendar (demos)."""

    working_days_before: Annotated[int | None, Field(ge=0, le=60)] = None
    before: timedelta | None = None

    @model_validator(mode="after")
    def _one(self) -> ReminderStep:
        if (self.working_days_before is None) == (self.before is None):
            raise ValueError("give exactly one of working_days_before or before")
        return self


EscalationTarget = Literal["leader", "steering_committee", "office"]


class EscalationStep(Model):
    working_days_after: Annotated[int | None, Field(ge=0, le=60)] = None
    after: timedelta | None = None
    to: EscalationTarget

    @model_validator(mode="after")
    def _one(self) -> EscalationStep:
        if (self.working_days_after is None) == (self.after is None):
            raise ValueError("give exactly one of working_days_after or after")
        return self


class Repeat(Model):
    working_days: Annotated[int | None, Field(ge=1, le=60)] = None
    every: timedelta | None = None
    at_most: Annotated[int | None, Field(
        ge=1, le=100, description="số lần nhắc lại tối đa; sau lần cuối, Văn phòng được báo "
        "một lần rằng việc nhắc lại dừng; trống: nhắc lại đến khi hoàn thành")] = None

    @model_validator(mode="after")
    def _one(self) -> Repeat:
        if (self.working_days is None) == (self.every is None):
            raise ValueError("give exactly one of working_days or every")
        return self


CheckinEvery = Literal["week", "month", "quarter", "half_year", "year"]


class QuietHours(Model):
    """No e-mail or Zalo between `start` and `end` (local time); notices wait for `end`."""

    start: time = time(21, 0)
    end: time = time(7, 0)

    def covers(self, at: time) -> bool:
        if self.start <= self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end


CoordinatingStep = Literal["first_reminder", "overdue"]
COORDINATING_STEPS: tuple[CoordinatingStep, ...] = ("first_reminder", "overdue")


class Policy(Model):
    """How dondoc chases a task. The defaults are the department's usual practice."""

    send_time: time = Field(time(8, 0), description="giờ gửi nhắc việc (giờ của kế hoạch)")
    reminders: list[ReminderStep] = Field(
        default_factory=lambda: [
            ReminderStep(working_days_before=n) for n in (7, 3, 1, 0)
        ]
    )
    escalation: list[EscalationStep] = Field(
        default_factory=lambda: [
            EscalationStep(working_days_after=1, to="leader"),
            EscalationStep(working_days_after=5, to="steering_committee"),
        ]
    )
    escalation_repeat: Repeat | None = Field(
        default_factory=lambda: Repeat(working_days=5, at_most=4),  # about a month
        description="nhắc lại bậc cuối khi còn quá hạn; null để không nhắc lại",
    )
    catch_up: Literal["one_notice", "none"] = Field(
        "one_notice", description="bắt đầu muộn: một thông báo bù rồi theo lịch, không gửi dồn"
    )
    checkin_every: CheckinEvery = Field("quarter", description="nhiệm vụ thường xuyên: kỳ báo cáo")
    trigger_within: timedelta = Field(
        timedelta(days=30), description="thời hạn sau sự kiện khi câu chữ không nêu"
    )
    quiet_hours: QuietHours | None = Field(
        default_factory=QuietHours, description="giờ không gửi tin (ban đêm); null: gửi mọi lúc"
    )
    coordinating_told: list[CoordinatingStep] = Field(
        default_factory=lambda: list(COORDINATING_STEPS),
        description="đơn vị phối hợp nhận: nhắc hạn lần đầu, thông báo quá hạn; [] để tắt",
    )

    @model_validator(mode="after")
    def _ladder_climbs(self) -> Policy:
        delays = [(s.working_days_after, s.after) for s in self.escalation]
        for (wd1, d1), (wd2, d2) in itertools.pairwise(delays):
            if (wd1 is not None and wd2 is not None and wd2 <= wd1) or (
                d1 is not None and d2 is not None and d2 <= d1
            ):
                raise ValueError("each escalation step must come later than the one before")
        return self


class PolicyOverride(Model):
    """Per-task changes to the plan's policy; what it leaves out comes from the plan."""

    send_time: time | None = None
    reminders: list[ReminderStep] | None = None
    escalation: list[EscalationStep] | None = None
    escalation_repeat: Repeat | None = None
    catch_up: Literal["one_notice", "none"] | None = None
    checkin_every: CheckinEvery | None = None
    trigger_within: timedelta | None = None
    quiet_hours: QuietHours | None = None
    coordinating_told: list[CoordinatingStep] | None = None

    def apply(self, policy: Policy) -> Policy:
        return policy.model_copy(update={name: getattr(self, name) for name in self.model_fields_set})


# -- what -----------------------------------------------------------------------------------

Comparator = Literal["≥", "≤", "=", ">", "<"]
_COMPARATORS = {">=": "≥", "<=": "≤", "==": "="}


class Kpi(Model):
    """A target (chỉ tiêu): `indicator` `comparator` `target` `unit`, e.g. 'Tỷ lệ ...' ≥ 65 %."""

    id: Id
    indicator: str
    unit: str | None = Field(None, description="đơn vị tính: %, ca, hồ sơ ...")
    comparator: Comparator = "≥"
    target: Decimal | None = Field(None, description="giá trị; bỏ trống khi chỉ tiêu là chữ")
    target_text: str | None = Field(None, description="chỉ tiêu như kế hoạch ghi: '≥ 65', 'Thực hiện'")
    baseline: Decimal | None = None
    baseline_text: str | None = None

    @field_validator("comparator", mode="before")
    @classmethod
    def _ascii_comparators(cls, value: Any) -> Any:
        return _COMPARATORS.get(value, value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _has_target(self) -> Kpi:
        if self.target is None and not self.target_text:
            raise ValueError("a KPI needs a target or a target_text")
        return self


class UnitTarget(Model):
    target: Decimal | None = None
    target_text: str | None = None
    baseline: Decimal | None = None
    baseline_text: str | None = None
    note: str | None = None


def _unit_target(value: Any) -> Any:
    if isinstance(value, int | float | Decimal):
        return {"target": value}
    if isinstance(value, str):
        return {"target_text": value}
    return value


class FanOut(Model):
    """One occurrence for each unit of `group` (minus `exclude`), each leading its own."""

    group: Id
    exclude: list[Id] = []
    targets: dict[Id, dict[Id, UnitTarget]] = Field(
        {}, description="per unit, per KPI id: that unit's own target (Phụ lục II)"
    )

    @field_validator("targets", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                unit: ({k: _unit_target(v) for k, v in kpis.items()} if isinstance(kpis, dict)
                       else kpis)
                for unit, kpis in value.items()
            }
        return value


class DeadlineSpec(Model):
    """The deadline as the plan wrote it (`text`) and/or in structured form (`rule`).

    With only `text`, the grammar reads it; a phrase it cannot read needs a `rule` beside it.
    """

    text: str | None = Field(None, description="nguyên văn: 'Quý I/2025', 'Thường xuyên' ...")
    rule: Deadline | None = None

    @model_validator(mode="before")
    @classmethod
    def _phrase_only(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"text": value}
        return value

    @model_validator(mode="after")
    def _something(self) -> DeadlineSpec:
        if not self.text and self.rule is None:
            raise ValueError("give the deadline's text, or a rule, or both")
        return self


class Task(Model):
    id: Id
    title: str = Field(description="nội dung nhiệm vụ, nguyên văn")
    source: str = Field(description="nơi ghi trong kế hoạch: 'Phụ lục I, dòng 3', 'Mục IV.8'")
    section: str | None = Field(None, description="nhóm nhiệm vụ trong kế hoạch")
    lead: list[Id] = Field([], description="đơn vị chủ trì (unit ids)")
    coordinating: list[Id] = Field([], description="đơn vị phối hợp (unit ids)")
    leader: Id | None = Field(None, description="lãnh đạo phụ trách (person id)")
    result: str | None = Field(None, description="kết quả / sản phẩm")
    kpis: list[Kpi] = []
    deadline: DeadlineSpec
    when: Id | None = Field(None, description="sự kiện phải xảy ra trước (event id)")
    for_each: FanOut | None = None
    policy: PolicyOverride | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _who_leads(self) -> Task:
        if not self.lead and self.for_each is None:
            raise ValueError("a task needs a lead unit, or for_each to give each unit its own")
        return self


class PlanInfo(Model):
    id: Id
    number: str | None = Field(None, description="số ký hiệu: '500/KH-SYT'; trống nếu chưa có")
    title: str
    issuer: str = Field(description="cơ quan ban hành")
    issued: VnDate | None = Field(None, description="ngày ban hành; trống nếu bản gốc để trống")
    signed_by: str | None = None
    year: int = Field(ge=2000, le=2100, description="năm của kế hoạch; điền năm cho câu chữ thiếu")
    until: int | None = Field(None, ge=2000, le=2100, description="năm cuối (kế hoạch nhiều năm)")
    timezone: str = "Asia/Ho_Chi_Minh"
    source: str | None = Field(None, description="tệp gốc")
    note: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _years(self) -> PlanInfo:
        if self.until is not None and self.until < self.year:
            raise ValueError("until is before year")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.year, (self.until or self.year) + 1))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Plan(Model):
    plan: PlanInfo
    groups: list[Group] = []
    units: list[Unit] = Field(min_length=1)
    people: list[Person] = Field(min_length=1)
    roles: Roles
    events: list[Event] = []
    policy: Policy = Field(default_factory=Policy)
    tasks: list[Task] = Field(min_length=1)

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def person(self, person_id: str) -> Person:
        return next(p for p in self.people if p.id == person_id)

    def task(self, task_id: str) -> Task:
        return next(t for t in self.tasks if t.id == task_id)

    def members(self, group_id: str) -> list[Unit]:
        return [u for u in self.units if group_id in u.groups]


# -- contacts (deployment data, a separate file) --------------------------------------------

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
# Vietnamese mobile numbers: 0 or +84/84, then a 3/5/7/8/9 prefix and 8 digits.
_VN_MOBILE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")
ChannelName = Literal["email", "zalo"]


def normalize_vn_phone(value: str) -> str:
    """'0912 345 678' / '+84912345678' -> '84912345678', the form Zalo's APIs take."""
    digits = re.sub(r"[\s.\-()]", "", value)
    match = _VN_MOBILE.match(digits)
    if not match:
        raise ValueError(
            f"{value!r} is not a Vietnamese mobile number (0xxxxxxxxx or +84xxxxxxxxx)"
        )
    return "84" + match.group(1)


class Contact(Model):
    """How to reach the head of a unit, or a person, of one plan or of all plans."""

    of: Id = Field(description="unit id or person id")
    name: str | None = Field(None, description="người nhận: 'Chánh Văn phòng Nguyễn Văn A'")
    email: str | None = None
    zalo_phone: str | None = None
    zalo_user_id: str | None = Field(None, pattern=r"^\d{5,32}$")
    prefer: list[ChannelName] = Field(["zalo", "email"], min_length=1)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @field_validator("zalo_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalize_vn_phone(value) if value is not None else None

    @property
    def channels(self) -> list[ChannelName]:
        reachable = {"email": self.email is not None,
                     "zalo": self.zalo_phone is not None or self.zalo_user_id is not None}
        return [c for c in self.prefer if reachable[c]]

    def addresses(self) -> list[tuple[ChannelName, str]]:
        """(channel, address) for every address given: the Zalo user id (as `uid:<id>`) before
        the phone, as the notifier tries them."""
        out: list[tuple[ChannelName, str]] = []
        if self.email:
            out.append(("email", self.email))
        if self.zalo_user_id:
            out.append(("zalo", f"uid:{self.zalo_user_id}"))
        if self.zalo_phone:
            out.append(("zalo", self.zalo_phone))
        return out


class Contacts(Model):
    plan: Id | None = Field(None, description="plan id these contacts are for; empty for all")
    contacts: list[Contact] = []

    def get(self, party_id: str) -> Contact | None:
        return next((c for c in self.contacts if c.of == party_id), None)
