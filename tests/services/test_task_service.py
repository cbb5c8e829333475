"""The task service's own guarantees: every change audited, set-based changes seen by the session, defaults alike."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.tasks import (
    cancel_open_tasks,
    cancel_tasks,
    create_tasks,
    move_task,
    reassign_task,
)

D = dt.date.fromisoformat


def _two_tasks(session) -> tuple[dict, list[Task]]:
    people = factories.small_county(session)
    cadre = factories.cadre(session, "甲")
    refresh_grid_owners(session)
    created = create_tasks(session=session, rows=[
        {"kind": "call", "rule": "monthly_call", "subject_id": cadre.id, "cadre_id": cadre.id, "period": period,
         "window_opens": D("2026-10-01"), "due": D("2026-10-31"), "assignee_id": people["village"].id}
        for period in ("2026-10", "2026-11")
    ], actor="test")
    assert created == 2
    people["cadre"] = cadre
    return people, list(session.execute(select(Task).order_by(Task.id)).scalars())


def _trail(session, task_id: int) -> list[tuple[str, str | None, str | None, str | None]]:
    return [tuple(row) for row in session.execute(
        select(TaskEvent.action, TaskEvent.from_status, TaskEvent.to_status, TaskEvent.detail)
        .where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
    ).all()]


def test_created_tasks_start_open_unescalated_and_signed(session):
    _, tasks = _two_tasks(session)
    assert {(t.status, t.escalation_level, t.created_by, t.priority, t.event_id) for t in tasks} == {
        ("open", 0, "test", 50, None),
    }
    assert all(t.created_at is not None for t in tasks)


def test_a_set_based_cancel_is_seen_by_tasks_the_session_already_holds(session):
    people, (first, second) = _two_tasks(session)
    second.note = "打过两次"
    session.add(second)  # not flushed yet: the cancel must keep this note, not lose it
    assert cancel_open_tasks(session=session, cadre_id=people["cadre"].id, reason="病故", actor="cli") == 2
    assert (first.status, first.note, first.closed_by) == ("cancelled", "病故", "cli")
    assert (second.status, second.note) == ("cancelled", "打过两次\n病故")
    assert _trail(session, first.id) == [("cancelled", "open", "cancelled", '{"reason": "病故"}')]
    # Nothing live is left: cancelling again changes nothing and writes no event.
    assert cancel_tasks(session=session, where=[Task.cadre_id == people["cadre"].id], reason="x", actor="cli") == 0
    assert len(_trail(session, second.id)) == 1


def test_reassign_and_move_write_their_events(session):
    people, (task, _) = _two_tasks(session)
    reassign_task(task, session=session, to=people["town"].id, reason="speaker on leave; next in turn", actor="test")
    task.status = "overdue"  # as the sweep would have left it, escalated once
    task.escalation_level = 1
    session.flush()
    move_task(task, session=session, window_opens=D("2026-11-01"), due=D("2026-11-20"), today=D("2026-11-05"), actor="test",
              detail={"event_from": "2026-10-31", "event_to": "2026-11-20"})
    assert (task.assignee_id, task.status, task.escalation_level, task.due) == (
        people["town"].id, "open", 0, D("2026-11-20"),
    )
    assert task.window_opens == D("2026-10-01")  # already on someone's list: it stays there
    assert _trail(session, task.id) == [
        ("reassigned", "open", "open", '{"reason": "speaker on leave; next in turn"}'),
        ("moved", "overdue", "open", '{"event_from": "2026-10-31", "event_to": "2026-11-20", '
                                     '"due_from": "2026-10-31", "due_to": "2026-11-20"}'),
    ]
