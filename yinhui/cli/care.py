"""Care commands: `yinhui report-event` (四必访), `branch ...` (组织生活), `leave ...`, `lecture rota` (奋进讲堂),
`volunteer log` and `volunteer team ...` (志愿服务). Their reports are under `yinhui report`."""

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
    _,
    actor,
    database,
    day_option,
    id_argument,
    language,
    month_option,
    one_line,
    show_list,
)
from yinhui.i18n import N_

app = typer.Typer()
branch = typer.Typer(help=N_("party branches: secretaries and theme party days (组织生活)"))
leave = typer.Typer(help=N_("staff leave (the lecture rota skips those away)"))
lecture = typer.Typer(help=N_("the Monday lecture (奋进讲堂)"))
volunteer = typer.Typer(help=N_("volunteer service activities and teams (志愿服务)"))
team = typer.Typer(help=N_("volunteer teams (志愿服务队) and their members"))
volunteer.add_typer(team, name="team")

KIND_HELP = N_("hospitalisation (住院), family_event (家事) or bereavement (丧事) / wedding (婚事) / birthday (寿辰), "
               "hardship (困难), death (去世); discharged (出院) or resolved (解困) close one")
Cadres = Annotated[list[str] | None, typer.Argument(metavar="CADRE...", help=N_("name, #id or ID number"))]


def _who(session: Any, coordinator_id: int | None) -> str:
    from models.people import Coordinator

    found = session.get(Coordinator, coordinator_id) if coordinator_id else None
    return found.name if found else "?"


def _task_text(session: Any, task: Any, what: str) -> str:
    return _("{what} #{task_id} for {coordinator}, due {due} ({status})", what=what, task_id=task.id,
             coordinator=_who(session, task.assignee_id), due=task.due.isoformat(), status=task.status)


@app.command("report-event", help=N_("report a hospitalisation, family event, hardship or death (四必访)\n\n"
                                     "Report an occurrence for a cadre; it creates a must-visit for the responsible coordinator."))
@one_line
def report_event(
    cadre: Annotated[str, typer.Argument(help=N_("ID number, #id, or a name (add --grid when two cadres share it)"))],
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    date: Annotated[dt.date | None, day_option("--date", help=N_("when it happened (default today; a family event may be ahead)"))] = None,
    note: Annotated[str | None, typer.Option(help=N_("what happened (kept with the report, never sent to group chats)"))] = None,
    grid: Annotated[str | None, typer.Option(help=N_("the cadre's grid, to tell namesakes apart: 城关镇/东街村 or a township"))] = None,
    as_: As = None,
) -> int:
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
        on_day = occurrence.on_date.isoformat()
        if result.closed and result.task is None:
            lines.append(_("{head} of {day} closed on {closed}", head=head, day=on_day, closed=occurrence.closed_on))
            if result.cancelled:
                lines.append("  " + _("{count} open review(s) cancelled", count=result.cancelled))
        elif not result.created:
            lines.append(_("{head} on {day} was already reported ({reported}); nothing changed", head=head,
                           day=on_day, reported=occurrence.reported_on.isoformat()))
        else:
            lines.append(_("{head} on {day} reported", head=head, day=on_day))
            if occurrence.kind == "death":
                lines.append("  " + _("marked deceased; {count} open task(s) cancelled", count=result.cancelled))
        if result.task is not None:
            lines.append("  " + _task_text(session, result.task, what))
            if occurrence.kind == "death" and result.created and result.task.note:
                lines.append("    " + result.task.note.splitlines()[-1])  # whom the condolence visit is for
        if result.follow_up is not None:
            lines.append("  " + _task_text(session, result.follow_up, _("follow-up")))
        elif occurrence.follow_up_opens and result.task is not None and occurrence.closed_on is None:
            lines.append("  " + _("follow-up planned from {day}", day=occurrence.follow_up_opens.isoformat()))
    print("\n".join(lines))
    return 0


# -- yinhui branch ------------------------------------------------------------------------------


@branch.command("list", help=N_("branches, members and who holds their meetings"))
@one_line
def branch_list(fmt: FormatOption = "table") -> None:
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

    show_list(fetch, fmt, [_("branch"), _("members"), _("meetings held by"), _("how chosen")],
              lambda r: [r["branch"], r["members"], r["host"], r["host_via"]], numeric=(1,))


@branch.command("secretary", help=N_("name the coordinator who holds a branch's theme party days"))
@one_line
def branch_secretary(
    name: Annotated[str, typer.Argument(metavar="BRANCH", help=N_("#id, the name, or a part only one branch has"))],
    coordinator: Annotated[str | None, typer.Argument(help=N_("who holds the meetings"))] = None,
    clear: Annotated[bool, typer.Option("--clear", help=N_("back to the default (the grid's coordinator)"))] = False,
) -> int:
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.org_life import find_branch, set_secretary

    if bool(coordinator) == bool(clear):
        raise CommandError(_("name the coordinator who holds the branch's meetings, or give --clear"))
    with database() as session:
        found = find_branch(session, name)
        secretary = find_coordinator(session, coordinator) if coordinator else None
        set_secretary(session, found, secretary, actor=ACTOR)
        branch_name = found.name
    if secretary is None:
        print(_("{branch}: secretary cleared (meetings go to the grid coordinator where most members live)",
                branch=branch_name))
    else:
        print(_("{branch}: theme party days go to {coordinator} from the next plan", branch=branch_name,
                coordinator=coordinator))
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


@branch.command("attend", help=N_("record a theme party day and who attended (more can be added later)"))
@one_line
def branch_attend(
    name: Annotated[str, typer.Argument(metavar="BRANCH", help=N_("#id, the name, or a part only one branch has"))],
    month: Annotated[str, month_option("--month", help=N_("the month's theme party day"))],
    cadres: Cadres = None,
    held_on: Annotated[dt.date | None, day_option(
        "--held-on", help=N_("the day it was held (default today, or the day recorded before)"))] = None,
) -> int:
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
    print(_("{branch} {month} theme party day (held {held}): {added} attendance(s) recorded, {already} already "
            "recorded; {covered} open call(s) covered", branch=branch_name, month=month, held=held.isoformat(),
            added=len(result.added), already=len(result.already), covered=len(result.covered_tasks))
          + (_("; meeting task #{task_id} closed", task_id=result.task_closed) if result.task_closed else ""))
    if result.absence_visits:
        print("  " + _("{count} member(s) have now missed {limit} meetings in a row: a visit is planned for each",
                       count=result.absence_visits, limit=playbook.org_life.absence_visit_after))
    return 0


# -- yinhui leave / lecture ---------------------------------------------------------------------


@leave.command("add", help=N_("record leave for a coordinator"))
@one_line
def leave_add(
    coordinator: Annotated[str, typer.Argument(help=N_("the coordinator's name"))],
    from_: Annotated[dt.date, day_option("--from", help=N_("the first day away"))],
    to: Annotated[dt.date, day_option("--to", help=N_("the last day away"))],
    note: Annotated[str | None, typer.Option(help=N_("e.g. 年休假"))] = None,
) -> int:
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.staff_rhythm import add_leave

    with database() as session:
        found = find_coordinator(session, coordinator)
        entry = add_leave(session, found, starts_on=from_, ends_on=to, note=note, actor=ACTOR)
        print(_("leave #{leave_id}: {coordinator} away {first}..{last}; a lecture of theirs in that time passes "
                "to the next in turn at the next plan", leave_id=entry.id, coordinator=found.name,
                first=entry.starts_on.isoformat(), last=entry.ends_on.isoformat()))
    return 0


@leave.command("list", help=N_("current and coming leave"))
@one_line
def leave_list(
    all_: Annotated[bool, typer.Option("--all", help=N_("past leave too"))] = False,
    fmt: FormatOption = "table",
) -> None:
    from yinhui import clock
    from yinhui.services.staff_rhythm import list_leave

    show_list(lambda session: list_leave(session, since=None if all_ else clock.today()), fmt,
              [_("id"), _("coordinator"), _("from"), _("to"), _("note")],
              lambda r: [r["id"], r["coordinator"], r["from"], r["to"], r["note"] or ""], numeric=(0,))


@leave.command("remove", help=N_("remove a leave entry"))
@one_line
def leave_remove(leave_id: Annotated[int, id_argument("LEAVE_ID", help=N_("the entry's number (see `yinhui leave list`)"))]) -> int:
    from yinhui.services.staff_rhythm import remove_leave

    with database() as session:
        entry = remove_leave(session, leave_id)
        print(_("leave #{leave_id} ({first}..{last}) removed", leave_id=leave_id, first=entry.starts_on.isoformat(),
                last=entry.ends_on.isoformat()))
    return 0


@lecture.command("rota", help=N_("who is next in turn"))
@one_line
def lecture_rota(
    date: Annotated[dt.date | None, day_option("--date", help=N_("the lecture day to ask about (default today)"))] = None,
    fmt: FormatOption = "table",
) -> None:
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.staff_rhythm import lecture_rota as rota

    on = date or clock.today()
    turn = itertools.count(1)
    show_list(
        lambda session: rota(session, playbook=current_playbook(), on=on),
        fmt, ["#", _("coordinator"), _("last lecture"), _("on leave")],
        lambda r: [next(turn), r["coordinator"], r["last_lecture"] or _("never"), _("yes") if r["away"] else ""],
        numeric=(0,), before=_("奋进讲堂 rota as of {day} (next in turn first):", day=on.isoformat()),
    )


# -- yinhui volunteer ---------------------------------------------------------------------------


@volunteer.command("log", help=N_("log a team's service activity and the cadres who took part (each counts as contacted that month)"))
@one_line
def volunteer_log(
    team_name: Annotated[str, typer.Option("--team", help=N_("the team's name, or a part only it has"))],
    topic: Annotated[str, typer.Option(help=N_("e.g. 反诈宣传, 健康讲座, 植树"))],
    hours: Annotated[float, typer.Option(help=N_("how long it lasted"))],
    cadres: Cadres = None,
    served: Annotated[int, typer.Option(help=N_("people served"))] = 0,
    date: Annotated[dt.date | None, day_option("--date", help=N_("default today"))] = None,
    note: Annotated[str | None, typer.Option(help=N_("kept with the activity"))] = None,
) -> int:
    from models.types import id_of
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.volunteering import find_team, log_activity

    with database() as session:
        found = find_team(session, team_name)
        ids = [id_of(resolve_cadre(session, ref)) for ref in cadres or []]
        logged = log_activity(session, team_id=id_of(found), held_on=date or clock.today(), topic=topic,
                              people_served=served, hours=hours, cadre_ids=ids, actor=ACTOR,
                              today=clock.today(), note=note, playbook=current_playbook())
        activity = logged.activity
        print(_("activity #{activity_id}: {team} {day} {topic}, {served} served, {volunteers} volunteer(s) × {hours} h "
                "= {total} volunteer-hours", activity_id=activity.id, team=found.name,
                day=activity.held_on.isoformat(), topic=activity.topic, served=activity.people_served,
                volunteers=len(ids), hours=format(activity.hours, "g"), total=format(len(ids) * activity.hours, "g")))
        if logged.covered_tasks:
            print("  " + _("{count} open call(s) covered by the volunteers' service", count=len(logged.covered_tasks)))
    return 0


@team.command("add", help=N_("create a volunteer team"))
@one_line
def team_add(
    name: Annotated[str, typer.Argument(help=N_("the team's name, e.g. 培根铸魂宣讲团"))],
    focus: Annotated[str | None, typer.Option(help=N_("what the team does, e.g. 政策宣讲"))] = None,
) -> int:
    from yinhui.services.volunteering import add_team

    with database() as session:
        created = add_team(session, name, focus=focus)
        print(_("volunteer team #{team_id} {team} created; add members with `yinhui volunteer team join`",
                team_id=created.id, team=created.name))
    return 0


@team.command("list", help=N_("volunteer teams, their members and this year's activities"))
@one_line
def team_list(fmt: FormatOption = "table") -> None:
    from yinhui import clock
    from yinhui.services.volunteering import team_list as teams

    year = clock.today().year
    show_list(lambda session: teams(session, year=year), fmt,
              [_("id"), _("team"), _("focus"), _("team members"), _("activities {year}", year=year)],
              lambda r: [r["id"], r["team"], r["focus"] or "", r["members"], r["activities"]], numeric=(0, 3, 4))


def _team_change(name: str, cadres: list[str] | None, joining: bool) -> None:
    from models.types import id_of
    from yinhui import clock
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.volunteering import find_team, join_team, leave_team

    if not cadres:
        raise CommandError(_("name the cadres: CADRE... (name, #id or ID number)"))
    with database() as session:
        found = find_team(session, name)
        ids = [id_of(resolve_cadre(session, ref)) for ref in cadres]
        if joining:
            changed = join_team(session, found, ids, ACTOR, on=clock.today())
            print(_("{team}: {count} joined, {already} already members", team=found.name, count=len(changed),
                    already=len(set(ids)) - len(changed)))
        else:
            changed = leave_team(session, found, ids, ACTOR)
            print(_("{team}: {count} left", team=found.name, count=len(changed)))


TeamName = Annotated[str, typer.Argument(metavar="TEAM", help=N_("#id, the name, or a part only one team has"))]


@team.command("join", help=N_("put active cadres on a team (they keep their grid, branch and other teams)"))
@one_line
def team_join(name: TeamName, cadres: Cadres = None) -> int:
    _team_change(name, cadres, joining=True)
    return 0


@team.command("leave", help=N_("take cadres off a team"))
@one_line
def team_leave(name: TeamName, cadres: Cadres = None) -> int:
    _team_change(name, cadres, joining=False)
    return 0
