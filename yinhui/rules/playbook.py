"""The bureau's playbook: a declarative, validated file of rules a bureau can edit without code."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yinhui.rules.calendar_nodes import BureauNode, builtin_keys
from yinhui.rules.workdays import YearSchedule, schedule_from_mapping

Category = Literal["lixiu", "tuixiu"]
ContactMode = Literal["call", "visit", "event"]
Outcome = Literal["reached", "unreachable", "visited", "declined"]
OwnerRole = Literal["staff", "grid", "leader"]
# Festival-visit rules are "festival:<node key>" and must fit Task.rule (40 characters).
NODE_KEY = r"^[a-z][a-z0-9_]{1,30}$"


class PlaybookError(ValueError):
    """An invalid playbook, naming the file, the key and the reason."""

    def __init__(self, file: Path | str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Strict):
    zh: str
    en: str

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.zh


class Bureau(_Strict):
    # Time zone and language are settings (YINHUI_TIMEZONE, YINHUI_LANGUAGE), not rules.
    name: str = "县委老干部局"


class Digest(_Strict):
    horizon_days: int = Field(7, ge=0, le=92, description="list tasks due within this many days")
    max_items: int = Field(40, ge=1, le=500, description="tasks listed per digest; the rest counted")


class Priority(_Strict):
    """Who comes first in a coordinator's list: the smallest number that applies wins."""

    lixiu: int = 10
    aged: int = 20
    aged_from: int = Field(80, ge=50, le=120)
    lives_alone: int = 30
    hardship: int = 30
    default: int = 50


class Escalation(_Strict):
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


class CadenceRule(_Strict):
    """A recurring contact: one task per cadre per period (一月一次电话、一季一次走访)."""

    rule: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    kind: Literal["call", "visit"]
    title: Title
    every: Literal["month", "quarter", "year"]
    opens_on_day: int = Field(1, ge=1, le=28, description="day of the period the window opens")
    due: Literal["period_end"] | int = Field(
        "period_end", description="'period_end', or days after the window opens"
    )
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


class TierDays(_Strict):
    """Days before the festival by which each priority tier is visited (names as in [priority])."""

    lixiu: int = Field(10, ge=1, le=90)
    aged: int = Field(5, ge=1, le=90)
    lives_alone: int = Field(5, ge=1, le=90)
    hardship: int = Field(5, ge=1, le=90)
    default: int = Field(2, ge=1, le=90)


class FestivalVisits(_Strict):
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
        doubled = sorted({key for key in value if value.count(key) > 1})
        if doubled:
            raise ValueError(f"festival {doubled[0]!r} is named twice")
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


_NODE_DATE = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")


def parse_node_date(text: str) -> tuple[int | None, int, int]:
    """'MM-DD' (every year) or 'YYYY-MM-DD' (once) as (year or None, month, day)."""
    match = _NODE_DATE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not MM-DD (every year) or YYYY-MM-DD (once)")
    year = int(match.group(1)) if match.group(1) else None
    return year, int(match.group(2)), int(match.group(3))


class NodeSpec(_Strict):
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


_OFFSET = re.compile(r"^T\s*(?:([+-])\s*(\d{1,3})|0)?$")


def parse_offset(value: object) -> int:
    """A step's place relative to the event: "T-60", "T0", "T+3" or a plain number of days."""
    if isinstance(value, bool):
        raise ValueError("expected T-60, T0, T+3 or a number of days")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _OFFSET.match(value.strip())
        if match:
            sign, days = match.groups()
            return 0 if days is None else (-int(days) if sign == "-" else int(days))
    raise ValueError(f"{value!r} is not like T-60, T0 or T+3")


class EventStep(_Strict):
    """One step of an event plan, placed relative to the event day (T)."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    title: Title
    at: int = Field(ge=-366, le=366, description='"T-60" .. "T+7": days before or after the event')
    owner: OwnerRole

    @field_validator("at", mode="before")
    @classmethod
    def _offset(cls, value: object) -> int:
        return parse_offset(value)


class EventTemplate(_Strict):
    """A checklist for a themed event around a node (提早谋划、提前设计)."""

    # Event steps are tasks of rule "event:<name>", which must fit Task.rule (40 characters).
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,33}$")
    title: Title
    steps: list[EventStep] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_steps(self) -> EventTemplate:
        keys = [step.key for step in self.steps]
        doubled = sorted({key for key in keys if keys.count(key) > 1})
        if doubled:
            raise ValueError(f"step {doubled[0]!r} appears twice")
        return self

    @property
    def earliest(self) -> int:
        return min(step.at for step in self.steps)


class YearlyEvent(_Strict):
    """An event planned every year around a node, created by the daily flow ahead of time."""

    node: str
    template: str
    title: Title | None = Field(None, description="default: the node's name and the template's title")
    venue: str | None = Field(None, max_length=200)
    teams: list[str] = Field(default=[], description="volunteer team names")
    owners: dict[OwnerRole, str] = Field(default={}, description="role -> coordinator name")
    create_days_before: int = Field(75, ge=0, le=366, description="when the flow creates the event")


class HolidayYear(_Strict):
    """One year's official days off and make-up working days, as the State Council published them."""

    days_off: list[str | dt.date] = []
    workdays: list[str | dt.date] = []


# -- 四必访 besides festivals, 六上门, 组织生活 and the staff rhythm (care rules) ---------------------


def _thresholds(value: list[int] | None) -> list[int] | None:
    """Escalation days: one or two (parent grid, then a leader), non-negative, strictly increasing."""
    if value is None:
        return value
    if not 1 <= len(value) <= 2 or any(d < 0 for d in value) or value != sorted(set(value)):
        raise ValueError("give one or two days overdue, non-negative and strictly increasing")
    return value


class FollowUp(_Strict):
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


class MustVisitKind(_Strict):
    """One kind of must-visit: its title, deadline, escalation and follow-up."""

    title: Title
    due_days: int = Field(ge=0, le=60, description="days after the bureau learns of it (or the day itself, if later)")
    escalate_after_days: list[int] | None = None
    follow_up: FollowUp | None = None

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return _thresholds(value)


class MilestoneBirthdays(_Strict):
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


def _title(zh: str, en: str) -> Title:
    return Title(zh=zh, en=en)


class MustVisits(_Strict):
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
        return _thresholds(value) or value

    def kinds(self) -> dict[str, MustVisitKind]:
        return {
            "hospitalisation": self.hospitalisation,
            "family_event": self.family_event,
            "hardship": self.hardship,
            "death": self.death,
        }


class DoorService(_Strict):
    """One of the six door-to-door services for 离休 cadres (六上门), on its own cadence."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,30}$")
    title: Title
    every: Literal["month", "quarter", "year"]
    opens_on_day: int = Field(1, ge=1, le=28, description="day of the period the window opens")
    due: Literal["period_end"] | int = "period_end"
    categories: list[Category] = Field(default=["lixiu"], min_length=1)
    escalate_after_days: list[int] | None = None

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return _thresholds(value)


def _service(key: str, zh: str, en: str, every: Literal["month", "quarter", "year"]) -> DoorService:
    return DoorService(key=key, title=_title(zh, en), every=every)


DEFAULT_DOOR_SERVICES = [
    _service("study", "送学习", "Study material", "month"),
    _service("medical", "送医疗", "Medical care", "quarter"),
    _service("comfort", "送慰藉", "Comfort", "quarter"),
    _service("services", "送服务", "Services", "quarter"),
    _service("warmth", "送温馨", "Warmth", "quarter"),
    _service("health", "送健康", "Health check", "year"),
]


class OrgLife(_Strict):
    """组织生活: every branch's monthly theme party day (主题党日), and a visit after repeated absence."""

    title: Title = _title("主题党日", "Theme party day")
    opens_on_day: int = Field(1, ge=1, le=28)
    due: Literal["period_end"] | int = "period_end"
    absence_visit_after: int = Field(3, ge=1, le=12, description="meetings missed in a row before a visit")
    absence_visit_title: Title = _title("缺席组织生活走访", "Visit after missed meetings")
    absence_visit_due_days: int = Field(14, ge=0, le=60)
    escalate_after_days: list[int] | None = None

    @field_validator("escalate_after_days")
    @classmethod
    def _days(cls, value: list[int] | None) -> list[int] | None:
        return _thresholds(value)


class Lecture(_Strict):
    """奋进讲堂: every week a staff member lectures with slides, in turn; reminded a week ahead."""

    title: Title = _title("奋进讲堂主讲", "Monday lecture")
    weekday: int = Field(0, ge=0, le=6, description="0 = Monday")
    remind_days_before: int = Field(7, ge=1, le=28)
    roles: list[OwnerRole] = Field(default=["staff"], min_length=1, description="who takes turns")


class WritingGroup(_Strict):
    """The information-writing group (信息写作组) meets every two weeks."""

    title: Title = _title("信息写作组例会", "Writing group meeting")
    every_days: int = Field(14, ge=7, le=62)
    first_meeting: dt.date = Field(dt.date(2026, 1, 7), description="any one meeting day; the rest follow")
    lead_days: int = Field(3, ge=0, le=28, description="the convenor sees the meeting this long before")
    convenor: str | None = Field(None, description="coordinator name; default the first active staff member")


class StaffRhythm(_Strict):
    lecture: Lecture = Lecture()
    writing_group: WritingGroup = WritingGroup()


class Playbook(_Strict):
    bureau: Bureau = Bureau()
    digest: Digest = Digest()
    priority: Priority = Priority()
    escalation: Escalation = Escalation()
    outcome_contact: dict[Outcome, ContactMode | Literal["none"]] = Field(
        default={"reached": "call", "visited": "visit", "declined": "call", "unreachable": "none"},
        description="which contact an outcome records (what coverage counts)",
    )
    due_on_day_off: Literal["working_day_before", "keep"] = "working_day_before"
    cadence: list[CadenceRule] = Field(min_length=1)
    schedules: dict[str, dict[str, Any]] = Field(
        default={}, description="deployment schedules per flow; validated by deployments.schedules"
    )
    festival_visits: FestivalVisits = FestivalVisits()
    nodes: list[NodeSpec] = Field(default=[], description="the bureau's own task nodes")
    event_templates: list[EventTemplate] = []
    yearly_events: list[YearlyEvent] = []
    holidays: dict[int, HolidayYear] = Field(
        default={}, description="official schedules the library does not know yet, by year"
    )
    must_visits: MustVisits = MustVisits()
    door_services: list[DoorService] = Field(default=DEFAULT_DOOR_SERVICES)
    org_life: OrgLife = OrgLife()
    staff_rhythm: StaffRhythm = StaffRhythm()

    @field_validator("holidays")
    @classmethod
    def _valid_schedules(cls, value: dict[int, HolidayYear]) -> dict[int, HolidayYear]:
        for year, entry in value.items():
            schedule_from_mapping(year, entry.model_dump())
        return value

    @model_validator(mode="after")
    def _unique_rules(self) -> Playbook:
        seen: set[str] = set()
        for rule in self.cadence:
            if rule.rule in seen:
                raise ValueError(f"rule {rule.rule!r} is declared twice")
            seen.add(rule.rule)
        return self

    @model_validator(mode="after")
    def _unique_services(self) -> Playbook:
        keys = [service.key for service in self.door_services]
        doubled = sorted({key for key in keys if keys.count(key) > 1})
        if doubled:
            raise ValueError(f"door service {doubled[0]!r} is declared twice")
        return self

    @model_validator(mode="after")
    def _calendar_references(self) -> Playbook:
        declared: set[str] = set()
        for node in self.nodes:
            if node.key in declared:
                raise ValueError(f"node {node.key!r} is declared twice")
            declared.add(node.key)
        known = set(builtin_keys()) | declared
        for key in self.festival_visits.festivals:
            if key not in known:
                raise ValueError(f"festival_visits names an unknown node {key!r}")
        templates: set[str] = set()
        for template in self.event_templates:
            if template.name in templates:
                raise ValueError(f"event template {template.name!r} is declared twice")
            templates.add(template.name)
        for event in self.yearly_events:
            if event.node not in known:
                raise ValueError(f"a yearly event names an unknown node {event.node!r}")
            if event.template not in templates:
                raise ValueError(f"a yearly event names an unknown event template {event.template!r}")
            earliest = self.template(event.template).earliest
            if event.create_days_before < -earliest:
                raise ValueError(
                    f"the {event.node} event is created {event.create_days_before} days ahead, after its "
                    f"first step (T{earliest}); create it at least {-earliest} days before"
                )
        return self

    @model_validator(mode="after")
    def _deadlines_follow_priority(self) -> Playbook:
        # A tier that comes first in the list must not be due after a tier that comes later.
        tiers = self._tiers_in_effect()
        for name, (value, days) in tiers.items():
            for other, (other_value, other_days) in tiers.items():
                if value < other_value and days < other_days:
                    raise ValueError(
                        f"festival_visits.due_days_before: {name} comes before {other} in [priority] "
                        f"but would be due later ({days} < {other_days} days before the festival)"
                    )
                if value == other_value and days != other_days:
                    raise ValueError(
                        f"festival_visits.due_days_before: {name} and {other} share priority {value} "
                        "and so need the same number of days"
                    )
        return self

    def _tiers_in_effect(self) -> dict[str, tuple[int, int]]:
        prio, days = self.priority, self.festival_visits.due_days_before
        tiers = {
            "lixiu": (prio.lixiu, days.lixiu),
            "aged": (prio.aged, days.aged),
            "lives_alone": (prio.lives_alone, days.lives_alone),
            "hardship": (prio.hardship, days.hardship),
        }
        # A tier ranked at or after the default never decides a cadre's priority.
        effective = {name: pair for name, pair in tiers.items() if pair[0] < prio.default}
        effective["default"] = (prio.default, days.default)
        return effective

    def festival_days_before(self) -> dict[int, int]:
        """Priority value -> days before the festival a visit of that priority is due."""
        return {value: days for value, days in self._tiers_in_effect().values()}

    def template(self, name: str) -> EventTemplate:
        for template in self.event_templates:
            if template.name == name:
                return template
        known = ", ".join(t.name for t in self.event_templates) or "none"
        raise KeyError(f"no event template {name!r} in the playbook (known: {known})")

    def bureau_nodes(self) -> list[BureauNode]:
        return [node.to_bureau_node() for node in self.nodes]

    def year_schedules(self) -> list[YearSchedule]:
        return [schedule_from_mapping(year, entry.model_dump()) for year, entry in sorted(self.holidays.items())]

    def rule(self, name: str) -> CadenceRule:
        for rule in self.cadence:
            if rule.rule == name:
                return rule
        raise KeyError(name)

    def escalation_days(self, rule: str) -> list[int]:
        """Days overdue before a task of ``rule`` goes up a level: its own, else the default."""
        from yinhui.rules.care import own_escalation_days  # the care rules name their tasks

        return own_escalation_days(self).get(rule) or self.escalation.after_days

    def door_service(self, key: str) -> DoorService:
        for service in self.door_services:
            if service.key == key:
                return service
        raise KeyError(key)




def _key(loc: tuple[int | str, ...]) -> str:
    key = ""
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += f".{part}" if key else str(part)
    return key


def parse_playbook(data: dict[str, Any], source: Path | str = "<playbook>") -> Playbook:
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # pydantic appends the literal/union branch to loc; the user wants the key they wrote.
        loc = tuple(
            p for p in first["loc"]
            if not (isinstance(p, str) and p.startswith(("literal[", "int", "[key]")))
        )
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown key (a typo?)"
        extra = len(exc.errors()) - 1
        if extra:
            reason += f" (and {extra} more problem{'s' if extra > 1 else ''})"
        raise PlaybookError(source, _key(loc), reason) from None






