"""What every planning flow needs first: the day, the playbook and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from yinhui import clock
from yinhui.rules.cadence import ShiftDue
from yinhui.rules.playbook import Playbook, current_playbook
from yinhui.rules.workdays import WorkCalendar


@dataclass(frozen=True)
class PlanningContext:
    day: dt.date
    playbook: Playbook
    calendar: WorkCalendar

    @property
    def shift_due(self) -> ShiftDue | None:
        if self.playbook.due_on_day_off == "keep":
            return None
        return self.calendar.working_day_on_or_before


def planning_context(day: dt.date | None = None) -> PlanningContext:
    return PlanningContext(day=day or clock.today(), playbook=current_playbook(), calendar=WorkCalendar())


def parse_day(value: dt.date | str | None) -> dt.date:
    """Flow parameters arrive as dates or ISO strings (from the UI or a deployment)."""
    if value is None:
        return clock.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None
