"""`yinhui calendar | holidays | node | event`: what an operator types and sees."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.cli import main

D = dt.date.fromisoformat


@pytest.fixture
def cli(database, capsys):
    """Run `yinhui ...` on a database the CLI accepts as set up; returns (code, stdout, stderr)."""
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")

    def run(*argv: str, on: str = "2026-07-01") -> tuple[int, str, str]:
        with clock.frozen_at(D(on)):
            code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _json(cli, *argv: str, on: str = "2026-07-01"):
    code, out, err = cli(*argv, "--format", "json", on=on)
    assert code == 0, err
    return json.loads(out)


def test_calendar_lists_the_year_with_weekdays_days_off_and_festival_windows(cli):
    code, out, err = cli("calendar", "--year", "2026")
    assert code == 0 and err == ""
    spring = next(line for line in out.splitlines() if "spring_festival " in line)
    assert spring.split()[:3] == ["2026-02-17", "周二", "春节"]
    assert "休" in spring and "节日走访 01-27 起，02-14 前完成" in spring
    nodes = {n["key"]: n for n in _json(cli, "calendar", "--year", "2026")["nodes"]}
    assert {k: nodes[k]["date"] for k in ("qingming", "dragon_boat_festival", "double_ninth_festival")} == {
        "qingming": "2026-04-05", "dragon_boat_festival": "2026-06-19", "double_ninth_festival": "2026-10-18",
    }
    assert nodes["arbor_day"]["day_off"] is False and nodes["annual_assessment"]["kind"] == "bureau"


def test_calendar_as_ics_for_calendar_applications(cli, tmp_path):
    target = tmp_path / "nodes.ics"
    code, _, err = cli("calendar", "--year", "2026", "--format", "ics", "--output", str(target))
    assert code == 0 and "written to" in err
    raw = target.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"DTSTART;VALUE=DATE:20261018\r\n" in raw
    assert raw.count(b"BEGIN:VEVENT") == len(_json(cli, "calendar", "--year", "2026")["nodes"])


def test_an_unknown_year_warns_until_the_bureau_enters_it(cli):
    code, _, err = cli("calendar", "--year", "2027")
    assert code == 0 and "yinhui holidays set 2027" in err
    code, out, err = cli("holidays", "set", "2027", "--days-off", "2027-01-01", "2027-02-05..2027-02-11",
                         "--workdays", "2027-02-14")
    assert code == 0 and "8 day(s) off and 1 make-up working day(s)" in out
    code, _, err = cli("calendar", "--year", "2027")
    assert err == ""
    eve = next(n for n in _json(cli, "calendar", "--year", "2027")["nodes"] if n["key"] == "spring_festival_eve")
    assert (eve["date"], eve["day_off"]) == ("2027-02-05", True)  # a Friday, now a day off
    shown = _json(cli, "holidays", "show", "2027")
    assert shown == {"year": 2027, "source": "database", "days_off": ["2027-01-01", "2027-02-05..2027-02-11"],
                     "workdays": ["2027-02-14"]}


def test_a_bad_holiday_entry_is_one_line_and_writes_nothing(cli):
    code, out, err = cli("holidays", "set", "2027", "--days-off", "2027-02-05", "--workdays", "2027-02-15")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "2027-02-15 is a weekday" in err
    assert _json(cli, "holidays", "show", "2027")["source"] == "none"


def test_a_node_added_by_the_bureau_is_on_the_calendar(cli):
    code, out, _ = cli("node", "add", "party_105", "--name", "建党105周年", "--date", "2026-07-01",
                       "--note", "主题党日")
    assert code == 0 and "once" in out
    keys = [n["key"] for n in _json(cli, "calendar", "--year", "2026")["nodes"]]
    assert "party_105" in keys and "party_105" not in [n["key"] for n in _json(cli, "calendar", "--year", "2027")["nodes"]]
    code, _, err = cli("node", "add", "party_105", "--name", "再来", "--date", "07-01")
    assert code == 1 and "already exists" in err
    code, _, err = cli("node", "add", "bad", "--name", "坏", "--date", "7/1")
    assert code == 1 and "is not MM-DD" in err


def _bureau() -> None:
    from models.organisations import VolunteerTeam

    with session_scope() as s:
        factories.small_county(s)
        factories.coordinator(s, "钱干事", "staff")
        s.add(VolunteerTeam(name="家门口志愿服务者团队"))
        factories.cadre(s, "王老")
        factories.cadre(s, "同名", village="东街村")
        factories.cadre(s, "同名", village="西街村")


def test_an_event_is_planned_shown_moved_and_attended(cli):
    _bureau()
    code, out, err = cli("event", "create", "--node", "double_ninth_festival", "--year", "2026",
                         "--template", "themed_event", "--venue", "老干部活动中心",
                         "--team", "家门口志愿服务者团队", "--owner", "staff=钱干事")
    assert code == 0, err
    assert out.startswith("event #1 重阳节主题活动 on 2026-10-18: 8 step(s) planned")
    plan = _json(cli, "event", "show", "1")
    assert (plan["owners"], plan["teams"], plan["venue"]) == (
        {"staff": "钱干事"}, ["家门口志愿服务者团队"], "老干部活动中心")
    assert [(s["at"], s["owner"], s["due"]) for s in plan["steps"]][3:6] == [
        ("T-14", "钱干事", "2026-09-30"), ("T-7", "李局长", "2026-10-10"), ("T0", "钱干事", "2026-10-18"),
    ]
    code, out, _ = cli("event", "show", "1", on="2026-08-25")
    assert code == 0 and "late: plan" in out and "LATE" in out

    code, out, _ = cli("event", "move", "1", "--date", "2026-10-25", on="2026-08-25")
    assert code == 0 and "8 open step(s) moved" in out
    assert _json(cli, "event", "show", "1", on="2026-08-25")["late"] == []  # the plan step is now due 08-26

    code, _, err = cli("event", "attend", "1", "王老", on="2026-10-24")
    assert code == 1 and "attendance can be recorded from that day" in err
    code, out, _ = cli("event", "attend", "1", "王老", on="2026-10-25")
    assert code == 0 and "1 attendance(s) recorded" in out
    code, _, err = cli("event", "attend", "1", "同名", on="2026-10-25")
    assert code == 1 and "2 cadres are called '同名'" in err
    assert "142623" in err and "*" in err  # masked ID numbers only
    assert _json(cli, "event", "list")[0]["attendance"] == 1


def test_event_errors_are_one_line_and_write_nothing(cli):
    _bureau()
    for argv, message in (
        (("--node", "spring_festival", "--year", "2026", "--template", "gala"), "no event template 'gala'"),
        (("--node", "nowhere", "--year", "2026", "--template", "themed_event"), "unknown calendar node"),
        (("--node", "qingming", "--year", "2026", "--template", "themed_event", "--owner", "钱干事"), "ROLE=NAME"),
        (("--node", "qingming", "--year", "2026", "--template", "themed_event"), "cannot be planned in the past"),
    ):
        code, out, err = cli("event", "create", *argv)
        assert (code, out) == (1, "") and err.startswith("yinhui: ") and err.count("\n") == 1, err
        assert message in err
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Task)).scalar_one() == 0
    code, _, err = cli("event", "show", "9")
    assert code == 1 and "no event #9" in err
