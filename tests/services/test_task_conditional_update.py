"""The conditional update itself: a change decided on a read that another transaction then overtakes.

`change_task` reads the task, decides, then writes only if the task is still as read. Here the
other transaction commits exactly between the read and the write (from inside ``decide``), so the
interleaving is certain, not hoped for. That can only happen on PostgreSQL: on SQLite the first
transaction holds the write lock from its start, and the other would wait for it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models.db import session_scope
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import current_playbook
from yinhui.services.errors import TaskClosedError
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.tasks import change_task, complete_task, create_tasks, mark_overdue

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)
D = dt.date.fromisoformat
TODAY = D("2026-11-18")


def _call() -> tuple[int, dict[str, int]]:
    with session_scope() as s:
        people = factories.small_county(s)
        cadre = factories.cadre(s, "甲")
        refresh_grid_owners(s)
        create_tasks(session=s, rows=[{
            "kind": "call", "rule": "monthly_call", "subject_id": cadre.id, "cadre_id": cadre.id,
            "period": "2026-11", "window_opens": D("2026-11-01"), "due": D("2026-11-10"),
            "assignee_id": people["village"].id,
        }], actor="test")
        return s.execute(select(Task.id)).scalar_one(), {k: v.id for k, v in people.items()}


def _trail(task_id: int) -> list[tuple[str, str | None, str | None, str]]:
    with session_scope() as s:
        return [tuple(r) for r in s.execute(  # type: ignore[misc]
            select(TaskEvent.action, TaskEvent.from_status, TaskEvent.to_status, TaskEvent.actor)
            .where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        ).all()]


def test_a_task_that_went_overdue_meanwhile_is_decided_again_and_its_event_says_so(database):
    task_id, _ = _call()
    decided: list[str] = []

    def decide(task: Task) -> dict[str, object]:
        decided.append(task.status)
        if len(decided) == 1:  # the morning sweep commits between this read and the write
            with session_scope() as other:
                assert mark_overdue(other, day=TODAY, actor="system:sweep") == 1
        return {"status": "done", "outcome": "reached", "closed_by": "cli"}

    with session_scope() as s:
        changed = change_task(s, task_id, decide=decide)
        assert (changed.from_status, changed.task.status) == ("overdue", "done")
    assert decided == ["open", "overdue"]  # the first decision was on a stale read: taken again


def test_a_task_closed_meanwhile_refuses_the_change_naming_who_closed_it(database):
    task_id, people = _call()
    attempts = []

    def decide(task: Task) -> dict[str, object]:
        attempts.append(task.status)
        with session_scope() as other:  # a colleague's answer commits between this read and the write
            complete_task(other, task_id, outcome="declined", actor=f"coordinator:{people['town']}", on=TODAY,
                          playbook=current_playbook(), today=TODAY)
        return {"status": "done", "outcome": "reached", "closed_by": "cli"}

    with session_scope() as s, pytest.raises(TaskClosedError, match="already done by 王网格 at .* \\(declined\\)"):
        change_task(s, task_id, decide=decide)
    assert attempts == ["open"]
    assert _trail(task_id) == [("completed", "open", "done", f"coordinator:{people['town']}")]
