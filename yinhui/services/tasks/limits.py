"""What may be done to a task (read only): the answers its rule allows, the last day it may move to."""

from __future__ import annotations

import datetime as dt

from models.tasks import Task
from yinhui.rules.cadence import period_from_key
from yinhui.rules.playbook import Playbook

GENERIC_OUTCOMES = ("reached", "unreachable", "visited", "declined")


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
