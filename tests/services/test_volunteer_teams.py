"""Volunteer teams (志愿服务队) in the database: members who are also in grids and branches, and service as contact."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.organisations import VolunteerMember
from models.people import CadreEvent
from models.tasks import Contact, Task
from tests import factories
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence, period_from_key
from yinhui.services.cadres import set_cadre_status
from yinhui.services.coverage import coverage
from yinhui.services.errors import CareError
from yinhui.services.organisations import BranchBook
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.volunteering import (
    add_team,
    ensure_team,
    find_team,
    join_team,
    leave_team,
    log_activity,
    set_cadre_teams,
    team_list,
    teams_of,
    volunteer_report,
)

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


@pytest.fixture
def people(session):
    county = factories.small_county(session)
    found = {name: factories.cadre(session, name) for name in ("甲", "乙", "丙")}
    return {**county, **found}


def members(session, team) -> set[int]:
    return set(session.execute(select(VolunteerMember.cadre_id).where(VolunteerMember.team_id == team.id)).scalars())


def test_teams_are_added_once_and_named_safely(session):
    team = add_team(session, "  培根铸魂  宣讲团 ", focus="政策宣讲")
    assert (team.name, team.focus) == ("培根铸魂 宣讲团", "政策宣讲")
    for name, message in [("培根铸魂 宣讲团", "already a volunteer team called"), (" ", "needs 1 to 100 characters"),
                          ("=HYPERLINK(1)", "start with = [+] - @"), ("宣讲\u202e团", "control characters"),
                          ("队" * 101, "needs 1 to 100")]:
        with pytest.raises(CareError, match=message):
            add_team(session, name)
    assert ensure_team(session, "培根铸魂 宣讲团").id == team.id
    assert ensure_team(session, "家门口志愿服务者团队").id != team.id
    assert find_team(session, "家门口").name == "家门口志愿服务者团队"


def test_join_and_leave_keep_grid_and_branch_and_are_audited(session, people):
    a, b, c = people["甲"], people["乙"], people["丙"]
    branch = BranchBook(session).branch("城关镇东街党支部")
    a.branch_id = branch.id
    lecture, doorstep = add_team(session, "宣讲团"), add_team(session, "家门口志愿服务者团队")
    assert join_team(session, lecture, [a.id, b.id], "test", on=D("2026-11-02")) == [a.id, b.id]
    assert join_team(session, lecture, [b.id, c.id], "test") == [c.id]  # 乙 already on it
    assert join_team(session, doorstep, [a.id], "test") == [a.id]
    assert members(session, lecture) == {a.id, b.id, c.id}
    assert teams_of(session, [a.id, b.id]) == {a.id: ["宣讲团", "家门口志愿服务者团队"], b.id: ["宣讲团"]}
    assert (a.grid_id, a.branch_id) == (people["乙"].grid_id, branch.id)  # still in the grid and the branch
    set_cadre_status(session, c, status="deceased", on=D("2026-11-03"), reason=None, actor="test")
    with pytest.raises(CareError, match="丙 .* is deceased, not active"):
        join_team(session, doorstep, [b.id, c.id], "test")
    assert members(session, doorstep) == {a.id}  # nobody joined
    with pytest.raises(CareError, match="乙 .* is not on 家门口志愿服务者团队; nobody was taken off"):
        leave_team(session, doorstep, [a.id, b.id], "test")
    assert leave_team(session, lecture, [b.id], "test") == [b.id]
    assert members(session, lecture) == {a.id, c.id}
    trail = session.execute(select(CadreEvent.action, CadreEvent.detail).where(CadreEvent.cadre_id == b.id)
                            .order_by(CadreEvent.id)).all()
    assert [action for action, _ in trail] == ["team join", "team leave"]
    assert json.loads(trail[0][1])["team"] == "宣讲团"
    rows = {r["team"]: r for r in team_list(session, year=2026)}
    assert rows["宣讲团"]["members"] == 1  # the deceased member is not counted
    assert rows["家门口志愿服务者团队"]["members"] == 1


def test_a_roster_column_sets_a_cadres_teams(session, people):
    a = people["甲"]
    assert set_cadre_teams(session, a.id, ["宣讲团", "家门口志愿服务者团队"], "roster import") == (
        ["宣讲团", "家门口志愿服务者团队"], [])
    assert set_cadre_teams(session, a.id, ["家门口志愿服务者团队", "夕阳红合唱队"], "roster import") == (
        ["夕阳红合唱队"], ["宣讲团"])
    assert teams_of(session, [a.id])[a.id] == ["夕阳红合唱队", "家门口志愿服务者团队"]


def test_volunteer_service_is_the_months_contact_and_covers_the_call(session, people):
    a, b, c = people["甲"], people["乙"], people["丙"]
    leader = refresh_grid_owners(session).leader_id
    for due in due_cadence(PLAYBOOK, D("2026-11-02")):
        create_cadence_tasks(session, due, day=D("2026-11-02"), prio=PLAYBOOK.priority, leader_id=leader, actor="t")
    team = add_team(session, "宣讲团")
    join_team(session, team, [a.id, b.id, c.id], "test")
    logged = log_activity(session, team_id=team.id, held_on=D("2026-11-10"), topic="反诈宣传", people_served=40,
                          hours=2, cadre_ids=[a.id, b.id], actor="test", today=D("2026-11-12"), playbook=PLAYBOOK)
    assert len(logged.covered_tasks) == 2
    calls = {t.cadre_id: (t.status, t.outcome) for t in session.execute(
        select(Task).where(Task.rule == "monthly_call")).scalars()}
    assert calls == {a.id: ("done", "covered"), b.id: ("done", "covered"), c.id: ("open", None)}
    visits = {t.status for t in session.execute(select(Task).where(Task.rule == "quarterly_visit")).scalars()}
    assert visits == {"open"}  # a home visit is not replaced by volunteering
    contacts = session.execute(select(Contact.cadre_id, Contact.mode, Contact.on_date).order_by(Contact.cadre_id)).all()
    assert contacts == [(a.id, "volunteer", D("2026-11-10")), (b.id, "volunteer", D("2026-11-10"))]
    report = coverage(session, period_from_key("2026-11"))
    assert (report.total.cadres, report.total.contacted) == (3, 2)
    assert [m.name for m in report.missed] == ["丙"]
    teams = volunteer_report(session, period=period_from_key("2026-11"))["teams"]
    assert teams == [{"team": "宣讲团", "members": 3, "activities": 1, "people_served": 40, "volunteers": 2,
                      "volunteer_hours": 4.0, "topics": {"反诈宣传": 1}}]
    assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 2
