"""Organisational life (组织生活) in the database: theme party days, hosts, attendance, visits after absence."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.org_life import BranchMeeting, MeetingAttendance
from models.tasks import Contact, Task
from tests import factories
from yinhui.messages.content import as_text
from yinhui.messages.digest import render_digest
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, period_from_key
from yinhui.services.digests import collect_digests, digest_payload
from yinhui.services.errors import CareError
from yinhui.services.org_life import (
    branch_report,
    find_branch,
    plan_absence_visits,
    plan_theme_days,
    reassign_meetings,
    record_meeting,
    set_secretary,
)
from yinhui.services.organisations import BranchBook
from yinhui.services.planning import create_cadence_tasks, plan_leader, refresh_grid_owners

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat
EAST, UPPER = "城关镇东街党支部", "河底镇党支部"


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def county(session):
    people = factories.small_county(session)
    book = BranchBook(session)
    east, upper, empty = book.branch(EAST), book.branch(UPPER), book.branch("空支部")
    members = {}
    for name in ("甲", "乙", "丙", "丁"):
        members[name] = factories.cadre(session, name, village="东街村")
        members[name].branch_id = east.id
    members["戊"] = factories.cadre(session, "戊", township="河底镇", village="上村")
    members["戊"].branch_id = upper.id
    session.flush()
    refresh_grid_owners(session)
    return {**people, **members, "east": east, "upper": upper, "empty": empty}


def plan_meetings(session, day: str) -> int:
    return plan_theme_days(session, playbook=PLAYBOOK, day=D(day), shift_due=None, leader_id=plan_leader(session),
                           actor="test")


def meeting_tasks(session) -> dict[int, Task]:
    return {t.subject_id: t for t in session.execute(select(Task).where(Task.kind == "meeting")).scalars()}


def attend(session, county, month: str, names, held_on: str | None = None, today: str | None = None):
    return record_meeting(session, branch_id=county["east"].id, month=month, cadre_ids=[county[n].id for n in names],
                          actor="test", playbook=PLAYBOOK, today=D(today or f"{month}-28"),
                          held_on=D(held_on) if held_on else None, leader_id=plan_leader(session))


def test_every_branch_with_members_gets_one_theme_day_a_month_for_someone(session, county):
    assert plan_meetings(session, "2026-11-02") == 2  # the empty branch holds none
    tasks = meeting_tasks(session)
    east, upper = tasks[county["east"].id], tasks[county["upper"].id]
    assert (east.rule, east.period, east.window_opens, east.due, east.cadre_id) == (
        "org_life:theme_day", "2026-11", D("2026-11-01"), D("2026-11-30"), None)
    assert east.assignee_id == county["village"].id  # where its members live
    assert upper.assignee_id == county["leader"].id  # 上村 has nobody: a leader, never unassigned
    assert plan_meetings(session, "2026-11-20") == 0
    assert plan_meetings(session, "2026-12-01") == 2


def test_a_named_secretary_holds_the_meetings_and_open_ones_follow(session, county):
    plan_meetings(session, "2026-11-02")
    staff = factories.coordinator(session, "钱干事", "staff")
    set_secretary(session, find_branch(session, "东街"), staff, actor="test")
    assert reassign_meetings(session, leader_id=plan_leader(session), actor="test") == 1
    assert meeting_tasks(session)[county["east"].id].assignee_id == staff.id
    assert reassign_meetings(session, leader_id=plan_leader(session), actor="test") == 0
    with pytest.raises(CareError, match="3 branches match '支部'"):
        find_branch(session, "支部")


def test_attendance_counts_as_contact_and_closes_the_meeting(session, county):
    plan_meetings(session, "2026-11-02")
    [call] = [d for d in due_cadence(PLAYBOOK, D("2026-11-02")) if d.rule == "monthly_call"]
    create_cadence_tasks(session, call, day=D("2026-11-02"), prio=PLAYBOOK.priority,
                         leader_id=county["leader"].id, actor="test")
    result = attend(session, county, "2026-11", ["甲", "乙"], held_on="2026-11-10", today="2026-11-10")
    assert len(result.added) == 2 and len(result.covered_tasks) == 2  # their November calls are covered
    meeting = meeting_tasks(session)[county["east"].id]
    assert (meeting.status, meeting.outcome) == ("done", "reached") and "出席 2/4" in meeting.note
    assert count(session, Contact) == 2
    more = attend(session, county, "2026-11", ["乙", "丙"], today="2026-11-12")  # a late addition
    assert (len(more.added), len(more.already)) == (1, 1)
    with pytest.raises(CareError, match="戊 .* is not a member of 城关镇东街党支部"):
        attend(session, county, "2026-11", ["戊"])
    with pytest.raises(CareError, match="cannot be held on 2026-12-01"):
        attend(session, county, "2026-11", ["甲"], held_on="2026-12-01", today="2026-12-02")
    assert count(session, MeetingAttendance) == 3 and count(session, BranchMeeting) == 1


def test_a_member_who_missed_three_in_a_row_gets_one_visit(session, county):
    for month in ("2026-09", "2026-10"):
        attend(session, county, month, ["甲", "乙", "丙"])  # 丁 misses both
    assert count(session, Task) == 0
    third = attend(session, county, "2026-11", ["甲", "乙"])  # 丙 misses once, 丁 a third time
    assert third.absence_visits == 1
    visit = session.execute(select(Task).where(Task.kind == "absence_visit")).scalar_one()
    assert (visit.cadre_id, visit.rule, visit.period, visit.assignee_id) == (
        county["丁"].id, "org_life:absence", "2026-11", county["village"].id)
    assert (visit.window_opens, visit.due) == (D("2026-11-28"), D("2026-12-12"))
    again = plan_absence_visits(session, playbook=PLAYBOOK, day=D("2026-11-29"), shift_due=None,
                                leader_id=plan_leader(session), actor="test")
    assert again == 0
    assert attend(session, county, "2026-12", ["甲", "乙"]).absence_visits == 0  # 丁: a 4th, 丙: a 2nd
    assert attend(session, county, "2027-01", ["甲", "乙"]).absence_visits == 1  # 丙: a 3rd (丁: 5th, none)
    assert {t.cadre_id for t in session.execute(select(Task).where(Task.kind == "absence_visit")).scalars()} == {
        county["丁"].id, county["丙"].id}
    assert attend(session, county, "2027-02", ["甲", "乙"]).absence_visits == 1  # 丁's sixth in a row


def test_attendance_by_branch(session, county):
    plan_meetings(session, "2026-11-02")
    attend(session, county, "2026-11", ["甲", "乙", "丙"], held_on="2026-11-10", today="2026-11-30")
    report = branch_report(session, month=period_from_key("2026-11"), playbook=PLAYBOOK,
                           leader_id=plan_leader(session))
    rows = {r["branch"]: r for r in report["branches"]}
    assert (rows[EAST]["members"], rows[EAST]["held_on"], rows[EAST]["attended"], rows[EAST]["rate"]) == (
        4, "2026-11-10", 3, 0.75)
    assert (rows[UPPER]["held_on"], rows[UPPER]["task"], rows[UPPER]["host"]) == (None, "open", "李局长")
    assert (report["held"], report["with_members"], report["attended"], report["members_at_held"]) == (1, 2, 3, 4)


def test_a_meeting_line_in_the_digest_says_which_branch(session, county):
    plan_meetings(session, "2026-11-02")
    digests = {d.coordinator_id: d for d in collect_digests(session, day=D("2026-11-02"), horizon_days=7,
                                                              max_items=40, playbook=PLAYBOOK)}
    leader = digests[county["leader"].id]
    _, body = as_text(render_digest(digest_payload(leader, language="zh", horizon_days=7)))
    assert "主题党日 · 河底镇党支部 · 2026-11" in body and "无名" not in body
    assert "【组织生活】1" in body
    _, english = as_text(render_digest(digest_payload(leader, language="en", horizon_days=7)))
    assert "Theme party day · 河底镇党支部 · 2026-11" in english
    payload = digest_payload(leader, language="zh", horizon_days=7)
    assert payload["items"][0]["label"] == "主题党日 · 河底镇党支部 · 2026-11" and payload["items"][0]["cadre"] is None
