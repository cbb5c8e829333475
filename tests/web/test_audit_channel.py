"""A change made on the page names the channel "web" in the audit trail, and `yinhui task show` says so."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.web.conftest import bind, post


def _details(task_id: int) -> list[tuple[str, dict]]:
    from models.db import session_scope
    from models.tasks import TaskEvent

    with session_scope() as s:
        return [(e.action, json.loads(e.detail or "{}"))
                for e in s.execute(select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)).scalars()]


def test_answers_notes_and_moves_from_the_page_are_recorded_as_web(county, browser_client, capsys):
    from yinhui.cli import main

    bind(browser_client, county.village)
    post(browser_client, f"/tasks/{county.call}/note", note="上午打过")
    post(browser_client, f"/tasks/{county.call}/answer", outcome="unreachable")
    post(browser_client, f"/tasks/{county.visit}/answer", outcome="visited")
    assert [(action, detail.get("channel")) for action, detail in _details(county.call)] == [
        ("noted", "web"), ("retry", "web")]
    assert [(action, detail.get("channel")) for action, detail in _details(county.visit)] == [("completed", "web")]
    capsys.readouterr()
    assert main(["task", "show", str(county.visit)]) in (0, None)
    shown = capsys.readouterr().out
    history = shown[shown.index("history:"):]
    assert "赵村网格" in history and "completed" in history and "channel=web" in history


def test_the_same_answer_from_the_command_line_names_no_channel(county):
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import complete_task

    with session_scope() as s:
        complete_task(s, county.visit, outcome="visited", actor="cli", on=county.today, playbook=current_playbook())
    [(action, detail)] = _details(county.visit)
    assert action == "completed" and "channel" not in detail
