"""Volunteer service (志愿服务) in the database: activities logged once, counted per team and period."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.organisations import VolunteerTeam
from models.volunteering import VolunteerActivity
from tests import factories
from yinhui.rules.cadence import period_from_key
from yinhui.services.cadres import set_cadre_status
from yinhui.services.errors import CareError
from yinhui.services.volunteering import find_team, log_activity, volunteer_report

D = dt.date.fromisoformat
TODAY = D("2026-11-30")


@pytest.fixture
def teams(session):
    factories.small_county(session)
    people = {name: factories.cadre(session, name) for name in ("甲", "乙", "丙")}
    lecture, doorstep = VolunteerTeam(name="培根铸魂宣讲团"), VolunteerTeam(name="家门口志愿服务者团队")
    session.add_all([lecture, doorstep])
    session.flush()
    return {"lecture": lecture, "doorstep": doorstep, **people}


def log(session, team, day: str, topic: str, served: int, hours: float, cadres=(), **kw):
    return log_activity(session, team_id=team.id, held_on=D(day), topic=topic, people_served=served, hours=hours,
                        cadre_ids=[c.id for c in cadres], actor="test", today=TODAY, **kw)


def test_activities_and_volunteer_hours_per_team_and_period(session, teams):
    a, b, c = teams["甲"], teams["乙"], teams["丙"]
    log(session, teams["lecture"], "2026-10-12", "反诈宣传", 120, 2, [a, b])
    log(session, teams["lecture"], "2026-11-03", "健康讲座", 60, 1.5, [a, b, c])
    log(session, teams["doorstep"], "2026-11-20", "上门理发", 8, 3, [c])
    log(session, teams["doorstep"], "2026-09-30", "植树", 0, 4, [a])  # the quarter before
    report = volunteer_report(session, period=period_from_key("2026-Q4"))
    rows = {r["team"]: r for r in report["teams"]}
    assert rows["培根铸魂宣讲团"] == {"team": "培根铸魂宣讲团", "members": 0, "activities": 2, "people_served": 180, "volunteers": 3,
                                      "volunteer_hours": 8.5, "topics": {"反诈宣传": 1, "健康讲座": 1}}
    assert (rows["家门口志愿服务者团队"]["activities"], rows["家门口志愿服务者团队"]["volunteer_hours"]) == (1, 3.0)
    assert (report["activities"], report["people_served"], report["volunteer_hours"]) == (3, 188, 11.5)
    november = volunteer_report(session, period=period_from_key("2026-11"))
    assert (november["activities"], november["volunteer_hours"]) == (2, 7.5)


def test_an_activity_is_logged_once_and_bad_input_writes_nothing(session, teams):
    log(session, teams["lecture"], "2026-10-12", "反诈宣传", 120, 2, [teams["甲"]])
    set_cadre_status(session, teams["乙"], status="deceased", on=D("2026-11-01"), reason=None, actor="test")
    for args, message in [
        (("2026-10-12", "反诈宣传", 1, 1), "already logged '反诈宣传' on 2026-10-12"),
        (("2026-12-01", "反诈宣传", 1, 1), "in the future"),
        (("2026-10-13", "反诈宣传", 1, 0), "hours must be more than 0"),
        (("2026-10-13", "反诈宣传", -1, 1), "cannot be negative"),
        (("2026-10-13", " ", 1, 1), "a topic needs"),
    ]:
        with pytest.raises(CareError, match=message):
            log(session, teams["lecture"], *args)
    with pytest.raises(CareError, match="乙 .* is deceased"):
        log(session, teams["lecture"], "2026-11-02", "健康讲座", 1, 1, [teams["乙"]])
    assert session.execute(select(func.count()).select_from(VolunteerActivity)).scalar_one() == 1
    assert find_team(session, "宣讲").id == teams["lecture"].id
    with pytest.raises(CareError, match="no volunteer team '舞蹈队'.*培根铸魂宣讲团"):
        find_team(session, "舞蹈队")
