"""The staff leave table (休假): a date range per coordinator, read by the lecture rota and the writing group.

Lecture and writing-group tasks are ordinary task rows; ``yinhui.services.staff_rhythm`` plans them.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

MAX_LEAVE = dt.timedelta(days=366)


class StaffLeave(SQLModel, table=True):
    """A coordinator away (休假、出差、学习) from one day to another, both included."""

    __tablename__ = "staff_leave"

    id: int | None = Field(default=None, primary_key=True)
    coordinator_id: int = Field(foreign_key="coordinator.id", index=True)
    starts_on: dt.date
    ends_on: dt.date
    note: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
