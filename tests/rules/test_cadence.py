"""The contact cadence rules: periods, windows, due-date shifts, escalation levels."""

from __future__ import annotations

import datetime as dt

import pytest

from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import (
    due_cadence,
    escalation_level_for,
    period_from_key,
    period_of,
    rules_satisfied_by,
    window_for,
)
from yinhui.rules.workdays import WorkCalendar

D = dt.date.fromisoformat
PLAYBOOK = load_playbook()


@pytest.mark.parametrize(
    ("every", "day", "key", "start", "end"),
    [
        ("month", "2026-02-10", "2026-02", "2026-02-01", "2026-02-28"),
        ("month", "2028-02-29", "2028-02", "2028-02-01", "2028-02-29"),
        ("month", "2026-12-31", "2026-12", "2026-12-01", "2026-12-31"),
        ("quarter", "2026-03-31", "2026-Q1", "2026-01-01", "2026-03-31"),
        ("quarter", "2026-04-01", "2026-Q2", "2026-04-01", "2026-06-30"),
        ("quarter", "2026-12-31", "2026-Q4", "2026-10-01", "2026-12-31"),
        ("year", "2026-07-01", "2026", "2026-01-01", "2026-12-31"),
    ],
)
def test_periods_and_their_keys(every, day, key, start, end):
    period = period_of(every, D(day))
    assert (period.key, period.start, period.end) == (key, D(start), D(end))
    assert period_from_key(key) == period


def test_bad_period_key_is_refused():
    with pytest.raises(ValueError, match="2026-13"):
        period_from_key("2026-13")


def test_due_on_a_day_off_moves_to_the_working_day_before():
    call = PLAYBOOK.rule("monthly_call")
    calendar = WorkCalendar()
    # 2026-05-31 is a Sunday; May 30 is a Saturday: the call is due Friday May 29.
    assert window_for(call, period_of("month", D("2026-05-10")), calendar.working_day_on_or_before) == (
        D("2026-05-01"), D("2026-05-29"))
    # 2026-09-30 is a Wednesday but a working day, so it stays.
    assert window_for(call, period_of("month", D("2026-09-10")), calendar.working_day_on_or_before)[1] == D("2026-09-30")
    # Without a shift the end of the month stays.
    assert window_for(call, period_of("month", D("2026-05-10")))[1] == D("2026-05-31")


def test_quarter_visit_due_shift_uses_the_official_calendar():
    visit = PLAYBOOK.rule("quarterly_visit")
    calendar = WorkCalendar()
    # 2026-Q3 ends Wed 2026-09-30, a working day; 2025-Q4 ends Wed 2025-12-31, a working day.
    assert window_for(visit, period_of("quarter", D("2026-08-01")), calendar.working_day_on_or_before)[1] == D("2026-09-30")
    # 2026-Q1 ends Tue 2026-03-31 (working); 2024-Q3 ends Mon 2024-09-30 (working).
    # 2026-Q4 ends Thu 2026-12-31 (working). 2026 January ends Saturday 31st: due Friday 30th.
    call = PLAYBOOK.rule("monthly_call")
    assert window_for(call, period_of("month", D("2026-01-05")), calendar.working_day_on_or_before)[1] == D("2026-01-30")


def test_due_cadence_lists_rules_whose_window_is_open():
    wanted = {d.rule: d for d in due_cadence(PLAYBOOK, D("2026-11-27"))}
    assert set(wanted) == {"monthly_call", "quarterly_visit"}
    assert wanted["monthly_call"].period.key == "2026-11"
    assert wanted["quarterly_visit"].period.key == "2026-Q4"


def test_a_window_opening_later_in_the_period_is_not_due_before_it():
    data = PLAYBOOK.model_dump()
    data["cadence"][0]["opens_on_day"] = 10
    from yinhui.rules.playbook import parse_playbook

    late = parse_playbook(data)
    assert "monthly_call" not in {d.rule for d in due_cadence(late, D("2026-11-09"))}
    assert "monthly_call" in {d.rule for d in due_cadence(late, D("2026-11-10"))}


def test_a_visit_satisfies_the_call_and_the_visit_but_a_call_only_the_call():
    assert rules_satisfied_by(PLAYBOOK, "visit", D("2026-11-03")) == [
        ("monthly_call", "2026-11"), ("quarterly_visit", "2026-Q4")]
    assert rules_satisfied_by(PLAYBOOK, "call", D("2026-11-03")) == [("monthly_call", "2026-11")]
    assert rules_satisfied_by(PLAYBOOK, "event", D("2026-11-03")) == [("monthly_call", "2026-11")]


@pytest.mark.parametrize(("days", "level"), [(0, 0), (2, 0), (3, 1), (6, 1), (7, 2), (40, 2)])
def test_escalation_levels(days, level):
    assert escalation_level_for(days, [3, 7]) == level
