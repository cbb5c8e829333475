"""Trying again (再次联系): an unreachable call stays open and is due again, the last attempt plans
the follow-up, and coverage says "unreachable after 3 attempts"."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, period_from_key
from yinhui.rules.playbook import parse_playbook
from yinhui.services.coverage import coverage
from yinhui.services.errors import TaskClosedError
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def _call(session, day: dt.date = D("2026-11-02")) -> tuple[Task, int]:
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    leader = refresh_grid_owners(session).leader_id
    for due in due_cadence(PLAYBOOK, day):
        create_cadence_tasks(session, due, day=day, prio=PLAYBOOK.priority, leader_id=leader, actor="test")
    call = session.execute(select(Task).where(Task.cadre_id == cadre.id, Task.kind == "call")).scalar_one()
    return call, cadre.id


def _unreachable(session, task_id: int, on: str, playbook=PLAYBOOK) -> Task:
    return complete_task(session, task_id, outcome="unreachable", actor="coordinator:3", on=D(on),
                         playbook=playbook, today=D(on))


def test_an_unreachable_call_stays_open_and_is_due_again_after_three_days(session):
    call, _ = _call(session)
    task = _unreachable(session, call.id, "2026-11-05")
    assert (task.status, task.attempts, task.due, task.outcome) == ("open", 1, D("2026-11-08"), None)
    task = _unreachable(session, call.id, "2026-11-09")
    assert (task.status, task.attempts, task.due) == ("open", 2, D("2026-11-12"))
    actions = session.execute(select(TaskEvent.action, TaskEvent.detail).where(TaskEvent.task_id == call.id)
                              .order_by(TaskEvent.id)).all()
    assert [a for a, _ in actions] == ["retry", "retry"]
    assert json.loads(actions[1][1])["attempt"] == 2


def test_the_last_attempt_closes_the_call_and_plans_a_call_to_the_next_of_kin(session):
    call, cadre_id = _call(session)
    for day in ("2026-11-05", "2026-11-09"):
        _unreachable(session, call.id, day)
    task = _unreachable(session, call.id, "2026-11-28")
    assert (task.status, task.outcome, task.attempts) == ("done", "unreachable", 3)
    follow_up = session.execute(select(Task).where(Task.cadre_id == cadre_id, Task.rule == "relative_call")).scalar_one()
    # Within the period: three days after the 28th would be December, so it is due on the 30th.
    assert (follow_up.kind, follow_up.period, follow_up.due, follow_up.status) == ("call", "2026-11", D("2026-11-30"), "open")
    assert follow_up.assignee_id == task.assignee_id
    last = session.execute(select(TaskEvent.detail).where(TaskEvent.task_id == call.id, TaskEvent.action == "completed")).scalar_one()
    assert json.loads(last)["then"] == follow_up.id
    # The follow-up answered unreachable simply closes: it is not tried again.
    closed = _unreachable(session, follow_up.id, "2026-11-29")
    assert (closed.status, closed.attempts) == ("done", 0)
    report = coverage(session, period_from_key("2026-11"))
    (missed,) = report.missed
    assert (missed.reason.code, missed.reason.attempts) == ("unreachable-after-attempts", 3)
    assert (str(missed.reason), missed.reason.render("zh")) == ("unreachable after 3 attempts", "尝试 3 次仍未接通")
    assert report.total.unreachable == 1 and report.total.missed == 1


def test_the_playbook_may_plan_a_visit_instead(session):
    playbook = parse_playbook({**PLAYBOOK.model_dump(), "retry": {"after_days": 2, "attempts": 2, "then": "visit"}})
    call, cadre_id = _call(session)
    assert _unreachable(session, call.id, "2026-11-05", playbook).due == D("2026-11-07")
    _unreachable(session, call.id, "2026-11-06", playbook)
    visit = session.execute(select(Task).where(Task.cadre_id == cadre_id, Task.rule == "unreachable_visit")).scalar_one()
    assert (visit.kind, visit.due) == ("visit", D("2026-11-08"))


def test_reached_on_a_later_attempt_counts_as_the_months_contact(session):
    call, _ = _call(session)
    _unreachable(session, call.id, "2026-11-05")
    task = complete_task(session, call.id, outcome="reached", actor="cli:operator", on=D("2026-11-08"),
                         playbook=PLAYBOOK, today=D("2026-11-08"))
    assert (task.status, task.outcome, task.attempts) == ("done", "reached", 1)
    report = coverage(session, period_from_key("2026-11"))
    assert (report.total.contacted, report.total.missed) == (1, 0)
    with pytest.raises(TaskClosedError):
        _unreachable(session, call.id, "2026-11-09")


def test_an_open_retry_shows_its_attempts_in_coverage(session):
    call, _ = _call(session)
    _unreachable(session, call.id, "2026-11-05")
    (missed,) = coverage(session, period_from_key("2026-11")).missed
    assert (missed.reason.code, missed.reason.attempts) == ("open", 1)
    assert (str(missed.reason), missed.reason.render("zh")) == ("open, 1 attempt unreachable so far", "待办，已 1 次未接通")
