"""Task commands: `yinhui tasks | complete | reschedule` (at the root) and `yinhui task show ID`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    MAX_COUNT,
    As,
    FormatOption,
    OutputOption,
    _,
    actor,
    database,
    day_option,
    id_argument,
    print_json,
    print_table,
    show_list,
)
from yinhui.i18n import N_

app = typer.Typer()
task = typer.Typer(help=N_("one task: its whole record"))

Status = Literal["open", "overdue", "live", "done", "missed", "cancelled", "all"]
Outcome = Literal["reached", "unreachable", "visited", "declined"]
Via = Literal["relative"]  # who answered, when not the cadre (亲属接听)


def _cadre_cell(row: Mapping[str, Any]) -> str | None:
    """The cadre, and a call's next of kin to try when the cadre cannot be reached (紧急联系人)."""
    name = (row["cadre"] or {}).get("name")
    kin = row.get("next_of_kin")
    if not kin:
        return name
    return _("{cadre} (next of kin {name} ({relation}) ☎ {phones})", cadre=name, name=kin["name"],
             relation=kin["relation"], phones=" / ".join(kin["phones"]) or "—")


@app.command("tasks", help=N_("list tasks (--format xlsx --output FILE: a workbook, with ID numbers: keep it to yourself)"))
def tasks(
    coordinator: Annotated[str | None, typer.Option(help=N_("only this coordinator's tasks (and those escalated to them)"))] = None,
    status: Annotated[Status, typer.Option(help=N_("which tasks (live: open or overdue)"))] = "live",
    cadre: Annotated[str | None, typer.Option(
        metavar="CADRE", help=N_("only this cadre's tasks (ID number, #id, or name)"))] = None,
    grid: Annotated[str | None, typer.Option(
        metavar="GRID", help=N_("only tasks of cadres in this grid and every grid under it (城关镇 or 城关镇/东街村)"))] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help=N_("only this kind (call, visit, ...)"))] = None,
    due_before: Annotated[dt.date | None, day_option(
        "--due-before", help=N_("only tasks due before this day (YYYY-MM-DD)"))] = None,
    fmt: Annotated[Literal["table", "json", "xlsx", "ics"], typer.Option("--format", help=(
        N_("table, json for programs, xlsx (with --output FILE) for a spreadsheet, or ics (with --coordinator): "
        "their open tasks as a calendar to subscribe to")))] = "table",
    output: OutputOption = None,
    limit: Annotated[int | None, typer.Option(min=0, max=MAX_COUNT, help=N_("at most this many"))] = None,
) -> None:
    if fmt == "ics":  # a calendar feed: yinhui/cli/calendar.py
        from yinhui.cli.calendar import write_task_feed

        write_task_feed(coordinator, output, filtered=bool(cadre or grid or kind or due_before or limit
                                                            or status != "live"))
        return
    from yinhui.cli.common import operator_language
    from yinhui.export.reports import Words, task_sheets
    from yinhui.services.task_views import TaskFilter, list_tasks

    def fetch(session: Any) -> list[dict[str, Any]]:
        wanted = TaskFilter.resolve(session, coordinator=coordinator, cadre=cadre, grid=grid, kind=kind,
                                    due_before=due_before)
        return list_tasks(session, status=status, limit=limit, where=wanted)

    show_list(
        fetch, fmt,
        [_("id"), _("kind"), _("status"), _("window"), _("due"), _("cadre"), _("grid"), _("assignee"),
         _("escalated to")],
        lambda r: [r["id"], r["kind"], r["status"], r["window_opens"], r["due"], _cadre_cell(r),
                   r["grid"], r["assignee"], r["escalated_to"]],
        numeric=(0,), after=lambda rows: _("({count} task(s))", count=len(rows)),
        output=output, sheets=lambda rows: task_sheets(rows, Words(operator_language())),
    )


@app.command("complete", help=N_("record a task's outcome"))
def complete(
    task_id: Annotated[int, id_argument("TASK_ID", help=N_("the task's number (see `yinhui tasks`)"))],
    outcome: Annotated[Outcome, typer.Option(help=N_("what came of it"))],
    note: Annotated[str | None, typer.Option(help=N_("a note kept with the task"))] = None,
    date: Annotated[dt.date | None, day_option("--date", help=N_("when it was done (default today)"))] = None,
    as_: As = None,
    via: Annotated[Via | None, typer.Option(help=N_("relative: a relative answered for the cadre (亲属接听); counts as the contact"))] = None,
) -> int:
    from models.tasks import LIVE_STATUSES
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import complete_task

    on = date or clock.today()
    with database() as session:
        done = complete_task(session, task_id, outcome=outcome, actor=actor(session, as_), on=on,
                             playbook=current_playbook(), note=note, via=via)
        if done.status in LIVE_STATUSES:  # unreachable, with attempts left: the task stays open
            print(_("task #{task_id}: attempt {attempt} unreachable; try again by {due}",
                    task_id=done.id, attempt=done.attempts, due=done.due.isoformat()))
        else:
            print(_("task #{task_id} done ({outcome}) on {day}", task_id=done.id, outcome=done.outcome,
                    day=on.isoformat()))
    return 0


@app.command("reschedule", help=N_("move a live task's due date (within its period)"))
def reschedule(
    task_id: Annotated[int, id_argument("TASK_ID", help=N_("the task's number (see `yinhui tasks`)"))],
    to: Annotated[dt.date, day_option("--to", help=N_("the new due date"))],
    as_: As = None,
) -> int:
    from yinhui import clock
    from yinhui.services.tasks import reschedule_task

    with database() as session:
        moved = reschedule_task(session, task_id, to=to, actor=actor(session, as_), today=clock.today())
        print(_("task #{task_id} now due {due} ({status})", task_id=moved.id, due=moved.due.isoformat(),
                status=moved.status))
    return 0


@task.command("show", help=N_("one task: its cadre, window, due date, assignee, escalation, attempts, outcome and history"))
def show(task_id: Annotated[int, id_argument("TASK_ID", help=N_("the task's number (see `yinhui tasks`)"))], fmt: FormatOption = "table") -> None:
    from yinhui.services.task_views import task_record

    with database(read_only=True) as session:
        record = task_record(session, task_id)
    if fmt == "json":
        print_json(record)
        return
    cadre = record["cadre"]
    lines = [
        (_("task"), f"#{record['id']} {record['kind']} · {record['label'] or record['rule']} · {record['period']}"),
        (_("status"), record["status"]),
        (_("cadre"), f"{cadre['name']} (#{cadre['id']}) · {cadre['grid']}" if cadre else "-"),
        (_("window"), f"{record['window_opens']} .. {record['window_closes']}"),
        (_("due"), record["due"]),
        (_("assignee"), record["assignee"] or "-"),
        (_("escalation"), _("level {level}, to {name}", level=record["escalation_level"], name=record["escalated_to"])
         if record["escalated_to"] else "-"),
        (_("attempts"), str(record["attempts"])),
        (_("outcome"), record["outcome"] or "-"),
        (_("note"), record["note"] or "-"),
    ]
    width = max(len(label) for label, _value in lines)
    for label, value in lines:
        print(f"{label.ljust(width)}  {value}")
    print()
    print(_("history:"))
    print_table([_("when"), _("who"), _("what"), _("detail")],
                [[e["at"], e["actor"], e["action"], e["detail"] or ""] for e in record["history"]])
