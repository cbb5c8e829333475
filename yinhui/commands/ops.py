"""Running Yinhui unattended: `yinhui serve | deploy | schedules | rerun | snapshot` and `yinhui report weekly`."""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path
from typing import Any

from yinhui.cli import CommandError, _day, _month, _print_json, _require_schema


def _data_dir() -> Path:
    from yinhui.settings import get_settings

    return Path(get_settings().data_dir).resolve()


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve every deployment from this process; start a local Prefect server when none is configured."""
    # Run logs go to the UI through this level; the CLI's quiet default would leave them empty.
    os.environ["PREFECT_LOGGING_LEVEL"] = args.log_level
    from deployments.schedules import deployment_specs
    from deployments.serve import ServeError, prefect_api, serve_all, ui_url

    _require_schema()
    specs = deployment_specs()  # a bad playbook stops us before a server is started
    try:
        with prefect_api(_data_dir(), port=args.port) as (api_url, started_here):
            where = f"local Prefect server (data in {_data_dir() / 'prefect'})" if started_here else "configured Prefect server"
            print(f"Prefect UI: {ui_url(api_url)}  ({where})", flush=True)
            for spec in specs:
                state = "" if spec.active else "  [schedule off]"
                print(f"  {spec.full_name:36} {', '.join(spec.crons)}  {spec.tags[-1]}{state}", flush=True)
            serve_all(specs, limit=args.limit)
    except ServeError as exc:
        raise CommandError(str(exc)) from None
    print("stopped; the deployments' schedules are paused until `yinhui serve` runs again")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    """Register the deployments on a work pool (many machines); workers elsewhere run them."""
    from deployments.serve import configured_api_url
    from deployments.workpool import register

    if not configured_api_url():
        raise CommandError("set PREFECT_API_URL to the shared Prefect server first (e.g. http://prefect-host:4200/api)")
    try:
        registered = register(args.pool)
    except ValueError as exc:  # a pool of another type under that name
        raise CommandError(str(exc)) from None
    for entry in registered:
        state = "" if entry["active"] else "  [schedule off]"
        print(f"  {entry['name']:36} {', '.join(entry['crons'])}{state}")
    print(f"{len(registered)} deployment(s) on work pool {args.pool!r}. On each worker machine run:")
    print(f"  prefect worker start --pool {args.pool} --type process")
    return 0


def cmd_schedules(args: argparse.Namespace) -> int:
    """Print every deployment's schedule (the playbook's overrides applied) and its next runs."""
    from deployments.schedules import deployment_specs, next_runs, timezone
    from yinhui import clock

    specs = deployment_specs()
    rows: list[dict[str, Any]] = []
    for spec in specs:
        upcoming = next_runs(spec, after=clock.now(), count=args.count) if spec.active else []
        rows.append({
            "deployment": spec.full_name, "crons": list(spec.crons), "timezone": timezone(), "active": spec.active,
            "next": [d.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") for d in upcoming],
            "description": spec.description,
        })
    if args.format == "json":
        _print_json(rows)
        return 0
    for row in rows:
        state = "" if row["active"] else "  [schedule off]"
        print(f"{row['deployment']}  {', '.join(row['crons'])} ({row['timezone']}){state}")
        print(f"    {row['description']}")
        if row["next"]:
            print(f"    next: {', '.join(row['next'])}")
    return 0


def cmd_rerun(args: argparse.Namespace) -> int:
    """Plan a past day again (after a failed run): what exists is kept, what is missing is made."""
    from yinhui import clock
    from yinhui.cli import cmd_plan

    if args.date > clock.today():
        raise CommandError(f"{args.date} is in the future; a day is re-run after it started")
    print(f"re-running the plan for {args.date} (nothing that exists is created again)")
    return cmd_plan(argparse.Namespace(date=args.date, no_dispatch=args.no_dispatch))


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Freeze a closed month's coverage (once) and publish it with the trend."""
    from flows.reports import monthly_coverage_snapshot
    from models.db import session_scope
    from yinhui import clock, textable
    from yinhui.services.errors import SnapshotError
    from yinhui.services.snapshots import month_period, snapshot_rows

    _require_schema()
    month = args.month
    try:
        period = month_period(month)
    except SnapshotError as exc:
        raise CommandError(str(exc)) from None
    if period.end >= clock.today():
        raise CommandError(f"{month} is not over yet; its coverage can be frozen from {period.end + dt.timedelta(days=1)}")
    result = monthly_coverage_snapshot(month)
    with session_scope() as session:
        rows = snapshot_rows(session, month)
    taken = rows[0].taken_at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") if rows else "?"
    verb = "frozen now" if result["created"] else f"already frozen on {taken}; unchanged"
    print(f"coverage {month}: {result['contacted']} of {result['cadres']} cadres contacted ({verb})")
    print(textable.render(
        ["grid", "cadres", "contacted", "missed", "rate"],
        [[r.grid_path, r.cadres, r.contacted, r.missed, f"{r.rate:.0%}"] for r in rows if r.level <= 2],
        numeric=(1, 2, 3, 4),
    ))
    return 0


def cmd_report_weekly(args: argparse.Namespace) -> int:
    from flows.reports import weekly_report

    _require_schema()
    summary = weekly_report(args.week_of)
    if args.format == "json":
        _print_json(summary)
        return 0
    print(f"week {summary['week']}: {summary['created']} task(s) created, {summary['done']} done, "
          f"{summary['missed']} closed as missed, {summary['escalated']} escalation(s), "
          f"{summary['contacts']} contact(s) with {summary['cadres_reached']} cadre(s); "
          f"{summary['overdue_now']} overdue now")
    print(f"must-visits due that week: {summary['must_visit_kept']} kept, {summary['must_visit_missed']} missed")
    return 0


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """The sub-command table of an existing command (to add `report weekly` beside `report coverage`)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise LookupError(f"{parser.prog} has no sub-commands")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run every scheduled flow from this process (opens the Prefect UI)",
                       description=cmd_serve.__doc__)
    p.add_argument("--port", type=int, default=4200, help="port of the local Prefect server (when none is configured)")
    p.add_argument("--limit", type=int, help="at most this many flow runs at once")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"], help="run log level")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("deploy", help="register the scheduled flows on a work pool (many machines)",
                       description=cmd_deploy.__doc__)
    p.add_argument("--pool", default="yinhui", help="work pool name (created as a process pool if missing)")
    p.set_defaults(handler=cmd_deploy)

    p = sub.add_parser("schedules", help="show when each flow runs (Beijing time)", description=cmd_schedules.__doc__)
    p.add_argument("--count", type=int, default=3, help="next runs to show per flow")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler=cmd_schedules)

    p = sub.add_parser("rerun", help="re-run a failed day's plan (creates nothing twice)", description=cmd_rerun.__doc__)
    p.add_argument("--date", type=_day, required=True, help="the day to plan again (YYYY-MM-DD)")
    p.add_argument("--no-dispatch", action="store_true", help="queue digests without sending them")
    p.set_defaults(handler=cmd_rerun)

    p = sub.add_parser("snapshot", help="freeze a closed month's coverage (once) and publish it",
                       description=cmd_snapshot.__doc__)
    p.add_argument("--month", type=_month, required=True, help="YYYY-MM, a month that is over")
    p.set_defaults(handler=cmd_snapshot)

    report = sub.choices.get("report")
    if report is not None:
        weekly = _subcommands(report).add_parser("weekly", help="last week's report (also published in the Prefect UI)")
        weekly.add_argument("--week-of", type=_day, help="any day of the week to report (default: last week)")
        weekly.add_argument("--format", choices=["table", "json"], default="table")
        weekly.set_defaults(handler=cmd_report_weekly)
