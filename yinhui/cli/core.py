"""Everyday commands: `yinhui init | import-roster | import-staff | plan | dispatch | rerun` (the task commands are in `task`)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from yinhui.cli.common import (
    EXIT_INVALID,
    CommandError,
    _,
    day_option,
    engine,
    language,
    operator_language,
    progress,
    require_schema,
)
from yinhui.i18n import N_

app = typer.Typer()

DryRun = Annotated[bool, typer.Option("--dry-run", help=N_("check only, write nothing"))]
NoDispatch = Annotated[bool, typer.Option("--no-dispatch", help=N_("queue digests without sending them"))]


@app.command("init", help=N_("create or upgrade the database"))
def init() -> int:
    from models.db import upgrade
    from yinhui.settings import get_settings

    database_engine = engine()
    upgrade(database_engine)
    print(_("database ready: {url}", url=database_engine.url.render_as_string(hide_password=True)))
    print(_("playbook: {playbook}", playbook=get_settings().playbook or _("shipped default")))
    return 0


def _report_rows(file: Path, errors: Sequence[Any], lang: str, more: str | None = None, total: int | None = None) -> int:
    print(_("{file}: {count:,} problem(s); nothing was imported:", file=file, count=total or len(errors)), file=sys.stderr)
    for error in errors:
        print("  " + error.message(lang), file=sys.stderr)
    if more:
        print("  " + more, file=sys.stderr)
    return EXIT_INVALID


def _first(items: Sequence[str], count: int) -> str:
    return ", ".join(items[:count]) + (" ..." if len(items) > count else "")


Confirm = Annotated[list[str] | None, typer.Option(
    "--confirm", metavar="ID",
    help=N_("a cadre's ID number whose protected change (a status back from 去世/迁出, a change made "
         "after the file was written) this import may make; repeat for several"))]
FileDate = Annotated[dt.date | None, day_option(
    "--file-date", help=N_("the day the file was made (default: its modification time)"))]


def _refused(file: Path, outcome: Any, lang: str, *, dry_run: bool) -> int:
    """Why nothing was (or would be) written: the problems, one a line, then how many more."""
    more = sum(outcome.omitted.values())
    count = len(outcome.errors) + more
    print(_("{file}: {count:,} problem(s); nothing would be imported:", file=file, count=count) if dry_run
          else _("{file}: {count:,} problem(s); nothing was imported:", file=file, count=count), file=sys.stderr)
    for error in outcome.errors:
        print("  " + error.message(lang), file=sys.stderr)
    line = outcome.omitted_line(lang)
    if line:
        print("  " + line, file=sys.stderr)
    if outcome.plan is not None and outcome.plan.protected:
        print("  " + _("if the file is right, import it again with --confirm ID for each cadre named above "
                     "(or --file-date YYYY-MM-DD when the file is older than its modification time)"), file=sys.stderr)
    return EXIT_INVALID


@app.command("import-roster", help=N_("import the roster of cadres (.xlsx or .csv)"))
def import_roster(
    file: Annotated[Path, typer.Argument(help=N_("the roster of cadres: .xlsx or .csv"))],
    dry_run: DryRun = False,
    confirm: Confirm = None,
    file_date: FileDate = None,
) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.roster_import import ImportRejected, import_roster_file

    require_schema()
    lang = language()
    try:
        with progress(_("importing {name}", name=file.name), unit=_("rows")) as advance, session_scope() as session:
            outcome = import_roster_file(session, file, actor="cli:import-roster", on=clock.today(),
                                         file_date=file_date, confirm=tuple(confirm or ()), dry_run=dry_run,
                                         progress=advance)
            if dry_run or not outcome.written:
                session.rollback()
    except ImportRejected as exc:
        return _report_rows(file, exc.errors, lang)
    for warning in outcome.check.warnings:
        print(_("warning: {text}", text=warning.message(lang)), file=sys.stderr)
    plan = outcome.plan
    if dry_run and plan is not None:
        for line in plan.lines(lang):
            print("  " + line)
    if outcome.errors or not (outcome.written or dry_run):
        return _refused(file, outcome, lang, dry_run=dry_run)
    result = outcome.result
    if result is None:  # a dry run: what the plan says it would do
        assert plan is not None
        print(_("{file}: {rows} rows checked; would import: {created} new, {updated} updated, {unchanged} unchanged",
                file=file, rows=len(outcome.check.records), created=plan.created, updated=plan.updated,
                unchanged=plan.unchanged))
        absent = plan.absent
    else:
        print(_("{file}: {rows} rows checked; imported: {created} new, {updated} updated, {unchanged} unchanged",
                file=file, rows=len(outcome.check.records), created=result.created, updated=result.updated,
                unchanged=result.unchanged))
        if any(result.relatives.values()):
            print("  " + _("relatives: {new} new, {changed} changed, {removed} removed", **result.relatives))
        if any(result.teams):
            print("  " + _("volunteer teams: {joined} joined, {left} left", joined=result.teams[0], left=result.teams[1]))
        if result.grids_created:
            print("  " + _("new grids ({count}): {names}", count=len(result.grids_created), names=_first(result.grids_created, 20)))
        if result.branches_created:
            print("  " + _("new party branches ({count}): {names}", count=len(result.branches_created),
                             names=_first(result.branches_created, 10)))
        for name, old, new, cancelled in result.status_changes:
            print("  " + _("status: {name} {old} → {new} ({cancelled} open task(s) cancelled)", name=name, old=old, new=new,
                             cancelled=cancelled))
        absent = result.absent
    if absent:
        print("  " + _("{count} active cadre(s) in the database are not in this file (kept, not deleted):", count=len(absent)))
        for name, masked, grid in absent[:50]:
            print(f"    {name} {masked} {grid}")
        if len(absent) > 50:
            print("    " + _("... and {count} more", count=len(absent) - 50))
    if dry_run:
        print(_("dry run: nothing was written"))
    return 0


@app.command("import-staff", help=N_("import the staff sheet (coordinators)"))
def import_staff(file: Annotated[Path, typer.Argument(help=N_("the staff sheet: .xlsx or .csv"))], dry_run: DryRun = False) -> int:
    from models.db import session_scope
    from yinhui.roster import load_staff
    from yinhui.services.errors import CoordinatorError
    from yinhui.services.roster_import import apply_staff, roster_options

    require_schema()
    check = load_staff(file, options=roster_options())  # the playbook's [roster] words for the sheet too
    if check.errors:
        lang = language()
        return _report_rows(file, check.errors, lang, check.omitted_line(lang), check.error_count)
    try:
        with session_scope() as session:
            result = apply_staff(session, check.records)
            if dry_run:
                session.rollback()
    except CoordinatorError as exc:
        raise CommandError(_("{file}: {problem}; nothing was imported", file=file, problem=exc.render(operator_language()))) from None
    print(_("{file}: would import {created} new and {updated} updated coordinator(s)", file=file,
            created=result.created, updated=result.updated) if dry_run
          else _("{file}: imported {created} new and {updated} updated coordinator(s)", file=file,
                 created=result.created, updated=result.updated))
    if result.grids_created:
        print("  " + _("new grids: {names}", names=", ".join(result.grids_created)))
    return 0


def _outbox_line(sent: dict[str, Any]) -> str:
    return _("outbox: {sent} sent, {failed} to retry, {dead} undeliverable", sent=sent.get("sent", 0),
             failed=sent.get("failed", 0), dead=sent.get("dead", 0))


Backfill = Annotated[bool, typer.Option(
    "--backfill", help=N_("fill in an older day on purpose (further back than a plan normally reaches)"))]


def _check_day(day: dt.date, *, backfill: bool) -> None:
    """A day outside the plan's window is one line, before any flow run starts (no failed run, no alert)."""
    from yinhui import clock
    from yinhui.services.errors import PlanningError
    from yinhui.services.planning import check_plan_day

    try:
        check_plan_day(day, today=clock.today(), backfill=backfill)
    except PlanningError as exc:
        message = exc.render(operator_language())
        if not backfill and "back-fill" in str(exc):
            message = _("{problem} with --backfill", problem=message)
        raise CommandError(message) from None


def _plan(day: dt.date, *, dispatch: bool, backfill: bool = False) -> int:
    from flows.daily_plan import daily_plan

    results = daily_plan(day=day, dispatch=dispatch, backfill=backfill)
    counts = results["contact_cadence"]
    created = ", ".join(f"{rule} {n}" for rule, n in counts["created"].items()) or _("none due")
    print(_("{day}: created {total} ({created}); {overdue} newly overdue, {escalated} escalated, {missed} missed; "
            "{digests} digest(s) queued", day=counts["day"], total=counts["created_total"], created=created,
            overdue=counts["overdue"], escalated=counts["escalated"], missed=counts["missed"],
            digests=results["digests"]))
    nodes = results.get("calendar_nodes") or {}
    care = results.get("care_plan") or {}
    pauses = {k: counts.get(k, 0) for k in ("paused_cancelled", "pause_reopened")}
    others = {k: v for k, v in {**pauses, **nodes, **care}.items() if isinstance(v, int) and not isinstance(v, bool) and v}
    if others:
        print("  " + _("also: {counts}", counts=", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(others.items()))))
    for warning in nodes.get("warnings", []) or []:
        print("  " + _("warning: {text}", text=warning))
    if counts["uncovered_grids"]:
        print("  " + _("{count} base grid(s) have no coordinator: their tasks go to a leader "
                     "(see `yinhui report coverage`)", count=counts["uncovered_grids"]))
    if "dispatch" in results:
        print(_outbox_line(results["dispatch"]))
    return 0


@app.command("plan", help=N_("run the day's planning flow, then deliver the outbox"))
def plan(
    date: Annotated[dt.date | None, day_option("--date", help=N_("the day to plan (default today, Beijing time)"))] = None,
    no_dispatch: NoDispatch = False,
    backfill: Backfill = False,
) -> int:
    from yinhui import clock

    day = date or clock.today()
    _check_day(day, backfill=backfill)
    require_schema()
    return _plan(day, dispatch=not no_dispatch, backfill=backfill)


@app.command("rerun", help=N_("re-run a failed day's plan (creates nothing twice)\n\n"
                              "Plan a past day again (after a failed run): what exists is kept, what is missing is made."))
def rerun(
    date: Annotated[dt.date, day_option("--date", help=N_("the day to plan again (YYYY-MM-DD)"))],
    no_dispatch: NoDispatch = False,
    backfill: Backfill = False,
) -> int:
    from yinhui import clock

    if date > clock.today():
        raise CommandError(_("{day} is in the future; a day is re-run after it started", day=date))
    _check_day(date, backfill=backfill)
    print(_("re-running the plan for {day} (nothing that exists is created again)", day=date))
    require_schema()
    return _plan(date, dispatch=not no_dispatch, backfill=backfill)


@app.command("dispatch", help=N_("deliver what is waiting in the outbox"))
def dispatch() -> int:
    from flows.dispatch_outbox import dispatch_outbox

    require_schema()
    print(_outbox_line(dispatch_outbox()))
    return 0
