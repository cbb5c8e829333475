"""Must-visits (四必访) in the database: reports, deadlines, escalation, follow-ups, death, big birthdays."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.must_visits import Occurrence
from models.people import Cadre
from models.tasks import Contact, Task, TaskEvent
from tests import factories
from yinhui import clock
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence
from yinhui.services.cadres import resolve_cadre
from yinhui.services.calendar import work_calendar
from yinhui.services.errors import CareError
from yinhui.services.must_visit_reports import (
    occurrence_report,
    occurrence_summary,
    render_occurrences,
)
from yinhui.services.must_visits import (
    plan_must_visits,
    record_occurrence,
    report_must_visit,
    report_occurrence,
)
from yinhui.services.planning import create_cadence_tasks, plan_leader, refresh_grid_owners
from yinhui.services.tasks import (
    complete_task,
    escalate_overdue,
    escalation_schedules,
    lapse_overdue,
    mark_overdue,
)

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
THURSDAY = D("2026-11-05")


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def county(session):
    people = factories.small_county(session)
    people["wang"] = factories.cadre(session, "王老", village="东街村")
    people["li"] = factories.cadre(session, "李老", village="西街村")
    people["zhao"] = factories.cadre(session, "赵老", township="河底镇", village="上村")
    refresh_grid_owners(session)
    return people


def report(session, cadre, kind, on=THURSDAY, today=THURSDAY, **kw):
    return record_occurrence(session, cadre_id=cadre.id, kind=kind, on=on, actor="test", playbook=PLAYBOOK,
                             today=today, **kw)


def plan(session, day):
    return plan_must_visits(session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK), day=day,
                            leader_id=plan_leader(session), actor="test")


def test_a_hospitalisation_is_a_visit_for_the_responsible_coordinator_within_two_days(session, county):
    result = report(session, county["wang"], "住院", note="心脏不适，县医院内科")
    task = result.task
    assert (task.kind, task.rule, task.period) == ("must_visit", "must_visit:hospitalisation", "2026-11-05")
    assert task.assignee_id == county["village"].id  # 东街村's coordinator
    assert (task.window_opens, task.due) == (THURSDAY, D("2026-11-09"))  # Saturday moves to Monday
    assert result.occurrence.note == "心脏不适，县医院内科"
    # 上村 has no coordinator of its own or of its township: the leader takes it.
    assert report(session, county["zhao"], "hospital").task.assignee_id == county["leader"].id
    hardship = report(session, county["li"], "困难").task
    assert (hardship.due, hardship.assignee_id) == (D("2026-11-12"), county["town"].id)
    wedding = report(session, county["li"], "婚事", on=D("2026-12-12")).task
    assert wedding.due == D("2026-12-15") and wedding.window_opens == THURSDAY


def test_reporting_the_same_thing_again_changes_nothing(session, county):
    first = report(session, county["wang"], "hospitalisation")
    before = (count(session, Task), count(session, Occurrence), count(session, TaskEvent))
    again = report(session, county["wang"], "住院")
    assert not again.created and again.task.id == first.task.id
    assert (count(session, Task), count(session, Occurrence), count(session, TaskEvent)) == before
    with clock.frozen_at(THURSDAY):
        assert report_occurrence(session, cadre_id=county["wang"].id, kind="hospitalisation", on=THURSDAY, note=None,
                                 actor="test", playbook=PLAYBOOK).id == first.task.id
    assert count(session, Task) == before[0]


def test_bad_reports_are_refused_and_write_nothing(session, county):
    before = (count(session, Task), count(session, Occurrence))
    with pytest.raises(CareError, match="unknown kind '感冒'"):
        report(session, county["wang"], "感冒")
    with pytest.raises(CareError, match="in the future"):
        report(session, county["wang"], "hospitalisation", on=D("2026-11-06"))
    with pytest.raises(CareError, match="no open hospitalisation"):
        report(session, county["wang"], "出院")
    with pytest.raises(CareError, match="no cadre #999"):
        report_occurrence(session, cadre_id=999, kind="hardship", on=THURSDAY, note=None, actor="t", playbook=PLAYBOOK)
    with pytest.raises(CareError, match="up to 1000"):
        report(session, county["wang"], "hardship", note="x" * 1001)
    assert (count(session, Task), count(session, Occurrence)) == before


def test_late_must_visits_escalate_faster_than_routine_tasks(session, county):
    wang = county["wang"]
    task = report(session, wang, "hospitalisation", on=D("2026-11-02"), today=D("2026-11-02")).task
    assert task.due == D("2026-11-04")
    routine = Task(kind="call", rule="monthly_call", subject_id=wang.id, period="2026-11", cadre_id=wang.id,
                   window_opens=D("2026-11-01"), due=D("2026-11-04"), assignee_id=task.assignee_id)
    session.add(routine)  # a routine call due the same day
    session.flush()
    schedules = escalation_schedules(PLAYBOOK)

    def sweep(day: str) -> None:
        mark_overdue(session, day=D(day), actor="test")
        escalate_overdue(session=session, day=D(day), schedules=schedules, leader_id=county["leader"].id, actor="test")
        session.expire_all()

    sweep("2026-11-05")  # one day late: up to the township's coordinator already
    assert (task.escalation_level, task.escalated_to_id) == (1, county["town"].id)
    assert (routine.status, routine.escalation_level) == ("overdue", 0)  # routine: after 3 days
    sweep("2026-11-07")  # three days late: a leader
    assert (task.escalation_level, task.escalated_to_id) == (2, county["leader"].id)
    assert (routine.escalation_level, routine.escalated_to_id) == (1, county["town"].id)
    lapse_overdue(session=session, day=D("2026-11-07"), after_days=15, actor="test")
    assert session.get(Task, task.id).status == "overdue"  # still open, on the leader's list


def test_a_discharge_opens_the_follow_up_call(session, county):
    wang = county["wang"]
    report(session, wang, "hospitalisation", on=D("2026-11-02"), today=D("2026-11-02"))
    closed = report(session, wang, "出院", on=D("2026-11-06"), today=D("2026-11-06"))
    call = closed.follow_up
    assert (call.kind, call.rule, call.window_opens, call.due) == (
        "follow_up", "follow_up:hospitalisation", D("2026-11-06"), D("2026-11-09"))
    assert closed.occurrence.closed_on == D("2026-11-06")
    assert plan(session, D("2026-11-23"))["follow_up:hospitalisation"] == 0  # not twice


def test_without_a_discharge_the_call_comes_three_weeks_on(session, county):
    report(session, county["wang"], "hospitalisation", on=D("2026-11-02"), today=D("2026-11-02"))
    assert plan(session, D("2026-11-22"))["follow_up:hospitalisation"] == 0
    assert plan(session, D("2026-11-23"))["follow_up:hospitalisation"] == 1
    call = session.execute(select(Task).where(Task.rule == "follow_up:hospitalisation")).scalar_one()
    assert (call.window_opens, call.due) == (D("2026-11-23"), D("2026-11-26"))


def test_a_hardship_case_is_reviewed_monthly_until_resolved(session, county):
    li = county["li"]
    report(session, li, "hardship", on=D("2026-10-20"), today=D("2026-10-20"))
    assert plan(session, D("2026-10-25"))["follow_up:hardship"] == 0  # the visit covers its own month
    assert plan(session, D("2026-11-01"))["follow_up:hardship"] == 1
    assert plan(session, D("2026-11-20"))["follow_up:hardship"] == 0
    review = session.execute(select(Task).where(Task.rule == "follow_up:hardship")).scalar_one()
    assert (review.period, review.due) == ("2026-10-20/2026-11", D("2026-11-16"))
    resolved = report(session, li, "解困", on=D("2026-11-20"), today=D("2026-11-20"))
    assert resolved.cancelled == 1
    session.refresh(review)
    assert review.status == "cancelled" and "hardship case closed" in review.note
    assert plan(session, D("2026-12-01"))["follow_up:hardship"] == 0


def test_a_death_cancels_everything_then_plans_condolences_and_a_call_a_month_on(session, county):
    wang = county["wang"]
    [call] = [d for d in due_cadence(PLAYBOOK, D("2026-11-01")) if d.rule == "monthly_call"]
    create_cadence_tasks(session, call, day=D("2026-11-01"), prio=PLAYBOOK.priority,
                         leader_id=county["leader"].id, actor="test")
    hospital = report(session, wang, "住院", on=D("2026-11-02"), today=D("2026-11-02")).task
    died = report(session, wang, "去世", on=D("2026-11-04"), today=THURSDAY, note="家属电话告知")
    session.refresh(wang)
    assert (wang.status, wang.status_since) == ("deceased", D("2026-11-04"))
    assert died.cancelled == 2
    session.refresh(hospital)
    assert hospital.status == "cancelled" and "去世" in hospital.note
    condolence = died.task
    assert (condolence.rule, condolence.status, condolence.assignee_id, condolence.due) == (
        "must_visit:death", "open", county["village"].id, D("2026-11-09"))
    assert session.execute(select(Occurrence.closed_on).where(Occurrence.kind == "hospitalisation")).scalar_one() == D(
        "2026-11-04")
    again = report(session, wang, "death", on=D("2026-11-04"), today=D("2026-11-06"))
    assert not again.created and again.task.id == condolence.id
    with pytest.raises(CareError, match="is deceased"):
        report(session, wang, "hospitalisation")
    assert plan(session, D("2026-12-04"))["follow_up:death"] == 1  # the call on the bereaved family
    # Done as visited, the condolence visit is a contact like any visit.
    complete_task(session, condolence.id, outcome="visited", actor="test", on=D("2026-11-06"), playbook=PLAYBOOK)
    assert session.execute(select(Contact.mode).where(Contact.task_id == condolence.id)).scalar_one() == "visit"


def test_a_visited_must_visit_counts_as_the_quarter_visit(session, county):
    [visit] = [d for d in due_cadence(PLAYBOOK, D("2026-11-02")) if d.rule == "quarterly_visit"]
    create_cadence_tasks(session, visit, day=D("2026-11-02"), prio=PLAYBOOK.priority,
                         leader_id=county["leader"].id, actor="test")
    task = report(session, county["wang"], "family_event").task
    complete_task(session, task.id, outcome="visited", actor="test", on=THURSDAY, playbook=PLAYBOOK)
    quarterly = session.execute(
        select(Task).where(Task.rule == "quarterly_visit", Task.cadre_id == county["wang"].id)
    ).scalar_one()
    assert (quarterly.status, quarterly.outcome) == ("done", "covered")


def test_big_birthdays_plan_their_own_visit_ahead_once(session, county):
    old = factories.cadre(session, "寿星", village="东街村", birth=D("1936-11-20"))
    factories.cadre(session, "八五", village="东街村", birth=D("1941-11-20"))
    assert plan(session, D("2026-11-05"))["birthdays"] == 0
    counts = plan(session, D("2026-11-06"))
    assert (counts["birthdays"], counts["must_visit:family_event"]) == (1, 1)
    task = session.execute(select(Task).where(Task.cadre_id == old.id)).scalar_one()
    assert (task.rule, task.window_opens, task.due, task.assignee_id) == (
        "must_visit:family_event", D("2026-11-06"), D("2026-11-20"), county["village"].id)
    occurrence = session.execute(select(Occurrence).where(Occurrence.cadre_id == old.id)).scalar_one()
    assert occurrence.detail == "milestone:90"
    before = (count(session, Task), count(session, Occurrence))
    assert set(plan(session, D("2026-11-07")).values()) == {0}
    assert (count(session, Task), count(session, Occurrence)) == before
    # Reporting the same birthday by hand finds the same visit.
    assert report(session, old, "birthday", on=D("2026-11-20"), today=D("2026-11-08")).task.id == task.id


def test_the_daily_plan_recreates_nothing_and_fills_in_what_is_missing(session, county):
    report(session, county["wang"], "hospitalisation", on=D("2026-11-02"), today=D("2026-11-02"))
    assert set(plan(session, D("2026-11-02")).values()) == {0}
    session.execute(Task.__table__.delete())  # as if the report's task had been lost
    assert plan(session, D("2026-11-03"))["must_visit:hospitalisation"] == 1


def test_names_resolve_with_a_grid_when_two_share_one(session, county):
    factories.cadre(session, "王老", village="西街村")
    with pytest.raises(CareError, match="2 cadres are called '王老'.*城关镇/东街村.*城关镇/西街村.*--grid"):
        resolve_cadre(session, "王老")
    assert resolve_cadre(session, "王老", grid="城关镇/东街村").id == county["wang"].id
    assert resolve_cadre(session, "王老", grid="东街村").id == county["wang"].id
    assert resolve_cadre(session, county["wang"].id_number).id == county["wang"].id
    assert resolve_cadre(session, f"#{county['li'].id}").id == county["li"].id
    with pytest.raises(CareError, match="no cadre called '王老' in 河底镇"):
        resolve_cadre(session, "王老", grid="河底镇")
    with pytest.raises(CareError) as err:
        resolve_cadre(session, "王老")
    assert county["wang"].id_number not in str(err.value)
    # A namesake who died does not make the living one ambiguous.
    report(session, county["wang"], "death")
    living = resolve_cadre(session, "王老")
    assert living.id != county["wang"].id and living.status == "active"


def test_the_chat_bot_service_and_the_report_of_what_was_handled(session, county):
    with clock.frozen_at(THURSDAY):
        task = report_must_visit(session, cadre_id=county["li"].id, reason="hospitalisation", actor="coordinator:2",
                                 on=THURSDAY)
    assert task.rule == "must_visit:hospitalisation"
    report(session, county["wang"], "婚事")
    with clock.frozen_at(D("2026-11-06")):  # "on time" is judged by when the answer came in
        complete_task(session, task.id, outcome="visited", actor="test", on=D("2026-11-06"), playbook=PLAYBOOK)
    rows = occurrence_report(session, first=D("2026-11-01"), last=D("2026-11-30"), playbook=PLAYBOOK)
    by_cadre = {r["cadre"]: r for r in rows}
    assert by_cadre["李老"]["visit"]["status"] == "done" and by_cadre["李老"]["visit"]["on_time"]
    assert by_cadre["王老"]["detail"] == "婚事" and by_cadre["王老"]["visit"]["status"] == "open"
    assert "note" not in by_cadre["李老"] and all(c.id_number not in str(rows) for c in session.execute(
        select(Cadre)).scalars())
    summary = {s["kind"]: s for s in occurrence_summary(rows)}
    assert (summary["hospitalisation"]["reported"], summary["hospitalisation"]["on_time"]) == (1, 1)
    assert (summary["family_event"]["visited"], summary["family_event"]["open"]) == (0, 1)
    # The kinds read as the bureau names them, in the report's language.
    assert (by_cadre["李老"]["title"], summary["family_event"]["title"]) == ("生病住院探望", "家有大事走访")
    english = occurrence_report(session, first=D("2026-11-01"), last=D("2026-11-30"), playbook=PLAYBOOK, language="en")
    assert {r["title"] for r in english} == {"Hospital visit", "Family-event visit"}
    table = str(render_occurrences(rows, "zh"))
    assert "生病住院探望" in table and "家有大事走访 (婚事)" in table and "hospitalisation" not in table


def test_a_death_recorded_by_the_roster_still_brings_condolences(session, county):
    from yinhui.services.cadres import set_cadre_status

    li = county["li"]
    set_cadre_status(session, li, status="deceased", on=D("2026-11-03"), reason="roster: 已故", actor="import")
    died = report(session, li, "去世", on=D("2026-11-03"))
    assert died.created and died.cancelled == 0 and died.task.rule == "must_visit:death"
    session.refresh(li)
    assert li.status_reason == "roster: 已故"  # the earlier record stands
    set_cadre_status(session, county["zhao"], status="moved", on=D("2026-11-03"), reason=None, actor="import")
    with pytest.raises(CareError, match="is moved"):
        report(session, county["zhao"], "death")
