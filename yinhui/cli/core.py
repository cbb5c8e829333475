"""Everyday commands: `yinhui init | import-roster | import-staff | plan | dispatch | tasks | complete | reschedule | rerun`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    EXIT_INVALID,
    As,
    CommandError,
    FormatOption,
    actor,
    database,
    day_option,
    engine,
    language,
    progress,
    require_schema,
    show_list,
)

app = typer.Typer()

DryRun = Annotated[bool, typer.Option("--dry-run", help="check only, write nothing")]
NoDispatch = Annotated[bool, typer.Option("--no-dispatch", help="queue digests without sending them")]
Status = Literal["open", "overdue", "live", "done", "missed", "cancelled", "all"]
Outcome = Literal["reached", "unreachable", "visited", "declined"]


@app.command("init")
def init() -> int:
    """create or upgrade the database"""
    from models.db import upgrade
    from yinhui.settings import get_settings

    database_engine = engine()
    upgrade(database_engine)
    print(f"database ready: {database_engine.url.render_as_string(hide_password=True)}")
    print(f"playbook: {get_settings().playbook or 'shipped default'}")
    return 0


def _report_rows(file: Path, errors: Sequence[Any], lang: str) -> int:
    print(f"{file}: {len(errors)} problem(s); nothing was imported:", file=sys.stderr)
    for error in errors:
        print("  " + error.message(lang), file=sys.stderr)
    return EXIT_INVALID


class _Counted:
    """A sheet's rows, moving the progress bar as the checker reads them."""

    def __init__(self, rows: Iterable[Any], advance: Any) -> None:
        self._rows, self._advance = rows, advance

    def __iter__(self) -> Iterator[Any]:
        for row in self._rows:
            self._advance()
            yield row


def _first(items: Sequence[str], count: int) -> str:
    return ", ".join(items[:count]) + (" ..." if len(items) > count else "")


@app.command("import-roster")
def import_roster(file: Path, dry_run: DryRun = False) -> int:
    """import the roster of cadres (.xlsx or .csv)"""
    from models.db import session_scope
    from yinhui import clock
    from yinhui.roster import ROSTER_COLUMNS, read_table, validate_roster
    from yinhui.services.roster_import import ImportRejected, apply_roster

    require_schema()
    lang = language()
    with progress(f"checking {file.name}", unit="rows") as advance:
        table = read_table(file, ROSTER_COLUMNS)
        check = validate_roster(dataclasses.replace(table, rows=_Counted(table.rows, advance)))
    for warning in check.warnings:
        print("warning: " + warning.message(lang), file=sys.stderr)
    if check.errors:
        return _report_rows(file, check.errors, lang)
    header = check.table.columns.get("coordinator", "责任人") if check.table else "责任人"
    try:
        with progress(f"writing {len(check.records):,} cadres"), session_scope() as session:
            result = apply_roster(session, check.records, coordinator_header=header, actor="cli:import-roster",
                                  on=clock.today())
            if dry_run:
                session.rollback()
    except ImportRejected as exc:
        return _report_rows(file, exc.errors, lang)
    verb = "would import" if dry_run else "imported"
    print(f"{file}: {len(check.records)} rows checked; {verb}: {result.created} new, "
          f"{result.updated} updated, {result.unchanged} unchanged")
    if result.grids_created:
        print(f"  new grids ({len(result.grids_created)}): " + _first(result.grids_created, 20))
    if result.branches_created:
        print(f"  new party branches ({len(result.branches_created)}): " + _first(result.branches_created, 10))
    for name, old, new, cancelled in result.status_changes:
        print(f"  status: {name} {old} → {new} ({cancelled} open task(s) cancelled)")
    if result.absent:
        print(f"  {len(result.absent)} active cadre(s) in the database are not in this file (kept, not deleted):")
        for name, masked, grid in result.absent[:50]:
            print(f"    {name} {masked} {grid}")
        if len(result.absent) > 50:
            print(f"    ... and {len(result.absent) - 50} more")
    if dry_run:
        print("dry run: nothing was written")
    return 0


@app.command("import-staff")
def import_staff(file: Path, dry_run: DryRun = False) -> int:
    """import the staff sheet (coordinators)"""
    from models.db import session_scope
    from yinhui.roster import load_staff
    from yinhui.services.errors import CoordinatorError
    from yinhui.services.roster_import import apply_staff

    require_schema()
    check = load_staff(file)
    if check.errors:
        return _report_rows(file, check.errors, language())
    try:
        with session_scope() as session:
            result = apply_staff(session, check.records)
            if dry_run:
                session.rollback()
    except CoordinatorError as exc:
        raise CommandError(f"{file}: {exc}; nothing was imported") from None
    verb = "would import" if dry_run else "imported"
    print(f"{file}: {verb} {result.created} new and {result.updated} updated coordinator(s)")
    if result.grids_created:
        print(f"  new grids: {', '.join(result.grids_created)}")
    return 0


def _outbox_line(sent: dict[str, Any]) -> str:
    return f"outbox: {sent.get('sent', 0)} sent, {sent.get('failed', 0)} to retry, {sent.get('dead', 0)} undeliverable"


def _plan(day: dt.date, *, dispatch: bool) -> int:
    from flows.daily_plan import daily_plan

    results = daily_plan(day, dispatch=dispatch)
    counts = results["contact_cadence"]
    created = ", ".join(f"{rule} {n}" for rule, n in counts["created"].items()) or "none due"
    print(f"{counts['day']}: created {counts['created_total']} ({created}); "
          f"{counts['overdue']} newly overdue, {counts['escalated']} escalated, {counts['missed']} missed; "
          f"{results['digests']} digest(s) queued")
    nodes = results.get("calendar_nodes") or {}
    care = results.get("care_plan") or {}
    others = {k: v for k, v in {**nodes, **care}.items() if isinstance(v, int) and not isinstance(v, bool) and v}
    if others:
        print("  also: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(others.items())))
    for warning in nodes.get("warnings", []) or []:
        print(f"  warning: {warning}")
    if counts["uncovered_grids"]:
        print(f"  {counts['uncovered_grids']} base grid(s) have no coordinator: their tasks go to a leader "
              "(see `yinhui report coverage`)")
    if "dispatch" in results:
        print(_outbox_line(results["dispatch"]))
    return 0


@app.command("plan")
def plan(
    date: Annotated[dt.date | None, day_option("--date", help="the day to plan (default today, Beijing time)")] = None,
    no_dispatch: NoDispatch = False,
) -> int:
    """run the day's planning flow, then deliver the outbox"""
    from yinhui import clock

    require_schema()
    return _plan(date or clock.today(), dispatch=not no_dispatch)


@app.command("rerun")
def rerun(
    date: Annotated[dt.date, day_option("--date", help="the day to plan again (YYYY-MM-DD)")],
    no_dispatch: NoDispatch = False,
) -> int:
    """re-run a failed day's plan (creates nothing twice)

    Plan a past day again (after a failed run): what exists is kept, what is missing is made.
    """
    from yinhui import clock

    if date > clock.today():
        raise CommandError(f"{date} is in the future; a day is re-run after it started")
    print(f"re-running the plan for {date} (nothing that exists is created again)")
    require_schema()
    return _plan(date, dispatch=not no_dispatch)


@app.command("dispatch")
def dispatch() -> int:
    """deliver what is waiting in the outbox"""
    from flows.dispatch_outbox import dispatch_outbox

    require_schema()
    print(_outbox_line(dispatch_outbox()))
    return 0


@app.command("tasks")
def tasks(
    coordinator: Annotated[str | None, typer.Option(help="only this coordinator's tasks (and those escalated to them)")] = None,
    status: Annotated[Status, typer.Option(help="which tasks (live: open or overdue)")] = "live",
    fmt: FormatOption = "table",
    limit: Annotated[int | None, typer.Option(help="at most this many")] = None,
) -> None:
    """list tasks"""
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.task_views import list_tasks

    def fetch(session: Any) -> list[dict[str, Any]]:
        coordinator_id = find_coordinator(session, coordinator).id if coordinator else None
        return list_tasks(session, coordinator_id=coordinator_id, status=status, limit=limit)

    show_list(
        fetch, fmt, ["id", "kind", "status", "window", "due", "cadre", "grid", "assignee", "escalated to"],
        lambda r: [r["id"], r["kind"], r["status"], r["window_opens"], r["due"], (r["cadre"] or {}).get("name"),
                   r["grid"], r["assignee"], r["escalated_to"]],
        numeric=(0,), after=lambda rows: f"({len(rows)} task(s))",
    )


@app.command("complete")
def complete(
    task_id: int,
    outcome: Annotated[Outcome, typer.Option(help="what came of it")],
    note: Annotated[str | None, typer.Option(help="a note kept with the task")] = None,
    date: Annotated[dt.date | None, day_option("--date", help="when it was done (default today)")] = None,
    as_: As = None,
) -> int:
    """record a task's outcome"""
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.tasks import complete_task

    on = date or clock.today()
    with database() as session:
        task = complete_task(session, task_id, outcome=outcome, actor=actor(session, as_), on=on,
                             playbook=current_playbook(), note=note)
        print(f"task #{task.id} done ({task.outcome}) on {on.isoformat()}")
    return 0


@app.command("reschedule")
def reschedule(
    task_id: int,
    to: Annotated[dt.date, day_option("--to", help="the new due date")],
    as_: As = None,
) -> int:
    """move a live task's due date (within its period)"""
    from yinhui import clock
    from yinhui.services.tasks import reschedule_task

    with database() as session:
        task = reschedule_task(session, task_id, to=to, actor=actor(session, as_), today=clock.today())
        print(f"task #{task.id} now due {task.due.isoformat()} ({task.status})")
    return 0
