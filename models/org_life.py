"""Organisational-life tables (组织生活): branch secretaries, theme party days held, and who attended them.

The planning, hosts and absence visits are in ``yinhui.services.org_life``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

LOOKBACK_MONTHS = 24  # meetings older than this never decide a streak


SECRETARY, GRID, LEADER_VIA = "secretary", "grid", "leader"


class BranchSecretary(SQLModel, table=True):
    """Who holds a branch's theme party day: a coordinator (the branch's contact at the bureau)."""

    __tablename__ = "branch_secretary"

    branch_id: int = Field(foreign_key="party_org.id", primary_key=True)
    coordinator_id: int = Field(foreign_key="coordinator.id", index=True)
    set_by: str = Field(max_length=60)
    set_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BranchMeeting(SQLModel, table=True):
    """A theme party day that was held (one per branch and month)."""

    __tablename__ = "branch_meeting"
    __table_args__ = (UniqueConstraint("branch_id", "period", name="uq_branch_meeting_month"),)

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="party_org.id", index=True)
    period: str = Field(max_length=7, description="the month, YYYY-MM")
    held_on: dt.date
    recorded_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingAttendance(SQLModel, table=True):
    """A member who attended a theme party day."""

    __tablename__ = "meeting_attendance"

    meeting_id: int = Field(foreign_key="branch_meeting.id", primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", primary_key=True, index=True)
    recorded_by: str = Field(max_length=60)
    recorded_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
