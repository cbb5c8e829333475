"""Calling an event off (`cancel_event`): its open steps cancelled with the reason, audited, never planned again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.calendar import Event
from models.tasks import Task, TaskEvent
from tests.services.test_calendar_events import PLAYBOOK, D, bureau, new_event, steps  # noqa: F401  (bureau: fixture)
from yinhui.services.calendar import shifts_for, work_calendar
from yinhui.services.errors import CalendarError
from yinhui.services.event_views import event_plan, event_plans, list_events
from yinhui.services.events import (
    cancel_event,
    create_step_tasks,
    move_event,
    plan_yearly_events,
    record_attendance,
)
from yinhui.services.tasks import complete_task

REASON = "疫情防控，暂停集体活动"


def _trail(session, task_id: int) -> list[tuple[str, str, str | None]]:
    return [(e.action, e.actor, e.detail) for e in session.execute(
        select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)).scalars()]


def test_cancelling_closes_the_open_steps_with_the_reason_and_keeps_the_done_ones(session, bureau):  # noqa: F811
    event, _ = new_event(session)
    tasks = steps(session, event.id)
    complete_task(session, tasks["plan"].id, outcome="reached", actor="test", on=D("2026-08-10"), playbook=PLAYBOOK)

    assert cancel_event(session, event.id, reason=f"  {REASON} ", today=D("2026-08-20"), actor="cli:operator") == 7
    session.expire_all()
    tasks = steps(session, event.id)
    assert tasks["plan"].status == "done"
    assert {k: t.status for k, t in tasks.items() if k != "plan"} == dict.fromkeys(
        ["design", "venue", "invite", "check", "hold", "summary", "report"], "cancelled")
    assert REASON in (tasks["design"].note or "") and tasks["design"].closed_by == "cli:operator"
    [(action, actor, detail)] = _trail(session, tasks["design"].id)
    assert (action, actor) == ("cancelled", "cli:operator") and REASON in (detail or "")
    stored = session.get(Event, event.id)
    assert (stored.cancelled_on, stored.cancel_reason) == (D("2026-08-20"), REASON)

    plan = event_plan(session, event.id, today=D("2026-08-20"))
    assert (plan["cancelled_on"], plan["cancel_reason"]) == ("2026-08-20", REASON)
    assert plan["late"] == []  # a cancelled step is not late
    listed = list_events(session, today=D("2026-08-20"))[0]
    assert (listed["cancelled_on"], listed["done"], listed["steps"]) == ("2026-08-20", 1, 8)
    assert [p["id"] for p in event_plans(session, year=2026, today=D("2026-08-20"))] == [event.id]


def test_a_cancelled_event_is_never_planned_again(session, bureau):  # noqa: F811
    calendar = work_calendar(session, PLAYBOOK)

    def plan(day: str) -> list[Event]:
        created, problems = plan_yearly_events(session, playbook=PLAYBOOK, calendar=calendar, day=D(day), actor="test")
        assert problems == []
        return created

    [event] = plan("2026-08-04")  # the playbook's yearly Double Ninth event, 75 days ahead
    cancel_event(session, event.id, reason=REASON, today=D("2026-08-05"), actor="cli:operator")
    for day in ("2026-08-06", "2026-09-01", "2026-10-18"):
        assert plan(day) == []
    assert create_step_tasks(session, event, shifts=shifts_for(PLAYBOOK, calendar), today=D("2026-08-06"),
                             actor="test") == 0
    assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 1
    assert {t.status for t in steps(session, event.id).values()} == {"cancelled"}


@pytest.mark.parametrize("reason", ["", "   ", "长" * 201])
def test_a_reason_is_required_and_bounded(session, bureau, reason):  # noqa: F811
    event, _ = new_event(session)
    with pytest.raises(CalendarError, match="reason for cancelling needs 1 to 200 characters"):
        cancel_event(session, event.id, reason=reason, today=D("2026-08-20"), actor="cli:operator")
    assert {t.status for t in steps(session, event.id).values()} == {"open"}


def test_what_cannot_be_done_to_a_cancelled_or_held_event_is_refused(session, bureau):  # noqa: F811
    event, _ = new_event(session)
    cancel_event(session, event.id, reason=REASON, today=D("2026-08-20"), actor="cli:operator")
    calendar = work_calendar(session, PLAYBOOK)
    for attempt in (
        lambda: cancel_event(session, event.id, reason="again", today=D("2026-08-21"), actor="cli:operator"),
        lambda: move_event(session, event.id, D("2026-10-25"), playbook=PLAYBOOK, calendar=calendar,
                           today=D("2026-08-21"), actor="cli:operator"),
        lambda: record_attendance(session, event.id, [], playbook=PLAYBOOK, today=D("2026-10-18"), actor="test"),
    ):
        with pytest.raises(CalendarError, match=f"was cancelled on 2026-08-20 \\({REASON}\\)"):
            attempt()

    held, _ = new_event(session, node_key="national_day", year=2026)
    hold = steps(session, held.id)["hold"]
    complete_task(session, hold.id, outcome="reached", actor="test", on=D("2026-10-01"), playbook=PLAYBOOK)
    with pytest.raises(CalendarError, match="was already held on 2026-10-01; it cannot be cancelled"):
        cancel_event(session, held.id, reason=REASON, today=D("2026-10-02"), actor="cli:operator")
    assert session.get(Event, held.id).cancelled_on is None
    assert session.execute(select(func.count()).select_from(Task).where(
        Task.event_id == held.id, Task.status == "cancelled")).scalar_one() == 0
