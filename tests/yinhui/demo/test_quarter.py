"""Steps run inline (the demo's simulated days) do exactly what the scheduled daily-plan does."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections import Counter
from pathlib import Path

import pytest
from prefect import flow
from sqlalchemy import select

from models.db import dispose_engines, session_scope
from models.outbox import Notification
from models.tasks import Task, TaskEvent
from tests import factories
from yinhui import clock
from yinhui.settings import reset_settings

pytestmark = pytest.mark.prefect
D = dt.date.fromisoformat
# October's first day (calls, visits, the Double Ninth visits), a quiet day, and a day in November
# when October's calls are late (overdue, escalation) and November's theme party days are planned.
DAYS = [D("2026-10-01"), D("2026-10-02"), D("2026-11-05")]


def _county() -> None:
    with session_scope() as s:
        factories.small_county(s)
        for i in range(3):
            factories.cadre(s, f"东{i}", village="东街村")
        factories.cadre(s, "离休一", village="西街村", category="lixiu", birth=dt.date(1930, 5, 1))
        factories.cadre(s, "独居一", township="河底镇", village="上村", lives_alone=True)


def _state() -> tuple[list[tuple[object, ...]], Counter[str], list[tuple[object, ...]]]:
    """What a day's plan leaves behind: the tasks, their audit events by kind, the outbox."""
    with session_scope() as s:
        tasks = sorted(
            s.execute(select(Task.rule, Task.kind, Task.subject_id, Task.period, Task.window_opens, Task.due,
                             Task.assignee_id, Task.status, Task.escalated_to_id)).all(),
            key=repr,
        )
        events = Counter(s.execute(select(TaskEvent.action)).scalars())
        outbox = sorted(
            s.execute(select(Notification.dedupe_key, Notification.recipient_id, Notification.kind,
                             Notification.status, Notification.body)).all(),
            key=repr,
        )
    return [tuple(t) for t in tasks], events, [tuple(m) for m in outbox]


def _use(database_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINHUI_DATABASE_URL", f"sqlite:///{database_file}")
    reset_settings()
    dispose_engines()


@flow(name="inline-days-under-test")
def _inline_days(days: list[dt.date]) -> list[dict[str, object]]:
    from flows.daily_plan import plan_day
    from flows.steps import inline_steps

    results = []
    for day in days:
        with clock.frozen_at(day), inline_steps():
            results.append(plan_day(day))
    return results


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_inline_days_plan_and_deliver_exactly_what_the_scheduled_flow_does(
    database, prefect_harness, monkeypatch, tmp_path
):
    from flows.daily_plan import daily_plan
    from notifiers import NOTIFIERS
    from notifiers.console import ConsoleNotifier

    printed = io.StringIO()

    class Captured(ConsoleNotifier):
        def __init__(self) -> None:
            super().__init__(stream=printed)

    monkeypatch.setitem(NOTIFIERS, "console", Captured)
    _county()
    scheduled_db = Path(database.removeprefix("sqlite:///"))
    inline_db = tmp_path / "inline.sqlite3"
    dispose_engines()
    shutil.copyfile(scheduled_db, inline_db)

    scheduled = []
    for day in DAYS:
        with clock.frozen_at(day):
            scheduled.append(daily_plan(day))
    scheduled_state, scheduled_text = _state(), printed.getvalue()

    _use(inline_db, monkeypatch)
    printed.seek(0)
    printed.truncate()
    inline = _inline_days(DAYS)
    inline_state, inline_text = _state(), printed.getvalue()

    tasks, events, outbox = scheduled_state
    assert {t[0] for t in tasks} >= {"monthly_call", "quarterly_visit", "service:warmth"}  # the plan did real work
    assert events["escalated"] > 0 and outbox
    assert inline_state == scheduled_state
    assert inline_text == scheduled_text and "工作提醒" in inline_text
    for ours, theirs in zip(inline, scheduled, strict=True):
        assert ours["contact_cadence"] == theirs["contact_cadence"]
        assert ours["calendar_nodes"] == theirs["calendar_nodes"]
        assert ours["care_plan"] == theirs["care_plan"]
        assert ours["dispatch"] == theirs["dispatch"]


def test_run_step_calls_the_function_itself_only_inside_inline_steps(prefect_harness):
    from prefect import task

    from flows.steps import inline_steps, run_step, steps_inline

    @task(name="which-context-under-test")
    def where() -> str:
        from prefect.context import TaskRunContext

        return "own task run" if TaskRunContext.get() else "caller's run"

    @flow(name="run-step-under-test")
    def parent() -> tuple[str, str, bool]:
        separate = run_step(where)
        with inline_steps():
            inline, flag = run_step(where), steps_inline()
        return separate, inline, flag

    assert parent() == ("own task run", "caller's run", True)
    assert not steps_inline()
