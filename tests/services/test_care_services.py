"""The six door-to-door services (六上门) in the database: tasks for 离休 cadres, the per-cadre report."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models.tasks import Contact, Task
from tests import factories
from yinhui import clock
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, period_from_key
from yinhui.services.cadres import set_cadre_status
from yinhui.services.door_services import plan_door_services, services_report
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


@pytest.fixture
def county(session):
    people = factories.small_county(session)
    people["old"] = factories.cadre(session, "离休甲", category="lixiu", birth=D("1928-03-01"))
    people["old2"] = factories.cadre(session, "离休乙", category="lixiu", birth=D("1929-03-01"), village="西街村")
    people["young"] = factories.cadre(session, "退休丙")
    refresh_grid_owners(session)
    return people


def plan(session, day: str) -> dict[str, int]:
    return plan_door_services(session, playbook=PLAYBOOK, day=D(day), shift_due=None,
                              leader_id=1, actor="test")


def service_tasks(session, cadre_id: int) -> dict[str, Task]:
    return {t.rule: t for t in session.execute(
        select(Task).where(Task.kind == "service", Task.cadre_id == cadre_id)).scalars()}


def test_every_lixiu_cadre_gets_the_six_services_on_their_own_cadence(session, county):
    created = plan(session, "2026-11-02")
    assert created == dict.fromkeys(
        ["service:study", "service:medical", "service:comfort", "service:services", "service:warmth", "service:health"],
        2)
    tasks = service_tasks(session, county["old"].id)
    assert (tasks["service:study"].period, tasks["service:study"].due) == ("2026-11", D("2026-11-30"))
    assert (tasks["service:medical"].period, tasks["service:health"].period) == ("2026-Q4", "2026")
    assert tasks["service:study"].assignee_id == county["village"].id
    assert service_tasks(session, county["young"].id) == {}  # 退休: none
    assert set(plan(session, "2026-11-20").values()) == {0}
    assert plan(session, "2026-12-01") == {"service:study": 2, **dict.fromkeys(
        ["service:medical", "service:comfort", "service:services", "service:warmth", "service:health"], 0)}
    set_cadre_status(session, county["old2"], status="deceased", on=D("2026-12-10"), reason=None, actor="test")
    assert plan(session, "2027-01-01")["service:study"] == 1


def test_the_report_shows_what_each_cadre_received_and_what_is_missing(session, county):
    plan(session, "2026-10-01")
    plan(session, "2026-11-02")
    [visit] = [d for d in due_cadence(PLAYBOOK, D("2026-11-02")) if d.rule == "quarterly_visit"]
    create_cadence_tasks(session, visit, day=D("2026-11-02"), prio=PLAYBOOK.priority, leader_id=1, actor="test")
    old = county["old"]
    mine = {(t.rule, t.period): t for t in session.execute(
        select(Task).where(Task.kind == "service", Task.cadre_id == old.id)).scalars()}
    with clock.frozen_at(D("2026-11-10")):
        for rule, period, outcome in [("service:study", "2026-10", "visited"), ("service:study", "2026-11", "reached"),
                                      ("service:medical", "2026-Q4", "visited"), ("service:comfort", "2026-Q4", "declined")]:
            complete_task(session, mine[(rule, period)].id, outcome=outcome, actor="test", on=D("2026-11-10"),
                          playbook=PLAYBOOK)
    report = services_report(session, playbook=PLAYBOOK, period=period_from_key("2026-Q4"), today=D("2026-11-15"))
    rows = {r["name"]: r for r in report["cadres"]}
    assert set(rows) == {"离休甲", "离休乙"}
    mine_row = rows["离休甲"]
    assert mine_row["services"]["study"] == {"delivered": 2, "expected": 2}
    assert mine_row["services"]["medical"] == {"delivered": 1, "expected": 1}
    assert mine_row["services"]["comfort"] == {"delivered": 0, "expected": 1}  # declined is not delivered
    assert mine_row["delivered"] == ["study", "medical"]
    assert mine_row["missing"] == ["comfort", "services", "warmth", "health"]
    assert rows["离休乙"]["missing"] == ["study", "medical", "comfort", "services", "warmth", "health"]
    assert report["complete"] == 0
    # A service done as visited is also the quarter's home visit (coverage counts it).
    quarterly = session.execute(select(Task).where(Task.rule == "quarterly_visit", Task.cadre_id == old.id)).scalar_one()
    assert quarterly.outcome == "covered"
    modes = session.execute(select(Contact.mode).where(Contact.cadre_id == old.id)).scalars().all()
    assert sorted(modes) == ["call", "call", "visit", "visit"]  # declined records a call, as the playbook says
