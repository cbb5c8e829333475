"""The operator's command line: `yinhui init | import-roster | plan | tasks | complete | report | demo ...`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_USAGE, EXIT_INVALID, EXIT_INTERNAL = 2, 1, 70


class CommandError(Exception):
    """A request the command cannot carry out; printed as one line."""

    def __init__(self, message: str, code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.code = code


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _month(value: str) -> str:
    try:
        dt.datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month (YYYY-MM): {value!r}") from None
    return value


def _lang() -> str:
    from yinhui.settings import get_settings

    return get_settings().language


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _require_schema() -> None:
    """Refuse to run on a database that `yinhui init` has not prepared (or that is out of date)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from models.db import alembic_config, get_engine

    engine = get_engine()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    if current is None:
        raise CommandError("the database is not set up yet: run `yinhui init` first")
    if current != head:
        raise CommandError(f"the database schema is at {current}, this Yinhui needs {head}: run `yinhui init`")


# -- commands -------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from models.db import get_engine, upgrade
    from yinhui.settings import get_settings

    upgrade()
    url = get_engine().url.render_as_string(hide_password=True)
    print(f"database ready: {url}")
    print(f"playbook: {get_settings().playbook or 'shipped default'}")
    return 0


def _report_rows(errors: Sequence[Any], lang: str, stream: Any = None) -> None:
    stream = stream or sys.stderr
    for error in errors:
        print("  " + error.message(lang), file=stream)


def cmd_import_roster(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.roster import load_roster
    from yinhui.services.roster_import import ImportRejected, apply_roster

    _require_schema()
    lang = _lang()
    check = load_roster(args.file)
    for warning in check.warnings:
        print("warning: " + warning.message(lang), file=sys.stderr)
    if check.errors:
        print(f"{args.file}: {len(check.errors)} problem(s); nothing was imported:", file=sys.stderr)
        _report_rows(check.errors, lang)
        return EXIT_INVALID
    header = check.table.columns.get("coordinator", "责任人") if check.table else "责任人"
    try:
        with session_scope() as session:
            result = apply_roster(session, check.records, coordinator_header=header, actor="cli:import-roster", on=clock.today())
            if args.dry_run:
                session.rollback()
    except ImportRejected as exc:
        print(f"{args.file}: {len(exc.errors)} problem(s); nothing was imported:", file=sys.stderr)
        _report_rows(exc.errors, lang)
        return EXIT_INVALID
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{args.file}: {len(check.records)} rows checked; {verb}: {result.created} new, "
        f"{result.updated} updated, {result.unchanged} unchanged"
    )
    if result.grids_created:
        print(f"  new grids ({len(result.grids_created)}): " + ", ".join(result.grids_created[:20])
              + (" ..." if len(result.grids_created) > 20 else ""))
    if result.branches_created:
        print(f"  new party branches ({len(result.branches_created)}): " + ", ".join(result.branches_created[:10])
              + (" ..." if len(result.branches_created) > 10 else ""))
    for name, old, new, cancelled in result.status_changes:
        print(f"  status: {name} {old} → {new} ({cancelled} open task(s) cancelled)")
    if result.absent:
        print(f"  {len(result.absent)} active cadre(s) in the database are not in this file (kept, not deleted):")
        for name, masked, grid in result.absent[:50]:
            print(f"    {name} {masked} {grid}")
        if len(result.absent) > 50:
            print(f"    ... and {len(result.absent) - 50} more")
    if args.dry_run:
        print("dry run: nothing was written")
    return 0


def cmd_import_staff(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.roster import load_staff
    from yinhui.services.errors import CoordinatorError
    from yinhui.services.roster_import import apply_staff

    _require_schema()
    lang = _lang()
    check = load_staff(args.file)
    if check.errors:
        print(f"{args.file}: {len(check.errors)} problem(s); nothing was imported:", file=sys.stderr)
        _report_rows(check.errors, lang)
        return EXIT_INVALID
    try:
        with session_scope() as session:
            result = apply_staff(session, check.records)
            if args.dry_run:
                session.rollback()
    except CoordinatorError as exc:
        raise CommandError(f"{args.file}: {exc}; nothing was imported") from None
    verb = "would import" if args.dry_run else "imported"
    print(f"{args.file}: {verb} {result.created} new and {result.updated} updated coordinator(s)")
    if result.grids_created:
        print(f"  new grids: {', '.join(result.grids_created)}")
    return 0


def cmd_coordinator_add(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.roster.fields import FieldError, parse_phone
    from yinhui.services.coordinators import save_coordinator

    _require_schema()
    phone = None
    if args.phone:
        try:
            phone = parse_phone(args.phone)
        except FieldError as exc:
            raise CommandError(f"--phone: {exc}") from None
    with session_scope() as session:
        coordinator = save_coordinator(session, name=args.name, role=args.role, grids=args.grid or [], phone=phone)
        print(f"coordinator #{coordinator.id} {coordinator.name} ({coordinator.role}) added")
    return 0


def cmd_coordinator_list(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.services.coordinators import list_coordinators

    _require_schema()
    with session_scope() as session:
        rows = list_coordinators(session)
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(
        ["id", "name", "role", "grids", "named cadres", "channel", "active"],
        [[r["id"], r["name"], r["role"], ", ".join(r["grids"]), r["named_cadres"], r["channel"],
          "yes" if r["active"] else "no (left)"] for r in rows],
        numeric=(0, 4),
    ))
    return 0


def cmd_coordinator_active(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui.services.handover import set_coordinator_active

    _require_schema()
    active = args.action == "activate"
    with session_scope() as session:
        handover = set_coordinator_active(session, args.name, active=active, actor="cli:operator")
    verb = "is active again" if active else "is inactive: no new tasks, digests or chat replies"
    print(f"{handover.coordinator} {verb}; {handover.moved} live task(s) handed to whoever answers for them now")
    if handover.still_held:
        print(f"  {handover.still_held} task(s) without a cadre (lectures, writing group) move at the next "
              "`yinhui plan`")
    if handover.uncovered:
        shown = ", ".join(handover.uncovered[:10]) + (" ..." if len(handover.uncovered) > 10 else "")
        print(f"  {len(handover.uncovered)} base grid(s) now have no coordinator (their tasks go to a leader): {shown}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from flows.daily_plan import daily_plan
    from yinhui import clock

    _require_schema()
    day = args.date or clock.today()
    results = daily_plan(day, dispatch=not args.no_dispatch)
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
        sent = results["dispatch"]
        print(f"outbox: {sent.get('sent', 0)} sent, {sent.get('failed', 0)} to retry, {sent.get('dead', 0)} undeliverable")
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    from flows.dispatch_outbox import dispatch_outbox

    _require_schema()
    sent = dispatch_outbox()
    print(f"outbox: {sent.get('sent', 0)} sent, {sent.get('failed', 0)} to retry, {sent.get('dead', 0)} undeliverable")
    return 0


def cmd_tasks(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.task_views import list_tasks

    _require_schema()
    with session_scope() as session:
        coordinator_id = find_coordinator(session, args.coordinator).id if args.coordinator else None
        rows = list_tasks(session, coordinator_id=coordinator_id, status=args.status, limit=args.limit)
    if args.format == "json":
        _print_json(rows)
        return 0
    print(textable.render(
        ["id", "kind", "status", "window", "due", "cadre", "grid", "assignee", "escalated to"],
        [[r["id"], r["kind"], r["status"], r["window_opens"], r["due"], (r["cadre"] or {}).get("name"),
          r["grid"], r["assignee"], r["escalated_to"]] for r in rows],
        numeric=(0,),
    ))
    print(f"({len(rows)} task(s))")
    return 0


def cmd_complete(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.playbook_loader import current_playbook
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.tasks import complete_task

    _require_schema()
    on = args.date or clock.today()
    with session_scope() as session:
        actor = f"coordinator:{find_coordinator(session, args.as_).id}" if args.as_ else "cli:operator"
        task = complete_task(session, args.task_id, outcome=args.outcome, actor=actor, on=on,
                             playbook=current_playbook(), note=args.note)
        print(f"task #{task.id} done ({task.outcome}) on {on.isoformat()}")
    return 0


def cmd_reschedule(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.coordinators import find_coordinator
    from yinhui.services.tasks import reschedule_task

    _require_schema()
    with session_scope() as session:
        actor = f"coordinator:{find_coordinator(session, args.as_).id}" if args.as_ else "cli:operator"
        task = reschedule_task(session, args.task_id, to=args.to, actor=actor, today=clock.today())
        print(f"task #{task.id} now due {task.due.isoformat()} ({task.status})")
    return 0


def cmd_report_coverage(args: argparse.Namespace) -> int:
    from models.db import session_scope
    from yinhui import textable
    from yinhui.rules.cadence import period_from_key
    from yinhui.services.coverage import coverage

    _require_schema()
    with session_scope() as session:
        report = coverage(session, period_from_key(args.month))
    if args.format == "json":
        _print_json({
            "month": args.month,
            "grids": [
                {"level": g.level, "grid": g.path, "cadres": g.cadres, "contacted": g.contacted, "missed": g.missed}
                for g in report.grids
            ],
            "missed": [
                {"name": m.name, "grid": m.grid, "coordinator": m.coordinator, "reason": m.reason}
                for m in report.missed
            ],
            "uncovered_grids": report.uncovered_grids,
        })
        return 0
    levels = (1, 2) if not args.all_grids else (1, 2, 3)
    rows = [g for g in report.grids if g.level in levels]
    print(f"coverage {args.month}: {report.total.contacted} of {report.total.cadres} cadres contacted "
          f"({report.total.rate:.1%}), {report.total.missed} missed")
    print(textable.render(
        ["level", "grid", "cadres", "contacted", "missed", "rate"],
        [[g.level, ("  " if g.level == 3 else "") + g.path, g.cadres, g.contacted, g.missed, f"{g.rate:.0%}"]
         for g in rows],
        numeric=(2, 3, 4, 5),
    ))
    if report.missed:
        print(f"\nmissed ({len(report.missed)}):")
        shown = report.missed if args.all_missed else report.missed[:40]
        print(textable.render(["name", "grid", "coordinator", "why"],
                              [[m.name, m.grid, m.coordinator, m.reason] for m in shown]))
        if len(shown) < len(report.missed):
            print(f"... and {len(report.missed) - len(shown)} more (--all-missed lists them)")
    if report.uncovered_grids:
        print(f"\ngrids nobody covers ({len(report.uncovered_grids)}): " + ", ".join(report.uncovered_grids))
    return 0


def cmd_playbook_check(args: argparse.Namespace) -> int:
    from yinhui.playbook_loader import DEFAULT_PLAYBOOK, load_playbook

    path = args.file or DEFAULT_PLAYBOOK
    playbook = load_playbook(path)
    rules = ", ".join(f"{r.rule} (every {r.every})" for r in playbook.cadence)
    print(f"{path}: valid; cadence rules: {rules}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from yinhui.demo.simulate import run_demo

    return run_demo(
        data_dir=args.data_dir_demo, start=args.start, days=args.days, seed=args.seed, quiet=args.quiet
    )


# -- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yinhui", description="银辉 Yinhui: outreach work of a veteran-cadres bureau")
    parser.add_argument("--data-dir", help="data directory (default ./data or YINHUI_DATA_DIR)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    command("init", cmd_init, "create or upgrade the database")
    p = command("import-roster", cmd_import_roster, "import the roster of cadres (.xlsx or .csv)")
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p = command("import-staff", cmd_import_staff, "import the staff sheet (coordinators)")
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true")

    p = command("coordinator", lambda a: 0, "add, list, invite, deactivate or activate coordinators")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = csub.add_parser("add", help="add a coordinator")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["staff", "grid", "leader"])
    add.add_argument("--grid", action="append", help="a grid they answer for: 城关镇 or 城关镇/东街村 (repeat)")
    add.add_argument("--phone")
    add.set_defaults(handler=cmd_coordinator_add)
    lst = csub.add_parser("list", help="list coordinators")
    lst.add_argument("--format", choices=["table", "json"], default="table")
    lst.set_defaults(handler=cmd_coordinator_list)
    for action, text in (("deactivate", "a coordinator left: hand their live tasks over, send them nothing more"),
                         ("activate", "bring a deactivated coordinator back")):
        toggle = csub.add_parser(action, help=text)
        toggle.add_argument("name")
        toggle.set_defaults(handler=cmd_coordinator_active)
    from yinhui.commands.chat import add_invite_action

    add_invite_action(csub)

    p = command("plan", cmd_plan, "run the day's planning flow, then deliver the outbox")
    p.add_argument("--date", type=_day, help="the day to plan (default today, Beijing time)")
    p.add_argument("--no-dispatch", action="store_true", help="queue digests without sending them")
    command("dispatch", cmd_dispatch, "deliver what is waiting in the outbox")

    p = command("tasks", cmd_tasks, "list tasks")
    p.add_argument("--coordinator", help="only this coordinator's tasks (and those escalated to them)")
    p.add_argument("--status", default="live", choices=["open", "overdue", "live", "done", "missed", "cancelled", "all"])
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--limit", type=int)

    p = command("complete", cmd_complete, "record a task's outcome")
    p.add_argument("task_id", type=int)
    p.add_argument("--outcome", required=True, choices=["reached", "unreachable", "visited", "declined"])
    p.add_argument("--note")
    p.add_argument("--date", type=_day, help="when it was done (default today)")
    p.add_argument("--as", dest="as_", metavar="COORDINATOR", help="record it in this coordinator's name")

    p = command("reschedule", cmd_reschedule, "move a live task's due date (within its period)")
    p.add_argument("task_id", type=int)
    p.add_argument("--to", required=True, type=_day, help="the new due date")
    p.add_argument("--as", dest="as_", metavar="COORDINATOR", help="record it in this coordinator's name")

    p = command("report", lambda a: 0, "reports")
    rsub = p.add_subparsers(dest="report", required=True, metavar="REPORT")
    cov = rsub.add_parser("coverage", help="who was contacted in a month, per grid")
    cov.add_argument("--month", required=True, type=_month)
    cov.add_argument("--format", choices=["table", "json"], default="table")
    cov.add_argument("--all-grids", action="store_true", help="include every base grid in the table")
    cov.add_argument("--all-missed", action="store_true")
    cov.set_defaults(handler=cmd_report_coverage)
    from yinhui.commands.care import add_report_actions

    add_report_actions(rsub)

    p = command("playbook", lambda a: 0, "the bureau's playbook")
    psub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    chk = psub.add_parser("check", help="validate a playbook file")
    chk.add_argument("file", nargs="?", type=Path)
    chk.set_defaults(handler=cmd_playbook_check)

    p = command("demo", cmd_demo, "build a synthetic county and simulate a quarter of work")
    p.add_argument("--dir", dest="data_dir_demo", type=Path, default=Path("data/demo"), help="where the demo lives")
    p.add_argument("--start", type=_day, default=dt.date(2026, 10, 1))
    p.add_argument("--days", type=int, default=92)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--quiet", action="store_true")

    from yinhui.commands import register_all

    register_all(sub)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import OperationalError

    from yinhui.roster.reader import RosterFileError
    from yinhui.rules.assignment import NoLeaderError
    from yinhui.rules.playbook import PlaybookError
    from yinhui.services.errors import CoordinatorError, TaskError

    return (CoordinatorError, TaskError, RosterFileError, NoLeaderError, PlaybookError, OperationalError)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data_dir:
        os.environ["YINHUI_DATA_DIR"] = args.data_dir
    # Prefect's per-run chatter is for the UI; the console shows the command's own summary. With
    # a real Prefect server configured the runs' INFO logs go there, so leave the level alone.
    if not os.environ.get("PREFECT_API_URL"):
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from yinhui.settings import reset_settings

    reset_settings()
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(f"yinhui: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("yinhui: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, never a traceback, unless asked for
        if args.debug:
            raise
        if isinstance(exc, _known_errors()):
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if type(exc).__name__ == "OperationalError":
                message = f"database error: {getattr(exc, 'orig', exc)}"
            print(f"yinhui: {message}", file=sys.stderr)
            return EXIT_INVALID
        if type(exc).__name__ == "ValidationError":  # settings from the environment
            print(f"yinhui: bad setting: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", file=sys.stderr)  # type: ignore[attr-defined]
            return EXIT_USAGE
        print(f"yinhui: unexpected error ({type(exc).__name__}): {exc} (run with --debug for details)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    # Import by name so `python -m yinhui.cli` shares one module with yinhui/commands/*.
    from yinhui.cli import main as _main

    sys.exit(_main())
