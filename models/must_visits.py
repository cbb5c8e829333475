"""The must-visit occurrence table (四必访): what happened to a cadre, with the visit and follow-up dates given.

An occurrence (hospitalisation, family event, hardship, death) is stored once per cadre, kind and
day. Its dates are worked out when it is reported and kept on the row, so a later playbook edit
does not move a deadline already given; ``yinhui.services.must_visits`` reports, closes and plans.
Notes may hold health details: they are stored, never logged or echoed in errors.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Index,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

MAX_NOTE = 1000


MAX_DISTANCE = dt.timedelta(days=366)


RESOLVED_REASON = "困难已解决，月度复查取消 (hardship case closed)"


class Occurrence(SQLModel, table=True):
    """Something that calls for a must-visit: a hospitalisation, a family event, hardship, a death."""

    __tablename__ = "occurrence"
    __table_args__ = (
        UniqueConstraint("cadre_id", "kind", "on_date", name="uq_occurrence_cadre_kind_day"),
        Index("ix_occurrence_kind_closed", "kind", "closed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id", index=True)
    kind: str = Field(max_length=20, description="hospitalisation, family_event, hardship or death")
    detail: str | None = Field(default=None, max_length=20, description="bereavement, wedding, birthday, milestone:90")
    on_date: dt.date = Field(description="when it happened (a wedding may be ahead)")
    period: str = Field(max_length=10, description="its tasks' period: on_date as YYYY-MM-DD")
    reported_on: dt.date
    note: str | None = Field(default=None, sa_type=Text, description="may hold health details: never logged")
    visit_opens: dt.date
    visit_due: dt.date
    follow_up_opens: dt.date | None = None
    follow_up_due: dt.date | None = None
    closed_on: dt.date | None = Field(default=None, description="discharged, hardship resolved, or the cadre died")
    closed_by: str | None = Field(default=None, max_length=60)
    reported_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
