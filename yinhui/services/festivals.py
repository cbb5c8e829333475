"""Festival visits (逢年过节必访): planned set-based, one statement per festival window, and summed up per festival."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, Integer, String, case, exists, func, literal, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from models.people import ACTIVE, DECEASED, MOVED, Cadre
from models.tasks import CANCELLED, DONE, MISSED, OPEN, OVERDUE, Task
from models.types import table_of
from yinhui.rules.calendar_nodes import nodes_for_year
from yinhui.rules.festivals import FESTIVAL_VISIT, FestivalWindow, festival_of_rule, windows_open_on
from yinhui.rules.playbook import Playbook, Priority
from yinhui.rules.workdays import WorkCalendar
from yinhui.services.calendar import bureau_nodes, shifts_for
from yinhui.services.pauses import paused_on
from yinhui.services.tasks import cancel_tasks, insert_cadre_tasks, priority_expression

DROP_REASONS = {
    DECEASED: "已故，节日走访取消 (cadre died before the festival)",
    MOVED: "已迁出，节日走访取消 (cadre moved away before the festival)",
}


OTHER_DROP_REASON = "不再在册，节日走访取消 (cadre no longer active)"


def festival_due_expression(window: FestivalWindow, priority: ColumnElement[int]) -> ColumnElement[dt.date]:
    """SQL twin of `FestivalWindow.due_for`: the due date of a visit of ``priority`` in ``window``."""
    whens = [(priority == literal(value, Integer), literal(due, Date)) for value, due in window.dues]
    return case(*whens, else_=literal(window.closes, Date))


def create_festival_visits(
    session: Session, window: FestivalWindow, *, prio: Priority, leader_id: int, actor: str, day: dt.date | None = None
) -> int:
    """A visit task for every active cadre of the window's categories who has none for it yet
    (and is not paused on ``day``, the day planned: a cadre away is visited after coming back).

    The assignee is found as for the contact cadence: the cadre's named coordinator (一联五包),
    else the owner of the cadre's grid, else the leader. Returns how many were created.
    """
    cadre = table_of(Cadre)
    # Age is counted on the festival day: a cadre turning 80 that day is visited as one.
    priority = priority_expression(prio, window.node.date)
    return insert_cadre_tasks(
        session=session,
        kind=FESTIVAL_VISIT,
        rule=window.rule,
        period=window.period,
        window_opens=window.opens,
        due=festival_due_expression(window, priority),
        priority=priority,
        leader_id=leader_id,
        actor=actor,
        where=(cadre.c.category.in_(window.categories), ~paused_on(cadre.c.id, day or window.opens)),
    )


def drop_departed_visits(session: Session, *, actor: str) -> int:
    """Cancel live festival visits of cadres no longer active, each with the reason in its trail.

    `set_cadre_status` already cancels a cadre's tasks when the status is recorded through it;
    this catches a status written any other way before the festival comes.
    """
    cadre, task = table_of(Cadre), table_of(Task)
    status = select(cadre.c.status).where(cadre.c.id == task.c.cadre_id).scalar_subquery()

    def by_status(text_of: dict[str, str], other: str) -> ColumnElement[str]:
        whens = [(status == literal(s, String), literal(text, String)) for s, text in text_of.items()]
        return case(*whens, else_=literal(other, String))

    departed = exists().where(cadre.c.id == task.c.cadre_id, cadre.c.status != ACTIVE)
    return cancel_tasks(
        session=session,
        where=(task.c.kind == FESTIVAL_VISIT, departed),
        reason=by_status(DROP_REASONS, OTHER_DROP_REASON),
        detail=by_status(
            {s: json.dumps({"reason": text}, ensure_ascii=False) for s, text in DROP_REASONS.items()},
            json.dumps({"reason": OTHER_DROP_REASON}, ensure_ascii=False),
        ),
        actor=actor,
    )


def reorder_festival_visits(
    session: Session, cadre: Cadre, *, playbook: Playbook, calendar: WorkCalendar, today: dt.date, actor: str
) -> int:
    """Give a cadre's live festival visits the priority and due date the cadre's record now earns
    (living alone or in hardship comes earlier in the list), through the task service; returns how
    many changed. A visit whose festival window is no longer open keeps its place."""
    from yinhui.rules.calendar_nodes import nodes_for_year
    from yinhui.rules.festivals import festival_due, festival_windows
    from yinhui.services.tasks import reprioritise_task

    task = table_of(Task)
    visits = list(session.execute(
        select(Task).where(task.c.cadre_id == cadre.id, task.c.kind == FESTIVAL_VISIT,
                           task.c.status.in_((OPEN, OVERDUE)))
    ).scalars())
    if not visits:
        return 0
    nodes, _ = bureau_nodes(session, playbook)
    years = {int(v.period) for v in visits if v.period.isdigit()}
    candidates = [node for year in sorted(years) for node in nodes_for_year(year, nodes)]
    windows = {(w.rule, w.period): w for w in festival_windows(playbook, candidates, shifts_for(playbook, calendar).before)}
    changed = 0
    for visit in visits:
        window = windows.get((visit.rule, visit.period))
        if window is None or window.closes < today:
            continue
        priority, due = festival_due(playbook, window, category=cadre.category, birth_date=cadre.birth_date,
                                     lives_alone=cadre.lives_alone, hardship=cadre.hardship)
        if (priority, due) == (visit.priority, visit.due):
            continue
        changed += reprioritise_task(visit, session=session, priority=priority, due=max(due, today), actor=actor,
                                     reason="cadre record changed (lives alone / hardship)")
    return changed


@dataclass
class FestivalPlan:
    """What one day's festival planning did."""

    windows: list[FestivalWindow] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)  # "spring_festival 2026" -> tasks
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)


def open_windows(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date
) -> tuple[list[FestivalWindow], list[str]]:
    """Festival windows open on ``day`` (this year's festivals and next year's), and node warnings."""
    nodes, warnings = bureau_nodes(session, playbook)
    # A Spring Festival window can open in the December before it: look one year ahead.
    candidates = nodes_for_year(day.year, nodes) + nodes_for_year(day.year + 1, nodes)
    return windows_open_on(playbook, day, candidates, shifts_for(playbook, calendar).before), warnings


def plan_festival_visits(
    session: Session, *, playbook: Playbook, calendar: WorkCalendar, day: dt.date, leader_id: int, actor: str
) -> FestivalPlan:
    """Drop departed cadres' visits, then plan every open festival window's visits."""
    plan = FestivalPlan()
    plan.windows, plan.warnings = open_windows(session, playbook=playbook, calendar=calendar, day=day)
    plan.dropped = drop_departed_visits(session, actor=actor)
    for window in plan.windows:
        plan.created[f"{window.node.key} {window.period}"] = create_festival_visits(
            session, window, prio=playbook.priority, leader_id=leader_id, actor=actor, day=day
        )
    return plan


def festival_visit_summary(session: Session, *, year: int, playbook: Playbook,
                           language: str = "zh") -> list[dict[str, Any]]:
    """Per festival of ``year``: visits planned, done (and done without ever being overdue),
    open, overdue, missed and cancelled, with the range of due dates. For reports and the demo.

    ``festival`` is the node's key, ``name`` its name in ``language`` (重阳节, Double Ninth Festival)."""
    task = table_of(Task)
    never_late = task.c.overdue_since.is_(None)
    rows = session.execute(
        select(task.c.rule, task.c.status, never_late, func.count(), func.min(task.c.due), func.max(task.c.due))
        .where(task.c.kind == FESTIVAL_VISIT, task.c.period == f"{year:04d}")
        .group_by(task.c.rule, task.c.status, never_late)
    ).all()
    summary: dict[str, dict[str, Any]] = {}
    for rule, status, on_time, n, first_due, last_due in rows:
        entry = summary.setdefault(rule, {
            "festival": festival_of_rule(rule), "name": festival_of_rule(rule), "planned": 0, DONE: 0, "done_on_time": 0, OPEN: 0,
            OVERDUE: 0, MISSED: 0, CANCELLED: 0, "first_due": first_due, "last_due": last_due,
        })
        entry["planned"] += n
        entry[status] += n
        entry["done_on_time"] += n if status == DONE and on_time else 0
        entry["first_due"], entry["last_due"] = min(entry["first_due"], first_due), max(entry["last_due"], last_due)
    if summary:
        nodes, _ = bureau_nodes(session, playbook)
        names = {n.key: n.name_en if language == "en" else n.name_zh for n in nodes_for_year(year, nodes)}
        for entry in summary.values():
            entry["name"] = names.get(entry["festival"], entry["festival"])
    return sorted(summary.values(), key=lambda e: e["first_due"])
