"""Event plans: a template's steps dated around the event day, holidays respected, late plans compressed.

Days off from the State Council notices for 2025 (国庆/中秋 10-01..10-08 off, Sunday 09-28 and
Saturday 10-11 worked) and 2026 (国庆 10-01..10-07 off, Saturday 10-10 worked).
"""

from __future__ import annotations

import datetime as dt

from yinhui.playbook_loader import load_playbook
from yinhui.rules.events import StepSpec, date_steps, event_rule, offset_label, step_due, steps_of
from yinhui.rules.workdays import WorkCalendar

D = dt.date
PLAYBOOK = load_playbook()
CALENDAR = WorkCalendar()
SHIFTS = dict(shift_before=CALENDAR.working_day_on_or_before, shift_after=CALENDAR.working_day_on_or_after)
DOUBLE_NINTH_2026 = D(2026, 10, 18)  # a Sunday


def _by_key(steps):
    return {s.spec.key: (s.window_opens, s.due) for s in steps}


def test_default_template_for_double_ninth_2026_planned_early():
    steps = date_steps(steps_of(PLAYBOOK.template("themed_event")), DOUBLE_NINTH_2026,
                       today=D(2026, 7, 1), **SHIFTS)
    assert _by_key(steps) == {
        "plan": (D(2026, 7, 1), D(2026, 8, 19)),       # T-60, a Wednesday
        "design": (D(2026, 8, 19), D(2026, 9, 3)),     # T-45
        "venue": (D(2026, 9, 3), D(2026, 9, 18)),      # T-30
        # T-14 is Sunday 10-04, inside the National Day break: the last working day before it.
        "invite": (D(2026, 9, 18), D(2026, 9, 30)),
        # T-7 is Sunday 10-11; Saturday 10-10 is a make-up working day (调休上班).
        "check": (D(2026, 9, 30), D(2026, 10, 10)),
        "hold": (D(2026, 10, 10), D(2026, 10, 18)),    # held on its day, a Sunday all the same
        "summary": (D(2026, 10, 18), D(2026, 10, 21)), # T+3
        "report": (D(2026, 10, 21), D(2026, 10, 23)),  # T+7 is a Sunday: the Friday before
    }
    assert [s.spec.key for s in steps] == ["plan", "design", "venue", "invite", "check", "hold", "summary", "report"]


def test_a_step_after_the_event_never_moves_before_it():
    # Mid-Autumn 2025 (10-06) is inside the break 10-01..10-08; T+1 (10-07) is a day off and the
    # working day before it (09-30) is before the event, so it moves to the first working day after.
    step = StepSpec("summary", "总结", "Summary", 1, "staff")
    assert step_due(step, D(2025, 10, 6), today=D(2025, 8, 1), **SHIFTS) == D(2025, 10, 9)


def test_a_late_plan_puts_past_steps_on_the_planning_day():
    steps = date_steps(steps_of(PLAYBOOK.template("themed_event")), DOUBLE_NINTH_2026,
                       today=D(2026, 9, 28), **SHIFTS)
    dated = _by_key(steps)
    assert dated["plan"] == (D(2026, 9, 28), D(2026, 9, 28))
    assert dated["design"] == (D(2026, 9, 28), D(2026, 9, 28))
    assert dated["venue"] == (D(2026, 9, 28), D(2026, 9, 28))
    assert dated["invite"] == (D(2026, 9, 28), D(2026, 9, 30))
    assert dated["hold"][1] == DOUBLE_NINTH_2026


def test_moving_the_event_moves_every_step_with_it():
    specs = steps_of(PLAYBOOK.template("themed_event"))
    before = _by_key(date_steps(specs, DOUBLE_NINTH_2026, today=D(2026, 7, 1), **SHIFTS))
    after = _by_key(date_steps(specs, D(2026, 10, 25), today=D(2026, 7, 1), **SHIFTS))
    assert after["hold"][1] == D(2026, 10, 25)
    assert after["plan"][1] == D(2026, 8, 26)
    assert all(after[k][1] >= before[k][1] for k in before)


def test_keep_leaves_due_dates_on_days_off():
    step = StepSpec("invite", "邀请", "Invite", -14, "staff")
    assert step_due(step, DOUBLE_NINTH_2026, today=D(2026, 7, 1)) == D(2026, 10, 4)


def test_labels_and_rule_names():
    assert [offset_label(n) for n in (-60, 0, 3)] == ["T-60", "T0", "T+3"]
    assert event_rule("themed_event") == "event:themed_event"
    assert len(event_rule("x" * 34)) <= 40
