"""The coordinator's page is kept between changes, and a change from anywhere shows on the next load."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import bind, csrf_of


def test_a_change_made_elsewhere_shows_on_the_next_load(county, browser_client):
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import complete_task

    bind(browser_client, county.village)
    browser_client.get("/tasks")  # shows (and ends) the message of binding
    first = browser_client.get("/tasks").text
    assert browser_client.get("/tasks").text == first  # nothing changed: the same page
    with session_scope() as s:  # the operator, from the command line (another process, as far as the page knows)
        complete_task(s, county.visit, outcome="visited", actor="cli", on=county.today, playbook=current_playbook())
    assert f'id="task-{county.visit}"' in first
    page = browser_client.get("/tasks").text
    assert f'id="task-{county.visit}"' not in page and f'id="task-{county.call}"' in page


def test_a_new_task_shows_at_once(county, browser_client):
    from models.db import session_scope
    from tests import factories
    from yinhui.services.tasks import create_tasks

    bind(browser_client, county.village)
    assert "戊老" not in browser_client.get("/tasks").text
    with session_scope() as s:
        cadre = factories.cadre(s, "戊老", village="东街村")
        create_tasks(session=s, actor="test", rows=[{
            "kind": "call", "rule": "monthly_call", "subject_id": cadre.id, "cadre_id": cadre.id,
            "period": county.today.strftime("%Y-%m"), "window_opens": county.today.replace(day=1),
            "due": county.today, "assignee_id": county.village}])
    assert "戊老" in browser_client.get("/tasks").text


def test_each_browser_gets_its_own_form_token_from_a_kept_page(county, app):
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as phone, \
            TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as desktop:
        bind(phone, county.village)
        bind(desktop, county.village)
        mine, theirs = csrf_of(phone.get("/tasks").text), csrf_of(desktop.get("/tasks").text)
        assert mine == phone.cookies["yinhui_csrf"] and theirs == desktop.cookies["yinhui_csrf"] and mine != theirs
        assert "\x00" not in phone.get("/tasks").text
