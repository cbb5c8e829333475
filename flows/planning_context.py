"""What every planning flow needs first: the day, the playbook and the working-day calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from models.db import session_scope
from yinhui import clock
from yinhui.playbook_loader import current_playbook
from yinhui.rules.cadence import ShiftDue
from yinhui.rules.playbook import Playbook
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.calendar import guess_warning, shifts_for, work_calendar


@dataclass(frozen=True)
class PlanningContext:
    day: dt.date
    playbook: Playbook
    calendar: WorkCalendar

    @property
    def shift_due(self) -> ShiftDue | None:
        """Moves a due date off a day off, to the working day before (None: keep the date)."""
        return shifts_for(self.playbook, self.calendar).before

    @property
    def shift_due_after(self) -> ShiftDue | None:
        """The other way, for a step after an event that must not move before the event."""
        return shifts_for(self.playbook, self.calendar).after

    def warnings_for_days(self, days: Iterable[dt.date]) -> list[str]:
        """A visible warning for each year among `days` whose days off had to be guessed."""
        return [guess_warning(y) for y in sorted({d.year for d in days}) if self.calendar.is_guess(y)]

    def calendar_warnings(self) -> list[str]:
        """A visible warning for each year near `day` whose official days off nobody entered."""
        return self.warnings_for_days([self.day, dt.date(self.day.year + 1, 1, 1)])


def planning_context(day: dt.date | None = None) -> PlanningContext:
    """The context for `day`; the calendar carries the bureau's own holiday entries (playbook, database)."""
    playbook = current_playbook()
    with session_scope() as session:
        calendar = work_calendar(session, playbook)
    return PlanningContext(day=day or clock.today(), playbook=playbook, calendar=calendar)


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
