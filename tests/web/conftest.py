"""The task page's fixtures: a small county with the day's tasks, a browser-like client, and the shared Chromium."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tests import factories
from tests.support.browser import chromium  # noqa: F401  (the shared session-scoped browser)
from tests.support.robots import robots  # noqa: F401  (the group robots' stand-in: a fixture)

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class WebCounty:
    """Who and what the tests act on (ids; read the rows in a session of their own)."""

    leader: int
    town: int
    village: int
    visit: int  # 甲's visit, 赵村网格's, due today
    call: int  # 乙's call, 赵村网格's, due today; 乙 has a next of kin
    other: int  # 丙's visit, 王网格's (西街村)
    today: dt.date


def build_county(session, today: dt.date) -> WebCounty:  # noqa: ANN001
    """Two townships, three villages, a leader and two grid coordinators; three tasks due today."""
    from sqlalchemy import select

    from models.people import Relative
    from models.tasks import Task
    from yinhui.services.planning import refresh_grid_owners
    from yinhui.services.tasks import create_tasks

    people = factories.small_county(session)
    village, town = people["village"].id, people["town"].id  # type: ignore[attr-defined]
    a = factories.cadre(session, "甲老", village="东街村", phones="13912345678")
    b = factories.cadre(session, "乙老", village="东街村", phones="13800001111")
    c = factories.cadre(session, "丙老", village="西街村", phones="13700002222")
    factories.cadre(session, "丁老", township="河底镇", village="上村")
    session.add(Relative(cadre_id=b.id, name="乙小", relation="子女", phones="13600003333", next_of_kin=True))
    refresh_grid_owners(session)
    month = today.strftime("%Y-%m")
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    rows = [
        {"kind": "visit", "rule": "quarterly_visit", "subject_id": a.id, "cadre_id": a.id, "period": quarter,
         "window_opens": today.replace(day=1), "due": today, "assignee_id": village},
        {"kind": "call", "rule": "monthly_call", "subject_id": b.id, "cadre_id": b.id, "period": month,
         "window_opens": today.replace(day=1), "due": today, "assignee_id": village},
        {"kind": "visit", "rule": "quarterly_visit", "subject_id": c.id, "cadre_id": c.id, "period": quarter,
         "window_opens": today.replace(day=1), "due": today, "assignee_id": town},
    ]
    create_tasks(session=session, rows=rows, actor="test")
    ids = {cadre: task for task, cadre in session.execute(select(Task.id, Task.cadre_id))}
    session.flush()
    return WebCounty(people["leader"].id, town, village, ids[a.id], ids[b.id], ids[c.id], today)  # type: ignore[attr-defined]


@pytest.fixture
def county(database: str) -> WebCounty:
    from models.db import session_scope
    from yinhui import clock

    with session_scope() as session:
        return build_county(session, clock.today())


def invite(coordinator_id: int) -> str:
    from models.db import session_scope
    from yinhui.services.chat import create_invite

    with session_scope() as session:
        return create_invite(session, coordinator_id=coordinator_id)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form token"
    return found.group(1)


@pytest.fixture
def app(database: str):  # noqa: ANN201
    from yinhui.web.app import create_app

    return create_app()


@pytest.fixture
def browser_client(app) -> Iterator[TestClient]:  # noqa: ANN001
    """A client that keeps its cookies, as a browser does (no redirects followed, to see them)."""
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        yield client


def bind(client: TestClient, coordinator_id: int) -> None:
    """Bind the client's browser to the coordinator with a fresh code, as a coordinator would."""
    token = csrf_of(client.get("/bind").text)
    answer = client.post("/bind", data={"csrf": token, "code": invite(coordinator_id)})
    assert answer.status_code == 303 and answer.headers["location"] == "/tasks", answer.text


def post(client: TestClient, path: str, **fields: str):  # noqa: ANN201
    """Submit a form of the coordinator's page with the page's own token."""
    token = csrf_of(client.get("/tasks").text)
    return client.post(path, data={"csrf": token, **fields})
