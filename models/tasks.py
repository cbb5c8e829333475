"""Tasks (what a coordinator must do), their audit trail, and contacts (what actually happened)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, utcnow

OPEN, OVERDUE, DONE, CANCELLED, MISSED = "open", "overdue", "done", "cancelled", "missed"
LIVE_STATUSES = (OPEN, OVERDUE)


class Task(SQLModel, table=True):
    """One obligation: a call, a visit, a must-visit, an event step...

    (rule, subject_id, period) is unique, so however often a plan runs it cannot create the same
    task twice. `subject_id` is the cadre for cadre rules; `cadre_id` repeats it for joins.
    """

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("rule", "subject_id", "period", name="uq_task_rule_subject_period"),
        Index("ix_task_assignee_status", "assignee_id", "status"),
        Index("ix_task_status_due", "status", "due"),
        Index("ix_task_cadre", "cadre_id"),
        Index("ix_task_escalated_to", "escalated_to_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description="call, visit, festival_visit, must_visit, ...")
    rule: str = Field(max_length=40, description="the playbook rule that created it")
    subject_id: int
    period: str = Field(max_length=32, description="2026-11, 2026-Q4, ...")
    cadre_id: int | None = Field(default=None, foreign_key="cadre.id")
    event_id: int | None = Field(default=None, foreign_key="event.id", index=True, description="an event step's event")
    window_opens: dt.date
    due: dt.date
    priority: int = Field(default=50, description="lower comes first in a coordinator's list")
    assignee_id: int = Field(foreign_key="coordinator.id")
    status: str = Field(default=OPEN, max_length=10)
    overdue_since: dt.date | None = None
    escalation_level: int = 0
    attempts: int = Field(default=0, description="unreachable attempts so far (a call tried again)")
    escalated_to_id: int | None = Field(default=None, foreign_key="coordinator.id")
    escalated_on: dt.date | None = None
    outcome: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_type=Text)
    closed_by: str | None = Field(default=None, max_length=60)
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(default="system", max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TaskEvent(SQLModel, table=True):
    """The audit trail: every change of a task after its creation, with who did it."""

    __tablename__ = "task_event"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=60, description="coordinator:ID, cli, system:FLOW ...")
    action: str = Field(max_length=20)
    from_status: str | None = Field(default=None, max_length=10)
    to_status: str | None = Field(default=None, max_length=10)
    coordinator_id: int | None = Field(
        default=None, foreign_key="coordinator.id", description="whom it went to (escalations)"
    )
    detail: str | None = Field(default=None, sa_type=Text)


class Contact(SQLModel, table=True):
    """A contact that happened (call, visit, event attendance): what coverage is counted from."""

    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_cadre_day", "cadre_id", "on_date"),)

    id: int | None = Field(default=None, primary_key=True)
    cadre_id: int = Field(foreign_key="cadre.id")
    on_date: dt.date = Field(index=True)
    mode: str = Field(max_length=10, description="call, visit, event or volunteer")
    via: str | None = Field(default=None, max_length=10, description="relative: reached through a relative")
    task_id: int | None = Field(default=None, foreign_key="task.id")
    recorded_by: str = Field(max_length=60)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
