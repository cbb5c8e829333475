"""Who answers for each grid (grid owners), and the contact cadence's tasks: set-based, never one round trip per cadre."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, delete, exists, insert, literal, select, true
from sqlmodel import Session, col

from models.grids import COUNTY_LEVEL, Grid, GridOwner
from models.people import LEADER, ROLES, Cadre, Coordinator, CoordinatorGrid
from models.tasks import Contact
from models.types import id_of, table_of
from yinhui.i18n import N_
from yinhui.rules.assignment import Assignment, GridNode, assign_grids
from yinhui.rules.cadence import DueCadence
from yinhui.rules.playbook import Priority
from yinhui.services.errors import PlanningError
from yinhui.services.grids import county_grid
from yinhui.services.pauses import paused_on
from yinhui.services.tasks import insert_cadre_tasks, priority_expression

# The days a plan may be run for, counted from the clock's today. Back: a month, so a failed run
# can be re-run (`yinhui rerun`) when it is noticed, even at the month's coverage report. Ahead:
# one day (tomorrow's plan the evening before), because a plan marks every task due before its
# day overdue and escalates it: a plan for next week would flag a week of tasks that are not late.
PLAN_DAYS_BACK = 31
PLAN_DAYS_AHEAD = 1
# How far back a deliberate back-fill (``backfill=True``) may go: a year, the longest period a
# rule has (and the distance a must-visit may be reported from). Ahead stays one day.
BACKFILL_DAYS_BACK = 366


def compute_assignment(session: Session) -> Assignment:
    """Who answers for every base grid right now (reads only)."""
    grids = [GridNode(g.id, g.level, g.parent_id, g.name) for g in session.execute(select(Grid)).scalars()]
    role_rank = {role: i for i, role in enumerate(("grid", "staff", "leader"))}
    rows = session.execute(
        select(col(CoordinatorGrid.grid_id), col(Coordinator.id), col(Coordinator.role))
        .join(Coordinator, col(Coordinator.id) == col(CoordinatorGrid.coordinator_id))
        .where(col(Coordinator.active) == true())
    ).all()
    holders: dict[int, list[tuple[int, int]]] = {}
    for grid_id, coord_id, role in rows:
        holders.setdefault(grid_id, []).append((role_rank.get(role, len(ROLES)), coord_id))
    ordered = {gid: [cid for _, cid in sorted(pairs)] for gid, pairs in holders.items()}
    leaders = session.execute(
        select(col(Coordinator.id)).where(col(Coordinator.role) == LEADER, col(Coordinator.active) == true())
    ).scalars().all()
    county_ids = {g.id for g in grids if g.level == COUNTY_LEVEL}
    county_leaders = [cid for gid in county_ids for cid in ordered.get(gid, []) if cid in set(leaders)]
    return assign_grids(grids, ordered, leaders, county_leaders)


def refresh_grid_owners(session: Session) -> Assignment:
    """Recompute who answers for every base grid and store it in `grid_owner`."""
    assignment = compute_assignment(session)
    session.execute(delete(GridOwner))
    if assignment.owners:
        session.execute(
            insert(GridOwner),
            [
                {
                    "grid_id": o.grid_id,
                    "owner_id": o.owner_id,
                    "via": o.via,
                    "township_owner_id": o.township_owner_id,
                    "leader_id": o.leader_id,
                }
                for o in assignment.owners.values()
            ],
        )
    return assignment


def plan_window(today: dt.date, *, backfill: bool = False) -> tuple[dt.date, dt.date]:
    """The first and last day a plan may be run for, seen from ``today``."""
    back = BACKFILL_DAYS_BACK if backfill else PLAN_DAYS_BACK
    return today - dt.timedelta(days=back), today + dt.timedelta(days=PLAN_DAYS_AHEAD)


def check_plan_day(day: dt.date, *, today: dt.date, backfill: bool = False) -> None:
    """Refuse, in one line naming the day and the allowed range, a plan for a day outside `plan_window`.

    A plan for 1901 would create a county's worth of tasks nobody can do (and the next real plan
    would mark them all missed and escalate them); one for 9999 cannot even be worked out.
    """
    first, last = plan_window(today, backfill=backfill)
    if first <= day <= last:
        return
    if backfill or day > last:
        window = {"day": day.isoformat(), "first": first.isoformat(), "last": last.isoformat(),
                  "ahead": PLAN_DAYS_AHEAD, "today": today.isoformat()}
        if backfill:
            raise PlanningError(N_("cannot plan {day}: a plan may be for a day from {first} to {last} ({back} days "
                                   "back with backfill, {ahead} ahead of today, {today})"), back=BACKFILL_DAYS_BACK,
                                **window)
        raise PlanningError(N_("cannot plan {day}: a plan may be for a day from {first} to {last} ({back} days back, "
                               "{ahead} ahead of today, {today})"), back=PLAN_DAYS_BACK, **window)
    raise PlanningError(N_("cannot plan {day}: a plan may be for a day from {first} to {last} ({back} days back, "
                           "{ahead} ahead of today, {today}); to fill in an older day on purpose, back-fill it "
                           "(up to {backfill} days back)"), day=day.isoformat(), first=first.isoformat(),
                        last=last.isoformat(), back=PLAN_DAYS_BACK, ahead=PLAN_DAYS_AHEAD, today=today.isoformat(),
                        backfill=BACKFILL_DAYS_BACK)


def create_cadence_tasks(
    session: Session, due: DueCadence, *, day: dt.date, prio: Priority, leader_id: int, actor: str
) -> int:
    """Insert the rule's task for every eligible active cadre that has none for the period yet.

    A cadre already contacted in the period in a way that satisfies the rule (a visit covering
    the month's call) gets no task, nor does a cadre paused that day (`yinhui.services.pauses`).
    Returns the number created.
    """
    cadre = table_of(Cadre)
    contact = table_of(Contact)
    contacted = exists().where(
        contact.c.cadre_id == cadre.c.id,
        contact.c.on_date >= literal(due.period.start, Date),
        contact.c.on_date <= literal(day, Date),
        contact.c.mode.in_(due.satisfied_by),
    )
    return insert_cadre_tasks(
        session=session,
        kind=due.kind,
        rule=due.rule,
        period=due.period.key,
        window_opens=due.window_opens,
        due=due.due,
        priority=priority_expression(prio, day),
        leader_id=leader_id,
        actor=actor,
        where=(cadre.c.category.in_(due.categories), ~contacted, ~paused_on(cadre.c.id, day)),
    )


def plan_leader(session: Session) -> int:
    """The leader that unowned work falls back to, chosen as every planning flow chooses it."""
    return compute_assignment(session).leader_id


def bureau_subject(session: Session) -> int:
    """The subject of the bureau's own tasks (lecture, writing group): the level-1 grid."""
    return id_of(county_grid(session))
