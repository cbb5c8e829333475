"""Festival-visit windows (逢年过节必访): when they open, deadlines by priority, holiday shifts.

Official days off come from the State Council notice for 2026 (国务院办公厅关于2026年部分节假日安排的
通知, 2025-11-04): 春节 02-15..02-23 off, Saturday 02-14 a make-up working day (调休上班);
国庆 10-01..10-07 off, Saturday 10-10 worked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from yinhui.playbook_loader import load_playbook
from yinhui.rules.calendar_nodes import nodes_for_year
from yinhui.rules.festivals import (
    festival_due,
    festival_of_rule,
    festival_rule,
    festival_window,
    festival_windows,
    windows_open_on,
)
from yinhui.rules.playbook import parse_playbook
from yinhui.rules.workdays import WorkCalendar

D = dt.date
PLAYBOOK = load_playbook()
CALENDAR = WorkCalendar()
SHIFT = CALENDAR.working_day_on_or_before


def _node(key: str, year: int):
    return next(n for n in nodes_for_year(year) if n.key == key)


def _playbook(**festival_visits) -> object:
    data = PLAYBOOK.model_dump(mode="json")
    data["festival_visits"].update(festival_visits)
    return parse_playbook(data)


def test_default_festivals_are_spring_festival_mid_autumn_and_double_ninth():
    windows = festival_windows(PLAYBOOK, nodes_for_year(2026), SHIFT)
    assert [(w.node.key, w.node.date) for w in windows] == [
        ("spring_festival", D(2026, 2, 17)),
        ("mid_autumn_festival", D(2026, 9, 25)),
        ("double_ninth_festival", D(2026, 10, 18)),
    ]
    assert {(w.rule, w.period) for w in windows} == {
        ("festival:spring_festival", "2026"),
        ("festival:mid_autumn_festival", "2026"),
        ("festival:double_ninth_festival", "2026"),
    }


def test_spring_festival_2026_deadlines_by_tier_with_the_make_up_working_day():
    window = festival_window(PLAYBOOK, _node("spring_festival", 2026), SHIFT)
    assert window.opens == D(2026, 1, 27)  # 21 days before 02-17
    assert dict(window.dues) == {
        10: D(2026, 2, 6),   # 离休: 10 days before, a Friday
        20: D(2026, 2, 12),  # 80 and over: 5 days before, a Thursday
        30: D(2026, 2, 12),  # living alone or in hardship
        # Everyone else: 2 days before is Sunday 02-15, the first day of the break; the working
        # day before it is Saturday 02-14, a make-up working day, not Friday 02-13.
        50: D(2026, 2, 14),
    }
    assert window.closes == D(2026, 2, 14)


def test_without_the_holiday_calendar_the_dates_stay_where_they_fall():
    window = festival_window(PLAYBOOK, _node("spring_festival", 2026), None)
    assert window.due_for(50) == D(2026, 2, 15)


def test_a_cadre_due_date_follows_priority_and_is_never_later_for_a_higher_tier():
    window = festival_window(PLAYBOOK, _node("double_ninth_festival", 2026), SHIFT)
    common = dict(lives_alone=False, hardship=False)
    lixiu = festival_due(PLAYBOOK, window, category="lixiu", birth_date=D(1931, 5, 1), **common)
    # Age is counted on the festival day: born 1946-10-18 is 80 on Double Ninth 2026.
    aged = festival_due(PLAYBOOK, window, category="tuixiu", birth_date=D(1946, 10, 18), **common)
    not_yet = festival_due(PLAYBOOK, window, category="tuixiu", birth_date=D(1946, 10, 19), **common)
    alone = festival_due(PLAYBOOK, window, category="tuixiu", birth_date=D(1955, 1, 1),
                         lives_alone=True, hardship=False)
    assert lixiu == (10, D(2026, 10, 8))  # 10-08 is the first working day after the National Day break
    assert aged == (20, D(2026, 10, 13))
    assert alone == (30, D(2026, 10, 13))
    assert not_yet == (50, D(2026, 10, 16))
    assert lixiu[1] <= aged[1] <= alone[1] <= not_yet[1]


def test_lixiu_deadline_inside_a_break_moves_before_it():
    # 离休 due 10 days before Double Ninth 2025 (10-29) is 10-19, a Sunday: it moves to Friday.
    window = festival_window(PLAYBOOK, _node("double_ninth_festival", 2025), SHIFT)
    assert window.due_for(10) == D(2025, 10, 17)


def test_a_shift_that_would_leave_the_window_keeps_the_date():
    # Window of 4 days opening inside the National Day break: the working day before the due
    # date (09-30) lies before the window opens (10-03), so the due date stays put.
    playbook = _playbook(opens_days_before=4, due_days_before={
        "lixiu": 3, "aged": 3, "lives_alone": 3, "hardship": 3, "default": 3})
    node = dataclasses.replace(_node("national_day", 2026), date=D(2026, 10, 7))
    shifted = festival_window(playbook, node, SHIFT)
    assert shifted.opens == D(2026, 10, 3)
    assert shifted.closes == D(2026, 10, 4)


def test_windows_open_on_a_day_including_next_year_spring_festival():
    playbook = _playbook(opens_days_before=45, due_days_before={
        "lixiu": 10, "aged": 5, "lives_alone": 5, "hardship": 5, "default": 2})
    nodes = nodes_for_year(2027) + nodes_for_year(2028)
    # Spring Festival 2028 is on 01-26: a 45-day window opens on 2027-12-12.
    assert [w.node.key for w in windows_open_on(playbook, D(2027, 12, 11), nodes)] == []
    assert [(w.node.key, w.period) for w in windows_open_on(playbook, D(2027, 12, 12), nodes)] == [
        ("spring_festival", "2028")
    ]


@pytest.mark.parametrize(
    ("day", "open_keys"),
    [
        (D(2026, 9, 3), []),
        (D(2026, 9, 4), ["mid_autumn_festival"]),
        (D(2026, 9, 23), ["mid_autumn_festival"]),  # Mid-Autumn (09-25) visits all due by 09-23
        (D(2026, 9, 24), []),
        (D(2026, 9, 27), ["double_ninth_festival"]),
        (D(2026, 10, 16), ["double_ninth_festival"]),
        (D(2026, 10, 17), []),  # past the last deadline: nothing new is planned
    ],
)
def test_which_windows_are_open(day, open_keys):
    windows = windows_open_on(PLAYBOOK, day, nodes_for_year(2026), SHIFT)
    assert [w.node.key for w in windows] == open_keys


def test_rule_names_round_trip_and_fit_the_task_table():
    assert festival_rule("double_ninth_festival") == "festival:double_ninth_festival"
    assert festival_of_rule("festival:spring_festival") == "spring_festival"
    assert festival_of_rule("monthly_call") is None
    assert len(festival_rule("x" * 31)) <= 40
