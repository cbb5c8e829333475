"""`--format xlsx --output FILE` on every report and on `yinhui tasks`: the workbook a leader opens.

Each test reads the written file back with openpyxl and checks what a leader would see: the
sheets, a frozen and styled header, grid levels in separate columns, dates as dates, figures as
numbers, a formula-looking name as text, and no ID numbers outside the operator's task list.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.db import session_scope
from models.people import Cadre
from models.tasks import Task
from tests import factories
from yinhui import clock
from yinhui.cli import main
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence
from yinhui.services.door_services import plan_door_services
from yinhui.services.must_visits import record_occurrence
from yinhui.services.organisations import BranchBook
from yinhui.services.pauses import pause_cadre
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task, record_contact
from yinhui.services.volunteering import add_team, join_team, log_activity

D = dt.date.fromisoformat
TODAY = "2026-11-20"
PLAYBOOK = load_playbook()
FORMULA_NAME = "=HYPERLINK(\"x\")"


@pytest.fixture
def county(database, capsys):
    """A county with tasks, a branch, a team, a must-visit, door services and a formula-looking name."""
    with session_scope() as s:
        factories.small_county(s)
        east = factories.cadre(s, "王老")
        odd = factories.cadre(s, FORMULA_NAME, village="西街村")
        lixiu = factories.cadre(s, "离休老人", category="lixiu", township="河底镇", village="上村",
                                birth=D("1929-05-01"))
        branch = BranchBook(s).branch("城关镇东街党支部")
        east.branch_id = odd.branch_id = branch.id
        leader = refresh_grid_owners(s).leader_id
        for due in due_cadence(PLAYBOOK, D("2026-11-02")):
            create_cadence_tasks(s, due, day=D("2026-11-02"), prio=PLAYBOOK.priority, leader_id=leader, actor="t")
        plan_door_services(s, playbook=PLAYBOOK, day=D("2026-11-02"), shift_due=None, leader_id=leader, actor="t")
        away = factories.cadre(s, "异地老人", township="河底镇", village="上村")
        pause_cadre(s, away, starts=D("2026-11-01"), until=D("2027-02-28"), reason="异地居住", actor="test",
                    today=D("2026-11-01"))
        team = add_team(s, "培根铸魂宣讲团")
        join_team(s, team, [east.id, odd.id], "test")
        log_activity(s, team_id=team.id, held_on=D("2026-11-10"), topic="反诈宣传", people_served=80, hours=2,
                     cadre_ids=[east.id], actor="test", today=D(TODAY), playbook=PLAYBOOK)
        record_occurrence(s, cadre_id=lixiu.id, kind="hospitalisation", on=D("2026-11-12"), actor="test",
                          playbook=PLAYBOOK, today=D("2026-11-12"))
        numbers = {c.name: c.id_number for c in (east, odd, lixiu, away)}
    capsys.readouterr()
    return numbers


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with clock.frozen_at(D(TODAY)):
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def export(capsys, tmp_path, *argv: str):
    target = tmp_path / "-".join(a for a in argv if not a.startswith("-")) / "报表.xlsx"
    target.parent.mkdir()
    code, out, err = run(capsys, *argv, "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    assert out.startswith(f"wrote {target}: ")
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind
    return load_workbook(target)


def values(ws) -> list[list[object]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def header(ws) -> list[object]:
    return values(ws)[0]


def assert_leader_header(ws) -> None:
    assert ws.freeze_panes == "A2"
    assert all(cell.font.bold for cell in ws[1]) and ws.auto_filter.ref.startswith("A1:")
    assert all(ws.column_dimensions[c.column_letter].width >= 6 for c in ws[1])


def all_text(book) -> str:
    return "\n".join(str(v) for ws in book.worksheets for row in values(ws) for v in row if v is not None)


def test_coverage_workbook_has_grid_levels_numbers_and_no_id_numbers(county, capsys, tmp_path):
    book = export(capsys, tmp_path, "report", "coverage", "--month", "2026-11")
    assert book.sheetnames == ["覆盖情况 2026-11", "未联系", "暂停", "无人负责的网格"]
    grids = book["覆盖情况 2026-11"]
    assert_leader_header(grids)
    assert header(grids) == ["级别", "一级网格", "二级网格", "三级网格", "老干部", "已联系", "经亲属联系", "暂停",
                             "未联系", "多次未接通", "联系率"]
    rows = values(grids)[1:]
    assert rows[0][:10] == [1, "老干部局", None, None, 4, 1, 0, 1, 2, 0]  # 王老 volunteered: contacted
    east = next(r for r in rows if r[3] == "东街村")
    assert east[1:10] == ["老干部局", "城关镇", "东街村", 1, 1, 0, 0, 0, 0] and east[10] == 1
    assert grids.cell(row=2, column=11).number_format == "0.0%"
    missed = values(book["未联系"])
    assert missed[0][:4] == ["姓名", "一级网格", "二级网格", "三级网格"]
    names = [r[0] for r in missed[1:]]
    assert values(book["暂停"])[1][:4] == ["异地老人", "老干部局", "河底镇", "上村"]
    assert "'" + FORMULA_NAME in names  # shown as text, never run
    assert all(cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row)
    # the widest CJK cell sets its column's width, counting each character twice
    assert book["未联系"].column_dimensions["A"].width >= len(FORMULA_NAME) + 1
    text = all_text(book)
    assert not any(number in text for number in county.values())


def test_coverage_workbook_counts_via_relative_paused_and_unreachable_as_the_report_does(county, capsys, tmp_path):
    with session_scope() as s:
        odd, lixiu = (s.execute(select(Cadre).where(Cadre.name == name)).scalar_one() for name in (FORMULA_NAME, "离休老人"))
        record_contact(session=s, cadre_id=odd.id, on=D("2026-11-09"), mode="call", actor="test", playbook=PLAYBOOK,
                       via="relative")
        call = s.execute(select(Task).where(Task.cadre_id == lixiu.id, Task.kind == "call")).scalar_one()
        for day in ("2026-11-05", "2026-11-09", "2026-11-13"):
            complete_task(s, call.id, outcome="unreachable", actor="test", on=D(day), playbook=PLAYBOOK, today=D(day))
    code, out, _err = run(capsys, "report", "coverage", "--month", "2026-11", "--format", "json")
    assert code == 0
    report = json.loads(out)
    book = export(capsys, tmp_path, "report", "coverage", "--month", "2026-11")
    rows = values(book["覆盖情况 2026-11"])[1:]
    county_line = report["grids"][0]
    figures = [county_line[k] for k in ("cadres", "contacted", "via_relative", "paused", "missed", "unreachable")]
    assert rows[0][4:10] == figures == [4, 2, 1, 1, 1, 1]
    assert rows[0][10] == pytest.approx(2 / 3)  # the paused cadre is out of the rate
    assert [r[0] for r in values(book["未联系"])[1:]] == ["离休老人"]
    assert values(book["未联系"])[1][5] == "尝试 3 次仍未接通"  # the reason in the workbook's language
    assert [r[0] for r in values(book["暂停"])[1:]] == [m["name"] for m in report["paused"]] == ["异地老人"]


def test_tasks_workbook_is_the_one_with_id_numbers(county, capsys, tmp_path):
    book = export(capsys, tmp_path, "tasks", "--status", "all")
    assert book.sheetnames == ["tasks"]  # the operator's language (en in tests)
    ws = book["tasks"]
    assert_leader_header(ws)
    head = header(ws)
    assert head[:10] == ["id", "kind", "status", "window", "due", "cadre", "ID number", "county grid",
                         "township grid", "village grid"]
    rows = values(ws)[1:]
    call = next(r for r in rows if r[1] == "call" and r[5] == "王老")
    assert isinstance(call[0], int) and call[2] == "done"  # covered by volunteering
    assert call[3] == dt.datetime(2026, 11, 1) and call[4] == dt.datetime(2026, 11, 30)  # real dates
    assert ws.cell(row=2, column=5).number_format == "yyyy-mm-dd"
    assert call[6] == county["王老"] and call[7:10] == ["老干部局", "城关镇", "东街村"]
    assert {r[5] for r in rows if r[5]} >= {"王老", "'" + FORMULA_NAME, "离休老人"}


def test_services_branches_volunteers_and_must_visits_workbooks(county, capsys, tmp_path):
    services = export(capsys, tmp_path, "report", "services", "--period", "2026-11")
    ws = services.worksheets[0]
    assert services.sheetnames == ["六上门 2026-11"] and ws.freeze_panes == "A2"
    head = header(ws)
    assert head[:4] == ["姓名", "一级网格", "二级网格", "三级网格"] and "送学习：已送达" in head and head[-1] == "缺项"
    [row] = values(ws)[1:]
    assert row[:4] == ["离休老人", "老干部局", "河底镇", "上村"]
    assert row[head.index("送学习：已送达")] == 0 and row[head.index("送学习：应送")] == 1

    branches = export(capsys, tmp_path, "report", "branches", "--month", "2026-11")
    rows = values(branches.worksheets[0])
    assert rows[0][:3] == ["党支部", "党员数", "召开日期"]
    assert ["城关镇东街党支部", 2] == rows[1][:2]

    volunteers = export(capsys, tmp_path, "report", "volunteers", "--period", "2026-Q4")
    assert volunteers.sheetnames == ["志愿服务 2026-Q4", "服务主题"]
    assert values(volunteers.worksheets[0])[1] == ["培根铸魂宣讲团", 2, 1, 80, 1, 2]
    assert values(volunteers["服务主题"])[1] == ["培根铸魂宣讲团", "反诈宣传", 1]

    visits = export(capsys, tmp_path, "report", "must-visits", "--period", "2026-11")
    assert visits.sheetnames == ["四必访 2026-11", "事项明细"]
    detail = visits["事项明细"]
    [occurrence] = values(detail)[1:]
    assert occurrence[:4] == ["离休老人", "老干部局", "河底镇", "上村"]
    assert occurrence[header(detail).index("发生日期")] == dt.datetime(2026, 11, 12)
    assert occurrence[header(detail).index("类型")] == "生病住院探望"
    for book in (services, branches, volunteers, visits):
        assert not any(number in all_text(book) for number in county.values())


@pytest.mark.prefect
def test_weekly_workbook(county, capsys, tmp_path, prefect_harness):
    book = export(capsys, tmp_path, "report", "weekly", "--week-of", "2026-11-11")
    ws = book.worksheets[0]
    assert book.sheetnames == ["周报 2026-11-09"] and ws.freeze_panes == "A2"
    figures = dict(values(ws)[1:])
    assert figures["联系次数"] == 1 and isinstance(figures["本月覆盖率（%）"], float)


@pytest.mark.parametrize("argv", [
    ("report", "coverage", "--month", "2026-11"),
    ("report", "volunteers", "--period", "2026-11"),
    ("tasks",),
])
def test_refusals_write_nothing(county, capsys, tmp_path, argv):
    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    code, out, err = run(capsys, *argv, "--format", "xlsx")
    assert code == 1 and err.strip() == "yinhui: --format xlsx needs --output FILE (the workbook to write)"
    code, _, err = run(capsys, *argv, "--format", "xlsx", "--output", str(tmp_path / "nowhere" / "r.xlsx"))
    assert code == 1 and f"no folder {tmp_path / 'nowhere'} for --output" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, *argv, "--format", "xlsx", "--output", str(tmp_path))
    assert code == 1 and "is a folder" in err
    code, _, err = run(capsys, *argv, "--output", str(tmp_path / "r.xlsx"))
    assert code == 1 and "--output is for --format xlsx" in err
    assert list(tmp_path.iterdir()) == []
