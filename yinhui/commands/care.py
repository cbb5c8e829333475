"""Care commands: `yinhui report-event`, `branch ...`, `leave ...`, `lecture rota`, `volunteer log`,
and the reports `yinhui report services | branches | volunteers | must-visits`."""

from __future__ import annotations

import argparse
from typing import Any

from yinhui.cli import CommandError, _day, _lang, _month, _print_json, _require_schema
from yinhui.commands.calendar import _one_line

ACTOR = "cli:operator"
KIND_HELP = ("hospitalisation (住院), family_event (家事) or bereavement (丧事) / wedding (婚事) / birthday (寿辰), "
             "hardship (困难), death (去世); discharged (出院) or resolved (解困) close one")


def _period(value: str) -> str:
    from yinhui.rules.cadence import period_from_key

    try:
        return period_from_key(value).key
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a period (YYYY-MM, YYYY-Qn or YYYY): {value!r}") from None


def _actor(session: Any, name: str | None) -> str:
    from yinhui.services.coordinators import find_coordinator

    return f"coordinator:{find_coordinator(session, name).id}" if name else ACTOR


def _who(session: Any, coordinator_id: int | None) -> str:
    from models.people import Coordinator

    found = session.get(Coordinator, coordinator_id) if coordinator_id else None
    return found.name if found else "?"


# -- yinhui report-event ------------------------------------------------------------------------


def _task_text(session: Any, task: Any, what: str) -> str:
    return f"{what} #{task.id} for {_who(session, task.assignee_id)}, due {task.due.isoformat()} ({task.status})"


@_one_line
def cmd_report_event(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from models.types import id_of
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.must_visits import detail_text
    from yinhui.services.cadres import grid_of, resolve_cadre
    from yinhui.services.must_visits import record_occurrence

    _require_schema()
    playbook = current_playbook()
    language = _lang()
    on = args.date or clock.today()
    with session_scope() as session:
        cadre = resolve_cadre(session, args.cadre, grid=args.grid)
        result = record_occurrence(session, cadre_id=id_of(cadre), kind=args.kind, on=on, note=args.note,
                                   actor=_actor(session, args.as_), playbook=playbook)
        occurrence = result.occurrence
        what = playbook.must_visits.kinds()[occurrence.kind].title.text(language)
        detail = detail_text(occurrence.detail, language)
        head = f"{cadre.name} ({grid_of(session, cadre)}): {occurrence.kind}{f' ({detail})' if detail else ''}"
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


@_one_line
def cmd_branch_list(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock, textable
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_of
    from yinhui.services.org_life import branch_report
    from yinhui.services.planning import plan_leader

    _require_schema()
    with session_scope() as session:
        report = branch_report(session, month=period_of("month", clock.today()), playbook=current_playbook(),
                               leader_id=plan_leader(session))
    rows = [{"branch": r["branch"], "members": r["members"], "host": r["host"], "host_via": r["host_via"]}
            for r in report["branches"]]
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(["branch", "members", "meetings held by", "how chosen"],
                          [[r["branch"], r["members"], r["host"], r["host_via"]] for r in rows], numeric=(1,)))
    return 0


@_one_line
def cmd_branch_secretary(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.org_life import find_branch, set_secretary

    _require_schema()
    if bool(args.coordinator) == bool(args.clear):
        raise CommandError("name the coordinator who holds the branch's meetings, or give --clear")
    with session_scope() as session:
        branch = find_branch(session, args.branch)
        coordinator = find_coordinator(session, args.coordinator) if args.coordinator else None
        set_secretary(session, branch, coordinator, actor=ACTOR)
        name = branch.name
    if coordinator is None:
        print(f"{name}: secretary cleared (meetings go to the grid coordinator where most members live)")
    else:
        print(f"{name}: theme party days go to {args.coordinator} from the next plan")
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
            select(col(Cadre.id)).where(col(Cadre.branch_id) == branch_id, col(Cadre.name) == ref.strip(), col(Cadre.status) == "active")
        ).scalars().all()
        ids.append(members[0] if len(members) == 1 else id_of(resolve_cadre(session, ref)))
    return ids


@_one_line
def cmd_branch_attend(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from models.types import id_of
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.org_life import find_branch, record_meeting
    from yinhui.services.planning import plan_leader

    _require_schema()
    playbook = current_playbook()
    with session_scope() as session:
        branch = find_branch(session, args.branch)
        ids = _branch_cadres(session, id_of(branch), args.cadres or [])
        result = record_meeting(session, branch_id=id_of(branch), month=args.month, cadre_ids=ids, actor=ACTOR,
                                playbook=playbook, today=clock.today(), held_on=args.held_on,
                                leader_id=plan_leader(session))
        name, held = branch.name, result.meeting.held_on
    print(f"{name} {args.month} theme party day (held {held.isoformat()}): {len(result.added)} attendance(s) recorded, "
          f"{len(result.already)} already recorded; {len(result.covered_tasks)} open call(s) covered"
          + (f"; meeting task #{result.task_closed} closed" if result.task_closed else ""))
    if result.absence_visits:
        print(f"  {result.absence_visits} member(s) have now missed {playbook.org_life.absence_visit_after} "
              "meetings in a row: a visit is planned for each")
    return 0


# -- yinhui leave / lecture ---------------------------------------------------------------------


@_one_line
def cmd_leave_add(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.staff_rhythm import add_leave

    _require_schema()
    with session_scope() as session:
        coordinator = find_coordinator(session, args.coordinator)
        leave = add_leave(session, coordinator, starts_on=args.from_, ends_on=args.to, note=args.note, actor=ACTOR)
        print(f"leave #{leave.id}: {coordinator.name} away {leave.starts_on.isoformat()}..{leave.ends_on.isoformat()}; "
              "a lecture of theirs in that time passes to the next in turn at the next plan")
    return 0


@_one_line
def cmd_leave_list(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock, textable
    from yinhui.services.staff_rhythm import list_leave

    _require_schema()
    with session_scope() as session:
        rows = list_leave(session, since=None if args.all else clock.today())
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(["id", "coordinator", "from", "to", "note"],
                          [[r["id"], r["coordinator"], r["from"], r["to"], r["note"] or ""] for r in rows], numeric=(0,)))
    return 0


@_one_line
def cmd_leave_remove(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.staff_rhythm import remove_leave

    _require_schema()
    with session_scope() as session:
        leave = remove_leave(session, args.leave_id)
        print(f"leave #{args.leave_id} ({leave.starts_on.isoformat()}..{leave.ends_on.isoformat()}) removed")
    return 0


@_one_line
def cmd_lecture_rota(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock, textable
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.staff_rhythm import lecture_rota

    _require_schema()
    on = args.date or clock.today()
    with session_scope() as session:
        rows = lecture_rota(session, playbook=current_playbook(), on=on)
    if args.format == "json":
        _print_json(rows)
        return 0
    print(f"奋进讲堂 rota as of {on.isoformat()} (next in turn first):")
    print(textable.render(["#", "coordinator", "last lecture", "on leave"],
                          [[i, r["coordinator"], r["last_lecture"] or "never", "yes" if r["away"] else ""]
                           for i, r in enumerate(rows, start=1)], numeric=(0,)))
    return 0


# -- yinhui volunteer ---------------------------------------------------------------------------


@_one_line
def cmd_volunteer_log(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from models.types import id_of
    from yinhui import clock
    from yinhui.services.cadres import resolve_cadre
    from yinhui.services.volunteering import find_team, log_activity

    _require_schema()
    with session_scope() as session:
        team = find_team(session, args.team)
        ids = [id_of(resolve_cadre(session, ref)) for ref in args.cadres or []]
        activity = log_activity(session, team_id=id_of(team), held_on=args.date or clock.today(), topic=args.topic,
                                people_served=args.served, hours=args.hours, cadre_ids=ids, actor=ACTOR,
                                today=clock.today(), note=args.note)
        print(f"activity #{activity.id}: {team.name} {activity.held_on.isoformat()} {activity.topic}, "
              f"{activity.people_served} served, {len(ids)} volunteer(s) × {activity.hours:g} h = "
              f"{len(ids) * activity.hours:g} volunteer-hours")
    return 0


# -- yinhui report services | branches | volunteers | must-visits -------------------------------


@_one_line
def cmd_report_services(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock, textable
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.door_services import services_report

    _require_schema()
    playbook = current_playbook()
    with session_scope() as session:
        report = services_report(session, playbook=playbook, period=period_from_key(args.period), today=clock.today())
    if args.format == "json":
        _print_json(report)
        return 0
    language = _lang()
    services = report["services"]
    titles = [s["title_en"] if language == "en" else s["title_zh"] for s in services]
    shown = [r for r in report["cadres"] if r["missing"]] if args.missing_only else report["cadres"]

    def cell(row: dict[str, Any], key: str) -> str:
        entry = row["services"].get(key)
        if entry is None or not entry["expected"]:
            return "-"
        mark = "✓" if entry["delivered"] >= entry["expected"] else "✗"
        return mark if entry["expected"] == 1 else f"{mark}{entry['delivered']}/{entry['expected']}"

    print(f"六上门 {report['period']}: {report['complete']} of {len(report['cadres'])} cadre(s) received every "
          "service due (✓ delivered, ✗ missing, n/m periods delivered of those due)")
    print(textable.render(["name", "grid", "coordinator", *titles],
                          [[r["name"], r["grid"], r["coordinator"] or "", *(cell(r, s["key"]) for s in services)]
                           for r in shown]))
    return 0


@_one_line
def cmd_report_branches(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.org_life import branch_report
    from yinhui.services.planning import plan_leader

    _require_schema()
    with session_scope() as session:
        report = branch_report(session, month=period_from_key(args.month), playbook=current_playbook(),
                               leader_id=plan_leader(session))
    if args.format == "json":
        _print_json(report)
        return 0
    rate = report["attended"] / report["members_at_held"] if report["members_at_held"] else 0.0
    print(f"组织生活 {report['month']}: {report['held']} of {report['with_members']} branch(es) held their theme party "
          f"day; {report['attended']} of {report['members_at_held']} members attended ({rate:.0%})")
    print(textable.render(
        ["branch", "members", "held on", "attended", "rate", "task", f"missed {report['absence_limit']}+ in a row"],
        [[r["branch"], r["members"], r["held_on"] or "-", r["attended"] if r["held_on"] else "-",
          f"{r['rate']:.0%}" if r["rate"] is not None else "-", r["task"] or "-", r["absent_in_a_row"]]
         for r in report["branches"] if r["members"] or r["held_on"]],
        numeric=(1, 3, 4, 6),
    ))
    return 0


@_one_line
def cmd_report_volunteers(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.volunteering import volunteer_report

    _require_schema()
    with session_scope() as session:
        report = volunteer_report(session, period=period_from_key(args.period))
    if args.format == "json":
        _print_json(report)
        return 0
    print(f"志愿服务 {report['period']}: {report['activities']} activit{'y' if report['activities'] == 1 else 'ies'}, "
          f"{report['people_served']} people served, {report['volunteer_hours']:g} volunteer-hours")
    print(textable.render(
        ["team", "activities", "served", "volunteers", "volunteer-hours", "topics"],
        [[r["team"], r["activities"], r["people_served"], r["volunteers"], f"{r['volunteer_hours']:g}",
          "、".join(f"{t} {n}" for t, n in sorted(r["topics"].items(), key=lambda p: -p[1]))] for r in report["teams"]],
        numeric=(1, 2, 3, 4),
    ))
    return 0


@_one_line
def cmd_report_must_visits(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.must_visit_reports import occurrence_report, occurrence_summary

    _require_schema()
    period = period_from_key(args.period)
    with session_scope() as session:
        rows = occurrence_report(session, first=period.start, last=period.end, language=_lang())
    if args.format == "json":
        _print_json({"period": period.key, "summary": occurrence_summary(rows), "occurrences": rows})
        return 0
    print(f"四必访 {period.key}: {len(rows)} occurrence(s)")
    print(textable.render(
        ["kind", "reported", "visited", "on time", "open", "overdue", "missed", "follow-ups done"],
        [[s["kind"], s["reported"], s["visited"], s["on_time"], s["open"], s["late"], s["missed"],
          f"{s['follow_ups_done']}/{s['follow_ups']}"] for s in occurrence_summary(rows)],
        numeric=(1, 2, 3, 4, 5, 6),
    ))
    if rows:
        print(render_occurrences(rows))
    return 0


def render_occurrences(rows: list[dict[str, Any]]) -> str:
    """One line per occurrence: who, what, when, and how its visit and follow-ups went."""
    from yinhui import textable

    def visit(v: dict[str, Any] | None) -> str:
        if v is None:
            return "-"
        if v["status"] == "done":
            return f"done {v['done_on']}" + ("" if v["on_time"] else f" (late, due {v['due']})")
        return f"{v['status']} (due {v['due']})" + (f", escalated L{v['escalation_level']}" if v["escalation_level"] else "")

    return textable.render(
        ["cadre", "grid", "kind", "on", "visit", "by", "follow-ups"],
        [[r["cadre"], r["grid"], r["kind"] + (f" ({r['detail']})" if r["detail"] else ""), r["on"], visit(r["visit"]),
          (r["visit"] or {}).get("assignee", ""), "; ".join(f"{f['period']}: {visit(f)}" for f in r["follow_ups"]) or "-"]
         for r in rows],
    )


# -- parser -------------------------------------------------------------------------------------


def add_report_actions(rsub: argparse._SubParsersAction) -> None:
    """`yinhui report services | branches | volunteers | must-visits` (called from yinhui.cli)."""
    p = rsub.add_parser("services", help="六上门: per 离休 cadre, which services were delivered and which are missing")
    p.add_argument("--period", required=True, type=_period, help="YYYY-MM, YYYY-Qn or YYYY")
    p.add_argument("--missing-only", action="store_true", help="only cadres with a service missing")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_report_services)
    p = rsub.add_parser("branches", help="组织生活: theme party days and attendance by branch")
    p.add_argument("--month", required=True, type=_month)
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_report_branches)
    p = rsub.add_parser("volunteers", help="志愿服务: activities and volunteer-hours per team")
    p.add_argument("--period", required=True, type=_period, help="YYYY-MM, YYYY-Qn or YYYY")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_report_volunteers)
    p = rsub.add_parser("must-visits", help="四必访: what was reported and how each was handled")
    p.add_argument("--period", required=True, type=_period, help="YYYY-MM, YYYY-Qn or YYYY")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_report_must_visits)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report-event", help="report a hospitalisation, family event, hardship or death (四必访)",
                       description="report an occurrence for a cadre; it creates a must-visit for the responsible "
                                   "coordinator")
    p.add_argument("cadre", help="ID number, #id, or a name (add --grid when two cadres share it)")
    p.add_argument("kind", help=KIND_HELP)
    p.add_argument("--date", type=_day, help="when it happened (default today; a family event may be ahead)")
    p.add_argument("--note", help="what happened (kept with the report, never sent to group chats)")
    p.add_argument("--grid", help="the cadre's grid, to tell namesakes apart: 城关镇/东街村 or a township")
    p.add_argument("--as", dest="as_", metavar="COORDINATOR", help="report it in this coordinator's name")
    p.set_defaults(handler=cmd_report_event)

    p = sub.add_parser("branch", help="party branches: secretaries and theme party days (组织生活)")
    bsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = bsub.add_parser("list", help="branches, members and who holds their meetings")
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.set_defaults(handler=cmd_branch_list)
    sec = bsub.add_parser("secretary", help="name the coordinator who holds a branch's theme party days")
    sec.add_argument("branch", help="#id, the name, or a part only one branch has")
    sec.add_argument("coordinator", nargs="?")
    sec.add_argument("--clear", action="store_true", help="back to the default (the grid's coordinator)")
    sec.set_defaults(handler=cmd_branch_secretary)
    at = bsub.add_parser("attend", help="record a theme party day and who attended (more can be added later)")
    at.add_argument("branch")
    at.add_argument("cadres", nargs="*", metavar="CADRE", help="members who came: name, #id or ID number")
    at.add_argument("--month", required=True, type=_month)
    at.add_argument("--held-on", type=_day, help="the day it was held (default today, or the day recorded before)")
    at.set_defaults(handler=cmd_branch_attend)

    p = sub.add_parser("leave", help="staff leave (the lecture rota skips those away)")
    lsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = lsub.add_parser("add", help="record leave for a coordinator")
    add.add_argument("coordinator")
    add.add_argument("--from", dest="from_", required=True, type=_day)
    add.add_argument("--to", required=True, type=_day)
    add.add_argument("--note")
    add.set_defaults(handler=cmd_leave_add)
    ll = lsub.add_parser("list", help="current and coming leave")
    ll.add_argument("--all", action="store_true", help="past leave too")
    ll.add_argument("--format", choices=["table", "json"], default="table")
    ll.set_defaults(handler=cmd_leave_list)
    rm = lsub.add_parser("remove", help="remove a leave entry")
    rm.add_argument("leave_id", type=int)
    rm.set_defaults(handler=cmd_leave_remove)

    p = sub.add_parser("lecture", help="the Monday lecture (奋进讲堂)")
    esub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    rota = esub.add_parser("rota", help="who is next in turn")
    rota.add_argument("--date", type=_day, help="the lecture day to ask about (default today)")
    rota.add_argument("--format", choices=["table", "json"], default="table")
    rota.set_defaults(handler=cmd_lecture_rota)

    p = sub.add_parser("volunteer", help="volunteer service activities (志愿服务)")
    vsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    log = vsub.add_parser("log", help="log a team's service activity and the cadres who took part")
    log.add_argument("cadres", nargs="*", metavar="CADRE", help="cadres taking part: name, #id or ID number")
    log.add_argument("--team", required=True, help="the team's name, or a part only it has")
    log.add_argument("--topic", required=True, help="e.g. 反诈宣传, 健康讲座, 植树")
    log.add_argument("--served", type=int, default=0, help="people served")
    log.add_argument("--hours", type=float, required=True, help="how long it lasted")
    log.add_argument("--date", type=_day, help="default today")
    log.add_argument("--note")
    log.set_defaults(handler=cmd_volunteer_log)

