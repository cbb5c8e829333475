"""Set-based planning queries: task creation, assignment, overdue, escalation, lapse."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models.people import Cadre
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, priority_of
from yinhui.services.cadres import set_cadre_status
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import (
    complete_task,
    escalate_overdue,
    lapse_overdue,
    mark_overdue,
    priority_expression,
)

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def plan(session, day: dt.date) -> dict[str, int]:
    assignment = refresh_grid_owners(session)
    return {
        d.rule: create_cadence_tasks(
            session, d, day=day, prio=PLAYBOOK.priority, leader_id=assignment.leader_id, actor="test"
        )
        for d in due_cadence(PLAYBOOK, day)
    }


def tasks_of(session, cadre_id: int) -> list[Task]:
    return list(session.execute(select(Task).where(Task.cadre_id == cadre_id).order_by(Task.id)).scalars())


def test_first_day_of_quarter_creates_a_call_and_a_visit_for_every_active_cadre(session):
    factories.small_county(session)
    alive = [factories.cadre(session, f"甲{i}") for i in range(3)]
    gone = factories.cadre(session, "乙")
    set_cadre_status(session, gone, status="deceased", on=D("2026-09-20"), reason=None, actor="test")
    assert plan(session, D("2026-10-01")) == {"monthly_call": 3, "quarterly_visit": 3}
    first = tasks_of(session, alive[0].id)
    assert {(t.rule, t.period, t.window_opens, t.due) for t in first} == {
        ("monthly_call", "2026-10", D("2026-10-01"), D("2026-10-31")),
        ("quarterly_visit", "2026-Q4", D("2026-10-01"), D("2026-12-31")),
    }
    assert tasks_of(session, gone.id) == []


def test_planning_twice_creates_nothing_more(session):
    factories.small_county(session)
    factories.cadre(session, "甲")
    plan(session, D("2026-10-01"))
    assert plan(session, D("2026-10-01")) == {"monthly_call": 0, "quarterly_visit": 0}
    assert plan(session, D("2026-10-15")) == {"monthly_call": 0, "quarterly_visit": 0}
    # A new month brings a new call, but the quarter's visit already exists.
    assert plan(session, D("2026-11-01")) == {"monthly_call": 1, "quarterly_visit": 0}
    # Month and quarter edges: Dec 31 is still Q4, Jan 1 opens Q1.
    assert plan(session, D("2026-12-31")) == {"monthly_call": 1, "quarterly_visit": 0}
    assert plan(session, D("2027-01-01")) == {"monthly_call": 1, "quarterly_visit": 1}


def test_tasks_go_to_named_then_base_then_township_then_leader(session):
    people = factories.small_county(session)
    staff = factories.coordinator(session, "钱干事", "staff")
    named = factories.cadre(session, "一联五包", coordinator_id=staff.id)
    in_base = factories.cadre(session, "东街", village="东街村")
    in_town = factories.cadre(session, "西街", village="西街村")
    nowhere = factories.cadre(session, "上村人", township="河底镇", village="上村")
    plan(session, D("2026-10-01"))
    owner = {c.name: tasks_of(session, c.id)[0].assignee_id for c in (named, in_base, in_town, nowhere)}
    assert owner == {
        "一联五包": staff.id,
        "东街": people["village"].id,
        "西街": people["town"].id,
        "上村人": people["leader"].id,
    }


def test_priority_in_sql_agrees_with_the_rule(session):
    factories.small_county(session)
    day = D("2026-10-01")
    cases = [
        dict(category="lixiu", birth=D("1930-01-01")),
        dict(category="tuixiu", birth=D("1946-10-01")),  # turns 80 on the day
        dict(category="tuixiu", birth=D("1946-10-02")),  # 79 for one more day
        dict(category="tuixiu", birth=D("1955-01-01"), lives_alone=True),
        dict(category="tuixiu", birth=D("1955-01-01"), hardship=True),
        dict(category="tuixiu", birth=D("1955-01-01")),
    ]
    made = [factories.cadre(session, f"丙{i}", **kw) for i, kw in enumerate(cases)]
    rows = dict(session.execute(select(Cadre.id, priority_expression(PLAYBOOK.priority, day))).all())
    expected = {
        c.id: priority_of(PLAYBOOK.priority, category=c.category, birth_date=c.birth_date,
                          lives_alone=c.lives_alone, hardship=c.hardship, day=day)
        for c in made
    }
    assert rows == expected
    assert [rows[c.id] for c in made] == [10, 20, 50, 30, 30, 50]


def test_a_visit_counts_as_the_month_call(session):
    factories.small_county(session)
    c = factories.cadre(session, "丁")
    plan(session, D("2026-10-01"))
    call, visit = tasks_of(session, c.id)
    complete_task(session, visit.id, outcome="visited", actor="test", on=D("2026-10-09"), playbook=PLAYBOOK)
    session.refresh(call)
    assert (call.status, call.outcome) == ("done", "covered")
    # The visit was in October: November's call is still wanted.
    assert plan(session, D("2026-11-01"))["monthly_call"] == 1


def test_a_contact_before_the_task_exists_prevents_it(session):
    factories.small_county(session)
    c = factories.cadre(session, "戊")
    plan(session, D("2026-10-01"))
    visit = next(t for t in tasks_of(session, c.id) if t.rule == "quarterly_visit")
    complete_task(session, visit.id, outcome="visited", actor="test", on=D("2026-11-01"), playbook=PLAYBOOK)
    assert plan(session, D("2026-11-01"))["monthly_call"] == 0


def test_deceased_cadre_open_tasks_are_cancelled_with_reason(session):
    factories.small_county(session)
    c = factories.cadre(session, "己")
    plan(session, D("2026-10-01"))
    cancelled = set_cadre_status(session, c, status="deceased", on=D("2026-10-05"), reason="病故", actor="cli")
    assert cancelled == 2
    assert {(t.status, t.note) for t in tasks_of(session, c.id)} == {("cancelled", "病故")}
    assert plan(session, D("2026-11-01")) == {"monthly_call": 0, "quarterly_visit": 0}


def test_overdue_then_escalation_once_per_level(session):
    people = factories.small_county(session)
    c = factories.cadre(session, "庚", village="东街村")  # owned by the village coordinator
    plan(session, D("2026-10-01"))
    call = next(t for t in tasks_of(session, c.id) if t.rule == "monthly_call")
    schedules = [(None, [3, 7])]
    leader = people["leader"].id
    assert mark_overdue(session, day=D("2026-10-31"), actor="t") == 0
    assert mark_overdue(session, day=D("2026-11-01"), actor="t") == 1
    assert mark_overdue(session, day=D("2026-11-01"), actor="t") == 0
    assert escalate_overdue(session=session, day=D("2026-11-02"), schedules=schedules, leader_id=leader, actor="t") == 0
    assert escalate_overdue(session=session, day=D("2026-11-03"), schedules=schedules, leader_id=leader, actor="t") == 1
    assert escalate_overdue(session=session, day=D("2026-11-04"), schedules=schedules, leader_id=leader, actor="t") == 0
    session.refresh(call)
    assert (call.escalation_level, call.escalated_to_id) == (1, people["town"].id)
    assert escalate_overdue(session=session, day=D("2026-11-07"), schedules=schedules, leader_id=leader, actor="t") == 1
    session.refresh(call)
    assert (call.escalation_level, call.escalated_to_id) == (2, leader)
    events = session.execute(
        select(TaskEvent.action, TaskEvent.coordinator_id).where(TaskEvent.task_id == call.id).order_by(TaskEvent.id)
    ).all()
    assert events == [("overdue", None), ("escalated", people["town"].id), ("escalated", leader)]
    assert lapse_overdue(session=session, day=D("2026-11-14"), after_days=15, actor="t") == 0
    assert lapse_overdue(session=session, day=D("2026-11-15"), after_days=15, actor="t") == 1
    session.refresh(call)
    assert call.status == "missed"


def test_far_overdue_task_jumps_to_the_highest_level_with_one_event(session):
    people = factories.small_county(session)
    c = factories.cadre(session, "辛", village="西街村")  # owned by the township coordinator
    plan(session, D("2026-10-01"))
    mark_overdue(session, day=D("2026-11-20"), actor="t")
    n = escalate_overdue(session=session, day=D("2026-11-20"), schedules=[(None, [3, 7])],
                         leader_id=people["leader"].id, actor="t")
    assert n == 1
    call = next(t for t in tasks_of(session, c.id) if t.rule == "monthly_call")
    assert (call.escalation_level, call.escalated_to_id) == (2, people["leader"].id)
    count = session.execute(
        select(func.count()).select_from(TaskEvent).where(TaskEvent.task_id == call.id, TaskEvent.action == "escalated")
    ).scalar_one()
    assert count == 1


def test_level_one_skips_to_leader_when_the_assignee_is_the_township_coordinator(session):
    people = factories.small_county(session)
    c = factories.cadre(session, "壬", village="西街村")
    plan(session, D("2026-10-01"))
    mark_overdue(session, day=D("2026-11-04"), actor="t")
    escalate_overdue(session=session, day=D("2026-11-04"), schedules=[(None, [3, 7])],
                     leader_id=people["leader"].id, actor="t")
    call = next(t for t in tasks_of(session, c.id) if t.rule == "monthly_call")
    assert call.assignee_id == people["town"].id
    assert (call.escalation_level, call.escalated_to_id) == (1, people["leader"].id)


def test_live_tasks_follow_the_cadre_to_a_new_coordinator(session):
    from yinhui.services.tasks import reassign_live_tasks

    people = factories.small_county(session)
    c = factories.cadre(session, "癸", village="东街村")
    plan(session, D("2026-10-01"))
    call, visit = tasks_of(session, c.id)
    complete_task(session, call.id, outcome="reached", actor="t", on=D("2026-10-02"), playbook=PLAYBOOK)
    assert reassign_live_tasks(session=session, leader_id=people["leader"].id, actor="t") == 0
    staff = factories.coordinator(session, "孙干事", "staff")
    c.coordinator_id = staff.id
    session.add(c)
    session.flush()
    assert reassign_live_tasks(session=session, leader_id=people["leader"].id, actor="t") == 1
    session.refresh(visit)
    session.refresh(call)
    assert visit.assignee_id == staff.id
    assert call.assignee_id == people["village"].id  # a closed task keeps who did it
    event = session.execute(
        select(TaskEvent.action, TaskEvent.coordinator_id).where(TaskEvent.task_id == visit.id)
    ).one()
    assert tuple(event) == ("reassigned", staff.id)
