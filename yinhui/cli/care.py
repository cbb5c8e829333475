"""Care commands: `yinhui report-event` (四必访), `branch ...` (组织生活), `leave ...`, `lecture rota` (奋进讲堂),
`volunteer log` (志愿服务). Their reports are under `yinhui report`."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    ACTOR,
    As,
    CommandError,
    FormatOption,
    actor,
    database,
    day_option,
    id_argument,
    language,
    month_option,
    one_line,
    show_list,
)

app = typer.Typer()
branch = typer.Typer(help="party branches: secretaries and theme party days (组织生活)")
leave = typer.Typer(help="staff leave (the lecture rota skips those away)")
lecture = typer.Typer(help="the Monday lecture (奋进讲堂)")
volunteer = typer.Typer(help="volunteer service activities (志愿服务)")

KIND_HELP = ("hospitalisation (住院), family_event (家事) or bereavement (丧事) / wedding (婚事) / birthday (寿辰), "
             "hardship (困难), death (去世); discharged (出院) or resolved (解困) close one")
Cadres = Annotated[list[str] | None, typer.Argument(metavar="CADRE...", help="name, #id or ID number")]


def _who(session: Any, coordinator_id: int | None) -> str:
    from models.people import Coordinator

    found = session.get(Coordinator, coordinator_id) if coordinator_id else None
    return found.name if found else "?"


def _task_text(session: Any, task: Any, what: str) -> str:
    return f"{what} #{task.id} for {_who(session, task.assignee_id)}, due {task.due.isoformat()} ({task.status})"


@app.command("report-event")
@one_line
def report_event(
    cadre: Annotated[str, typer.Argument(help="ID number, #id, or a name (add --grid when two cadres share it)")],
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    date: Annotated[dt.date | None, day_option("--date", help="when it happened (default today; a family event may be ahead)")] = None,
    note: Annotated[str | None, typer.Option(help="what happened (kept with the report, never sent to group chats)")] = None,
    grid: Annotated[str | None, typer.Option(help="the cadre's grid, to tell namesakes apart: 城关镇/东街村 or a township")] = None,
    as_: As = None,
) -> int:
    """report a hospitalisation, family event, hardship or death (四必访)

    Report an occurrence for a cadre; it creates a must-visit for the responsible coordinator.
    """
    from models.types import id_of
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.must_visits import detail_text
    from yinhui.services.cadres import grid_of, resolve_cadre
    from yinhui.services.must_visits import record_occurrence

    playbook, lang = current_playbook(), language()
    on = date or clock.today()
    with database() as session:
        found = resolve_cadre(session, cadre, grid=grid)
        result = record_occurrence(session, cadre_id=id_of(found), kind=kind, on=on, note=note,
                                   actor=actor(session, as_), playbook=playbook)
        occurrence = result.occurrence
        what = playbook.must_visits.kinds()[occurrence.kind].title.text(lang)
        detail = detail_text(occurrence.detail, lang)
        head = f"{found.name} ({grid_of(session, found)}): {occurrence.kind}{f' ({detail})' if detail else ''}"
        lines = []
        if result.closed and result.task is None:
            lines.append(f"{head} of {occurrence.on_date.isoformat()} closed on {occurrence.closed_on}")
            if result.cancelled:
                lines.append(f"  {result.cancelled} open review(s) cancelled")
        elif not result.created:
            lines.append(f"{head} on {occurrence.on_date.isoformat()} was already reported "
                         f"({occurrence.reported_on.isoformat()}); nothing changed")
        else:
            lines.append(f"{head} on {occurrence.on_date.isoformat()} reported")
            if occurrence.kind == "death":
                lines.append(f"  marked deceased; {result.cancelled} open task(s) cancelled")
        if result.task is not None:
            lines.append("  " + _task_text(session, result.task, what))
        if result.follow_up is not None:
            lines.append("  " + _task_text(session, result.follow_up, "follow-up"))
        elif occurrence.follow_up_opens and result.task is not None and occurrence.closed_on is None:
            lines.append(f"  follow-up planned from {occurrence.follow_up_opens.isoformat()}")
    print("\n".join(lines))
    return 0


# -- yinhui branch ------------------------------------------------------------------------------


@branch.command("list")
@one_line
def branch_list(fmt: FormatOption = "table") -> None:
    """branches, members and who holds their meetings"""
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_of
    from yinhui.services.org_life import branch_report
    from yinhui.services.planning import plan_leader

    def fetch(session: Any) -> list[dict[str, Any]]:
        report = branch_report(session, month=period_of("month", clock.today()), playbook=current_playbook(),
                               leader_id=plan_leader(session))
        return [{"branch": r["branch"], "members": r["members"], "host": r["host"], "host_via": r["host_via"]}
                for r in report["branches"]]

    show_list(fetch, fmt, ["branch", "members", "meetings held by", "how chosen"],
              lambda r: [r["branch"], r["members"], r["host"], r["host_via"]], numeric=(1,))


@branch.command("secretary")
@one_line
def branch_secretary(
    name: Annotated[str, typer.Argument(metavar="BRANCH", help="#id, the name, or a part only one branch has")],
    coordinator: Annotated[str | None, typer.Argument(help="who holds the meetings")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="back to the default (the grid's coordinator)")] = False,
) -> int:
    """name the coordinator who holds a branch's theme party days"""
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.org_life import find_branch, set_secretary

    if bool(coordinator) == bool(clear):
        raise CommandError("name the coordinator who holds the branch's meetings, or give --clear")
    with database() as session:
        found = find_branch(session, name)
        secretary = find_coordinator(session, coordinator) if coordinator else None
        set_secretary(session, found, secretary, actor=ACTOR)
        branch_name = found.name
    if secretary is None:
        print(f"{branch_name}: secretary cleared (meetings go to the grid coordinator where most members live)")
    else:
        print(f"{branch_name}: theme party days go to {coordinator} from the next plan")
    return 0


def _branch_cadres(session: Any, branch_id: int, refs: list[str]) -> list[int]:
    """Names are looked up among the branch's members first, so a namesake elsewhere is no trouble."""
    from sqlalchemy import select
    from sqlmodel import col

    from models.people import Cadre
    from models.types import id_of
    from yinhui.services.cadres import resolve_cadre

    ids: list[int] = []
    for ref in refs:
        members = session.execute(
            select(col(Cadre.id)).where(col(Cadre.branch_id) == branch_id, col(Cadre.name) == ref.strip(),
                                        col(Cadre.status) == "active")
        ).scalars().all()
        ids.append(members[0] if len(members) == 1 else id_of(resolve_cadre(session, ref)))
    return ids


@branch.command("attend")
@one_line
def branch_attend(
    name: Annotated[str, typer.Argument(metavar="BRANCH", help="#id, the name, or a part only one branch has")],
    month: Annotated[str, month_option("--month", help="the month's theme party day")],
    cadres: Cadres = None,
    held_on: Annotated[dt.date | None, day_option(
        "--held-on", help="the day it was held (default today, or the day recorded before)")] = None,
) -> int:
    """record a theme party day and who attended (more can be added later)"""
    from models.types import id_of
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.org_life import find_branch, record_meeting
    from yinhui.services.planning import plan_leader

    playbook = current_playbook()
    with database() as session:
        found = find_branch(session, name)
        ids = _branch_cadres(session, id_of(found), cadres or [])
        result = record_meeting(session, branch_id=id_of(found), month=month, cadre_ids=ids, actor=ACTOR,
                                playbook=playbook, today=clock.today(), held_on=held_on,
                                leader_id=plan_leader(session))
        branch_name, held = found.name, result.meeting.held_on
    print(f"{branch_name} {month} theme party day (held {held.isoformat()}): {len(result.added)} attendance(s) "
          f"recorded, {len(result.already)} already recorded; {len(result.covered_tasks)} open call(s) covered"
          + (f"; meeting task #{result.task_closed} closed" if result.task_closed else ""))
    if result.absence_visits:
        print(f"  {result.absence_visits} member(s) have now missed {playbook.org_life.absence_visit_after} "
              "meetings in a row: a visit is planned for each")
    return 0


# -- yinhui leave / lecture ---------------------------------------------------------------------


@leave.command("add")
@one_line
def leave_add(
    coordinator: str,
    from_: Annotated[dt.date, day_option("--from", help="the first day away")],
    to: Annotated[dt.date, day_option("--to", help="the last day away")],
    note: Annotated[str | None, typer.Option(help="e.g. 年休假")] = None,
) -> int:
    """record leave for a coordinator"""
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.staff_rhythm import add_leave

    with database() as session:
        found = find_coordinator(session, coordinator)
        entry = add_leave(session, found, starts_on=from_, ends_on=to, note=note, actor=ACTOR)
        print(f"leave #{entry.id}: {found.name} away {entry.starts_on.isoformat()}..{entry.ends_on.isoformat()}; "
              "a lecture of theirs in that time passes to the next in turn at the next plan")
    return 0


@leave.command("list")
@one_line
def leave_list(
    all_: Annotated[bool, typer.Option("--all", help="past leave too")] = False,
    fmt: FormatOption = "table",
) -> None:
    """current and coming leave"""
    from yinhui import clock
    from yinhui.services.staff_rhythm import list_leave

    show_list(lambda session: list_leave(session, since=None if all_ else clock.today()), fmt,
              ["id", "coordinator", "from", "to", "note"],
              lambda r: [r["id"], r["coordinator"], r["from"], r["to"], r["note"] or ""], numeric=(0,))


@leave.command("remove")
@one_line
def leave_remove(leave_id: Annotated[int, id_argument("LEAVE_ID")]) -> int:
    """remove a leave entry"""
    from yinhui.services.staff_rhythm import remove_leave

    with database() as session:
        entry = remove_leave(session, leave_id)
        print(f"leave #{leave_id} ({entry.starts_on.isoformat()}..{entry.ends_on.isoformat()}) removed")
    return 0


@lecture.command("rota")
@one_line
def lecture_rota(
    date: Annotated[dt.date | None, day_option("--date", help="the lecture day to ask about (default today)")] = None,
    fmt: FormatOption = "table",
) -> None:
    """who is next in turn"""
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.staff_rhythm import lecture_rota as rota

    on = date or clock.today()
    turn = itertools.count(1)
    show_list(
        lambda session: rota(session, playbook=current_playbook(), on=on),
        fmt, ["#", "coordinator", "last lecture", "on leave"],
        lambda r: [next(turn), r["coordinator"], r["last_lecture"] or "never", "yes" if r["away"] else ""],
        numeric=(0,), before=f"奋进讲堂 rota as of {on.isoformat()} (next in turn first):",
    )


# -- yinhui volunteer ---------------------------------------------------------------------------


@volunteer.command("log")
@one_line
def volunteer_log(
    team: Annotated[str, typer.Option(help="the team's name, or a part only it has")],
    topic: Annotated[str, typer.Option(help="e.g. 反诈宣传, 健康讲座, 植树")],
    hours: Annotated[float, typer.Option(help="how long it lasted")],
    cadres: Cadres = None,
    served: Annotated[int, typer.Option(help="people served")] = 0,
    date: Annotated[dt.date | None, day_option("--date", help="default today")] = None,
    note: Annotated[str | None, typer.Option(help="kept with the activity")] = None,
) -> int:
    """log a team's service activity and the cadres who took part"""
    from models.types import id_of
    from yinhui import clock
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.volunteering import find_team, log_activity

    with database() as session:
        found = find_team(session, team)
        ids = [id_of(resolve_cadre(session, ref)) for ref in cadres or []]
        activity = log_activity(session, team_id=id_of(found), held_on=date or clock.today(), topic=topic,
                                people_served=served, hours=hours, cadre_ids=ids, actor=ACTOR,
                                today=clock.today(), note=note)
        print(f"activity #{activity.id}: {found.name} {activity.held_on.isoformat()} {activity.topic}, "
              f"{activity.people_served} served, {len(ids)} volunteer(s) × {activity.hours:g} h = "
              f"{len(ids) * activity.hours:g} volunteer-hours")
    return 0
