"""What follows a call that ran out of attempts (再次联系): the task planned after it, as the chat tells it.

A selector: the task service plans the follow-up (`yinhui.services.tasks.complete_task`); the bot
reads it back here to tell the coordinator what comes next.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from models.tasks import Task
from yinhui.rules.retry import FOLLOW_UPS


def retry_follow_up(session: Session, task: Task) -> Task | None:
    """The follow-up (a call to the next of kin, or a visit) planned for ``task``'s cadre and period
    after its last unreachable attempt; None when the playbook plans none (``[retry] then = "none"``)."""
    if task.cadre_id is None:
        return None
    return session.execute(
        select(Task).where(
            col(Task.rule).in_([rule for rule, _kind in FOLLOW_UPS.values()]),
            col(Task.subject_id) == task.cadre_id,
            col(Task.period) == task.period,
        ).order_by(col(Task.id)).limit(1)
    ).scalar_one_or_none()
