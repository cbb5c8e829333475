"""Which days a plan may be run for: a month back and one day ahead of today, a year back on purpose (backfill).

A plan for 1901 would create a county's worth of tasks nobody can do, and the next real plan would
mark them all missed and escalate them; one for 9999 cannot even be worked out. Both are refused in
one line naming the day and the range, before anything is written.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.services.errors import PlanningError, TaskError
from yinhui.services.planning import (
    BACKFILL_DAYS_BACK,
    PLAN_DAYS_AHEAD,
    PLAN_DAYS_BACK,
    check_plan_day,
    plan_window,
)

D = dt.date.fromisoformat
TODAY = D("2026-11-29")


def test_the_window_is_a_month_back_and_a_day_ahead():
    assert (PLAN_DAYS_BACK, PLAN_DAYS_AHEAD, BACKFILL_DAYS_BACK) == (31, 1, 366)
    assert plan_window(TODAY) == (D("2026-10-29"), D("2026-11-30"))
    assert plan_window(TODAY, backfill=True) == (D("2025-11-28"), D("2026-11-30"))
    for day in ("2026-10-29", "2026-11-29", "2026-11-30"):
        check_plan_day(D(day), today=TODAY)  # nothing to say


@pytest.mark.parametrize("day", ["1901-01-01", "2026-10-28", "2026-12-01", "9999-12-31"])
def test_a_day_outside_the_window_is_refused_in_one_line_naming_the_day_and_the_range(day):
    with pytest.raises(PlanningError) as refused:
        check_plan_day(D(day), today=TODAY)
    message = str(refused.value)
    assert message.startswith(f"cannot plan {day}: a plan may be for a day from 2026-10-29 to 2026-11-30 "
                              "(31 days back, 1 ahead of today, 2026-11-29)")
    assert len(message.splitlines()) == 1
    assert isinstance(refused.value, TaskError)  # every surface reports it as a one-line refusal
    if D(day) < TODAY:
        assert "back-fill it (up to 366 days back)" in message


def test_backfill_reaches_a_year_back_but_never_further_nor_ahead():
    check_plan_day(D("2026-06-01"), today=TODAY, backfill=True)
    check_plan_day(D("2025-11-28"), today=TODAY, backfill=True)
    for day in ("2025-11-27", "1901-01-01", "2026-12-01", "9999-12-31"):
        with pytest.raises(PlanningError, match=rf"cannot plan {day}: a plan may be for a day from 2025-11-28 to "
                                                r"2026-11-30 \(366 days back with backfill, 1 ahead"):
            check_plan_day(D(day), today=TODAY, backfill=True)


def _county() -> None:
    with session_scope() as s:
        factories.small_county(s)
        for i in range(3):
            factories.cadre(s, f"东{i}")


def _tasks() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(Task)).scalar_one()


@pytest.mark.parametrize("day", ["1901-01-01", "9999-12-31"])
def test_the_planning_flows_refuse_before_writing_anything(database, day):
    from flows.contact_cadence import contact_cadence
    from flows.daily_plan import plan_day

    _county()
    with clock.frozen_at(TODAY):
        with pytest.raises(PlanningError, match=f"cannot plan {day}"):
            contact_cadence.fn(D(day), write_digests=False)
        with pytest.raises(PlanningError, match=f"cannot plan {day}"):
            contact_cadence.fn(D(day), write_digests=False, backfill=True)
        with pytest.raises(PlanningError, match=f"cannot plan {day}"):
            plan_day(D(day), dispatch=False, backfill=True)
    assert _tasks() == 0


@pytest.mark.prefect
def test_an_older_day_is_planned_only_when_back_filled_on_purpose(database, prefect_harness):
    from flows.contact_cadence import contact_cadence
    from flows.daily_plan import daily_plan

    _county()
    older = D("2026-10-01")  # 59 days back
    with clock.frozen_at(TODAY):
        with pytest.raises(PlanningError, match="cannot plan 2026-10-01: .*back-fill it"):
            daily_plan(older, dispatch=False)
        with pytest.raises(PlanningError, match="cannot plan 2026-10-01"):
            contact_cadence(older, write_digests=False)
        assert _tasks() == 0
        assert contact_cadence(older, write_digests=False, backfill=True)["created_total"] == 6
