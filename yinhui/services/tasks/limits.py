"""What may be done to a task (read only): the answers its rule allows, the days it may be done on or move
to, and how long a note may be."""

from __future__ import annotations

import datetime as dt

from models.tasks import Task
from yinhui.i18n import N_
from yinhui.rules.cadence import period_from_key
from yinhui.rules.playbook import Playbook
from yinhui.services.errors import TaskError

GENERIC_OUTCOMES = ("reached", "unreachable", "visited", "declined")
# The longest note one answer may add to a task, whatever the surface (CLI, chat, task page):
# the chat bot's limit, so a note typed anywhere fits wherever it is shown again.
MAX_TASK_NOTE = 1000


def allowed_outcomes(playbook: Playbook, task: Task) -> tuple[str, ...]:
    """The answers a task takes: its cadence rule's, else the generic ones."""
    try:
        return tuple(playbook.rule(task.rule).outcomes)
    except KeyError:
        return GENERIC_OUTCOMES


def latest_reschedule_day(task: Task) -> dt.date:
    """A task may move within its period (a November call stays in November), never past it."""
    try:
        return max(period_from_key(task.period).end, task.due)
    except ValueError:
        return task.due


def check_note(note: str | None) -> str | None:
    """The note to keep (None for an empty one); a note longer than `MAX_TASK_NOTE` is refused."""
    if note is None or not note.strip():
        return None
    if len(note) > MAX_TASK_NOTE:
        raise TaskError(N_("a note may have up to {limit} characters, this one has {length}; nothing was changed"),
                        limit=MAX_TASK_NOTE, length=len(note))
    return note


def check_done_on(task: Task, on: dt.date, *, today: dt.date) -> None:
    """A task is done on a day from its window's opening to today: not in the future, not before it was due to start."""
    if task.window_opens > today:
        raise TaskError(N_("task #{task_id} opens on {opens}; it cannot be done before then (not on {on})"),
                        task_id=task.id, opens=task.window_opens, on=on)
    if on > today or on < task.window_opens:
        raise TaskError(
            N_("task #{task_id} cannot be done on {on}: the date must be from {opens} (its window opens) "
               "to {today} (today)"),
            task_id=task.id, on=on, opens=task.window_opens, today=today,
        )
