"""The task service: the only code that creates tasks or changes their state, each change with its audit event.

Create (set-based inserts and single rows), complete, cover, note, reschedule, move, reassign,
cancel, mark overdue, escalate, lapse and hand over. The CLI, the chat bot, the other services and
the flows all come through here, so a change looks the same in the audit trail whoever made it.
`tests/services/test_task_service_is_the_only_writer.py` keeps it that way.

- `create`: every insert into the task table;
- `actions`: one task at a time (an answer, a note, a new date, a new assignee), each a conditional
  update (`change_task`): of two answers at once one wins, the other is told who closed the task when;
- `sweeps`: set-based changes (cancel, overdue, escalate, lapse, reassign);
- `audit`: the events those write; `limits`: what may be done to a task (read only).
"""

from yinhui.services.tasks.actions import (
    actor_name,
    add_note,
    change_task,
    closed_error,
    complete_task,
    move_task,
    reassign_task,
    record_contact,
    reopen_task,
    reprioritise_task,
    reschedule_task,
)
from yinhui.services.tasks.audit import audited_update
from yinhui.services.tasks.create import create_tasks, insert_cadre_tasks, priority_expression
from yinhui.services.tasks.limits import (
    GENERIC_OUTCOMES,
    MAX_TASK_NOTE,
    allowed_outcomes,
    check_done_on,
    check_note,
    latest_reschedule_day,
)
from yinhui.services.tasks.sweeps import (
    cancel_open_tasks,
    cancel_tasks,
    escalate_overdue,
    escalation_schedules,
    lapse_overdue,
    mark_overdue,
    reassign_live_tasks,
    sweep_overdue,
)

__all__ = [
    "GENERIC_OUTCOMES",
    "MAX_TASK_NOTE",
    "actor_name",
    "add_note",
    "allowed_outcomes",
    "audited_update",
    "cancel_open_tasks",
    "cancel_tasks",
    "change_task",
    "closed_error",
    "check_done_on",
    "check_note",
    "complete_task",
    "create_tasks",
    "escalate_overdue",
    "escalation_schedules",
    "insert_cadre_tasks",
    "lapse_overdue",
    "latest_reschedule_day",
    "mark_overdue",
    "move_task",
    "priority_expression",
    "reassign_live_tasks",
    "reassign_task",
    "record_contact",
    "reopen_task",
    "reprioritise_task",
    "reschedule_task",
    "sweep_overdue",
]
