"""Festival visits in the database (逢年过节必访): one per cadre, ordered by priority, idempotent,
counted as the quarter's visit and the month's call, dropped for cadres who died or moved away."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from models.people import Cadre
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence
from yinhui.services.cadres import set_cadre_status
from yinhui.services.calendar import work_calendar
from yinhui.services.digests import collect_digests
from yinhui.services.festivals import festival_visit_summary, plan_festival_visits
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import add_note, complete_task

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def plan(session, day: dt.date):
    leader = refresh_grid_owners(session).leader_id
    return plan_festival_visits(
        session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK), day=day, leader_id=leader, actor="test"
    )


def plan_cadence(session, day: dt.date) -> dict[str, int]:
    leader = refresh_grid_owners(session).leader_id
    return {
        d.rule: create_cadence_tasks(session, d, day=day, prio=PLAYBOOK.priority, leader_id=leader, actor="test")
        for d in due_cadence(PLAYBOOK, day)
    }


def festival_tasks(session, cadre_id: int | None = None) -> list[Task]:
    query = select(Task).where(Task.kind == "festival_visit").order_by(Task.id)
    if cadre_id is not None:
        query = query.where(Task.cadre_id == cadre_id)
    return list(session.execute(query).scalars())


def county_of_four(session) -> dict[str, Cadre]:
    factories.small_county(session)
    return {
        "普通": factories.cadre(session, "普通", birth=D("1955-01-01")),
        "独居": factories.cadre(session, "独居", birth=D("1955-01-01"), lives_alone=True),
        "八十": factories.cadre(session, "八十", birth=D("1945-02-01")),
        "离休": factories.cadre(session, "离休", category="lixiu", birth=D("1930-01-01")),
    }


def test_every_active_cadre_gets_one_spring_festival_visit_due_by_priority(session):
    cadres = county_of_four(session)
    gone = factories.cadre(session, "已故")
    set_cadre_status(session, gone, status="deceased", on=D("2026-01-10"), reason=None, actor="test")
    result = plan(session, D("2026-01-27"))
    assert result.created == {"spring_festival 2026": 4}
    due = {t.cadre_id: (t.rule, t.period, t.window_opens, t.due, t.priority) for t in festival_tasks(session)}
    window = ("festival:spring_festival", "2026", D("2026-01-27"))
    assert due == {
        cadres["离休"].id: (*window, D("2026-02-06"), 10),
        cadres["八十"].id: (*window, D("2026-02-12"), 20),
        cadres["独居"].id: (*window, D("2026-02-12"), 30),
        # Sunday 02-15 starts the break; Saturday 02-14 is a make-up working day (调休上班).
        cadres["普通"].id: (*window, D("2026-02-14"), 50),
    }


def test_a_coordinators_list_puts_lixiu_first_then_80_plus_then_alone(session):
    cadres = county_of_four(session)
    plan(session, D("2026-01-27"))
    (digest,) = [d for d in collect_digests(session, day=D("2026-01-27"), horizon_days=7, max_items=40)
                 if d.coordinator_name == "赵村网格"]
    assert [(i.kind, i.cadre_name) for i in digest.items] == [
        ("festival_visit", "离休"), ("festival_visit", "八十"), ("festival_visit", "独居"), ("festival_visit", "普通"),
    ]
    assert {i.task_id for i in digest.items} == {t.id for t in festival_tasks(session)}
    assert len(cadres) == 4


def test_planning_again_creates_nothing_and_the_window_closes(session):
    county_of_four(session)
    assert plan(session, D("2026-01-26")).created == {}  # the day before the window opens
    assert plan(session, D("2026-01-27")).created == {"spring_festival 2026": 4}
    assert plan(session, D("2026-01-27")).created == {"spring_festival 2026": 0}
    assert plan(session, D("2026-02-10")).created == {"spring_festival 2026": 0}
    # A cadre added during the window is still visited; one added after the last deadline is not.
    factories.cadre(session, "新来")
    assert plan(session, D("2026-02-14")).created == {"spring_festival 2026": 1}
    factories.cadre(session, "迟到")
    assert plan(session, D("2026-02-15")).created == {}
    assert len(festival_tasks(session)) == 5


def test_a_festival_visit_counts_as_the_quarters_visit_and_the_months_call(session):
    factories.small_county(session)
    c = factories.cadre(session, "甲")
    plan_cadence(session, D("2026-10-01"))
    plan(session, D("2026-10-01"))  # Double Ninth (10-18) window opened on 09-27
    (visit,) = festival_tasks(session, c.id)
    done = complete_task(session, visit.id, outcome="visited", actor="test", on=D("2026-10-12"), playbook=PLAYBOOK)
    assert done.status == "done"
    rest = {t.rule: (t.status, t.outcome) for t in session.execute(select(Task).where(Task.cadre_id == c.id)).scalars()}
    assert rest == {
        "monthly_call": ("done", "covered"),
        "quarterly_visit": ("done", "covered"),
        "festival:double_ninth_festival": ("done", "visited"),
    }
    # November wants its own call, but the quarter's visit is already done.
    assert plan_cadence(session, D("2026-11-01")) == {"monthly_call": 1, "quarterly_visit": 0}


def test_a_festival_visit_made_before_the_quarter_opens_its_visit_prevents_it(session):
    factories.small_county(session)
    c = factories.cadre(session, "乙")
    plan(session, D("2026-12-28"))  # nothing yet: Spring Festival 2027 (02-06) opens on 01-16
    assert festival_tasks(session) == []
    plan(session, D("2027-01-16"))
    (visit,) = festival_tasks(session, c.id)
    complete_task(session, visit.id, outcome="visited", actor="test", on=D("2027-01-20"), playbook=PLAYBOOK,
                  today=D("2027-01-20"))
    assert plan_cadence(session, D("2027-01-21")) == {"monthly_call": 0, "quarterly_visit": 0}


def test_a_cadre_who_dies_before_the_festival_is_dropped_with_a_reason(session):
    factories.small_county(session)
    a, b = factories.cadre(session, "丙"), factories.cadre(session, "丁")
    plan(session, D("2026-09-04"))  # Mid-Autumn window
    set_cadre_status(session, a, status="deceased", on=D("2026-09-10"), reason="病故", actor="cli")
    (task_a,) = festival_tasks(session, a.id)
    assert (task_a.status, task_a.note) == ("cancelled", "病故")
    # A status written without set_cadre_status (e.g. straight into the table) is caught by the plan.
    add_note(session, festival_tasks(session, b.id)[0].id, note="家属说下周搬家", actor="test")
    session.execute(update(Cadre).where(Cadre.id == b.id).values(status="moved"))
    result = plan(session, D("2026-09-11"))
    assert result.dropped == 1
    (task_b,) = festival_tasks(session, b.id)
    session.refresh(task_b)
    assert task_b.status == "cancelled"
    assert task_b.note.startswith("家属说下周搬家\n已迁出")
    trail = session.execute(
        select(TaskEvent.actor, TaskEvent.to_status, TaskEvent.detail)
        .where(TaskEvent.task_id == task_b.id, TaskEvent.action == "cancelled")
    ).one()
    assert trail[:2] == ("test", "cancelled") and "已迁出" in trail[2]
    assert plan(session, D("2026-09-12")).dropped == 0
    assert plan(session, D("2026-09-12")).created == {"mid_autumn_festival 2026": 0}


def test_the_season_summary_counts_each_festival(session):
    cadres = county_of_four(session)
    plan(session, D("2026-09-04"))
    plan(session, D("2026-09-27"))
    mid_autumn = {t.cadre_id: t for t in festival_tasks(session) if t.rule == "festival:mid_autumn_festival"}
    complete_task(session, mid_autumn[cadres["离休"].id].id, outcome="visited", actor="t", on=D("2026-09-10"),
                  playbook=PLAYBOOK)
    set_cadre_status(session, cadres["普通"], status="moved", on=D("2026-09-12"), reason=None, actor="t")
    summary = festival_visit_summary(session, year=2026, playbook=PLAYBOOK)
    assert [(s["festival"], s["planned"], s["done"], s["done_on_time"], s["open"], s["cancelled"]) for s in summary] == [
        ("mid_autumn_festival", 4, 1, 1, 2, 1),
        ("double_ninth_festival", 4, 0, 0, 3, 1),  # the move cancelled both of 普通's visits
    ]
    assert (summary[0]["first_due"], summary[0]["last_due"]) == (D("2026-09-15"), D("2026-09-23"))
    assert [s["name"] for s in summary] == ["中秋节", "重阳节"]  # what a reader calls them
    english = festival_visit_summary(session, year=2026, playbook=PLAYBOOK, language="en")
    assert [s["name"] for s in english] == ["Mid-Autumn Festival", "Double Ninth Festival"]
