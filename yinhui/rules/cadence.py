"""The contact cadence (一月一次电话、一季一次走访): periods, windows, due dates, priority, escalation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from yinhui.rules.playbook import Playbook
from yinhui.rules.playbook_sections import Priority

ShiftDue = Callable[[dt.date], dt.date]


class Windowed(Protocol):
    """Anything on a period's window: a cadence rule, a door-to-door service, the theme party day."""

    @property
    def opens_on_day(self) -> int: ...

    @property
    def due(self) -> Literal["period_end"] | int: ...


@dataclass(frozen=True)
class Period:
    key: str
    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class DueCadence:
    """The tasks one cadence rule wants on a given day: one per eligible cadre."""

    rule: str
    kind: str
    period: Period
    window_opens: dt.date
    due: dt.date
    categories: tuple[str, ...]
    satisfied_by: tuple[str, ...]


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def period_of(every: str, day: dt.date) -> Period:
    """The calendar month, quarter or year containing `day`."""
    if every == "month":
        return Period(f"{day.year:04d}-{day.month:02d}", day.replace(day=1), _month_end(day.year, day.month))
    if every == "quarter":
        quarter = (day.month - 1) // 3 + 1
        first = 3 * quarter - 2
        return Period(f"{day.year:04d}-Q{quarter}", dt.date(day.year, first, 1), _month_end(day.year, first + 2))
    if every == "year":
        return Period(f"{day.year:04d}", dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    raise ValueError(f"unknown period length {every!r}")


_PERIOD_KEY = re.compile(r"^(\d{4})(?:-(\d{2})|-Q([1-4]))?$")


def period_from_key(key: str) -> Period:
    """Inverse of `period_of(...).key`: '2026-11', '2026-Q4' or '2026'."""
    match = _PERIOD_KEY.match(key)
    if not match or (match.group(2) and not 1 <= int(match.group(2)) <= 12):
        raise ValueError(f"not a period key (YYYY-MM, YYYY-Qn or YYYY): {key!r}")
    year = int(match.group(1))
    if match.group(2):
        return period_of("month", dt.date(year, int(match.group(2)), 1))
    if match.group(3):
        return period_of("quarter", dt.date(year, 3 * int(match.group(3)) - 2, 1))
    return period_of("year", dt.date(year, 1, 1))


def window_for(rule: Windowed, period: Period, shift_due: ShiftDue | None = None) -> tuple[dt.date, dt.date]:
    """When the rule's window opens in `period` and when its task is due.

    A due date never leaves its period (a call for November is due in November), and a due date
    on an official day off moves to the working day before it when a `shift_due` is given.
    """
    opens = period.start + dt.timedelta(days=rule.opens_on_day - 1)
    if rule.due == "period_end":
        due = period.end
    else:
        due = min(opens + dt.timedelta(days=int(rule.due)), period.end)
    if shift_due is not None:
        shifted = shift_due(due)
        due = shifted if shifted >= opens else due
    return opens, due


def due_cadence(playbook: Playbook, day: dt.date, shift_due: ShiftDue | None = None) -> list[DueCadence]:
    """Every cadence rule whose window is open on `day`, with its period and dates."""
    wanted = []
    for rule in playbook.cadence:
        period = period_of(rule.every, day)
        opens, due = window_for(rule, period, shift_due)
        if opens <= day <= period.end:
            wanted.append(
                DueCadence(
                    rule=rule.rule,
                    kind=rule.kind,
                    period=period,
                    window_opens=opens,
                    due=due,
                    categories=tuple(rule.categories),
                    satisfied_by=tuple(rule.satisfied_by),
                )
            )
    return wanted


def rules_satisfied_by(playbook: Playbook, mode: str, day: dt.date) -> list[tuple[str, str]]:
    """(rule, period key) pairs that a contact of `mode` on `day` fulfils.

    A visit counts as that month's call; attending an event counts as the month's call.
    """
    return [
        (rule.rule, period_of(rule.every, day).key)
        for rule in playbook.cadence
        if mode in rule.satisfied_by
    ]


def contact_mode(playbook: Playbook, outcome: str) -> str | None:
    mode = playbook.outcome_contact.get(outcome, "none")  # type: ignore[call-overload]
    return None if mode == "none" else mode


def aged_cutoff(day: dt.date, years: int) -> dt.date:
    """Born on or before this date means aged `years` or more on `day` (29 Feb counts as 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def priority_of(
    prio: Priority, *, category: str, birth_date: dt.date, lives_alone: bool, hardship: bool, day: dt.date
) -> int:
    """Where a cadre comes in a coordinator's list: 离休 first, then 80+, alone or in hardship."""
    candidates = [prio.default]
    if category == "lixiu":
        candidates.append(prio.lixiu)
    if birth_date <= aged_cutoff(day, prio.aged_from):
        candidates.append(prio.aged)
    if lives_alone:
        candidates.append(prio.lives_alone)
    if hardship:
        candidates.append(prio.hardship)
    return min(candidates)


def escalation_level_for(days_overdue: int, after_days: list[int]) -> int:
    """How far up a task should have gone: 0 stays, 1 parent-grid coordinator, 2 a leader."""
    return sum(1 for threshold in after_days if days_overdue >= threshold)
