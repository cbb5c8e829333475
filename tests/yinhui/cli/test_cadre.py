"""`yinhui cadre show | edit | pause | resume`: the cadre's card with its audit trail, edits and pauses."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from models.db import session_scope
from models.people import CadreEvent, Relative
from models.tasks import Contact
from tests import factories
from yinhui.cli import main
from yinhui.playbook_loader import load_playbook
from yinhui.rules.cadence import due_cadence
from yinhui.services.planning import create_cadence_tasks, refresh_grid_owners
from yinhui.services.tasks import complete_task

PLAYBOOK = load_playbook()
D = dt.date.fromisoformat


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _county(frozen_day) -> dict[str, int]:
    """Two cadres in 城关镇/东街村 with November's tasks; 王建国 called once, through his daughter."""
    with session_scope() as session:
        people = factories.small_county(session)
        wang = factories.cadre(session, "王建国", phones="13912345678")
        li = factories.cadre(session, "李秀英")
        session.add(Relative(cadre_id=wang.id, name="王小红", relation="子女", phones="13800000001", next_of_kin=True))
        leader = refresh_grid_owners(session).leader_id
        for due in due_cadence(PLAYBOOK, D("2026-11-02")):
            create_cadence_tasks(session, due, day=D("2026-11-02"), prio=PLAYBOOK.priority, leader_id=leader,
                                 actor="test")
        session.flush()
        visit = session.execute(select(func.min(Contact.id))).scalar()  # none yet
        assert visit is None
        from models.tasks import Task

        call = session.execute(select(Task).where(Task.cadre_id == wang.id, Task.kind == "call")).scalar_one()
        complete_task(session, call.id, outcome="unreachable", actor=f"coordinator:{people['village'].id}",
                      on=D("2026-11-03"), playbook=PLAYBOOK, today=D("2026-11-03"))
        session.add(Contact(cadre_id=wang.id, on_date=D("2026-11-04"), mode="call", via="relative",
                            recorded_by="cli:operator"))
        return {"wang": wang.id, "li": li.id, "call": call.id}


def test_the_card_shows_the_whole_record_and_its_audit_trail(database, capsys, frozen_day):
    ids = _county(frozen_day)
    with frozen_day(D("2026-11-05")):
        code, out, err = run(capsys, "cadre", "edit", "王建国", "--address", "城关镇东街村8号", "--hardship", "yes")
        assert code == 0, err
        assert "changed address, hardship" in out
        code, out, err = run(capsys, "cadre", "show", "王建国", "--format", "json")
    assert code == 0, err
    card = json.loads(out)
    assert card["profile"]["phones"] == ["13912345678"] and card["profile"]["address"] == "城关镇东街村8号"
    assert card["profile"]["hardship"] is True
    assert card["grid"] == "城关镇/东街村" and card["coordinator"] is None and card["answered_by"] == "赵村网格"
    assert card["relatives"] == [{"name": "王小红", "relation": "子女", "phones": ["13800000001"],
                                  "next_of_kin": True, "in_group": False}]
    assert {(t["kind"], t["attempts"]) for t in card["open_tasks"]} == {("call", 1), ("visit", 0)}
    assert [(c["on"], c["mode"], c["via"]) for c in card["contacts"]] == [("2026-11-04", "call", "relative")]
    audit = [(e["action"], e["actor"], e["task_id"]) for e in card["audit"]]
    assert ("edit", "cli:operator", None) in audit and ("retry", "赵村网格", ids["call"]) in audit
    edit = next(e for e in card["audit"] if e["action"] == "edit")
    assert edit["detail"] == "fields=address, hardship"
    with frozen_day(D("2026-11-05")):
        code, out, _ = run(capsys, "cadre", "show", f"#{ids['wang']}")
    assert code == 0
    assert "王小红" in out and "via a relative" in out and "audit trail" in out and "retry" in out


def test_a_bad_edit_is_one_line_and_writes_nothing(database, capsys, frozen_day):
    _county(frozen_day)
    code, _, err = run(capsys, "cadre", "edit", "王建国", "--phone", "12345", "--address", "新地址")
    assert code == 1
    assert err.count("\n") == 1 and "--phone" in err and "nothing was changed" in err
    with session_scope() as session:
        assert session.execute(select(func.count()).select_from(CadreEvent)).scalar_one() == 0
    code, _, err = run(capsys, "cadre", "edit", "无名氏", "--hardship", "no")
    assert code == 1 and "no cadre called" in err


def test_pause_and_resume_from_the_command_line_and_coverage_lists_the_paused(database, capsys, frozen_day):
    _county(frozen_day)
    with frozen_day(D("2026-11-05")):
        code, _, err = run(capsys, "cadre", "pause", "李秀英", "--until", "2026-10-01", "--reason", "异地居住")
        assert code == 1 and "is before --from 2026-11-05" in err and err.count("\n") == 1
        code, out, err = run(capsys, "cadre", "pause", "李秀英", "--until", "2027-02-28", "--reason", "异地居住")
        assert code == 0, err
        assert "paused from 2026-11-05 to 2027-02-28" in out and "2 open task(s) cancelled" in out
        code, out, _ = run(capsys, "report", "coverage", "--month", "2026-11", "--format", "json")
        report = json.loads(out)
        assert report["missed"] == []  # 王建国 was reached through his daughter
        assert [(p["name"], p["reason"]) for p in report["paused"]] == [("李秀英", "暂停联系（异地居住，2026-11-05 至 2027-02-28）")]  # in the bureau's language
        county = report["grids"][0]
        assert (county["cadres"], county["contacted"], county["via_relative"], county["paused"], county["missed"]) == (
            2, 1, 1, 1, 0)
        code, out, _ = run(capsys, "report", "coverage", "--month", "2026-11")
        assert "paused" in out and "李秀英" in out
    with frozen_day(D("2026-11-20")):
        code, out, err = run(capsys, "cadre", "resume", "李秀英")
        assert code == 0, err
        assert "2 task(s) open again" in out
        code, out, _ = run(capsys, "tasks", "--cadre", "李秀英", "--format", "json")
    assert {t["kind"] for t in json.loads(out)} == {"call", "visit"}
