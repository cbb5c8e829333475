"""Door services (六上门), organisational life (组织生活) and the staff rhythm (奋进讲堂、写作组) as pure rules."""

from __future__ import annotations

import datetime as dt

from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import period_from_key
from yinhui.rules.door_services import due_services, expected_periods
from yinhui.rules.org_life import (
    absence_streak,
    absence_visit_window,
    theme_day_window,
    visit_due_after,
)
from yinhui.rules.staff_rhythm import lecture_days, lecture_window, next_lecturer, writing_meetings
from yinhui.rules.workdays import WorkCalendar

D = dt.date.fromisoformat
PLAYBOOK = load_playbook()
BEFORE = WorkCalendar().working_day_on_or_before


def test_the_six_services_each_follow_their_own_cadence_for_lixiu_cadres():
    due = {d.rule: d for d in due_services(PLAYBOOK, D("2026-11-02"), BEFORE)}
    assert set(due) == {"service:study", "service:medical", "service:comfort", "service:services",
                        "service:warmth", "service:health"}
    assert (due["service:study"].period.key, due["service:study"].due) == ("2026-11", D("2026-11-30"))
    assert (due["service:medical"].period.key, due["service:medical"].due) == ("2026-Q4", D("2026-12-31"))
    assert due["service:health"].period.key == "2026"
    assert all(d.kind == "service" and d.categories == ("lixiu",) and d.satisfied_by == () for d in due.values())


def test_a_report_expects_each_period_whose_window_has_opened():
    study, medical = PLAYBOOK.door_service("study"), PLAYBOOK.door_service("medical")
    q4 = period_from_key("2026-Q4")
    assert [p.key for p in expected_periods(study, q4, D("2026-11-15"))] == ["2026-10", "2026-11"]
    assert [p.key for p in expected_periods(study, q4, D("2027-01-05"))] == ["2026-10", "2026-11", "2026-12"]
    assert [p.key for p in expected_periods(medical, q4, D("2026-11-15"))] == ["2026-Q4"]
    assert [p.key for p in expected_periods(medical, period_from_key("2026-11"), D("2026-11-15"))] == ["2026-Q4"]
    assert expected_periods(study, q4, D("2026-09-30")) == []


def test_the_theme_party_day_is_monthly_and_absence_counts_meetings_missed_in_a_row():
    month, opens, due = theme_day_window(PLAYBOOK.org_life, D("2026-11-10"), BEFORE)
    assert (month.key, opens, due) == ("2026-11", D("2026-11-01"), D("2026-11-30"))
    held = [30, 20, 10]  # meeting ids, latest first
    assert absence_streak(held, {30}) == 0
    assert absence_streak(held, {10}) == 2
    assert absence_streak(held, set()) == 3
    assert [visit_due_after(n, 3) for n in range(8)] == [False, False, False, True, False, False, True, False]
    assert absence_visit_window(PLAYBOOK.org_life, D("2026-11-02")) == (D("2026-11-02"), D("2026-11-16"))


def test_the_lecture_is_planned_a_week_ahead_on_mondays():
    lecture = PLAYBOOK.staff_rhythm.lecture
    assert lecture_days(lecture, D("2026-11-02")) == [D("2026-11-02"), D("2026-11-09")]  # a Monday
    assert lecture_days(lecture, D("2026-11-03")) == [D("2026-11-09")]
    assert lecture_window(lecture, D("2026-11-09"), D("2026-11-02")) == (D("2026-11-02"), D("2026-11-09"))
    assert lecture_window(lecture, D("2026-11-09"), D("2026-11-05")) == (D("2026-11-05"), D("2026-11-09"))


def test_the_rota_is_fair_and_someone_on_leave_keeps_their_turn():
    staff = [1, 2, 3]
    last: dict[int, dt.date] = {}
    order = []
    away_weeks = {1: {2}}  # staff 2 is away in week 1
    for week in range(6):
        chosen = next_lecturer(staff, last, away_weeks.get(week, set()))
        assert chosen is not None
        last[chosen] = D("2026-11-02") + dt.timedelta(weeks=week)
        order.append(chosen)
    # 2 is skipped in week 1 and goes first when back; then everyone in turn.
    assert order == [1, 3, 2, 1, 3, 2]
    assert next_lecturer(staff, last, away=staff) is None


def test_the_writing_group_meets_every_two_weeks():
    group = PLAYBOOK.staff_rhythm.writing_group  # from Wednesday 2026-01-07, fortnightly
    assert writing_meetings(group, D("2026-11-08")) == [D("2026-11-11")]
    assert writing_meetings(group, D("2026-11-07")) == []  # four days ahead: not yet
    assert writing_meetings(group, D("2026-11-11")) == [D("2026-11-11")]
    assert writing_meetings(group, D("2026-11-12")) == []
    assert writing_meetings(group, D("2026-11-22")) == [D("2026-11-25")]
