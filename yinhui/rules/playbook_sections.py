"""The playbook's sections as validated data: cadence, priority, festivals, nodes, events, care.

Pure data (pydantic models). Each section checks itself; what needs two sections at once (a
festival naming a declared node, deadlines following the priority order) is checked by the whole
``Playbook`` in ``yinhui.rules.playbook``. Nothing here interprets the rules: the modules above
(cadence, festivals, must-visits ...) do.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yinhui.rules.calendar_nodes import BureauNode
from yinhui.rules.playbook_values import (
    NODE_KEY,
    doubled,
    escalation_thresholds,
    parse_node_date,
    parse_offset,
)

Category = Literal["lixiu", "tuixiu"]
ContactMode = Literal["call", "visit", "event", "volunteer"]
Outcome = Literal["reached", "unreachable", "visited", "declined"]
OwnerRole = Literal["staff", "grid", "leader"]
Every = Literal["month", "quarter", "year"]
Due = Literal["period_end"] | int


class StrictModel(BaseModel):
    """A playbook section: unknown keys are refused (a typo is caught), values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(StrictModel):
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


def _title(zh: str, en: str) -> Title:
    return Title(zh=zh, en=en)


class Bureau(StrictModel):
    # Time zone and language are settings (YINHUI_TIMEZONE, YINHUI_LANGUAGE), not rules.
    name: str = "县委老干部局"


class Digest(StrictModel):
    horizon_days: int = Field(7, ge=0, le=92, description="list tasks due within this many days")
    max_items: int = Field(40, ge=1, le=500, description="tasks listed per digest; the rest counted")


class Priority(StrictModel):
    """Who comes first in a coordinator's list: the smallest number that applies wins."""

    lixiu: int = 10
    aged: int = 20
    aged_from: int = Field(80, ge=50, le=120)
    lives_alone: int = 30
    hardship: int = 30
    default: int = 50


class Escalation(StrictModel):
    after_days: list[int] = Field(default=[3, 7], min_length=1, max_length=2)
    lapse_after_days: int | None = Field(
        15, ge=1, description="days overdue after which an undone task is closed as missed"
    )

    @field_validator("after_days")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(d < 0 for d in value) or value != sorted(set(value)):
            raise ValueError("days overdue must be non-negative and strictly increasing")
        return value


class CadenceRule(StrictModel):
    """A recurring contact: one task per cadre per period (一月一次电话、一季一次走访)."""

    rule: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    kind: Literal["call", "visit"]
    title: Title
    every: Every
    opens_on_day: int = Field(1, ge=1, le=28, description="day of the period the window opens")
    due: Due = Field("period_end", description="'period_end', or days after the window opens")
    categories: list[Category] = Field(default=["lixiu", "tuixiu"], min_length=1)
    satisfied_by: list[ContactMode] = Field(min_length=1)
    outcomes: list[Outcome] = Field(min_length=1)
    escalate_after_days: list[int] | None = None

    @field_validator("due")
    @classmethod
    def _positive_due(cls, value: str | int) -> str | int:
        if isinstance(value, int) and value < 0:
            raise ValueError("days after the window opens cannot be negative")
        return value


# -- festivals, nodes and events (两个节点) ---------------------------------------------------------


class TierDays(StrictModel):
    """Days before the festival by which each priority tier is visited (names as in [priority])."""

    lixiu: int = Field(10, ge=1, le=90)
    aged: int = Field(5, ge=1, le=90)
    lives_alone: int = Field(5, ge=1, le=90)
    hardship: int = Field(5, ge=1, le=90)
    default: int = Field(2, ge=1, le=90)


class FestivalVisits(StrictModel):
    """逢年过节必访: before each named festival every active cadre gets a visit."""

    festivals: list[str] = Field(
        default=["spring_festival", "mid_autumn_festival", "double_ninth_festival"],
        description="calendar node keys (built-in or declared under [[nodes]])",
    )
    opens_days_before: int = Field(21, ge=1, le=90, description="the window opens this long before")
    due_days_before: TierDays = TierDays()
    categories: list[Category] = Field(default=["lixiu", "tuixiu"], min_length=1)

    @field_validator("festivals")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        twice = doubled(value)
        if twice:
            raise ValueError(f"festival {twice!r} is named twice")
        return value

    @model_validator(mode="after")
    def _due_inside_window(self) -> FestivalVisits:
        latest = max(self.due_days_before.model_dump().values())
        if latest > self.opens_days_before:
            raise ValueError(
                f"a visit due {latest} days before the festival would be due before its window "
                f"opens ({self.opens_days_before} days before)"
            )
        return self


class NodeSpec(StrictModel):
    """A bureau task node (重要任务节点): an anniversary, the yearly assessment, a deadline."""

    key: str = Field(pattern=NODE_KEY)
    name: Title
    date: str = Field(description="MM-DD every year, or YYYY-MM-DD for a one-off")
    lunar: bool = Field(False, description="month and day are a lunar date (农历)")
    note: str | None = None

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: object) -> object:
        # TOML and YAML parse an unquoted 2026-07-01 into a date; accept it as written.
        return value.isoformat() if isinstance(value, dt.date) else value

    @model_validator(mode="after")
    def _valid_node(self) -> NodeSpec:
        self.to_bureau_node()
        return self

    def to_bureau_node(self) -> BureauNode:
        year, month, day = parse_node_date(self.date)
        return BureauNode(self.key, self.name.zh, self.name.en, month, day, year, self.lunar, self.note)


class EventStep(StrictModel):
    """One step of an event plan, placed relative to the event day (T)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    title: Title
    at: int = Field(ge=-366, le=366, description='"T-60" .. "T+7": days before or after the event')
    owner: OwnerRole

    @field_validator("at", mode="before")
    @classmethod
    def _offset(cls, value: object) -> int:
        return parse_offset(value)


class EventTemplate(StrictModel):
    """A checklist for a themed event around a node (提早谋划、提前设计)."""

    # Event steps are tasks of rule "event:<name>", which must fit Task.rule (40 characters).
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,33}$")
    title: Title
    steps: list[EventStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_steps(self) -> EventTemplate:
        twice = doubled([step.key for step in self.steps])
        if twice:
            raise ValueError(f"step {twice!r} appears twice")
        return self

    @property
    def earliest(self) -> int:
        return min(step.at for step in self.steps)


class YearlyEvent(StrictModel):
    """An event planned every year around a node, created by the daily flow ahead of time."""

    node: str
    template: str
    title: Title | None = Field(None, description="default: the node's name and the template's title")
    venue: str | None = Field(None, max_length=200)
    teams: list[str] = Field(default=[], description="volunteer team names")
    owners: dict[OwnerRole, str] = Field(default={}, description="role -> coordinator name")
    create_days_before: int = Field(75, ge=0, le=366, description="when the flow creates the event")


class HolidayYear(StrictModel):
    """One year's official days off and make-up working days, as the State Council published them."""

    days_off: list[str | dt.date] = []
    workdays: list[str | dt.date] = []


# -- 四必访 besides festivals, 六上门, 组织生活 and the staff rhythm (care rules) ---------------------


class FollowUp(StrictModel):
    """What comes after a must-visit: a call after discharge, a monthly review of a hardship case.

    ``when``: "after" opens ``after_days`` after the occurrence; "on_close" opens when the
    occurrence is closed (a discharge), or ``after_days`` after it if nobody closes it sooner;
    "monthly" opens on the 1st of every month after the occurrence's, until it is closed.
    """

    title: Title
    when: Literal["after", "on_close", "monthly"]
    after_days: int | None = Field(None, ge=1, le=366)
    due_days: int = Field(7, ge=0, le=60, description="days from the follow-up opening to its deadline")

    @model_validator(mode="after")
    def _days_fit_when(self) -> FollowUp:
        if self.when == "after" and self.after_days is None:
            raise ValueError('a follow-up with when = "after" needs after_days')
        if self.when == "monthly" and self.after_days is not None:
            raise ValueError('a monthly follow-up starts the month after the occurrence; drop after_days')
        return self


class MustVisitKind(StrictModel):
    """One kind of must-visit: its title, deadline, escalation and follow-up."""

    title: Title
    due_days: int = Field(ge=0, le=60, description="days after the bureau learns of it (or the day itself, if later)")
    escalate_after_days: list[int] | None = None
    follow_up: FollowUp | None = None

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return escalation_thresholds(value)


class MilestoneBirthdays(StrictModel):
    """Big birthdays (寿辰) create the family-event visit by themselves, from the birth date."""

    ages: list[int] = Field(default=[70, 80, 90, 100], description="round birthdays visited")
    yearly_from: int | None = Field(100, ge=60, le=130, description="from this age every birthday is visited")
    lead_days: int = Field(14, ge=1, le=90, description="the visit is planned this long before the birthday")

    @field_validator("ages")
    @classmethod
    def _sensible_ages(cls, value: list[int]) -> list[int]:
        if any(not 50 <= age <= 130 for age in value) or len(set(value)) != len(value):
            raise ValueError("ages must be distinct, between 50 and 130")
        return sorted(value)


class MustVisits(StrictModel):
    """四必访 besides festivals: 生病住院、家有大事、特殊困难, and a condolence visit when a cadre dies."""

    escalate_after_days: list[int] = Field(
        default=[1, 3], description="days overdue before a late must-visit goes to the parent grid, then a leader"
    )
    hospitalisation: MustVisitKind = MustVisitKind(
        title=_title("生病住院探望", "Hospital visit"), due_days=2,
        follow_up=FollowUp(title=_title("出院后电话回访", "Call after discharge"), when="on_close",
                           after_days=21, due_days=3),
    )
    family_event: MustVisitKind = MustVisitKind(title=_title("家有大事走访", "Family-event visit"), due_days=3)
    hardship: MustVisitKind = MustVisitKind(
        title=_title("特殊困难走访", "Hardship visit"), due_days=7,
        follow_up=FollowUp(title=_title("困难情况月度复查", "Monthly hardship review"), when="monthly", due_days=14),
    )
    death: MustVisitKind = MustVisitKind(
        title=_title("吊唁慰问家属", "Condolence visit to the family"), due_days=3,
        follow_up=FollowUp(title=_title("遗属回访", "Call on the bereaved family"), when="after",
                           after_days=30, due_days=7),
    )
    milestone_birthdays: MilestoneBirthdays = MilestoneBirthdays()

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        return escalation_thresholds(value) or value

    def kinds(self) -> dict[str, MustVisitKind]:
        return {
            "hospitalisation": self.hospitalisation,
            "family_event": self.family_event,
            "hardship": self.hardship,
            "death": self.death,
        }


class DoorService(StrictModel):
    """One of the six door-to-door services for 离休 cadres (六上门), on its own cadence."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    title: Title
    every: Every
    opens_on_day: int = Field(1, ge=1, le=28, description="day of the period the window opens")
    due: Due = "period_end"
    categories: list[Category] = Field(default=["lixiu"], min_length=1)
    escalate_after_days: list[int] | None = None

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return escalation_thresholds(value)


def _service(key: str, zh: str, en: str, every: Every) -> DoorService:
    return DoorService(key=key, title=_title(zh, en), every=every)


DEFAULT_DOOR_SERVICES = [
    _service("study", "送学习", "Study material", "month"),
    _service("medical", "送医疗", "Medical care", "quarter"),
    _service("comfort", "送慰藉", "Comfort", "quarter"),
    _service("services", "送服务", "Services", "quarter"),
    _service("warmth", "送温馨", "Warmth", "quarter"),
    _service("health", "送健康", "Health check", "year"),
]


class OrgLife(StrictModel):
    """组织生活: every branch's monthly theme party day (主题党日), and a visit after repeated absence."""

    title: Title = _title("主题党日", "Theme party day")
    opens_on_day: int = Field(1, ge=1, le=28)
    due: Due = "period_end"
    absence_visit_after: int = Field(3, ge=1, le=12, description="meetings missed in a row before a visit")
    absence_visit_title: Title = _title("缺席组织生活走访", "Visit after missed meetings")
    absence_visit_due_days: int = Field(14, ge=0, le=60)
    escalate_after_days: list[int] | None = None

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return escalation_thresholds(value)


class Lecture(StrictModel):
    """奋进讲堂: every week a staff member lectures with slides, in turn; reminded a week ahead."""

    title: Title = _title("奋进讲堂主讲", "Monday lecture")
    weekday: int = Field(0, ge=0, le=6, description="0 = Monday")
    remind_days_before: int = Field(7, ge=1, le=28)
    roles: list[OwnerRole] = Field(default=["staff"], min_length=1, description="who takes turns")


class WritingGroup(StrictModel):
    """The information-writing group (信息写作组) meets every two weeks."""

    title: Title = _title("信息写作组例会", "Writing group meeting")
    every_days: int = Field(14, ge=7, le=62)
    first_meeting: dt.date = Field(dt.date(2026, 1, 7), description="any one meeting day; the rest follow")
    lead_days: int = Field(3, ge=0, le=28, description="the convenor sees the meeting this long before")
    convenor: str | None = Field(None, description="coordinator name; default the first active staff member")


class StaffRhythm(StrictModel):
    lecture: Lecture = Lecture()
    writing_group: WritingGroup = WritingGroup()
