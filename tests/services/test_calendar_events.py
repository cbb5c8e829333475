"""Events around nodes in the database: dated steps for their owners, moving, attendance, yearly events."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.calendar import Event, EventStep
from models.organisations import VolunteerTeam
from models.tasks import Contact, Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence
from yinhui.rules.playbook import parse_playbook
from yinhui.services.calendar import work_calendar
from yinhui.services.errors import CalendarError
from yinhui.services.event_views import event_plan, list_events, step_labels
from yinhui.services.events import (
    create_event,
    move_event,
    plan_yearly_events,
    reassign_orphaned_steps,
    record_attendance,
)
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task, escalate_overdue, mark_overdue

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
PLANNED_ON = D("2026-07-01")


def new_event(session, *, today: dt.date = PLANNED_ON, playbook=PLAYBOOK, **kw):
    event, created = create_event(
        session, node_key=kw.pop("node_key", "double_ninth_festival"), year=kw.pop("year", 2026),
        template="themed_event", playbook=playbook, calendar=work_calendar(session, playbook), today=today,
        actor="test", **kw,
    )
    return event, created


def steps(session, event_id: int) -> dict[str, Task]:
    return {t.period: t for t in session.execute(select(Task).where(Task.event_id == event_id)).scalars()}


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def bureau(session):
    people = factories.small_county(session)
    people["staff"] = factories.coordinator(session, "钱干事", "staff")
    people["staff2"] = factories.coordinator(session, "孙干事", "staff")
    session.add(VolunteerTeam(name="家门口志愿服务者团队"))
    session.flush()
    return people


def test_an_event_becomes_dated_tasks_for_the_owners(session, bureau):
    event, created = new_event(session, venue="老干部活动中心", teams=["家门口志愿服务者团队"])
    assert created and (event.title, event.held_on) == ("重阳节主题活动", D("2026-10-18"))
    tasks = steps(session, event.id)
    assert {k: (t.due, t.assignee_id) for k, t in tasks.items()} == {
        "plan": (D("2026-08-19"), bureau["leader"].id),
        "design": (D("2026-09-03"), bureau["staff"].id),  # the first staff member: lowest id
        "venue": (D("2026-09-18"), bureau["staff"].id),
        "invite": (D("2026-09-30"), bureau["staff"].id),  # T-14 falls in the National Day break
        "check": (D("2026-10-10"), bureau["leader"].id),  # Saturday 10-10 is a make-up working day
        "hold": (D("2026-10-18"), bureau["staff"].id),
        "summary": (D("2026-10-21"), bureau["staff"].id),
        "report": (D("2026-10-23"), bureau["leader"].id),
    }
    assert {(t.kind, t.rule, t.subject_id, t.cadre_id, t.status) for t in tasks.values()} == {
        ("event_step", "event:themed_event", event.id, None, "open")
    }
    shown = event_plan(session, event.id, today=PLANNED_ON)
    assert (shown["venue"], shown["teams"], shown["late"]) == ("老干部活动中心", ["家门口志愿服务者团队"], [])
    assert [(s["at"], s["title"], s["owner"]) for s in shown["steps"]][:2] == [
        ("T-60", "制定活动方案", "李局长"), ("T-45", "设计活动内容", "钱干事"),
    ]


def test_a_named_owner_takes_the_role_and_a_missing_role_falls_to_a_leader(session, bureau):
    event, _ = new_event(session, owners={"staff": "孙干事"})
    assert steps(session, event.id)["design"].assignee_id == bureau["staff2"].id
    bureau["staff"].active = bureau["staff2"].active = False
    session.flush()
    other, _ = new_event(session, node_key="mid_autumn_festival")
    assert steps(session, other.id)["design"].assignee_id == bureau["leader"].id


def test_the_same_event_is_not_planned_twice(session, bureau):
    event, _ = new_event(session)
    with pytest.raises(CalendarError, match=f"event #{event.id} already plans"):
        new_event(session)
    again, created = new_event(session, exist_ok=True)
    assert (again.id, created) == (event.id, False)
    assert count(session, Task) == 8


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"teams": ["无此团队"]}, "unknown volunteer team '无此团队'"),
        ({"owners": {"staff": "无名氏"}}, "no coordinator named '无名氏'"),
        ({"owners": {"boss": "李局长"}}, "owner role must be one of"),
        ({"node_key": "no_such_node"}, "unknown calendar node 'no_such_node'"),
        ({"today": D("2026-10-19")}, "cannot be planned in the past"),
    ],
)
def test_bad_requests_write_nothing(session, bureau, kw, message):
    with pytest.raises(CalendarError, match=message):
        new_event(session, **kw)
    assert (count(session, Event), count(session, EventStep), count(session, Task)) == (0, 0, 0)


def test_moving_the_event_moves_open_steps_and_leaves_done_ones(session, bureau):
    event, _ = new_event(session)
    tasks = steps(session, event.id)
    complete_task(session, tasks["plan"].id, outcome="reached", actor="test", on=D("2026-08-18"), playbook=PLAYBOOK)
    # "design" (due 09-03) is late and escalated by 09-07.
    mark_overdue(session, day=D("2026-09-04"), actor="t")
    escalate_overdue(session=session, day=D("2026-09-07"), schedules=[(None, [3, 7])], leader_id=bureau["leader"].id, actor="t")
    session.refresh(tasks["design"])
    assert (tasks["design"].status, tasks["design"].escalation_level) == ("overdue", 1)

    moved = move_event(session, event.id, D("2026-10-25"), playbook=PLAYBOOK,
                       calendar=work_calendar(session, PLAYBOOK), today=D("2026-09-07"), actor="test")
    assert [m.key for m in moved] == ["design", "venue", "invite", "check", "hold", "summary", "report"]
    for task in tasks.values():
        session.refresh(task)
    assert (tasks["plan"].status, tasks["plan"].due) == ("done", D("2026-08-19"))
    design = tasks["design"]
    assert (design.status, design.due, design.escalation_level, design.escalated_to_id) == (
        "open", D("2026-09-10"), 0, None)
    assert tasks["hold"].due == D("2026-10-25")
    assert tasks["invite"].due == D("2026-10-10")  # T-14 is Sunday 10-11: the make-up Saturday before
    detail = session.execute(
        select(TaskEvent.detail).where(TaskEvent.task_id == design.id, TaskEvent.action == "moved")
    ).scalar_one()
    assert '"due_from": "2026-09-03"' in detail and '"due_to": "2026-09-10"' in detail
    assert event_plan(session, event.id, today=D("2026-09-07"))["held_on"] == "2026-10-25"


def test_an_event_held_or_in_the_past_cannot_move(session, bureau):
    event, _ = new_event(session)
    calendar = work_calendar(session, PLAYBOOK)
    with pytest.raises(CalendarError, match="has passed"):
        move_event(session, event.id, D("2026-09-01"), playbook=PLAYBOOK, calendar=calendar,
                   today=D("2026-09-02"), actor="test")
    complete_task(session, steps(session, event.id)["hold"].id, outcome="reached", actor="test",
                  on=D("2026-10-18"), playbook=PLAYBOOK)
    with pytest.raises(CalendarError, match="already held"):
        move_event(session, event.id, D("2026-10-25"), playbook=PLAYBOOK, calendar=calendar,
                   today=D("2026-10-19"), actor="test")


def test_attending_in_person_counts_as_the_months_contact(session, bureau):
    went = factories.cadre(session, "参加者")
    stayed = factories.cadre(session, "未参加")
    leader = refresh_grid_owners(session).leader_id
    for due in due_cadence(PLAYBOOK, D("2026-10-01")):
        create_cadence_tasks(session, due, day=D("2026-10-01"), prio=PLAYBOOK.priority, leader_id=leader, actor="t")
    event, _ = new_event(session)
    with pytest.raises(CalendarError, match="attendance can be recorded from that day"):
        record_attendance(session, event.id, [went.id], playbook=PLAYBOOK, today=D("2026-10-17"), actor="test")
    result = record_attendance(session, event.id, [went.id], playbook=PLAYBOOK, today=D("2026-10-18"), actor="test")
    assert result.added == [went.id] and len(result.covered_tasks) == 1
    rules = {t.rule: (t.status, t.outcome) for t in session.execute(select(Task).where(Task.cadre_id == went.id)).scalars()}
    # The month's call is covered; a home visit it is not.
    assert rules == {"monthly_call": ("done", "covered"), "quarterly_visit": ("open", None)}
    assert {t.status for t in session.execute(select(Task).where(Task.cadre_id == stayed.id)).scalars()} == {"open"}
    again = record_attendance(session, event.id, [went.id], playbook=PLAYBOOK, today=D("2026-10-20"), actor="test")
    assert (again.added, again.already) == ([], [went.id])
    contacts = session.execute(select(Contact.mode, Contact.on_date).where(Contact.cadre_id == went.id)).all()
    assert contacts == [("event", D("2026-10-18"))]
    assert list_events(session, year=2026, today=D("2026-10-20"))[0]["attendance"] == 1


def test_yearly_events_are_created_once_when_their_day_comes(session, bureau):
    def run(day: str) -> list[int]:
        created, problems = plan_yearly_events(session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK),
                                               day=D(day), actor="test")
        assert problems == []
        return [e.id for e in created]

    assert run("2026-08-03") == []  # Double Ninth 2026 is 10-18; created 75 days ahead, on 08-04
    (first,) = run("2026-08-04")
    assert run("2026-08-04") == [] and run("2026-10-18") == []
    event = session.get(Event, first)
    assert (event.title, event.venue, event.created_on) == ("重阳节敬老主题活动", "老干部活动中心", D("2026-08-04"))
    assert len(steps(session, first)) == 8
    assert run("2026-10-19") == []  # after the day: next year's is not due before 2027-07-25
    assert count(session, Event) == 1


def test_a_yearly_event_that_cannot_be_planned_is_reported_and_the_others_still_are(session, bureau):
    data = PLAYBOOK.model_dump(mode="json")
    data["yearly_events"] = [
        {**data["yearly_events"][0], "teams": ["无此团队"]},
        {"node": "mid_autumn_festival", "template": "themed_event"},
    ]
    playbook = parse_playbook(data)
    created, problems = plan_yearly_events(session, playbook=playbook, calendar=work_calendar(session, playbook),
                                           day=D("2026-09-01"), actor="test")
    assert [e.node_key for e in created] == ["mid_autumn_festival"]
    assert len(problems) == 1 and "unknown volunteer team" in problems[0]
    assert count(session, Event) == 1


def test_the_plan_shows_what_is_late(session, bureau):
    event, _ = new_event(session)
    tasks = steps(session, event.id)
    complete_task(session, tasks["plan"].id, outcome="reached", actor="test", on=D("2026-08-10"), playbook=PLAYBOOK)
    shown = event_plan(session, event.id, today=D("2026-09-20"))
    assert shown["late"] == ["design", "venue"]
    assert [s["status"] for s in shown["steps"]][:3] == ["done", "open", "open"]
    assert list_events(session, today=D("2026-09-20"))[0] | {"id": 0} == {
        "id": 0, "title": "重阳节主题活动", "node": "double_ninth_festival", "year": 2026,
        "held_on": "2026-10-18", "steps": 8, "done": 1, "late": 2, "attendance": 0,
        "cancelled_on": None, "cancel_reason": None,
    }


def test_an_event_planned_late_has_its_past_steps_due_the_day_it_is_planned(session, bureau):
    event, _ = new_event(session, today=D("2026-10-01"), teams=["家门口志愿服务者团队"])
    assert event.held_on == D("2026-10-18")
    late = steps(session, event.id)
    assert {late[k].due for k in ("plan", "design", "venue")} == {D("2026-10-01")}  # planned late: due now


def test_event_steps_have_labels_for_digests_and_chat(session, bureau):
    event, _ = new_event(session)
    tasks = steps(session, event.id)
    ids = [tasks["plan"].id, tasks["hold"].id]
    assert step_labels(session, ids) == {ids[0]: "重阳节主题活动 · 制定活动方案", ids[1]: "重阳节主题活动 · 举办活动"}
    assert step_labels(session, ids, language="en")[ids[0]] == "重阳节主题活动 · Plan the event"


def test_steps_of_a_coordinator_who_leaves_go_to_the_roles_owner_now(session, bureau):
    event, _ = new_event(session)
    design = steps(session, event.id)["design"]
    assert design.assignee_id == bureau["staff"].id
    bureau["staff"].active = False
    session.flush()
    assert reassign_orphaned_steps(session, actor="test") == 5  # design, venue, invite, hold, summary
    session.refresh(design)
    assert design.assignee_id == bureau["staff2"].id
    assert reassign_orphaned_steps(session, actor="test") == 0
