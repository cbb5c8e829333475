"""The staff rhythm: leave, the Monday lecture rota (奋进讲堂) and the fortnightly writing group.

Lecture and writing-group tasks are rows of the task table without a cadre (kinds ``lecture`` and
``writing_group``, subject the bureau: the level-1 grid), so they reach the staff in the same
daily digest as everything else. Leave (``yinhui leave add``) is a date range per coordinator;
see ``yinhui.rules.staff_rhythm`` for the rota.
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

