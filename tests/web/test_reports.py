"""Must-visit reports (四必访) and event attendance from the page: the chat's services, checks and words."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.web.conftest import bind, csrf_of, post


def _flash(client) -> str:  # noqa: ANN001
    return client.get("/tasks").text.split('role="status">', 1)[1].split("</p>", 1)[0]


def _event(today: dt.date, *, days_ago: int = 1, title: str = "重阳节座谈会") -> int:
    from models.calendar import Event
    from models.db import session_scope

    held = today - dt.timedelta(days=days_ago)
    with session_scope() as s:
        event = Event(node_key="chongyang", year=held.year, template="forum", title=title, node_date=held,
                      held_on=held, created_on=held, created_by="test")
        s.add(event)
        s.flush()
        return event.id


def test_a_hospitalisation_reported_from_the_page_plans_a_must_visit_in_the_coordinators_name(county, browser_client):
    from models.db import session_scope
    from models.tasks import Task

    bind(browser_client, county.village)
    page = browser_client.get("/tasks").text
    assert 'action="/report"' in page and "生病住院" in page
    answer = post(browser_client, "/report", kind="hospitalisation", cadre="甲老", note="县医院心内科")
    assert answer.status_code == 303 and answer.headers["location"] == "/tasks#report"
    said = _flash(browser_client)
    assert said.startswith("已上报：甲老（生病住院），必访任务 #"), said
    with session_scope() as s:
        made = s.get(Task, int(said.rsplit("#", 1)[1]))
        assert (made.kind, made.created_by) == ("must_visit", f"coordinator:{county.village}")


def test_reports_are_refused_in_chinese_and_write_nothing(county, browser_client):
    from models.db import session_scope
    from models.tasks import Task

    bind(browser_client, county.village)
    with session_scope() as s:
        before = len(list(s.execute(select(Task)).scalars()))
    post(browser_client, "/report", kind="hospitalisation", cadre="丙老")  # 王网格's cadre, not theirs
    assert _flash(browser_client) == "在您负责的老干部中没有找到“丙老”。"
    post(browser_client, "/report", kind="hospitalisation", cadre="甲老", on="2026-13-01")
    assert _flash(browser_client) == "未能上报：“2026-13-01”不是有效日期，请写成 2026-11-05 或 11-05。"
    ahead = (county.today + dt.timedelta(days=3)).isoformat()
    post(browser_client, "/report", kind="hospitalisation", cadre="甲老", on=ahead)
    assert _flash(browser_client).startswith(f"未能上报：{ahead} 的住院还没有发生")
    with session_scope() as s:
        assert len(list(s.execute(select(Task)).scalars())) == before


def test_attendance_from_the_page_counts_the_contact(county, browser_client):
    from models.db import session_scope
    from models.tasks import Contact

    event = _event(county.today)
    bind(browser_client, county.village)
    page = browser_client.get("/tasks").text
    assert f'<option value="{event}">#{event} 重阳节座谈会' in page
    post(browser_client, "/attend", event=str(event), cadres="甲老，乙老")
    assert _flash(browser_client) == f"已登记 2 人参加活动 #{event}"
    post(browser_client, "/attend", event=str(event), cadres="甲老")
    assert _flash(browser_client) == f"已登记 0 人参加活动 #{event}（1 人此前已登记）"
    with session_scope() as s:
        assert sorted(c.mode for c in s.execute(select(Contact)).scalars()) == ["event", "event"]


def test_attendance_refusals(county, browser_client):
    from models.calendar import Attendance
    from models.db import session_scope

    event = _event(county.today)
    bind(browser_client, county.village)
    post(browser_client, "/attend", event="999999", cadres="甲老")
    assert _flash(browser_client) == "未能登记：没有活动 #999999（见 `yinhui event list`）"
    post(browser_client, "/attend", event=str(event), cadres="甲老 丙老")  # one of them not theirs: nobody recorded
    assert _flash(browser_client) == "在您负责的老干部中没有找到“丙老”。"
    with session_scope() as s:
        assert not list(s.execute(select(Attendance)).scalars())


def test_a_forged_or_signed_out_report_is_refused(county, browser_client, app):
    from fastapi.testclient import TestClient

    bind(browser_client, county.village)
    token = csrf_of(browser_client.get("/tasks").text)
    forged = browser_client.post("/report", data={"csrf": token + "x", "kind": "hospitalisation", "cadre": "甲老"})
    assert forged.status_code == 403 and "未作任何更改" in forged.text
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as stranger:
        stranger.cookies.set("yinhui_csrf", token)
        answer = stranger.post("/attend", data={"csrf": token, "event": "1", "cadres": "甲老"})
        assert answer.status_code == 303 and answer.headers["location"] == "/bind"
