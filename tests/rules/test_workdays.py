"""Tests for yinhui.rules.workdays against the State Council notices for 2025 and 2026.

2025 (issued 2024-11-12): 春节 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked;
国庆/中秋 10-01..10-08 off, Sunday 09-28 and Saturday 10-11 worked.
2026 (issued 2025-11-04): 春节 02-15..02-23 off, Saturdays 02-14 and 02-28 worked.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from yinhui.rules.workdays import (
    WorkCalendar,
    YearSchedule,
    guess_warning,
    schedule_from_mapping,
)

D = dt.date


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


def test_official_years_are_the_library_years_without_gaps(calendar: WorkCalendar) -> None:
    years = calendar.official_years
    assert years == {day.year for day in (*chinese_calendar.holidays, *chinese_calendar.workdays)}
    assert {2004, 2025, 2026} <= years
    assert years == set(range(min(years), max(years) + 1))


@pytest.mark.parametrize("day", [D(2025, 1, 26), D(2025, 2, 8), D(2026, 2, 14), D(2026, 2, 28)])
def test_make_up_weekend_days_are_working_days(calendar: WorkCalendar, day: D) -> None:
    assert day.weekday() >= 5
    assert calendar.is_working_day(day)
    assert not calendar.is_day_off(day)


@pytest.mark.parametrize("day", [D(2025, 2, 3), D(2026, 2, 18), D(2026, 2, 23), D(2025, 10, 8)])
def test_weekdays_inside_a_break_are_days_off(calendar: WorkCalendar, day: D) -> None:
    assert day.weekday() < 5
    assert calendar.is_day_off(day)


def test_ordinary_days(calendar: WorkCalendar) -> None:
    assert calendar.is_working_day(D(2026, 3, 4))  # a Wednesday
    assert calendar.is_day_off(D(2026, 3, 7))  # a Saturday


def test_due_date_in_a_break_moves_back_onto_the_make_up_saturday(calendar: WorkCalendar) -> None:
    # Monday 02-16 is off, Sunday 02-15 is off, Saturday 02-14 is worked: weekends alone
    # would have said Friday 02-13.
    assert calendar.working_day_on_or_before(D(2026, 2, 16)) == D(2026, 2, 14)
    assert calendar.working_day_on_or_before(D(2025, 10, 5)) == D(2025, 9, 30)
    assert calendar.working_day_on_or_before(D(2026, 3, 4)) == D(2026, 3, 4)


def test_working_day_on_or_after(calendar: WorkCalendar) -> None:
    assert calendar.working_day_on_or_after(D(2026, 2, 16)) == D(2026, 2, 24)
    assert calendar.working_day_on_or_after(D(2025, 2, 7)) == D(2025, 2, 7)


def test_an_override_replaces_the_library_for_its_year() -> None:
    empty_2026 = YearSchedule(2026, frozenset(), frozenset())
    calendar = WorkCalendar([empty_2026])
    assert calendar.schedule_for(2026) is empty_2026
    assert not calendar.is_guess(2026)
    assert calendar.is_working_day(D(2026, 2, 16))  # the library says off
    assert calendar.is_day_off(D(2026, 2, 14))  # the library says worked
    assert calendar.is_working_day(D(2025, 1, 26))  # other years keep the library's data


def test_unknown_year_falls_back_to_weekends_and_says_so(calendar: WorkCalendar) -> None:
    year = max(calendar.official_years) + 1
    monday = D(year, 2, 1) + dt.timedelta(days=-D(year, 2, 1).weekday() % 7)
    assert monday.weekday() == 0
    assert calendar.is_guess(year)
    assert calendar.is_working_day(monday)
    assert calendar.is_day_off(monday + dt.timedelta(days=5))
    [warning] = calendar.warnings_for(year)
    assert warning == guess_warning(year)
    assert f"no official holiday schedule for {year}, so only weekends count" in warning
    assert f"yinhui holidays set {year}" in warning and f"[holidays.{year}]" in warning
    assert calendar.warnings_for(2026) == ()
    assert not calendar.is_guess(2026)


def test_an_entered_schedule_stops_the_guessing() -> None:
    schedule = schedule_from_mapping(
        2099, {"days_off": ["2099-01-01", "2099-02-02..2099-02-04"], "workdays": ["2099-02-07"]}
    )
    calendar = WorkCalendar([schedule])
    assert not calendar.is_guess(2099)
    assert calendar.warnings_for(2099) == ()
    assert schedule.days_off == {D(2099, 1, 1), D(2099, 2, 2), D(2099, 2, 3), D(2099, 2, 4)}
    assert calendar.is_day_off(D(2099, 2, 3))
    assert calendar.is_working_day(D(2099, 2, 7))  # a Saturday
    assert calendar.working_day_on_or_before(D(2099, 2, 4)) == D(2099, 1, 30)


def test_next_years_notice_can_move_a_december_day() -> None:
    # As the 2019 notice did for 2018-12-29: a year's notice may name late-December days.
    saturday = D(2026, 12, 26)
    assert WorkCalendar().is_day_off(saturday)
    spill = schedule_from_mapping(2027, {"workdays": [saturday.isoformat()]})
    assert WorkCalendar([spill]).is_working_day(saturday)


def test_mapping_accepts_dates_and_empty_fields() -> None:
    schedule = schedule_from_mapping(2099, {"days_off": [D(2099, 1, 1)], "workdays": None})
    assert schedule == YearSchedule(2099, frozenset({D(2099, 1, 1)}), frozenset())


@pytest.mark.parametrize(
    ("mapping", "fragments"),
    [
        ({"days_off": ["2027-02-30"]}, ["days_off[0] '2027-02-30'", "YYYY-MM-DD"]),
        (
            {"days_off": ["2027-01-01", "2027-02-11..2027-02-05"]},
            ["days_off[1] '2027-02-11..2027-02-05'", "ends before it starts"],
        ),
        ({"days_off": ["2027-02-05..tomorrow"]}, ["days_off[0] '2027-02-05..tomorrow'"]),
        ({"workdays": ["2027-02-15"]}, ["workdays[0] '2027-02-15'", "weekday"]),
        ({"days_off": ["2026-05-01"]}, ["days_off[0] '2026-05-01'", "not in 2027"]),
        ({"days_off": [20270101]}, ["days_off[0] 20270101", "got int"]),
        ({"days_off": [dt.datetime(2027, 1, 1, 8)]}, ["days_off[0]", "date-time"]),
        ({"days_off": "2027-02-05"}, ["'days_off' must be a list"]),
        ({"holidays": ["2027-02-05"]}, ["unknown field", "'holidays'"]),
        (
            {"days_off": ["2027-02-13..2027-02-14"], "workdays": ["2027-02-14"]},
            ["both a day off and a workday: 2027-02-14"],
        ),
    ],
)
def test_bad_entries_are_named(mapping: dict[str, object], fragments: list[str]) -> None:
    with pytest.raises(ValueError) as caught:
        schedule_from_mapping(2027, mapping)
    message = str(caught.value)
    assert message.startswith("schedule for 2027: ")
    for fragment in fragments:
        assert fragment in message


def test_year_schedule_checks_its_dates() -> None:
    with pytest.raises(ValueError, match="2026-06-01 is not in 2027"):
        YearSchedule(2027, frozenset({D(2026, 6, 1)}), frozenset())
    with pytest.raises(ValueError, match="two override schedules for 2027"):
        empty = YearSchedule(2027, frozenset(), frozenset())
        WorkCalendar([empty, empty])


def test_a_schedule_with_no_working_days_stops_instead_of_looping() -> None:
    all_off = schedule_from_mapping(2098, {"days_off": ["2098-01-01..2098-12-31"]})
    with pytest.raises(ValueError, match="days off in a row"):
        WorkCalendar([all_off]).working_day_on_or_after(D(2098, 3, 1))
