"""The coordinator's page (我的任务): the digest's list, and answers through the task service in their name."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web.conftest import bind, post


def _task(task_id):  # noqa: ANN001, ANN202
    from models.db import session_scope
    from models.tasks import Task

    with session_scope() as s:
        return s.get(Task, task_id)


def _events(task_id):  # noqa: ANN001, ANN202
    from models.db import session_scope
    from models.tasks import TaskEvent

    with session_scope() as s:
        return [(e.action, e.actor) for e in s.execute(select(TaskEvent).where(TaskEvent.task_id == task_id)).scalars()]


def test_the_page_lists_the_days_tasks_with_phones_as_links_and_no_id_numbers(county, browser_client):
    from models.db import session_scope
    from models.people import Cadre

    bind(browser_client, county.village)
    page = browser_client.get("/tasks").text
    assert "我的任务" in page and "今天" in page
    assert f'id="task-{county.visit}"' in page and f'id="task-{county.call}"' in page
    assert f'id="task-{county.other}"' not in page and "丙老" not in page  # 王网格's, not theirs
    assert 'href="tel:13912345678"' in page
    # The digest's order: the visit before the call (kind order), buttons in Chinese.
    assert page.index("甲老") < page.index("乙老")
    assert "🏠已走访" in page and "📵未接通" in page and "👪亲属接听" in page
    with session_scope() as s:
        for cadre in s.execute(select(Cadre)).scalars():
            assert cadre.id_number not in page


def test_visited_closes_the_task_in_the_coordinators_name_and_counts_the_contact(county, browser_client):
    from models.db import session_scope
    from models.tasks import Contact

    bind(browser_client, county.village)
    answer = post(browser_client, f"/tasks/{county.visit}/answer", outcome="visited")
    assert answer.status_code == 303 and answer.headers["location"] == f"/tasks#task-{county.visit}"
    page = browser_client.get("/tasks").text
    assert f"任务 #{county.visit}：🏠 已走访" in page and f'id="task-{county.visit}"' not in page
    task = _task(county.visit)
    assert (task.status, task.outcome, task.closed_by) == ("done", "visited", f"coordinator:{county.village}")
    assert ("completed", f"coordinator:{county.village}") in _events(county.visit)
    with session_scope() as s:
        assert [c.mode for c in s.execute(select(Contact)).scalars()] == ["visit"]


def test_a_task_closed_by_someone_else_is_refused_in_chinese_naming_who(county, browser_client):
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import complete_task

    bind(browser_client, county.village)
    token_page = browser_client.get("/tasks").text  # the page as it was before the operator answered
    with session_scope() as s:
        complete_task(s, county.visit, outcome="visited", actor="cli", on=county.today, playbook=current_playbook())
    from tests.web.conftest import csrf_of

    answer = browser_client.post(f"/tasks/{county.visit}/answer", data={"csrf": csrf_of(token_page), "outcome": "visited"})
    assert answer.status_code == 303
    page = browser_client.get("/tasks").text
    assert f"任务 #{county.visit} 已由" in page and "未作任何更改" in page
    assert _task(county.visit).closed_by == "cli"


def test_unreachable_keeps_the_call_open_and_shows_the_next_of_kin(county, browser_client):
    bind(browser_client, county.village)
    before = browser_client.get("/tasks").text
    assert "乙小" not in before  # shown only once the cadre could not be reached
    post(browser_client, f"/tasks/{county.call}/answer", outcome="unreachable")
    task = _task(county.call)
    assert task.attempts == 1 and task.status == "open"
    page = browser_client.get("/tasks").text
    assert "紧急联系人：乙小（子女）" in page and 'href="tel:13600003333"' in page
    assert "已 1 次未接通" in page


def test_reached_through_a_relative_is_recorded_so(county, browser_client):
    from models.db import session_scope
    from models.tasks import Contact

    bind(browser_client, county.village)
    post(browser_client, f"/tasks/{county.call}/answer", outcome="relative")
    assert _task(county.call).outcome == "reached"
    with session_scope() as s:
        assert [c.via for c in s.execute(select(Contact)).scalars()] == ["relative"]


def test_reschedule_and_note(county, browser_client):
    from yinhui.services.tasks import latest_reschedule_day

    bind(browser_client, county.village)
    later = min(county.today + dt.timedelta(days=1), latest_reschedule_day(_task(county.visit)))
    answer = post(browser_client, f"/tasks/{county.visit}/reschedule", to=later.isoformat())
    assert answer.status_code == 303 and _task(county.visit).due == later
    assert ("rescheduled", f"coordinator:{county.village}") in _events(county.visit)
    post(browser_client, f"/tasks/{county.visit}/reschedule", to="2001-01-01")
    assert "只能改到" in browser_client.get("/tasks").text and _task(county.visit).due == later
    post(browser_client, f"/tasks/{county.visit}/note", note="老人住院，下周再去")
    assert "老人住院，下周再去" in (_task(county.visit).note or "")
    assert ("noted", f"coordinator:{county.village}") in _events(county.visit)


def test_another_coordinators_task_can_be_neither_seen_nor_changed(county, browser_client):
    bind(browser_client, county.town)
    assert f'id="task-{county.visit}"' not in browser_client.get("/tasks").text
    for action, fields in (("answer", {"outcome": "visited"}), ("note", {"note": "x"}),
                           ("reschedule", {"to": county.today.isoformat()})):
        refused = post(browser_client, f"/tasks/{county.visit}/{action}", **fields)
        assert refused.status_code == 403 and "这不是您的任务" in refused.text
    task = _task(county.visit)
    assert task.status == "open" and not task.note
    assert _events(county.visit) == []
    assert post(browser_client, "/tasks/999999/answer", outcome="visited").status_code == 404


def test_the_page_lists_as_many_as_the_digest_and_counts_the_rest(county, browser_client):
    from models.db import session_scope
    from tests import factories
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import create_tasks

    limit = current_playbook().digest.max_items
    with session_scope() as s:
        cadres = [factories.cadre(s, f"众{i}老", village="东街村") for i in range(limit)]
        create_tasks(session=s, actor="test", rows=[{
            "kind": "call", "rule": "monthly_call", "subject_id": c.id, "cadre_id": c.id,
            "period": county.today.strftime("%Y-%m"), "window_opens": county.today.replace(day=1),
            "due": county.today, "assignee_id": county.village} for c in cadres])
    bind(browser_client, county.village)
    page = browser_client.get("/tasks").text
    assert page.count('<article class="task') == limit
    assert "……另有 2 项未列出。" in page  # the two tasks beyond the limit are counted, not listed
