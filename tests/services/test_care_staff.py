"""The staff rhythm in the database: leave, the fair lecture rota that skips those away, the writing group."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models.people import Coordinator
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui.messages.content import as_text
from yinhui.messages.digest import render_digest
from yinhui.playbook_loader import load_playbook
from yinhui.services.calendar import work_calendar
from yinhui.services.digests import collect_digests, digest_payload
from yinhui.services.errors import CareError
from yinhui.services.staff_rhythm import (
    add_leave,
    lecture_rota,
    list_leave,
    plan_staff_rhythm,
    remove_leave,
)

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


@pytest.fixture
def staff(session):
    factories.small_county(session)
    return {name: factories.coordinator(session, name, "staff") for name in ("钱干事", "孙干事", "周干事")}


def plan(session, day: str):
    return plan_staff_rhythm(session, playbook=PLAYBOOK, calendar=work_calendar(session, PLAYBOOK), day=D(day),
                             actor="test")


def lecturers(session) -> dict[str, str]:
    rows = session.execute(select(Task.period, Task.assignee_id).where(Task.kind == "lecture")).all()
    names = dict(session.execute(select(Coordinator.id, Coordinator.name)).all())
    return {period: names[assignee] for period, assignee in rows}


def test_the_lecture_rotates_fairly_a_week_ahead(session, staff):
    result = plan(session, "2026-11-02")  # a Monday: today's lecture and next week's
    assert [d.isoformat() for d, _ in result.lectures] == ["2026-11-02", "2026-11-09"]
    for day in ("2026-11-09", "2026-11-16", "2026-11-23"):
        plan(session, day)
    assert lecturers(session) == {"2026-11-02": "钱干事", "2026-11-09": "孙干事", "2026-11-16": "周干事",
                                  "2026-11-23": "钱干事", "2026-11-30": "孙干事"}
    task = session.execute(select(Task).where(Task.kind == "lecture", Task.period == "2026-11-30")).scalar_one()
    assert (task.window_opens, task.due, task.cadre_id, task.rule) == (
        D("2026-11-23"), D("2026-11-30"), None, "staff:lecture")
    assert plan(session, "2026-11-23").lectures == []  # idempotent


def test_someone_on_leave_is_skipped_and_keeps_their_turn(session, staff):
    add_leave(session, staff["孙干事"], starts_on=D("2026-11-05"), ends_on=D("2026-11-12"), note="年休假", actor="test")
    for day in ("2026-11-02", "2026-11-09", "2026-11-16"):
        plan(session, day)
    # 孙 is away on the 9th: 周 lectures; 孙, who has still not lectured, comes first when back.
    assert lecturers(session) == {"2026-11-02": "钱干事", "2026-11-09": "周干事", "2026-11-16": "孙干事",
                                  "2026-11-23": "钱干事"}


def test_leave_taken_after_the_reminder_hands_the_lecture_on(session, staff):
    plan(session, "2026-11-02")
    assert lecturers(session)["2026-11-09"] == "孙干事"
    add_leave(session, staff["孙干事"], starts_on=D("2026-11-06"), ends_on=D("2026-11-10"), note=None, actor="test")
    result = plan(session, "2026-11-03")
    assert [d.isoformat() for d, _ in result.reassigned] == ["2026-11-09"]
    assert lecturers(session)["2026-11-09"] == "周干事"
    event = session.execute(select(TaskEvent).where(TaskEvent.action == "reassigned")).scalar_one()
    assert event.coordinator_id == staff["周干事"].id and "on leave" in event.detail
    rota = lecture_rota(session, playbook=PLAYBOOK, on=D("2026-11-16"))
    assert [r["coordinator"] for r in rota][:1] == ["孙干事"]  # still first in line


def test_no_lecture_on_an_official_day_off_and_a_warning_when_nobody_can(session, staff):
    plan(session, "2026-09-28")  # the next Monday is 2026-10-05, in the National Day holiday
    assert "2026-10-05" not in lecturers(session)
    for person in staff.values():
        add_leave(session, person, starts_on=D("2026-10-12"), ends_on=D("2026-10-12"), note=None, actor="test")
    result = plan(session, "2026-10-05")
    assert "2026-10-12" not in lecturers(session)
    assert any("nobody can give the 2026-10-12 lecture" in w for w in result.warnings)


def test_the_writing_group_meets_fortnightly_with_its_convenor(session, staff):
    plan(session, "2026-11-08")
    meeting = session.execute(select(Task).where(Task.kind == "writing_group")).scalar_one()
    assert (meeting.period, meeting.due, meeting.assignee_id, meeting.rule) == (
        "2026-11-11", D("2026-11-11"), staff["钱干事"].id, "staff:writing_group")
    assert plan(session, "2026-11-09").writing == []
    named = PLAYBOOK.model_copy(update={"staff_rhythm": PLAYBOOK.staff_rhythm.model_copy(update={
        "writing_group": PLAYBOOK.staff_rhythm.writing_group.model_copy(update={"convenor": "周干事"})})})
    result = plan_staff_rhythm(session, playbook=named, calendar=work_calendar(session, named), day=D("2026-11-22"),
                               actor="test")
    assert result.writing == [(D("2026-11-25"), staff["周干事"].id)]


def test_lecture_and_meeting_lines_in_the_digest_say_what_they_are(session, staff):
    plan(session, "2026-11-08")
    digests = {d.coordinator_name: d for d in collect_digests(session, day=D("2026-11-08"), horizon_days=7,
                                                               max_items=40, playbook=PLAYBOOK)}
    assert set(digests) == {"钱干事"}  # first in turn for the lecture, and the convenor
    _, body = as_text(render_digest(digest_payload(digests["钱干事"], language="zh", horizon_days=7)))
    assert "信息写作组例会 · 11-11" in body and "无名" not in body
    assert "【奋进讲堂】1" in body and "奋进讲堂主讲 · 11-09（请准备课件）" in body
    _, english = as_text(render_digest(digest_payload(digests["钱干事"], language="en", horizon_days=7)))
    assert "Monday lecture · 11-09 (prepare slides)" in english


def test_leave_is_checked_listed_and_removed(session, staff):
    person = staff["钱干事"]
    leave = add_leave(session, person, starts_on=D("2026-11-05"), ends_on=D("2026-11-12"), note="出差", actor="test")
    with pytest.raises(CareError, match="already on leave 2026-11-05..2026-11-12"):
        add_leave(session, person, starts_on=D("2026-11-10"), ends_on=D("2026-11-20"), note=None, actor="test")
    with pytest.raises(CareError, match="cannot end"):
        add_leave(session, person, starts_on=D("2026-11-20"), ends_on=D("2026-11-10"), note=None, actor="test")
    assert [r["coordinator"] for r in list_leave(session, since=D("2026-11-01"))] == ["钱干事"]
    assert list_leave(session, since=D("2026-11-13")) == []
    remove_leave(session, leave.id)
    with pytest.raises(CareError, match="no leave"):
        remove_leave(session, leave.id)
