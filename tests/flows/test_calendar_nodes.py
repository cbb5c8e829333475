"""The calendar-nodes flow under a real Prefect test server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from models.calendar import Event
from models.db import session_scope
from models.outbox import Notification
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui import clock

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat


def _county() -> dict[str, int]:
    with session_scope() as s:
        people = factories.small_county(s)
        factories.coordinator(s, "钱干事", "staff")
        factories.cadre(s, "离休老人", village="东街村", category="lixiu", birth=D("1929-05-01"))
        for i in range(3):
            factories.cadre(s, f"东{i}", village="东街村")
        factories.cadre(s, "上村一", township="河底镇", village="上村")
        return {k: v.id for k, v in people.items()}


def _counts() -> tuple[int, int, int, int]:
    with session_scope() as s:
        return tuple(  # type: ignore[return-value]
            s.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Task, TaskEvent, Notification, Event)
        )


def test_a_festival_day_is_planned_once(database, prefect_harness):
    from flows.calendar_nodes import calendar_nodes

    _county()
    first = calendar_nodes(D("2026-10-01"))
    assert first["festival_visits"] == {"double_ninth_festival 2026": 5}
    assert [e.split(" ", 1)[1] for e in first["events_created"]] == ["重阳节敬老主题活动 2026-10-18"]
    assert first["digests"] >= 2 and first["warnings"] == []
    before = _counts()
    again = calendar_nodes(D("2026-10-01"))
    assert (again["festival_visits_total"], again["events_created"], again["digests"]) == (0, [], 0)
    assert _counts() == before


def test_the_daily_plan_puts_festival_visits_and_event_steps_in_the_one_digest(database, prefect_harness):
    from flows.daily_plan import daily_plan

    people = _county()
    with clock.frozen_at(D("2026-10-01")):
        result = daily_plan(D("2026-10-01"), dispatch=False)
    assert result["calendar_nodes"]["festival_visits_total"] == 5
    with session_scope() as s:
        rows = s.execute(
            select(Notification.recipient_id, Notification.payload).where(Notification.kind == "digest")
        ).all()
    payloads = {recipient: json.loads(payload) for recipient, payload in rows}
    assert len(rows) == len(payloads)  # one digest per coordinator
    village = payloads[people["village"]]
    kinds = [i["kind"] for i in village["items"]]
    assert kinds.index("festival_visit") < kinds.index("visit") < kinds.index("call")
    festival = [i["cadre"] for i in village["items"] if i["kind"] == "festival_visit"]
    assert festival[0] == "离休老人" and len(festival) == 4
    # The event's first steps (compressed: the plan is made late) are on the leader's list.
    leader_kinds = {i["kind"] for i in payloads[people["leader"]]["items"]}
    assert {"event_step", "festival_visit"} <= leader_kinds


def test_a_year_without_an_official_schedule_is_a_visible_warning(database, prefect_harness):
    from flows.calendar_nodes import calendar_nodes

    _county()
    # In December nothing of 2027 is planned yet; from 01-16 Spring Festival 2027 visits are.
    assert calendar_nodes(D("2026-12-01"), write_digests=False)["warnings"] == []
    result = calendar_nodes(D("2027-01-16"), write_digests=False)
    assert result["festival_visits"] == {"spring_festival 2027": 5}
    assert len(result["warnings"]) == 1 and "yinhui holidays set 2027" in result["warnings"][0]
