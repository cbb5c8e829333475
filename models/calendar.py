"""Calendar and event tables (节点、放假安排、活动): the bureau's own nodes and days off, events, their steps, owners, teams and attendance.

Where the playbook and these tables speak for the same year's schedule, the database wins (it is
the later word); see ``yinhui.services.calendar`` and ``yinhui.services.events``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow
from yinhui.rules.calendar_nodes import BureauNode

DAY_OFF, WORKDAY = "off", "work"


SOURCE_DATABASE, SOURCE_PLAYBOOK, SOURCE_LIBRARY, SOURCE_NONE = "database", "playbook", "chinese_calendar", "none"


class BureauNodeRow(SQLModel, table=True):
    """A task node the bureau added with `yinhui node add` (yearly, or once when `year` is set)."""

    __tablename__ = "bureau_node"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=31, unique=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    month: int
    day: int
    year: int | None = None
    lunar: bool = False
    note: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def to_node(self) -> BureauNode:
        return BureauNode(self.key, self.name_zh, self.name_en, self.month, self.day, self.year, self.lunar, self.note)


class HolidayDay(SQLModel, table=True):
    """One day of an official schedule the bureau entered: a day off or a make-up working day."""

    __tablename__ = "holiday_day"

    day: dt.date = Field(primary_key=True)
    year: int = Field(index=True, description="the schedule (notice year) the day belongs to")
    kind: str = Field(max_length=4, description="off (放假) or work (调休上班)")
    created_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Event(SQLModel, table=True):
    """A themed event planned around a calendar node; its steps are tasks (kind event_step)."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("node_key", "year", "template", name="uq_event_node_year_template"),)

    id: int | None = Field(default=None, primary_key=True)
    node_key: str = Field(max_length=31)
    year: int
    template: str = Field(max_length=34)
    title: str = Field(max_length=100)
    node_date: dt.date = Field(description="the node's date when the event was planned")
    held_on: dt.date = Field(description="the event day T; moving the event changes it")
    venue: str | None = Field(default=None, max_length=200)
    created_on: dt.date
    cancelled_on: dt.date | None = Field(default=None, description="set by `yinhui event cancel`")
    cancel_reason: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EventStep(SQLModel, table=True):
    """A step of an event's plan, copied from the template so later playbook edits leave it alone."""

    __tablename__ = "event_step"
    __table_args__ = (UniqueConstraint("event_id", "key", name="uq_event_step_key"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id")
    key: str = Field(max_length=32)
    title_zh: str = Field(max_length=100)
    title_en: str = Field(max_length=100)
    at: int = Field(description="days from the event day (T-60 is -60)")
    owner_role: str = Field(max_length=10)


class EventOwner(SQLModel, table=True):
    """Who answers for a role's steps of one event (else the first active coordinator of the role)."""

    __tablename__ = "event_owner"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    role: str = Field(max_length=10, primary_key=True)
    coordinator_id: int = Field(foreign_key="coordinator.id")


class EventTeam(SQLModel, table=True):
    """A volunteer team (志愿服务队) serving at an event."""

    __tablename__ = "event_team"

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    team_id: int = Field(foreign_key="volunteer_team.id", primary_key=True)


class Attendance(SQLModel, table=True):
    """A cadre who attended an event in person; counted as that month's contact."""

    __tablename__ = "attendance"
    __table_args__ = (Index("ix_attendance_cadre", "cadre_id"),)

    event_id: int = Field(foreign_key="event.id", primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", primary_key=True)
    recorded_by: str = Field(max_length=60)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
