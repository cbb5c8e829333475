"""Organisational life (组织生活): planning and recording theme party days, their hosts, attendance, and visits after absence.

Every party branch with members gets a monthly theme party day (主题党日) task (kind ``meeting``,
subject the branch). It goes to the branch's secretary (``yinhui branch secretary``); with none
set, to the owner of the grid where most of its members live; else to the leader, so no meeting is
left without someone to hold it. Recording a meeting (``record_meeting``) stores who attended,
counts each attendee's month as contacted (mode ``event``, like attending an event), closes the
meeting task, and plans a visit for any member who has now missed too many meetings in a row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlmodel import Session, col

from models.grids import GridOwner
from models.org_life import (
    GRID,
    LEADER_VIA,
    LOOKBACK_MONTHS,
    SECRETARY,
    BranchMeeting,
    BranchSecretary,
    MeetingAttendance,
)
from models.organisations import BRANCH, PartyOrg
from models.people import ACTIVE, Cadre, Coordinator
from models.tasks import LIVE_STATUSES, Task
from models.types import id_of, table_of, utcnow
from yinhui.i18n import N_
from yinhui.privacy import mask_id_number
from yinhui.rules.cadence import Period, ShiftDue, period_from_key, period_of
from yinhui.rules.org_life import (
    ABSENCE_RULE,
    ABSENCE_VISIT,
    MEETING,
    THEME_DAY_RULE,
    absence_streak,
    absence_visit_window,
    theme_day_window,
    visit_due_after,
)
from yinhui.rules.playbook import Playbook
from yinhui.services.errors import CareError, Word
from yinhui.services.lookup import get_or_raise, matching_name
from yinhui.services.tasks import (
    complete_task,
    create_tasks,
    insert_cadre_tasks,
    priority_expression,
    reassign_task,
    record_contact,
)


def find_branch(session: Session, ref: str) -> PartyOrg:
    """A party branch by #id, full name, or a part of its name that only one branch has."""
    text = ref.strip()
    branches = list(session.execute(select(PartyOrg).where(col(PartyOrg.kind) == BRANCH).order_by(col(PartyOrg.id))).scalars())
    found = matching_name(branches, text)
    if len(found) == 1:
        return found[0]
    if not found:
        raise CareError(N_("no party branch {name!r} (see `yinhui branch list`)"), name=text)
    names = "、".join(b.name for b in found[:5]) + (" ..." if len(found) > 5 else "")
    raise CareError(N_("{count} branches match {name!r}: {names}; give more of the name or the #id"),
                    count=len(found), name=text, names=names)


def set_secretary(session: Session, branch: PartyOrg, coordinator: Coordinator | None, *, actor: str) -> None:
    """Name (or, with None, clear) the coordinator who holds a branch's theme party days."""
    current = session.get(BranchSecretary, branch.id)
    if coordinator is None:
        if current is not None:
            session.delete(current)
        return
    if not coordinator.active:
        raise CareError(N_("coordinator {name!r} is no longer active"), name=coordinator.name)
    if current is None:
        current = BranchSecretary(branch_id=id_of(branch), coordinator_id=id_of(coordinator), set_by=actor)
    current.coordinator_id, current.set_by, current.set_at = id_of(coordinator), actor, utcnow()
    session.add(current)
    session.flush()


def meeting_hosts(session: Session, *, leader_id: int) -> dict[int, tuple[int, str]]:
    """Branch id -> (coordinator who holds its meetings, how chosen), for branches with active members."""
    members = session.execute(
        select(col(Cadre.branch_id), col(Cadre.grid_id), func.count())
        .join(PartyOrg, col(PartyOrg.id) == col(Cadre.branch_id))
        .where(col(Cadre.status) == ACTIVE, col(PartyOrg.kind) == BRANCH)
        .group_by(col(Cadre.branch_id), col(Cadre.grid_id))
    ).all()
    place: dict[int, tuple[int, int]] = {}  # branch -> (members, grid) of its biggest grid, smallest id on ties
    for branch_id, grid_id, n in members:
        best = place.get(branch_id)
        if best is None or (n, -grid_id) > (best[0], -best[1]):
            place[branch_id] = (n, grid_id)
    named = dict(session.execute(
        select(col(BranchSecretary.branch_id), col(BranchSecretary.coordinator_id))
        .join(Coordinator, col(Coordinator.id) == col(BranchSecretary.coordinator_id))
        .where(col(Coordinator.active) == true())
    ).all())
    owners = dict(session.execute(select(col(GridOwner.grid_id), col(GridOwner.owner_id))).all())
    hosts = {}
    for branch_id, (_, grid_id) in place.items():
        if branch_id in named:
            hosts[branch_id] = (named[branch_id], SECRETARY)
        elif grid_id in owners:
            hosts[branch_id] = (owners[grid_id], GRID)
        else:
            hosts[branch_id] = (leader_id, LEADER_VIA)
    return hosts


def plan_theme_days(
    session: Session, *, playbook: Playbook, day: dt.date, shift_due: ShiftDue | None, leader_id: int, actor: str
) -> int:
    """This month's theme party day task for every branch with members that has none yet."""
    window = theme_day_window(playbook.org_life, day, shift_due)
    if window is None:
        return 0
    month, opens, due = window
    hosts = meeting_hosts(session, leader_id=leader_id)
    have = set(session.execute(
        select(col(Task.subject_id)).where(col(Task.rule) == THEME_DAY_RULE, col(Task.period) == month.key)
    ).scalars())
    rows = [
        {"kind": MEETING, "rule": THEME_DAY_RULE, "subject_id": branch_id, "period": month.key, "window_opens": opens,
         "due": due, "priority": playbook.priority.default, "assignee_id": host}
        for branch_id, (host, _) in sorted(hosts.items()) if branch_id not in have
    ]
    return create_tasks(session=session, rows=rows, actor=actor)


def reassign_meetings(session: Session, *, leader_id: int, actor: str) -> int:
    """Live meeting tasks follow their branch's host now (a new secretary, a coordinator who left)."""
    hosts = meeting_hosts(session, leader_id=leader_id)
    tasks = session.execute(
        select(Task).where(col(Task.rule) == THEME_DAY_RULE, col(Task.status).in_(LIVE_STATUSES)).with_for_update()
    ).scalars().all()
    moved = 0
    for task in tasks:
        host = hosts.get(task.subject_id)
        if host is None or host[0] == task.assignee_id:
            continue
        reassign_task(task, session=session, to=host[0], reason=f"branch host is now the {host[1]}", actor=actor)
        moved += 1
    session.flush()
    return moved


def absence_streaks(
    session: Session, *, upto: Period, branch_ids: Sequence[int] | None = None
) -> dict[int, tuple[int, str]]:
    """Active member -> (held meetings missed in a row, month of their branch's latest meeting)."""
    first = dt.date(upto.start.year - LOOKBACK_MONTHS // 12, upto.start.month, 1)
    query = select(col(BranchMeeting.id), col(BranchMeeting.branch_id), col(BranchMeeting.period)).where(
        col(BranchMeeting.period) <= upto.key, col(BranchMeeting.period) >= period_of("month", first).key
    )
    if branch_ids is not None:
        query = query.where(col(BranchMeeting.branch_id).in_(branch_ids))
    held: dict[int, list[tuple[str, int]]] = {}
    for meeting_id, branch_id, month in session.execute(query):
        held.setdefault(branch_id, []).append((month, meeting_id))
    if not held:
        return {}
    ids = [m for meetings in held.values() for _, m in meetings]
    attended: dict[int, set[int]] = {}
    for start in range(0, len(ids), 900):
        for meeting_id, cadre_id in session.execute(
            select(col(MeetingAttendance.meeting_id), col(MeetingAttendance.cadre_id))
            .where(col(MeetingAttendance.meeting_id).in_(ids[start:start + 900]))
        ):
            attended.setdefault(cadre_id, set()).add(meeting_id)
    latest_first = {b: [m for _, m in sorted(meetings, reverse=True)] for b, meetings in held.items()}
    latest_month = {b: max(meetings)[0] for b, meetings in held.items()}
    members = session.execute(
        select(col(Cadre.id), col(Cadre.branch_id)).where(col(Cadre.status) == ACTIVE, col(Cadre.branch_id).in_(list(held)))
    ).all()
    return {
        cadre_id: (absence_streak(latest_first[branch_id], attended.get(cadre_id, set())), latest_month[branch_id])
        for cadre_id, branch_id in members
    }


def plan_absence_visits(
    session: Session,
    *,
    playbook: Playbook,
    day: dt.date,
    shift_due: ShiftDue | None,
    leader_id: int,
    actor: str,
    branch_ids: Sequence[int] | None = None,
) -> int:
    """A visit for each member whose missed-in-a-row count has just reached a multiple of the limit."""
    every = playbook.org_life.absence_visit_after
    streaks = absence_streaks(session, upto=period_of("month", day), branch_ids=branch_ids)
    by_month: dict[str, list[int]] = {}
    for cadre_id, (streak, month) in streaks.items():
        if visit_due_after(streak, every):
            by_month.setdefault(month, []).append(cadre_id)
    opens, due = absence_visit_window(playbook.org_life, day, shift_due)
    cadre = table_of(Cadre)
    created = 0
    for month, ids in sorted(by_month.items()):
        for start in range(0, len(ids), 900):
            created += insert_cadre_tasks(
                session=session, kind=ABSENCE_VISIT, rule=ABSENCE_RULE, period=month, window_opens=opens, due=due,
                where=[cadre.c.id.in_(sorted(ids)[start:start + 900])],
                priority=priority_expression(playbook.priority, day), leader_id=leader_id, actor=actor,
            )
    return created


@dataclass
class MeetingResult:
    meeting: BranchMeeting
    added: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    covered_tasks: list[int] = field(default_factory=list)
    task_closed: int | None = None  # the meeting task closed by this record
    absence_visits: int = 0


def record_meeting(
    session: Session,
    *,
    branch_id: int,
    month: str,
    cadre_ids: Sequence[int],
    actor: str,
    playbook: Playbook,
    today: dt.date,
    held_on: dt.date | None = None,
    shift_due: ShiftDue | None = None,
    leader_id: int | None = None,
) -> MeetingResult:
    """Record that a branch held its theme party day, and who attended (more can be added later).

    Attendees must be active members of the branch. Each new attendee's month counts as
    contacted; the meeting task closes; members now missing too many in a row get a visit.
    """
    branch = get_or_raise(session, PartyOrg, and_(col(PartyOrg.id) == branch_id, col(PartyOrg.kind) == BRANCH),
                          CareError(N_("no party branch #{branch_id}"), branch_id=branch_id))
    try:
        period = period_from_key(month)
    except ValueError:
        raise CareError(N_("not a month (YYYY-MM): {month!r}"), month=month) from None
    if period.key != month or len(month) != 7:
        raise CareError(N_("not a month (YYYY-MM): {month!r}"), month=month)
    meeting = session.execute(
        select(BranchMeeting).where(col(BranchMeeting.branch_id) == branch_id, col(BranchMeeting.period) == month)
    ).scalar_one_or_none()
    when = held_on or (meeting.held_on if meeting else min(today, period.end))
    if when not in period or when > today:
        raise CareError(N_("the {month} meeting cannot be held on {day}: a day of {month}, not after today"),
                        month=month, day=when.isoformat())
    if meeting is not None and held_on is not None and held_on != meeting.held_on:
        raise CareError(N_("{branch}'s {month} meeting was recorded as held on {day}"), branch=branch.name, month=month,
                        day=meeting.held_on.isoformat())
    wanted = list(dict.fromkeys(cadre_ids))
    cadres = {c.id: c for c in session.execute(select(Cadre).where(col(Cadre.id).in_(wanted))).scalars()}
    for cadre_id in wanted:
        cadre = cadres.get(cadre_id)
        if cadre is None:
            raise CareError(N_("no cadre #{cadre_id}"), cadre_id=cadre_id)
        if cadre.branch_id != branch_id or cadre.status != ACTIVE:
            who = {"name": cadre.name, "id_number": mask_id_number(cadre.id_number), "branch": branch.name}
            if cadre.branch_id != branch_id:
                raise CareError(N_("{name} ({id_number}) is not a member of {branch}"), **who)
            raise CareError(N_("{name} ({id_number}) is {status}, not an active member of {branch}"),
                            status=Word(cadre.status), **who)
    if meeting is None:
        meeting = BranchMeeting(branch_id=branch_id, period=month, held_on=when, recorded_by=actor)
        session.add(meeting)
        session.flush()
    seen = set(session.execute(
        select(col(MeetingAttendance.cadre_id)).where(col(MeetingAttendance.meeting_id) == meeting.id)
    ).scalars())
    result = MeetingResult(meeting)
    for cadre_id in wanted:
        if cadre_id in seen:
            result.already.append(cadre_id)
            continue
        session.add(MeetingAttendance(meeting_id=id_of(meeting), cadre_id=cadre_id, recorded_by=actor))
        result.covered_tasks += record_contact(session=session, cadre_id=cadre_id, on=meeting.held_on, mode="event",
                                               actor=actor, playbook=playbook)
        result.added.append(cadre_id)
    session.flush()
    task = session.execute(
        select(Task).where(col(Task.rule) == THEME_DAY_RULE, col(Task.subject_id) == branch_id, col(Task.period) == month,
                           col(Task.status).in_(LIVE_STATUSES))
    ).scalar_one_or_none()
    if task is not None:
        members = _members(session, branch_id)
        present = len(seen) + len(result.added)
        complete_task(session, task.id, outcome="reached", actor=actor, on=max(meeting.held_on, task.window_opens),
                      playbook=playbook, note=f"主题党日 {meeting.held_on.isoformat()} 出席 {present}/{members}")
        result.task_closed = task.id
    if leader_id is not None:
        result.absence_visits = plan_absence_visits(session, playbook=playbook, day=today, shift_due=shift_due,
                                                    leader_id=leader_id, actor=actor, branch_ids=[branch_id])
    return result


def _members(session: Session, branch_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(Cadre).where(col(Cadre.branch_id) == branch_id, col(Cadre.status) == ACTIVE)
    ).scalar_one()


def branch_report(session: Session, *, month: Period, playbook: Playbook, leader_id: int | None) -> dict[str, Any]:
    """Attendance by branch for a month: members, held on, attended, rate, members to visit."""
    in_scope = or_(col(Cadre.status) == ACTIVE, col(Cadre.status_since) > month.end)
    members = Counter(dict(session.execute(
        select(col(Cadre.branch_id), func.count()).where(col(Cadre.branch_id).is_not(None), in_scope).group_by(col(Cadre.branch_id))
    ).all()))
    meetings = {b: (mid, held) for mid, b, held in session.execute(
        select(col(BranchMeeting.id), col(BranchMeeting.branch_id), col(BranchMeeting.held_on))
        .where(col(BranchMeeting.period) == month.key)
    )}
    attended = Counter(dict(session.execute(
        select(col(BranchMeeting.branch_id), func.count())
        .join(MeetingAttendance, col(MeetingAttendance.meeting_id) == col(BranchMeeting.id))
        .where(col(BranchMeeting.period) == month.key).group_by(col(BranchMeeting.branch_id))
    ).all()))
    tasks = dict(session.execute(
        select(col(Task.subject_id), col(Task.status)).where(col(Task.rule) == THEME_DAY_RULE, col(Task.period) == month.key)
    ).all())
    hosts = meeting_hosts(session, leader_id=leader_id) if leader_id is not None else {}
    names = dict(session.execute(select(col(Coordinator.id), col(Coordinator.name))).all())
    every = playbook.org_life.absence_visit_after
    streaks = absence_streaks(session, upto=month)
    to_visit: Counter[int | None] = Counter()
    branch_of = dict(
        session.execute(select(col(Cadre.id), col(Cadre.branch_id)).where(col(Cadre.id).in_(list(streaks)))).all()
    ) if streaks else {}
    for cadre_id, (streak, _) in streaks.items():
        if streak >= every:
            to_visit[branch_of.get(cadre_id)] += 1
    rows = []
    for branch in session.execute(select(PartyOrg).where(col(PartyOrg.kind) == BRANCH).order_by(col(PartyOrg.name))).scalars():
        total = members.get(branch.id, 0)
        held = meetings.get(branch.id)
        came = attended.get(branch.id, 0)
        host = hosts.get(branch.id)
        rows.append({
            "branch": branch.name, "members": total, "held_on": held[1].isoformat() if held else None,
            "attended": came, "rate": round(came / total, 3) if total and held else None,
            "task": tasks.get(branch.id), "host": names.get(host[0]) if host else None,
            "host_via": host[1] if host else None, "absent_in_a_row": to_visit.get(branch.id, 0),
        })
    held_rows = [r for r in rows if r["held_on"]]
    return {
        "month": month.key,
        "branches": rows,
        "held": len(held_rows),
        "with_members": sum(1 for r in rows if r["members"]),
        "members_at_held": sum(r["members"] for r in held_rows),
        "attended": sum(r["attended"] for r in held_rows),
        "absence_limit": every,
    }
