"""`yinhui volunteer team add | list | join | leave` and `volunteer log --team` on a fresh install."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.organisations import VolunteerMember, VolunteerTeam
from models.tasks import Contact
from tests import factories
from yinhui import clock
from yinhui.cli import main

D = dt.date.fromisoformat
TODAY = "2026-11-05"


@pytest.fixture
def cli(database, capsys):
    """`yinhui ...` on a database as `yinhui init` leaves it, with a few cadres; returns (code, stdout, stderr)."""
    with session_scope() as s:
        factories.small_county(s)
        factories.cadre(s, "王老")
        factories.cadre(s, "李老", village="西街村")
        gone = factories.cadre(s, "故去者")
        gone.status = "deceased"

    def run(*argv: str) -> tuple[int, str, str]:
        with clock.frozen_at(D(TODAY)):
            code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def count(model) -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_readmes_volunteer_log_works_after_team_add(cli):
    code, _, err = cli("volunteer", "log", "--team", "宣讲团", "--topic", "反诈宣传", "--hours", "2", "王老")
    assert code == 1 and "no volunteer team '宣讲团' (none yet: `yinhui volunteer team add NAME`)" in err
    code, out, err = cli("volunteer", "team", "add", "培根铸魂宣讲团", "--focus", "政策宣讲")
    assert code == 0, err
    assert "volunteer team #1 培根铸魂宣讲团 created" in out
    code, _, err = cli("volunteer", "team", "add", "培根铸魂宣讲团")
    assert code == 1 and "already a volunteer team called '培根铸魂宣讲团'" in err
    code, out, err = cli("volunteer", "log", "--team", "宣讲团", "--topic", "反诈宣传", "--served", "80", "--hours", "2",
                         "--date", "2026-11-03", "王老", "李老")
    assert code == 0, err
    assert "培根铸魂宣讲团 2026-11-03 反诈宣传, 80 served, 2 volunteer(s) × 2 h = 4 volunteer-hours" in out
    assert count(Contact) == 2


def test_join_list_and_leave(cli):
    cli("volunteer", "team", "add", "培根铸魂宣讲团")
    cli("volunteer", "team", "add", "家门口志愿服务者团队", "--focus", "上门服务")
    code, out, err = cli("volunteer", "team", "join", "宣讲团", "王老", "李老")
    assert code == 0 and "培根铸魂宣讲团: 2 joined, 0 already members" in out, err
    code, out, _ = cli("volunteer", "team", "join", "家门口", "王老")
    assert code == 0 and "1 joined" in out  # 王老 is on two teams now
    code, _, err = cli("volunteer", "team", "join", "宣讲团", "故去者")
    assert code == 1 and "故去者" in err and "is deceased, not active" in err and "Traceback" not in err
    code, _, err = cli("volunteer", "team", "join", "宣讲团")
    assert code == 1 and "name the cadres" in err
    code, _, err = cli("volunteer", "team", "join", "团", "王老")
    assert code == 1 and "2 teams match '团'" in err
    assert count(VolunteerMember) == 3
    code, out, _ = cli("volunteer", "team", "list", "--format", "json")
    rows = {r["team"]: r for r in json.loads(out)}
    assert (rows["培根铸魂宣讲团"]["members"], rows["家门口志愿服务者团队"]["focus"]) == (2, "上门服务")
    code, out, _ = cli("volunteer", "team", "list")
    assert code == 0 and "activities 2026" in out and "上门服务" in out
    code, out, _ = cli("volunteer", "team", "leave", "宣讲团", "李老")
    assert code == 0 and "培根铸魂宣讲团: 1 left" in out
    code, _, err = cli("volunteer", "team", "leave", "宣讲团", "李老")
    assert code == 1 and "李老 (#2) is not on 培根铸魂宣讲团" in err
    assert count(VolunteerMember) == 2
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(VolunteerTeam)).scalar_one() == 2
