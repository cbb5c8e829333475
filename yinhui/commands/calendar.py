"""Calendar commands: `yinhui calendar`, `yinhui node ...`, `yinhui holidays ...`, `yinhui event ...`."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from yinhui.cli import CommandError, _day, _lang, _print_json, _require_schema

ACTOR = "cli:operator"
WEEKDAYS = {"zh": "一二三四五六日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}

Handler = Callable[[argparse.Namespace], int]


def _one_line(handler: Handler) -> Handler:
    """Calendar and rule errors become one line on stderr, and nothing is written."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from yinhui.services.errors import CalendarError

        try:
            return handler(args)
        except (CalendarError, ValueError) as exc:
            # PlaybookError and pydantic's ValidationError are ValueErrors the CLI prints itself.
            if getattr(args, "debug", False) or type(exc).__name__ in ("ValidationError", "PlaybookError"):
                raise
            raise CommandError(str(exc)) from None

    return run


def _weekday(day: dt.date, language: str) -> str:
    label = WEEKDAYS[language][day.weekday()]
    return f"周{label}" if language == "zh" else label


def _year(value: str) -> int:
    from yinhui.rules.calendar_nodes import MAX_YEAR, MIN_YEAR

    try:
        year = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {value!r}") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"year must be {MIN_YEAR}..{MAX_YEAR}")
    return year


def _warn(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"warning: {line}", file=sys.stderr)


def _context() -> tuple[Any, Any]:
    """The playbook and the bureau's working-day calendar (its own holiday entries included)."""
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.calendar import work_calendar

    playbook = current_playbook()
    with session_scope() as session:
        return playbook, work_calendar(session, playbook)


def _guess_warnings(calendar: Any, days: Iterable[dt.date]) -> list[str]:
    from yinhui.services.calendar import guess_warning

    return [guess_warning(year) for year in sorted({d.year for d in days}) if calendar.is_guess(year)]


# -- yinhui calendar --------------------------------------------------------------------------


def calendar_rows(year: int, *, language: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every node of ``year`` with its weekday, day-off status, festival-visit window and events."""
    from models.db import session_scope
    from yinhui import clock
    from yinhui.rules.festivals import festival_windows
    from yinhui.services.calendar import bureau_nodes, nodes_in_year
    from yinhui.services.event_views import list_events

    playbook, calendar = _context()
    with session_scope() as session:
        nodes = nodes_in_year(session, playbook, year)
        _, warnings = bureau_nodes(session, playbook)
        events = list_events(session, year=year, today=clock.today())
    shift = None if playbook.due_on_day_off == "keep" else calendar.working_day_on_or_before
    windows = {(w.node.key, w.node.date): w for w in festival_windows(playbook, nodes, shift)}
    by_node: dict[str, list[str]] = {}
    for event in events:
        by_node.setdefault(event["node"], []).append(f"#{event['id']} {event['title']} {event['held_on']}")
    rows = []
    for node in nodes:
        window = windows.get((node.key, node.date))
        rows.append({
            "key": node.key,
            "name": node.name_en if language == "en" else node.name_zh,
            "name_zh": node.name_zh,
            "name_en": node.name_en,
            "date": node.date.isoformat(),
            "weekday": _weekday(node.date, language),
            "kind": node.kind,
            "day_off": calendar.is_day_off(node.date),
            "note": node.note,
            "festival_visits": {"opens": window.opens.isoformat(), "due_by": window.closes.isoformat()}
            if window else None,
            "events": by_node.get(node.key, []),
        })
    return rows, warnings + _guess_warnings(calendar, [dt.date(year, 1, 1)])


def _visit_note(row: dict[str, Any], language: str) -> str:
    visits = row["festival_visits"]
    if not visits:
        return ""
    opens, due = visits["opens"][5:], visits["due_by"][5:]
    return f"visits {opens}..{due}" if language == "en" else f"节日走访 {opens} 起，{due} 前完成"


@_one_line
def cmd_calendar(args: argparse.Namespace) -> int:
    from yinhui import clock, textable

    _require_schema()
    language = _lang()
    year = args.year or clock.today().year
    if args.format == "ics":
        return _write_ics(year, args.output)
    rows, warnings = calendar_rows(year, language=language)
    _warn(warnings)
    if args.format == "json":
        _print_json({"year": year, "nodes": rows, "warnings": warnings})
        return 0
    off = "off" if language == "en" else "休"
    print(textable.render(
        ["date", "day", "node", "key", "kind", "day off", "plans"],
        [[r["date"], r["weekday"], r["name"], r["key"], r["kind"], off if r["day_off"] else "",
          "; ".join(filter(None, [_visit_note(r, language), *r["events"], r["note"] or ""]))] for r in rows],
    ))
    return 0


def _write_ics(year: int, output: Path | None) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.rules.ics import render_ics
    from yinhui.services.calendar import nodes_in_year
    from yinhui.settings import get_settings

    playbook, calendar = _context()
    with session_scope() as session:
        nodes = nodes_in_year(session, playbook, year)
    _warn(_guess_warnings(calendar, [dt.date(year, 1, 1)]))
    text = render_ics(
        nodes, f"{playbook.bureau.name} {year} 节点", get_settings().timezone, generated_at=clock.now()
    )
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.write_bytes(text.encode("utf-8"))  # bytes: keep the CRLF line ends RFC 5545 wants
        print(f"{len(nodes)} node(s) of {year} written to {output}", file=sys.stderr)
    return 0


# -- yinhui node ------------------------------------------------------------------------------


@_one_line
def cmd_node_add(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.playbook_loader import current_playbook
    from yinhui.rules.calendar_nodes import BureauNode
    from yinhui.rules.playbook import parse_node_date
    from yinhui.services.calendar import add_node

    _require_schema()
    year, month, day = parse_node_date(args.date)
    node = BureauNode(args.key, args.name, args.name_en or args.name, month, day, year, args.lunar, args.note)
    with session_scope() as session:
        add_node(session, node, playbook=current_playbook(), actor=ACTOR)
    when = "once" if year else "every year"
    print(f"node {node.key} ({node.name_zh}) added: {args.date}{' lunar' if args.lunar else ''}, {when}")
    return 0


@_one_line
def cmd_node_remove(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.calendar import remove_node

    _require_schema()
    with session_scope() as session:
        remove_node(session, args.key)
    print(f"node {args.key} removed")
    return 0


# -- yinhui holidays --------------------------------------------------------------------------


def _ranges(days: Iterable[dt.date]) -> list[str]:
    """2027-02-05..2027-02-11 for a run of days, a lone date otherwise."""
    out: list[list[dt.date]] = []
    for day in sorted(days):
        if out and day - out[-1][-1] == dt.timedelta(days=1):
            out[-1].append(day)
        else:
            out.append([day])
    return [run[0].isoformat() if len(run) == 1 else f"{run[0].isoformat()}..{run[-1].isoformat()}" for run in out]


@_one_line
def cmd_holidays_set(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.rules.workdays import WorkCalendar, schedule_from_mapping
    from yinhui.services.calendar import set_schedule

    _require_schema()
    if not args.days_off and not args.workdays:
        raise CommandError("give the year's days off (--days-off) and make-up working days (--workdays)")
    schedule = schedule_from_mapping(args.year, {"days_off": args.days_off or [], "workdays": args.workdays or []})
    with session_scope() as session:
        set_schedule(session, schedule, actor=ACTOR)
    replaced = " (replaces chinese_calendar's schedule for that year)" if args.year in WorkCalendar().official_years else ""
    print(f"{args.year}: {len(schedule.days_off)} day(s) off and {len(schedule.workdays)} make-up working day(s) "
          f"entered{replaced}")
    return 0


@_one_line
def cmd_holidays_show(args: argparse.Namespace) -> int:
    from models.calendar import SOURCE_NONE
    from models.db import session_scope
    from yinhui.services.calendar import guess_warning, schedule_source

    _require_schema()
    playbook, calendar = _context()
    with session_scope() as session:
        source = schedule_source(session, playbook, args.year)
    schedule = calendar.schedule_for(args.year)
    data = {
        "year": args.year,
        "source": source,
        "days_off": _ranges(schedule.days_off) if schedule else [],
        "workdays": _ranges(schedule.workdays) if schedule else [],
    }
    if args.format == "json":
        _print_json(data)
        return 0
    print(f"{args.year}: schedule from {source}")
    if source == SOURCE_NONE:
        _warn([guess_warning(args.year)])
        return 0
    print("  days off (放假):      " + ", ".join(data["days_off"]))
    print("  make-up workdays (调休上班): " + (", ".join(data["workdays"]) or "none"))
    return 0


@_one_line
def cmd_holidays_clear(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.calendar import clear_schedule

    _require_schema()
    with session_scope() as session:
        removed = clear_schedule(session, args.year)
    if not removed:
        raise CommandError(f"no days were entered for {args.year}")
    print(f"{args.year}: {removed} entered day(s) removed")
    return 0


# -- yinhui event -----------------------------------------------------------------------------


def _owners(pairs: Sequence[str] | None) -> dict[str, str]:
    owners: dict[str, str] = {}
    for pair in pairs or []:
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise CommandError(f"--owner {pair!r}: write ROLE=NAME, e.g. staff=钱干事")
        owners[role.strip()] = name.strip()
    return owners


def _print_steps(plan: dict[str, Any]) -> None:
    from yinhui import textable

    print(textable.render(
        ["task", "step", "when", "due", "owner", "status"],
        [[s["task_id"], s["title"], s["at"], s["due"], s["owner"],
          s["status"] + (" LATE" if s["late"] else "")] for s in plan["steps"]],
        numeric=(0,),
    ))


@_one_line
def cmd_event_create(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from models.types import id_of
    from yinhui import clock
    from yinhui.services.event_views import event_plan
    from yinhui.services.events import create_event

    _require_schema()
    playbook, calendar = _context()
    today = clock.today()
    with session_scope() as session:
        event, _ = create_event(
            session, node_key=args.node, year=args.year, template=args.template, playbook=playbook,
            calendar=calendar, today=today, actor=ACTOR, title=args.title, venue=args.venue,
            teams=args.team or [], owners=_owners(args.owner), language=_lang(),
        )
        plan = event_plan(session, id_of(event), today=today, language=_lang())
    _warn(_guess_warnings(calendar, [dt.date.fromisoformat(s["due"]) for s in plan["steps"]]))
    print(f"event #{plan['id']} {plan['title']} on {plan['held_on']}: {len(plan['steps'])} step(s) planned")
    _print_steps(plan)
    return 0


@_one_line
def cmd_event_show(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.event_views import event_plan

    _require_schema()
    with session_scope() as session:
        plan = event_plan(session, args.event_id, today=clock.today(), language=_lang())
    if args.format == "json":
        _print_json(plan)
        return 0
    moved = f" (moved from {plan['node_date']})" if plan["held_on"] != plan["node_date"] else ""
    print(f"event #{plan['id']} {plan['title']}: {plan['node']} {plan['year']}, held on {plan['held_on']}{moved}")
    print(f"  venue: {plan['venue'] or '-'}; volunteer teams: {'、'.join(plan['teams']) or '-'}")
    if plan["owners"]:
        print("  owners: " + ", ".join(f"{role}={name}" for role, name in sorted(plan["owners"].items())))
    _print_steps(plan)
    done = sum(s["status"] == "done" for s in plan["steps"])
    print(f"{done} of {len(plan['steps'])} step(s) done; late: {', '.join(plan['late']) or 'none'}; "
          f"attended: {plan['attendance']}")
    return 0


@_one_line
def cmd_event_list(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock, textable
    from yinhui.services.event_views import list_events

    _require_schema()
    with session_scope() as session:
        rows = list_events(session, year=args.year, today=clock.today())
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(
        ["id", "event", "node", "held on", "done", "late", "attended"],
        [[r["id"], r["title"], r["node"], r["held_on"], f"{r['done']}/{r['steps']}", r["late"], r["attendance"]]
         for r in rows],
        numeric=(0, 5, 6),
    ))
    return 0


@_one_line
def cmd_event_move(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.events import move_event

    _require_schema()
    playbook, calendar = _context()
    with session_scope() as session:
        moved = move_event(session, args.event_id, args.date, playbook=playbook, calendar=calendar,
                           today=clock.today(), actor=ACTOR)
    _warn(_guess_warnings(calendar, [m.new_due for m in moved]))
    print(f"event #{args.event_id} now on {args.date.isoformat()}: {len(moved)} open step(s) moved")
    for step in moved:
        print(f"  #{step.task_id} {step.key}: {step.old_due.isoformat()} → {step.new_due.isoformat()}")
    return 0


@_one_line
def cmd_event_attend(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.cadres import resolve_cadres
    from yinhui.services.events import record_attendance

    _require_schema()
    with session_scope() as session:
        ids = resolve_cadres(session, args.cadres)
        result = record_attendance(session, args.event_id, ids, playbook=current_playbook(),
                                   today=args.date or clock.today(), actor=ACTOR)
    print(f"event #{args.event_id}: {len(result.added)} attendance(s) recorded, {len(result.already)} already "
          f"recorded; {len(result.covered_tasks)} open task(s) covered by the attendance")
    return 0


# -- parser -----------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calendar", help="calendar nodes of a year (两个节点)",
                       description="festivals, holidays and the bureau's task nodes of a year, with dates")
    p.add_argument("--year", type=_year, help="default: this year")
    p.add_argument("--format", choices=["table", "json", "ics"], default="table")
    p.add_argument("--output", type=Path, help="with --format ics: write to this file instead of stdout")
    p.set_defaults(handler=cmd_calendar)

    p = sub.add_parser("node", help="the bureau's own task nodes (重要任务节点)")
    nsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = nsub.add_parser("add", help="add a task node (anniversary, assessment, campaign deadline)")
    add.add_argument("key", help="lower-case letters, digits and _, e.g. annual_assessment")
    add.add_argument("--name", required=True, help="its Chinese name, e.g. 年度考核")
    add.add_argument("--name-en", help="its English name (default: the Chinese one)")
    add.add_argument("--date", required=True, help="MM-DD every year, or YYYY-MM-DD once")
    add.add_argument("--lunar", action="store_true", help="the date is a lunar date (农历)")
    add.add_argument("--note")
    add.set_defaults(handler=cmd_node_add)
    rm = nsub.add_parser("remove", help="remove a node added with `node add`")
    rm.add_argument("key")
    rm.set_defaults(handler=cmd_node_remove)

    p = sub.add_parser("holidays", help="official days off and make-up working days (放假调休)")
    hsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    st = hsub.add_parser("set", help="enter a year's schedule from the State Council notice (replaces any entry)")
    st.add_argument("year", type=_year)
    st.add_argument("--days-off", nargs="+", action="extend", metavar="DAY",
                    help="weekday days off: 2027-02-05 or 2027-02-05..2027-02-11")
    st.add_argument("--workdays", nargs="+", action="extend", metavar="DAY",
                    help="weekend days worked instead (调休上班)")
    st.set_defaults(handler=cmd_holidays_set)
    sh = hsub.add_parser("show", help="the schedule in force for a year and where it comes from")
    sh.add_argument("year", type=_year)
    sh.add_argument("--format", choices=["table", "json"], default="table")
    sh.set_defaults(handler=cmd_holidays_show)
    cl = hsub.add_parser("clear", help="forget the days entered for a year")
    cl.add_argument("year", type=_year)
    cl.set_defaults(handler=cmd_holidays_clear)

    p = sub.add_parser("event", help="events around calendar nodes (节点活动)")
    esub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    cr = esub.add_parser("create", help="plan an event from a template: dated steps for their owners")
    cr.add_argument("--node", required=True, help="a node key (see `yinhui calendar`)")
    cr.add_argument("--year", required=True, type=_year)
    cr.add_argument("--template", required=True, help="an event template of the playbook")
    cr.add_argument("--title")
    cr.add_argument("--venue")
    cr.add_argument("--team", action="append", help="a volunteer team serving at it (repeat)")
    cr.add_argument("--owner", action="append", metavar="ROLE=NAME",
                    help="who owns a role's steps, e.g. staff=钱干事 (repeat)")
    cr.set_defaults(handler=cmd_event_create)
    ls = esub.add_parser("list", help="list events")
    ls.add_argument("--year", type=_year)
    ls.add_argument("--format", choices=["table", "json"], default="table")
    ls.set_defaults(handler=cmd_event_list)
    sw = esub.add_parser("show", help="an event's plan: who owns what, what is late")
    sw.add_argument("event_id", type=int)
    sw.add_argument("--format", choices=["table", "json"], default="table")
    sw.set_defaults(handler=cmd_event_show)
    mv = esub.add_parser("move", help="hold the event on another day; open steps move with it")
    mv.add_argument("event_id", type=int)
    mv.add_argument("--date", required=True, type=_day)
    mv.set_defaults(handler=cmd_event_move)
    at = esub.add_parser("attend", help="record cadres who attended (counts as that month's contact)")
    at.add_argument("event_id", type=int)
    at.add_argument("cadres", nargs="+", metavar="CADRE", help="#id, ID number or a unique name")
    at.add_argument("--date", type=_day, help="the day it is recorded (default today)")
    at.set_defaults(handler=cmd_event_attend)
