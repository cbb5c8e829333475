"""Volunteer-service tables (志愿服务): the activities volunteer teams log and the cadres who took part.

One activity per team, day and topic (a unique key), so nothing is counted twice; the report is in
``yinhui.services.volunteering``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

MAX_TOPIC = 50


class VolunteerActivity(SQLModel, table=True):
    """One service activity of a volunteer team."""

    __tablename__ = "volunteer_activity"
    __table_args__ = (UniqueConstraint("team_id", "held_on", "topic", name="uq_volunteer_activity_day_topic"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="volunteer_team.id", index=True)
    held_on: dt.date = Field(index=True)
    topic: str = Field(max_length=MAX_TOPIC)
    people_served: int = 0
    hours: float = Field(sa_type=Float, description="how long it lasted")
    note: str | None = Field(default=None, max_length=200)
    recorded_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VolunteerParticipant(SQLModel, table=True):
    """A cadre who took part in an activity as a volunteer."""

    __tablename__ = "volunteer_participant"

    activity_id: int = Field(foreign_key="volunteer_activity.id", primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", primary_key=True, index=True)
