"""Running Yinhui unattended: `yinhui serve | deploy | schedules | snapshot | bot`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from yinhui.cli.common import (
    OPTIONS,
    CommandError,
    FormatOption,
    _,
    error_text,
    month_option,
    print_json,
    print_table,
    progress,
    require_schema,
)
from yinhui.i18n import N_

app = typer.Typer()


def _data_dir() -> Path:
    from yinhui.settings import get_settings

    return Path(get_settings().data_dir).resolve()


@app.command("serve", help=N_("run every scheduled flow from this process (opens the Prefect UI)\n\n"
                              "Serve every deployment from this process; start a local Prefect server when none is configured."))
def serve(
    port: Annotated[int, typer.Option(help=N_("port of the local Prefect server (when none is configured)"))] = 4200,
    host: Annotated[str, typer.Option(help=N_("address the local Prefect server listens on (0.0.0.0: every interface)"))] = "127.0.0.1",
    limit: Annotated[int | None, typer.Option(help=N_("at most this many flow runs at once"))] = None,
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING"], typer.Option("--log-level", help=N_("run log level"))] = "INFO",
) -> int:
    # Run logs go to the UI through this level; the CLI's quiet default would leave them empty. The
    # environment, because the runs start in child processes.
    os.environ["PREFECT_LOGGING_LEVEL"] = log_level
    from deployments.schedules import deployment_specs
    from deployments.serve import ServeError, prefect_api, serve_all, ui_url

    require_schema()
    specs = deployment_specs()  # a bad playbook stops us before a server is started
    try:
        with prefect_api(_data_dir(), port=port, host=host) as (api_url, started_here):
            where = (_("local Prefect server (data in {folder})", folder=_data_dir() / "prefect") if started_here
                     else _("configured Prefect server"))
            print(_("Prefect UI: {url}  ({where})", url=ui_url(api_url), where=where), flush=True)
            for spec in specs:
                state = "" if spec.active else _("  [schedule off]")
                print(f"  {spec.full_name:36} {', '.join(spec.crons)}  {spec.tags[-1]}{state}", flush=True)
            from flows.console import run_logs_on_terminal

            run_logs_on_terminal("full" if OPTIONS.debug else "brief")
            serve_all(specs, limit=limit)
    except ServeError as exc:
        raise CommandError(str(exc)) from None
    print(_("stopped; the deployments' schedules are paused until `yinhui serve` runs again"))
    return 0


@app.command("deploy", help=N_("register the scheduled flows on a work pool (many machines)\n\n"
                               "Register the deployments on a work pool (many machines); workers elsewhere run them."))
def deploy(pool: Annotated[str, typer.Option(help=N_("work pool name (created as a process pool if missing)"))] = "yinhui") -> int:
    from deployments.serve import configured_api_url
    from deployments.workpool import register

    if not configured_api_url():
        raise CommandError(_("set PREFECT_API_URL to the shared Prefect server first (e.g. http://prefect-host:4200/api)"))
    try:
        registered = register(pool)
    except ValueError as exc:  # a pool of another type under that name
        raise CommandError(str(exc)) from None
    for entry in registered:
        state = "" if entry["active"] else _("  [schedule off]")
        print(f"  {entry['name']:36} {', '.join(entry['crons'])}{state}")
    print(_("{count} deployment(s) on work pool {pool!r}. On each worker machine run:", count=len(registered), pool=pool))
    print(f"  prefect worker start --pool {pool} --type process")
    return 0


@app.command("schedules", help=N_("show when each flow runs (Beijing time)\n\n"
                                  "Print every deployment's schedule (the playbook's overrides applied) and its next runs."))
def schedules(
    count: Annotated[int, typer.Option(help=N_("next runs to show per flow"))] = 3,
    fmt: FormatOption = "table",
) -> int:
    from deployments.schedules import deployment_specs, next_runs, timezone
    from yinhui import clock

    rows: list[dict[str, Any]] = []
    for spec in deployment_specs():
        upcoming = next_runs(spec, after=clock.now(), count=count) if spec.active else []
        rows.append({
            "deployment": spec.full_name, "crons": list(spec.crons), "timezone": timezone(), "active": spec.active,
            "next": [d.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") for d in upcoming],
            "description": spec.description,
        })
    if fmt == "json":
        print_json(rows)
        return 0
    for row in rows:
        state = "" if row["active"] else _("  [schedule off]")
        print(f"{row['deployment']}  {', '.join(row['crons'])} ({row['timezone']}){state}")
        print(f"    {row['description']}")
        if row["next"]:
            print(_("    next: {runs}", runs=", ".join(row["next"])))
    return 0


@app.command("snapshot", help=N_("freeze a closed month's coverage (once) and publish it"))
def snapshot(month: Annotated[str, month_option("--month", help=N_("YYYY-MM, a month that is over"))]) -> int:
    from flows.reports import monthly_coverage_snapshot
    from models.db import session_scope
    from yinhui import clock
    from yinhui.services.errors import SnapshotError
    from yinhui.services.snapshots import month_period, snapshot_rows

    require_schema()
    try:
        period = month_period(month)
    except SnapshotError as exc:
        raise CommandError(error_text(exc)) from None
    if period.end >= clock.today():
        raise CommandError(_("{month} is not over yet; its coverage can be frozen from {first}", month=month,
                             first=period.end + dt.timedelta(days=1)))
    with progress(_("freezing the coverage of {month}", month=month)):
        result = monthly_coverage_snapshot(month)
    with session_scope(read_only=True) as session:
        rows = snapshot_rows(session, month)
    taken = rows[0].taken_at.astimezone(clock.tz()).strftime("%Y-%m-%d %H:%M") if rows else "?"
    counts = {"month": month, "contacted": result["contacted"], "cadres": result["cadres"]}
    if result["created"]:
        print(_("coverage {month}: {contacted} of {cadres} cadres contacted (frozen now)", **counts))
    else:
        print(_("coverage {month}: {contacted} of {cadres} cadres contacted (already frozen on {taken}; unchanged)",
                taken=taken, **counts))
    print_table([_("grid"), _("cadres"), _("contacted"), _("via relative"), _("paused"), _("missed"),
                 _("unreachable after every attempt"), _("rate")],
                [[r.grid_path, r.cadres, r.contacted, r.via_relative, r.paused, r.missed, r.unreachable, f"{r.rate:.0%}" if r.expected else _("No data")]
                 for r in rows if r.level <= 2],
                (1, 2, 3, 4, 5, 6, 7))
    return 0


@app.command("bot", help=N_("run the Telegram bot (long polling, or a webhook with --webhook URL)\n\n"
                            "Run the Telegram bot beside the flows, until Ctrl-C or SIGTERM."))
def bot(
    webhook: Annotated[str | None, typer.Option(metavar="URL", help=N_("public HTTPS URL Telegram posts updates to (default: long polling)"))] = None,
    listen: Annotated[str, typer.Option(help=N_("webhook: address to listen on"))] = "0.0.0.0",
    port: Annotated[int, typer.Option(help=N_("webhook: port to listen on"))] = 8443,
    poll_timeout: Annotated[int, typer.Option("--poll-timeout", help=N_("polling: seconds one getUpdates may wait"))] = 30,
) -> int:
    from notifiers.base import NotifyError
    from notifiers.bot.app import run_bot
    from notifiers.bot.redaction import install_log_redaction
    from notifiers.telegram import api_base_url, resolve_token

    require_schema()
    try:
        token = resolve_token()
    except NotifyError as exc:
        raise CommandError(str(exc)) from None
    install_log_redaction(token)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    mode = _("webhook {url}", url=webhook) if webhook else _("long polling")
    print(_("yinhui bot: serving via {mode}; Ctrl-C stops", mode=mode), file=sys.stderr, flush=True)
    run_bot(token=token, base_url=api_base_url(), webhook_url=webhook, listen=listen, port=port,
            poll_timeout=poll_timeout)
    print(_("yinhui bot: stopped"), file=sys.stderr)
    return 0
