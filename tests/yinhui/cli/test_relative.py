"""`yinhui relative add | list | remove`, `yinhui complete --via relative`, and `yinhui notice send`."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from models.db import session_scope
from models.outbox import Notification
from models.people import CadreEvent, Relative
from models.tasks import Contact, Task, TaskEvent
from tests import factories
from yinhui import clock
from yinhui.rules.cadence import period_from_key


def run(capsys, *argv: str) -> tuple[int, str, str]:
    from yinhui.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _county() -> int:
    with session_scope() as s:
        factories.small_county(s)
        return factories.cadre(s, "张老", phones="13912345678").id


def _count(model) -> int:  # noqa: ANN001
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_add_list_and_remove_a_relative(database, capsys):
    cadre_id = _county()
    code, out, err = run(capsys, "relative", "add", "张老", "张明", "--relation", "长子", "--phone", "139 1111 2222",
                         "--next-of-kin", "--in-group")
    assert code == 0, err
    assert out.splitlines() == ["张老: relative 张明 (儿子) added", "  张明 is now the next of kin (紧急联系人)"]
    assert run(capsys, "relative", "add", f"#{cadre_id}", "李芳", "--relation", "儿媳")[0] == 0
    code, out, _ = run(capsys, "relative", "list", "张老")
    assert code == 0 and "13911112222" in out  # the operator's own terminal shows the number
    assert out.index("张明") < out.index("李芳") and "(2 relative(s) of 张老)" in out
    listed = json.loads(run(capsys, "relative", "list", "张老", "--format", "json")[1])
    assert listed["relatives"][0] == {"name": "张明", "relation": "儿子", "phones": ["13911112222"], "next_of_kin": True,
                                      "in_group": True, "created_by": "cli:operator"}
    code, out, _ = run(capsys, "relative", "add", "张老", "李芳", "--phone", "13933334444", "--next-of-kin")
    assert out.splitlines()[0] == "张老: relative 李芳 (儿媳) changed: phones, next_of_kin"
    code, out, _ = run(capsys, "relative", "remove", "张老", "李芳")
    assert code == 0 and "has no next of kin now" in out
    with session_scope() as s:
        assert s.execute(select(Relative.name)).scalars().all() == ["张明"]
        trail = s.execute(select(CadreEvent.detail).where(CadreEvent.cadre_id == cadre_id)).scalars().all()
    assert len(trail) == 4 and not any("139" in d or "李芳" in d for d in trail)


def test_refusals_are_one_line_and_write_nothing(database, capsys):
    _county()
    for argv, expected in [
        (("relative", "add", "张老", "张明", "--relation", "邻居"), "relation: unknown relation '邻居'; accepted: 配偶"),
        (("relative", "add", "张老", "张明", "--relation", "子女", "--phone", "1391234"), "phone: "),
        (("relative", "add", "张老", "张明"), "give the relation too"),
        (("relative", "add", "无此人", "张明", "--relation", "子女"), "no cadre called '无此人'"),
        (("relative", "remove", "张老", "张明"), "张老 has no relative called 张明"),
    ]:
        code, out, err = run(capsys, *argv)
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, (argv, err)
        assert expected in err, (argv, err)
        assert "1391234" not in err
    assert _count(Relative) == 0 and _count(CadreEvent) == 0


def test_a_call_answered_by_a_relative_counts_as_the_months_contact(database, capsys):
    from yinhui.services.coverage import coverage

    cadre_id = _county()
    with session_scope() as s:
        task = Task(kind="call", rule="monthly_call", subject_id=cadre_id, cadre_id=cadre_id, period="2026-10",
                    window_opens=clock.today().replace(day=1), due=clock.today(), assignee_id=1)
        s.add(task)
        s.flush()
        task_id, month = task.id, f"{clock.today():%Y-%m}"
    code, _, err = run(capsys, "complete", str(task_id), "--outcome", "unreachable", "--via", "relative")
    assert code == 1 and "fits only a relative who answered" in err
    code, out, err = run(capsys, "complete", str(task_id), "--outcome", "reached", "--via", "relative")
    assert code == 0, err
    with session_scope() as s:
        assert s.execute(select(Contact.via)).scalars().all() == ["relative"]
        report = coverage(s, period_from_key(month))
    assert (report.total.contacted, report.total.via_relative) == (1, 1)
    with session_scope() as s:
        detail = s.execute(select(TaskEvent.detail).where(TaskEvent.task_id == task_id)).scalar_one()
    assert '"via": "relative"' in detail


def test_notice_send_refuses_personal_data_and_needs_a_bound_group(database, capsys):
    _county()
    code, _, err = run(capsys, "notice", "send", "--grid", "城关镇/东街村", "--relatives", "重阳节活动请家属陪同")
    assert code == 1 and "has no bound relatives' group" in err
    code, out, err = run(capsys, "chat", "target", "add", "wecombot://abcdefgh", "--grid", "城关镇/东街村", "--relatives")
    assert code == 0, err
    assert out.startswith("wecom target #1 added for the relatives' group (亲人群) of grid 城关镇/东街村")
    for text, what in (("有事请拨 139 1111 2222", "phone number"), ("张老 142623195003010011", "ID number")):
        code, _, err = run(capsys, "notice", "send", "--grid", "城关镇", "--relatives", text)
        assert code == 1 and f"it holds {what}; nothing was queued" in err and "1111" not in err
    assert _count(Notification) == 0
    code, out, err = run(capsys, "notice", "send", "--grid", "城关镇", "--relatives", "重阳节活动：10 月 29 日上午九点，活动室")
    assert code == 0, err
    assert "notice queued for 1 relatives' group(s) of 城关镇" in out
    # The day's grid notices (counts) never go to a relatives' group.
    assert run(capsys, "chat", "notices")[1].split(": ")[1].startswith("0 grid notice(s)")
    with session_scope() as s:
        [row] = s.execute(select(Notification)).scalars().all()
    assert (row.kind, row.channel, row.body) == ("notice", "wecom", "重阳节活动：10 月 29 日上午九点，活动室")
    assert json.loads(row.payload)["audience"] == "relatives"
    assert "(relatives)" in run(capsys, "chat", "target", "list")[1]


def test_import_roster_reports_the_relatives_and_a_dry_run_lists_them_masked(database, tmp_path, capsys):
    from tests.services.test_roster_relatives import WANG, cadre_rows, workbook

    path = workbook(tmp_path / "r.xlsx", cadre_rows(["王明", "长子", "13900005555", ""], ["", "", "", ""]),
                    [[WANG, "王建国", "张兰", "老伴", "13900006666", "", "是"]])
    code, out, err = run(capsys, "import-roster", str(path), "--dry-run")
    assert code == 0, err
    assert "  「亲属」表第 2 行：王建国的亲属张兰（配偶）：新增" in out.splitlines()  # in the bureau's language
    assert "13900006666" not in out and "dry run: nothing was written" in out
    code, out, err = run(capsys, "import-roster", str(path))
    assert code == 0, err
    assert "  relatives: 2 new, 0 changed, 0 removed" in out.splitlines()
    code, out, _ = run(capsys, "relative", "list", "王建国")
    assert out.index("王明") < out.index("张兰")  # the next of kin first
