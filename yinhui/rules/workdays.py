"""Working days under the official holiday schedule (放假调休): days off and make-up working days.

The State Council (国务院办公厅) publishes each year's schedule in November of the year before.
``WorkCalendar`` uses chinese_calendar's copy of those notices for the years it has, and the
bureau's own entries (``YearSchedule``) for the rest or to correct it. A year nobody knows falls
back to plain weekends, and the calendar says so: ``is_guess`` and ``warnings_for``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import chinese_calendar

__all__ = [
    "WorkCalendar",
    "YearSchedule",
    "guess_warning",
    "schedule_from_mapping",
]

# Past this many consecutive days off, the schedule is surely mistyped; stop rather than loop.
_MAX_DAYS_OFF_IN_A_ROW = 60

_RANGE_SEPARATOR = ".."
_MAPPING_FIELDS = ("days_off", "workdays")


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: weekday days off (放假) and weekend make-up workdays (调休上班).

    Dates lie in ``year``, or in December of the year before: a notice sometimes moves a day at
    the turn of the year (the 2019 notice made Saturday 2018-12-29 a working day).
    """

    year: int
    days_off: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def __post_init__(self) -> None:
        # Accept any iterable of dates from callers, but store frozensets so the value is hashable.
        object.__setattr__(self, "days_off", frozenset(self.days_off))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        for day in sorted(self.days_off | self.workdays):
            problem = _outside_year(self.year, day)
            if problem:
                raise ValueError(f"schedule for {self.year}: {problem}")
        both = sorted(self.days_off & self.workdays)
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"schedule for {self.year}: both a day off and a workday: {listed}")


def _outside_year(year: int, day: dt.date) -> str | None:
    if day.year == year or (day.year == year - 1 and day.month == 12):
        return None
    return f"{day.isoformat()} is not in {year} (nor in December {year - 1})"


@cache
def _library_schedules() -> dict[int, YearSchedule]:
    # chinese_calendar keys its tables by date; regroup them by year.
    days_off: dict[int, set[dt.date]] = {}
    workdays: dict[int, set[dt.date]] = {}
    for day in chinese_calendar.holidays:
        days_off.setdefault(day.year, set()).add(day)
    for day in chinese_calendar.workdays:
        workdays.setdefault(day.year, set()).add(day)
    years = sorted(days_off.keys() | workdays.keys())
    return {
        year: YearSchedule(
            year, frozenset(days_off.get(year, ())), frozenset(workdays.get(year, ()))
        )
        for year in years
    }


def guess_warning(year: int) -> str:
    """What to tell a person when ``year``'s days off are not known (weekends stand in)."""
    return (
        f"{year}年放假安排未录入: no official holiday schedule for {year}, so only weekends count as days off; "
        f"enter it from the State Council notice with `yinhui holidays set {year} --days-off ... --workdays ...` "
        f"or under [holidays.{year}] in the playbook"
    )


class WorkCalendar:
    """Answers "is this a working day?" from official schedules, never silently guessing."""

    def __init__(self, overrides: Iterable[YearSchedule] = ()) -> None:
        self._library = _library_schedules()
        self._overrides: dict[int, YearSchedule] = {}
        for schedule in overrides:
            if schedule.year in self._overrides:
                raise ValueError(f"two override schedules for {schedule.year}")
            self._overrides[schedule.year] = schedule

    @property
    def official_years(self) -> frozenset[int]:
        """Years chinese_calendar knows (whether or not the bureau overrides them)."""
        return frozenset(self._library)

    def schedule_for(self, year: int) -> YearSchedule | None:
        """The schedule in force for ``year``: the bureau's, else the library's, else None."""
        if year in self._overrides:
            return self._overrides[year]
        return self._library.get(year)

    def is_guess(self, year: int) -> bool:
        """True when ``year`` has no schedule and weekends stand in for it."""
        return self.schedule_for(year) is None

    def warnings_for(self, year: int) -> tuple[str, ...]:
        """What a planner should tell a person about ``year`` (empty when it is known)."""
        return (guess_warning(year),) if self.is_guess(year) else ()

    def _listed_status(self, day: dt.date) -> bool | None:
        # True/False when a schedule names the day, None when the weekday rule decides.
        own = self.schedule_for(day.year)
        # Next year's notice may move a December day; it is the later word on that day.
        for schedule in (self.schedule_for(day.year + 1), own):
            if schedule is None:
                continue
            if day in schedule.workdays:
                return True
            if day in schedule.days_off:
                return False
        return None

    def is_working_day(self, day: dt.date) -> bool:
        """A working day: a weekday not given off, or a make-up weekend day (调休上班)."""
        listed = self._listed_status(day)
        return listed if listed is not None else day.weekday() < 5

    def is_day_off(self, day: dt.date) -> bool:
        """A weekend or holiday that is not a make-up working day."""
        return not self.is_working_day(day)

    def _scan(self, day: dt.date, step: int) -> dt.date:
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW + 1):
            if self.is_working_day(day):
                return day
            day += dt.timedelta(days=step)
        raise ValueError(
            f"more than {_MAX_DAYS_OFF_IN_A_ROW} days off in a row near {day.isoformat()}; "
            "check the schedule entered for that year"
        )

    def working_day_on_or_before(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the last working day before it.

        A due date that lands in a break moves earlier, to the last working day before it, so
        the work is done before people leave rather than after they come back.
        """
        return self._scan(day, -1)

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        """``day`` if it is a working day, else the first working day after it."""
        return self._scan(day, 1)


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("not a date (expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)") from None


def _expand_entry(entry: object) -> list[dt.date]:
    # YAML and TOML loaders hand over dates already parsed; plain JSON gives strings.
    if isinstance(entry, dt.datetime):
        raise ValueError("expected a date, got a date-time")
    if isinstance(entry, dt.date):
        return [entry]
    if not isinstance(entry, str):
        raise ValueError(f"expected a date string, got {type(entry).__name__}")
    if _RANGE_SEPARATOR not in entry:
        return [_parse_day(entry)]
    start_text, _, end_text = entry.partition(_RANGE_SEPARATOR)
    start, end = _parse_day(start_text), _parse_day(end_text)
    if end < start:
        raise ValueError("the range ends before it starts")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _entry_problem(year: int, field: str, day: dt.date) -> str | None:
    problem = _outside_year(year, day)
    if problem is None and field == "workdays" and day.weekday() < 5:
        # A make-up working day always replaces a weekend day; a weekday here is a typo.
        problem = f"{day.isoformat()} is a weekday; make-up working days (调休上班) are weekends"
    return problem


def _dates_of(year: int, field: str, entries: object) -> frozenset[dt.date]:
    if entries is None:  # an empty YAML key (`workdays:`) loads as None
        return frozenset()
    if isinstance(entries, str | bytes) or not isinstance(entries, Iterable):
        raise ValueError(f"schedule for {year}: {field!r} must be a list of dates or ranges")
    found: set[dt.date] = set()
    for position, entry in enumerate(entries):
        label = f"schedule for {year}: {field}[{position}] {entry!r}"
        try:
            days = _expand_entry(entry)
        except ValueError as error:
            raise ValueError(f"{label}: {error}") from None
        for day in days:
            problem = _entry_problem(year, field, day)
            if problem:
                raise ValueError(f"{label}: {problem}")
        found.update(days)
    return frozenset(found)


def schedule_from_mapping(year: int, mapping: Mapping[str, object]) -> YearSchedule:
    """Build a ``YearSchedule`` from plain data, e.g. a playbook section.

    ``{"days_off": ["2027-02-05..2027-02-11", ...], "workdays": ["2027-02-14"]}``: entries are
    ISO dates or inclusive ``start..end`` ranges; either list may be missing. Any bad entry raises
    ValueError naming it.
    """
    unknown = sorted(set(mapping) - set(_MAPPING_FIELDS))
    if unknown:
        raise ValueError(
            f"schedule for {year}: unknown field(s) {', '.join(map(repr, unknown))}; "
            f"expected {' and '.join(map(repr, _MAPPING_FIELDS))}"
        )
    days_off = _dates_of(year, "days_off", mapping.get("days_off"))
    workdays = _dates_of(year, "workdays", mapping.get("workdays"))
    return YearSchedule(year, days_off, workdays)
