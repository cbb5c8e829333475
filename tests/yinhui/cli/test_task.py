"""The task commands: `yinhui tasks` (JSON, filters), `complete`, `reschedule` and `yinhui task show`."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.tasks import Task
from tests.roster.sheets import ID_FEMALE_1950, ID_MALE_1938, ID_MALE_1960, write_csv
from tests.yinhui.cli.test_core import STAFF, _roster, _three, run


@pytest.mark.prefect
def test_plan_tasks_json_complete_and_coverage(database, tmp_path, capsys, prefect_harness):
    run(capsys, "import-staff", str(write_csv(tmp_path / "staff.csv", STAFF)))
    run(capsys, "import-roster", _roster(tmp_path, _three("钱干事")))
    code, out, err = run(capsys, "plan", "--date", "2026-11-02", "--no-dispatch")
    assert code == 0, err
    assert "created 6" in out
    code, out, _ = run(capsys, "tasks", "--format", "json")
    tasks = [t for t in json.loads(out) if t["kind"] in ("call", "visit")]  # care tasks: see test_cli_care
    assert len(tasks) == 6
    first = tasks[0]
    assert set(first) >= {"id", "kind", "status", "window_opens", "due", "assignee", "cadre"}
    assert {t["cadre"]["id_number"] for t in tasks} == {ID_MALE_1938, ID_FEMALE_1950, ID_MALE_1960}
    by_name = {(t["cadre"]["name"], t["kind"]): t for t in tasks}
    assert by_name[("李秀英", "call")]["assignee"] == "钱干事"  # named 责任人
    assert by_name[("王建国", "call")]["assignee"] == "王网格"  # township coordinator
    assert by_name[("赵明", "call")]["assignee"] == "李局长"  # nobody covers 河底镇
    assert by_name[("王建国", "call")]["due"] == "2026-11-30"
    visit = by_name[("王建国", "visit")]["id"]
    code, out, _ = run(capsys, "complete", str(visit), "--outcome", "visited", "--date", "2026-11-03")
    assert code == 0 and "done" in out
    code, _, err = run(capsys, "complete", str(visit), "--outcome", "visited")
    assert code == 1 and "already done" in err and "Traceback" not in err
    code, _, err = run(capsys, "complete", str(by_name[("赵明", "visit")]["id"]), "--outcome", "reached")
    assert code == 1 and "visited" in err
    code, out, _ = run(capsys, "tasks", "--status", "done", "--format", "json")
    assert {(t["kind"], t["outcome"]) for t in json.loads(out)} == {("visit", "visited"), ("call", "covered")}
    code, out, _ = run(capsys, "report", "coverage", "--month", "2026-11", "--format", "json")
    report = json.loads(out)
    county = report["grids"][0]
    assert (county["level"], county["cadres"], county["contacted"], county["missed"]) == (1, 3, 1, 2)
    assert {m["name"] for m in report["missed"]} == {"李秀英", "赵明"}
    assert report["uncovered_grids"] == ["河底镇/上村"]
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Task).where(Task.status == "done")).scalar_one() == 2


@pytest.mark.prefect
def test_reschedule_within_the_period_only(database, tmp_path, capsys, prefect_harness, frozen_day):
    run(capsys, "import-staff", str(write_csv(tmp_path / "staff.csv", STAFF)))
    run(capsys, "import-roster", _roster(tmp_path, _three("钱干事")))
    run(capsys, "plan", "--date", "2026-11-02", "--no-dispatch")
    code, out, _ = run(capsys, "tasks", "--format", "json")
    call = next(t for t in json.loads(out) if t["kind"] == "call")
    with frozen_day(dt.date(2026, 11, 5)):
        code, out, err = run(capsys, "reschedule", str(call["id"]), "--to", "2026-11-20")
        assert code == 0, err
        assert "now due 2026-11-20" in out
        code, _, err = run(capsys, "reschedule", str(call["id"]), "--to", "2026-12-02")
        assert code == 1 and "2026-11-30" in err
    code, out, _ = run(capsys, "tasks", "--format", "json")
    assert next(t for t in json.loads(out) if t["id"] == call["id"])["due"] == "2026-11-20"


def _county_with_tasks() -> dict[str, int]:
    """Three cadres in two townships with November's calls and visits; one call tried once already."""
    from tests import factories
    from yinhui.playbook_loader import load_playbook
    from yinhui.rules.cadence import due_cadence
    from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
    from yinhui.services.tasks import complete_task, reschedule_task

    playbook = load_playbook()
    day = dt.date(2026, 11, 2)
    with session_scope() as session:
        people = factories.small_county(session)
        wang = factories.cadre(session, "王建国", village="东街村")
        li = factories.cadre(session, "李秀英", village="西街村")
        zhao = factories.cadre(session, "赵明", township="河底镇", village="上村")
        leader = refresh_grid_owners(session).leader_id
        for due in due_cadence(playbook, day):
            create_cadence_tasks(session, due, day=day, prio=playbook.priority, leader_id=leader, actor="test")
        call = session.execute(select(Task).where(Task.cadre_id == wang.id, Task.kind == "call")).scalar_one()
        complete_task(session, call.id, outcome="unreachable", actor=f"coordinator:{people['village'].id}",
                      on=dt.date(2026, 11, 3), playbook=playbook, today=dt.date(2026, 11, 3), note="家里没人")
        reschedule_task(session, call.id, to=dt.date(2026, 11, 10), actor="cli:operator", today=dt.date(2026, 11, 4))
        return {"wang": wang.id, "li": li.id, "zhao": zhao.id, "call": call.id}


def test_task_show_gives_the_whole_task_and_its_history_with_actors_named(database, capsys):
    ids = _county_with_tasks()
    code, out, err = run(capsys, "task", "show", str(ids["call"]), "--format", "json")
    assert code == 0, err
    task = json.loads(out)
    assert task["cadre"]["name"] == "王建国" and task["cadre"]["grid"] == "城关镇/东街村"
    assert (task["status"], task["attempts"], task["due"], task["window_closes"]) == ("open", 1, "2026-11-10", "2026-11-30")
    assert task["assignee"] == "赵村网格" and task["note"] == "家里没人"
    assert [(e["action"], e["actor"]) for e in task["history"]] == [("retry", "赵村网格"), ("rescheduled", "cli:operator")]
    assert "attempt=1" in task["history"][0]["detail"]
    code, out, _ = run(capsys, "task", "show", str(ids["call"]))
    assert code == 0 and "王建国" in out and "history" in out and "赵村网格" in out and "retry" in out
    code, _, err = run(capsys, "task", "show", "999999")
    assert code == 1 and "no task #999999" in err


def test_tasks_filters_by_cadre_grid_kind_and_due_date(database, capsys):
    ids = _county_with_tasks()

    def listed(*args: str) -> set[tuple[str, str]]:
        code, out, err = run(capsys, "tasks", "--format", "json", *args)
        assert code == 0, err
        return {(t["cadre"]["name"], t["kind"]) for t in json.loads(out)}

    assert listed("--cadre", "王建国") == {("王建国", "call"), ("王建国", "visit")}
    assert listed("--cadre", f"#{ids['li']}", "--kind", "call") == {("李秀英", "call")}
    assert listed("--grid", "城关镇") == {(n, k) for n in ("王建国", "李秀英") for k in ("call", "visit")}
    assert listed("--grid", "城关镇/西街村") == {("李秀英", "call"), ("李秀英", "visit")}
    assert listed("--grid", "老干部局", "--kind", "visit") == {(n, "visit") for n in ("王建国", "李秀英", "赵明")}
    assert listed("--due-before", "2026-11-11") == {("王建国", "call")}
    assert listed("--kind", "festival_visit") == set()
    code, _, err = run(capsys, "tasks", "--grid", "无此镇")
    assert code == 1 and "no grid '无此镇'" in err
    code, _, err = run(capsys, "tasks", "--cadre", "无名氏")
    assert code == 1 and "no cadre called" in err


def test_complete_unreachable_says_when_to_try_again(database, capsys, frozen_day):
    ids = _county_with_tasks()
    with frozen_day(dt.date(2026, 11, 12)):
        code, out, err = run(capsys, "complete", str(ids["call"]), "--outcome", "unreachable")
        assert code == 0, err
        assert out.strip() == f"task #{ids['call']}: attempt 2 unreachable; try again by 2026-11-15"
        code, out, _ = run(capsys, "complete", str(ids["call"]), "--outcome", "unreachable")
        assert out.strip() == f"task #{ids['call']} done (unreachable) on 2026-11-12"
        code, out, _ = run(capsys, "tasks", "--cadre", "王建国", "--kind", "call", "--format", "json")
    (follow_up,) = json.loads(out)
    assert (follow_up["rule"], follow_up["due"]) == ("relative_call", "2026-11-15")
