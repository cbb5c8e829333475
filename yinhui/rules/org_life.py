"""Organisational life (组织生活): the monthly theme party day and the visit after repeated absence.

Pure rules. Every branch holds a theme party day (主题党日) each month: a meeting task for the
branch secretary, rule ``org_life:theme_day``, subject the branch (a party_org row), period the
month. "All 1,688 can join organisational life": a member who has missed ``absence_visit_after``
held meetings in a row gets a visit (they may be ill or housebound), rule ``org_life:absence``,
subject the cadre, period the month of the meeting that made the count; a further visit after
each further run of that many.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from yinhui.rules.cadence import Period, ShiftDue, period_of, window_for
from yinhui.rules.playbook_sections import OrgLife

MEETING, ABSENCE_VISIT = "meeting", "absence_visit"
THEME_DAY_RULE, ABSENCE_RULE = "org_life:theme_day", "org_life:absence"


def theme_day_window(
    org_life: OrgLife, day: dt.date, shift_due: ShiftDue | None = None
) -> tuple[Period, dt.date, dt.date] | None:
    """(month, opens, due) of the theme party day whose window is open on ``day``, else None."""
    month = period_of("month", day)
    opens, due = window_for(org_life, month, shift_due)
    return (month, opens, due) if opens <= day else None


def absence_streak(held_latest_first: Sequence[int], attended: set[int]) -> int:
    """How many of the latest held meetings (ids, latest first) a member missed in a row."""
    streak = 0
    for meeting in held_latest_first:
        if meeting in attended:
            break
        streak += 1
    return streak


def visit_due_after(streak: int, every: int) -> bool:
    """A visit after each run of ``every`` missed meetings: the 3rd, 6th, 9th ... in a row."""
    return streak > 0 and streak % every == 0


def absence_visit_window(org_life: OrgLife, day: dt.date, shift_due: ShiftDue | None = None) -> tuple[dt.date, dt.date]:
    due = day + dt.timedelta(days=org_life.absence_visit_due_days)
    if shift_due is not None and shift_due(due) >= day:
        due = shift_due(due)
    return day, due
