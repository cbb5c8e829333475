"""Events around calendar nodes (节点活动): planning them with their steps as tasks, moving them, attendance.

An event's steps are rows of the task table (kind ``event_step``, rule ``event:<template>``,
subject and ``event_id`` the event, period the step key), so a step is done, escalated and
reported like any other task.

Who owns a step: each step names a coordinator role (staff, grid or leader). The event's named
owner for that role (``--owner staff=NAME``, or ``owners`` in the playbook) takes it; else the
first active coordinator with that role (lowest id); else the first active leader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select, true
from sqlmodel import Session, col

from models.calendar import Attendance, Event, EventOwner, EventStep, EventTeam
from models.organisations import VolunteerTeam
from models.people import LEADER, ROLES, Coordinator
from models.tasks import DONE, LIVE_STATUSES, Task
from models.types import id_of, table_of
from yinhui.i18n import N_
from yinhui.rules.calendar_nodes import NotInYearError, nodes_for_year
from yinhui.rules.events import (
    EVENT_STEP,
    DatedStep,
    StepSpec,
    date_steps,
    event_rule,
    steps_of,
)
from yinhui.rules.playbook import Playbook
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.cadres import active_cadres
from yinhui.services.calendar import Shifts, bureau_nodes, shifts_for
from yinhui.services.coordinators import find_coordinator
from yinhui.services.errors import CalendarError, CoordinatorError
from yinhui.services.lookup import get_or_raise
from yinhui.services.tasks import (
    cancel_tasks,
    create_tasks,
    move_task,
    reassign_task,
    record_contact,
)

MAX_TITLE = 100
MAX_CANCEL_REASON = 200  # Event.cancel_reason


def _node_in_year(session: Session, playbook: Playbook, key: str, year: int) -> tuple[str, str, dt.date]:
    nodes, _ = bureau_nodes(session, playbook)
    try:
        found = [n for n in nodes_for_year(year, nodes) if n.key == key]
    except ValueError as exc:
        raise CalendarError(N_("the calendar of {year} cannot be worked out: {problem}"), year=year, problem=exc) from None
    if not found:
        known = {n.key for n in nodes_for_year(year, nodes)} | {n.key for n in nodes}
        if key in known:
            raise CalendarError(N_("node {key!r} does not fall in {year}"), key=key, year=year)
        raise CalendarError(N_("unknown calendar node {key!r} (see `yinhui calendar --year {year}`)"), key=key, year=year)
    first = min(found, key=lambda n: n.date)
    return first.name_zh, first.name_en, first.date


def _team_ids(session: Session, names: Iterable[str]) -> list[int]:
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not wanted:
        return []
    known = dict(session.execute(select(col(VolunteerTeam.name), col(VolunteerTeam.id))).all())
    missing = [n for n in wanted if n not in known]
    if missing:
        if not known:
            raise CalendarError(N_("unknown volunteer team {team!r} (known: none yet)"), team=missing[0])
        raise CalendarError(N_("unknown volunteer team {team!r} (known: {known})"), team=missing[0],
                            known="、".join(sorted(known)))
    return [known[n] for n in wanted]


def _owner_ids(session: Session, owners: Mapping[str, str]) -> dict[str, int]:
    resolved: dict[str, int] = {}
    for role, name in owners.items():
        if role not in ROLES:
            raise CalendarError(N_("owner role must be one of {roles} (got {role!r})"), roles=", ".join(ROLES), role=role)
        try:
            coordinator = find_coordinator(session, name)
        except CoordinatorError as exc:
            raise CalendarError(exc.message, **exc.values) from None
        if not coordinator.active:
            raise CalendarError(N_("coordinator {name!r} is no longer active"), name=coordinator.name)
        resolved[role] = id_of(coordinator)
    return resolved


def owner_for(session: Session, event_id: int, role: str) -> int:
    """The coordinator who owns ``role``'s steps of an event (see the module docstring)."""
    named = session.execute(
        select(col(EventOwner.coordinator_id))
        .join(Coordinator, col(Coordinator.id) == col(EventOwner.coordinator_id))
        .where(col(EventOwner.event_id) == event_id, col(EventOwner.role) == role, col(Coordinator.active) == true())
    ).scalar_one_or_none()
    if named is not None:
        return named
    for wanted in (role, LEADER):
        first = session.execute(
            select(col(Coordinator.id))
            .where(col(Coordinator.role) == wanted, col(Coordinator.active) == true())
            .order_by(col(Coordinator.id))
            .limit(1)
        ).scalar_one_or_none()
        if first is not None:
            return first
    raise CalendarError(N_("nobody can own the {role} steps: add an active {role} coordinator or a leader"), role=role)


def event_steps(session: Session, event_id: int) -> list[StepSpec]:
    rows = session.execute(select(EventStep).where(col(EventStep.event_id) == event_id)).scalars()
    return [StepSpec(r.key, r.title_zh, r.title_en, r.at, r.owner_role) for r in rows]


def _plan(event: Event, steps: Sequence[StepSpec], *, shifts: Shifts, today: dt.date) -> list[DatedStep]:
    return date_steps(steps, event.held_on, today=today, shift_before=shifts.before, shift_after=shifts.after)


def create_step_tasks(session: Session, event: Event, *, shifts: Shifts, today: dt.date, actor: str) -> int:
    """A task for every step of the event that has none yet; returns how many were created.

    A cancelled event gets none: its cancelled steps stay cancelled, and no plan brings them back.
    """
    if event.cancelled_on is not None:
        return 0
    rule, event_id = event_rule(event.template), id_of(event)
    have = set(
        session.execute(select(col(Task.period)).where(col(Task.rule) == rule, col(Task.subject_id) == event_id)).scalars()
    )
    owners: dict[str, int] = {}
    rows = []
    for step in _plan(event, event_steps(session, event_id), shifts=shifts, today=today):
        if step.spec.key in have:
            continue
        role = step.spec.owner
        if role not in owners:
            owners[role] = owner_for(session, event_id, role)
        rows.append({"kind": EVENT_STEP, "rule": rule, "subject_id": event_id, "period": step.spec.key,
                     "event_id": event_id, "window_opens": step.window_opens, "due": step.due,
                     "assignee_id": owners[role]})
    return create_tasks(session=session, rows=rows, actor=actor)


def reassign_orphaned_steps(session: Session, *, actor: str) -> int:
    """Give live steps held by a coordinator who is no longer active to the role's owner now.

    Cadre tasks follow their cadre (`reassign_live_tasks`); an event step has no cadre, so it
    follows the owner rule of this module instead. Each move is written to the audit trail.
    """
    rows = session.execute(
        select(Task, col(EventStep.owner_role))
        .join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .join(EventStep, (col(EventStep.event_id) == col(Task.event_id)) & (col(EventStep.key) == col(Task.period)))
        .where(col(Task.kind) == EVENT_STEP, col(Task.status).in_(LIVE_STATUSES), col(Coordinator.active).is_(False))
        .with_for_update(of=Task)
    ).all()
    for task, role in rows:
        reassign_task(task, session=session, to=owner_for(session, task.event_id, role), reason="step owner no longer active",
                      actor=actor)
    session.flush()
    return len(rows)


def find_event(session: Session, node_key: str, year: int, template: str) -> Event | None:
    return session.execute(
        select(Event).where(col(Event.node_key) == node_key, col(Event.year) == year, col(Event.template) == template)
    ).scalar_one_or_none()


def create_event(
    session: Session,
    *,
    node_key: str,
    year: int,
    template: str,
    playbook: Playbook,
    calendar: WorkCalendar,
    today: dt.date,
    actor: str,
    title: str | None = None,
    venue: str | None = None,
    teams: Sequence[str] = (),
    owners: Mapping[str, str] | None = None,
    language: str = "zh",
    exist_ok: bool = False,
) -> tuple[Event, bool]:
    """Plan an event around a node: the event, its steps and a dated task per step.

    Returns (event, created). One event per node, year and template: asking again raises, or
    with ``exist_ok`` returns the existing one untouched.
    """
    try:
        plan = playbook.template(template)
    except KeyError:
        known = ", ".join(t.name for t in playbook.event_templates)
        if not known:
            raise CalendarError(N_("no event template {name!r} in the playbook (known: none)"), name=template) from None
        raise CalendarError(N_("no event template {name!r} in the playbook (known: {known})"), name=template,
                            known=known) from None
    name_zh, name_en, node_day = _node_in_year(session, playbook, node_key, year)
    existing = find_event(session, node_key, year, template)
    if existing is not None:
        if exist_ok:
            return existing, False
        raise CalendarError(
            N_("event #{event_id} already plans {template} for {node} {year} "
               "(see `yinhui event show {event_id}`; move it with `yinhui event move`)"),
            event_id=existing.id, template=template, node=node_key, year=year,
        )
    if node_day < today:
        raise CalendarError(N_("{node} {year} was on {day}; an event cannot be planned in the past"), node=node_key,
                            year=year, day=node_day.isoformat())
    if title is None:
        title = f"{name_en} {plan.title.en}" if language == "en" else f"{name_zh}{plan.title.zh}"
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise CalendarError(N_("an event title needs 1 to {limit} characters"), limit=MAX_TITLE)
    team_ids = _team_ids(session, teams)
    owner_ids = _owner_ids(session, owners or {})
    event = Event(
        node_key=node_key, year=year, template=template, title=title, node_date=node_day, held_on=node_day,
        venue=(venue or "").strip() or None, created_on=today, created_by=actor,
    )
    session.add(event)
    session.flush()
    event_id = id_of(event)
    session.add_all(
        [EventStep(event_id=event_id, key=s.key, title_zh=s.title_zh, title_en=s.title_en, at=s.at,
                   owner_role=s.owner) for s in steps_of(plan)]
        + [EventOwner(event_id=event_id, role=role, coordinator_id=cid) for role, cid in owner_ids.items()]
        + [EventTeam(event_id=event_id, team_id=tid) for tid in team_ids]
    )
    session.flush()
    create_step_tasks(session, event, shifts=shifts_for(playbook, calendar), today=today, actor=actor)
    return event, True


def plan_yearly_events(
    session: Session,
    *,
    playbook: Playbook,
    calendar: WorkCalendar,
    day: dt.date,
    actor: str,
    language: str = "zh",
) -> tuple[list[Event], list[str]]:
    """Create the playbook's yearly events whose creation day has come; returns (created, problems).

    A yearly event that cannot be planned (an unknown team, nobody to own a role) is reported and
    skipped; the others are still planned.
    """
    nodes, _ = bureau_nodes(session, playbook)
    created: list[Event] = []
    problems: list[str] = []
    for yearly in playbook.yearly_events:
        for year in (day.year, day.year + 1):
            try:
                dates = [n.date for n in nodes_for_year(year, nodes) if n.key == yearly.node]
            except (ValueError, NotInYearError):
                continue
            if not dates or not min(dates) - dt.timedelta(days=yearly.create_days_before) <= day <= min(dates):
                continue
            try:
                with session.begin_nested():
                    event, new = create_event(
                        session, node_key=yearly.node, year=year, template=yearly.template,
                        playbook=playbook, calendar=calendar, today=day, actor=actor,
                        title=yearly.title.text(language) if yearly.title else None, venue=yearly.venue,
                        teams=yearly.teams, owners={role: name for role, name in yearly.owners.items()},
                        language=language, exist_ok=True,
                    )
            except CalendarError as exc:
                problems.append(f"yearly event {yearly.node}/{yearly.template} {year}: {exc}")
                continue
            if new:
                created.append(event)
    return created, problems


def _refuse_if_cancelled(event: Event) -> None:
    if event.cancelled_on is not None:
        raise CalendarError(N_("event #{event_id} was cancelled on {day} ({reason})"), event_id=event.id,
                            day=event.cancelled_on.isoformat(), reason=event.cancel_reason or "-")


def cancel_event(session: Session, event_id: int, *, reason: str, today: dt.date, actor: str) -> int:
    """Call the event off: its open steps are cancelled with the reason (audited, through the task
    service), the event keeps the day and the reason; returns how many steps were cancelled.

    An event already held (its event-day step done) or already cancelled is refused; steps already
    done stay done. The yearly planning finds the event still there and plans nothing again.
    """
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_CANCEL_REASON:
        raise CalendarError(N_("the reason for cancelling needs 1 to {limit} characters"), limit=MAX_CANCEL_REASON)
    event = get_event(session, event_id, for_update=True)
    _refuse_if_cancelled(event)
    tasks = _step_tasks(session, event)
    held = [s.key for s in event_steps(session, id_of(event)) if s.at == 0 and s.key in tasks
            and tasks[s.key].status == DONE]
    if held:
        raise CalendarError(N_("event #{event_id} was already held on {day}; it cannot be cancelled"),
                            event_id=event_id, day=event.held_on.isoformat())
    task = table_of(Task)
    cancelled = cancel_tasks(
        session=session, where=[task.c.rule == event_rule(event.template), task.c.subject_id == id_of(event)],
        reason=f"活动取消 (event cancelled): {reason}", actor=actor,
    )
    event.cancelled_on, event.cancel_reason = today, reason
    session.add(event)
    session.flush()
    return cancelled


@dataclass(frozen=True)
class MovedStep:
    key: str
    task_id: int
    old_due: dt.date
    new_due: dt.date


def get_event(session: Session, event_id: int, *, for_update: bool = False) -> Event:
    missing = CalendarError(N_("no event #{event_id} (see `yinhui event list`)"), event_id=event_id)
    return get_or_raise(session, Event, event_id, missing, for_update=for_update)


def _step_tasks(session: Session, event: Event) -> dict[str, Task]:
    rows = session.execute(
        select(Task).where(col(Task.rule) == event_rule(event.template), col(Task.subject_id) == event.id).with_for_update()
    ).scalars()
    return {task.period: task for task in rows}


def move_event(
    session: Session,
    event_id: int,
    new_day: dt.date,
    *,
    playbook: Playbook,
    calendar: WorkCalendar,
    today: dt.date,
    actor: str,
) -> list[MovedStep]:
    """Hold the event on ``new_day``: open steps get new dates, done steps stay done.

    A step that was overdue and is now due today or later is open again, its escalation undone:
    the deadline it missed no longer exists.
    """
    event = get_event(session, event_id, for_update=True)
    _refuse_if_cancelled(event)
    if new_day < today:
        raise CalendarError(N_("cannot move event #{event_id} to {day}, which has passed"), event_id=event_id,
                            day=new_day.isoformat())
    specs = event_steps(session, id_of(event))
    tasks = _step_tasks(session, event)
    held = [s.key for s in specs if s.at == 0 and tasks.get(s.key) is not None and tasks[s.key].status == DONE]
    if held:
        raise CalendarError(N_("event #{event_id} was already held on {day}; it cannot move"), event_id=event_id,
                            day=event.held_on.isoformat())
    if new_day == event.held_on:
        return []
    old_day, event.held_on = event.held_on, new_day
    session.add(event)
    moved = []
    for step in _plan(event, specs, shifts=shifts_for(playbook, calendar), today=today):
        task = tasks.get(step.spec.key)
        if task is None or task.status not in LIVE_STATUSES:
            continue
        old_due = task.due
        move_task(task, session=session, window_opens=step.window_opens, due=step.due, today=today, actor=actor,
                  detail={"event_from": old_day.isoformat(), "event_to": new_day.isoformat()})
        moved.append(MovedStep(step.spec.key, id_of(task), old_due, task.due))
    session.flush()
    return moved


@dataclass
class AttendanceResult:
    added: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    covered_tasks: list[int] = field(default_factory=list)


def record_attendance(
    session: Session,
    event_id: int,
    cadre_ids: Sequence[int],
    *,
    playbook: Playbook,
    today: dt.date,
    actor: str,
) -> AttendanceResult:
    """Record who attended in person; each new attendee's month counts as contacted (mode event)."""
    event = get_event(session, event_id)
    _refuse_if_cancelled(event)
    if today < event.held_on:
        raise CalendarError(
            N_("event #{event_id} is on {day}; attendance can be recorded from that day"), event_id=event_id,
            day=event.held_on.isoformat(),
        )
    wanted = list(dict.fromkeys(cadre_ids))
    active_cadres(session, wanted, CalendarError)
    seen = set(
        session.execute(
            select(col(Attendance.cadre_id)).where(col(Attendance.event_id) == event_id, col(Attendance.cadre_id).in_(wanted))
        ).scalars()
    )
    result = AttendanceResult()
    for cadre_id in wanted:
        if cadre_id in seen:
            result.already.append(cadre_id)
            continue
        session.add(Attendance(event_id=event_id, cadre_id=cadre_id, recorded_by=actor))
        result.covered_tasks += record_contact(
            session=session, cadre_id=cadre_id, on=event.held_on, mode="event", actor=actor, playbook=playbook
        )
        result.added.append(cadre_id)
    session.flush()
    return result
