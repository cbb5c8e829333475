"""`yinhui event create | list | show | move | attend`: events around calendar nodes (节点活动), planned as dated steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    ACTOR,
    CommandError,
    FormatOption,
    database,
    day_option,
    guess_warnings,
    id_argument,
    language,
    one_line,
    print_json,
    print_table,
    require_schema,
    show_list,
    warn,
    work_context,
    year_option,
)

app = typer.Typer(help="events around calendar nodes (节点活动)")
EventId = Annotated[int, id_argument("EVENT_ID")]


def _owners(pairs: Sequence[str] | None) -> dict[str, str]:
    owners: dict[str, str] = {}
    for pair in pairs or []:
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise CommandError(f"--owner {pair!r}: write ROLE=NAME, e.g. staff=钱干事")
        owners[role.strip()] = name.strip()
    return owners


def _print_steps(plan: dict[str, Any]) -> None:
    print_table(
        ["task", "step", "when", "due", "owner", "status"],
        [[s["task_id"], s["title"], s["at"], s["due"], s["owner"], s["status"] + (" LATE" if s["late"] else "")]
         for s in plan["steps"]],
        (0,),
    )


@app.command("create")
@one_line
def create(
    node: Annotated[str, typer.Option(help="a node key (see `yinhui calendar`)")],
    year: Annotated[int, year_option("--year", help="the year of the node")],
    template: Annotated[str, typer.Option(help="an event template of the playbook")],
    title: Annotated[str | None, typer.Option(help="default: the template's title for the node")] = None,
    venue: Annotated[str | None, typer.Option(help="where it is held")] = None,
    team: Annotated[list[str] | None, typer.Option(help="a volunteer team serving at it (repeat)")] = None,
    owner: Annotated[list[str] | None, typer.Option(
        metavar="ROLE=NAME", help="who owns a role's steps, e.g. staff=钱干事 (repeat)")] = None,
) -> int:
    """plan an event from a template: dated steps for their owners"""
    from models.db import session_scope
    from models.types import id_of
    from yinhui import clock
    from yinhui.services.event_views import event_plan
    from yinhui.services.events import create_event

    require_schema()
    playbook, calendar = work_context()
    today, lang = clock.today(), language()
    with session_scope() as session:
        event, _ = create_event(
            session, node_key=node, year=year, template=template, playbook=playbook, calendar=calendar,
            today=today, actor=ACTOR, title=title, venue=venue, teams=team or [], owners=_owners(owner),
            language=lang,
        )
        plan = event_plan(session, id_of(event), today=today, language=lang)
    warn(guess_warnings(calendar, [dt.date.fromisoformat(s["due"]) for s in plan["steps"]]))
    print(f"event #{plan['id']} {plan['title']} on {plan['held_on']}: {len(plan['steps'])} step(s) planned")
    _print_steps(plan)
    return 0


@app.command("list")
@one_line
def list_(year: Annotated[int | None, year_option("--year", help="only this year's")] = None, fmt: FormatOption = "table") -> None:
    """list events"""
    from yinhui import clock
    from yinhui.services.event_views import list_events

    show_list(
        lambda session: list_events(session, year=year, today=clock.today()), fmt,
        ["id", "event", "node", "held on", "done", "late", "attended"],
        lambda r: [r["id"], r["title"], r["node"], r["held_on"], f"{r['done']}/{r['steps']}", r["late"], r["attendance"]],
        numeric=(0, 5, 6),
    )


@app.command("show")
@one_line
def show(event_id: EventId, fmt: FormatOption = "table") -> int:
    """an event's plan: who owns what, what is late"""
    from yinhui import clock
    from yinhui.services.event_views import event_plan

    with database(read_only=True) as session:
        plan = event_plan(session, event_id, today=clock.today(), language=language())
    if fmt == "json":
        print_json(plan)
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


@app.command("move")
@one_line
def move(event_id: EventId, date: Annotated[dt.date, day_option("--date", help="the day it is now held")]) -> int:
    """hold the event on another day; open steps move with it"""
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.events import move_event

    require_schema()
    playbook, calendar = work_context()
    with session_scope() as session:
        moved = move_event(session, event_id, date, playbook=playbook, calendar=calendar, today=clock.today(),
                           actor=ACTOR)
    warn(guess_warnings(calendar, [m.new_due for m in moved]))
    print(f"event #{event_id} now on {date.isoformat()}: {len(moved)} open step(s) moved")
    for step in moved:
        print(f"  #{step.task_id} {step.key}: {step.old_due.isoformat()} → {step.new_due.isoformat()}")
    return 0


@app.command("attend")
@one_line
def attend(
    event_id: EventId,
    cadres: Annotated[list[str], typer.Argument(metavar="CADRE...", help="#id, ID number or a unique name")],
    date: Annotated[dt.date | None, day_option("--date", help="the day it is recorded (default today)")] = None,
) -> int:
    """record cadres who attended (counts as that month's contact)"""
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.cadres import resolve_cadres
    from yinhui.services.events import record_attendance

    with database() as session:
        ids = resolve_cadres(session, cadres)
        result = record_attendance(session, event_id, ids, playbook=current_playbook(),
                                   today=date or clock.today(), actor=ACTOR)
    print(f"event #{event_id}: {len(result.added)} attendance(s) recorded, {len(result.already)} already "
          f"recorded; {len(result.covered_tasks)} open task(s) covered by the attendance")
    return 0
