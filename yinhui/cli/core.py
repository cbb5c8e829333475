"""Everyday commands: `yinhui init | import-roster | import-staff | plan | dispatch | tasks | complete | reschedule | rerun`."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    EXIT_INVALID,
    MAX_COUNT,
    As,
    CommandError,
    FormatOption,
    actor,
    database,
    day_option,
    engine,
    id_argument,
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


def _report_rows(file: Path, errors: Sequence[Any], lang: str, more: str | None = None, total: int | None = None) -> int:
    print(f"{file}: {total or len(errors):,} problem(s); nothing was imported:", file=sys.stderr)
    for error in errors:
        print("  " + error.message(lang), file=sys.stderr)
    if more:
        print("  " + more, file=sys.stderr)
    return EXIT_INVALID


def _first(items: Sequence[str], count: int) -> str:
    return ", ".join(items[:count]) + (" ..." if len(items) > count else "")


Confirm = Annotated[list[str] | None, typer.Option(
    "--confirm", metavar="ID",
    help="a cadre's ID number whose protected change (a status back from 去世/迁出, a change made "
         "after the file was written) this import may make; repeat for several")]
FileDate = Annotated[dt.date | None, day_option(
    "--file-date", help="the day the file was made (default: its modification time)")]


def _refused(file: Path, outcome: Any, lang: str, *, dry_run: bool) -> int:
    """Why nothing was (or would be) written: the problems, one a line, then how many more."""
    more = sum(outcome.omitted.values())
    print(f"{file}: {len(outcome.errors) + more:,} problem(s); "
          f"{'nothing would be imported' if dry_run else 'nothing was imported'}:", file=sys.stderr)
    for error in outcome.errors:
        print("  " + error.message(lang), file=sys.stderr)
    line = outcome.omitted_line(lang)
    if line:
        print("  " + line, file=sys.stderr)
    if outcome.plan is not None and outcome.plan.protected:
        print("  if the file is right, import it again with --confirm ID for each cadre named above "
              "(or --file-date YYYY-MM-DD when the file is older than its modification time)", file=sys.stderr)
    return EXIT_INVALID


@app.command("import-roster")
def import_roster(
    file: Path,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    file_date: FileDate = None,
) -> int:
    """import the roster of cadres (.xlsx or .csv)"""
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.roster_import import ImportRejected, import_roster_file

    require_schema()
    lang = language()
    try:
        with progress(f"importing {file.name}", unit="rows") as advance, session_scope() as session:
            outcome = import_roster_file(session, file, actor="cli:import-roster", on=clock.today(),
                                         file_date=file_date, confirm=tuple(confirm or ()), dry_run=dry_run,
                                         progress=advance)
            if dry_run or not outcome.written:
                session.rollback()
    except ImportRejected as exc:
        return _report_rows(file, exc.errors, lang)
    for warning in outcome.check.warnings:
        print("warning: " + warning.message(lang), file=sys.stderr)
    plan = outcome.plan
    if dry_run and plan is not None:
        for line in plan.lines(lang):
            print("  " + line)
    if outcome.errors or not (outcome.written or dry_run):
        return _refused(file, outcome, lang, dry_run=dry_run)
    result = outcome.result
    if result is None:  # a dry run: what the plan says it would do
        assert plan is not None
        print(f"{file}: {len(outcome.check.records)} rows checked; would import: {plan.created} new, "
              f"{plan.updated} updated, {plan.unchanged} unchanged")
        absent = plan.absent
    else:
        print(f"{file}: {len(outcome.check.records)} rows checked; imported: {result.created} new, "
              f"{result.updated} updated, {result.unchanged} unchanged")
        if result.grids_created:
            print(f"  new grids ({len(result.grids_created)}): " + _first(result.grids_created, 20))
        if result.branches_created:
            print(f"  new party branches ({len(result.branches_created)}): " + _first(result.branches_created, 10))
        for name, old, new, cancelled in result.status_changes:
            print(f"  status: {name} {old} → {new} ({cancelled} open task(s) cancelled)")
        absent = result.absent
    if absent:
        print(f"  {len(absent)} active cadre(s) in the database are not in this file (kept, not deleted):")
        for name, masked, grid in absent[:50]:
            print(f"    {name} {masked} {grid}")
        if len(absent) > 50:
            print(f"    ... and {len(absent) - 50} more")
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
        lang = language()
        return _report_rows(file, check.errors, lang, check.omitted_line(lang), check.error_count)
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


Backfill = Annotated[bool, typer.Option(
    "--backfill", help="fill in an older day on purpose (further back than a plan normally reaches)")]


def _check_day(day: dt.date, *, backfill: bool) -> None:
    """A day outside the plan's window is one line, before any flow run starts (no failed run, no alert)."""
    from yinhui import clock
    from yinhui.services.errors import PlanningError
    from yinhui.services.planning import check_plan_day

    try:
        check_plan_day(day, today=clock.today(), backfill=backfill)
    except PlanningError as exc:
        hint = " with --backfill" if not backfill and "back-fill" in str(exc) else ""
        raise CommandError(f"{exc}{hint}") from None


def _plan(day: dt.date, *, dispatch: bool, backfill: bool = False) -> int:
    from flows.daily_plan import daily_plan

    results = daily_plan(day=day, dispatch=dispatch, backfill=backfill)
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
    backfill: Backfill = False,
) -> int:
    """run the day's planning flow, then deliver the outbox"""
    from yinhui import clock

    day = date or clock.today()
    _check_day(day, backfill=backfill)
    require_schema()
    return _plan(day, dispatch=not no_dispatch, backfill=backfill)


@app.command("rerun")
def rerun(
    date: Annotated[dt.date, day_option("--date", help="the day to plan again (YYYY-MM-DD)")],
    no_dispatch: NoDispatch = False,
    backfill: Backfill = False,
) -> int:
    """re-run a failed day's plan (creates nothing twice)

    Plan a past day again (after a failed run): what exists is kept, what is missing is made.
    """
    from yinhui import clock

    if date > clock.today():
        raise CommandError(f"{date} is in the future; a day is re-run after it started")
    _check_day(date, backfill=backfill)
    print(f"re-running the plan for {date} (nothing that exists is created again)")
    require_schema()
    return _plan(date, dispatch=not no_dispatch, backfill=backfill)


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
    limit: Annotated[int | None, typer.Option(min=0, max=MAX_COUNT, help="at most this many")] = None,
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
    task_id: Annotated[int, id_argument("TASK_ID")],
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
    task_id: Annotated[int, id_argument("TASK_ID")],
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
