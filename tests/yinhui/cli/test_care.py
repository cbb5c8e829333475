"""`yinhui report-event | branch | leave | lecture | volunteer` and the care reports: what an operator types and sees."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.must_visits import Occurrence
from models.organisations import VolunteerTeam
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.cli import main
from yinhui.services.organisations import BranchBook
from yinhui.services.planning import refresh_grid_owners

D = dt.date.fromisoformat
TODAY = "2026-11-05"


@pytest.fixture
def cli(database, capsys):
    """Run `yinhui ...` on a database the CLI accepts as set up; returns (code, stdout, stderr)."""
    from alembic import command

    from models.db import alembic_config, get_engine

    command.stamp(alembic_config(get_engine()), "head")

    def run(*argv: str, on: str = TODAY) -> tuple[int, str, str]:
        with clock.frozen_at(D(on)):
            code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def county(database) -> dict[str, object]:
    with session_scope() as s:
        factories.small_county(s)
        factories.coordinator(s, "钱干事", "staff")
        factories.coordinator(s, "孙干事", "staff")
        branch = BranchBook(s).branch("城关镇东街党支部")
        east = factories.cadre(s, "王老", village="东街村")
        west = factories.cadre(s, "王老", village="西街村")
        lixiu = factories.cadre(s, "离休老人", category="lixiu", birth=D("1929-05-01"))
        for c in (east, west, lixiu):
            c.branch_id = branch.id
        s.add(VolunteerTeam(name="培根铸魂宣讲团"))
        s.flush()
        refresh_grid_owners(s)
        return {"east": east.id, "west": west.id, "east_number": east.id_number, "lixiu": lixiu.id}


def _json(cli, *argv: str, on: str = TODAY):
    code, out, err = cli(*argv, "--format", "json", on=on)
    assert code == 0, err
    return json.loads(out)


def test_report_event_finds_the_cadre_and_plans_the_visit(cli, county):
    code, _, err = cli("report-event", "王老", "住院")
    assert code == 1 and "2 cadres are called '王老'" in err and "--grid" in err and "Traceback" not in err
    assert county["east_number"] not in err  # never an ID number in full
    code, out, err = cli("report-event", "王老", "住院", "--grid", "城关镇/东街村", "--note", "县医院内科")
    assert code == 0, err
    assert "王老 (城关镇/东街村): hospitalisation on 2026-11-05 reported" in out
    assert "生病住院探望 #" in out and "for 赵村网格, due 2026-11-09 (open)" in out
    code, out, _ = cli("report-event", county["east_number"], "hospitalisation")
    assert code == 0 and "already reported" in out
    code, out, _ = cli("report-event", f"#{county['west']}", "wedding", "--date", "2026-12-12")
    assert code == 0 and "family_event (婚事) on 2026-12-12 reported" in out and "due 2026-12-15" in out
    code, _, err = cli("report-event", f"#{county['west']}", "感冒")
    assert code == 1 and "unknown kind '感冒'" in err
    code, out, _ = cli("report-event", f"#{county['east']}", "出院", "--date", "2026-11-08", on="2026-11-08")
    assert code == 0 and "closed on 2026-11-08" in out and "follow-up #" in out and "due 2026-11-11" in out


def test_report_event_death_and_the_must_visit_report(cli, county):
    code, out, err = cli("report-event", f"#{county['east']}", "去世", "--date", "2026-11-04")
    assert code == 0, err
    assert "marked deceased; 0 open task(s) cancelled" in out and "吊唁慰问家属 #" in out
    report = _json(cli, "report", "must-visits", "--period", "2026-11")
    assert report["summary"][0]["kind"] == "death" and report["occurrences"][0]["visit"]["status"] == "open"
    code, out, _ = cli("report", "must-visits", "--period", "2026-11")
    assert code == 0 and "吊唁慰问家属  2026-11-04" in out and "open (due 2026-11-09)" in out
    assert "death" not in out  # the kind's name, not its key
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Occurrence)).scalar_one() == 1


def test_the_must_visit_report_reads_in_the_operators_language(cli, county, monkeypatch):
    from yinhui.i18n import text
    from yinhui.settings import reset_settings

    code, _, err = cli("report-event", f"#{county['east']}", "去世", "--date", "2026-11-04")
    assert code == 0, err
    monkeypatch.setenv("YINHUI_CLI_LANGUAGE", "zh")
    reset_settings()
    try:
        code, out, err = cli("report", "must-visits", "--period", "2026-11")
    finally:
        monkeypatch.delenv("YINHUI_CLI_LANGUAGE")
        reset_settings()
    assert code == 0, err
    header = next(line for line in out.splitlines() if "干部" in line)
    assert all(text("zh", word) in header for word in ("cadre", "grid", "kind", "on", "visit", "by", "follow-ups"))
    waiting = text("zh", "{status} (due {due})", status=text("zh", "open"), due="2026-11-09")
    assert waiting in out and "(due " not in out and "open" not in out


def test_branch_secretary_attendance_and_the_branch_report(cli, county):
    code, out, err = cli("branch", "secretary", "东街", "钱干事")
    assert code == 0 and "城关镇东街党支部: theme party days go to 钱干事" in out, err
    rows = _json(cli, "branch", "list")
    assert rows == [{"branch": "城关镇东街党支部", "members": 3, "host": "钱干事", "host_via": "secretary"}]
    code, out, err = cli("branch", "attend", "东街", "离休老人", f"#{county['west']}", "--month", "2026-11",
                         "--held-on", "2026-11-03")
    assert code == 0, err
    assert "2 attendance(s) recorded, 0 already recorded" in out
    code, _, err = cli("branch", "attend", "东街", "李四", "--month", "2026-11")
    assert code == 1 and "no cadre called '李四'" in err
    report = _json(cli, "report", "branches", "--month", "2026-11")
    row = report["branches"][0]
    assert (row["members"], row["held_on"], row["attended"], row["rate"]) == (3, "2026-11-03", 2, 0.667)
    code, out, _ = cli("report", "branches", "--month", "2026-11")
    assert code == 0 and "1 of 1 branch(es) held" in out and "67%" in out


def test_branch_attend_as_the_readme_writes_it_options_between_the_names(cli, county):
    code, out, err = cli("branch", "attend", "东街", "--month", "2026-11", "离休老人", f"#{county['west']}")
    assert code == 0, err
    assert "城关镇东街党支部 2026-11 theme party day" in out and "2 attendance(s) recorded" in out


def test_leave_and_the_lecture_rota(cli, county):
    code, out, err = cli("leave", "add", "钱干事", "--from", "2026-11-08", "--to", "2026-11-12", "--note", "年休假")
    assert code == 0 and "钱干事 away 2026-11-08..2026-11-12" in out, err
    code, _, err = cli("leave", "add", "钱干事", "--from", "2026-11-10", "--to", "2026-11-20")
    assert code == 1 and "already on leave" in err
    assert [r["coordinator"] for r in _json(cli, "leave", "list")] == ["钱干事"]
    rota = _json(cli, "lecture", "rota", "--date", "2026-11-09")
    assert [(r["coordinator"], r["away"]) for r in rota] == [("钱干事", True), ("孙干事", False)]
    code, out, _ = cli("leave", "remove", "1")
    assert code == 0 and "removed" in out
    assert _json(cli, "leave", "list") == []


def test_volunteer_log_and_report(cli, county):
    code, out, err = cli("volunteer", "log", "离休老人", f"#{county['west']}", "--team", "宣讲团", "--topic", "反诈宣传",
                         "--served", "80", "--hours", "2", "--date", "2026-11-03")
    assert code == 0, err
    assert "培根铸魂宣讲团 2026-11-03 反诈宣传, 80 served, 2 volunteer(s) × 2 h = 4 volunteer-hours" in out
    code, _, err = cli("volunteer", "log", "--team", "宣讲团", "--topic", "反诈宣传", "--hours", "2", "--date", "2026-11-03")
    assert code == 1 and "already logged" in err
    report = _json(cli, "report", "volunteers", "--period", "2026-Q4")
    assert (report["activities"], report["people_served"], report["volunteer_hours"]) == (1, 80, 4.0)
    code, out, _ = cli("report", "volunteers", "--period", "2026-Q4")
    assert code == 0 and "1 activity, 80 people served, 4 volunteer-hours" in out


def test_services_report_marks_what_is_missing(cli, county):
    from yinhui.playbook_loader import load_playbook
    from yinhui.services.door_services import plan_door_services
    from yinhui.services.tasks import complete_task

    playbook = load_playbook()
    with session_scope() as s:
        plan_door_services(s, playbook=playbook, day=D("2026-11-02"), shift_due=None, leader_id=1, actor="test")
        study = s.execute(select(Task).where(Task.rule == "service:study")).scalar_one()
        with clock.frozen_at(D("2026-11-04")):
            complete_task(s, study.id, outcome="visited", actor="test", on=D("2026-11-04"), playbook=playbook)
    report = _json(cli, "report", "services", "--period", "2026-11")
    [row] = report["cadres"]
    assert row["name"] == "离休老人" and row["delivered"] == ["study"]
    assert row["missing"] == ["medical", "comfort", "services", "warmth", "health"]
    code, out, _ = cli("report", "services", "--period", "2026-11", "--missing-only")
    assert code == 0 and "离休老人" in out and "送学习" in out and "✓" in out and "✗" in out
    with pytest.raises(SystemExit) as exc:
        cli("report", "services", "--period", "2026-13")
    assert exc.value.code == 2


def test_the_demo_reports_occurrences_and_shows_how_they_were_handled(county, capsys):
    import io

    from yinhui.demo.people import _report_occurrences
    from yinhui.demo.simulate import _print_care

    lines = []
    for offset in range(10):
        day = D("2026-11-01") + dt.timedelta(days=offset)
        with clock.frozen_at(day):
            lines += _report_occurrences(day, offset, seed=7)
    assert sum("hospitalisation" in line for line in lines) == 3 and any("wedding" in line for line in lines)
    assert any("discharged" in line and "task #" in line for line in lines)  # the call after discharge
    out = io.StringIO()
    _print_care(out, D("2026-11-01"), D("2026-11-10"))
    text = out.getvalue()
    assert "must-visits (四必访)" in text and "生病住院探望" in text and "六上门 2026-Q4" in text
    assert "hospitalisation" not in text  # the kind as the bureau names it, not its key
    assert county["east_number"] not in text
