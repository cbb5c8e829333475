"""The bureau's playbook: a declarative, validated file of rules a bureau can edit without code.

The whole playbook and the checks that span its sections; ``parse_playbook`` turns the data of a
file (read by ``yinhui.playbook_loader``) into it. The sections live in ``playbook_sections``,
the value parsers and ``PlaybookError`` in ``playbook_values``; both are re-exported here, where
callers import them. This module imports no rules module that imports it back: the modules that
interpret the playbook (cadence, care, festivals ...) sit above it.
"""

from __future__ import annotations

from os import PathLike
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from yinhui.rules.calendar_nodes import BureauNode, builtin_keys
from yinhui.rules.playbook_roster import RosterSection
from yinhui.rules.playbook_sections import (
    DEFAULT_DOOR_SERVICES,
    Bureau,
    CadenceRule,
    Category,
    ContactMode,
    Digest,
    DoorService,
    Escalation,
    EventStep,
    EventTemplate,
    FestivalVisits,
    FollowUp,
    HolidayYear,
    Lecture,
    MilestoneBirthdays,
    MustVisitKind,
    MustVisits,
    NodeSpec,
    OrgLife,
    Outcome,
    OwnerRole,
    Priority,
    StaffRhythm,
    StrictModel,
    TierDays,
    Title,
    WritingGroup,
    YearlyEvent,
)
from yinhui.rules.playbook_values import (
    NODE_KEY,
    PlaybookError,
    doubled,
    parse_node_date,
    parse_offset,
    playbook_error,
)
from yinhui.rules.workdays import YearSchedule, schedule_from_mapping

__all__ = [
    "NODE_KEY",
    "Bureau",
    "CadenceRule",
    "Category",
    "ContactMode",
    "Digest",
    "DoorService",
    "Escalation",
    "EventStep",
    "EventTemplate",
    "FestivalVisits",
    "FollowUp",
    "HolidayYear",
    "Lecture",
    "MilestoneBirthdays",
    "MustVisitKind",
    "MustVisits",
    "NodeSpec",
    "OrgLife",
    "Outbox",
    "Outcome",
    "Retry",
    "OwnerRole",
    "Playbook",
    "PlaybookError",
    "Priority",
    "RosterSection",
    "StaffRhythm",
    "TierDays",
    "Title",
    "WritingGroup",
    "YearlyEvent",
    "parse_node_date",
    "parse_offset",
    "parse_playbook",
]


class Outbox(StrictModel):
    """[outbox]: how long a delivered message keeps its text, how long a dispatcher's claim lasts unrenewed.

    (Here rather than in ``playbook_sections``, which is at its size limit.)
    """

    retention_days: int = Field(
        30, ge=1, le=3650, description="days a sent or given-up message keeps its text and payload (phones, names)"
    )
    claim_lease_seconds: int = Field(
        60, ge=10, le=3600, description="a claim its dispatcher stopped renewing this long is taken over"
    )


class Retry(StrictModel):
    """[retry]: how an unreachable call is tried again (再次联系) before its period is given up
    (applied by `yinhui.rules.retry`; here for the reason `Outbox` is)."""

    after_days: int = Field(3, ge=1, le=28, description="days after an unreachable attempt the next is due")
    attempts: int = Field(3, ge=1, le=10, description="attempts in all before the follow-up")
    then: Literal["relative_call", "visit", "none"] = Field(
        "relative_call", description="after the last attempt: a call to the next of kin, a visit, or nothing")
    kinds: list[Literal["call", "visit"]] = Field(default=["call"], min_length=1,
                                                  description="the cadence kinds tried again")


class Playbook(StrictModel):
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
    roster: RosterSection = RosterSection()
    outbox: Outbox = Outbox()
    retry: Retry = Retry()

    @field_validator("holidays")
    @classmethod
    def _valid_schedules(cls, value: dict[int, HolidayYear]) -> dict[int, HolidayYear]:
        for year, entry in value.items():
            schedule_from_mapping(year, entry.model_dump())
        return value

    @model_validator(mode="after")
    def _unique_rules(self) -> Playbook:
        twice = doubled([rule.rule for rule in self.cadence])
        if twice:
            raise ValueError(f"rule {twice!r} is declared twice")
        return self

    @model_validator(mode="after")
    def _unique_services(self) -> Playbook:
        twice = doubled([service.key for service in self.door_services])
        if twice:
            raise ValueError(f"door service {twice!r} is declared twice")
        return self

    @model_validator(mode="after")
    def _calendar_references(self) -> Playbook:
        twice = doubled([node.key for node in self.nodes])
        if twice:
            raise ValueError(f"node {twice!r} is declared twice")
        known = set(builtin_keys()) | {node.key for node in self.nodes}
        for key in self.festival_visits.festivals:
            if key not in known:
                raise ValueError(f"festival_visits names an unknown node {key!r}")
        twice = doubled([template.name for template in self.event_templates])
        if twice:
            raise ValueError(f"event template {twice!r} is declared twice")
        templates = {template.name for template in self.event_templates}
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

    def rule(self, name: str) -> CadenceRule:
        for rule in self.cadence:
            if rule.rule == name:
                return rule
        raise KeyError(name)

    def template(self, name: str) -> EventTemplate:
        for template in self.event_templates:
            if template.name == name:
                return template
        known = ", ".join(t.name for t in self.event_templates) or "none"
        raise KeyError(f"no event template {name!r} in the playbook (known: {known})")

    def door_service(self, key: str) -> DoorService:
        for service in self.door_services:
            if service.key == key:
                return service
        raise KeyError(key)

    def bureau_nodes(self) -> list[BureauNode]:
        return [node.to_bureau_node() for node in self.nodes]

    def year_schedules(self) -> list[YearSchedule]:
        return [schedule_from_mapping(year, entry.model_dump()) for year, entry in sorted(self.holidays.items())]


def parse_playbook(data: dict[str, Any], source: PathLike[str] | str = "<playbook>") -> Playbook:
    """Validate a playbook's data; PlaybookError names the source, the first bad key and why."""
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        raise playbook_error(exc, source) from None
