"""What the coordinator's page shows and does: their list as the digest orders it, and an answer carried out.

The list is the digest's (`collect_digests`, `digest_payload`, `task_line`), cut into overdue /
today / this week / later; an answer goes through the task service with the same checks as a
chat button, in the coordinator's name (actor ``coordinator:ID``, channel "web" in the audit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.people import Coordinator
from models.tasks import LIVE_STATUSES, Task
from yinhui.messages.content import TaskLine
from yinhui.messages.digest import RELATIVE_ANSWER, task_line
from yinhui.messages.texts import kind_label, text
from yinhui.rules.playbook import Playbook
from yinhui.services.chat import task_belongs_to
from yinhui.services.digests import collect_digests, digest_payload
from yinhui.services.errors import DomainError
from yinhui.services.tasks import add_note, complete_task, latest_reschedule_day, reschedule_task
from yinhui.services.tasks.actions import closed_error, read_task
from yinhui.web.texts import t

SECTIONS = ("overdue", "today", "week", "later")
OUTCOMES = ("reached", "unreachable", "visited", RELATIVE_ANSWER)
WEB = "web"  # the channel the audit trail names for a change made on the page


def web_actor(coordinator_id: int) -> str:
    """Who the audit trail names for an answer from the page: the coordinator, as from chat."""
    return f"coordinator:{coordinator_id}"


@dataclass(frozen=True)
class Card:
    """One task on the page: its line (as in the digest), buttons, and the dates it may move to."""

    line: TaskLine
    kind_label: str
    state: str  # the digest's flags, joined
    show_kin: bool
    attempts: int
    opens: dt.date
    latest: dt.date
    answerable: bool


@dataclass
class TaskPage:
    name: str
    language: str
    day: dt.date
    greeting: str
    sections: dict[str, list[Card]] = field(default_factory=dict)
    more: str = ""  # "... and 12 more not listed": the digest lists the most urgent `max_items`


def task_page(session: Session, coordinator: Coordinator, *, today: dt.date, language: str,
              playbook: Playbook) -> TaskPage:
    """The coordinator's live tasks as their digest lists them (the most urgent `max_items`, their
    own and those escalated to them), by section; phones and next of kin included: their own page."""
    horizon = playbook.digest.horizon_days
    digests = collect_digests(session, day=today, horizon_days=horizon, max_items=playbook.digest.max_items,
                              coordinator_ids={coordinator.id or 0}, playbook=playbook)
    page = TaskPage(coordinator.name, language, today, "", {s: [] for s in SECTIONS})
    if not digests:
        return page
    payload = digest_payload(digests[0], language=language, horizon_days=horizon)
    counts = payload["counts"]
    page.greeting = text(language, "digest.greeting", name=coordinator.name, day=today.isoformat(),
                         total=counts["total"], new=counts["new"], overdue=counts["overdue"],
                         due_soon=counts["due_soon"], horizon=horizon)
    if counts.get("more"):
        page.more = text(language, "list.more", more=counts["more"])
    items: list[dict[str, Any]] = payload["items"] + payload["escalated_items"]
    ids = [int(i["task_id"]) for i in items]
    tasks = {task.id: task for task in session.execute(select(Task).where(col(Task.id).in_(ids))).scalars()}
    for item in items:
        task = tasks.get(int(item["task_id"]))
        if task is None:
            continue
        line = task_line(item, language, playbook)
        due = line.due
        section = ("overdue" if item["status"] == "overdue" else "today" if due <= today
                   else "week" if due <= today + dt.timedelta(days=horizon) else "later")
        page.sections[section].append(Card(
            line=line, kind_label=kind_label(str(item["kind"]), language), state=", ".join(line.flags),
            show_kin=bool(line.kin) and task.attempts > 0, attempts=task.attempts, opens=task.window_opens,
            latest=latest_reschedule_day(task), answerable=task.window_opens <= today,
        ))
    return page


class Refused(Exception):
    """An answer the page refuses, with the words to show (already in the reader's language)."""

    def __init__(self, words: str, status: int = 409) -> None:
        super().__init__(words)
        self.words = words
        self.status = status


def _task_of(session: Session, coordinator_id: int, task_id: int, language: str) -> Task:
    """The task, if it is on this coordinator's list; else `Refused` (as if unknown: 404, or 403)."""
    try:
        task = read_task(session, task_id)
    except DomainError:
        raise Refused(t(language, "refused.not_yours"), 404) from None
    if not task_belongs_to(task, coordinator_id):
        raise Refused(t(language, "refused.not_yours"), 403)
    return task


def _live_task_of(session: Session, coordinator_id: int, task_id: int, language: str) -> Task:
    """The task, if it is on this coordinator's list and live; else `Refused` (closed: who closed it)."""
    task = _task_of(session, coordinator_id, task_id, language)
    if task.status not in LIVE_STATUSES:
        raise Refused(closed_error(session, task).render(language))
    return task


def carry_out(session: Session, coordinator_id: int, task_id: int, action: str, form: dict[str, str], *,
              today: dt.date, language: str, playbook: Playbook) -> str:
    """Answer, move or annotate a task from the page; the words saying what was done, else `Refused`."""
    actor = web_actor(coordinator_id)
    if action == "note":  # a note is welcome on a closed task too
        _task_of(session, coordinator_id, task_id, language)
        _serviced(lambda: add_note(session, task_id, note=form.get("note", ""), actor=actor, channel=WEB), language)
        return t(language, "done.noted", task_id=task_id)
    task = _live_task_of(session, coordinator_id, task_id, language)
    if action == "reschedule":
        try:
            to = dt.date.fromisoformat(form.get("to", "").strip())
        except ValueError:
            raise Refused(t(language, "refused.bad_date"), 400) from None
        _serviced(lambda: reschedule_task(session, task_id, to=to, actor=actor, today=today, channel=WEB), language)
        return t(language, "done.recorded", task_id=task_id,
                 state=text(language, "state.rescheduled", date=to.strftime("%m-%d")))
    outcome = form.get("outcome", "")
    line = task_line({"task_id": task_id, "rule": task.rule, "due": task.due.isoformat()}, language, playbook)
    if action != "answer" or outcome not in OUTCOMES or outcome not in line.answers:
        raise Refused(t(language, "refused.generic"), 400)
    if task.window_opens > today:
        raise Refused(t(language, "refused.not_open", date=task.window_opens.strftime("%m-%d")))
    via = "relative" if outcome == RELATIVE_ANSWER else None
    done = _serviced(lambda: complete_task(session, task_id, outcome="reached" if via else outcome, actor=actor,
                                           on=today, playbook=playbook, via=via, channel=WEB), language)
    if done.status in LIVE_STATUSES:  # unreachable, to be tried again
        return t(language, "done.recorded", task_id=task_id, state=text(language, "state.unreachable"))
    return t(language, "done.recorded", task_id=task_id, state=text(language, f"state.{outcome}"))


def _serviced(change: Any, language: str) -> Any:
    """Run a task-service change; a domain error becomes a refusal in the reader's language."""
    try:
        return change()
    except DomainError as exc:
        raise Refused((exc.render(language).splitlines() or [""])[0] or t(language, "refused.generic")) from None
