"""The operator's CLI end to end: init, imports, coordinators, plan, tasks (JSON), complete, coverage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.people import Cadre
from tests.roster.sheets import (
    ID_FEMALE_1950,
    ID_MALE_1938,
    ID_MALE_1960,
    ROSTER_HEADERS_ZH,
    roster_row,
    write_csv,
)
from yinhui.cli import main

STAFF = [["姓名", "角色", "网格", "电话"], ["李局长", "领导", "", "13900000001"],
         ["王网格", "网格员", "城关镇", "13900000002"], ["钱干事", "工作人员", "", "0359-7012345"]]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _roster(tmp_path: Path, rows, name: str = "roster.csv", encoding: str = "utf-8-sig") -> str:
    return str(write_csv(tmp_path / name, [ROSTER_HEADERS_ZH, *rows], encoding=encoding))


def _three(coordinator: str = "") -> list[list[object]]:
    return [
        roster_row(),
        roster_row(姓名="李秀英", 身份证号=ID_FEMALE_1950, 性别="女", 出生日期="1950年11月20日", 类别="退休",
                   村小区="西街村", 责任人=coordinator),
        roster_row(姓名="赵明", 身份证号=ID_MALE_1960, 出生日期="1960/2/29", 类别="退休",
                   乡镇社区="河底镇", 村小区="上村", 党支部=""),
    ]


def _cadres() -> int:
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(Cadre)).scalar_one()


def test_commands_refuse_a_database_that_was_not_initialised(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("YINHUI_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    code, _, err = run(capsys, "tasks")
    assert code == 1
    assert "yinhui init" in err
    code, out, _ = run(capsys, "init")
    assert code == 0 and "database ready" in out
    assert run(capsys, "tasks")[0] == 0


def test_a_bad_roster_lists_every_bad_row_and_writes_nothing(database, tmp_path, capsys):
    rows = _three()
    rows[0][1] = ID_MALE_1938[:-1] + ("0" if ID_MALE_1938[-1] != "0" else "1")  # wrong check digit
    rows[1][3] = "1950-11-21"  # disagrees with the ID
    rows[2][5] = "12345"  # not a phone
    code, _, err = run(capsys, "import-roster", _roster(tmp_path, rows))
    assert code == 1
    assert "nothing was imported" in err
    assert "第 2 行「身份证号」" in err and "第 3 行「出生日期」" in err and "第 4 行「联系电话」" in err
    assert ID_MALE_1938 not in err
    assert _cadres() == 0


def test_import_gbk_roster_then_reimport_upserts_and_reports_absent(database, tmp_path, capsys):
    assert run(capsys, "import-staff", str(write_csv(tmp_path / "staff.csv", STAFF)))[0] == 0
    code, out, err = run(capsys, "import-roster", _roster(tmp_path, _three("钱干事"), "gbk.csv", "gbk"))
    assert code == 0, err
    assert "3 new" in out
    assert _cadres() == 3
    # Second roster: one cadre's address changed, one died, one is missing from the file.
    changed = _three("钱干事")[:2]
    changed[0][6] = "城关镇东街村5号"
    changed[1][13] = "去世"
    code, out, err = run(capsys, "import-roster", _roster(tmp_path, changed, "second.csv"))
    assert code == 0, err
    assert "0 new, 2 updated" in out or "0 new, 1 updated" in out
    assert "赵明" in out and "not in this file" in out
    assert ID_MALE_1960 not in out  # reported masked
    with session_scope() as s:
        statuses = dict(s.execute(select(Cadre.name, Cadre.status)).all())
    assert statuses == {"王建国": "active", "李秀英": "deceased", "赵明": "active"}


def test_unknown_coordinator_in_the_roster_is_refused_whole(database, tmp_path, capsys):
    code, _, err = run(capsys, "import-roster", _roster(tmp_path, _three("不存在的人")))
    assert code == 1
    assert "第 3 行「责任人」" in err
    assert _cadres() == 0


def test_dry_run_checks_and_writes_nothing(database, tmp_path, capsys):
    code, out, _ = run(capsys, "import-roster", _roster(tmp_path, _three()), "--dry-run")
    assert code == 0 and "would import: 3 new" in out and "dry run" in out
    assert _cadres() == 0


def test_coordinator_add_and_list_json(database, capsys):
    assert run(capsys, "coordinator", "add", "李局长", "--role", "leader")[0] == 0
    code, _, err = run(capsys, "coordinator", "add", "王网格", "--role", "grid", "--grid", "无此镇")
    assert code == 1 and "无此镇" in err
    code, _, err = run(capsys, "coordinator", "add", "钱干事", "--role", "staff", "--phone", "123")
    assert code == 1 and "--phone" in err
    code, out, _ = run(capsys, "coordinator", "list", "--format", "json")
    assert [c["name"] for c in json.loads(out)] == ["李局长"]


@pytest.mark.prefect
def test_a_coordinator_who_leaves_hands_every_live_task_over_at_once(database, tmp_path, capsys, prefect_harness):
    from models.tasks import TaskEvent

    run(capsys, "import-staff", str(write_csv(tmp_path / "staff.csv", STAFF)))
    run(capsys, "import-roster", _roster(tmp_path, _three("钱干事")))
    assert run(capsys, "plan", "--date", "2026-11-02", "--no-dispatch")[0] == 0

    def assignees() -> dict[tuple[str, str], str]:
        out = run(capsys, "tasks", "--format", "json")[1]
        return {(t["cadre"]["name"], t["kind"]): t["assignee"] for t in json.loads(out) if t["kind"] in ("call", "visit")}

    assert assignees()[("李秀英", "call")] == "钱干事"
    code, out, _ = run(capsys, "coordinator", "deactivate", "钱干事")
    assert code == 0 and "2 live task(s)" in out
    after = assignees()
    assert after[("李秀英", "call")] == after[("李秀英", "visit")] == "王网格"  # the township's coordinator now
    with session_scope() as s:
        moves = s.execute(select(TaskEvent.actor).where(TaskEvent.action == "reassigned")).scalars().all()
    assert moves == ["cli:operator", "cli:operator"]
    code, out, _ = run(capsys, "coordinator", "list", "--format", "json")
    assert {c["name"]: c["active"] for c in json.loads(out)} == {"李局长": True, "王网格": True, "钱干事": False}

    # The township's coordinator leaves too: 城关镇's grids are nobody's, their tasks go to the leader.
    code, out, _ = run(capsys, "coordinator", "deactivate", "王网格")
    assert code == 0 and "have no coordinator" in out and "城关镇/东街村" in out
    assert set(assignees().values()) == {"李局长"}
    code, _, err = run(capsys, "coordinator", "deactivate", "李局长")
    assert code == 1 and "only active leader" in err
    code, _, err = run(capsys, "coordinator", "deactivate", "王网格")
    assert code == 1 and "already inactive" in err

    # Nobody plans for someone who left; back again, 钱干事 gets the named cadre's tasks once more.
    assert run(capsys, "plan", "--date", "2026-11-03", "--no-dispatch")[0] == 0
    assert set(assignees().values()) == {"李局长"}
    assert run(capsys, "coordinator", "activate", "钱干事")[0] == 0
    assert assignees()[("李秀英", "call")] == "钱干事"


def test_bad_arguments_are_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["plan", "--date", "2026-13-01"])
    assert exc.value.code == 2
    assert "not a date" in capsys.readouterr().err


def test_the_installed_command_never_prints_a_traceback(tmp_path):
    env = {**os.environ, "YINHUI_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    exe = Path(sys.executable).with_name("yinhui")
    done = subprocess.run([str(exe), "import-roster", str(tmp_path / "missing.xlsx")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
