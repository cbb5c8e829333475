"""The staff rhythm (用心抓学习): the Monday lecture rota (奋进讲堂) and the fortnightly writing group.

Pure rules.

- The lecture: every week on ``weekday`` a staff member lectures with slides. The task is created
  ``remind_days_before`` the lecture (the reminder to prepare slides) and is due on the day. The
  rota is fair: whoever lectured longest ago (or never) goes next, lowest id first among equals.
  Someone on leave on the lecture day is skipped and keeps their turn: having not lectured, they
  are still first in line when they come back. No lecture on an official day off.
- The writing group (信息写作组) meets every ``every_days`` from ``first_meeting``; its convenor
  sees the meeting ``lead_days`` ahead; a meeting on a day off moves to the next working day.

Task keys: rule ``staff:lecture`` / ``staff:writing_group``, subject the bureau (the level-1
grid), period the nominal date, so one lecturer per lecture day however often the plan runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from yinhui.rules.playbook_sections import Lecture, WritingGroup

LECTURE, WRITING_GROUP = "lecture", "writing_group"
LECTURE_RULE, WRITING_GROUP_RULE = "staff:lecture", "staff:writing_group"
RULES = (LECTURE_RULE, WRITING_GROUP_RULE)


def lecture_days(lecture: Lecture, day: dt.date) -> list[dt.date]:
    """Lecture days whose reminder is due by ``day`` and which have not passed: day .. day + remind."""
    ahead = (lecture.weekday - day.weekday()) % 7
    first = day + dt.timedelta(days=ahead)
    last = day + dt.timedelta(days=lecture.remind_days_before)
    days = []
    while first <= last:
        days.append(first)
        first += dt.timedelta(days=7)
    return days


def lecture_window(lecture: Lecture, lecture_day: dt.date, today: dt.date) -> tuple[dt.date, dt.date]:
    return min(max(lecture_day - dt.timedelta(days=lecture.remind_days_before), today), lecture_day), lecture_day


def next_lecturer(
    candidates: Iterable[int], last_lectured: Mapping[int, dt.date], away: Iterable[int] = ()
) -> int | None:
    """Whose turn it is: the candidate who lectured longest ago (never: first), lowest id among equals."""
    skipped = set(away)
    present = sorted(c for c in set(candidates) if c not in skipped)
    if not present:
        return None
    return min(present, key=lambda c: (last_lectured.get(c, dt.date.min), c))


def writing_meetings(group: WritingGroup, day: dt.date) -> list[dt.date]:
    """Nominal meeting days the convenor should see on ``day``: from ``day`` to ``lead_days`` ahead."""
    step = dt.timedelta(days=group.every_days)
    offset = (day - group.first_meeting).days % group.every_days
    first = day if offset == 0 else day + dt.timedelta(days=group.every_days - offset)
    meetings = []
    while first <= day + dt.timedelta(days=group.lead_days):
        meetings.append(first)
        first += step
    return meetings
