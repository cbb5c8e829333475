"""The contact-cadence and daily-plan flows under a real Prefect test server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

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
        for i in range(4):
            factories.cadre(s, f"东{i}", village="东街村")
        factories.cadre(s, "西一", village="西街村")
        factories.cadre(s, "上村一", township="河底镇", village="上村")
        return {k: v.id for k, v in people.items()}


def _counts() -> tuple[int, int, int]:
    with session_scope() as s:
        return (
            s.execute(select(func.count()).select_from(Task)).scalar_one(),
            s.execute(select(func.count()).select_from(TaskEvent)).scalar_one(),
            s.execute(select(func.count()).select_from(Notification)).scalar_one(),
        )


def test_second_run_of_the_same_day_changes_nothing(database, prefect_harness):
    from flows.contact_cadence import contact_cadence

    _county()
    with clock.frozen_at(D("2026-10-01")):
        first = contact_cadence(D("2026-10-01"))
    assert first["created"] == {"monthly_call": 6, "quarterly_visit": 6}
    assert first["digests"] == 3  # village coordinator, township coordinator, leader (上村 has nobody)
    assert first["uncovered_grids"] == 1
    before = _counts()
    with clock.frozen_at(D("2026-10-01")):
        again = contact_cadence(D("2026-10-01"))
    assert again["created_total"] == 0 and again["digests"] == 0
    assert _counts() == before


def test_a_late_month_is_marked_escalated_and_reported_once(database, prefect_harness):
    from flows.contact_cadence import contact_cadence

    people = _county()
    with clock.frozen_at(D("2026-10-01")):
        contact_cadence(D("2026-10-01"))
    with clock.frozen_at(D("2026-11-05")):
        result = contact_cadence(D("2026-11-05"))  # October's calls were due Fri Oct 30
    assert result["overdue"] == 6
    assert result["escalated"] == 6
    with clock.frozen_at(D("2026-11-05")):
        assert contact_cadence(D("2026-11-05"))["escalated"] == 0
    with session_scope() as s:
        targets = dict(
            s.execute(
                select(Task.assignee_id, Task.escalated_to_id).where(Task.rule == "monthly_call", Task.period == "2026-10")
            ).all()
        )
    # The village coordinator's late calls go to the township; the township's go to the leader.
    assert targets[people["village"]] == people["town"]
    assert targets[people["town"]] == people["leader"]


def test_daily_plan_delivers_each_digest_exactly_once(database, prefect_harness, monkeypatch):
    from flows.daily_plan import daily_plan
    from notifiers import NOTIFIERS
    from notifiers.console import ConsoleNotifier

    out = io.StringIO()

    class Captured(ConsoleNotifier):
        def __init__(self) -> None:
            super().__init__(stream=out)

    monkeypatch.setitem(NOTIFIERS, "console", Captured)
    _county()
    with clock.frozen_at(D("2026-10-01")):
        result = daily_plan(D("2026-10-01"))
    assert result["dispatch"]["sent"] == 3
    text = out.getvalue()
    assert text.count("2026-10-01 工作提醒") == 3
    assert "东0" in text and "截止 2026-10-30" in text
    # Nothing pending is sent again.
    with clock.frozen_at(D("2026-10-01")):
        assert daily_plan(D("2026-10-01"))["dispatch"].get("sent", 0) == 0
    assert out.getvalue().count("工作提醒") == 3
    # No ID number or phone in what the console printed.
    assert "13912345678" not in text
    with session_scope() as s:
        ids = s.execute(select(func.count()).select_from(Notification).where(Notification.status == "sent")).scalar_one()
    assert ids == 3
