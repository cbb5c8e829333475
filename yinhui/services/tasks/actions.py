"""Changes to one task at a time, each with its audit event: complete, cover, note, reschedule, move, reassign.

Each is a conditional update (`change_task`): it reads the task, decides (checks the request
against what it read) and writes with ``UPDATE task SET ... WHERE id = :id AND status =
:status_read [AND column = :value_read ...]``. Of two answers to the same task at the same moment
exactly one changes a row; only it goes on to write its audit event and contact, in the same
transaction. The other sees a row count of 0, reads the task again and gets `TaskClosedError`
("already done by 王芳 at ..."), or decides again if the task is still live but moved meanwhile
(an overdue sweep, a new due date).

On PostgreSQL the loser's UPDATE waits for the winner's row lock, then finds the row no longer
matches; on SQLite every transaction begins with the write lock (`models.db`), so the loser
waits and then reads the task already done. Either way no decision is taken on a stale read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.people import Coordinator
from models.tasks import CANCELLED, DONE, LIVE_STATUSES, OPEN, OVERDUE, Contact, Task, TaskEvent
from models.types import id_of, utcnow
from yinhui import clock
from yinhui.i18n import N_
from yinhui.rules.cadence import contact_mode, rules_satisfied_by
from yinhui.rules.playbook import Playbook
from yinhui.rules.retry import UNREACHABLE, AfterUnreachable, after_unreachable
from yinhui.services.errors import TaskClosedError, TaskError
from yinhui.services.tasks.audit import appended_note, record_event
from yinhui.services.tasks.create import create_tasks
from yinhui.services.tasks.limits import (
    allowed_outcomes,
    check_done_on,
    check_note,
    latest_reschedule_day,
)

VIA_RELATIVE = "relative"  # Contact.via: the cadre was reached through a relative
# A live task that keeps moving under a change (open → overdue → open ...) is tried this often.
ATTEMPTS = 5


def actor_name(session: Session, actor: str | None) -> str:
    """Who an actor string stands for, as a person reads it: a coordinator's name, else the actor itself."""
    if not actor:
        return "someone"
    kind, _, ref = actor.partition(":")
    if kind == "coordinator" and ref.isdigit():
        person = session.get(Coordinator, int(ref))
        if person is not None:
            return person.name
    if actor == "cli":
        return "the operator (cli)"
    return actor


def closed_error(session: Session, task: Task) -> TaskClosedError:
    """The refusal for a change to a task that is closed: who closed it, and when (local time)."""
    at = task.closed_at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") if task.closed_at else None
    return TaskClosedError(task.id or 0, task.status, by=actor_name(session, task.closed_by), at=at,
                           outcome=task.outcome)


def read_task(session: Session, task_id: int) -> Task:
    """The task as the database has it now (not as this session last saw it), else ``TaskError``."""
    found = session.execute(
        select(Task).where(col(Task.id) == task_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise TaskError(N_("no task #{task_id}"), task_id=task_id)
    return found


@dataclass(frozen=True)
class Changed:
    """A change that won: the task as it is now, and the columns it had when the change was decided."""

    task: Task
    before: Mapping[str, Any]

    @property
    def from_status(self) -> str:
        return str(self.before["status"])


def change_task(
    session: Session,
    task_id: int,
    *,
    decide: Callable[[Task], Mapping[str, object]],
    leaves: Collection[str] | None = LIVE_STATUSES,
    same: tuple[str, ...] = (),
) -> Changed:
    """Apply the values ``decide`` returns for the task as read, if the task is still as read.

    ``leaves``: the statuses the change may start from (any other raises ``TaskClosedError``;
    None: any status);
    ``decide`` checks the request against the task and raises ``TaskError`` to refuse it;
    ``same``: further columns ``decide`` relied on, which must still hold the values read.
    Nothing is written unless the change wins; the caller then writes its audit event.
    """
    session.flush()
    for _ in range(ATTEMPTS):
        task = read_task(session, task_id)
        if leaves is not None and task.status not in leaves:
            raise closed_error(session, task)
        before = {name: getattr(task, name) for name in ("status", *same)}
        values = decide(task)
        guards = [col(getattr(Task, name)) == value for name, value in before.items()]
        result = session.execute(
            update(Task).where(col(Task.id) == task_id, *guards).values(**values),
            execution_options={"synchronize_session": False},
        )
        if getattr(result, "rowcount", 0) == 1:
            return Changed(read_task(session, task_id), before)
    raise TaskError(N_("task #{task_id} kept changing while this change was made; nothing was changed, try again"),
                    task_id=task_id)


def change_unless_closed(
    session: Session,
    task_id: int,
    *,
    decide: Callable[[Task], Mapping[str, object]],
    actor: str,
    action: str,
    detail: Callable[[Changed], dict[str, object]],
    leaves: Collection[str] | None = LIVE_STATUSES,
    same: tuple[str, ...] = (),
    coordinator_id: int | None = None,
) -> bool:
    """``change_task`` for a change the system makes on its own (an event moved, a pause ended ...):
    audited as ``action`` with ``detail(changed)``; False (nothing changed) when the task was closed
    meanwhile, where a person's request would be refused."""
    try:
        changed = change_task(session, task_id, decide=decide, leaves=leaves, same=same)
    except TaskClosedError:
        return False
    record_event(changed.task, session=session, actor=actor, action=action, from_status=changed.from_status,
                 coordinator_id=coordinator_id, detail=detail(changed))
    return True


def complete_task(
    session: Session,
    task_id: int,
    *,
    outcome: str,
    actor: str,
    on: dt.date,
    playbook: Playbook,
    note: str | None = None,
    today: dt.date | None = None,
    via: str | None = None,
    channel: str | None = None,
) -> Task:
    """Close a task with the coordinator's answer and record the contact it stands for.

    ``channel``: where the answer came from ("web" for the task page), kept in the audit detail.

    ``via="relative"``: the cadre was reached through a relative (亲属接听): a contact that counts
    for the month, marked so (coverage shows it apart); only with the answer "reached".

    ``on`` (the day it was done) runs from the day the task's window opened to ``today`` (the
    clock's, unless given); a ``note`` (up to `MAX_TASK_NOTE` characters) is added to the task's.
    A task already closed raises `TaskClosedError` naming who closed it and when; only the
    answer that closes the task writes the event and the contact.

    An "unreachable" call (再次联系, the playbook's [retry]) does not close the task while attempts
    are left: it stays open, ``attempts`` one more, due again a few days later within its period.
    The last attempt closes it as unreachable and plans the follow-up (a call to the next of kin,
    or a visit). The returned task says which: still live, or closed.
    """
    today = today or clock.today()
    note = check_note(note)
    if via is not None and (via != VIA_RELATIVE or outcome != "reached"):
        raise TaskError(N_("'via {via}' fits only a relative who answered for the cadre (--outcome reached --via relative)"),
                        via=via)
    step: list[AfterUnreachable | None] = [None]
    first_read: list[int] = []  # the attempts counted when this answer was first decided

    def decide(task: Task) -> dict[str, object]:
        if first_read and task.attempts != first_read[0]:  # an unreachable answer went in meanwhile
            raise answered_meanwhile(session, task)
        first_read[:] = [task.attempts]
        allowed = allowed_outcomes(playbook, task)
        if outcome not in allowed:
            raise TaskError(N_("outcome {outcome!r} does not fit a {kind} task; use one of {allowed}"),
                            outcome=outcome, kind=task.kind, allowed=", ".join(allowed))
        check_done_on(task, on, today=today)
        step[0] = _retry_step(playbook, task, on) if outcome == UNREACHABLE else None
        values: dict[str, object]
        if step[0] is not None and step[0].again:
            values = {"status": OPEN, "overdue_since": None, "due": step[0].due, "attempts": step[0].attempt}
        else:
            values = {"status": DONE, "outcome": outcome, "closed_by": actor, "closed_at": utcnow()}
            if step[0] is not None:
                values["attempts"] = step[0].attempt
        if note:
            values["note"] = appended_note(note)
        return values

    changed = change_task(session, task_id, decide=decide, same=("window_opens", "attempts", "due"))
    task = changed.task
    after = step[0]
    if after is not None and after.again:
        record_event(task, session=session, actor=actor, action="retry", from_status=changed.from_status,
                     detail={"outcome": outcome, "on": on.isoformat(), "attempt": after.attempt,
                             "due": after.due.isoformat(), **({"note": note} if note else {}),
                             **({"channel": channel} if channel else {})})
        return task
    detail: dict[str, object] = {"outcome": outcome, "on": on.isoformat(), **({"note": note} if note else {}),
                                 **({"via": via} if via else {}), **({"channel": channel} if channel else {})}
    if after is not None:
        detail["attempt"] = after.attempt
        follow_up = _create_follow_up(session, task, after, actor=actor)
        if follow_up is not None:
            detail["then"] = follow_up
    record_event(task, session=session, actor=actor, action="completed", from_status=changed.from_status,
                 detail=detail)
    mode = contact_mode(playbook, outcome)
    if mode and task.cadre_id is not None:
        record_contact(session=session, cadre_id=task.cadre_id, on=on, mode=mode, actor=actor,
                       playbook=playbook, task_id=task.id, via=via)
    return task


def answered_meanwhile(session: Session, task: Task) -> TaskError:
    """The refusal for an answer that raced an "unreachable" answer to the same task (the task is
    still open, to be tried again): who answered, when, and which attempt it was."""
    last = session.execute(
        select(TaskEvent).where(col(TaskEvent.task_id) == task.id).order_by(col(TaskEvent.id).desc()).limit(1)
    ).scalar_one_or_none()
    by = actor_name(session, last.actor if last else None)
    at = last.at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") if last else "?"
    return TaskError(N_("task #{task_id} was answered meanwhile by {by} at {at} (unreachable, attempt {attempt}); "
                        "nothing was changed"), task_id=task.id, by=by, at=at, attempt=task.attempts)


def _retry_step(playbook: Playbook, task: Task, on: dt.date) -> AfterUnreachable | None:
    """What an unreachable answer to ``task`` on ``on`` leads to (None: the task simply closes)."""
    try:
        playbook.rule(task.rule)
    except KeyError:  # not a cadence task (a follow-up, a must-visit ...): closes as answered
        return None
    return after_unreachable(playbook.retry, kind=task.kind, cadence=True, attempts_so_far=task.attempts, on=on,
                             period_end=latest_reschedule_day(task))


def _create_follow_up(session: Session, task: Task, after: AfterUnreachable, *, actor: str) -> int | None:
    """Plan the follow-up after the last unreachable attempt (same cadre, assignee and period); its id.

    One per cadre and period (the task table's unique key): a second unreachable call in the same
    period finds it already planned and plans nothing.
    """
    if after.then is None or task.cadre_id is None:
        return None
    rule, kind = after.then
    exists_already = session.execute(select(col(Task.id)).where(
        col(Task.rule) == rule, col(Task.subject_id) == task.cadre_id, col(Task.period) == task.period)
    ).scalar_one_or_none()
    if exists_already is not None:
        return None
    create_tasks(session=session, actor=actor, rows=[{
        "kind": kind, "rule": rule, "subject_id": task.cadre_id, "cadre_id": task.cadre_id, "period": task.period,
        "window_opens": min(task.window_opens, after.due), "due": after.due, "priority": task.priority,
        "assignee_id": task.assignee_id,
    }])
    return session.execute(select(col(Task.id)).where(
        col(Task.rule) == rule, col(Task.subject_id) == task.cadre_id, col(Task.period) == task.period)
    ).scalar_one()


def record_contact(
    *,
    session: Session,
    cadre_id: int,
    on: dt.date,
    mode: str,
    actor: str,
    playbook: Playbook,
    task_id: int | None = None,
    via: str | None = None,
) -> list[int]:
    """Record a contact and close the cadence tasks it fulfils; returns the ids closed.

    A task someone closed a moment ago is left as they closed it.
    """
    session.add(Contact(cadre_id=cadre_id, on_date=on, mode=mode, via=via, task_id=task_id, recorded_by=actor))
    closed: list[int] = []
    reason = f"covered by a {mode} on {on.isoformat()}" + (f" (task #{task_id})" if task_id else "")

    def covered(_task: Task) -> dict[str, object]:
        return {"status": DONE, "outcome": "covered", "closed_by": actor, "closed_at": utcnow(),
                "note": appended_note(reason)}

    for rule, period in rules_satisfied_by(playbook, mode, on):
        other_id = session.execute(
            select(col(Task.id)).where(
                col(Task.rule) == rule,
                col(Task.subject_id) == cadre_id,
                col(Task.period) == period,
                col(Task.status).in_(LIVE_STATUSES),
                col(Task.id) != (task_id or -1),
            )
        ).scalar_one_or_none()
        if other_id is None:
            continue
        if change_unless_closed(session, other_id, decide=covered, actor=actor, action="covered",
                                detail=lambda _changed: {"mode": mode, "on": on.isoformat(), "by_task": task_id}):
            closed.append(other_id)
    session.flush()
    return closed


def add_note(session: Session, task_id: int, *, note: str, actor: str, channel: str | None = None) -> Task:
    """Add a line (up to `MAX_TASK_NOTE` characters) to a task's note (any status), recorded in the audit trail."""
    text = check_note(note)
    if text is None:
        raise TaskError(N_("an empty note adds nothing to task #{task_id}; nothing was changed"), task_id=task_id)
    changed = change_task(session, task_id, leaves=None, decide=lambda _task: {"note": appended_note(text)})
    record_event(changed.task, session=session, actor=actor, action="noted", from_status=changed.from_status,
                 detail={"note": text, **({"channel": channel} if channel else {})})
    return changed.task


def reschedule_task(session: Session, task_id: int, *, to: dt.date, actor: str, today: dt.date,
                    channel: str | None = None) -> Task:
    """Move a live task's due date to the day the coordinator picked (recorded in the audit trail)."""

    def decide(task: Task) -> dict[str, object]:
        latest = latest_reschedule_day(task)
        if to < today or to > latest:
            raise TaskError(N_("task #{task_id} can move to a day from {today} to {latest}, not {to}"), task_id=task_id,
                            today=today, latest=latest, to=to)
        values: dict[str, object] = {"due": to}
        if task.status == OVERDUE:
            values.update(status=OPEN, overdue_since=None)
        return values

    changed = change_task(session, task_id, decide=decide, same=("due",))
    record_event(changed.task, session=session, actor=actor, action="rescheduled", from_status=changed.from_status,
                 detail={"from": changed.before["due"].isoformat(), "to": to.isoformat(),
                         **({"channel": channel} if channel else {})})
    session.flush()
    return changed.task


def move_task(
    task: Task, *, session: Session, window_opens: dt.date, due: dt.date, today: dt.date, actor: str,
    detail: dict[str, object],
) -> bool:
    """Give a live task new dates because what it prepares moved (an event step), audited as ``moved``.

    A task already on someone's list stays there (its window never opens later than it did); one
    not yet shown waits for its new window. An overdue task now due today or later is open again,
    its escalation undone: the deadline it missed no longer exists. Returns False (nothing
    changed) when the task was closed meanwhile; ``task`` is brought up to date either way.
    """

    def decide(current: Task) -> dict[str, object]:
        opens = min(current.window_opens, window_opens) if current.window_opens <= today else window_opens
        values: dict[str, object] = {"window_opens": opens, "due": due}
        if current.status == OVERDUE and due >= today:
            values.update(status=OPEN, overdue_since=None, escalation_level=0, escalated_to_id=None, escalated_on=None)
        return values

    return change_unless_closed(
        session, id_of(task), decide=decide, same=("window_opens", "due"), actor=actor, action="moved",
        detail=lambda changed: {**detail, "due_from": changed.before["due"].isoformat(), "due_to": due.isoformat()})


def reassign_task(task: Task, *, session: Session, to: int, reason: str, actor: str) -> bool:
    """Give a live task to coordinator ``to`` (an event step's new owner, a branch's new host, the
    next lecturer in turn), with the reason in the audit trail. Returns False (nothing changed)
    when the task was closed meanwhile; ``task`` is brought up to date either way."""
    return change_unless_closed(session, id_of(task), decide=lambda _task: {"assignee_id": to}, actor=actor,
                                action="reassigned", coordinator_id=to, detail=lambda _changed: {"reason": reason})


def reopen_task(session: Session, task_id: int, *, due: dt.date, actor: str, reason: str) -> bool:
    """Open again a task cancelled for a reason that has gone (a pause that ended), due on ``due``,
    audited as ``reopened``. Returns False (nothing changed) when the task is no longer cancelled."""

    def decide(_task: Task) -> dict[str, object]:
        return {"status": OPEN, "due": due, "outcome": None, "closed_by": None, "closed_at": None,
                "overdue_since": None, "escalation_level": 0, "escalated_to_id": None, "escalated_on": None}

    return change_unless_closed(session, task_id, decide=decide, leaves=(CANCELLED,), actor=actor, action="reopened",
                                detail=lambda _changed: {"reason": reason, "due": due.isoformat()})


def reprioritise_task(task: Task, *, session: Session, priority: int, due: dt.date, actor: str, reason: str) -> bool:
    """Give a live task a new priority and due date (a cadre's circumstances changed: living alone,
    hardship), audited as ``reprioritised``. Returns False (nothing changed) when the task was closed."""

    def decide(current: Task) -> dict[str, object]:
        values: dict[str, object] = {"priority": priority, "due": due}
        if current.status == OVERDUE and due >= clock.today():
            values.update(status=OPEN, overdue_since=None)
        return values

    return change_unless_closed(
        session, id_of(task), decide=decide, same=("priority", "due"), actor=actor, action="reprioritised",
        detail=lambda changed: {"reason": reason, "priority_from": changed.before["priority"], "priority_to": priority,
                                "due_from": changed.before["due"].isoformat(), "due_to": due.isoformat()})
