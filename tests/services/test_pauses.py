"""Pauses (暂停联系): no calls or visits while a cadre is away, open ones cancelled with the reason,
must-visits go on, coverage lists the cadre as paused, and the end of a pause brings the cadence back."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.people import CadreEvent, CadrePause
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import period_from_key
from yinhui.services.coverage import coverage
from yinhui.services.errors import CareError
from yinhui.services.pauses import pause_cadre, resume_cadre
from yinhui.services.tasks import create_tasks

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def plan(session, day: dt.date) -> dict[str, int]:
    """The contact cadence's share of a day's plan, as the flow runs it: pauses first, then the tasks."""
    return factories.plan_contacts(session, day, PLAYBOOK)


def live(session, cadre_id: int) -> set[tuple[str, str]]:
    return set(session.execute(select(Task.rule, Task.period).where(
        Task.cadre_id == cadre_id, Task.status.in_(("open", "overdue")))).all())


def test_a_pause_cancels_calls_and_visits_with_the_reason_and_must_visits_go_on(session):
    people = factories.small_county(session)
    away, home = factories.cadre(session, "王建国"), factories.cadre(session, "李秀英")
    plan(session, D("2026-11-02"))
    create_tasks(session=session, actor="test", rows=[{
        "kind": "must_visit", "rule": "must_visit:hospitalisation", "subject_id": away.id, "cadre_id": away.id,
        "period": "2026-11-01", "window_opens": D("2026-11-01"), "due": D("2026-11-06"),
        "assignee_id": people["village"].id}])
    result = pause_cadre(session, away, starts=D("2026-11-03"), until=D("2027-02-28"), reason="异地居住",
                         actor="cli:operator", today=D("2026-11-03"))
    assert result.cancelled == 2
    assert live(session, away.id) == {("must_visit:hospitalisation", "2026-11-01")}
    assert live(session, home.id) == {("monthly_call", "2026-11"), ("quarterly_visit", "2026-Q4")}
    call = session.execute(select(Task).where(Task.cadre_id == away.id, Task.rule == "monthly_call")).scalar_one()
    assert (call.status, call.outcome) == ("cancelled", "paused")
    assert "异地居住" in call.note
    event = session.execute(select(CadreEvent).where(CadreEvent.cadre_id == away.id)).scalar_one()
    assert (event.action, event.actor) == ("pause", "cli:operator")
    assert json.loads(event.detail) == {"from": "2026-11-03", "until": "2027-02-28", "reason": "异地居住"}

    # December: nothing planned for the cadre away; the others get their call.
    assert plan(session, D("2026-12-01"))["monthly_call"] == 1
    assert live(session, away.id) == {("must_visit:hospitalisation", "2026-11-01")}
    report = coverage(session, period_from_key("2026-12"))
    assert [(p.name, str(p.reason)) for p in report.paused] == [("王建国", "paused (异地居住, 2026-11-03..2027-02-28)")]
    assert report.paused[0].reason.render("zh") == "暂停联系（异地居住，2026-11-03 至 2027-02-28）"
    assert [m.name for m in report.missed] == ["李秀英"]
    assert (report.total.cadres, report.total.paused, report.total.missed) == (2, 1, 1)
    assert report.total.rate == 0.0  # of the one cadre expected, none contacted yet


def test_a_pause_that_starts_later_cancels_on_its_first_day(session):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    plan(session, D("2026-11-02"))
    result = pause_cadre(session, cadre, starts=D("2026-11-10"), until=D("2026-12-20"), reason="住院疗养 外地",
                         actor="cli:operator", today=D("2026-11-02"))
    assert result.cancelled == 0 and len(live(session, cadre.id)) == 2
    assert plan(session, D("2026-11-10"))["paused_cancelled"] == 2
    assert live(session, cadre.id) == set()


def test_resume_brings_back_the_cadence_in_the_same_period(session):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    plan(session, D("2026-11-02"))
    pause_cadre(session, cadre, starts=D("2026-11-03"), until=D("2027-01-31"), reason="异地居住",
                actor="cli:operator", today=D("2026-11-03"))
    pause, reopened = resume_cadre(session, cadre, actor="cli:operator", today=D("2026-11-20"))
    assert (pause.ended_on, reopened) == (D("2026-11-20"), 2)
    assert live(session, cadre.id) == {("monthly_call", "2026-11"), ("quarterly_visit", "2026-Q4")}
    trail = session.execute(select(TaskEvent.action).join(Task, Task.id == TaskEvent.task_id).where(
        Task.cadre_id == cadre.id, Task.rule == "monthly_call").order_by(TaskEvent.id)).scalars().all()
    assert trail == ["cancelled", "reopened"]
    with pytest.raises(CareError, match="not paused"):
        resume_cadre(session, cadre, actor="cli:operator", today=D("2026-11-21"))


def test_a_pause_that_runs_out_brings_the_months_call_at_the_next_plan(session):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    pause_cadre(session, cadre, starts=D("2026-10-20"), until=D("2026-11-10"), reason="异地居住",
                actor="cli:operator", today=D("2026-10-20"))
    assert plan(session, D("2026-11-02"))["monthly_call"] == 0
    assert plan(session, D("2026-11-11"))["monthly_call"] == 1
    assert live(session, cadre.id) == {("monthly_call", "2026-11"), ("quarterly_visit", "2026-Q4")}
    # November: the pause held part of the month and the cadre was not contacted: paused, not missed.
    report = coverage(session, period_from_key("2026-11"))
    assert [p.name for p in report.paused] == ["王建国"] and report.missed == []


@pytest.mark.parametrize(("starts", "until", "reason", "message"), [
    ("2026-11-10", "2026-11-05", "异地居住", "is before --from"),
    ("2026-11-03", "2027-12-01", "异地居住", "more than a year ahead"),
    ("2026-10-01", "2026-10-31", "异地居住", "has passed"),
    ("2026-11-03", "2026-12-01", "  ", "give the reason"),
])
def test_bad_dates_are_one_clear_line_and_write_nothing(session, starts, until, reason, message):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    with pytest.raises(CareError, match=message) as refused:
        pause_cadre(session, cadre, starts=D(starts), until=D(until), reason=reason, actor="cli:operator",
                    today=D("2026-11-03"))
    assert "\n" not in str(refused.value)
    assert session.execute(select(func.count()).select_from(CadrePause)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(CadreEvent)).scalar_one() == 0


def test_an_overlapping_pause_is_refused(session):
    factories.small_county(session)
    cadre = factories.cadre(session, "王建国")
    pause_cadre(session, cadre, starts=D("2026-11-03"), until=D("2026-12-31"), reason="异地居住",
                actor="cli:operator", today=D("2026-11-03"))
    with pytest.raises(CareError, match="already paused from 2026-11-03 to 2026-12-31"):
        pause_cadre(session, cadre, starts=D("2026-12-01"), until=D("2027-01-31"), reason="异地居住",
                    actor="cli:operator", today=D("2026-11-03"))
