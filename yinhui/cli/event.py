"""`yinhui event create | list | show | move | cancel | attend`: events around calendar nodes (节点活动), planned as dated steps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    ACTOR,
    CommandError,
    FormatOption,
    _,
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
from yinhui.i18n import N_

app = typer.Typer(help=N_("events around calendar nodes (节点活动)"))
EventId = Annotated[int, id_argument("EVENT_ID", help=N_("the event's number (see `yinhui event list`)"))]


def _owners(pairs: Sequence[str] | None) -> dict[str, str]:
    owners: dict[str, str] = {}
    for pair in pairs or []:
        role, sep, name = pair.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise CommandError(_("--owner {pair!r}: write ROLE=NAME, e.g. staff=钱干事", pair=pair))
        owners[role.strip()] = name.strip()
    return owners


def _print_steps(plan: dict[str, Any]) -> None:
    print_table(
        [_("task"), _("step"), _("when"), _("due"), _("owner"), _("status")],
        [[s["task_id"], s["title"], s["at"], s["due"], s["owner"], s["status"] + (_(" LATE") if s["late"] else "")]
         for s in plan["steps"]],
        (0,),
    )


@app.command("create", help=N_("plan an event from a template: dated steps for their owners"))
@one_line
def create(
    node: Annotated[str, typer.Option(help=N_("a node key (see `yinhui calendar`)"))],
    year: Annotated[int, year_option("--year", help=N_("the year of the node"))],
    template: Annotated[str, typer.Option(help=N_("an event template of the playbook"))],
    title: Annotated[str | None, typer.Option(help=N_("default: the template's title for the node"))] = None,
    venue: Annotated[str | None, typer.Option(help=N_("where it is held"))] = None,
    team: Annotated[list[str] | None, typer.Option(help=N_("a volunteer team serving at it (repeat)"))] = None,
    owner: Annotated[list[str] | None, typer.Option(
        metavar="ROLE=NAME", help=N_("who owns a role's steps, e.g. staff=钱干事 (repeat)"))] = None,
) -> int:
    from models.db import session_scope
    from models.types import id_of
    from yinhui import clock
    from yinhui.services.event_views import event_plan
    from yinhui.services.events import create_event

    require_schema()
    playbook, calendar = work_context()
    today, lang = clock.today(), language()
    with session_scope() as session:
        event, _created = create_event(
            session, node_key=node, year=year, template=template, playbook=playbook, calendar=calendar,
            today=today, actor=ACTOR, title=title, venue=venue, teams=team or [], owners=_owners(owner),
            language=lang,
        )
        plan = event_plan(session, id_of(event), today=today, language=lang)
    warn(guess_warnings(calendar, [dt.date.fromisoformat(s["due"]) for s in plan["steps"]]))
    print(_("event #{event_id} {title} on {day}: {count} step(s) planned", event_id=plan["id"], title=plan["title"],
            day=plan["held_on"], count=len(plan["steps"])))
    _print_steps(plan)
    return 0


@app.command("list", help=N_("list events"))
@one_line
def list_(year: Annotated[int | None, year_option("--year", help=N_("only this year's"))] = None, fmt: FormatOption = "table") -> None:
    from yinhui import clock
    from yinhui.services.event_views import list_events

    show_list(
        lambda session: list_events(session, year=year, today=clock.today()), fmt,
        [_("id"), _("event"), _("node"), _("held on"), _("done"), _("late"), _("attended"), _("cancelled")],
        lambda r: [r["id"], r["title"], r["node"], r["held_on"], f"{r['done']}/{r['steps']}", r["late"], r["attendance"],
                   _("{day}: {reason}", day=r["cancelled_on"], reason=r["cancel_reason"]) if r["cancelled_on"] else ""],
        numeric=(0, 5, 6),
    )


@app.command("show", help=N_("an event's plan: who owns what, what is late"))
@one_line
def show(event_id: EventId, fmt: FormatOption = "table") -> int:
    from yinhui import clock
    from yinhui.services.event_views import event_plan

    with database(read_only=True) as session:
        plan = event_plan(session, event_id, today=clock.today(), language=language())
    if fmt == "json":
        print_json(plan)
        return 0
    moved = _(" (moved from {day})", day=plan["node_date"]) if plan["held_on"] != plan["node_date"] else ""
    print(_("event #{event_id} {title}: {node} {year}, held on {day}{moved}", event_id=plan["id"], title=plan["title"],
            node=plan["node"], year=plan["year"], day=plan["held_on"], moved=moved))
    if plan["cancelled_on"]:
        print("  " + _("CANCELLED on {day}: {reason}", day=plan["cancelled_on"], reason=plan["cancel_reason"]))
    print("  " + _("venue: {venue}; volunteer teams: {teams}", venue=plan["venue"] or "-",
                   teams="、".join(plan["teams"]) or "-"))
    if plan["owners"]:
        print("  " + _("owners: {owners}", owners=", ".join(f"{role}={name}" for role, name in sorted(plan["owners"].items()))))
    _print_steps(plan)
    done = sum(s["status"] == "done" for s in plan["steps"])
    print(_("{done} of {count} step(s) done; late: {late}; attended: {attended}", done=done, count=len(plan["steps"]),
            late=", ".join(plan["late"]) or _("none"), attended=plan["attendance"]))
    return 0


@app.command("move", help=N_("hold the event on another day; open steps move with it"))
@one_line
def move(event_id: EventId, date: Annotated[dt.date, day_option("--date", help=N_("the day it is now held"))]) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.events import move_event

    require_schema()
    playbook, calendar = work_context()
    with session_scope() as session:
        moved = move_event(session, event_id, date, playbook=playbook, calendar=calendar, today=clock.today(),
                           actor=ACTOR)
    warn(guess_warnings(calendar, [m.new_due for m in moved]))
    print(_("event #{event_id} now on {day}: {count} open step(s) moved", event_id=event_id, day=date.isoformat(),
            count=len(moved)))
    for step in moved:
        print(f"  #{step.task_id} {step.key}: {step.old_due.isoformat()} → {step.new_due.isoformat()}")
    return 0


@app.command("cancel", help=N_("call an event off: its open steps are cancelled with the reason"))
@one_line
def cancel(
    event_id: EventId,
    reason: Annotated[str, typer.Option(help=N_("why it is called off (kept with the event and every cancelled step)"))],
) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.events import cancel_event

    require_schema()
    with session_scope() as session:
        cancelled = cancel_event(session, event_id, reason=reason, today=clock.today(), actor=ACTOR)
    print(_("event #{event_id} cancelled: {count} open step(s) cancelled", event_id=event_id, count=cancelled))
    return 0


@app.command("attend", help=N_("record cadres who attended (counts as that month's contact)"))
@one_line
def attend(
    event_id: EventId,
    cadres: Annotated[list[str], typer.Argument(metavar="CADRE...", help=N_("#id, ID number or a unique name"))],
    date: Annotated[dt.date | None, day_option("--date", help=N_("the day it is recorded (default today)"))] = None,
) -> int:
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.cadres import resolve_cadres
    from yinhui.services.events import record_attendance

    with database() as session:
        ids = resolve_cadres(session, cadres)
        result = record_attendance(session, event_id, ids, playbook=current_playbook(),
                                   today=date or clock.today(), actor=ACTOR)
    print(_("event #{event_id}: {added} attendance(s) recorded, {already} already recorded; {covered} open task(s) "
            "covered by the attendance", event_id=event_id, added=len(result.added), already=len(result.already),
            covered=len(result.covered_tasks)))
    return 0
