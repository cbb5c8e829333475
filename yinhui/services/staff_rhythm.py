"""Planning the staff rhythm: leave, the Monday lecture rota (奋进讲堂) and the fortnightly writing group.

Lecture and writing-group tasks are rows of the task table without a cadre (kinds ``lecture`` and
``writing_group``, subject the bureau: the level-1 grid), so they reach the staff in the same
daily digest as everything else. Leave (``yinhui leave add``) is a date range per coordinator;
see ``yinhui.rules.staff_rhythm`` for the rota.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, true
from sqlmodel import Session, col

from models.people import STAFF, Coordinator
from models.staff_rhythm import MAX_LEAVE, StaffLeave
from models.tasks import CANCELLED, LIVE_STATUSES, Task
from models.types import id_of
from yinhui.i18n import N_
from yinhui.rules.playbook import Playbook
from yinhui.rules.staff_rhythm import (
    LECTURE,
    LECTURE_RULE,
    WRITING_GROUP,
    WRITING_GROUP_RULE,
    lecture_days,
    lecture_window,
    next_lecturer,
    writing_meetings,
)
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.calendar import shifts_for
from yinhui.services.errors import CareError
from yinhui.services.lookup import get_or_raise
from yinhui.services.planning import bureau_subject
from yinhui.services.tasks import create_tasks, reassign_task


def add_leave(
    session: Session, coordinator: Coordinator, *, starts_on: dt.date, ends_on: dt.date, note: str | None, actor: str
) -> StaffLeave:
    """Record leave; it may not overlap the same person's other leave."""
    if ends_on < starts_on:
        raise CareError(N_("leave cannot end ({ends}) before it starts ({starts})"), ends=ends_on.isoformat(),
                        starts=starts_on.isoformat())
    if ends_on - starts_on > MAX_LEAVE:
        raise CareError(N_("leave longer than a year: deactivate the coordinator instead"))
    text = (note or "").strip() or None
    if text is not None and len(text) > 200:
        raise CareError(N_("a leave note may have up to {limit} characters"), limit=200)
    clash = session.execute(
        select(StaffLeave).where(col(StaffLeave.coordinator_id) == coordinator.id, col(StaffLeave.starts_on) <= ends_on,
                                 col(StaffLeave.ends_on) >= starts_on)
    ).scalars().first()
    if clash is not None:
        raise CareError(N_("{name} is already on leave {starts}..{ends} (#{leave_id}); remove it first to change it"),
                        name=coordinator.name, starts=clash.starts_on.isoformat(), ends=clash.ends_on.isoformat(),
                        leave_id=clash.id)
    leave = StaffLeave(coordinator_id=id_of(coordinator), starts_on=starts_on, ends_on=ends_on, note=text, created_by=actor)
    session.add(leave)
    session.flush()
    return leave


def remove_leave(session: Session, leave_id: int) -> StaffLeave:
    missing = CareError(N_("no leave #{leave_id} (see `yinhui leave list`)"), leave_id=leave_id)
    leave = get_or_raise(session, StaffLeave, leave_id, missing)
    session.delete(leave)
    session.flush()
    return leave


def list_leave(session: Session, *, since: dt.date | None = None) -> list[dict[str, Any]]:
    query = select(StaffLeave, col(Coordinator.name)).join(Coordinator, col(Coordinator.id) == col(StaffLeave.coordinator_id))
    if since is not None:
        query = query.where(col(StaffLeave.ends_on) >= since)
    return [
        {"id": leave.id, "coordinator": name, "from": leave.starts_on.isoformat(), "to": leave.ends_on.isoformat(),
         "note": leave.note}
        for leave, name in session.execute(query.order_by(col(StaffLeave.starts_on), col(StaffLeave.id)))
    ]


def away_on(session: Session, day: dt.date) -> set[int]:
    """Coordinators on leave on ``day``."""
    return set(session.execute(
        select(col(StaffLeave.coordinator_id)).where(col(StaffLeave.starts_on) <= day, col(StaffLeave.ends_on) >= day)
    ).scalars())


def _candidates(session: Session, roles: list[str]) -> list[int]:
    return list(session.execute(
        select(col(Coordinator.id)).where(col(Coordinator.role).in_(roles), col(Coordinator.active) == true()).order_by(col(Coordinator.id))
    ).scalars())


def last_lectures(session: Session) -> dict[int, dt.date]:
    """Each coordinator's latest lecture day given (or planned), cancelled ones aside."""
    rows = session.execute(
        select(col(Task.assignee_id), func.max(col(Task.period)))
        .where(col(Task.rule) == LECTURE_RULE, col(Task.status) != CANCELLED)
        .group_by(col(Task.assignee_id))
    ).all()
    return {cid: dt.date.fromisoformat(day) for cid, day in rows}


@dataclass
class StaffPlan:
    lectures: list[tuple[dt.date, int]] = field(default_factory=list)
    reassigned: list[tuple[dt.date, int]] = field(default_factory=list)
    writing: list[tuple[dt.date, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan_lectures(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date, actor: str, plan: StaffPlan
) -> None:
    """The lecture of each coming lecture day (reminder a week ahead), in turn; none on a day off."""
    lecture = playbook.staff_rhythm.lecture
    subject = bureau_subject(session)
    have = set(session.execute(select(col(Task.period)).where(col(Task.rule) == LECTURE_RULE, col(Task.subject_id) == subject)).scalars())
    candidates = _candidates(session, list(lecture.roles))
    last = last_lectures(session)
    rows = []
    for lecture_day in lecture_days(lecture, day):
        if lecture_day.isoformat() in have or calendar.is_day_off(lecture_day):
            continue
        chosen = next_lecturer(candidates, last, away_on(session, lecture_day))
        if chosen is None:
            plan.warnings.append(f"nobody can give the {lecture_day.isoformat()} lecture: every {'/'.join(lecture.roles)} "
                                 "coordinator is on leave or none is active")
            continue
        opens, due = lecture_window(lecture, lecture_day, day)
        rows.append({"kind": LECTURE, "rule": LECTURE_RULE, "subject_id": subject, "period": lecture_day.isoformat(),
                     "window_opens": opens, "due": due, "priority": playbook.priority.default, "assignee_id": chosen})
        last[chosen] = lecture_day
        plan.lectures.append((lecture_day, chosen))
    create_tasks(session=session, rows=rows, actor=actor)


def reassign_lectures(session: Session, *, playbook: Playbook, day: dt.date, actor: str, plan: StaffPlan) -> None:
    """A coming lecture whose lecturer is now on leave (or gone) passes to the next in turn.

    The one on leave keeps their turn: the lecture is no longer theirs, so they have still not
    lectured, and come first again when back.
    """
    lecture = playbook.staff_rhythm.lecture
    tasks = session.execute(
        select(Task).join(Coordinator, col(Coordinator.id) == col(Task.assignee_id))
        .where(col(Task.rule) == LECTURE_RULE, col(Task.status).in_(LIVE_STATUSES), col(Task.due) >= day)
        .order_by(col(Task.due)).with_for_update(of=Task)
    ).scalars().all()
    if not tasks:
        return
    candidates = _candidates(session, list(lecture.roles))
    last = last_lectures(session)
    for task in tasks:
        away = away_on(session, task.due)
        if task.assignee_id in candidates and task.assignee_id not in away:
            continue
        chosen = next_lecturer([c for c in candidates if c != task.assignee_id], last, away)
        if chosen is None:
            plan.warnings.append(f"the {task.period} lecture's speaker is away and nobody else can give it")
            continue
        reason = "on leave" if task.assignee_id in away else "no longer active"
        reassign_task(task, session=session, to=chosen, reason=f"speaker {reason}; next in turn", actor=actor)
        last[chosen] = task.due
        plan.reassigned.append((task.due, chosen))
    session.flush()


def lecture_rota(session: Session, *, playbook: Playbook, on: dt.date) -> list[dict[str, Any]]:
    """Who is next in turn for a lecture on ``on``: the order, each one's last lecture, who is away."""
    candidates = _candidates(session, list(playbook.staff_rhythm.lecture.roles))
    last = last_lectures(session)
    away = away_on(session, on)
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name)).where(col(Coordinator.id).in_(candidates))).all())
    order = sorted(candidates, key=lambda c: (last.get(c, dt.date.min), c))
    return [{"coordinator": names[c], "last_lecture": last[c].isoformat() if c in last else None, "away": c in away}
            for c in order]


def _convenor(session: Session, playbook: Playbook, meeting_day: dt.date) -> int | None:
    away = away_on(session, meeting_day)
    name = playbook.staff_rhythm.writing_group.convenor
    if name:
        named = session.execute(
            select(col(Coordinator.id)).where(col(Coordinator.name) == name, col(Coordinator.active) == true())
        ).scalar_one_or_none()
        if named is not None and named not in away:
            return named
    staff = [c for c in _candidates(session, [STAFF]) if c not in away]
    return staff[0] if staff else None


def plan_writing_group(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date, actor: str, plan: StaffPlan
) -> None:
    """The convenor's task for each writing-group meeting coming within the lead time."""
    group = playbook.staff_rhythm.writing_group
    subject = bureau_subject(session)
    have = set(session.execute(
        select(col(Task.period)).where(col(Task.rule) == WRITING_GROUP_RULE, col(Task.subject_id) == subject)
    ).scalars())
    rows = []
    shift = shifts_for(playbook, calendar).after
    for nominal in writing_meetings(group, day):
        if nominal.isoformat() in have:
            continue
        held = shift(nominal) if shift is not None else nominal
        convenor = _convenor(session, playbook, held)
        if convenor is None:
            plan.warnings.append(f"nobody can convene the {held.isoformat()} writing group: no active staff member "
                                 "who is not on leave")
            continue
        rows.append({"kind": WRITING_GROUP, "rule": WRITING_GROUP_RULE, "subject_id": subject, "period": nominal.isoformat(),
                     "window_opens": min(day, held), "due": held, "priority": playbook.priority.default,
                     "assignee_id": convenor})
        plan.writing.append((held, convenor))
    create_tasks(session=session, rows=rows, actor=actor)


def plan_staff_rhythm(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date, actor: str
) -> StaffPlan:
    """Hand coming lectures of people now away to the next in turn, plan new ones, then the writing group."""
    plan = StaffPlan()
    reassign_lectures(session, playbook=playbook, day=day, actor=actor, plan=plan)
    plan_lectures(session, playbook=playbook, calendar=calendar, day=day, actor=actor, plan=plan)
    plan_writing_group(session, playbook=playbook, calendar=calendar, day=day, actor=actor, plan=plan)
    return plan
