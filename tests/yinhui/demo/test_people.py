"""What the demo's simulated people do: when a coordinator gets to a task."""

from __future__ import annotations

import datetime as dt

from yinhui.demo.people import planned_day


def test_planned_day_is_stable_and_mostly_on_time():
    opens, due = dt.date(2026, 10, 1), dt.date(2026, 10, 30)
    days = [planned_day(i, opens, due, 0.9, 7) for i in range(2000)]
    assert days == [planned_day(i, opens, due, 0.9, 7) for i in range(2000)]
    on_time = sum(1 for d in days if d is not None and d <= due)
    never = sum(1 for d in days if d is None)
    assert 0.85 < on_time / 2000 < 0.95
    assert 0 < never < 100
