"""When a task may be reported done: not in the future, not before its window opens; notes as long as the chat's.

Every refusal is one line naming the day and the allowed range, and writes nothing: no event, no
contact, the task still open. SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pendulum
import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.tasks import Contact, Task, TaskEvent
from tests import factories
from yinhui import clock
from yinhui.playbook_loader import current_playbook
from yinhui.services.errors import TaskClosedError, TaskError
from yinhui.services.planning import refresh_grid_owners
from yinhui.services.tasks import MAX_TASK_NOTE, add_note, complete_task, create_tasks

D = dt.date.fromisoformat
TODAY = D("2026-11-18")


def _call(session, *, opens: dt.date = D("2026-11-01"), due: dt.date = D("2026-11-30")) -> tuple[Task, dict]:
    people = factories.small_county(session)
    cadre = factories.cadre(session, "甲")
    refresh_grid_owners(session)
    create_tasks(session=session, rows=[{
        "kind": "call", "rule": "monthly_call", "subject_id": cadre.id, "cadre_id": cadre.id,
        "period": f"{opens:%Y-%m}", "window_opens": opens, "due": due, "assignee_id": people["village"].id,
    }], actor="test")
    return session.execute(select(Task)).scalar_one(), people


def _nothing_written(session, task_id: int) -> None:
    assert session.get(Task, task_id).status == "open"
    assert session.execute(select(func.count()).select_from(TaskEvent)).scalar_one() == 0
    assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0


def _complete(session, task_id: int, on: dt.date, **extra) -> Task:
    return complete_task(session, task_id, outcome="reached", actor="cli", on=on, playbook=current_playbook(),
                         today=TODAY, **extra)


@pytest.mark.parametrize("on", ["2026-11-19", "2027-05-01", "9999-12-31"])
def test_a_task_cannot_be_done_on_a_day_still_to_come(session, on):
    task, _ = _call(session)
    with pytest.raises(TaskError) as refused:
        _complete(session, task.id, D(on))
    message = str(refused.value)
    assert message == (f"task #{task.id} cannot be done on {on}: the date must be from 2026-11-01 "
                       "(its window opens) to 2026-11-18 (today)")
    _nothing_written(session, task.id)


def test_a_task_cannot_be_done_before_its_window_opens(session):
    task, _ = _call(session)
    with pytest.raises(TaskError, match=r"cannot be done on 2026-10-31: the date must be from 2026-11-01 .* to 2026-11-18"):
        _complete(session, task.id, D("2026-10-31"))
    _nothing_written(session, task.id)


def test_a_task_whose_window_has_not_opened_cannot_be_done_at_all(session):
    task, _ = _call(session, opens=D("2026-12-01"), due=D("2026-12-31"))
    with pytest.raises(TaskError, match=r"opens on 2026-12-01; it cannot be done before then \(not on 2026-11-18\)"):
        _complete(session, task.id, TODAY)
    _nothing_written(session, task.id)


@pytest.mark.parametrize("on", ["2026-11-01", "2026-11-18"])
def test_the_first_day_of_the_window_and_today_are_both_fine(session, on):
    task, _ = _call(session)
    done = _complete(session, task.id, D(on))
    assert (done.status, done.outcome) == ("done", "reached")
    assert session.execute(select(Contact.on_date)).scalars().all() == [D(on)]


def test_today_defaults_to_the_clock_s(session):
    task, _ = _call(session)
    with clock.frozen_at(TODAY):
        with pytest.raises(TaskError, match="to 2026-11-18 \\(today\\)"):
            complete_task(session, task.id, outcome="reached", actor="cli", on=D("2026-11-19"),
                          playbook=current_playbook())
        assert complete_task(session, task.id, outcome="reached", actor="cli", on=TODAY,
                             playbook=current_playbook()).status == "done"


def test_a_note_may_be_as_long_as_the_chat_allows_and_no_longer(session):
    task, _ = _call(session)
    assert MAX_TASK_NOTE == 1000  # the chat bot's limit (notifiers/bot/buttons.py NOTE_LIMIT)
    with pytest.raises(TaskError, match=f"up to {MAX_TASK_NOTE} characters, this one has {MAX_TASK_NOTE + 1}"):
        _complete(session, task.id, TODAY, note="长" * (MAX_TASK_NOTE + 1))
    _nothing_written(session, task.id)
    with pytest.raises(TaskError, match=f"up to {MAX_TASK_NOTE} characters"):
        add_note(session, task.id, note="x" * (MAX_TASK_NOTE + 1), actor="cli")
    _nothing_written(session, task.id)
    add_note(session, task.id, note="家属说下周搬家", actor="cli")
    done = _complete(session, task.id, TODAY, note="长" * MAX_TASK_NOTE)
    assert done.note == "家属说下周搬家\n" + "长" * MAX_TASK_NOTE  # the earlier note is kept


def test_an_empty_note_is_refused(session):
    task, _ = _call(session)
    with pytest.raises(TaskError, match="empty note"):
        add_note(session, task.id, note="   ", actor="cli")


def test_a_second_answer_is_told_who_answered_first_and_when(session):
    task, people = _call(session)
    wang = people["village"]
    with clock.frozen_at(pendulum.datetime(2026, 11, 18, 10, 15, tz=clock.tz())):
        for _attempt in range(current_playbook().retry.attempts):  # tried again until the last attempt closes it
            complete_task(session, task.id, outcome="unreachable", actor=f"coordinator:{wang.id}", on=TODAY,
                          playbook=current_playbook(), today=TODAY)
    with pytest.raises(TaskClosedError) as refused:
        _complete(session, task.id, TODAY)
    assert str(refused.value) == (f"task #{task.id} is already done by {wang.name} at 2026-11-18 10:15 "
                                  "(unreachable); nothing was changed")
    assert (refused.value.by, refused.value.at, refused.value.outcome) == (wang.name, "2026-11-18 10:15", "unreachable")
    # An unreachable cadre was not contacted: nothing for coverage to count.
    assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 0


def test_the_cli_refuses_a_completion_date_in_the_future_in_one_line(database):
    with session_scope() as s:
        task, _ = _call(s, opens=clock.today().replace(day=1), due=clock.today())
        task_id = task.id
    tomorrow = clock.today() + dt.timedelta(days=1)
    run = subprocess.run([str(Path(sys.executable).with_name("yinhui")), "complete", str(task_id), "--outcome",
                          "reached", "--date", tomorrow.isoformat()], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert run.stderr.strip().splitlines() == [
        f"yinhui: task #{task_id} cannot be done on {tomorrow}: the date must be from "
        f"{clock.today().replace(day=1)} (its window opens) to {clock.today()} (today)"
    ]
    with session_scope() as s:
        _nothing_written(s, task_id)
