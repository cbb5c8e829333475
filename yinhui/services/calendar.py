"""The bureau's calendar (节点与放假安排): its own task nodes and official days off, over the playbook's, and the working days they make.

The bureau can add task nodes (重要任务节点) and enter a year's official days off and make-up
working days (放假调休) from the command line; the playbook can declare both too. Where both speak
for the same year's schedule, the database wins (it is the later word); a node key may live in
only one of them. `shifts_for` says how a due date leaves a day off, for every planner alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlmodel import Session, col

from models.calendar import (
    DAY_OFF,
    SOURCE_DATABASE,
    SOURCE_LIBRARY,
    SOURCE_NONE,
    SOURCE_PLAYBOOK,
    WORKDAY,
    BureauNodeRow,
    HolidayDay,
)
from yinhui.i18n import N_
from yinhui.rules.cadence import ShiftDue
from yinhui.rules.calendar_nodes import BureauNode, Node, builtin_keys, nodes_for_year
from yinhui.rules.playbook import Playbook
from yinhui.rules.workdays import WorkCalendar, YearSchedule
from yinhui.services.errors import CalendarError


def stored_nodes(session: Session) -> list[BureauNode]:
    rows = session.execute(select(BureauNodeRow).order_by(col(BureauNodeRow.key))).scalars()
    return [row.to_node() for row in rows]


def bureau_nodes(session: Session, playbook: Playbook) -> tuple[list[BureauNode], list[str]]:
    """The playbook's nodes and the database's, with a warning for each key both declare.

    The playbook's wins a clash: a node added from the command line never silently changes a
    date the playbook fixes.
    """
    nodes = {node.key: node for node in playbook.bureau_nodes()}
    warnings = []
    for node in stored_nodes(session):
        if node.key in nodes:
            warnings.append(
                f"node {node.key!r} is in the playbook and was also added with `yinhui node add`; "
                "the playbook's date is used (remove one with `yinhui node remove`)"
            )
            continue
        nodes[node.key] = node
    return list(nodes.values()), warnings


def nodes_in_year(session: Session, playbook: Playbook, year: int) -> list[Node]:
    """Every calendar node falling in ``year``: computed festivals, fixed days and the bureau's."""
    nodes, _ = bureau_nodes(session, playbook)
    try:
        return nodes_for_year(year, nodes)
    except ValueError as exc:
        raise CalendarError(N_("the calendar of {year} cannot be worked out: {problem}"), year=year, problem=exc) from None


def add_node(session: Session, node: BureauNode, *, playbook: Playbook, actor: str) -> BureauNodeRow:
    if node.key in builtin_keys():
        raise CalendarError(N_("{key!r} is a built-in node; choose another key"), key=node.key)
    if any(n.key == node.key for n in playbook.bureau_nodes()):
        raise CalendarError(N_("node {key!r} is already declared in the playbook"), key=node.key)
    taken = session.execute(select(col(BureauNodeRow.id)).where(col(BureauNodeRow.key) == node.key)).first()
    if taken:
        raise CalendarError(N_("node {key!r} already exists; remove it first to change it"), key=node.key)
    row = BureauNodeRow(
        key=node.key, name_zh=node.name_zh, name_en=node.name_en, month=node.month, day=node.day,
        year=node.year, lunar=node.lunar, note=node.note, created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def remove_node(session: Session, key: str) -> None:
    result = session.exec(delete(BureauNodeRow).where(col(BureauNodeRow.key) == key))
    if not result.rowcount:
        raise CalendarError(N_("no node {key!r} was added with `yinhui node add` (playbook nodes are edited there)"),
                            key=key)


def stored_schedules(session: Session) -> list[YearSchedule]:
    days: dict[int, tuple[set[dt.date], set[dt.date]]] = {}
    for day, year, kind in session.execute(select(col(HolidayDay.day), col(HolidayDay.year), col(HolidayDay.kind))):
        off, work = days.setdefault(year, (set(), set()))
        (off if kind == DAY_OFF else work).add(day)
    return [YearSchedule(year, frozenset(off), frozenset(work)) for year, (off, work) in sorted(days.items())]


def set_schedule(session: Session, schedule: YearSchedule, *, actor: str) -> None:
    """Replace the bureau's entry for ``schedule.year`` (all of it, in the caller's transaction)."""
    clear_schedule(session, schedule.year)
    session.flush()
    # A notice may move a December day of the year before; that day belongs to this year's notice.
    clash = session.execute(
        select(col(HolidayDay.day), col(HolidayDay.year)).where(col(HolidayDay.day).in_(schedule.days_off | schedule.workdays))
    ).first()
    if clash:
        raise CalendarError(N_("{day} is already entered in the {year} schedule"), day=clash[0].isoformat(),
                            year=clash[1])
    session.add_all(
        [HolidayDay(day=d, year=schedule.year, kind=DAY_OFF, created_by=actor) for d in sorted(schedule.days_off)]
        + [HolidayDay(day=d, year=schedule.year, kind=WORKDAY, created_by=actor) for d in sorted(schedule.workdays)]
    )
    session.flush()


def clear_schedule(session: Session, year: int) -> int:
    result = session.exec(delete(HolidayDay).where(col(HolidayDay.year) == year))
    return max(result.rowcount or 0, 0)


def overrides(session: Session, playbook: Playbook) -> list[YearSchedule]:
    """The bureau's schedules by year: the database's entry, else the playbook's."""
    chosen = {s.year: s for s in playbook.year_schedules()}
    chosen.update({s.year: s for s in stored_schedules(session)})
    return [chosen[year] for year in sorted(chosen)]


def work_calendar(session: Session, playbook: Playbook) -> WorkCalendar:
    """Working days as the bureau knows them: its own entries over chinese_calendar's."""
    return WorkCalendar(overrides(session, playbook))


def schedule_source(session: Session, playbook: Playbook, year: int) -> str:
    """Where ``year``'s schedule comes from: database, playbook, chinese_calendar or none."""
    if any(s.year == year for s in stored_schedules(session)):
        return SOURCE_DATABASE
    if year in playbook.holidays:
        return SOURCE_PLAYBOOK
    if year in WorkCalendar().official_years:
        return SOURCE_LIBRARY
    return SOURCE_NONE


def guess_warning(year: int) -> str:
    """What to tell a person when ``year``'s days off are not known (weekends stand in)."""
    return (
        f"{year}年放假安排未录入: no official holiday schedule for {year}, so only weekends count as days off; "
        f"enter it from the State Council notice with `yinhui holidays set {year} --days-off ... --workdays ...` "
        f"or under [holidays.{year}] in the playbook"
    )


@dataclass(frozen=True)
class Shifts:
    """How due dates leave days off: to the working day before, or after; both None when the playbook keeps them."""

    before: ShiftDue | None = None
    after: ShiftDue | None = None


def shifts_for(playbook: Playbook, calendar: WorkCalendar) -> Shifts:
    """The playbook's ``due_on_day_off`` over the bureau's working days."""
    if playbook.due_on_day_off == "keep":
        return Shifts()
    return Shifts(calendar.working_day_on_or_before, calendar.working_day_on_or_after)
